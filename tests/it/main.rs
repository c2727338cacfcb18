//! The integration tests, one binary with a module per area (as large Rust projects keep them): candle, arrow
//! and parquet are linked once instead of once per file. Run one area with `cargo test --release --test it
//! AREA::` (e.g. `--test it sources::`). Helpers shared by all areas are in [`common`].

mod common;

mod analyze_batch;
mod analyze_cli;
mod analyze_schedule;
mod annotate_cli;
mod bad_input;
mod capture_camera;
mod capture_video;
mod classify_crop;
mod classify_eval;
mod classify_latency;
mod classify_ours;
mod classify_reference;
mod cli_conventions;
mod damaged_input;
mod detect_yunet;
mod export_cli;
mod export_size;
mod export_tools;
mod export_xlsx;
mod face_descriptor;
mod face_mesh;
mod face_reid;
mod hardening;
mod head_pose;
mod layering;
mod listen;
mod live_tmux;
mod report_cli;
mod report_print;
mod review_hour;
mod review_render;
mod review_tmux;
mod review_while_recording;
mod rtsp;
mod sources;
mod store_schemas;
mod teacher;
mod tui_live;
mod tui_render;
mod xapi;
