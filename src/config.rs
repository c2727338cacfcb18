//! Typed configuration: `config/default.toml` (compiled in), then a user file, then command-line flags.
//!
//! Loaded with `figment`; unknown keys and wrong types are errors that name the file, the line and the key, in
//! our words (not the loader's), and values out of range name the file, the key and the allowed range.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use figment::providers::{Format, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

use crate::classify::ModelKind;
use crate::detect::DetectConfig;
use crate::fmt::one_line;
use crate::pipeline::PipelineOptions;
use crate::track::TrackerConfig;

/// The documented default configuration, exactly as shipped in `config/default.toml`.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

/// `[models]`: where model files live.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelsConfig {
    /// Folder with the model files; empty means "search" (see [`Config::models_dir`]).
    pub dir: PathBuf,
}

/// `[classify]`: emotion model choice and smoothing.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassifyConfig {
    /// Which network classifies faces.
    pub model: ModelKind,
    /// Half-life of the per-track exponential smoothing, seconds (0 = off).
    pub smoothing_half_life_s: f64,
    /// Live sources: each face is classified at least this many times per second, however many faces there are.
    pub min_rate_hz: f64,
}

/// `[reid]`: re-identification of faces that leave and come back within a session (issue 21).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReidTable {
    /// Join a new track to an earlier face when their descriptors are near (video files, streams, cameras).
    pub enabled: bool,
    /// Largest distance between two faces' mean descriptors (dlib's Euclidean metric) at which a new track joins
    /// an earlier face.
    pub threshold: f64,
    /// Descriptors taken from each new track's best frames before it is compared.
    pub samples: usize,
}

impl Default for ReidTable {
    fn default() -> Self {
        let d = crate::face::reid::ReidConfig::default();
        ReidTable { enabled: true, threshold: d.threshold as f64, samples: d.samples }
    }
}

/// `[pipeline]`: channels and statistics.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineConfig {
    /// Capacity in frames of the bounded channels between stages (file sources).
    pub channel_capacity: usize,
    /// Window in seconds for FPS and latency percentiles.
    pub stats_window_s: f64,
}

/// `[store]`: where sessions are kept.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// Store folder; empty means `$EMOTRACE_STORE` or the XDG data directory.
    pub dir: PathBuf,
}

/// `[camera]`: default camera and requested format.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraConfig {
    /// Camera index as listed by `emotrace devices`.
    pub index: u32,
    /// Requested width in pixels (0 = camera default).
    pub width: u32,
    /// Requested height in pixels (0 = camera default).
    pub height: u32,
    /// Requested frame rate in frames per second (0 = camera default).
    pub fps: u32,
}

/// `[lrs]`: the Learning Record Store `emotrace send` posts xAPI statements to. The password itself is never
/// written here: `password_file` names a file that holds it; `EMOTRACE_LRS_USER` and `EMOTRACE_LRS_PASSWORD` win
/// over both keys, and `--lrs` over `url`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LrsConfig {
    /// The LRS's xAPI endpoint (statements are posted to `URL/statements`); empty: `send` needs `--lrs`.
    pub url: String,
    /// The Basic-authentication user name; empty: unset.
    pub user: String,
    /// A file whose first line is the password (keep it readable by its owner only); empty: unset.
    pub password_file: PathBuf,
}

/// `[tui]`: screen settings, read by the live and review screens (`tui`); kept here so that the configuration
/// knows nothing of the screen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TuiConfig {
    /// Refresh cap, redraws per second (FPS); 0 is read as 1. Default 4 (light enough for SSH: about 1.3 KB/s at
    /// 80x24 with one face).
    pub ui_fps: u32,
    /// Span of each face's sparkline, seconds of source time. Default 60.
    #[serde(alias = "history_seconds")]
    pub history_s: f64,
    /// ASCII-only drawing: no Unicode box, block or braille characters. Default false.
    pub ascii: bool,
    /// Colours; false draws in monochrome. `NO_COLOR` in the environment also turns them off. Default true.
    pub color: bool,
    /// A face not seen for this many seconds (source time) is greyed. Default 2. (The older names `stale_seconds`,
    /// `history_seconds` and `forget_seconds` are read as aliases of the three `_s` keys.)
    #[serde(alias = "stale_seconds")]
    pub stale_s: f64,
    /// A face not seen for this many seconds (source time) is removed from the screen. Default 10.
    #[serde(alias = "forget_seconds")]
    pub forget_s: f64,
    /// Show the frame preview (half-block picture with the face boxes) at start; `v` toggles it. Default false.
    pub preview: bool,
    /// Labels of the quick markers sent by keys `1`..`9`, in order (at most 9 are used). Default
    /// `["stimulus", "break", "question", "task start", "task end"]`.
    pub marker_labels: Vec<String>,
    /// Span of the "recent" row of the class strip, seconds of source time. Default 120.
    pub class_window_s: f64,
}

impl Default for TuiConfig {
    /// The `[tui]` table of the shipped `config/default.toml` ([`DEFAULT_TOML`]): the defaults are written there
    /// only, with their comments. A key missing there, or the table, is a bug of the shipped file and panics (the
    /// tests of this module read it).
    fn default() -> Self {
        let table: toml::Table = DEFAULT_TOML.parse().expect("config/default.toml is TOML");
        let tui = table.get("tui").cloned().expect("config/default.toml has a [tui] table");
        TuiConfigAllKeys::deserialize(tui).unwrap_or_else(|e| panic!("config/default.toml, [tui]: {e}"))
    }
}

/// [`TuiConfig`] with every key required: how [`TuiConfig::default`] reads the shipped table (the struct's own
/// `#[serde(default)]` would ask `Default` for the keys a table leaves out, and so call itself). Names and types
/// only, no values.
#[derive(Deserialize)]
#[serde(remote = "TuiConfig", deny_unknown_fields)]
struct TuiConfigAllKeys {
    ui_fps: u32,
    #[serde(alias = "history_seconds")]
    history_s: f64,
    ascii: bool,
    color: bool,
    #[serde(alias = "stale_seconds")]
    stale_s: f64,
    #[serde(alias = "forget_seconds")]
    forget_s: f64,
    preview: bool,
    marker_labels: Vec<String>,
    class_window_s: f64,
}

impl TuiConfig {
    /// Minimum time between two draws (from [`TuiConfig::ui_fps`], at most 1 s).
    pub fn frame_interval(&self) -> Duration {
        Duration::from_secs_f64(1.0 / f64::from(self.ui_fps.clamp(1, 1000)))
    }
}

/// The whole configuration.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub models: ModelsConfig,
    pub detect: DetectConfig,
    pub track: TrackerConfig,
    pub classify: ClassifyConfig,
    /// `[reid]` (a table added after the first sessions were stored: missing means the defaults).
    #[serde(default)]
    pub reid: ReidTable,
    pub pipeline: PipelineConfig,
    pub store: StoreConfig,
    pub camera: CameraConfig,
    #[serde(default)]
    pub tui: TuiConfig,
    /// `[lrs]`: the Learning Record Store of `send` (optional table).
    #[serde(default)]
    pub lrs: LrsConfig,
}

/// Largest configuration file read, bytes (the documented template is about 10 KB).
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

impl Config {
    /// The pipeline options this configuration gives for a file read at full speed: models from
    /// [`Config::models_dir`], the `[detect]`, `[track]`, `[classify]` and `[pipeline]` tables; detection on every
    /// frame, no pacing, no loop, no pixels kept. Change the fields for a live run (`realtime`, `keep_images`) or a
    /// detection schedule (`detect_every`).
    pub fn pipeline_options(&self) -> PipelineOptions {
        PipelineOptions {
            models_dir: self.models_dir(),
            detect: self.detect.clone(),
            detect_every: None,
            every_frame: false,
            start_frame: 0,
            first_track_id: 1,
            track: self.track.clone(),
            model: self.classify.model,
            smoothing_half_life_s: self.classify.smoothing_half_life_s,
            min_classify_hz: self.classify.min_rate_hz,
            channel_capacity: self.pipeline.channel_capacity,
            stats_window_s: self.pipeline.stats_window_s,
            realtime: false,
            looped: false,
            keep_images: false,
            reid: self.reid.enabled.then(|| crate::face::reid::ReidConfig {
                threshold: self.reid.threshold as f32,
                samples: self.reid.samples,
                ..Default::default()
            }),
        }
    }

    /// Loads the defaults, then `user_file` if given (it must exist), else `$XDG_CONFIG_HOME/emotrace/config.toml`
    /// if that exists.
    ///
    /// Errors: the user file is missing, is not TOML (the message names the file, the line and column, and what is
    /// wrong), has an unknown key or a value of the wrong type (the file, the line and the key), or a value out of
    /// range (the file, the key, the value and the allowed range).
    pub fn load(user_file: Option<&Path>) -> anyhow::Result<Config> {
        let mut fig = Figment::from(Toml::string(DEFAULT_TOML));
        let mut user_text = String::new();
        let user = match user_file {
            Some(p) => {
                anyhow::ensure!(p.is_file(), "{}: configuration file not found", p.display());
                Some(p.to_path_buf())
            }
            None => directories::ProjectDirs::from("", "", "emotrace")
                .map(|d| d.config_dir().join("config.toml"))
                .filter(|p| p.is_file()),
        };
        if let Some(p) = &user {
            // Read it ourselves so that a syntax error names the file. A configuration is a few kilobytes: a huge
            // file is refused before it is read (a 7 MB one of 500,000 tables took 1.4 GB to reject).
            let size = std::fs::metadata(p).with_context(|| format!("{}: cannot read", p.display()))?.len();
            anyhow::ensure!(
                size <= MAX_CONFIG_BYTES,
                "{}: {size} bytes is too large for a configuration file (at most {MAX_CONFIG_BYTES})",
                p.display()
            );
            let bytes = std::fs::read(p).with_context(|| format!("{}: cannot read", p.display()))?;
            let text = String::from_utf8(bytes).map_err(|e| {
                let at = e.utf8_error().valid_up_to();
                let ok = std::str::from_utf8(&e.as_bytes()[..at]).unwrap_or_default();
                let byte = e.as_bytes()[at];
                anyhow::anyhow!("{}: {}: not UTF-8 text (byte 0x{byte:02x})", p.display(), line_column(ok, at))
            })?;
            match text.parse::<toml::Table>() {
                Err(e) => {
                    let at = e.span().map(|s| format!(" {}:", line_column(&text, s.start))).unwrap_or_default();
                    let what: Vec<&str> = e.message().lines().map(str::trim).filter(|l| !l.is_empty()).collect();
                    anyhow::bail!("{}:{at} invalid TOML: {}", p.display(), what.join("; "));
                }
                Ok(table) => {
                    if let Some((path, v)) = float_out_of_range(&table, &mut Vec::new()) {
                        let line = key_line(&text, &path).map(|l| format!(" line {l}:")).unwrap_or_default();
                        anyhow::bail!(
                            "{}:{line} `{}` = {v:e} is out of range (no setting takes a number beyond {:e})",
                            p.display(),
                            path.join("."),
                            f32::MAX
                        );
                    }
                }
            }
            user_text = text.clone();
            fig = fig.merge(Toml::string(&text));
        }
        let cfg: Config = fig.extract().map_err(|e| {
            let at = user.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "configuration".into());
            anyhow::anyhow!("{at}: {}", describe(&e, &user_text))
        })?;
        if let Err(e) = cfg.validate() {
            let at = user.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "configuration".into());
            anyhow::bail!("{at}: {}", one_line(format!("{e:#}")));
        }
        Ok(cfg)
    }

    /// The models folder: `[models] dir`, else `$EMOTRACE_MODELS`, else `./models`, else an installed package's
    /// `share/emotrace/models` beside the binary's `bin/` (the .deb: `/usr/bin/emotrace` reads
    /// `/usr/share/emotrace/models`), else the `models/` folder of the source checkout this binary was built from.
    pub fn models_dir(&self) -> PathBuf {
        if !self.models.dir.as_os_str().is_empty() {
            return self.models.dir.clone();
        }
        if let Some(d) = std::env::var_os("EMOTRACE_MODELS") {
            return PathBuf::from(d);
        }
        let local = PathBuf::from("models");
        if local.join(crate::detect::yunet::YUNET_MODEL_FILE).is_file() {
            return local;
        }
        let installed = std::env::current_exe()
            .ok()
            .and_then(|exe| Some(exe.parent()?.parent()?.join("share/emotrace/models")))
            .filter(|d| d.join(crate::detect::yunet::YUNET_MODEL_FILE).is_file());
        installed.unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/models")))
    }

    /// The store folder: `flag` (from `--store` or `$EMOTRACE_STORE`), else `[store] dir`, else the XDG data
    /// directory (`~/.local/share/emotrace`).
    ///
    /// Errors: no home directory to derive the default from.
    pub fn store_dir(&self, flag: Option<&Path>) -> anyhow::Result<PathBuf> {
        if let Some(p) = flag {
            return Ok(p.to_path_buf());
        }
        if !self.store.dir.as_os_str().is_empty() {
            return Ok(self.store.dir.clone());
        }
        directories::ProjectDirs::from("", "", "emotrace")
            .map(|d| d.data_dir().to_path_buf())
            .context("no home directory: give the store folder with --store DIR or EMOTRACE_STORE")
    }
}

/// Checks one number of a section: finite (no NaN or infinity) and inside `ok`; else one line,
/// "`section.key` must be ALLOWED, got VALUE" (the style of the detector's and tracker's own checks).
fn check(section: &str, key: &str, value: f64, ok: impl Fn(f64) -> bool, allowed: &str) -> anyhow::Result<()> {
    anyhow::ensure!(value.is_finite() && ok(value), "{section}.{key} must be {allowed}, got {}", shown(value));
    Ok(())
}

/// A value as an error message shows it: as written for ordinary numbers, in exponent form (`1e300`) from 1e15
/// on, where the plain form runs to hundreds of digits.
fn shown(value: f64) -> String {
    if value.is_finite() && value.abs() >= 1e15 {
        format!("{value:e}")
    } else {
        format!("{value}")
    }
}

/// The first float in `table` (depth first, keys in order) beyond `f32::MAX` in size, with its key path:
/// settings are read as 32- or 64-bit numbers, and a 32-bit one would silently become infinite.
fn float_out_of_range(table: &toml::Table, path: &mut Vec<String>) -> Option<(Vec<String>, f64)> {
    for (key, value) in table {
        path.push(key.clone());
        let found = match value {
            toml::Value::Float(v) if v.is_finite() && v.abs() > f64::from(f32::MAX) => Some((path.clone(), *v)),
            toml::Value::Table(t) => float_out_of_range(t, path),
            _ => None,
        };
        path.pop();
        if found.is_some() {
            return found;
        }
    }
    None
}

/// `[detect]`: the detector's keys ([`DetectConfig::validate`], which building a detector runs too).
///
/// Errors: the first key out of range, named with its value and the allowed range.
pub fn check_detect(c: &DetectConfig) -> anyhow::Result<()> {
    c.validate()
}

/// `[track]`: the tracker's keys ([`TrackerConfig::validate`], which starting a pipeline runs too).
///
/// Errors: the first key out of range, named with its value and the allowed range.
pub fn check_track(c: &TrackerConfig) -> anyhow::Result<()> {
    c.validate()
}

/// `[classify]`: smoothing and the live classification rate.
///
/// Errors: the first key out of range, named with its value and the allowed range.
pub fn check_classify(c: &ClassifyConfig) -> anyhow::Result<()> {
    let s = "classify";
    let half_life = c.smoothing_half_life_s;
    check(s, "smoothing_half_life_s", half_life, |v| (0.0..=3600.0).contains(&v), "0 (off) to 3600 seconds")?;
    check(s, "min_rate_hz", c.min_rate_hz, |v| v > 0.0 && v <= 1000.0, "greater than 0, at most 1000 per second")
}

/// `[reid]`: the join threshold and the descriptors per track.
///
/// Errors: the first key out of range, named with its value and the allowed range.
pub fn check_reid(c: &ReidTable) -> anyhow::Result<()> {
    let s = "reid";
    check(s, "threshold", c.threshold, |v| v > 0.0 && v <= 2.0, "greater than 0, at most 2")?;
    check(s, "samples", c.samples as f64, |v| (1.0..=16.0).contains(&v), "1 to 16")
}

/// `[pipeline]`: channel sizes and statistics.
///
/// Errors: the first key out of range, named with its value and the allowed range.
pub fn check_pipeline(c: &PipelineConfig) -> anyhow::Result<()> {
    let s = "pipeline";
    check(s, "channel_capacity", c.channel_capacity as f64, |v| (1.0..=256.0).contains(&v), "1 to 256 frames")?;
    check(s, "stats_window_s", c.stats_window_s, |v| v > 0.0 && v <= 3600.0, "greater than 0, at most 3600 seconds")
}

/// `[camera]`: the requested capture format.
///
/// Errors: the first key out of range, named with its value and the allowed range.
pub fn check_camera(c: &CameraConfig) -> anyhow::Result<()> {
    let s = "camera";
    check(s, "width", c.width as f64, |v| v <= 16384.0, "0 (camera default) to 16384 pixels")?;
    check(s, "height", c.height as f64, |v| v <= 16384.0, "0 (camera default) to 16384 pixels")?;
    check(s, "fps", c.fps as f64, |v| v <= 1000.0, "0 (camera default) to 1000")
}

/// `[tui]`: the screen's keys.
///
/// Errors: the first key out of range, named with its value and the allowed range.
pub fn check_tui(c: &TuiConfig) -> anyhow::Result<()> {
    let s = "tui";
    let seconds = |v: f64| v > 0.0 && v <= 86400.0;
    let in_seconds = "greater than 0, at most 86400 seconds";
    check(s, "ui_fps", c.ui_fps as f64, |v| (1.0..=120.0).contains(&v), "1 to 120 redraws per second")?;
    check(s, "history_s", c.history_s, seconds, in_seconds)?;
    check(s, "stale_s", c.stale_s, seconds, in_seconds)?;
    check(s, "forget_s", c.forget_s, seconds, in_seconds)?;
    check(s, "class_window_s", c.class_window_s, seconds, in_seconds)?;
    check(s, "marker_labels", c.marker_labels.len() as f64, |v| v <= 9.0, "at most 9 labels (keys 1 to 9)")
}

impl Config {
    /// Checks every section's values, one function per section ([`check_detect`], [`check_track`],
    /// [`check_classify`], [`check_reid`], [`check_pipeline`], [`check_camera`], [`check_tui`]): a new key slots into its
    /// section's function.
    ///
    /// Errors: the first value out of range, one line naming its key, its value and the allowed range.
    pub fn validate(&self) -> anyhow::Result<()> {
        check_detect(&self.detect)?;
        check_track(&self.track)?;
        check_classify(&self.classify)?;
        check_reid(&self.reid)?;
        check_pipeline(&self.pipeline)?;
        check_camera(&self.camera)?;
        check_tui(&self.tui)
    }
}

/// "line L, column C" of byte offset `at` in `text` (both from 1; the column counts characters).
fn line_column(text: &str, at: usize) -> String {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("line {line}, column {column}")
}

/// The line (from 1) in the TOML `text` where the key at `path` (table names, then the key) is written; the
/// deepest part of the path found when the rest is not there; `None` when not even its first table is.
fn key_line(text: &str, path: &[String]) -> Option<usize> {
    let doc = toml_edit::ImDocument::parse(text).ok()?;
    let mut table: &dyn toml_edit::TableLike = doc.as_table();
    let mut at = None;
    for key in path {
        let Some((k, item)) = table.get_key_value(key) else { break };
        at = k.span().or_else(|| item.span()).map(|s| s.start).or(at);
        match item.as_table_like() {
            Some(t) => table = t,
            None => break,
        }
    }
    at.map(|at| text[..at.min(text.len())].matches('\n').count() + 1)
}

/// One line for the loader's first error, in our words: the line of the user file it is on (when the key is
/// written there), the key, and what is wrong ("unknown key", "wrong type: found ..., expected ...").
fn describe(e: &figment::Error, user_text: &str) -> String {
    use figment::error::Kind;
    let e = e.clone().into_iter().next().unwrap_or_else(|| e.clone());
    let mut path = e.path.clone();
    let what = match &e.kind {
        Kind::UnknownField(found, expected) => {
            if path.last() != Some(found) {
                path.push(found.clone());
            }
            format!("unknown key (the keys here: {})", expected.join(", "))
        }
        Kind::InvalidType(found, expected) => format!("wrong type: found {found}, expected {expected}"),
        Kind::InvalidValue(found, expected) => format!("invalid value {found}, expected {expected}"),
        Kind::UnknownVariant(found, expected) => {
            format!("unknown value `{found}` (expected one of: {})", expected.join(", "))
        }
        Kind::MissingField(key) => {
            path.push(key.to_string());
            "missing".to_string()
        }
        other => other.to_string(),
    };
    let line = key_line(user_text, &path).map(|l| format!("line {l}: ")).unwrap_or_default();
    let key = if path.is_empty() { String::new() } else { format!("`{}`: ", path.join(".")) };
    one_line(format!("{line}{key}{what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_defaults_parse_and_a_bad_key_names_the_file() {
        let cfg = Config::load(None).unwrap();
        assert_eq!(cfg.classify.model, ModelKind::Ensemble);
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "[detect]\nscael = 0.5\n").unwrap();
        let err = Config::load(Some(&bad)).unwrap_err().to_string();
        assert!(err.contains("bad.toml") && err.contains("scael"), "{err}");
        std::fs::write(&bad, "[detect\n").unwrap();
        let err = Config::load(Some(&bad)).unwrap_err().to_string();
        assert!(err.contains("invalid TOML"), "{err}");
    }

    #[test]
    fn the_screen_defaults_are_the_shipped_tui_table_key_for_key() {
        let shipped: toml::Table = DEFAULT_TOML.parse().unwrap();
        let tui = toml::Value::try_from(TuiConfig::default()).unwrap();
        assert_eq!(&tui, &shipped["tui"]);
        // A partial [tui] table takes the rest from the same file.
        let partial: TuiConfig = toml::from_str("ui_fps = 9").unwrap();
        assert_eq!(TuiConfig { ui_fps: 9, ..TuiConfig::default() }, partial);
        // The keys' older names (before they took `_s` like every other key) are still read.
        let old: TuiConfig =
            toml::from_str("history_seconds = 30.0\nstale_seconds = 3.0\nforget_seconds = 20.0").unwrap();
        assert_eq!((old.history_s, old.stale_s, old.forget_s), (30.0, 3.0, 20.0));
        assert!(toml::from_str::<TuiConfig>("stale_s = 1.0\nstale_seconds = 2.0").is_err(), "both names: refused");
    }

    #[test]
    fn values_out_of_range_are_refused_naming_file_key_value_and_range() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("range.toml");
        for (text, key, value) in [
            ("[pipeline]\nchannel_capacity = 1000000000000\n", "pipeline.channel_capacity", "1000000000000"),
            ("[detect.yunet]\nscore_threshold = nan\n", "detect.yunet.score_threshold", "NaN"),
            ("[detect.seeta]\nscore_threshold = nan\n", "detect.seeta.score_threshold", "NaN"),
            ("[classify]\nsmoothing_half_life_s = -1.0\n", "classify.smoothing_half_life_s", "-1"),
            ("[classify]\nsmoothing_half_life_s = nan\n", "classify.smoothing_half_life_s", "NaN"),
            ("[pipeline]\nstats_window_s = 0.0\n", "pipeline.stats_window_s", "0"),
            ("[pipeline]\nstats_window_s = nan\n", "pipeline.stats_window_s", "NaN"),
            ("[track]\nmax_age_s = nan\n", "track.max_age_s", "NaN"),
            ("[track]\niou_threshold = inf\n", "track.iou_threshold", "inf"),
            ("[tui]\nui_fps = 0\n", "tui.ui_fps", "0"),
            // Issue 25, item 3: a thread count with no bound spawned 11,000 threads and ignored SIGTERM.
            ("[detect]\nthreads = 100000\n", "detect.threads", "100000"),
            ("[detect]\nthreads = 9223372036854775807\n", "detect.threads", "9223372036854775807"),
            ("[detect.yunet]\ntop_k = 9223372036854775807\n", "detect.yunet.top_k", "9223372036854775807"),
        ] {
            std::fs::write(&file, text).unwrap();
            let err = Config::load(Some(&file)).unwrap_err().to_string();
            assert!(err.starts_with(&format!("{}: {key} must be ", file.display())), "{err}");
            assert!(err.ends_with(&format!("got {value}")) && !err.contains('\n'), "{err}");
        }
        Config::load(None).unwrap().validate().unwrap();
        // Issue 25, item 13: 1e308 in a 32-bit key read as "inf", 1e300 in a 64-bit one printed 301 digits, and
        // a file that is not UTF-8 had no line number.
        std::fs::write(&file, "[detect]\nscale = 1e308\n").unwrap();
        let err = Config::load(Some(&file)).unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("detect.scale") && err.contains("1e308"), "{err}");
        std::fs::write(&file, "[tui]\nhistory_s = 1e30\n").unwrap();
        let err = Config::load(Some(&file)).unwrap_err().to_string();
        assert!(err.ends_with("got 1e30"), "{err}");
        std::fs::write(&file, b"[detect]\nscale = 0.5 # caf\xe9\n").unwrap();
        let err = Config::load(Some(&file)).unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("not UTF-8") && err.contains("0xe9"), "{err}");
    }

    #[test]
    fn a_configuration_file_over_a_megabyte_is_refused_before_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("huge.toml");
        std::fs::write(&file, "[tui]\n".repeat(300_000)).unwrap();
        let err = Config::load(Some(&file)).unwrap_err().to_string();
        assert!(err.contains("too large for a configuration file") && err.contains("huge.toml"), "{err}");
    }
}
