//! Songs to timed words with whisper.cpp (through whisper-rs).
//!
//! Songs are not speech: context is never carried between windows (it makes Whisper loop on a
//! chorus), and non-lyric tokens such as "[Music]" or "♪" are dropped.

pub mod cache;
pub mod language;
mod words;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use whisper_rs::{
    DtwMode, DtwModelPreset, DtwParameters, FullParams, SamplingStrategy, WhisperContext,
    WhisperContextParameters,
};

pub use language::Language;
pub use words::{is_non_lyric, Word};

use crate::audio::WHISPER_SAMPLE_RATE;
use crate::model::ModelError;

#[derive(Debug, thiserror::Error)]
pub enum TranscribeError {
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("whisper failed on {what}: {reason}")]
    Whisper { what: String, reason: String },
}

impl TranscribeError {
    /// Whether the input is at fault: only ever the model given.
    pub fn is_bad_input(&self) -> bool {
        matches!(self, TranscribeError::Model(m) if m.is_bad_input())
    }
}

/// One stretch of lyrics as Whisper segmented it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub start: f64,
    pub end: f64,
    pub text: String,
}

/// The shape of the hosted transcribe endpoint, plus word timings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transcript {
    /// The language sung, as a Whisper code: the one asked for, or the one detected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub full_lyrics: String,
    pub segments: Vec<Segment>,
    pub words: Vec<Word>,
}

/// How word times are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Timing {
    /// Dynamic time warping over the model's alignment heads.
    Dtw,
    /// whisper.cpp's per-token timestamp heuristic.
    Tokens,
}

#[derive(Debug, Clone)]
pub struct Options {
    /// Threads whisper.cpp may use.
    pub threads: usize,
    pub timing: Timing,
    /// None: English on an English-only model, detected on a multilingual one.
    pub language: Option<Language>,
}

impl Options {
    /// What whisper.cpp is told for a model that is or is not multilingual.
    fn language_for(&self, multilingual: bool) -> Language {
        match &self.language {
            _ if !multilingual => Language::ENGLISH,
            Some(l) => l.clone(),
            None => Language::Detect,
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            threads: default_threads(),
            timing: Timing::Dtw,
            language: None,
        }
    }
}

/// One thread per core but one, at most 8 (where whisper.cpp stops scaling on small models).
///
/// A core is left free because whisper.cpp's threads wait for each other at every step. On 2
/// cores shared with other busy processes, 2 threads took 1.4 s per second of audio (0.04 s
/// idle) while 1 thread took 0.13 s (0.06 s idle); a render node always has other work.
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .saturating_sub(1)
        .clamp(1, 8)
}

/// whisper.cpp's DTW times trail the sung onset: on songs built line by line with known times
/// they came 0.36 s late on average (0.22–0.53 s, tiny.en). Subtracting this centres them.
const DTW_LAG_SECONDS: f64 = 0.3;

/// Whisper invents speech over instrumentals ("The end of the video is very important.") with a
/// telltale mix: a raised no-speech probability and unsure tokens. Measured on the fixtures: real
/// lyric segments had mean token probability 0.78–0.99 and no-speech 0.16–0.34; an invented one
/// over a synth chord had 0.58 and 0.48. Sung lines over a busy backing can be unsure too: on a
/// synthesised song real lines had 0.62–0.65 at no-speech 0.42, so the bar sits between.
fn likely_invented(no_speech: f32, token_probs: &[f32]) -> bool {
    if token_probs.is_empty() {
        return true;
    }
    let mean = token_probs.iter().sum::<f32>() / token_probs.len() as f32;
    mean < 0.45 || (mean < 0.6 && no_speech > 0.45)
}

/// Which of the two decodings to run. whisper.cpp cannot time words by DTW with flash
/// attention on, and flash attention changes which words come out, so a song whose words are
/// shown as heard is decoded twice: once for its words, once for their times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// Word times ([`Options::timing`]), non-speech tokens suppressed: allowing them moved
    /// DTW's first word of a song 1.4 s before the sung onset.
    Timing,
    /// The words, decoded exactly as whisper-cli decodes them by default (flash attention,
    /// non-speech tokens allowed); its token times are coarse.
    Words,
}

/// A loaded model, ready to transcribe. Cheap to share across threads.
pub struct Transcriber {
    /// Without flash attention, with DTW when [`Options::timing`] asks for it.
    ctx: WhisperContext,
    /// With flash attention, for [`Pass::Words`]; loaded the first time it is needed.
    words_ctx: std::sync::OnceLock<Result<WhisperContext, String>>,
    path: PathBuf,
    options: Options,
}

static KEEP_WHISPER_LOG: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Keeps whisper.cpp's own log on standard error (call before the first model loads).
pub fn keep_whisper_log() {
    KEEP_WHISPER_LOG.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Silences whisper.cpp's own logging unless [`keep_whisper_log`] was called.
fn quiet_whisper() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if !KEEP_WHISPER_LOG.load(std::sync::atomic::Ordering::Relaxed) {
            whisper_rs::install_logging_hooks();
        }
    });
}

/// The alignment heads whisper.cpp knows for a model of this size and language set.
fn dtw_preset(h: &crate::model::Hparams) -> Option<DtwModelPreset> {
    use DtwModelPreset::*;
    Some(match (h.size_name(), h.is_multilingual()) {
        ("tiny", false) => TinyEn,
        ("tiny", true) => Tiny,
        ("base", false) => BaseEn,
        ("base", true) => Base,
        ("small", false) => SmallEn,
        ("small", true) => Small,
        ("medium", false) => MediumEn,
        ("medium", true) => Medium,
        _ => return None,
    })
}

impl Transcriber {
    /// Loads a ggml model after checking its structure (a bad file gets our error message, not
    /// a crash inside whisper.cpp).
    pub fn load(path: &Path, options: Options) -> Result<Transcriber, TranscribeError> {
        quiet_whisper();
        let summary = crate::model::inspect_file(path)?;
        if let Some(l) = options.language.as_ref().filter(|l| !l.is_english()) {
            if !summary.hparams.is_multilingual() {
                return Err(ModelError::NotMultilingual {
                    language: l.to_string(),
                    path: path.to_path_buf(),
                }
                .into());
            }
        }
        let dtw = (options.timing == Timing::Dtw).then(|| match dtw_preset(&summary.hparams) {
            Some(model_preset) => DtwMode::ModelPreset { model_preset },
            None => DtwMode::TopMost {
                n_top: summary.hparams.n_text_layer.max(1),
            },
        });
        let ctx = context(path, dtw, false).map_err(|reason| ModelError::Load {
            path: path.to_path_buf(),
            reason,
        })?;
        Ok(Transcriber {
            ctx,
            words_ctx: std::sync::OnceLock::new(),
            path: path.to_path_buf(),
            options,
        })
    }

    pub fn model_path(&self) -> &Path {
        &self.path
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Transcribes 16 kHz mono samples with one [`Pass`]. `what` names the audio in errors.
    pub fn transcribe(
        &self,
        samples: &[f32],
        what: &str,
        pass: Pass,
    ) -> Result<Transcript, TranscribeError> {
        let fail = |reason: String| TranscribeError::Whisper {
            what: what.to_string(),
            reason,
        };
        // Whisper pads to 30 s windows; under a second there is nothing to sing.
        if samples.len() < WHISPER_SAMPLE_RATE as usize {
            return Ok(Transcript::default());
        }
        let ctx = match pass {
            Pass::Timing => &self.ctx,
            Pass::Words => self
                .words_ctx
                .get_or_init(|| context(&self.path, None, true))
                .as_ref()
                .map_err(|reason| ModelError::Load {
                    path: self.path.clone(),
                    reason: reason.clone(),
                })?,
        };
        let mut state = ctx.create_state().map_err(|e| fail(e.to_string()))?;
        // whisper-cli's default decoding, both passes: beam search over 5 (with whisper.cpp's
        // temperature fallback). Before the words pass it made 16 word errors in 273 where
        // greedy made 18, for about 30 % more time (scripts/compare-whisper-cli.sh).
        let mut p = FullParams::new(SamplingStrategy::BeamSearch {
            beam_size: 5,
            patience: -1.0,
        });
        p.set_n_threads(self.options.threads.max(1) as i32);
        let language = self.options.language_for(ctx.is_multilingual());
        p.set_language(Some(language.whisper_code()));
        p.set_no_context(true);
        p.set_token_timestamps(true);
        p.set_suppress_nst(pass == Pass::Timing);
        p.set_print_progress(false);
        p.set_print_realtime(false);
        p.set_print_special(false);
        p.set_print_timestamps(false);
        state.full(p, samples).map_err(|e| fail(e.to_string()))?;

        let code = match language {
            Language::Code(c) => Some(c),
            Language::Detect => whisper_rs::get_lang_str(state.full_lang_id_from_state()),
        };
        let eot = ctx.token_eot();
        let use_dtw = pass == Pass::Timing && self.options.timing == Timing::Dtw;
        let mut transcript = Transcript {
            language: code.map(str::to_string),
            ..Transcript::default()
        };
        for seg in state.as_iter() {
            let end = seg.end_timestamp() as f64 / 100.0;
            let mut tokens = Vec::new();
            let probs: Vec<f32> = (0..seg.n_tokens())
                .filter_map(|i| seg.get_token(i))
                .filter(|t| t.token_id() < eot)
                .map(|t| t.token_probability())
                .collect();
            if likely_invented(seg.no_speech_probability(), &probs) {
                continue;
            }
            for i in 0..seg.n_tokens() {
                let Some(tok) = seg.get_token(i) else {
                    continue;
                };
                if tok.token_id() >= eot {
                    continue;
                }
                let data = tok.token_data();
                let bytes = tok.to_bytes().map_err(|e| fail(e.to_string()))?;
                let t_dtw = (use_dtw && data.t_dtw >= 0)
                    .then(|| (data.t_dtw as f64 / 100.0 - DTW_LAG_SECONDS).max(0.0));
                tokens.push(words::Token {
                    bytes: bytes.to_vec(),
                    t0: data.t0 as f64 / 100.0,
                    t1: data.t1 as f64 / 100.0,
                    t_dtw,
                });
            }
            let seg_words = words::assemble(&tokens, end);
            let (Some(first), Some(last)) = (seg_words.first(), seg_words.last()) else {
                continue;
            };
            // Segment times from its words: Whisper's own segment bounds are coarse (the first
            // one starts at 0 even after a long intro). The text is the words, so segments,
            // words and fullLyrics always agree.
            transcript.segments.push(Segment {
                start: first.start,
                end: last.end,
                text: seg_words
                    .iter()
                    .map(|w| w.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            });
            transcript.words.extend(seg_words);
        }
        transcript.full_lyrics = transcript
            .segments
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        Ok(transcript)
    }
}

/// Loads a model into whisper.cpp, timing words by `dtw` when given.
fn context(path: &Path, dtw: Option<DtwMode>, flash_attn: bool) -> Result<WhisperContext, String> {
    let mut params = WhisperContextParameters::default();
    params.flash_attn(flash_attn);
    if let Some(mode) = dtw {
        params.dtw_parameters(DtwParameters {
            mode,
            ..DtwParameters::default()
        });
    }
    let path = path.to_str().ok_or("path is not UTF-8")?;
    WhisperContext::new_with_params(path, params).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsure_segments_over_music_are_dropped() {
        assert!(likely_invented(0.48, &[0.9, 0.3, 0.5, 0.6, 0.58]));
        assert!(likely_invented(0.1, &[0.3, 0.4]));
        assert!(likely_invented(0.1, &[]));
        assert!(!likely_invented(0.34, &[0.79, 0.85, 0.7]));
        assert!(
            !likely_invented(0.2, &[0.6, 0.6]),
            "unsure words over clear vocals stay"
        );
    }
}
