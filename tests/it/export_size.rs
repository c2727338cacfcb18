//! Size and memory of the exports of a long session.
//!
//! - The synthetic hour with 30 faces at 30 FPS (3.24 million observations, `tests/it/common/synthetic.rs`) written
//!   to a store, exported by the binary as CSV, Fex, JSON and Parquet, every file measured, its rows counted and
//!   the export's peak memory (resident set) read from the kernel. Ignored by default (it writes about 2 GB and
//!   takes minutes); the README's figures come from
//!
//!   ```sh
//!   cargo test --release --test it export_size:: -- --ignored --nocapture
//!   ```
//!
//!   (`EMOTRACE_SYNTH_MINUTES=5` for a shorter run).
//! - Issue 25, item 11 (run by default): the exports stream and the store keeps a frame's observations under one
//!   key, so their peak memory does not grow with the session: an 8-minute and a 16-minute session (415,350 and
//!   843,750 observations) take the same memory to export in every streaming format. Before, an export held the
//!   whole session (about 0.5 KB per observation).

use crate::common;

use std::fs::File;

use common::synthetic::{build_session, Plan};
use common::*;
use emotrace::store::Store;
use parquet::file::reader::{FileReader, SerializedFileReader};

/// Runs `emotrace --store STORE ARGS...` (stdout and stderr discarded), and returns whether it succeeded and its
/// peak resident set in MiB as the kernel counted it (`ru_maxrss`). The binary is started by a small Python
/// process that waits for it and prints its children's `ru_maxrss`: a peak read by this test process for a child it
/// started itself would include this process's own memory (Linux keeps the high-water mark across the `vfork` and
/// `exec` that start a child), and this process builds sessions in memory.
fn run_peak_rss(store: &std::path::Path, args: &[&str]) -> (bool, f64) {
    const WAIT: &str = "import resource, subprocess, sys\n\
        r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n\
        print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)";
    let out = std::process::Command::new("python3")
        .args(["-c", WAIT, bin(), "--store"])
        .arg(store)
        .args(args)
        .output()
        .expect("run python3");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut fields = text.split_whitespace().map(|f| f.parse::<i64>().unwrap_or(-1));
    let (code, kib) = (fields.next().unwrap_or(-1), fields.next().unwrap_or(-1));
    assert!(kib > 0, "no peak memory read: {text} {}", String::from_utf8_lossy(&out.stderr));
    (code == 0, kib as f64 / 1024.0)
}

/// The streaming formats, with the file extension each is written to.
const STREAMING: [(&str, &str); 4] = [("csv", "csv"), ("fex", "csv"), ("json", "json"), ("parquet", "parquet")];

/// Issue 25, item 11: an export's peak memory does not grow with the session. A 16-minute session (twice the
/// observations of the 8-minute one: 843,750 against 415,350) exports in every streaming format with at most 6 MiB
/// more than the 8-minute one, under 100 MiB, and every observation written. Holding the whole session took about
/// 500 bytes per observation; with one database key per observation (schema 2), sled's bookkeeping of the pages
/// it opens still grew by 40-80 bytes per observation (8 to 16 minutes: 53.5 to 68.1 MiB as CSV); with one key
/// per frame (schema 3) and a descent per record, what remains is sled's page cache, which stops growing after a
/// few minutes (39.3 and 39.5 MiB). Memory is what the kernel counted, not a time: it holds at any machine load.
#[test]
fn exports_take_the_same_memory_for_a_session_twice_as_long() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let (short, long) = {
        let s = Store::open(&store).unwrap();
        (build_session(&s, 8, 30, 30), build_session(&s, 16, 30, 30))
    };
    let long_observations: u64 = (1..=30).map(|k| Plan::new(16, 30, 30).observations_of(k)).sum();
    for (format, ext) in STREAMING {
        let peak = |id: &str| {
            let out = dir.path().join(format!("{id}.{format}.{ext}"));
            let (ok, mib) = run_peak_rss(&store, &["export", id, "--format", format, "--out", out.to_str().unwrap()]);
            assert!(ok, "export --format {format} of {id} failed");
            (mib, out)
        };
        let (short_mib, short_out) = peak(&short);
        std::fs::remove_file(&short_out).unwrap();
        let (long_mib, long_out) = peak(&long);
        eprintln!("export --format {format}: peak RSS {short_mib:.1} MiB (8 min), {long_mib:.1} MiB (16 min)");
        assert!(
            long_mib - short_mib <= 6.0 && long_mib < 100.0,
            "--format {format}: {long_mib:.1} MiB for 16 minutes against {short_mib:.1} MiB for 8"
        );
        let rows = match format {
            "parquet" => {
                SerializedFileReader::new(File::open(&long_out).unwrap()).unwrap().metadata().file_metadata().num_rows()
                    as u64
            }
            "json" => {
                let v: serde_json::Value = serde_json::from_reader(File::open(&long_out).unwrap()).unwrap();
                v["observations"].as_array().unwrap().len() as u64
            }
            _ => csv::Reader::from_path(&long_out).unwrap().records().count() as u64,
        };
        assert_eq!(rows, long_observations, "--format {format}");
        std::fs::remove_file(&long_out).unwrap();
    }
}

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
    for (format, ext) in STREAMING {
        let path = dir.path().join(format!("hour.{format}.{ext}"));
        let started = std::time::Instant::now();
        let (ok, mib) = run_peak_rss(&store, &["export", &id, "--format", format, "--out", path.to_str().unwrap()]);
        assert!(ok, "export --format {format} failed");
        let size = std::fs::metadata(&path).unwrap().len() as f64 / (1024.0 * 1024.0);
        eprintln!(
            "export --format {format}: {:.1} s, peak RSS {mib:.1} MiB, {size:.1} MiB written",
            started.elapsed().as_secs_f64()
        );
        match format {
            "csv" => std::fs::rename(&path, &csv).unwrap(),
            "parquet" => std::fs::rename(&path, &parquet).unwrap(),
            _ => std::fs::remove_file(&path).unwrap(),
        }
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
