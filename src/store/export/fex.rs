//! py-feat export: a CSV in the layout of py-feat's `Fex` data frame, to analyse emotrace sessions with py-feat
//! (`feat.utils.io.read_feat` / `Fex(pd.read_csv(..))`).
//!
//! Columns ([`FEX_COLUMNS`]): `frame` (frame index in the source), `FaceRectX`, `FaceRectY`, `FaceRectWidth`,
//! `FaceRectHeight` (face box, pixels of the source frame), `FaceScore` (detector score; emotrace's detector gives
//! an unbounded score, not py-feat's `[0, 1]` confidence), then the seven emotions under py-feat's names `anger`,
//! `disgust`, `fear`, `happiness`, `sadness`, `surprise`, `neutral`, then `track_id` and `timestamp_ms` (ms since
//! session start), which py-feat ignores, and `valence` (FaceReader's valence of emotrace's *smoothed*
//! probabilities, `[-1, 1]`, see [`crate::analytics::valence`]).
//!
//! The emotion columns are the classifier's **raw per-frame** probabilities, not emotrace's smoothed ones: py-feat's
//! own emotion columns are per-frame model outputs, and smoothing over time is left to the analysis. One row per
//! observation: a frame with two faces has two rows with the same `frame`, as in py-feat.

use std::io::Write;

use super::SessionExport;

/// Header of the Fex CSV; the first 13 columns are py-feat's.
pub const FEX_COLUMNS: [&str; 16] = [
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
    "track_id",
    "timestamp_ms",
    "valence",
];

/// Writes the Fex CSV (header, then one row per observation in frame order) to `out`.
///
/// Errors: `out` cannot be written.
pub fn write(data: &SessionExport, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut w = ::csv::Writer::from_writer(out);
    w.write_record(FEX_COLUMNS)?;
    let mut row: Vec<String> = Vec::with_capacity(FEX_COLUMNS.len());
    for o in &data.observations {
        row.clear();
        row.push(o.frame_index.to_string());
        for v in [o.bbox.x, o.bbox.y, o.bbox.w, o.bbox.h, o.score] {
            row.push(v.to_string());
        }
        // FER2013 order is py-feat's order: anger, disgust, fear, happiness, sadness, surprise, neutral.
        row.extend(o.raw.iter().map(f32::to_string));
        row.push(o.track_id.to_string());
        row.push(o.timestamp_ms.to_string());
        row.push(crate::analytics::valence::valence(&o.smoothed).to_string());
        w.write_record(&row)?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::export::tests::sample_export;

    /// Valence of the sample's smoothed probabilities (happy 0.1 minus the strongest negative 0.1).
    const VALENCE: &str = "0";

    #[test]
    fn rows_carry_the_raw_probabilities_under_py_feat_names() {
        let data = sample_export("P07", "stimulus");
        let mut buf = Vec::new();
        write(&data, &mut buf).unwrap();
        let mut r = ::csv::Reader::from_reader(buf.as_slice());
        assert_eq!(r.headers().unwrap().iter().collect::<Vec<_>>(), FEX_COLUMNS);
        let rows: Vec<::csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 8);
        let last = rows.last().unwrap().iter().collect::<Vec<_>>();
        assert_eq!(
            last,
            [
                "4", "-1.5", "20.25", "100", "110", "7.5", "0.05", "0.05", "0.1", "0.5", "0.1", "0.1", "0.1", "2",
                "160", VALENCE
            ]
        );
    }
}
