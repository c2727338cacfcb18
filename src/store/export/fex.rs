//! py-feat export: a CSV in the layout of py-feat's `Fex` data frame, to analyse emotrace sessions with py-feat
//! (`feat.utils.io.read_feat`, then `isc`, `emotions`, `facebox`, `inputs`, `downsample`, ...).
//!
//! Columns ([`FEX_COLUMNS`]): `frame` (frame index in the source), `FaceRectX`, `FaceRectY`, `FaceRectWidth`,
//! `FaceRectHeight` (face box, whole pixels of the source frame), `FaceScore` (detector confidence in `[0, 1]`,
//! [`super::face_score`]), the seven emotions under py-feat's names `anger`, `disgust`, `fear`, `happiness`,
//! `sadness`, `surprise`, `neutral`, `input` (the session's source: the video or image path, or the camera name,
//! as py-feat's detectors write it), then emotrace's own `track_id`, `timestamp_ms` (ms since session start),
//! `detector_score` (the detector's unmapped score), `track_name` (the face's name as given in review, else
//! "Face {id}"), `sampling_freq` (the source's nominal frame rate in Hz, the same on every row, empty when unknown:
//! py-feat's `Fex.sampling_freq`, which a CSV cannot carry as metadata; set it with
//! `fx.sampling_freq = fx["sampling_freq"].iloc[0]`), `box_source` ("detected" or "predicted"), `classified`
//! (whether the probabilities come from this frame), `valence` (FaceReader's valence of emotrace's *smoothed*
//! probabilities whatever `--smoothed` says, `[-1, 1]`, see [`crate::classify::valence`]; py-feat 2.1.5's
//! `read_feat` takes a file for `Detectorv2` output only when it has both `valence` and `arousal`, so this column
//! alone leaves the Detectorv1 reading and `emotions` as they are) and the five landmarks `right_eye_x` .. `mouth_left_y` (pixels;
//! empty without landmarks), which py-feat carries along. py-feat's own landmark columns (`x_0` .. `y_67`) are
//! the 68-point layout: `fx.landmarks` does not apply to these five points; select them by name.
//!
//! The emotion columns are the classifier's **raw per-frame** probabilities by default, as py-feat's own detectors
//! give them (smoothing over time is left to the analysis); with `--smoothed` they are emotrace's per-track
//! smoothed probabilities instead, those behind the CSV's `dominant_emotion` and the live screen. One row per
//! observation: a frame with two faces has two rows with the same `frame`, as in py-feat.
//!
//! With `--include-empty-frames` each processed frame without a face gets a row as py-feat writes one: `frame`,
//! `input`, `timestamp_ms` and `sampling_freq` filled, every face column empty (NaN once read).

use std::io::Write;

use super::{Result, SessionExport};

/// Header of the Fex CSV: py-feat's columns (box, score, emotions, `input`), then emotrace's.
pub const FEX_COLUMNS: [&str; 32] = super::with_shared_columns(FEX_HEAD);

/// The Fex table's own columns, before [`super::SHARED_COLUMNS`].
const FEX_HEAD: [&str; 19] = [
    "frame",
    "FaceRectX",
    "FaceRectY",
    "FaceRectWidth",
    "FaceRectHeight",
    "FaceScore",
    "anger",
    "disgust",
    "fear",
    "happiness",
    "sadness",
    "surprise",
    "neutral",
    "input",
    "track_id",
    "timestamp_ms",
    "detector_score",
    "track_name",
    "sampling_freq",
];

/// Writes the Fex CSV (header, then one row per observation in frame order, read one at a time) to `out`; the
/// emotion columns hold the smoothed probabilities when `smoothed`, else the raw ones. Returns the number of
/// observations written.
///
/// Errors: `out` cannot be written ([`super::ExportError::Csv`]); the session cannot be read
/// ([`super::ExportError::Store`]).
pub fn write(data: &SessionExport, smoothed: bool, out: &mut dyn Write) -> Result<u64> {
    let mut w = ::csv::Writer::from_writer(out);
    w.write_record(FEX_COLUMNS)?;
    let input = super::csv::spreadsheet_safe(&data.session.source).into_owned();
    let sampling_freq = super::frame_rate_cell(&data.session);
    let labels: std::collections::HashMap<u32, String> =
        data.track_labels().into_iter().map(|(id, l)| (id, super::csv::spreadsheet_safe(&l).into_owned())).collect();
    let mut row: Vec<String> = Vec::with_capacity(FEX_COLUMNS.len());
    let mut faces = 0;
    for r in data.rows()? {
        row.clear();
        let o = match r? {
            super::Row::Face(o) => o,
            super::Row::Empty(f) => {
                // py-feat's own rows for a frame without a face: the frame and input, every face column empty.
                row.push(f.frame_index.to_string());
                row.resize(13, String::new());
                row.push(input.clone());
                row.push(String::new());
                row.push(f.timestamp_ms.to_string());
                row.extend([String::new(), String::new(), sampling_freq.clone()]);
                row.resize(FEX_COLUMNS.len(), String::new());
                w.write_record(&row)?;
                continue;
            }
        };
        row.push(o.frame_index.to_string());
        row.extend(super::pixel_box(&o.bbox).iter().map(i32::to_string));
        row.push(data.face_score(&o).to_string());
        // FER2013 order is py-feat's order: anger, disgust, fear, happiness, sadness, surprise, neutral.
        let probs = if smoothed { &o.smoothed } else { &o.raw };
        row.extend(probs.iter().map(f32::to_string));
        row.push(input.clone());
        row.push(o.track_id.to_string());
        row.push(o.timestamp_ms.to_string());
        row.push(o.score.to_string());
        row.push(
            labels
                .get(&o.track_id)
                .cloned()
                .unwrap_or_else(|| super::csv::spreadsheet_safe(&data.track_label(o.track_id)).into_owned()),
        );
        row.push(sampling_freq.clone());
        row.push(o.box_source().to_string());
        row.push(o.classified.to_string());
        row.push(crate::classify::valence::valence(&o.smoothed).to_string());
        row.extend(super::landmark_cells(&o));
        debug_assert_eq!(row.len(), FEX_COLUMNS.len());
        w.write_record(&row)?;
        faces += 1;
    }
    w.flush()?;
    Ok(faces)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::export::tests::sample_export;

    fn rows(smoothed: bool) -> Vec<Vec<String>> {
        let data = sample_export("P07", "stimulus");
        let mut buf = Vec::new();
        write(&data, smoothed, &mut buf).unwrap();
        let mut r = ::csv::Reader::from_reader(buf.as_slice());
        assert_eq!(r.headers().unwrap().iter().collect::<Vec<_>>(), FEX_COLUMNS);
        r.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect()
    }

    #[test]
    fn rows_carry_raw_probabilities_under_py_feat_names_with_input_and_a_unit_face_score() {
        let rows = rows(false);
        assert_eq!(rows.len(), 8);
        // Score 7.5 from SeetaFace (the sample session's models name no detector): 1 / (1 + e^(-2.5/1.5)).
        let face_score = format!("{}", 1.0f32 / (1.0 + (-2.5f32 / 1.5).exp()));
        assert_eq!(
            rows.last().unwrap(),
            &[
                "4",
                "-2",
                "20",
                "100",
                "110",
                &face_score,
                "0.05",
                "0.05",
                "0.1",
                "0.5",
                "0.1",
                "0.1",
                "0.1",
                "recordings/x.mp4",
                "2",
                "160",
                "7.5",
                "P07",
                "25",
                "detected",
                "true",
                // Valence of the sample's smoothed probabilities (happy 0.1 minus the strongest negative 0.1).
                "0",
                "30",
                "50.5",
                "70",
                "50",
                "50",
                "70",
                "35",
                "90",
                "65",
                "90.25"
            ]
        );
    }

    #[test]
    fn the_landmark_columns_are_the_csv_ones() {
        let csv = crate::store::export::csv::OBSERVATION_COLUMNS;
        assert_eq!(FEX_COLUMNS[FEX_COLUMNS.len() - 12..], csv[csv.len() - 12..]);
    }

    #[test]
    fn smoothed_swaps_the_emotion_columns_only() {
        let (raw, smoothed) = (rows(false), rows(true));
        for (r, s) in raw.iter().zip(&smoothed) {
            assert_eq!(r[..6], s[..6]);
            assert_eq!(s[6..13], ["0.1", "0", "0.1", "0.1", "0.1", "0.1", "0.5"]);
            assert_eq!(r[13..], s[13..]);
        }
    }
}
