//! The lyric track of a video: each timed line laid out like a caption (clear of the face),
//! rasterised once, shown while it is sung; for karaoke, a highlight copy swept word by word.

use crate::animate::{Foreground, LyricCue, LyricTrack, SweepRow, WordSweep};
use crate::caption::{self, CaptionFont};
use crate::moment::TimedLine;

/// The karaoke highlight: a warm yellow that reads on white-outlined text.
const HIGHLIGHT: [u8; 3] = [255, 208, 64];
/// A line appears this long before it is sung …
const LEAD: f32 = 0.25;
/// … and stays this long after, unless the next line comes first.
const HOLD: f32 = 0.8;

/// A built track and the band of the frame its lines use (x, y, w, h), for the static caption
/// to keep clear of.
pub struct BuiltTrack {
    pub track: LyricTrack,
    pub band: Option<[f32; 4]>,
}

/// Builds the track for `lines` (times from the video's start) on a `width`×`height` frame of
/// `duration` seconds, each line kept clear of `head`.
pub fn lyric_track(
    lines: &[TimedLine],
    karaoke: bool,
    font: &CaptionFont,
    (width, height): (u32, u32),
    head: Option<[f32; 4]>,
    duration: f32,
) -> BuiltTrack {
    let mut cues = Vec::new();
    let (mut top, mut bottom) = (f32::INFINITY, f32::NEG_INFINITY);
    for (i, line) in lines.iter().enumerate() {
        let layout = caption::layout_clear_of(&line.text, width, height, head);
        let Some(plain) = Foreground::from_rgba(&caption::render_caption(&layout, font).image)
        else {
            continue;
        };
        top = top.min(layout.top_y);
        bottom = bottom.max(layout.top_y + layout.block_height());
        let start = (line.start as f32 - LEAD).max(0.0);
        let next = lines
            .get(i + 1)
            .map_or(f32::INFINITY, |n| (n.start as f32 - LEAD).max(start));
        let end = (line.end as f32 + HOLD).min(next).min(duration);
        let sung = if karaoke {
            sweep_rows(&layout, font, line).and_then(|rows| {
                let image = caption::render_caption_filled(&layout, font, HIGHLIGHT).image;
                Foreground::from_rgba(&image).map(|layer| (layer, rows))
            })
        } else {
            None
        };
        cues.push(LyricCue {
            show: (start, end),
            plain,
            sung,
        });
    }
    BuiltTrack {
        band: (top <= bottom).then_some([0.0, top, width as f32, bottom - top]),
        track: LyricTrack { cues },
    }
}

/// The words of `line` on the rows of its layout, each with its sung time and painted span.
/// `None` when the layout's words are not the line's (nothing to sweep).
fn sweep_rows(
    layout: &caption::CaptionLayout,
    font: &CaptionFont,
    line: &TimedLine,
) -> Option<Vec<SweepRow>> {
    let spans = caption::word_spans(layout, font);
    if spans.iter().map(Vec::len).sum::<usize>() != line.words.len() {
        return None;
    }
    let mut words = line.words.iter();
    Some(
        spans
            .iter()
            .enumerate()
            .map(|(r, row)| SweepRow {
                rows: layout.line_top(r).floor().max(0.0) as usize
                    ..layout.line_top(r + 1).ceil().max(0.0) as usize,
                words: row
                    .iter()
                    .zip(words.by_ref())
                    .map(|(&[x0, x1], w)| WordSweep {
                        t0: w.start as f32,
                        t1: w.end as f32,
                        x0,
                        x1,
                    })
                    .collect(),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::moment::TimedWord;

    fn line(start: f64, words: &[&str]) -> TimedLine {
        let timed: Vec<TimedWord> = words
            .iter()
            .enumerate()
            .map(|(i, w)| TimedWord {
                start: start + i as f64 * 0.4,
                end: start + (i + 1) as f64 * 0.4,
                text: w.to_string(),
            })
            .collect();
        TimedLine {
            start,
            end: timed.last().unwrap().end,
            text: words.join(" "),
            words: timed,
        }
    }

    #[test]
    fn lines_show_in_turn_and_karaoke_sweeps_every_word() {
        let lines = [
            line(0.5, &["hold", "the", "light"]),
            line(
                2.0,
                &[
                    "before", "it", "goes", "and", "the", "blue", "hour", "ends", "again",
                    "tonight",
                ],
            ),
        ];
        let font = CaptionFont::bundled();
        let built = lyric_track(&lines, true, &font, (720, 1280), None, 8.0);
        let cues = &built.track.cues;
        assert_eq!(cues.len(), 2);
        assert!(cues[0].show.0 < 0.5 && cues[0].show.1 <= cues[1].show.0);
        assert!(cues[1].show.1 <= 8.0);
        for (cue, line) in cues.iter().zip(&lines) {
            let (_, rows) = cue.sung.as_ref().expect("a karaoke layer");
            let swept: usize = rows.iter().map(|r| r.words.len()).sum();
            assert_eq!(swept, line.words.len());
            // Words run left to right on each row.
            for row in rows {
                assert!(row.words.windows(2).all(|w| w[0].x1 <= w[1].x0));
            }
        }
        let band = built.band.unwrap();
        assert!(band[1] > 640.0, "lyrics sit low on the frame: {band:?}");

        let plain = lyric_track(&lines, false, &font, (720, 1280), None, 8.0);
        assert!(plain.track.cues.iter().all(|c| c.sung.is_none()));
    }
}
