//! Picking the moment: which stretch of a song a video uses.
//!
//! A window has the video's own length. It opens just before a sung line (a lead-in of at most
//! [`window::MAX_LEAD`], never after the line's first word) and, wherever the song allows, ends
//! in the pause after a line; [`FADE_IN_SECONDS`] and [`FADE_OUT_SECONDS`] soften both edges.
//! Windows are scored by lyric density (words per second, 0–10) plus musical energy (loudness,
//! 0–10). Windows that end between lines rank before ones that cut a line; lipsync videos need
//! a singer on screen, so for them windows with lyrics rank first of all.

mod feel;
mod lines;
mod window;

use serde::Serialize;

pub use feel::{mood_hint, Feel};
pub use lines::{lines, timed_lines, Line, TimedLine, TimedWord};

use crate::audio::Audio;
use crate::transcribe::Transcript;
use feel::Measures;

/// The clip length of a lipsync video's window.
pub const CLIP_SECONDS: f64 = 15.0;
/// The audio fades in over this long at the window's start …
pub const FADE_IN_SECONDS: f64 = 0.1;
/// … and out over this long at its end.
pub const FADE_OUT_SECONDS: f64 = 0.4;

/// Words per second that score a full 10 for density.
const DENSE_WORDS_PER_SECOND: f64 = 3.0;
/// A window needs this many words to count as "with lyrics" for lipsync.
const MIN_LYRIC_WORDS: usize = 3;
/// Windows whose starts are closer than this share of their length are the same moment.
const DISTINCT_FRACTION: f64 = 1.0 / 3.0;
/// Start grid for songs where no sung line can open a window.
const GRID_SECONDS: f64 = 0.5;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Moment {
    pub start_seconds: f64,
    /// The window's length: the asked length, or up to [`window::slack`] off it where that
    /// lets the window end between lines.
    pub duration_seconds: f64,
    /// The lyric lines sung in the window, one per line.
    pub clip_lyrics: String,
    /// The same lines timed from the window's start.
    pub lines: Vec<TimedLine>,
    /// False when the window had to end inside a sung line.
    pub ends_between_lines: bool,
    /// A mood word for the window's feel: energetic, intense, upbeat, warm or dreamy.
    pub mood_hint: String,
    pub feel: Feel,
    /// density + energy, 0–20.
    pub score: f64,
    pub density_score: f64,
    pub energy_score: f64,
    pub words: usize,
}

#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// The window's length: the video's duration.
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

impl Moment {
    /// The moment's sound: `seconds` of `song` from the moment's start (the video's length in
    /// whole frames), faded in and out so that it neither clicks on nor cuts off.
    pub fn sound(&self, song: &Audio, seconds: f64) -> Audio {
        let mut clip = song.slice_seconds(self.start_seconds, seconds);
        clip.fade(FADE_IN_SECONDS, FADE_OUT_SECONDS);
        clip
    }
}

/// One window, measured and scored.
fn score_window(
    t: &Transcript,
    lines: &[Line],
    measures: &Measures,
    start: f64,
    duration: f64,
    ends_between_lines: bool,
) -> Moment {
    let end = start + duration;
    let timed = timed_lines(t, lines, start, end);
    let words = timed.iter().map(|l| l.words.len()).sum::<usize>();
    let density = (words as f64 / duration.max(1e-6) / DENSE_WORDS_PER_SECOND * 10.0).min(10.0);
    let feel = measures.feel(start, end);
    Moment {
        start_seconds: start,
        duration_seconds: duration,
        clip_lyrics: timed
            .iter()
            .map(|l| l.text.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        lines: timed,
        ends_between_lines,
        mood_hint: mood_hint(&feel).to_string(),
        feel,
        score: density + feel.energy,
        density_score: density,
        energy_score: feel.energy,
        words,
    }
}

/// Every candidate window, best first: one per sung line that can open one.
pub fn rank(transcript: &Transcript, audio: &Audio, options: Options) -> Vec<Moment> {
    let length = audio.duration_seconds();
    let measures = Measures::new(audio);
    let mut lines = lines(transcript);
    lines::refine(
        &mut lines,
        transcript,
        |from, a, b| measures.sung_from(from, a, b),
        |a, b| measures.sung_until(a, b),
    );
    if length <= options.clip_seconds {
        // A short song is used whole.
        return vec![score_window(
            transcript, &lines, &measures, 0.0, length, true,
        )];
    }
    let mut placed: Vec<window::Placement> = (0..lines.len())
        .filter_map(|i| window::on_line(&lines, &transcript.words, i, options.clip_seconds, length))
        .collect();
    if placed.is_empty() {
        // Instrumental, or lyrics only at the very end: a regular grid.
        let latest = length - options.clip_seconds;
        placed = (0..)
            .map(|i| i as f64 * GRID_SECONDS)
            .take_while(|&s| s <= latest)
            .map(|s| window::at(&lines, &transcript.words, s, options.clip_seconds))
            .collect();
    }
    placed.dedup_by(|a, b| (a.start - b.start).abs() < 1e-9);
    let mut moments: Vec<Moment> = placed
        .iter()
        .map(|p| {
            score_window(
                transcript,
                &lines,
                &measures,
                p.start,
                p.length,
                p.ends_between_lines,
            )
        })
        .collect();
    let tier = |m: &Moment| {
        (
            options.lipsync && m.words >= MIN_LYRIC_WORDS,
            m.ends_between_lines,
        )
    };
    moments.sort_by(|a, b| {
        tier(b)
            .cmp(&tier(a))
            .then(b.score.total_cmp(&a.score))
            .then(a.start_seconds.total_cmp(&b.start_seconds))
    });
    moments
}

/// The most distinct moments of a song a batch cycles through.
pub const DISTINCT_PER_SONG: usize = 12;

/// A batch's `nth` use of a song: its [`DISTINCT_PER_SONG`] most distinct moments in turn, best
/// first, then round again. None when the song has no window at all.
pub fn nth(transcript: &Transcript, audio: &Audio, options: Options, nth: usize) -> Option<Moment> {
    let moments = choose(transcript, audio, options, DISTINCT_PER_SONG);
    moments.get(nth % moments.len().max(1)).cloned()
}

/// Up to `count` distinct moments, best first. Windows that cut a line are left out whenever
/// the song has a window of the same kind (with lyrics or not, for lipsync) that does not.
pub fn choose(
    transcript: &Transcript,
    audio: &Audio,
    options: Options,
    count: usize,
) -> Vec<Moment> {
    let ranked = rank(transcript, audio, options);
    let sung = |m: &Moment| options.lipsync && m.words >= MIN_LYRIC_WORDS;
    let clean_exists = |s: bool| ranked.iter().any(|m| sung(m) == s && m.ends_between_lines);
    let usable = ranked
        .iter()
        .filter(|m| m.ends_between_lines || !clean_exists(sung(m)));
    distinct(usable, count)
}

/// The best windows that start at least a third of a clip away from every better one.
fn distinct<'a>(ranked: impl Iterator<Item = &'a Moment>, count: usize) -> Vec<Moment> {
    let mut out: Vec<Moment> = Vec::new();
    for m in ranked {
        if out.len() == count {
            break;
        }
        let clear = out.iter().all(|o| {
            (o.start_seconds - m.start_seconds).abs() >= o.duration_seconds * DISTINCT_FRACTION
        });
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

    /// Sung lines given as (start, end, words), each its own segment, words evenly spread.
    fn sung(spans: &[(f64, f64, usize)]) -> Transcript {
        let mut t = Transcript::default();
        for &(start, end, n) in spans {
            t.segments.push(Segment {
                start,
                end,
                text: String::new(),
            });
            let step = (end - start) / n as f64;
            t.words.extend((0..n).map(|k| Word {
                start: start + k as f64 * step,
                end: start + (k + 1) as f64 * step,
                text: format!("w{k}"),
            }));
        }
        t
    }

    fn eight_seconds() -> Options {
        Options {
            clip_seconds: 8.0,
            lipsync: false,
        }
    }

    #[test]
    fn windows_open_just_before_lines_and_prefer_dense_loud_stretches() {
        let t = sung(&[
            (2.0, 3.0, 2),
            (6.0, 7.0, 2),
            (10.0, 11.0, 2),
            (30.0, 33.0, 8),
            (34.0, 37.0, 8),
            (38.0, 41.0, 8),
            (42.0, 45.0, 8),
        ]);
        let ranked = rank(&t, &audio(60.0, 29.0), eight_seconds());
        let line_starts: Vec<f64> = lines(&t).iter().map(|l| l.start).collect();
        for m in &ranked {
            assert!(
                line_starts
                    .iter()
                    .any(|&s| m.start_seconds <= s && s - m.start_seconds <= window::MAX_LEAD),
                "{m:?}"
            );
            assert!(m.start_seconds + m.duration_seconds <= 60.0);
        }
        let best = &ranked[0];
        assert!((29.0..30.0).contains(&best.start_seconds), "{best:?}");
        assert!(best.ends_between_lines);
        assert_eq!(best.lines.len(), 2, "{best:?}");
        assert!(best.score > ranked.last().unwrap().score);
    }

    #[test]
    fn a_song_shorter_than_the_clip_is_used_whole() {
        let ranked = rank(
            &sung(&[(1.0, 2.0, 2)]),
            &audio(9.0, 0.0),
            Options::default(),
        );
        assert_eq!(ranked.len(), 1);
        assert_eq!(ranked[0].start_seconds, 0.0);
        assert!((ranked[0].duration_seconds - 9.0).abs() < 1e-9);
    }

    #[test]
    fn lipsync_ranks_windows_with_lyrics_first() {
        // Lyrics in a quiet stretch; the loud end has only a word or two.
        let t = sung(&[(2.0, 4.0, 4), (41.0, 41.3, 1), (50.0, 50.3, 1)]);
        let loud_end = audio(60.0, 40.0);
        let plain = rank(&t, &loud_end, Options::default());
        assert!(
            (40.0..41.0).contains(&plain[0].start_seconds),
            "without lipsync loudness wins: {:?}",
            plain[0]
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
    fn windows_that_cut_a_line_are_left_out_while_clean_ones_exist() {
        // A 12 s line in the middle: windows opening before it end inside it.
        let t = sung(&[
            (1.0, 3.0, 4),
            (4.0, 6.0, 4),
            (7.0, 19.0, 24),
            (20.0, 22.0, 4),
            (23.0, 25.0, 4),
            (26.0, 28.0, 4),
        ]);
        let song = audio(30.0, 0.0);
        let ranked = rank(&t, &song, eight_seconds());
        assert!(ranked.iter().any(|m| !m.ends_between_lines));
        let chosen = choose(&t, &song, eight_seconds(), usize::MAX);
        assert!(!chosen.is_empty());
        assert!(chosen.iter().all(|m| m.ends_between_lines), "{chosen:?}");
        for (i, a) in chosen.iter().enumerate() {
            for b in &chosen[i + 1..] {
                assert!((a.start_seconds - b.start_seconds).abs() >= 8.0 / 3.0);
            }
        }
    }

    #[test]
    fn an_instrumental_gets_grid_windows_and_no_lines() {
        let chosen = choose(
            &Transcript::default(),
            &audio(30.0, 10.0),
            eight_seconds(),
            3,
        );
        assert_eq!(chosen.len(), 3);
        assert!(chosen
            .iter()
            .all(|m| m.lines.is_empty() && m.clip_lyrics.is_empty()));
        assert!(
            chosen[0].start_seconds >= 8.0,
            "the loud part first: {chosen:?}"
        );
    }
}
