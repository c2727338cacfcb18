//! The teacher's view end to end, on sessions made from the bundled recordings with the real binary: valence on
//! posed expressions, facing the front and the seat map on the group photo, facing the front on a talk to the
//! camera, and `emotrace compare` on three sessions that share a marker label.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::*;
use emotrace::analytics::valence::{of_agg, valence};
use emotrace::report::ReportData;
use emotrace::store::{AnnotationKind, Store};

/// The shared store: (folder, session id per recording name).
fn store() -> &'static (PathBuf, Vec<(String, String)>) {
    static ONCE: OnceLock<(PathBuf, Vec<(String, String)>)> = OnceLock::new();
    ONCE.get_or_init(|| {
        let store = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("teacher-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&store);
        let mut ids = Vec::new();
        for name in
            ["WolfgangLanger_Pexels.mp4", "single_face.mp4", "multi_face.jpg", "0-f15-hao-ph.jpg", "15-f13-anc-ph.jpg"]
        {
            let v = run_json(&store, &["analyze", recording(name).to_str().unwrap(), "--json"]);
            ids.push((name.to_string(), v["session"].as_str().unwrap().to_string()));
        }
        // "quiz" in the two clips (labels compare case-blind), "break" in one.
        let s = Store::open(&store).unwrap();
        let mut w1 = s.open_session(&ids[0].1).unwrap();
        w1.annotate(AnnotationKind::Marker, 5_000, None, "quiz", None).unwrap();
        w1.annotate(AnnotationKind::Marker, 15_000, None, "break", None).unwrap();
        drop(w1);
        s.open_session(&ids[1].1).unwrap().annotate(AnnotationKind::Marker, 1_000, None, "Quiz", None).unwrap();
        (store, ids)
    })
}

fn id(name: &str) -> String {
    store().1.iter().find(|(n, _)| n == name).unwrap().1.clone()
}

fn data(name: &str) -> ReportData {
    let s = Store::open(&store().0).unwrap();
    let reader = s.open_session(&id(name)).unwrap();
    ReportData::load(&reader).unwrap()
}

#[test]
fn valence_is_positive_on_the_posed_happy_face_and_negative_on_the_angry_one() {
    let happy = data("0-f15-hao-ph.jpg");
    let angry = data("15-f13-anc-ph.jpg");
    let (h, a) = (of_agg(&happy.summary.class).unwrap(), of_agg(&angry.summary.class).unwrap());
    eprintln!("valence: happy photo {h:+.3}, angry photo {a:+.3}");
    assert!(h > 0.5, "happy: {h}");
    assert!(a < -0.2, "angry: {a}");
    // One face in one frame: the class valence is that frame's, from its smoothed probabilities.
    let s = Store::open(&store().0).unwrap();
    let obs = s.open_session(&id("0-f15-hao-ph.jpg")).unwrap().observations().unwrap();
    assert_eq!(obs.len(), 1);
    assert!((valence(&obs[0].smoothed) - h).abs() < 1e-5);
}

#[test]
fn the_group_photo_faces_the_front_and_its_seat_map_puts_each_face_where_it_is() {
    let d = data("multi_face.jpg");
    let facing = d.room.facing_total();
    assert_eq!((facing.judged, facing.facing), (5, 5), "five frontal faces");
    assert_eq!(d.room.frame, [1000.0, 667.0]);
    // Box centres of the five faces (onnxruntime's YuNet, tests/data/yunet_reference.json) as frame fractions.
    let want = [(0.477, 0.394), (0.363, 0.447), (0.737, 0.531), (0.582, 0.555), (0.261, 0.176)];
    assert_eq!(d.room.seats.len(), 5);
    for (x, y) in want {
        let near = d.room.seats.iter().find(|s| (s.x - x).abs() < 0.01 && (s.y - y).abs() < 0.01);
        assert!(near.is_some(), "no seat at ({x}, {y}): {:?}", d.room.seats);
    }
    let page = emotrace::report::render(&d).unwrap();
    assert!(page.contains("<figure id=\"seat-map\">"));
    assert!(page.contains("facing the front <b>100%</b> of 5"));
}

#[test]
fn a_talk_to_the_camera_mostly_faces_the_front() {
    let d = data("WolfgangLanger_Pexels.mp4");
    let facing = d.room.facing_total();
    let share = facing.share().unwrap();
    eprintln!("WolfgangLanger: facing {}/{} = {share:.3}, usual faces {}", facing.facing, facing.judged, d.usual_faces);
    assert!(facing.judged > 400, "{facing:?}");
    assert!(share > 0.9, "{facing:?}");
    assert_eq!(d.usual_faces, 1.0);
    let (f, p) = d.room_series();
    assert!(f.iter().flatten().all(|v| (0.0..=1.0).contains(v)));
    assert!(p.iter().flatten().all(|v| (*v - 1.0).abs() < 0.2), "{p:?}");
}

#[test]
fn compare_writes_three_sessions_with_the_shared_marker_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("weeks.html");
    let ids = [id("WolfgangLanger_Pexels.mp4"), id("single_face.mp4"), id("multi_face.jpg")];
    let r = run(&store().0, &["compare", &ids[0], &ids[1], &ids[2], "--out", out.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(r.status.success(), "{stderr}");
    assert!(stderr.contains("3 sessions (1 shared marker labels)"), "{stderr}");
    let page = std::fs::read_to_string(&out).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && !page.contains("<script"));
    assert_eq!(page.matches("<svg").count(), 4, "valence and facing, absolute and normalised");
    assert!(page.contains("<b>quiz</b>") && !page.contains("<b>break</b>"));
    for id in &ids {
        assert!(page.contains(id.as_str()), "{id}");
    }
    assert!(page.contains("Expressions are not inner states") && page.contains("macro-F1 0.666"));
    // One session is not a comparison: a one-line error.
    let one = run(&store().0, &["compare", &ids[0]]);
    assert!(!one.status.success());
    let unknown = run(&store().0, &["compare", &ids[0], "19990101"]);
    let err = String::from_utf8_lossy(&unknown.stderr);
    assert!(!unknown.status.success() && err.trim().lines().count() == 1, "{err}");
}
