//! Known lyrics onto Whisper's timed words: an edit-distance alignment of the two word lists.
//!
//! Whisper hears most words right and times them well; the artist's lyrics.txt spells them
//! right. Aligning the two gives captions the real words with Whisper's timing.

use serde::Serialize;

use crate::text::normalize_words;
use crate::transcribe::{Segment, Transcript, Word};

/// How much of the lyrics found a heard word.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AlignmentReport {
    /// Words in lyrics.txt.
    pub lyric_words: usize,
    /// Lyric words Whisper heard exactly.
    pub matched: usize,
    /// Lyric words aligned to a different heard word (timing taken from it).
    pub substituted: usize,
    /// Lyric words Whisper did not hear: timed between their neighbours.
    pub interpolated: usize,
    /// Heard words with no lyric counterpart (dropped).
    pub extra_heard: usize,
}

impl AlignmentReport {
    /// Share of lyric words that took their time from a heard word.
    pub fn aligned_fraction(&self) -> f64 {
        if self.lyric_words == 0 {
            return 0.0;
        }
        (self.matched + self.substituted) as f64 / self.lyric_words as f64
    }
}

/// Largest alignment table (lyric words × heard words): 100 MB, far above any real song.
const MAX_CELLS: usize = 25_000_000;

/// One lyric word in reading order, with the line it belongs to.
struct LyricWord {
    text: String,
    key: String,
    line: usize,
}

fn lyric_words(lyrics: &str) -> (Vec<LyricWord>, Vec<String>) {
    let lines: Vec<String> = lyrics
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        // "[Chorus]" and the like are section headers, not sung.
        .filter(|l| !(l.is_empty() || l.starts_with('[') && l.ends_with(']')))
        .collect();
    let mut words = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        for raw in line.split_whitespace() {
            // A token such as "—" normalises to nothing: it is not a sung word.
            let key = normalize_words(raw).concat();
            if !key.is_empty() {
                words.push(LyricWord {
                    text: raw.to_string(),
                    key,
                    line: i,
                });
            }
        }
    }
    (words, lines)
}

/// Per lyric word: the index of the heard word it takes its time from, if any.
fn align_indices(lyric: &[String], heard: &[String]) -> (Vec<Option<(usize, bool)>>, usize) {
    let (n, m) = (lyric.len(), heard.len());
    // cost[i][j] = edits to turn lyric[..i] into heard[..j].
    let mut cost = vec![vec![0u32; m + 1]; n + 1];
    for (i, row) in cost.iter_mut().enumerate() {
        row[0] = i as u32;
    }
    for (j, c) in cost[0].iter_mut().enumerate() {
        *c = j as u32;
    }
    for i in 1..=n {
        for j in 1..=m {
            let sub = cost[i - 1][j - 1] + u32::from(!similar(&lyric[i - 1], &heard[j - 1]));
            cost[i][j] = sub.min(cost[i - 1][j] + 1).min(cost[i][j - 1] + 1);
        }
    }
    let mut out = vec![None; n];
    let mut extra = 0;
    let (mut i, mut j) = (n, m);
    while i > 0 || j > 0 {
        if i > 0 && j > 0 {
            let same = similar(&lyric[i - 1], &heard[j - 1]);
            if cost[i][j] == cost[i - 1][j - 1] + u32::from(!same) {
                out[i - 1] = Some((j - 1, lyric[i - 1] == heard[j - 1]));
                i -= 1;
                j -= 1;
                continue;
            }
        }
        if i > 0 && cost[i][j] == cost[i - 1][j] + 1 {
            i -= 1;
        } else {
            extra += 1;
            j -= 1;
        }
    }
    (out, extra)
}

/// Exact, or close enough that a mishearing is the likely story ("favourite"/"favorite").
fn similar(a: &str, b: &str) -> bool {
    a == b || (a.len() >= 4 && b.len() >= 4 && edit_distance(a, b) <= a.len().max(b.len()) / 4)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Where one lyric word's time came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LyricWordSource {
    /// Index of the lyric line (non-empty lines of lyrics.txt, section headers skipped).
    pub line: usize,
    /// Index into the heard words it was aligned to; `None` when interpolated.
    pub heard: Option<usize>,
    /// The heard word is the same word (after normalisation).
    pub exact: bool,
}

/// The result of aligning lyrics to a transcript.
#[derive(Debug, Clone)]
pub struct Alignment {
    /// The lyrics with Whisper's timing, or the heard transcript when nothing aligned.
    pub transcript: Transcript,
    pub report: AlignmentReport,
    /// One entry per lyric word, in order.
    pub sources: Vec<LyricWordSource>,
}

/// Replaces the transcript's words with the lyrics' words, timed from the heard words they
/// align to; unheard lyric words are spread evenly between their timed neighbours.
/// Segments become the lyric lines that got any time.
pub fn align(transcript: &Transcript, lyrics: &str) -> (Transcript, AlignmentReport) {
    let a = align_detailed(transcript, lyrics);
    (a.transcript, a.report)
}

/// [`align`], also saying where every lyric word's time came from.
pub fn align_detailed(transcript: &Transcript, lyrics: &str) -> Alignment {
    let (lyric, lines) = lyric_words(lyrics);
    let heard_keys: Vec<String> = transcript
        .words
        .iter()
        .map(|w| normalize_words(&w.text).concat())
        .collect();
    let lyric_keys: Vec<String> = lyric.iter().map(|w| w.key.clone()).collect();
    // The table is lyric words × heard words; a runaway lyrics file must not exhaust memory.
    let (pairs, extra_heard) = if lyric_keys.len().saturating_mul(heard_keys.len()) > MAX_CELLS {
        (vec![None; lyric_keys.len()], heard_keys.len())
    } else {
        align_indices(&lyric_keys, &heard_keys)
    };

    let mut report = AlignmentReport {
        lyric_words: lyric.len(),
        extra_heard,
        ..Default::default()
    };
    let mut times: Vec<Option<(f64, f64)>> = pairs
        .iter()
        .map(|p| {
            p.map(|(j, exact)| {
                if exact {
                    report.matched += 1;
                } else {
                    report.substituted += 1;
                }
                (transcript.words[j].start, transcript.words[j].end)
            })
        })
        .collect();
    report.interpolated = times.iter().filter(|t| t.is_none()).count();
    let sources = lyric
        .iter()
        .zip(&pairs)
        .map(|(w, p)| LyricWordSource {
            line: w.line,
            heard: p.map(|(j, _)| j),
            exact: p.is_some_and(|(_, exact)| exact),
        })
        .collect();
    if report.matched + report.substituted == 0 {
        // Nothing to hang the lyrics on: the transcript stands.
        return Alignment {
            transcript: transcript.clone(),
            report,
            sources,
        };
    }
    fill_gaps(&mut times);

    let words: Vec<Word> = lyric
        .iter()
        .zip(&times)
        .map(|(w, t)| {
            let (start, end) = t.expect("gaps filled");
            Word {
                start,
                end,
                text: w.text.clone(),
            }
        })
        .collect();
    let segments: Vec<Segment> = lines
        .iter()
        .enumerate()
        .filter_map(|(i, line)| {
            let in_line: Vec<&Word> = lyric
                .iter()
                .zip(&words)
                .filter(|(l, _)| l.line == i)
                .map(|(_, w)| w)
                .collect();
            let first = in_line.first()?;
            let last = in_line.last()?;
            Some(Segment {
                start: first.start,
                end: last.end,
                text: line.clone(),
            })
        })
        .collect();
    let full_lyrics = segments
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    Alignment {
        transcript: Transcript {
            language: transcript.language.clone(),
            full_lyrics,
            segments,
            words,
        },
        report,
        sources,
    }
}

/// The words of one decoding (`words`, decoded for accuracy) with the times of another
/// (`timed`, decoded for DTW times): `words`' segments are aligned to `timed` like known
/// lyrics. Where `words` heard nothing, or nothing aligns, `timed` stands.
pub fn retime(words: &Transcript, timed: &Transcript) -> Transcript {
    if words.words.is_empty() {
        return timed.clone();
    }
    let lines: Vec<&str> = words.segments.iter().map(|s| s.text.as_str()).collect();
    let mut out = align(timed, &lines.join("\n")).0;
    out.language = timed.language.clone().or_else(|| words.language.clone());
    out
}

/// Evenly spaces untimed words between the timed words around them.
fn fill_gaps(times: &mut [Option<(f64, f64)>]) {
    let n = times.len();
    let mut i = 0;
    while i < n {
        if times[i].is_some() {
            i += 1;
            continue;
        }
        let gap_start = i;
        while i < n && times[i].is_none() {
            i += 1;
        }
        let before = gap_start.checked_sub(1).and_then(|k| times[k]).map(|t| t.1);
        let after = times.get(i).copied().flatten().map(|t| t.0);
        let count = i - gap_start;
        // Open-ended gaps get 0.4 s per word, a typical sung word.
        let (from, to) = match (before, after) {
            (Some(b), Some(a)) => (b, a.max(b)),
            (Some(b), None) => (b, b + 0.4 * count as f64),
            (None, Some(a)) => ((a - 0.4 * count as f64).max(0.0), a),
            (None, None) => unreachable!("at least one word is timed"),
        };
        let step = (to - from) / count as f64;
        for (k, slot) in times[gap_start..i].iter_mut().enumerate() {
            let s = from + step * k as f64;
            *slot = Some((s, s + step));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heard(words: &[(&str, f64)]) -> Transcript {
        Transcript {
            language: None,
            full_lyrics: String::new(),
            segments: vec![],
            words: words
                .iter()
                .map(|&(t, s)| Word {
                    start: s,
                    end: s + 0.3,
                    text: t.into(),
                })
                .collect(),
        }
    }

    #[test]
    fn lyrics_words_take_whisper_times() {
        let t = heard(&[
            ("We", 1.0),
            ("let", 1.3),
            ("the", 1.6),
            ("paper", 1.9),
            ("lantern", 2.2),
            ("rise", 2.5),
            ("to", 2.8),
            ("hide.", 3.1),
        ]);
        let (out, r) = align(&t, "We let the paper lanterns rise tonight\n");
        let texts: Vec<&str> = out.words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(
            texts,
            ["We", "let", "the", "paper", "lanterns", "rise", "tonight"]
        );
        assert_eq!(out.words[4].start, 2.2, "lanterns timed by 'lantern'");
        assert_eq!(r.matched, 5);
        assert_eq!(r.lyric_words, 7);
        assert_eq!(out.segments.len(), 1);
        assert_eq!(out.segments[0].start, 1.0);
        assert_eq!(out.full_lyrics, "We let the paper lanterns rise tonight");
    }

    #[test]
    fn unheard_words_are_interpolated_in_order() {
        let t = heard(&[("one", 1.0), ("four", 4.0)]);
        let (out, r) = align(&t, "one two three four");
        assert_eq!(r.interpolated, 2);
        let starts: Vec<f64> = out.words.iter().map(|w| w.start).collect();
        assert!(starts.windows(2).all(|p| p[0] <= p[1]), "{starts:?}");
        assert!(starts[1] > 1.0 && starts[2] < 4.0);
    }

    #[test]
    fn nothing_heard_keeps_the_transcript() {
        let t = heard(&[]);
        let (out, r) = align(&t, "la la la");
        assert_eq!(out, t);
        assert_eq!(r.aligned_fraction(), 0.0);
    }

    #[test]
    fn retimed_words_keep_their_spelling_and_lines_and_take_the_timed_times() {
        let timed = heard(&[
            ("my", 1.0),
            ("favourite", 1.4),
            ("song", 2.0),
            ("night", 3.4),
        ]);
        let mut words = heard(&[
            ("My", 9.0),
            ("favorite", 9.0),
            ("song,", 9.0),
            ("at", 9.0),
            ("night", 9.0),
        ]);
        words.segments = ["My favorite song,", "at night"]
            .map(|text| Segment {
                start: 9.0,
                end: 9.0,
                text: text.into(),
            })
            .to_vec();
        let out = retime(&words, &timed);
        let got: Vec<(&str, f64)> = out
            .words
            .iter()
            .map(|w| (w.text.as_str(), w.start))
            .collect();
        assert_eq!(
            [got[0], got[1], got[2], got[4]],
            [
                ("My", 1.0),
                ("favorite", 1.4),
                ("song,", 2.0),
                ("night", 3.4)
            ]
        );
        assert_eq!(got[3].0, "at");
        assert!(
            (2.3..3.4).contains(&got[3].1),
            "an unheard word sits between its timed neighbours: {got:?}"
        );
        let lines: Vec<&str> = out.segments.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(lines, ["My favorite song,", "at night"]);
    }

    #[test]
    fn retiming_nothing_heard_keeps_the_timed_transcript() {
        let timed = heard(&[("la", 1.0)]);
        assert_eq!(retime(&heard(&[]), &timed), timed);
    }

    #[test]
    fn extra_heard_words_are_dropped() {
        let t = heard(&[
            ("uh", 0.5),
            ("hold", 1.0),
            ("my", 1.2),
            ("yeah", 1.3),
            ("hand", 1.5),
        ]);
        let (out, r) = align(&t, "Hold my hand");
        assert_eq!(out.words.len(), 3);
        assert_eq!(r.extra_heard, 2);
        assert_eq!(r.aligned_fraction(), 1.0);
    }
}
