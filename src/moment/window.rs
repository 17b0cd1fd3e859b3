//! Placing a window of a fixed length: it opens just before a sung line and, wherever the song
//! allows, closes in the pause after one.

use super::lines::Line;
use crate::transcribe::Word;

/// The longest lead-in before a line's first word.
pub const MAX_LEAD: f64 = 1.0;
/// The lead-in aimed for: room for the fade-in and a breath before the first word.
const PREFERRED_LEAD: f64 = 0.4;
/// The shortest lead-in when the pause before the line allows it: the fade-in and a margin
/// for a line start found a little late.
const MIN_LEAD: f64 = 0.2;
/// A window opens at least this long after the line before ends (its end may be found a
/// little early).
const AFTER_PREVIOUS: f64 = 0.1;
/// Time after a line's last word before the end that lets the fade-out fall on silence.
const TAIL: f64 = super::FADE_OUT_SECONDS;
/// A window ends at least this long before the next line starts.
const NEXT_MARGIN: f64 = 0.15;
/// Starts and lengths are tried on this grid: fine enough for a cut under a fade, coarse
/// enough that a long song's every line is placed in milliseconds.
const STEP: f64 = 0.05;

/// Costs of where a window ends. A clean end (between lines) always beats a cut line.
const CUT_BETWEEN_WORDS: f64 = 50.0;
const CUT_INSIDE_WORD: f64 = 100.0;

/// A placed window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    pub start: f64,
    pub length: f64,
    /// False when the window ends inside a sung line: the song left no better place.
    pub ends_between_lines: bool,
    /// Lower is better: how far the lead-in and the end are from ideal.
    pub cost: f64,
}

/// What ending at `end` costs: nothing in a pause well after a line, a little when the pause is
/// short, much when a line is cut.
fn end_cost(lines: &[Line], words: &[Word], end: f64) -> f64 {
    let Some(i) = lines.iter().position(|l| l.end > end - 1e-9) else {
        // After the last line.
        let last_end = lines.last().map_or(f64::NEG_INFINITY, |l| l.end);
        return (TAIL - (end - last_end)).max(0.0) * 10.0;
    };
    let line = &lines[i];
    if end > line.start + 1e-9 {
        let in_word = words[line.words.clone()]
            .iter()
            .any(|w| w.start < end && end < w.end);
        return if in_word {
            CUT_INSIDE_WORD
        } else {
            CUT_BETWEEN_WORDS
        };
    }
    // In the pause before `line`: not so close to it that its first sound is cut.
    if line.start - end < NEXT_MARGIN {
        return CUT_BETWEEN_WORDS;
    }
    let since = i
        .checked_sub(1)
        .map_or(f64::INFINITY, |p| end - lines[p].end);
    (TAIL - since).max(0.0) * 10.0
}

/// How far a window's length may stray from the asked length to end in a pause: an eighth of
/// it, at most a second (7–9 s for an 8 s video).
pub fn slack(length: f64) -> f64 {
    (length / 8.0).min(1.0)
}

/// The best window of about `length` seconds (see [`slack`]) opening on line `i`, or `None`
/// when none fits in the song (`song_length`).
pub fn on_line(
    lines: &[Line],
    words: &[Word],
    i: usize,
    length: f64,
    song_length: f64,
) -> Option<Placement> {
    let line = &lines[i];
    let previous_end = i.checked_sub(1).map_or(0.0, |p| lines[p].end);
    let earliest = (line.start - MAX_LEAD)
        .max(previous_end + AFTER_PREVIOUS)
        .max(0.0);
    let latest = (line.start - MIN_LEAD).max(earliest).min(line.start);
    let slack = slack(length);
    let grid = |from: f64, to: f64| {
        let steps = ((to - from) / STEP).ceil().max(0.0) as usize;
        (0..=steps).map(move |k| (from + k as f64 * STEP).min(to))
    };
    grid(earliest, latest)
        .flat_map(|start| grid(length - slack, length + slack).map(move |len| (start, len)))
        .filter(|&(start, len)| start + len <= song_length + 1e-9)
        .map(|(start, len)| {
            let lead = (line.start - start).max(0.0);
            let end = end_cost(lines, words, start + len);
            Placement {
                start,
                length: len,
                ends_between_lines: end < CUT_BETWEEN_WORDS,
                cost: end + 2.0 * (lead - PREFERRED_LEAD).abs() + (len - length).abs(),
            }
        })
        .min_by(|a, b| a.cost.total_cmp(&b.cost))
}

/// A window at an arbitrary start (for songs where no line can open one): costed by both ends.
pub fn at(lines: &[Line], words: &[Word], start: f64, length: f64) -> Placement {
    let opens_in_word = words.iter().any(|w| w.start < start && start < w.end);
    let end = end_cost(lines, words, start + length);
    Placement {
        start,
        length,
        ends_between_lines: end < CUT_BETWEEN_WORDS,
        cost: end + if opens_in_word { CUT_INSIDE_WORD } else { 0.0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::moment::lines::lines as lines_of;
    use crate::transcribe::{Segment, Transcript};

    /// Lines of two 0.5 s words, `period` apart, the first at 1.0 s.
    fn song(count: usize, period: f64, sung: f64) -> Transcript {
        let mut t = Transcript::default();
        for i in 0..count {
            let s = 1.0 + i as f64 * period;
            t.segments.push(Segment {
                start: s,
                end: s + sung,
                text: String::new(),
            });
            t.words.push(Word {
                start: s,
                end: s + sung / 2.0,
                text: "la".into(),
            });
            t.words.push(Word {
                start: s + sung / 2.0,
                end: s + sung,
                text: "la".into(),
            });
        }
        t
    }

    #[test]
    fn a_window_opens_just_before_its_line_and_ends_in_a_pause() {
        // Lines 2.2 s long every 3.1 s: no exact 8 s window ends in a pause from every line,
        // but one within the slack does.
        let t = song(9, 3.1, 2.2);
        let l = lines_of(&t);
        let mut clean = 0;
        for i in 0..l.len() {
            let Some(p) = on_line(&l, &t.words, i, 8.0, 30.0) else {
                continue;
            };
            let lead = l[i].start - p.start;
            assert!(
                (0.0..=MAX_LEAD + 1e-9).contains(&lead),
                "line {i}: lead {lead}"
            );
            assert!(i == 0 || p.start >= l[i - 1].end - 1e-9);
            if p.ends_between_lines {
                clean += 1;
                let end = p.start + p.length;
                assert!((p.length - 8.0).abs() <= slack(8.0) + 1e-9);
                assert!(l.iter().all(|x| end <= x.start || end >= x.end), "{p:?}");
            }
        }
        assert!(clean >= 7, "{clean} clean windows");
    }

    #[test]
    fn a_window_never_starts_after_its_first_word() {
        // Lines back to back: no pause before a line at all.
        let t = song(10, 2.0, 2.0);
        let l = lines_of(&t);
        for i in 0..l.len() {
            if let Some(p) = on_line(&l, &t.words, i, 8.0, 30.0) {
                assert!(p.start <= l[i].start + 1e-9);
            }
        }
    }

    #[test]
    fn a_window_that_would_run_past_the_song_is_not_placed() {
        let t = song(9, 3.1, 2.2);
        let l = lines_of(&t);
        assert!(on_line(&l, &t.words, 8, 8.0, 30.0).is_none());
    }
}
