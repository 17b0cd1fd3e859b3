//! Mouth animation: the jaw and lower lip move down with the vocals and the gap between the
//! lips opens onto a dark mouth interior. Driven by the face mesh's inner lip contours, so it
//! works on any face guide; it is not lip-sync to phonemes, only to when and how loud the
//! singing is.
//!
//! Each frame, a small patch around the mouth is warped (a vertical displacement field that
//! is zero at the patch's edges, so no seam shows) and drawn over the subject with the same
//! motion as the rest of the subject.

use image::{Rgba, RgbaImage};

use crate::subject::Mouth;

/// Jaw drop at full opening, as a share of the mouth's width.
const DROP: f32 = 0.32;
/// The mouth interior: the lip's own colour, darkened, plus a little warm red.
const INTERIOR_KEEP: f32 = 0.22;
const INTERIOR_ADD: [f32; 3] = [26.0, 8.0, 10.0];
/// Openings below this are drawn as closed (no patch at all).
const CLOSED: f32 = 0.01;

/// A mouth ready to animate, on the subject's layer.
#[derive(Debug, Clone)]
pub struct MouthRig {
    /// The subject's (graded) pixels around the mouth, straight alpha.
    source: RgbaImage,
    /// Canvas position of `source`.
    left: i64,
    top: i64,
    /// The mouth in `source`'s pixels.
    mouth: Mouth,
    /// Opening per frame, 0..1.
    openings: Vec<f32>,
    fps: f32,
    /// The colour of the mouth's inside: the lips' mean colour, darkened.
    inside: [f32; 3],
}

impl MouthRig {
    /// `layer` sits at (`left`, `top`) on the canvas; `mouth` is in canvas coordinates.
    /// `None` when the mouth is not on the layer.
    pub fn new(
        layer: &RgbaImage,
        (left, top): (i64, i64),
        mouth: &Mouth,
        openings: Vec<f32>,
        fps: f32,
    ) -> Option<MouthRig> {
        let mw = mouth.width();
        let lip_top = mouth.upper.iter().map(|p| p[1]).fold(f32::MAX, f32::min);
        let x0 = (mouth.corners[0][0] - 0.9 * mw).floor() as i64 - left;
        let x1 = (mouth.corners[1][0] + 0.9 * mw).ceil() as i64 - left;
        let y0 = (lip_top - 0.4 * mw).floor() as i64 - top;
        let y1 = (mouth.chin[1] + 0.7 * mw).ceil() as i64 - top;
        let (lw, lh) = (i64::from(layer.width()), i64::from(layer.height()));
        let (x0, y0, x1, y1) = (x0.max(0), y0.max(0), x1.min(lw), y1.min(lh));
        if x1 - x0 < 4 || y1 - y0 < 4 || mw < 4.0 {
            return None;
        }
        let source = image::imageops::crop_imm(
            layer,
            x0 as u32,
            y0 as u32,
            (x1 - x0) as u32,
            (y1 - y0) as u32,
        )
        .to_image();
        let (ox, oy) = ((left + x0) as f32, (top + y0) as f32);
        let mouth = mouth.map(|[x, y]| [x - ox, y - oy]);
        let mut lips = [0f32; 3];
        for p in &mouth.lower {
            let px = sample_column(
                &source,
                (p[0].max(0.0) as u32).min(source.width() - 1),
                p[1] + 1.0,
            );
            for c in 0..3 {
                lips[c] += f32::from(px[c]) / mouth.lower.len().max(1) as f32;
            }
        }
        Some(MouthRig {
            source,
            left: left + x0,
            top: top + y0,
            inside: std::array::from_fn(|c| lips[c] * INTERIOR_KEEP + INTERIOR_ADD[c]),
            mouth,
            openings,
            fps,
        })
    }

    /// The opening at time `t` (linear between frames).
    pub fn opening_at(&self, t: f32) -> f32 {
        let f = (t * self.fps).max(0.0);
        let i = f as usize;
        match (self.openings.get(i), self.openings.get(i + 1)) {
            (Some(&a), Some(&b)) => a + (b - a) * f.fract(),
            (Some(&a), None) => a,
            _ => 0.0,
        }
    }

    /// The patch to draw at time `t` and its canvas position, or `None` while closed.
    pub fn patch_at(&self, t: f32) -> Option<(RgbaImage, i64, i64)> {
        let o = self.opening_at(t);
        (o > CLOSED).then(|| (self.patch(o), self.left, self.top))
    }

    /// The mouth region opened by `opening` (0..1).
    pub fn patch(&self, opening: f32) -> RgbaImage {
        let m = &self.mouth;
        let mw = m.width();
        let cx = (m.corners[0][0] + m.corners[1][0]) / 2.0;
        let half = mw / 2.0;
        let lip = (m.corners[0][1] + m.corners[1][1]) / 2.0;
        let drop = opening.clamp(0.0, 1.0) * (DROP * mw).min(0.6 * (m.chin[1] - lip).max(1.0));
        let (w, h) = self.source.dimensions();
        let mut out = self.source.clone();
        for x in 0..w {
            let xf = x as f32 + 0.5;
            let u = (xf - cx).abs() / half;
            // The gap tapers to nothing at the corners; the jaw is wider and fades beyond.
            let in_mouth = if u < 1.0 {
                (1.0 - u * u).powf(0.8)
            } else {
                0.0
            };
            let in_jaw = 1.0 - smoothstep(0.9, 1.9, u);
            let lower = curve_at(&m.lower, xf, lip);
            for y in 0..h {
                let yf = y as f32 + 0.5;
                let below_chin = 1.0 - smoothstep(m.chin[1], m.chin[1] + 0.6 * mw, yf);
                let cheeks = smoothstep(lip - 0.2 * mw, lip + 0.5 * mw, yf);
                // A smooth stretch around the mouth, plus the jaw's drop below the lower lip
                // inside it: the one jump, which the mouth's interior fills.
                let outer = drop * below_chin * (in_jaw - in_mouth).max(0.0) * cheeks;
                let jaw = if yf >= lower {
                    drop * below_chin * in_mouth
                } else {
                    0.0
                };
                if outer + jaw < 0.01 {
                    continue;
                }
                let sy = yf - outer - jaw;
                let moved = sample_column(&self.source, x, sy - 0.5);
                let gap_bottom = lower + jaw;
                let pixel = if in_mouth > 0.0 && yf >= lower && yf < gap_bottom + 1.0 {
                    // Uncovered: the inside of the mouth, soft at both lips.
                    let cover = ((gap_bottom - yf).min(yf - lower + 0.5)).clamp(0.0, 1.0);
                    let lip_px = sample_column(&self.source, x, lower - 0.5);
                    Rgba(std::array::from_fn(|c| {
                        if c == 3 {
                            lip_px[3]
                        } else {
                            let edge = if yf < gap_bottom { lip_px[c] } else { moved[c] };
                            let inside = self.inside[c];
                            (inside * cover + f32::from(edge) * (1.0 - cover)).round() as u8
                        }
                    }))
                } else {
                    Rgba(moved)
                };
                out.put_pixel(x, y, pixel);
            }
        }
        out
    }
}

/// Per-frame openings for a clip: open while a word is sung, as wide as the vocals are loud,
/// with a quick attack and a softer release, so the mouth closes between words and in
/// instrumental passages. `words` are (start, end) seconds from the clip's start.
pub fn mouth_openings(envelope: &[f32], words: &[(f32, f32)], fps: f32) -> Vec<f32> {
    let mut out = Vec::with_capacity(envelope.len());
    let mut o = 0f32;
    for (i, &e) in envelope.iter().enumerate() {
        let t = i as f32 / fps;
        let sung = words.iter().any(|&(s, end)| t >= s - 0.03 && t <= end);
        // Syllables: a gentle flutter at singing pace on top of the loudness.
        let target = if sung {
            e.clamp(0.0, 1.0).powf(0.6) * (0.7 + 0.3 * (std::f32::consts::PI * 4.5 * t).sin().abs())
        } else {
            0.0
        };
        let rate = if target > o { 0.55 } else { 0.35 };
        o += (target - o) * rate;
        out.push(if o < CLOSED { 0.0 } else { o });
    }
    out
}

/// The y of a contour (points left to right) at `x`; beyond its ends, `outside`.
fn curve_at(points: &[[f32; 2]], x: f32, outside: f32) -> f32 {
    let mut sorted: Vec<[f32; 2]> = points.to_vec();
    sorted.sort_by(|a, b| a[0].total_cmp(&b[0]));
    match (sorted.first(), sorted.last()) {
        (Some(a), Some(b)) if x >= a[0] && x <= b[0] => {
            for pair in sorted.windows(2) {
                let ([x0, y0], [x1, y1]) = (pair[0], pair[1]);
                if x >= x0 && x <= x1 {
                    let t = if x1 > x0 { (x - x0) / (x1 - x0) } else { 0.0 };
                    return y0 + (y1 - y0) * t;
                }
            }
            outside
        }
        _ => outside,
    }
}

/// Bilinear sample down column `x` at row position `y` (clamped).
fn sample_column(img: &RgbaImage, x: u32, y: f32) -> [u8; 4] {
    let h = img.height();
    let y = y.clamp(0.0, (h - 1) as f32);
    let (y0, t) = (y.floor() as u32, y.fract());
    let a = img.get_pixel(x, y0).0;
    let b = img.get_pixel(x, (y0 + 1).min(h - 1)).0;
    std::array::from_fn(|c| (f32::from(a[c]) * (1.0 - t) + f32::from(b[c]) * t).round() as u8)
}

fn smoothstep(a: f32, b: f32, x: f32) -> f32 {
    let t = ((x - a) / (b - a)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A skin-coloured face area with a mouth at y = 60, 40 px wide, chin at 90.
    fn rig(openings: Vec<f32>) -> MouthRig {
        let layer = RgbaImage::from_fn(200, 200, |_, y| Rgba([200, 150, 130 - (y / 4) as u8, 255]));
        let line = |y: f32| {
            (0..=10)
                .map(|i| [80.0 + 4.0 * i as f32, y])
                .collect::<Vec<_>>()
        };
        let mouth = Mouth {
            corners: [[80.0, 60.0], [120.0, 60.0]],
            upper: line(59.5),
            lower: line(60.5),
            chin: [100.0, 90.0],
        };
        MouthRig::new(&layer, (0, 0), &mouth, openings, 30.0).unwrap()
    }

    #[test]
    fn a_closed_mouth_draws_nothing_and_an_open_one_shows_a_dark_gap() {
        let r = rig(vec![0.0, 1.0]);
        assert!(r.patch_at(0.0).is_none());
        let (patch, left, top) = r.patch_at(1.0 / 30.0).unwrap();
        // Just below the lower lip line at the centre: the inside of the mouth.
        let p = patch.get_pixel((100 - left) as u32, (64 - top) as u32).0;
        assert!(p[0] < 80, "dark interior {p:?}");
    }

    #[test]
    fn the_patch_edges_match_the_subject_so_no_seam_shows() {
        let r = rig(vec![1.0]);
        let patch = r.patch(1.0);
        let (w, h) = patch.dimensions();
        for x in 0..w {
            assert_eq!(patch.get_pixel(x, 0), r.source.get_pixel(x, 0), "top edge");
            assert_eq!(
                patch.get_pixel(x, h - 1),
                r.source.get_pixel(x, h - 1),
                "bottom"
            );
        }
        for y in 0..h {
            assert_eq!(patch.get_pixel(0, y), r.source.get_pixel(0, y), "left edge");
        }
    }

    #[test]
    fn openings_follow_the_words_and_close_between_them() {
        let env = vec![1.0; 90];
        let o = mouth_openings(&env, &[(0.5, 1.5)], 30.0);
        assert_eq!(o[5], 0.0, "before the word");
        assert!(o[30] > 0.4, "during the word: {}", o[30]);
        assert!(o[85] < 0.05, "after it: {}", o[85]);
        // Quiet singing opens less than loud singing.
        let quiet = mouth_openings(&vec![0.1; 90], &[(0.5, 1.5)], 30.0);
        assert!(quiet[30] < o[30]);
        // Smooth: no frame-to-frame jump larger than the attack allows.
        assert!(o.windows(2).all(|w| (w[1] - w[0]).abs() < 0.6));
    }
}
