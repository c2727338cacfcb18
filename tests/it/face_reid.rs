//! Re-identification (issue 21) on real faces: the threshold against the shared media, and whole runs of
//! `emotrace analyze` on clips of people who leave and come back (`scripts/make_reid_clips.sh`).

use std::path::{Path, PathBuf};

use emotrace::capture::gray::to_gray;
use emotrace::capture::{self, Input};
use emotrace::detect::{self, DetectConfig, FaceDetector};
use emotrace::face::descriptor::{distance, face_chip, Descriptor, DescriptorNet};
use emotrace::face::reid::DEFAULT_THRESHOLD;

use crate::common;

fn models() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
}

/// Descriptors of every face the default detector finds (score at or above its threshold, with landmarks) in
/// `rgb`.
fn describe_faces(det: &mut Box<dyn FaceDetector>, net: &DescriptorNet, rgb: &image::RgbImage) -> Vec<Descriptor> {
    let high = DetectConfig::default().high_score();
    let faces = det.detect(rgb, &to_gray(rgb)).unwrap();
    let chips: Vec<Vec<u8>> =
        faces.iter().filter(|d| d.score >= high).filter_map(|d| d.landmarks).map(|lm| face_chip(rgb, &lm)).collect();
    let refs: Vec<&[u8]> = chips.iter().map(|c| c.as_slice()).collect();
    refs.iter().map(|c| net.describe(&[c]).unwrap().pop().unwrap()).collect()
}

/// `q`-quantile (0..1) of sorted `v`.
fn quantile(v: &[f32], q: f64) -> f32 {
    v[((v.len() - 1) as f64 * q).round() as usize]
}

fn summary(v: &mut [f32]) -> String {
    v.sort_by(f32::total_cmp);
    format!(
        "{} pairs: min {:.3}, 1% {:.3}, 5% {:.3}, median {:.3}, 95% {:.3}, max {:.3}",
        v.len(),
        v[0],
        quantile(v, 0.01),
        quantile(v, 0.05),
        quantile(v, 0.5),
        quantile(v, 0.95),
        v[v.len() - 1]
    )
}

/// The photos the issue names: five young people, six group photos (22 faces, one in profile), the 29 faces of
/// the Solvay conference: 56 people, each seen once.
const PHOTOS: [&str; 8] = [
    "multi_face.jpg",
    "sample1.jpg",
    "sample2.jpg",
    "sample3.jpg",
    "sample4.jpg",
    "sample5.jpg",
    "sample6.jpg",
    "solvay-1927-boxed.png",
];

#[test]
fn strangers_in_the_shared_photos_are_never_joined() {
    let mut det = detect::build(&DetectConfig::default(), &models()).unwrap();
    let net = DescriptorNet::load(&models()).unwrap();
    let mut all = Vec::new();
    for name in PHOTOS {
        let Some(path) = common::shared_media(name) else { return };
        let rgb = image::open(path).unwrap().to_rgb8();
        let d = describe_faces(&mut det, &net, &rgb);
        eprintln!("{name}: {} faces", d.len());
        all.extend(d);
    }
    assert!(all.len() >= 50, "{} faces", all.len());
    let mut pairs = Vec::new();
    for i in 0..all.len() {
        for j in i + 1..all.len() {
            pairs.push(distance(&all[i], &all[j]));
        }
    }
    let joined = pairs.iter().filter(|&&d| d < DEFAULT_THRESHOLD).count();
    eprintln!("different people, {} faces: {}; under {DEFAULT_THRESHOLD}: {joined}", all.len(), summary(&mut pairs));
    assert_eq!(joined, 0, "pairs of different people under the threshold");
}

/// Descriptors of the face in the frames of `video` every `every_ms` of video: (time in ms, descriptor).
fn video_faces(video: &Path, every_ms: u64) -> Vec<(u64, Descriptor)> {
    let mut det = detect::build(&DetectConfig::default(), &models()).unwrap();
    let net = DescriptorNet::load(&models()).unwrap();
    let mut src = capture::open(&Input::Path(video.to_path_buf())).unwrap();
    let mut out = Vec::new();
    let mut next = 0;
    while let Some(f) = src.next_frame().unwrap() {
        if f.timestamp_ms < next {
            continue;
        }
        next = f.timestamp_ms + every_ms;
        let rgb = f.image.into_rgb();
        out.extend(describe_faces(&mut det, &net, &rgb).into_iter().map(|d| (f.timestamp_ms, d)));
    }
    out
}

/// The mean of descriptors.
fn mean(ds: &[Descriptor]) -> Descriptor {
    let mut m = [0f32; 128];
    for d in ds {
        for (a, b) in m.iter_mut().zip(d) {
            *a += b / ds.len() as f32;
        }
    }
    m
}

/// Distances between the same person's faces 2 s or more apart: one frame against one frame, and (as
/// re-identification compares a new track with an earlier face) the means of three frames 0.4 s apart.
fn same_person(faces: &[(u64, Descriptor)]) -> (Vec<f32>, Vec<f32>) {
    let (mut single, mut means) = (Vec::new(), Vec::new());
    for (i, (ta, a)) in faces.iter().enumerate() {
        for (j, (tb, b)) in faces.iter().enumerate().skip(i + 1) {
            if tb.abs_diff(*ta) < 2000 {
                continue;
            }
            single.push(distance(a, b));
            let window = |k: usize| faces.get(k..k + 3).filter(|w| w[2].0 - w[0].0 <= 1000);
            if let (Some(x), Some(y)) = (window(i), window(j)) {
                let (x, y): (Vec<Descriptor>, Vec<Descriptor>) =
                    (x.iter().map(|f| f.1).collect(), y.iter().map(|f| f.1).collect());
                means.push(distance(&mean(&x), &mean(&y)));
            }
        }
    }
    (single, means)
}

fn joined(v: &[f32]) -> f64 {
    v.iter().filter(|&&d| d < DEFAULT_THRESHOLD).count() as f64 / v.len().max(1) as f64
}

#[test]
fn the_same_person_is_joined_across_frames_seconds_apart() {
    let Some(wolfgang) = common::shared_media("WolfgangLanger_Pexels.mp4") else { return };
    // The man of face_noface.mov and noface_face.mov: the same man in the same room in both (looked at), his
    // two clips one stretch of time. Every pair is joined, one frame against one frame.
    if which_ffmpeg() {
        let mut man = video_faces(&common::shared_media("face_noface.mov").unwrap(), 400);
        let later = video_faces(&common::shared_media("noface_face.mov").unwrap(), 400);
        man.extend(later.into_iter().map(|(t, d)| (t + 10_000, d)));
        let (mut single, _) = same_person(&man);
        eprintln!("face_noface.mov + noface_face.mov, one frame each: {}", summary(&mut single));
        assert!(single.len() >= 20 && joined(&single) == 1.0, "{:.1}% joined", joined(&single) * 100.0);
    }
    // The man of single_face.mp4 (2.4 s): frames 2 s apart.
    let (mut single, _) = same_person(&video_faces(&common::shared_media("single_face.mp4").unwrap(), 200));
    eprintln!("single_face.mp4, one frame each: {}", summary(&mut single));
    assert!(!single.is_empty() && joined(&single) == 1.0);
    // The woman of WolfgangLanger_Pexels.mp4 cries with her hands over her face, then laughs: one frame against
    // one frame, 19.7% of the pairs are under the threshold here; means of three frames (what re-identification
    // compares), 44.5%. The 95% is not reached with this descriptor: see the
    // README ("Faces that come back").
    let (mut single, mut means) = same_person(&video_faces(&wolfgang, 400));
    let (s, m) = (joined(&single), joined(&means));
    eprintln!("WolfgangLanger_Pexels.mp4, one frame each: {}; {:.1}% joined", summary(&mut single), s * 100.0);
    eprintln!("WolfgangLanger_Pexels.mp4, means of three: {}; {:.1}% joined", summary(&mut means), m * 100.0);
    assert!(m > s && m >= 0.4, "means of three: {:.1}% joined, one frame each {:.1}%", m * 100.0, s * 100.0);
}

fn which_ffmpeg() -> bool {
    let ok = std::process::Command::new("ffmpeg").arg("-version").output().is_ok_and(|o| o.status.success());
    if !ok {
        assert!(std::env::var_os("EMOTRACE_REQUIRE_CLIP").is_none(), "ffmpeg is needed for the HEVC clips");
        eprintln!("skipped the HEVC clips: ffmpeg is not installed");
    }
    ok
}

/// The clips of `scripts/make_reid_clips.sh` (made once per test binary into `target/media/reid`), or `None` with a
/// line saying why.
fn reid_clip(name: &str) -> Option<PathBuf> {
    static MADE: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    common::shared_media("WolfgangLanger_Pexels.mp4")?;
    common::made_by_script(&MADE, "scripts/make_reid_clips.sh", "target/media/reid", "re-identification clips")
        .map(|d| d.join(name))
}

/// Analyzes `clip` into a new store; its tracks as stored.
fn analyzed_tracks(clip: &Path) -> (tempfile::TempDir, String, Vec<emotrace::TrackRecord>) {
    let store = tempfile::tempdir().unwrap();
    let json = common::run_json(store.path(), &["analyze", clip.to_str().unwrap(), "--json"]);
    let id = json["session"].as_str().unwrap().to_string();
    let tracks = emotrace::Store::open(store.path()).unwrap().open_session(&id).unwrap().tracks().unwrap();
    (store, id, tracks)
}

#[test]
fn a_person_who_comes_back_is_one_face_and_two_people_stay_two() {
    // One woman, an empty room for 3 s, the same woman again: two tracks joined automatically.
    let Some(clip) = reid_clip("wolfgang-gap-wolfgang.mp4") else { return };
    let (store, id, tracks) = analyzed_tracks(&clip);
    assert_eq!(tracks.len(), 2, "{tracks:?}");
    assert_eq!(tracks[1].merged_into, Some(1), "{tracks:?}");
    let d = tracks[1].auto_merge_distance.expect("marked automatic");
    assert!(d < DEFAULT_THRESHOLD, "{d}");
    let session = &common::sessions(store.path())[0];
    assert_eq!((session["tracks"].as_u64(), session["merged_tracks"].as_u64()), (Some(2), Some(1)));
    // The report says how many people and that the join was automatic.
    let out = store.path().join("r.html");
    common::run(store.path(), &["report", &id, "--out", out.to_str().unwrap()]);
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains("1 track joined automatically"), "the report does not say so");
    assert!(html.contains("1 (tracks: 2, 1 merged into others)"), "the report's count of faces");

    // The woman, then a man: two faces.
    let (_store, _, tracks) = analyzed_tracks(&reid_clip("wolfgang-gap-single.mp4").unwrap());
    assert_eq!(tracks.len(), 2, "{tracks:?}");
    assert!(tracks.iter().all(|t| t.merged_into.is_none()), "{tracks:?}");

    // The man who leaves (face_noface.mov), then enters (noface_face.mov): the same man in the same room in both
    // clips (looked at), so one face.
    let (_store, _, tracks) = analyzed_tracks(&reid_clip("man-gap-man.mp4").unwrap());
    assert_eq!(tracks.len(), 2, "{tracks:?}");
    assert_eq!(tracks[1].merged_into, Some(1), "{tracks:?}");
}

/// Where a box centre of the classroom clip at `ms` of video is in the Solvay photo: `make_classroom_clip.sh`
/// pads the photo by (467, 182) to 2600x1500, crops 2400x1350 at (100 + 20 t, 75 + 8 t) (ffmpeg stops the crop at
/// the padded edge: x from 5 s on, y from 9.4 s) and scales by 0.8.
fn photo_point(x: f32, y: f32, ms: u64) -> (f32, f32) {
    let t = ms as f32 / 1000.0;
    let (x0, y0) = ((100.0 + 20.0 * t).min(200.0), (75.0 + 8.0 * t).min(150.0));
    (x / 0.8 + x0 - 467.0, y / 0.8 + y0 - 182.0)
}

#[test]
fn a_class_hidden_for_two_seconds_comes_back_as_the_same_faces() {
    // The 1080p classroom clip with all 29 faces covered from 4 s to 6 s. The same clip without the covers gives 31
    // tracks (29 people, and two tracks YuNet makes there without anyone leaving); here every face that comes back
    // joins its own earlier track, so the count of faces is the same, and no join puts two places of the photo
    // together.
    let Some(clip) = reid_clip("classroom-hidden-1080p.mp4") else { return };
    let (store, id, tracks) = analyzed_tracks(&clip);
    let people = tracks.iter().filter(|t| t.merged_into.is_none()).count();
    let joins = tracks.iter().filter(|t| t.merged_into.is_some()).count();
    eprintln!("{} tracks, {joins} joined automatically: {people} faces", tracks.len());
    assert!(joins >= 29, "{joins} joins");
    assert!(people <= 31, "{people} faces");
    // Each track's mean position in the photo.
    let mut at: std::collections::BTreeMap<u32, (f32, f32, f32)> = Default::default();
    for o in common::observations(store.path(), &id) {
        let (cx, cy) = o.bbox.center();
        let (px, py) = photo_point(cx, cy, o.timestamp_ms);
        let e = at.entry(o.track_id).or_default();
        *e = (e.0 + px, e.1 + py, e.2 + 1.0);
    }
    for t in tracks.iter().filter(|t| t.merged_into.is_some()) {
        let (a, b) = (at[&t.id], at[&t.merged_into.unwrap()]);
        let (ax, ay, bx, by) = (a.0 / a.2, a.1 / a.2, b.0 / b.2, b.1 / b.2);
        let off = ((ax - bx).powi(2) + (ay - by).powi(2)).sqrt();
        // Faces of the photo are about 46 px wide and at least as far apart.
        assert!(off < 15.0, "track {} joined to {} is {off:.0} px away in the photo", t.id, t.merged_into.unwrap());
    }
}
