//! How fast a long session opens for review: a synthetic hour with 30 faces at 30 FPS (3.24 million observations,
//! written once through the store API into a temporary store), then
//! - `open_timeline`: `Store::open` + `open_session` + `timeline()` (the per-second totals);
//! - `buckets_200_columns`: the on-screen buckets of a 200-column timeline across the hour;
//! - `summarize`: the summaries (time shares, segments between markers, largest changes);
//! - `open_and_draw_160x48`: what `emotrace review ID` does before its first frame: open the session, load it
//!   into the review screen and draw one full frame of 160x48 cells (ratatui `TestBackend`);
//! - `draw_160x48`: one more frame of the screen already open.
//!
//! The very first open after recording is slower (sled replays its log and writes a snapshot); it can only be
//! taken once per built session, so it is measured once and printed before the criterion cases.
//!
//! `cargo bench --bench review_open`; `EMOTRACE_BENCH_MINUTES=10` for a shorter session.

#[path = "../tests/it/common/synthetic.rs"]
mod synthetic;

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use emotrace::analytics::segments::summarize;
use emotrace::store::Store;
use emotrace::tui::review::{render, ReviewApp};
use emotrace::tui::Theme;
use ratatui::backend::TestBackend;
use ratatui::layout::Size;
use ratatui::Terminal;

/// Timeline columns of a wide screen.
const COLUMNS: usize = 200;

fn draw(app: &mut ReviewApp, theme: &Theme) {
    let mut t = Terminal::new(TestBackend::new(160, 48)).expect("test terminal");
    // As the event loop does: what the frame shows is read first, then drawn.
    render::prepare(app, Size::new(160, 48));
    t.draw(|f| render::draw(f, app, theme)).expect("draw");
    black_box(t.backend().buffer());
}

/// Times `f` per iteration, dropping what it returns (closing the session) outside the timed part, since the
/// next iteration can open the session only once the previous one has let go of it.
fn timed<T>(iters: u64, dir: &Path, id: &str, f: impl Fn(&Path, &str) -> T) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let t = Instant::now();
        let out = f(dir, id);
        total += t.elapsed();
        drop(out);
    }
    total
}

fn bench(c: &mut Criterion) {
    let minutes = std::env::var("EMOTRACE_BENCH_MINUTES").ok().and_then(|m| m.parse().ok()).unwrap_or(60);
    let tmp = tempfile::tempdir().expect("temporary store");
    let dir = tmp.path();
    let built = Instant::now();
    let id = synthetic::build_session(&Store::open(dir).expect("store"), minutes, 30, 30);
    eprintln!("built {minutes} min x 30 faces x 30 FPS in {:.1} s", built.elapsed().as_secs_f64());
    let first = Instant::now();
    let reader = Store::open(dir).and_then(|s| s.open_session(&id)).expect("open");
    let timeline = reader.timeline().expect("timeline");
    eprintln!("first open + timeline after recording: {:.1} ms", first.elapsed().as_secs_f64() * 1000.0);
    let markers: Vec<(u64, String)> =
        reader.annotations().expect("annotations").into_iter().map(|a| (a.start_ms, a.label)).collect();
    drop(reader);

    let mut g = c.benchmark_group("review_open");
    g.sample_size(20).measurement_time(Duration::from_secs(6));
    g.bench_function("open_timeline", |b| {
        b.iter_custom(|n| {
            timed(n, dir, &id, |dir, id| {
                let reader = Store::open(dir).and_then(|s| s.open_session(id)).expect("open");
                let timeline = reader.timeline().expect("timeline");
                (reader, timeline)
            })
        })
    });
    let bucket_ms = timeline.span_ms().div_ceil(COLUMNS as u64);
    g.bench_function("buckets_200_columns", |b| b.iter(|| black_box(timeline.buckets(0, bucket_ms, COLUMNS))));
    g.bench_function("summarize", |b| b.iter(|| black_box(summarize(&timeline, &markers, 10))));
    let theme = Theme::new(true, false);
    g.bench_function("open_and_draw_160x48", |b| {
        b.iter_custom(|n| {
            timed(n, dir, &id, |dir, id| {
                let reader = Store::open(dir).and_then(|s| s.open_session(id)).expect("open");
                let mut app = ReviewApp::open(reader).expect("review");
                draw(&mut app, &theme);
                app
            })
        })
    });
    let mut app = ReviewApp::open(Store::open(dir).and_then(|s| s.open_session(&id)).expect("open")).expect("review");
    g.bench_function("draw_160x48", |b| b.iter(|| draw(&mut app, &theme)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
