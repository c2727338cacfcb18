//! Size of the exports of a long session: the synthetic hour with 30 faces at 30 FPS (3.24 million observations,
//! `tests/it/common/synthetic.rs`) written to a store, exported by the binary as CSV and as Parquet, both files
//! measured and their rows counted. Ignored by default (it writes about 1 GB and takes minutes); the README's
//! figures come from
//!
//! ```sh
//! cargo test --release --test it export_size:: -- --ignored --nocapture
//! ```
//!
//! (`EMOTRACE_SYNTH_MINUTES=5` for a shorter run).

use crate::common;

use std::fs::File;

use common::synthetic::{build_session, Plan};
use common::*;
use emotrace::store::Store;
use parquet::file::reader::{FileReader, SerializedFileReader};

#[test]
#[ignore = "writes an hour of 30 faces (about 1 GB of store and exports); run with --ignored for the README figures"]
fn parquet_of_an_hour_with_thirty_faces_is_a_fraction_of_the_csv() {
    let minutes = std::env::var("EMOTRACE_SYNTH_MINUTES").ok().and_then(|m| m.parse().ok()).unwrap_or(60);
    let plan = Plan::new(minutes, 30, 30);
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let id = build_session(&Store::open(&store).unwrap(), minutes, 30, 30);
    let observations: u64 = (1..=30).map(|k| plan.observations_of(k)).sum();

    let csv = dir.path().join("hour.csv");
    let parquet = dir.path().join("hour.parquet");
    for (format, path) in [("csv", &csv), ("parquet", &parquet)] {
        let started = std::time::Instant::now();
        let out = run(&store, &["export", &id, "--format", format, "--out", path.to_str().unwrap()]);
        assert!(out.status.success(), "{format}: {}", String::from_utf8_lossy(&out.stderr));
        eprintln!("export --format {format}: {:.1} s", started.elapsed().as_secs_f64());
    }
    let csv_rows = std::fs::read_to_string(&csv).unwrap().lines().count() as u64 - 1;
    let meta = SerializedFileReader::new(File::open(&parquet).unwrap()).unwrap();
    let parquet_rows = meta.metadata().file_metadata().num_rows() as u64;
    assert_eq!((csv_rows, parquet_rows), (observations, observations));

    let csv_bytes = std::fs::metadata(&csv).unwrap().len();
    let parquet_bytes = std::fs::metadata(&parquet).unwrap().len();
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    eprintln!(
        "{minutes} min x 30 faces x 30 FPS = {observations} observations: CSV {:.1} MiB ({:.1} B/row), Parquet \
         {:.1} MiB ({:.1} B/row), {:.1}x smaller",
        mib(csv_bytes),
        csv_bytes as f64 / observations as f64,
        mib(parquet_bytes),
        parquet_bytes as f64 / observations as f64,
        csv_bytes as f64 / parquet_bytes as f64
    );
    assert!(parquet_bytes * 3 < csv_bytes, "Parquet {parquet_bytes} B is not well under CSV {csv_bytes} B");
    if let Ok(keep) = std::env::var("EMOTRACE_KEEP_EXPORTS") {
        std::fs::copy(&csv, format!("{keep}/hour.csv")).unwrap();
        std::fs::copy(&parquet, format!("{keep}/hour.parquet")).unwrap();
    }
}
