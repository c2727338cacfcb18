//! JSON export: the whole session as one object, `{"session": .., "tracks": [..], "annotations": [..],
//! "observations": [..]}` ([`SessionExport`] serialized), on one line followed by a newline.
//!
//! Times are ms since the session start (`session.started_at`, RFC 3339), boxes are pixels of the source frame,
//! probabilities are in FER2013 order (angry, disgust, fear, happy, sad, surprise, neutral). The object reads back
//! into a [`SessionExport`] with serde (floats round-trip exactly). Text is written as stored: JSON is not opened by
//! spreadsheets, so no formula escaping is applied.

use std::io::Write;

use super::SessionExport;

/// Writes `data` as one JSON object and a newline to `out`.
///
/// Errors: `out` cannot be written.
pub fn write(data: &SessionExport, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(out);
    serde_json::to_writer(&mut out, data)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

/// Reads an export written by [`write()`] back.
///
/// Errors: `text` is not such an object.
pub fn read(text: &[u8]) -> anyhow::Result<SessionExport> {
    Ok(serde_json::from_slice(text)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::export::tests::sample_export;

    #[test]
    fn an_export_reads_back_into_the_same_session() {
        let data = sample_export("P07", "stimulus");
        let mut buf = Vec::new();
        write(&data, &mut buf).unwrap();
        assert!(buf.ends_with(b"}\n") && buf.iter().filter(|&&b| b == b'\n').count() == 1);
        let back = read(&buf).unwrap();
        assert_eq!(back.observations, data.observations);
        assert_eq!(back.tracks, data.tracks);
        assert_eq!(back.annotations, data.annotations);
        assert_eq!(serde_json::to_value(&back.session).unwrap(), serde_json::to_value(&data.session).unwrap());
        let mut again = Vec::new();
        write(&back, &mut again).unwrap();
        assert_eq!(again, buf);
    }
}
