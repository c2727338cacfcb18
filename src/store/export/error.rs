//! The exports' error: one type whose variants say which part failed (reading the session, writing the output,
//! the CSV, JSON or Parquet encoder), as the store has [`StoreError`].
//!
//! Every variant displays as the error it wraps, so a message reads as it did before the type existed; the file
//! being written is named by the caller that opened it (`emotrace export` says "PATH: cannot write: ..."), since
//! an export only sees a [`std::io::Write`].

use crate::store::StoreError;

/// Why an export failed. `Display` is the wrapped error's own line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The session could not be read from the store (locked, damaged, ...).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The output could not be written.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The CSV writer failed (in practice: writing the output).
    #[error(transparent)]
    Csv(#[from] ::csv::Error),
    /// JSON encoding or decoding failed: writing the output, or (reading an export back) text that is not an
    /// export.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// The Parquet writer failed.
    #[error(transparent)]
    Parquet(#[from] ::parquet::errors::ParquetError),
    /// The spreadsheet could not be written (a sheet's temporary file, the workbook's assembly).
    #[error(transparent)]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// A batch of Parquet columns could not be assembled (columns that do not match the schema).
    #[error(transparent)]
    Arrow(#[from] arrow_schema::ArrowError),
}

impl ExportError {
    /// The kind of the I/O error underneath when the export failed writing its output (directly, or through the
    /// CSV or JSON writer); `None` for any other failure. Tells a reader that stopped early
    /// ([`std::io::ErrorKind::BrokenPipe`]) from a real failure.
    pub fn io_kind(&self) -> Option<std::io::ErrorKind> {
        match self {
            ExportError::Io(e) => Some(e.kind()),
            ExportError::Csv(e) => match e.kind() {
                ::csv::ErrorKind::Io(io) => Some(io.kind()),
                _ => None,
            },
            ExportError::Json(e) => e.io_error_kind(),
            _ => None,
        }
    }
}

/// `Result` with an [`ExportError`].
pub type Result<T, E = ExportError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Error, ErrorKind, Write};

    #[test]
    fn messages_are_the_wrapped_errors_and_io_kinds_are_found_through_the_writers() {
        let e = ExportError::from(Error::new(ErrorKind::BrokenPipe, "pipe closed"));
        assert_eq!(e.to_string(), "pipe closed");
        assert_eq!(e.io_kind(), Some(ErrorKind::BrokenPipe));

        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(Error::new(ErrorKind::StorageFull, "disk full"))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut w = ::csv::Writer::from_writer(Full);
        w.write_record(["a"]).unwrap();
        let csv = ExportError::from(w.flush().map_err(::csv::Error::from).unwrap_err());
        assert_eq!(csv.io_kind(), Some(ErrorKind::StorageFull));
        let json = ExportError::from(serde_json::to_writer(Full, &[1]).unwrap_err());
        assert_eq!(json.io_kind(), Some(ErrorKind::StorageFull));
        let not_json = ExportError::from(serde_json::from_str::<u8>("x").unwrap_err());
        assert_eq!(not_json.io_kind(), None);
    }
}
