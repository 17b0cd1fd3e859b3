//! Text helpers shared by the stages: word normalisation and word error rate.

mod wer;

pub use wer::{normalize_words, word_error_rate, WerCounts};
