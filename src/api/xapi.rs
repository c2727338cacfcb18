//! A stored session as xAPI (Experience API 1.0.3) statements for a school's Learning Record Store: what
//! `emotrace export SESSION --format xapi` writes and `emotrace send SESSION --lrs URL` posts.
//!
//! The statements are about the class, never a person: the actor is always a pseudonymous Group (an account
//! named by `--group`, under [`ACCOUNT_HOMEPAGE`]) with no members; no face, track, name or box appears. For one
//! session they are, in this order:
//!
//! 1. the session: the class `attended` the lecture (the session as an activity of type lesson), with the
//!    session's length as `result.duration` and the class figures in `result.extensions`;
//! 2. each segment between markers (the first one starts at 0, labelled `start`): the class `experienced` the
//!    segment, with its length, emotion shares, valence and attention;
//! 3. each marker: the class `experienced` the marker (its label as the activity's name) at its time.
//!
//! Extensions are keyed by IRIs under [`IRI`] (`docs/xapi.md` lists them): `emotion-shares` (share of face-frames
//! per dominant emotion, the seven FER2013 class names as keys, each in `[0, 1]`), `valence` (`[-1, 1]`, FaceReader's
//! definition, of the mean smoothed probabilities), `attention` (share of judged face-frames facing the front,
//! `[0, 1]`, or absent when none could be judged), `faces` (the session's usual number of faces in view), `start-ms`
//! and `end-ms` (ms since the session start), `session` (the emotrace session id).
//!
//! Statement ids are UUID v5 of the session id and what the statement is about (the segment's bounds and label,
//! the marker's id, time and label) under a namespace of the project's, so the same session sent twice gives the same
//! ids and the LRS stores each statement once; a marker added or edited later gives new statements beside the
//! old ones (xAPI statements are never changed).

use chrono::{DateTime, Duration, FixedOffset, SecondsFormat};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::analytics::segments::Segment;
use crate::analytics::session_view::SessionOverview;
use crate::classify::{Emotion, NUM_EMOTIONS};
use crate::store::timeline::TrackAgg;

/// The project's IRI, under which its verbs, activity types and extensions are named.
pub const IRI: &str = "https://emotrace.invalid/xapi";

/// The home page of the class accounts (the Group actor's `account.homePage`).
pub const ACCOUNT_HOMEPAGE: &str = "https://emotrace.invalid/xapi/classes";

/// The xAPI version the statements follow (the `X-Experience-API-Version` header `send` sets).
pub const XAPI_VERSION: &str = "1.0.3";

/// ADL's verb for the session: the class attended the lecture.
pub const VERB_ATTENDED: &str = "http://adlnet.gov/expapi/verbs/attended";

/// ADL's verb for segments and markers: the class experienced them.
pub const VERB_EXPERIENCED: &str = "http://adlnet.gov/expapi/verbs/experienced";

/// ADL's activity type of the lecture.
pub const LESSON: &str = "http://adlnet.gov/expapi/activities/lesson";

/// The statements of one session, in order: the session, its segments, its markers.
///
/// `group` is the class's pseudonym (the Group actor's account name); it should name a class, never a person.
pub fn statements(o: &SessionOverview, group: &str) -> Vec<Value> {
    let view = &o.session;
    let record = &view.record;
    let id = &record.id;
    let started = record.started_at;
    let ns = namespace();
    let lecture = json!({
        "objectType": "Activity",
        "id": format!("{IRI}/sessions/{id}"),
        "definition": {
            "type": LESSON,
            "name": {"en": format!("lecture recorded {}", started.format("%Y-%m-%d %H:%M"))},
        },
    });
    let actor = json!({
        "objectType": "Group",
        "name": group,
        "account": {"homePage": ACCOUNT_HOMEPAGE, "name": group},
    });
    let registration = Uuid::new_v5(&ns, format!("{id}/registration").as_bytes()).to_string();
    let context = |parent: bool| {
        let mut c = json!({
            "registration": registration,
            "platform": "emotrace",
            "extensions": {ext("session"): id, ext("model"): record.models},
        });
        if parent {
            c["contextActivities"] = json!({"parent": [lecture.clone()]});
        }
        c
    };
    let statement =
        |key: String, verb: (&str, &str), object: Value, at_ms: u64, result: Option<Value>, parent: bool| {
            let mut s = json!({
                "id": Uuid::new_v5(&ns, key.as_bytes()).to_string(),
                "actor": actor,
                "verb": {"id": verb.0, "display": {"en": verb.1}},
                "object": object,
                "context": context(parent),
                "timestamp": timestamp(started, at_ms),
                "version": XAPI_VERSION,
            });
            if let Some(r) = result {
                s["result"] = r;
            }
            s
        };

    let length_ms = o.span_ms().min(view.length_ms());
    let whole = view.summary.class;
    let facing = o.room.facing_total().share();
    let mut session_ext = figures(&whole, crate::analytics::valence::of_agg(&whole), facing);
    session_ext.insert(ext("faces"), json!(round(o.usual_faces, 2)));
    session_ext.insert(ext("end-ms"), json!(length_ms));
    let mut out = vec![statement(
        format!("{id}/session"),
        (VERB_ATTENDED, "attended"),
        lecture.clone(),
        0,
        Some(json!({"duration": duration(length_ms), "extensions": session_ext})),
        false,
    )];

    for seg in &view.summary.segments {
        let (valence, facing) = o.segment_figures(seg);
        // The axis ends on a bucket boundary; the session, and so its last segment, at its last frame.
        let seg = &Segment { end_ms: seg.end_ms.min(length_ms), ..seg.clone() };
        let mut e = figures(&seg.class, valence, facing);
        e.insert(ext("start-ms"), json!(seg.start_ms));
        e.insert(ext("end-ms"), json!(seg.end_ms));
        out.push(statement(
            format!("{id}/segment/{}-{}/{}", seg.start_ms, seg.end_ms, seg.label),
            (VERB_EXPERIENCED, "experienced"),
            segment_activity(id, seg),
            seg.start_ms,
            Some(json!({"duration": duration(seg.end_ms.saturating_sub(seg.start_ms)), "extensions": e})),
            true,
        ));
    }

    for m in view.markers() {
        let object = json!({
            "objectType": "Activity",
            "id": format!("{IRI}/sessions/{id}/markers/{}", m.id),
            "definition": {"type": format!("{IRI}/activities/marker"), "name": {"en": m.label}},
        });
        let mut s = statement(
            format!("{id}/marker/{}/{}/{}", m.id, m.start_ms, m.label),
            (VERB_EXPERIENCED, "experienced"),
            object,
            m.start_ms,
            None,
            true,
        );
        s["context"]["extensions"][ext("start-ms")] = json!(m.start_ms);
        out.push(s);
    }
    out
}

/// The project's UUID namespace for statement ids: UUID v5 of [`IRI`] in the URL namespace.
pub fn namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, IRI.as_bytes())
}

/// An extension's IRI.
fn ext(name: &str) -> String {
    format!("{IRI}/extensions/{name}")
}

/// The activity of a segment: its bounds in its id, its label and times in its name.
fn segment_activity(id: &str, seg: &Segment) -> Value {
    json!({
        "objectType": "Activity",
        "id": format!("{IRI}/sessions/{id}/segments/{}-{}", seg.start_ms, seg.end_ms),
        "definition": {
            "type": format!("{IRI}/activities/segment"),
            "name": {"en": format!(
                "{} ({}-{})",
                seg.label,
                crate::fmt::clock(seg.start_ms),
                crate::fmt::clock(seg.end_ms)
            )},
        },
    })
}

/// The class figures of a stretch: emotion shares (when it has face-frames), valence and attention (when known).
fn figures(class: &TrackAgg, valence: Option<f32>, attention: Option<f32>) -> Map<String, Value> {
    let mut e = Map::new();
    if class.frames > 0 {
        let share = class.share();
        let shares: Map<String, Value> =
            (0..NUM_EMOTIONS).map(|i| (Emotion::NAMES[i].to_string(), json!(round(share[i], 4)))).collect();
        e.insert(ext("emotion-shares"), Value::Object(shares));
    }
    if let Some(v) = valence {
        e.insert(ext("valence"), json!(round(v, 4)));
    }
    if let Some(a) = attention {
        e.insert(ext("attention"), json!(round(a, 4)));
    }
    e
}

/// `v` rounded to `places` decimals, as a JSON number (so that the same session gives the same text).
fn round(v: f32, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (f64::from(v) * f).round() / f
}

/// An ISO 8601 duration with hundredths of a second, as xAPI asks (`PT1M2.35S` is written `PT62.35S`).
pub fn duration(ms: u64) -> String {
    format!("PT{}.{:02}S", ms / 1000, (ms % 1000) / 10)
}

/// The wall-clock time `ms` after `start`, RFC 3339 with milliseconds.
fn timestamp(start: DateTime<FixedOffset>, ms: u64) -> String {
    let at = start + Duration::milliseconds(i64::try_from(ms).unwrap_or(i64::MAX / 2));
    at.to_rfc3339_opts(SecondsFormat::Millis, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_ids_are_stable() {
        assert_eq!(duration(62_357), "PT62.35S");
        assert_eq!(duration(5), "PT0.00S");
        // The namespace is fixed: statement ids must not change between versions, or a resend duplicates.
        assert_eq!(namespace(), Uuid::new_v5(&Uuid::NAMESPACE_URL, b"https://emotrace.invalid/xapi"));
        assert_eq!(namespace().get_version_num(), 5);
        let start = DateTime::parse_from_rfc3339("2026-12-07T08:00:00+01:00").unwrap();
        assert_eq!(timestamp(start, 1_500), "2026-12-07T08:00:01.500+01:00");
    }
}
