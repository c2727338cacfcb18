//! Typed configuration: `config/default.toml` (compiled in), then a user file, then command-line flags.
//!
//! Loaded with `figment`; unknown keys and wrong types are errors that name the key and the file.

use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::providers::{Format, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

use crate::classify::ModelKind;
use crate::detect::DetectConfig;
use crate::track::TrackerConfig;
use crate::tui::TuiConfig;

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

/// The whole configuration.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub models: ModelsConfig,
    pub detect: DetectConfig,
    pub track: TrackerConfig,
    pub classify: ClassifyConfig,
    pub pipeline: PipelineConfig,
    pub store: StoreConfig,
    pub camera: CameraConfig,
    #[serde(default)]
    pub tui: TuiConfig,
}

impl Config {
    /// Loads the defaults, then `user_file` if given (it must exist), else `$XDG_CONFIG_HOME/emotrace/config.toml`
    /// if that exists.
    ///
    /// Errors: the user file is missing, is not TOML, has an unknown key or a value of the wrong type (the
    /// message names the file and the key).
    pub fn load(user_file: Option<&Path>) -> anyhow::Result<Config> {
        let mut fig = Figment::from(Toml::string(DEFAULT_TOML));
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
            // Read it ourselves so that a syntax error names the file.
            let text = std::fs::read_to_string(p).with_context(|| format!("{}: cannot read", p.display()))?;
            text.parse::<toml::Table>()
                .map_err(|e| anyhow::anyhow!("{}: invalid TOML: {}", p.display(), one_line(&e.to_string())))?;
            fig = fig.merge(Toml::string(&text));
        }
        let cfg: Config = fig.extract().map_err(|e| {
            let at = user.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "configuration".into());
            anyhow::anyhow!("{at}: {}", one_line(&e.to_string()))
        })?;
        Ok(cfg)
    }

    /// The models folder: `[models] dir`, else `$EMOTRACE_MODELS`, else `./models`, else the `models/` folder of
    /// the source checkout this binary was built from.
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
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/models"))
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

/// Collapses a multi-line message to one line.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
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
}
