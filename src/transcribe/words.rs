//! Whisper tokens to words: joining sub-word pieces, timing them, dropping non-lyric marks.

use serde::{Deserialize, Serialize};

/// One decoded text token with its timings, in seconds.
#[derive(Debug, Clone)]
pub struct Token {
    /// Raw bytes: byte-level BPE splits characters such as "♪" across tokens, so text is only
    /// decoded once a whole word is put together.
    pub bytes: Vec<u8>,
    pub t0: f64,
    pub t1: f64,
    pub t_dtw: Option<f64>,
}

/// A sung word and when it is sung.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Word {
    pub start: f64,
    pub end: f64,
    pub text: String,
}

/// True for text that is not lyrics: music symbols and bracketed cues like "[Music]".
pub fn is_non_lyric(text: &str) -> bool {
    let t = text.trim();
    t.is_empty()
        || t.chars().all(|c| {
            matches!(c, '♪' | '♫' | '♬' | '♩' | '#' | '*' | '-' | '.' | ',') || c.is_whitespace()
        })
        || (t.starts_with('[') && t.ends_with(']'))
        || (t.starts_with('(') && t.ends_with(')'))
}

/// Times are only good to a few centiseconds; whole milliseconds keep the JSON readable
/// (5.06, not 5.0600000000000005).
fn to_millis(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

/// Longest a single sung word is taken to last when no pause is detected.
const MAX_WORD_SECONDS: f64 = 1.2;
const MIN_WORD_SECONDS: f64 = 0.3;

/// Groups tokens into words (a leading space starts a word) and times each word from its
/// first token's DTW time when there is one, else from the token timestamps.
pub fn assemble(tokens: &[Token], segment_end: f64) -> Vec<Word> {
    struct Draft {
        bytes: Vec<u8>,
        start: f64,
        end: f64,
        depth_before: usize,
    }
    let mut drafts: Vec<Draft> = Vec::new();
    let mut depth = 0usize;
    for tok in tokens {
        let leading_space = tok.bytes.first() == Some(&b' ');
        let starts_word = leading_space || drafts.is_empty();
        let only_punct = tok.bytes.trim_ascii().iter().all(u8::is_ascii_punctuation);
        let start = tok.t_dtw.unwrap_or(tok.t0);
        if starts_word && !(only_punct && !drafts.is_empty() && !leading_space) {
            drafts.push(Draft {
                bytes: Vec::new(),
                start,
                end: tok.t1,
                depth_before: depth,
            });
        }
        let d = drafts.last_mut().expect("a word was started");
        d.bytes.extend_from_slice(&tok.bytes);
        // Trailing punctuation is often stamped through the following pause.
        if !only_punct {
            d.end = d.end.max(tok.t1);
        }
        for c in &tok.bytes {
            match c {
                b'[' | b'(' => depth += 1,
                b']' | b')' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }

    let kept: Vec<(Draft, String)> = drafts
        .into_iter()
        .map(|d| {
            let text = String::from_utf8_lossy(&d.bytes).trim().to_string();
            (d, text)
        })
        .filter(|(d, text)| {
            let bracketed = d.depth_before > 0 || text.starts_with('[') || text.starts_with('(');
            // A lone U+FFFD is a character cut off mid-way (a truncated symbol), not a word.
            let broken = text.chars().all(|c| c == char::REPLACEMENT_CHARACTER);
            !bracketed && !broken && !is_non_lyric(text)
        })
        .collect();
    let mut words: Vec<Word> = Vec::with_capacity(kept.len());
    for (i, (d, text)) in kept.iter().enumerate() {
        let start = d
            .start
            .max(words.last().map(|w: &Word| w.start).unwrap_or(0.0));
        // DTW gives each token one instant, so a word lasts until the next one starts, unless
        // a pause follows: then until its last token's timestamp (or a short minimum).
        let next_start = kept
            .get(i + 1)
            .map(|(n, _)| n.start)
            .unwrap_or(segment_end.max(d.end));
        let end = if next_start - start <= MAX_WORD_SECONDS {
            next_start
        } else {
            d.end.max(start + MIN_WORD_SECONDS).min(next_start)
        };
        let end = end.max(start + 0.01);
        let text = text
            .trim_matches(|c: char| {
                matches!(c, '♪' | '♫' | '♬' | '♩' | '"' | char::REPLACEMENT_CHARACTER)
            })
            .trim()
            .to_string();
        words.push(Word {
            start: to_millis(start),
            end: to_millis(end),
            text,
        });
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(text: &str, t0: f64, t1: f64) -> Token {
        Token {
            bytes: text.as_bytes().to_vec(),
            t0,
            t1,
            t_dtw: None,
        }
    }

    #[test]
    fn joins_sub_word_tokens_and_punctuation() {
        let w = assemble(
            &[
                tok(" Hel", 0.0, 0.2),
                tok("lo", 0.2, 0.4),
                tok(",", 0.4, 0.4),
                tok(" world", 0.5, 0.9),
            ],
            1.0,
        );
        let texts: Vec<&str> = w.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["Hello,", "world"]);
        assert_eq!((w[0].start, w[1].start), (0.0, 0.5));
    }

    #[test]
    fn drops_bracketed_cues_and_music_symbols() {
        let w = assemble(
            &[
                tok(" [", 0.0, 0.1),
                tok("Music", 0.1, 0.5),
                tok("]", 0.5, 0.6),
                tok(" ♪", 0.6, 0.7),
                tok(" la", 1.0, 1.2),
                tok(" (upbeat", 1.3, 1.4),
                tok(" music)", 1.4, 1.5),
            ],
            2.0,
        );
        let texts: Vec<&str> = w.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["la"]);
    }

    #[test]
    fn symbols_split_across_tokens_are_decoded_whole() {
        let piece = |bytes: &[u8], t0: f64| Token {
            bytes: bytes.to_vec(),
            t0,
            t1: t0 + 0.1,
            t_dtw: None,
        };
        // "♪" is E2 99 AA; Whisper's byte-level tokens can cut it anywhere.
        let w = assemble(
            &[
                piece(b" \xe2\x99", 0.0),
                piece(b"\xaa", 0.1),
                piece(b" love", 0.5),
                piece(b" \xe2\x99", 1.0),
            ],
            2.0,
        );
        let texts: Vec<&str> = w.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["love"]);
    }

    #[test]
    fn dtw_time_wins_and_words_never_overlap() {
        let mut a = tok(" one", 0.0, 1.0);
        a.t_dtw = Some(0.3);
        let mut b = tok(" two", 0.5, 1.2);
        b.t_dtw = Some(0.8);
        let w = assemble(&[a, b], 1.5);
        assert_eq!(w[0].start, 0.3);
        assert!(w[0].end <= w[1].start);
        assert_eq!(w[1].start, 0.8);
    }

    #[test]
    fn non_lyric_detection() {
        for t in ["[Music]", "(applause)", "♪", "♪ ♪", "", "  "] {
            assert!(is_non_lyric(t), "{t:?}");
        }
        for t in ["love", "I'm", "[verse", "la-la"] {
            assert!(!is_non_lyric(t), "{t:?}");
        }
    }
}
