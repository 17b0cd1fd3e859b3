//! Picking the moment: which stretch of a song the video uses.
//!
//! Candidate windows start on real word starts, so a clip never opens mid-word. Each is scored
//! by lyric density (words per second, 0–10) plus musical energy (loudness, 0–10). Lipsync videos
//! need a singer on screen, so windows with lyrics rank first for them.

use serde::Serialize;

use crate::audio::Audio;
use crate::transcribe::Transcript;

/// The clip length DESIGN.md gives every video's source window.
pub const CLIP_SECONDS: f64 = 15.0;

/// Words per second that score a full 10 for density.
const DENSE_WORDS_PER_SECOND: f64 = 3.0;
/// Loudness (dBFS RMS) scoring 0 and 10 for energy.
const QUIET_DB: f64 = -50.0;
const LOUD_DB: f64 = -10.0;
/// A window needs this many words to count as "with lyrics" for lipsync.
const MIN_LYRIC_WORDS: usize = 3;
/// Loudness is measured in blocks of this length.
const BLOCK_SECONDS: f64 = 0.1;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Moment {
    pub start_seconds: f64,
    pub duration_seconds: f64,
    /// The lyric lines sung in the window, one per line.
    pub clip_lyrics: String,
    /// A mood word for the window's feel: energetic, intense, upbeat, warm or dreamy.
    pub mood_hint: String,
    /// density + energy, 0–20.
    pub score: f64,
    pub density_score: f64,
    pub energy_score: f64,
    pub words: usize,
}

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub clip_seconds: f64,
    pub lipsync: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            clip_seconds: CLIP_SECONDS,
            lipsync: false,
        }
    }
}

/// Mean square of the mono signal in consecutive blocks: loudness of any window from sums.
struct Loudness {
    block_power: Vec<f64>,
}

impl Loudness {
    fn new(audio: &Audio) -> Loudness {
        let mono = audio.to_mono();
        let block = ((audio.sample_rate as f64 * BLOCK_SECONDS) as usize).max(1);
        let block_power = mono
            .chunks(block)
            .map(|c| c.iter().map(|&s| (s as f64) * (s as f64)).sum::<f64>() / c.len() as f64)
            .collect();
        Loudness { block_power }
    }

    fn db(&self, start: f64, end: f64) -> f64 {
        let a = ((start / BLOCK_SECONDS) as usize).min(self.block_power.len());
        let b = ((end / BLOCK_SECONDS).ceil() as usize).clamp(a, self.block_power.len());
        if a == b {
            return QUIET_DB * 2.0;
        }
        let mean = self.block_power[a..b].iter().sum::<f64>() / (b - a) as f64;
        10.0 * mean.max(1e-12).log10()
    }
}

fn mood_hint(density: f64, energy: f64) -> &'static str {
    match (energy >= 7.0, density >= 5.0) {
        (true, true) => "energetic",
        (true, false) => "intense",
        (false, true) => "upbeat",
        _ if energy < 4.0 => "dreamy",
        _ => "warm",
    }
}

/// The window's lyrics as lines: the words starting inside it, grouped by segment.
fn clip_lyrics(t: &Transcript, start: f64, end: f64) -> String {
    let mut lines: Vec<Vec<&str>> = Vec::new();
    let (mut seg, mut line_seg) = (0, usize::MAX);
    for w in &t.words {
        while seg + 1 < t.segments.len() && w.start >= t.segments[seg + 1].start {
            seg += 1;
        }
        if w.start < start || w.start >= end {
            continue;
        }
        if seg != line_seg {
            lines.push(Vec::new());
            line_seg = seg;
        }
        lines.last_mut().expect("a line was started").push(&w.text);
    }
    lines
        .iter()
        .map(|l| l.join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Scores one window.
fn score_window(t: &Transcript, loud: &Loudness, start: f64, duration: f64) -> Moment {
    let end = start + duration;
    let words = t
        .words
        .iter()
        .filter(|w| w.start >= start && w.start < end)
        .count();
    let density = (words as f64 / duration.max(1e-6) / DENSE_WORDS_PER_SECOND * 10.0).min(10.0);
    let energy = ((loud.db(start, end) - QUIET_DB) / (LOUD_DB - QUIET_DB) * 10.0).clamp(0.0, 10.0);
    Moment {
        start_seconds: start,
        duration_seconds: duration,
        clip_lyrics: clip_lyrics(t, start, end),
        mood_hint: mood_hint(density, energy).to_string(),
        score: density + energy,
        density_score: density,
        energy_score: energy,
        words,
    }
}

/// Every candidate window, best first.
pub fn rank(transcript: &Transcript, audio: &Audio, options: Options) -> Vec<Moment> {
    let length = audio.duration_seconds();
    let loud = Loudness::new(audio);
    if length <= options.clip_seconds {
        return vec![score_window(transcript, &loud, 0.0, length)];
    }
    let latest = length - options.clip_seconds;
    // Lines are the natural places to start a clip; any word start when no line fits.
    let mut starts: Vec<f64> = transcript
        .segments
        .iter()
        .map(|s| s.start)
        .filter(|&s| s <= latest && transcript.words.iter().any(|w| w.start == s))
        .collect();
    if starts.is_empty() {
        starts = transcript
            .words
            .iter()
            .map(|w| w.start)
            .filter(|&s| s <= latest)
            .collect();
    }
    if starts.is_empty() {
        // Instrumental, or lyrics only at the very end: fall back to a regular grid.
        starts = (0..)
            .map(|i| i as f64 * 0.5)
            .take_while(|&s| s <= latest)
            .collect();
    }
    starts.dedup();
    let mut moments: Vec<Moment> = starts
        .into_iter()
        .map(|s| score_window(transcript, &loud, s, options.clip_seconds))
        .collect();
    let lyric_first = options.lipsync;
    moments.sort_by(|a, b| {
        let la = lyric_first && a.words >= MIN_LYRIC_WORDS;
        let lb = lyric_first && b.words >= MIN_LYRIC_WORDS;
        lb.cmp(&la)
            .then(b.score.total_cmp(&a.score))
            .then(a.start_seconds.total_cmp(&b.start_seconds))
    });
    moments
}

/// One window scored on its own: a moment trimmed to the length actually used, so its lyrics
/// are the ones heard in the video.
pub fn window(transcript: &Transcript, audio: &Audio, start: f64, duration: f64) -> Moment {
    score_window(transcript, &Loudness::new(audio), start, duration)
}

/// The best windows that do not overlap a better one by more than half a clip.
pub fn distinct(ranked: &[Moment], count: usize) -> Vec<Moment> {
    let mut out: Vec<Moment> = Vec::new();
    for m in ranked {
        if out.len() == count {
            break;
        }
        let clear = out
            .iter()
            .all(|o| (o.start_seconds - m.start_seconds).abs() >= o.duration_seconds / 2.0);
        if clear {
            out.push(m.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcribe::{Segment, Word};

    fn audio(seconds: f64, loud_from: f64) -> Audio {
        let rate = 1000;
        let samples = (0..(seconds * rate as f64) as usize)
            .map(|i| {
                let t = i as f64 / rate as f64;
                let amp = if t >= loud_from { 0.5 } else { 0.01 };
                (amp * (t * 440.0 * std::f64::consts::TAU).sin()) as f32
            })
            .collect();
        Audio {
            sample_rate: rate,
            channels: 1,
            samples,
        }
    }

    fn words_at(times: &[f64]) -> Transcript {
        let words: Vec<Word> = times
            .iter()
            .enumerate()
            .map(|(i, &s)| Word {
                start: s,
                end: s + 0.3,
                text: format!("w{i}"),
            })
            .collect();
        Transcript {
            full_lyrics: String::new(),
            segments: vec![],
            words,
        }
    }

    #[test]
    fn windows_start_on_words_and_prefer_dense_loud_stretches() {
        // Sparse words early, dense words late; the late part is also louder.
        let mut times: Vec<f64> = (0..5).map(|i| i as f64 * 4.0).collect();
        times.extend((0..60).map(|i| 25.0 + i as f64 * 0.25));
        let t = words_at(&times);
        let ranked = rank(&t, &audio(60.0, 25.0), Options::default());
        assert!(ranked.iter().all(|m| times.contains(&m.start_seconds)));
        assert_eq!(ranked[0].start_seconds, 25.0);
        assert!(ranked[0].score > ranked.last().unwrap().score);
        assert!(ranked
            .iter()
            .all(|m| m.start_seconds + m.duration_seconds <= 60.0));
    }

    #[test]
    fn a_song_shorter_than_the_clip_is_used_whole() {
        let ranked = rank(&words_at(&[1.0, 2.0]), &audio(9.0, 0.0), Options::default());
        assert_eq!(ranked.len(), 1);
        assert_eq!(ranked[0].start_seconds, 0.0);
        assert!((ranked[0].duration_seconds - 9.0).abs() < 1e-9);
    }

    #[test]
    fn lipsync_ranks_windows_with_lyrics_first() {
        // Lyrics in a quiet stretch; the loud end has only a word or two (windows start on
        // words, so it needs one to be a candidate at all).
        let t = words_at(&[2.0, 2.5, 3.0, 3.5, 41.0, 50.0]);
        let loud_end = audio(60.0, 40.0);
        let plain = rank(&t, &loud_end, Options::default());
        assert_eq!(
            plain[0].start_seconds, 41.0,
            "without lipsync loudness wins"
        );
        assert!(plain[0].words < MIN_LYRIC_WORDS);
        let lipsync = rank(
            &t,
            &loud_end,
            Options {
                lipsync: true,
                ..Options::default()
            },
        );
        assert!(lipsync[0].words >= MIN_LYRIC_WORDS);
    }

    #[test]
    fn clip_lyrics_keep_line_breaks_and_only_words_inside() {
        let t = Transcript {
            full_lyrics: String::new(),
            segments: vec![
                Segment {
                    start: 0.0,
                    end: 2.0,
                    text: "a b".into(),
                },
                Segment {
                    start: 3.0,
                    end: 5.0,
                    text: "c d".into(),
                },
            ],
            words: vec![
                Word {
                    start: 0.0,
                    end: 1.0,
                    text: "a".into(),
                },
                Word {
                    start: 1.0,
                    end: 2.0,
                    text: "b".into(),
                },
                Word {
                    start: 3.0,
                    end: 4.0,
                    text: "c".into(),
                },
                Word {
                    start: 4.0,
                    end: 5.0,
                    text: "d".into(),
                },
            ],
        };
        assert_eq!(clip_lyrics(&t, 1.0, 4.5), "b\nc d");
    }

    #[test]
    fn distinct_moments_do_not_overlap_much() {
        let times: Vec<f64> = (0..100).map(|i| i as f64 * 0.5).collect();
        let ranked = rank(&words_at(&times), &audio(80.0, 0.0), Options::default());
        let top = distinct(&ranked, 3);
        assert_eq!(top.len(), 3);
        for (i, a) in top.iter().enumerate() {
            for b in &top[i + 1..] {
                assert!((a.start_seconds - b.start_seconds).abs() >= 7.5);
            }
        }
    }
}
