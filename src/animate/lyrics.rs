//! Lyrics on screen in time: each sung line shown while it is sung, optionally lighting up word
//! by word (karaoke). Every line is rasterised once; a frame only picks the line and, for
//! karaoke, how far the highlight has swept.

use crate::frame::Yuv420;

use super::layer::{Foreground, OPAQUE};

/// How long a line fades in and out, in seconds.
const FADE: f32 = 0.12;

/// One word's highlight: sung from `t0` to `t1`, painted from `x0` to `x1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WordSweep {
    pub t0: f32,
    pub t1: f32,
    pub x0: f32,
    pub x1: f32,
}

/// A row of a karaoke line: its frame rows and its words.
#[derive(Debug, Clone)]
pub struct SweepRow {
    pub rows: std::ops::Range<usize>,
    pub words: Vec<WordSweep>,
}

/// One line on screen from `show.0` to `show.1` seconds.
pub struct LyricCue {
    pub show: (f32, f32),
    pub plain: Foreground,
    /// The same line in the highlight colour, revealed row by row as its words are sung.
    pub sung: Option<(Foreground, Vec<SweepRow>)>,
}

/// A video's lyric lines in order.
#[derive(Default)]
pub struct LyricTrack {
    pub cues: Vec<LyricCue>,
}

impl SweepRow {
    /// The highlight's right edge at `t`: whole words sung so far, and the current word in
    /// proportion to how much of it has been sung.
    pub fn edge(&self, t: f32) -> f32 {
        let mut edge = f32::NEG_INFINITY;
        for w in &self.words {
            if t < w.t0 {
                break;
            }
            let done = if w.t1 > w.t0 {
                ((t - w.t0) / (w.t1 - w.t0)).clamp(0.0, 1.0)
            } else {
                1.0
            };
            edge = w.x0 + (w.x1 - w.x0) * done;
        }
        edge
    }
}

impl LyricTrack {
    /// Draws the line on screen at `t` seconds.
    pub fn draw(&self, t: f32, out: &mut Yuv420) {
        let Some(cue) = self.cues.iter().find(|c| c.show.0 <= t && t < c.show.1) else {
            return;
        };
        let fade = ((t - cue.show.0).min(cue.show.1 - t) / FADE).clamp(0.0, 1.0);
        let opacity = (fade * f32::from(OPAQUE)).round() as u16;
        cue.plain
            .blend_part(out, opacity, 0..usize::MAX, usize::MAX);
        if let Some((layer, rows)) = &cue.sung {
            for row in rows {
                let edge = row.edge(t);
                if edge > 0.0 {
                    layer.blend_part(out, opacity, row.rows.clone(), edge.round() as usize);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highlight_sweeps_through_each_word_as_it_is_sung() {
        let row = SweepRow {
            rows: 0..10,
            words: vec![
                WordSweep {
                    t0: 1.0,
                    t1: 2.0,
                    x0: 10.0,
                    x1: 30.0,
                },
                WordSweep {
                    t0: 2.5,
                    t1: 3.0,
                    x0: 40.0,
                    x1: 60.0,
                },
            ],
        };
        assert_eq!(row.edge(0.5), f32::NEG_INFINITY, "nothing sung yet");
        assert_eq!(row.edge(1.5), 20.0);
        assert_eq!(row.edge(2.2), 30.0, "between words: the first stays lit");
        assert_eq!(row.edge(2.75), 50.0);
        assert_eq!(row.edge(9.0), 60.0);
    }
}
