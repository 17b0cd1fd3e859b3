//! Captions (stage 5 and the caption layer of stage 6): writing the text from the clip's lyrics,
//! the artist's notes and the template's caption guide ([`text`]), placing it on the frame with
//! the hosted pipeline's rules ([`layout`]) and rasterising it ([`render`]).

pub(crate) mod layout;
pub(crate) mod render;
pub(crate) mod text;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use layout::{layout, layout_clear_of, CaptionLayout};
pub use render::{render_caption, render_caption_filled, word_spans, CaptionFont, CaptionLayer};
pub use text::{
    check_data, clean_text, write_caption, CaptionContext, CaptionDataError, PhraseDeal,
};

/// A template's caption voice: which set of sentence frames (`assets/captions/voices/`) its
/// captions lean on. Declared by the template's caption guide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Voice {
    /// Intimate and plain, like a note to a friend.
    #[default]
    Soft,
    /// Loud and live, a crowd anthem.
    Bold,
    /// Polished, a release announcement.
    Editorial,
    /// A record collector talking about a find.
    Crate,
}

impl Voice {
    pub const ALL: [Voice; 4] = [Voice::Soft, Voice::Bold, Voice::Editorial, Voice::Crate];

    pub fn as_str(self) -> &'static str {
        match self {
            Voice::Soft => "soft",
            Voice::Bold => "bold",
            Voice::Editorial => "editorial",
            Voice::Crate => "crate",
        }
    }
}

/// How long a caption should be. Word counts: none → no caption; short ≤ 10; medium 15–30 in one
/// or two sentences; long 40–80, a small story.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CaptionLength {
    #[default]
    None,
    Short,
    Medium,
    Long,
}

impl CaptionLength {
    pub const ALL: [CaptionLength; 4] = [
        CaptionLength::None,
        CaptionLength::Short,
        CaptionLength::Medium,
        CaptionLength::Long,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaptionLength::None => "none",
            CaptionLength::Short => "short",
            CaptionLength::Medium => "medium",
            CaptionLength::Long => "long",
        }
    }

    /// Inclusive word-count range a caption of this length keeps to.
    pub fn word_range(self) -> (usize, usize) {
        match self {
            CaptionLength::None => (0, 0),
            CaptionLength::Short => (1, 10),
            CaptionLength::Medium => (15, 30),
            CaptionLength::Long => (40, 80),
        }
    }
}

impl fmt::Display for CaptionLength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CaptionLength {
    type Err = CaptionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        CaptionLength::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| CaptionError::BadLength(s.to_string()))
    }
}

/// Errors of the caption stage.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CaptionError {
    #[error("invalid caption_length {0:?}: expected one of none, short, medium, long")]
    BadLength(String),

    #[error("{}: cannot read the font: {source}", path.display())]
    FontIo {
        path: PathBuf,
        #[source]
        source: Arc<std::io::Error>,
    },

    #[error("{}: not a TrueType or OpenType font", path.display())]
    FontInvalid { path: PathBuf },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caption_length_parses_and_serialises() {
        for l in CaptionLength::ALL {
            assert_eq!(l.as_str().parse::<CaptionLength>().unwrap(), l);
            assert_eq!(serde_json::to_string(&l).unwrap(), format!("\"{l}\""));
            let back: CaptionLength = serde_json::from_str(&format!("\"{l}\"")).unwrap();
            assert_eq!(back, l);
        }
        assert_eq!(
            " Short ".parse::<CaptionLength>().unwrap(),
            CaptionLength::Short
        );
        let err = "huge".parse::<CaptionLength>().unwrap_err().to_string();
        assert!(err.contains("none, short, medium, long"), "{err}");
        assert!(serde_json::from_str::<CaptionLength>("\"Short\"").is_err());
        assert_eq!(CaptionLength::default(), CaptionLength::None);
    }
}
