//! Mouth animation: the jaw and lower lip move down with the vocals, the upper lip rises a
//! little, and the gap between the lips opens onto the inside of the mouth: the upper teeth
//! in the lip's shadow, a dark cavity, the tongue when it opens wide. Driven by the face
//! mesh's inner lip contours, so it works on any face guide; it is not lip-sync to phonemes,
//! only to when and how loud the singing is.
//!
//! Each opening step warps a small patch around the mouth once (a vertical displacement field
//! that is zero at the patch's edges, so no seam shows); the part that moved is drawn over the
//! subject with the same motion as the rest of the subject.

use image::{Rgba, RgbaImage};

use crate::curve::smoothstep;
use crate::subject::Mouth;

/// Jaw drop at full opening, as a share of the mouth's width.
const DROP: f32 = 0.26;
/// The upper lip rises by this share of the jaw's drop.
const LIFT: f32 = 0.12;
/// How much of the upper teeth shows under the upper lip, as a share of the mouth's width.
const TEETH: f32 = 0.1;
/// The width of the lips' edge over the gap, as a share of the mouth's width.
const SOFT: f32 = 0.045;
/// How much of the photo's fine detail the interior keeps.
const GRAIN: f32 = 0.7;
/// Openings below this are drawn as closed (no patch at all).
const CLOSED: f32 = 0.01;
/// Openings are drawn in this many steps, so that a clip's frames share patches: one step
/// moves the jaw by at most DROP / 64 of the mouth's width (0.4 px for a 100 px mouth).
pub const OPENING_STEPS: usize = 64;
/// Unmoved pixels kept around a patch's moved part, so that it meets the subject unseen.
const MARGIN: u32 = 2;

/// Tells rigs apart, so that patches cached for one are never drawn for another.
static NEXT_RIG: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

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
    /// The colours inside the mouth, from the lips' own colour and light.
    inside: Interior,
    /// The lower lip's inner edge from outer corner to outer corner, sorted by x: the mesh's
    /// inner contour stops short of the corners, and a jump there would show as a notch.
    lower_line: Vec<[f32; 2]>,
    /// This rig's number (clones share it: they draw the same patches).
    id: u64,
}

/// The inside of the mouth: a dark cavity, the upper teeth in the lip's shadow, the tongue.
#[derive(Debug, Clone, Copy)]
struct Interior {
    cavity: [f32; 3],
    teeth: [f32; 3],
    tongue: [f32; 3],
}

impl Interior {
    /// Colours for lips of mean colour `lips` in a face of mean colour `face`. Both carry
    /// the scene's grade, so the interior takes its hue from them: neutral white teeth in a
    /// face graded deep orange read as grey steel, and a dark red as blue-grey.
    fn lit_like(lips: [f32; 3], face: [f32; 3]) -> Interior {
        let (face_y, lips_y) = (luma_of(face).max(1.0), luma_of(lips).max(1.0));
        let light = (face_y / 170.0).clamp(0.45, 1.0);
        // Teeth are the face's light on ivory: most of the face's cast, a little brighter.
        let ivory = [1.06, 1.0, 0.9];
        let teeth = with_luma(
            std::array::from_fn(|c| ivory[c] * (face[c] / face_y).max(0.0).powf(0.6)),
            (1.25 * face_y).clamp(90.0, 200.0),
        );
        // The cavity and tongue are the lips' own hue, deeper and darker.
        let lips_hue: [f32; 3] = std::array::from_fn(|c| (lips[c] / lips_y).max(0.0).powf(1.5));
        Interior {
            cavity: with_luma(lips_hue, 0.2 * lips_y + 6.0 * light),
            teeth,
            tongue: with_luma(lips_hue, 0.55 * lips_y),
        }
    }

    /// The colour at `u` (0 at the centre, 1 at the corners) and `depth` pixels below the
    /// upper lip, in a gap `gap` pixels high; `mw` is the mouth's width.
    fn at(&self, u: f32, depth: f32, gap: f32, mw: f32) -> [f32; 3] {
        let teeth_h = TEETH * mw;
        let v = depth / gap.max(1.0);
        // The teeth show only once the gap has room for them, and fade into the corners.
        let teeth = 0.85
            * smoothstep(0.0, 0.4 * teeth_h, depth)
            * (1.0 - smoothstep(0.75 * teeth_h, 1.05 * teeth_h, depth))
            * (1.0 - smoothstep(0.3, 0.7, u))
            * smoothstep(0.04 * mw, 0.14 * mw, gap);
        let tongue = 0.8
            * smoothstep(0.4, 0.95, v)
            * smoothstep(0.08 * mw, 0.2 * mw, gap)
            * (1.0 - smoothstep(0.5, 0.9, u));
        // The corners are deep in shadow.
        let corners = 0.55 + 0.45 * (1.0 - u * u).max(0.0);
        std::array::from_fn(|c| {
            let back = self.cavity[c] + (self.tongue[c] - self.cavity[c]) * tongue;
            (back + (self.teeth[c] - back) * teeth) * corners
        })
    }
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
        // The lower lip's own colour, a little below the line where the lips meet (that line
        // is a shadow); the face's light from the whole patch.
        let mut lips = [0f32; 3];
        for p in &mouth.lower {
            let px = sample_column(
                &source,
                (p[0].max(0.0) as u32).min(source.width() - 1),
                p[1] + (0.07 * mw).max(1.0),
            );
            for c in 0..3 {
                lips[c] += f32::from(px[c]) / mouth.lower.len().max(1) as f32;
            }
        }
        let face = mean_colour(&source);
        Some(MouthRig {
            source,
            left: left + x0,
            top: top + y0,
            inside: Interior::lit_like(lips, face),
            lower_line: {
                let mut line = mouth.lower.clone();
                line.extend(mouth.corners);
                line.sort_by(|a, b| a[0].total_cmp(&b[0]));
                line
            },
            mouth,
            openings,
            fps,
            id: NEXT_RIG.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
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

    /// The photo's fine detail at a pixel: its luma less its vertical neighbours' mean.
    fn detail(&self, x: u32, y: u32) -> f32 {
        let h = self.source.height();
        let luma = |y: u32| luma(self.source.get_pixel(x, y.min(h - 1)).0);
        luma(y) - 0.5 * (luma(y.saturating_sub(2)) + luma(y + 2))
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    /// The opening at time `t` in steps of 1 / [`OPENING_STEPS`], or `None` while closed.
    pub fn step_at(&self, t: f32) -> Option<usize> {
        let o = self.opening_at(t);
        (o > CLOSED).then(|| ((o.min(1.0) * OPENING_STEPS as f32).round() as usize).max(1))
    }

    /// The patch for an opening `step` (from [`MouthRig::step_at`]) and its canvas position:
    /// only the part that moves, and a margin of unmoved pixels that meets the subject.
    pub fn patch_at_step(&self, step: usize) -> (RgbaImage, i64, i64) {
        let opening = step as f32 / OPENING_STEPS as f32;
        let (patch, moved) = self.warp(opening);
        let Some([x0, y0, x1, y1]) = moved else {
            return (patch, self.left, self.top);
        };
        let (w, h) = patch.dimensions();
        let (x0, y0) = (x0.saturating_sub(MARGIN), y0.saturating_sub(MARGIN));
        let (x1, y1) = ((x1 + 1 + MARGIN).min(w), (y1 + 1 + MARGIN).min(h));
        let part = image::imageops::crop_imm(&patch, x0, y0, x1 - x0, y1 - y0).to_image();
        (part, self.left + i64::from(x0), self.top + i64::from(y0))
    }

    /// The whole mouth region opened by `opening` (0..1).
    #[cfg(test)]
    fn patch(&self, opening: f32) -> RgbaImage {
        self.warp(opening).0
    }

    /// The mouth region opened by `opening`, and the bounds (first and last column and row)
    /// of the pixels that moved.
    fn warp(&self, opening: f32) -> (RgbaImage, Option<[u32; 4]>) {
        let m = &self.mouth;
        let mw = m.width();
        let cx = (m.corners[0][0] + m.corners[1][0]) / 2.0;
        let half = mw / 2.0;
        let lip = (m.corners[0][1] + m.corners[1][1]) / 2.0;
        let drop = opening.clamp(0.0, 1.0) * (DROP * mw).min(0.6 * (m.chin[1] - lip).max(1.0));
        let (w, h) = self.source.dimensions();
        let mut out = self.source.clone();
        let mut moved: Option<[u32; 4]> = None;
        // Below the chin and around the mouth, per row: the same for every column.
        let rows: Vec<(f32, f32)> = (0..h)
            .map(|y| {
                let yf = y as f32 + 0.5;
                (
                    1.0 - smoothstep(m.chin[1], m.chin[1] + 0.6 * mw, yf),
                    smoothstep(lip - 0.2 * mw, lip + 0.5 * mw, yf),
                )
            })
            .collect();
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
            if in_jaw <= 0.0 && in_mouth <= 0.0 {
                continue; // beyond the jaw nothing moves
            }
            let lower = curve_at(&self.lower_line, xf, lip);
            // The upper lip rises over a short ramp that ends well inside the patch's top.
            let lift = LIFT * drop * in_mouth;
            let (ramp_top, gap_top) = (lower - 0.35 * mw, lower - lift);
            let soft = (SOFT * mw).max(1.0);
            // Above both the cheeks' and the lip's ramps, and below the chin's fade, every
            // displacement is zero.
            let first = (ramp_top.min(lip - 0.2 * mw) - 1.0).max(0.0) as u32;
            let last =
                ((m.chin[1] + 0.6 * mw).max(gap_top + soft) + 1.0).clamp(0.0, h as f32) as u32;
            for (y, &(below_chin, cheeks)) in (first..last.max(first)).zip(&rows[first as usize..])
            {
                let yf = y as f32 + 0.5;
                // A smooth stretch around the mouth, plus the jaw's drop below the lower lip
                // inside it: the one jump, which the mouth's interior fills.
                let outer = drop * below_chin * (in_jaw - in_mouth).max(0.0) * cheeks;
                let jaw = if yf >= lower {
                    drop * below_chin * in_mouth
                } else {
                    0.0
                };
                let raised = if yf < gap_top {
                    lift * smoothstep(ramp_top, gap_top, yf)
                } else {
                    0.0
                };
                if outer + jaw + raised < 0.01 {
                    continue;
                }
                moved = Some(match moved {
                    None => [x, y, x, y],
                    Some([x0, y0, x1, y1]) => [x0.min(x), y0.min(y), x1.max(x), y1.max(y)],
                });
                let moved = sample_column(&self.source, x, yf - outer - jaw + raised - 0.5);
                let gap_bottom = lower + jaw;
                let pixel = if in_mouth > 0.0 && yf >= gap_top - 0.5 && yf < gap_bottom + soft {
                    // Uncovered: the inside of the mouth, as soft at both lips as the photo is,
                    // with the photo's own grain so that it does not look painted on.
                    let cover = ((gap_bottom - yf) / soft)
                        .min((yf - gap_top + 0.5) / soft)
                        .clamp(0.0, 1.0);
                    let inside =
                        self.inside
                            .at(u, (yf - gap_top).max(0.0), gap_bottom - gap_top, mw);
                    let grain = GRAIN * self.detail(x, y);
                    let lip_px = sample_column(&self.source, x, lower - 0.5);
                    let edge = if yf < gap_bottom { lip_px } else { moved };
                    Rgba(std::array::from_fn(|c| {
                        if c == 3 {
                            lip_px[3]
                        } else {
                            let inside = (inside[c] + grain).clamp(0.0, 255.0);
                            (inside * cover + f32::from(edge[c]) * (1.0 - cover) + 0.5) as u8
                        }
                    }))
                } else {
                    Rgba(moved)
                };
                out.put_pixel(x, y, pixel);
            }
        }
        (out, moved)
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

/// The y of a contour (points sorted left to right) at `x`; beyond its ends, `outside`.
fn curve_at(sorted: &[[f32; 2]], x: f32, outside: f32) -> f32 {
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

/// A pixel's luma (BT.601 weights).
fn luma(p: [u8; 4]) -> f32 {
    luma_of([p[0], p[1], p[2]].map(f32::from))
}

fn luma_of(c: [f32; 3]) -> f32 {
    0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]
}

/// `colour` scaled to luma `y`, clamped to 0..255.
fn with_luma(colour: [f32; 3], y: f32) -> [f32; 3] {
    let k = y / luma_of(colour).max(1e-3);
    colour.map(|v| (v * k).clamp(0.0, 255.0))
}

/// The mean colour of an image's opaque pixels.
fn mean_colour(img: &RgbaImage) -> [f32; 3] {
    let (sum, n) = img
        .pixels()
        .filter(|p| p.0[3] > 127)
        .fold(([0f64; 3], 0usize), |(sum, n), p| {
            (std::array::from_fn(|c| sum[c] + f64::from(p.0[c])), n + 1)
        });
    sum.map(|v| (v / n.max(1) as f64) as f32)
}

/// Bilinear sample down column `x` at row position `y` (clamped). Runs for every moved
/// pixel of every patch, so it mixes in integers (weights of 256) instead of floats.
#[inline]
fn sample_column(img: &RgbaImage, x: u32, y: f32) -> [u8; 4] {
    let h = img.height();
    let y = y.clamp(0.0, (h - 1) as f32);
    let y0 = y as u32;
    let t = ((y - y0 as f32) * 256.0) as u32;
    let (raw, w) = (img.as_raw(), img.width() as usize);
    let at = |y: u32| &raw[(y as usize * w + x as usize) * 4..][..4];
    let (a, b) = (at(y0), at((y0 + 1).min(h - 1)));
    std::array::from_fn(|c| ((u32::from(a[c]) * (256 - t) + u32::from(b[c]) * t + 128) >> 8) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A skin-coloured face area with a mouth at y = 60, 40 px wide, chin at 90.
    fn rig(openings: Vec<f32>) -> MouthRig {
        rig_on(openings, |y| [200, 150, (200 - y) as u8])
    }

    /// The same mouth on a face coloured `colour(y)`.
    fn rig_on(openings: Vec<f32>, colour: impl Fn(u32) -> [u8; 3]) -> MouthRig {
        let layer = RgbaImage::from_fn(200, 200, |_, y| {
            let [r, g, b] = colour(y);
            Rgba([r, g, b, 255])
        });
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
        assert!(r.step_at(0.0).is_none());
        let step = r.step_at(1.0 / 30.0).unwrap();
        assert_eq!(step, OPENING_STEPS);
        let (patch, left, top) = r.patch_at_step(step);
        // Just below the lower lip line at the centre: the inside of the mouth.
        let p = patch.get_pixel((100 - left) as u32, (64 - top) as u32).0;
        assert!(p[0] < 80, "dark interior {p:?}");
    }

    #[test]
    fn a_wide_mouth_shows_teeth_under_the_upper_lip_and_a_dark_cavity_below() {
        let r = rig(vec![1.0]);
        let patch = r.patch(1.0);
        let x = (100 - r.left) as u32;
        let luma = |y: u32| luma(patch.get_pixel(x, y).0);
        // The lip line is at y = 60 in the layer (the patch starts higher up).
        let top = r.top as u32;
        let (teeth, cavity) = (luma(61 - top), luma(64 - top));
        assert!(teeth > 120.0, "teeth {teeth}");
        assert!(cavity < 60.0, "cavity {cavity}");
        // Barely open: no bright teeth in the slit, only shadow.
        let slit = r.patch(0.12);
        let p = slit.get_pixel(x, 60 - top).0;
        assert!(p[0] < 150, "slit {p:?}");
    }

    #[test]
    fn the_inside_of_the_mouth_takes_the_faces_grade_so_teeth_are_not_grey_in_warm_light() {
        // A face graded deep orange, as a warm stage does: neutral teeth would read as grey
        // steel there and a dark red cavity as blue-grey.
        let r = rig_on(vec![1.0], |_| [235, 110, 70]);
        let patch = r.patch(1.0);
        let x = (100 - r.left) as u32;
        let top = r.top as u32;
        let (teeth, cavity) = (
            patch.get_pixel(x, 61 - top).0,
            patch.get_pixel(x, 64 - top).0,
        );
        let warmth = |p: [u8; 4]| f32::from(p[0]) / f32::from(p[1]).max(1.0);
        assert!(warmth(teeth) > 1.6, "teeth {teeth:?}");
        assert!(teeth[1] > teeth[2], "teeth {teeth:?}");
        assert!(cavity[0] > 2 * cavity[2], "cavity {cavity:?}");
        // On a neutral face the same teeth are near white, not orange.
        let grey = rig_on(vec![1.0], |_| [150, 150, 150]);
        let teeth = grey.patch(1.0).get_pixel(x, 61 - top).0;
        assert!(warmth(teeth) < 1.15, "teeth {teeth:?}");
    }

    #[test]
    fn the_upper_lip_rises_a_little_as_the_jaw_drops() {
        let r = rig(vec![1.0]);
        let patch = r.patch(1.0);
        let (x, top) = ((100 - r.left) as u32, r.top as u32);
        // The rows just above the lip line show what was a little lower on the face.
        let (now, before) = (
            patch.get_pixel(x, 56 - top),
            r.source.get_pixel(x, 56 - top),
        );
        assert_ne!(now, before);
        // Far above the mouth nothing moves.
        assert_eq!(patch.get_pixel(x, 0), r.source.get_pixel(x, 0));
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

    #[test]
    fn a_patch_drawn_is_only_its_moved_part_and_everything_outside_it_is_the_subject() {
        let r = rig(vec![1.0]);
        for step in [1, OPENING_STEPS / 3, OPENING_STEPS] {
            let full = r.patch(step as f32 / OPENING_STEPS as f32);
            let (part, left, top) = r.patch_at_step(step);
            let (dx, dy) = ((left - r.left) as u32, (top - r.top) as u32);
            assert!(part.width() < full.width() || part.height() < full.height());
            for (x, y, p) in full.enumerate_pixels() {
                let inside =
                    (dx..dx + part.width()).contains(&x) && (dy..dy + part.height()).contains(&y);
                if inside {
                    assert_eq!(part.get_pixel(x - dx, y - dy), p, "({x}, {y})");
                } else {
                    assert_eq!(
                        r.source.get_pixel(x, y),
                        p,
                        "moved pixel left out: ({x}, {y})"
                    );
                }
            }
        }
    }
}
