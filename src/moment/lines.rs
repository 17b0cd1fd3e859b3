//! Sung lines: a transcript's words grouped the way they are sung, and a window's lines timed
//! from the window's start (for WebVTT and on-screen lyrics).

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::transcribe::Transcript;

/// A pause at least this long between two words starts a new line even inside one segment
/// (a breath between lines that Whisper heard as one stretch).
const LINE_PAUSE: f64 = 0.8;

/// One sung line: the span of its words in the transcript, from the first word's start to the
/// last word's end.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub start: f64,
    pub end: f64,
    pub words: Range<usize>,
}

/// The transcript's words as sung lines: a new line at each segment and at each long pause.
pub fn lines(t: &Transcript) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::new();
    let mut seg = 0;
    let mut line_seg = usize::MAX;
    for (i, w) in t.words.iter().enumerate() {
        while seg + 1 < t.segments.len() && w.start >= t.segments[seg + 1].start {
            seg += 1;
        }
        let paused = out.last().is_some_and(|l| w.start - l.end >= LINE_PAUSE);
        match out.last_mut() {
            Some(line) if seg == line_seg && !paused => {
                line.end = line.end.max(w.end);
                line.words.end = i + 1;
            }
            _ => {
                out.push(Line {
                    start: w.start,
                    end: w.end,
                    words: i..i + 1,
                });
                line_seg = seg;
            }
        }
    }
    out
}

/// Moves each line's ends to where the singing really starts and stops, as the audio shows it:
/// `sung_from(not_before, start, end)` and `sung_until(start, end)`. A start moves back by at
/// most [`MAX_EARLIER`] and never into the line before; an end never moves before its last word
/// starts or past the next line's start.
pub fn refine(
    lines: &mut [Line],
    t: &Transcript,
    sung_from: impl Fn(f64, f64, f64) -> f64,
    sung_until: impl Fn(f64, f64) -> f64,
) {
    for i in 0..lines.len() {
        let next = lines.get(i + 1).map_or(f64::INFINITY, |l| l.start);
        let last = &t.words[line_last(&lines[i])];
        let until = lines[i].end.min(next);
        let end = sung_until(lines[i].start, until).clamp(last.start, until);
        lines[i].end = end;
    }
    for i in 0..lines.len() {
        let previous = i.checked_sub(1).map_or(0.0, |p| lines[p].end);
        let line = &mut lines[i];
        let not_before = (line.start - MAX_EARLIER).max(previous);
        if not_before < line.start {
            line.start = sung_from(not_before, line.start, line.end).clamp(not_before, line.start);
        }
    }
}

/// How much earlier than the transcript a line may be found to start.
const MAX_EARLIER: f64 = 0.5;

fn line_last(line: &Line) -> usize {
    line.words.end - 1
}

/// A word of a timed line, in seconds from the video's start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimedWord {
    pub start: f64,
    pub end: f64,
    pub text: String,
}

/// A lyric line as the video shows it, in seconds from the video's start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimedLine {
    pub start: f64,
    pub end: f64,
    pub text: String,
    /// The line's words with their own times, for a word-by-word highlight (not reported).
    #[serde(skip)]
    pub words: Vec<TimedWord>,
}

/// The lines that start inside `start..end`, timed from `start` and clipped to the window. A
/// line cut by the window's end keeps only the words that start inside it; a line that began
/// before the window is not its lyrics.
pub fn timed_lines(t: &Transcript, lines: &[Line], start: f64, end: f64) -> Vec<TimedLine> {
    let length = end - start;
    let at = |x: f64| ((x - start).clamp(0.0, length) * 1000.0).round() / 1000.0;
    lines
        .iter()
        .filter(|line| line.start >= start - 1e-9 && line.start < end)
        .filter_map(|line| {
            let words: Vec<TimedWord> = t.words[line.words.clone()]
                .iter()
                .enumerate()
                .filter(|(_, w)| w.start < end)
                // The line's first word starts where the singing does.
                .map(|(k, w)| TimedWord {
                    start: at(if k == 0 {
                        line.start.max(start)
                    } else {
                        w.start
                    }),
                    end: at(w.end.min(line.end).max(w.start)),
                    text: w.text.trim().to_string(),
                })
                .filter(|w| !w.text.is_empty())
                .collect();
            let first = words.first()?;
            let last = words.last()?;
            Some(TimedLine {
                start: first.start,
                end: last.end.max(first.start),
                text: words
                    .iter()
                    .map(|w| w.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                words,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcribe::{Segment, Word};

    fn word(start: f64, end: f64, text: &str) -> Word {
        Word {
            start,
            end,
            text: text.into(),
        }
    }

    fn transcript() -> Transcript {
        Transcript {
            language: None,
            full_lyrics: String::new(),
            segments: vec![
                Segment {
                    start: 0.0,
                    end: 2.0,
                    text: "a b".into(),
                },
                Segment {
                    start: 3.0,
                    end: 8.0,
                    text: "c d e".into(),
                },
            ],
            words: vec![
                word(0.5, 1.0, "a"),
                word(1.0, 2.0, "b"),
                word(3.0, 4.0, "c"),
                word(4.0, 5.0, "d"),
                // A long breath inside the segment: a line of its own.
                word(6.5, 7.5, "e"),
            ],
        }
    }

    #[test]
    fn lines_follow_segments_and_breaths() {
        let l = lines(&transcript());
        let spans: Vec<_> = l
            .iter()
            .map(|l| (l.start, l.end, l.words.clone()))
            .collect();
        assert_eq!(
            spans,
            vec![(0.5, 2.0, 0..2), (3.0, 5.0, 2..4), (6.5, 7.5, 4..5)]
        );
    }

    #[test]
    fn timed_lines_are_relative_to_the_window_and_clipped_to_it() {
        let t = transcript();
        let timed = timed_lines(&t, &lines(&t), 0.8, 4.5);
        let got: Vec<_> = timed
            .iter()
            .map(|l| (l.start, l.end, l.text.as_str()))
            .collect();
        // "a b" began before the window: not its lyrics; "d" is cut at the window's end.
        assert_eq!(got, vec![(2.2, 3.7, "c d")]);
        assert_eq!(timed[0].words[1].start, 3.2);
    }
}
