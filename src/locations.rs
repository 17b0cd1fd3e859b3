//! Where reelforge finds its files when no flag says: the Whisper models, the vision models,
//! the cache and the assets. Every default path and every environment variable that moves
//! one is resolved here, in one place. The library reads no environment itself: the binary
//! (and the tests) hand [`Locations::from_env`] a lookup.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::model::{self, ModelError};

/// Moves the Whisper model.
pub const MODEL_ENV: &str = "REELFORGE_MODEL";
/// Moves the multilingual Whisper model (songs not in English).
pub const MULTILINGUAL_MODEL_ENV: &str = "REELFORGE_MULTILINGUAL_MODEL";
/// Moves the vision models' folder.
pub const VISION_MODELS_ENV: &str = "REELFORGE_VISION_MODELS";
/// Moves the cache of transcripts and cut-outs.
pub const CACHE_ENV: &str = "REELFORGE_CACHE";
/// Moves the assets folder (templates, fonts, caption data).
pub const ASSETS_ENV: &str = "REELFORGE_ASSETS";
/// Set (to anything) to keep whisper.cpp's own log on standard error.
pub const WHISPER_LOG_ENV: &str = "REELFORGE_WHISPER_LOG";

/// Where a model path came from, for messages and `--version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Flag,
    Env,
    Default,
}

/// The environment's say on where files are; what it leaves out takes the default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Locations {
    model: Option<PathBuf>,
    multilingual_model: Option<PathBuf>,
    vision_models: Option<PathBuf>,
    cache: Option<PathBuf>,
    assets: Option<PathBuf>,
    /// whisper.cpp's own log stays on standard error.
    pub whisper_log: bool,
}

impl Locations {
    /// The locations an environment gives; `var` looks a variable up (the binary passes
    /// `std::env::var_os`). An empty variable counts as unset.
    pub fn from_env(var: impl Fn(&str) -> Option<OsString>) -> Locations {
        let path = |name: &str| var(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        Locations {
            model: path(MODEL_ENV),
            multilingual_model: path(MULTILINGUAL_MODEL_ENV),
            vision_models: path(VISION_MODELS_ENV),
            cache: path(CACHE_ENV),
            assets: path(ASSETS_ENV),
            whisper_log: var(WHISPER_LOG_ENV).is_some(),
        }
    }

    /// The Whisper model: the explicit one, else `$REELFORGE_MODEL`, else
    /// [`model::default_path`]. It may not exist.
    pub fn model(&self, explicit: Option<&Path>) -> (PathBuf, Origin) {
        match (explicit, &self.model) {
            (Some(p), _) => (p.to_path_buf(), Origin::Flag),
            (None, Some(p)) => (p.clone(), Origin::Env),
            (None, None) => (model::default_path(), Origin::Default),
        }
    }

    /// Like [`Locations::model`], but the file must exist.
    pub fn existing_model(&self, explicit: Option<&Path>) -> Result<PathBuf, ModelError> {
        let (path, _) = self.model(explicit);
        if path.is_file() {
            Ok(path)
        } else {
            Err(ModelError::NotFound { path })
        }
    }

    /// The multilingual model: the explicit one, else `$REELFORGE_MULTILINGUAL_MODEL`, else
    /// its conventional name in the models folder. It may not exist.
    pub fn multilingual_model(&self, explicit: Option<&Path>) -> PathBuf {
        explicit
            .map(Path::to_path_buf)
            .or_else(|| self.multilingual_model.clone())
            .unwrap_or_else(|| {
                model::models_dir().join(crate::transcribe::language::MULTILINGUAL_MODEL_NAME)
            })
    }

    /// The vision models' folder: the explicit one, else `$REELFORGE_VISION_MODELS`, else the
    /// folder of the default Whisper model.
    pub fn vision_models(&self, explicit: Option<&Path>) -> PathBuf {
        explicit
            .map(Path::to_path_buf)
            .or_else(|| self.vision_models.clone())
            .unwrap_or_else(model::models_dir)
    }

    /// The cache folder: the explicit one, else `$REELFORGE_CACHE`, else
    /// `$XDG_CACHE_HOME/reelforge` (`~/.cache/reelforge`).
    pub fn cache(&self, explicit: Option<&Path>) -> PathBuf {
        explicit
            .map(Path::to_path_buf)
            .or_else(|| self.cache.clone())
            .unwrap_or_else(|| {
                directories::BaseDirs::new()
                    .map(|d| d.cache_dir().to_path_buf())
                    .unwrap_or_else(std::env::temp_dir)
                    .join("reelforge")
            })
    }

    /// The assets folder: the explicit one, else `$REELFORGE_ASSETS`, else the one shipped
    /// beside the program ([`crate::template::bundled_assets_dir`]).
    pub fn assets(&self, explicit: Option<&Path>) -> PathBuf {
        explicit
            .map(Path::to_path_buf)
            .or_else(|| self.assets.clone())
            .unwrap_or_else(crate::template::bundled_assets_dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Locations {
        let pairs: Vec<(String, OsString)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        Locations::from_env(|name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn a_flag_beats_the_environment_which_beats_the_default() {
        let l = env(&[(MODEL_ENV, "/env/model.bin")]);
        assert_eq!(
            l.model(Some(Path::new("/flag.bin"))),
            (PathBuf::from("/flag.bin"), Origin::Flag)
        );
        assert_eq!(
            l.model(None),
            (PathBuf::from("/env/model.bin"), Origin::Env)
        );
        let (path, origin) = env(&[]).model(None);
        assert_eq!(origin, Origin::Default);
        assert_eq!(path, model::default_path());
    }

    #[test]
    fn an_empty_variable_counts_as_unset() {
        let l = env(&[(CACHE_ENV, ""), (VISION_MODELS_ENV, ""), (ASSETS_ENV, "")]);
        assert_eq!(l, Locations::default());
        assert_eq!(l.vision_models(None), model::models_dir());
    }

    #[test]
    fn each_variable_moves_its_own_folder() {
        let l = env(&[
            (CACHE_ENV, "/c"),
            (VISION_MODELS_ENV, "/v"),
            (ASSETS_ENV, "/a"),
            (MULTILINGUAL_MODEL_ENV, "/m.bin"),
            (WHISPER_LOG_ENV, ""),
        ]);
        assert_eq!(l.cache(None), PathBuf::from("/c"));
        assert_eq!(l.vision_models(None), PathBuf::from("/v"));
        assert_eq!(l.assets(None), PathBuf::from("/a"));
        assert_eq!(l.multilingual_model(None), PathBuf::from("/m.bin"));
        assert!(l.whisper_log, "set, even empty");
        assert_eq!(l.cache(Some(Path::new("/x"))), PathBuf::from("/x"));
    }
}
