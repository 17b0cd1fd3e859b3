//! Putting the cut-out artist into a scene: framed so the face lands on the template's face
//! spot at its size with the body running off the bottom of the frame, colour-matched to the
//! scene, with the scene's light wrapping onto the edge and a soft shadow behind.
//!
//! The result is a layer of its own (the scene is another), so the camera can move the two
//! at different speeds.

use image::RgbaImage;
use rayon::prelude::*;

use super::blur::SoftPlane;
use super::torso::{extend_bottom, fade_cut_sides, stretch_bottom};
use crate::subject::Subject;

/// Where the face goes, in fractions of the frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceSpot {
    pub center_x: f32,
    pub center_y: f32,
    /// The face's height as a fraction of the frame height.
    pub face_height: f32,
}

/// How far the subject's colour statistics move toward the scene's: enough to share the
/// light, not so much that skin takes the wall's colour.
const COLOUR_MATCH: f32 = 0.3;
/// How far the face may sit below its spot so that the body reaches the frame's bottom,
/// before the subject is enlarged instead (fraction of the frame height).
const MAX_DROP: f32 = 0.06;
/// Enlargement beyond the face size the template asks for, before the body is lengthened.
const MAX_GROW: f32 = 1.3;
/// Largest enlargement in all, for photos whose body cannot be lengthened.
const MAX_EXTRA_SCALE: f32 = 2.2;
/// The lower part of a torso cut by the photo's frame that may be lengthened (share of the
/// distance from the face down), and by how much at most.
const STRETCH_BAND: f32 = 0.35;
const MAX_STRETCH: f32 = 1.6;
/// A photo's side column that is subject over this share of its height cuts the subject.
const SIDE_CUT: f32 = 0.1;
/// The farthest a subject cut by its photo's side moves to take that edge off the canvas
/// (fraction of the frame width).
const MAX_SIDE_SHIFT: f32 = 0.15;
/// How far a side cut by the photo fades out (fraction of the frame width).
const SIDE_FADE: f32 = 0.06;
/// Without a face, the subject's outline takes this share of the frame height.
const OUTLINE_HEIGHT: f32 = 0.8;
/// Strength of the scene's light on the subject's edge.
const LIGHT_WRAP: f32 = 0.45;
/// Darkness of the shadow the subject casts on the scene right behind it.
const SHADOW: f32 = 0.4;

/// The subject as a layer over the scene canvas.
#[derive(Debug, Clone)]
pub struct SubjectLayer {
    /// Straight (not premultiplied) RGBA, cropped to what is visible.
    pub image: RgbaImage,
    /// Position of `image` on the canvas.
    pub left: i64,
    pub top: i64,
    /// The face and hair, on the canvas: x, y, w, h.
    pub head: Option<[f32; 4]>,
    /// Where the body is anchored (canvas coordinates), the pivot for idle motion.
    pub anchor: [f32; 2],
    /// The mouth, on the canvas.
    pub mouth: Option<crate::subject::Mouth>,
    /// Canvas pixels per pixel of the cut-out: above 2 or 3 the photo looks soft.
    pub enlargement: f32,
    /// Where, on the canvas, a torso the photo cut off goes on below its bottom edge, made
    /// up ([`Framing::extend`]); the floor is shaded from a little above there.
    pub lengthened_from: Option<f32>,
}

/// Scale and position of the cut-out on the canvas.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Framing {
    pub scale: f32,
    pub left: f32,
    pub top: f32,
    /// A torso cut by the photo's bottom edge is lengthened: rows from `stretch_from` down
    /// are stretched to cover `stretch_extra` more source rows.
    pub stretch_from: u32,
    pub stretch_extra: u32,
    /// Rows that continue a torso cut by the photo's bottom edge below it, when even the
    /// largest enlargement and stretch leave it short of the frame's bottom (a close-up).
    pub extend: u32,
}

/// Frames `subject` on a canvas of `canvas` size that shows a `frame`-sized view at rest
/// (centred).
pub fn frame_subject(
    subject: &Subject,
    spot: FaceSpot,
    canvas: (u32, u32),
    frame: (u32, u32),
) -> Framing {
    let (cw, ch) = (canvas.0 as f32, canvas.1 as f32);
    let (fw, fh) = (frame.0 as f32, frame.1 as f32);
    let (ox, oy) = ((cw - fw) / 2.0, (ch - fh) / 2.0);
    let (_, bottom) = alpha_rows(&subject.cutout);
    let bottom = bottom as f32;
    let Some(face) = subject.face.filter(|f| f.h > 1.0 && f.w > 1.0) else {
        // No face: the outline stands on the bottom edge at the spot's x.
        let (top, _) = alpha_rows(&subject.cutout);
        let (left, right) = alpha_cols(&subject.cutout);
        let scale = OUTLINE_HEIGHT * fh / (bottom - top as f32).max(1.0);
        let cx = ox + spot.center_x * fw;
        return Framing {
            scale,
            left: cx - (left + right) as f32 / 2.0 * scale,
            top: ch - bottom * scale,
            stretch_from: 0,
            stretch_extra: 0,
            extend: 0,
        };
    };
    let [fx, fy] = face.center();
    let spot_x = ox + spot.center_x * fw;
    let mut spot_y = oy + spot.center_y * fh;
    let base = spot.face_height.clamp(0.02, 0.8) * fh / face.h;
    let mut scale = base;
    // The body must run to the canvas's bottom edge: drop the face a little, then enlarge.
    let reach = |scale: f32, spot_y: f32| spot_y + (bottom - fy) * scale;
    if reach(scale, spot_y) < ch {
        spot_y += (ch - reach(scale, spot_y)).min(MAX_DROP * fh);
    }
    let (mut stretch_from, mut stretch_extra, mut extend) = (0, 0, 0);
    if reach(scale, spot_y) < ch && bottom > fy {
        let needed = (ch - spot_y) / (bottom - fy);
        let cut_by_frame = bottom >= 0.97 * subject.cutout.height() as f32;
        if cut_by_frame && needed > base * MAX_GROW {
            // Grow a little, then lengthen the lower torso to reach the edge.
            scale = base * MAX_GROW;
            let band = STRETCH_BAND * (bottom - fy);
            let extra = ((ch - reach(scale, spot_y)) / scale).min(band * (MAX_STRETCH - 1.0));
            stretch_from = (bottom - band).round() as u32;
            stretch_extra = extra.ceil() as u32;
            if reach(scale, spot_y) + extra * scale < ch {
                scale = ((ch - spot_y) / (bottom + extra - fy)).min(base * MAX_EXTRA_SCALE);
            }
            let short = ch - reach(scale, spot_y) - extra * scale;
            if short > 0.0 {
                extend = (short / scale).ceil() as u32 + 2;
            }
        } else {
            scale = needed.min(base * MAX_EXTRA_SCALE);
        }
    }
    Framing {
        scale,
        left: spot_x - fx * scale + side_shift(&subject.cutout, spot_x - fx * scale, scale, cw, fw),
        top: spot_y - fy * scale,
        stretch_from,
        stretch_extra,
        extend,
    }
}

/// How far to move a subject whose photo cuts it on one side (a shoulder ending in the
/// photo's straight edge) so that the edge leaves the canvas, where no camera move shows it:
/// at most [`MAX_SIDE_SHIFT`] of the frame's width. Nothing when neither side or both are cut.
fn side_shift(cutout: &RgbaImage, left: f32, scale: f32, canvas_w: f32, frame_w: f32) -> f32 {
    let most = MAX_SIDE_SHIFT * frame_w;
    match cut_sides(cutout) {
        (true, false) => -left.clamp(0.0, most),
        (false, true) => (canvas_w - (left + cutout.width() as f32 * scale)).clamp(0.0, most),
        _ => 0.0,
    }
}

/// Whether the photo's left and right edges cut the subject: solid over a share of their
/// height.
fn cut_sides(cutout: &RgbaImage) -> (bool, bool) {
    let (w, h) = cutout.dimensions();
    let cut = |x: u32| {
        let solid = (0..h)
            .filter(|&y| cutout.get_pixel(x, y).0[3] > 128)
            .count();
        solid as f32 >= SIDE_CUT * h as f32
    };
    (cut(0), cut(w - 1))
}

/// First and last row (inclusive, exclusive) with visible subject pixels.
pub(super) fn alpha_rows(img: &RgbaImage) -> (u32, u32) {
    let rows: Vec<u32> = (0..img.height())
        .filter(|&y| (0..img.width()).any(|x| img.get_pixel(x, y).0[3] > 16))
        .collect();
    match (rows.first(), rows.last()) {
        (Some(&a), Some(&b)) => (a, b + 1),
        _ => (0, img.height()),
    }
}

fn alpha_cols(img: &RgbaImage) -> (u32, u32) {
    let cols: Vec<u32> = (0..img.width())
        .filter(|&x| (0..img.height()).any(|y| img.get_pixel(x, y).0[3] > 16))
        .collect();
    match (cols.first(), cols.last()) {
        (Some(&a), Some(&b)) => (a, b + 1),
        _ => (0, img.width()),
    }
}

/// The scene a subject is placed into: `image` covers the whole canvas at 1/`scale` of its
/// resolution (a blurred scene is kept at half resolution).
#[derive(Debug, Clone, Copy)]
pub struct Backdrop<'a> {
    pub image: &'a RgbaImage,
    pub scale: u32,
}

impl<'a> Backdrop<'a> {
    /// A canvas-sized scene.
    pub fn full(image: &'a RgbaImage) -> Backdrop<'a> {
        Backdrop { image, scale: 1 }
    }

    /// The canvas's size in its own pixels.
    pub fn canvas(&self) -> (u32, u32) {
        let scale = self.scale.max(1);
        (self.image.width() * scale, self.image.height() * scale)
    }
}

/// Builds the subject's layer for `scene` (already blurred).
pub fn place_subject(
    scene: Backdrop,
    subject: &Subject,
    spot: FaceSpot,
    frame: (u32, u32),
) -> Option<SubjectLayer> {
    Some(cut_subject(subject, spot, scene.canvas(), frame)?.into_scene(scene))
}

/// The subject scaled and placed on the canvas before it meets the scene: everything that
/// does not depend on the scene, so that it can be made while the scene is being blurred.
pub struct Cut {
    /// Not yet colour-matched, lit or shadowed.
    layer: SubjectLayer,
    shadow: SoftPlane,
    unit: f32,
}

/// Frames `subject` on a `canvas`-sized canvas for a `frame`-sized video; `None` when it
/// would fall off the canvas or be absurdly large.
pub fn cut_subject(
    subject: &Subject,
    spot: FaceSpot,
    canvas: (u32, u32),
    frame: (u32, u32),
) -> Option<Cut> {
    let framing = frame_subject(subject, spot, canvas, frame);
    let faded = fade_cut_sides(
        &subject.cutout,
        cut_sides(&subject.cutout),
        SIDE_FADE * frame.0 as f32 / framing.scale,
    );
    let cutout = faded.as_ref().unwrap_or(&subject.cutout);
    let cutout = stretch_bottom(cutout, framing.stretch_from, framing.stretch_extra);
    let cutout = extend_bottom(cutout, framing.extend);
    let (sw, sh) = cutout.dimensions();
    let w = ((sw as f32 * framing.scale).round() as u32).max(1);
    let h = ((sh as f32 * framing.scale).round() as u32).max(1);
    // Never more than a few canvases of pixels, however close the framing.
    if w > canvas.0 * 8 || h > canvas.1 * 8 {
        return None;
    }
    let scaled = super::resize(&cutout, w, h);
    let (left, top) = (framing.left.round() as i64, framing.top.round() as i64);

    // Room around the subject for its shadow, clipped to the canvas.
    let unit = frame.0 as f32 / 720.0;
    let pad = (24.0 * unit).round() as i64;
    let x0 = (left - pad).max(0);
    let y0 = (top - pad).max(0);
    let x1 = (left + i64::from(w) + pad).min(i64::from(canvas.0));
    let y1 = (top + i64::from(h) + pad).min(i64::from(canvas.1));
    if x1 <= x0 || y1 <= y0 {
        return None;
    }
    let (lw, lh) = ((x1 - x0) as usize, (y1 - y0) as usize);
    let mut layer = RgbaImage::new(lw as u32, lh as u32);
    image::imageops::replace(&mut layer, &scaled, left - x0, top - y0);
    // The shadow follows the outline only, which nothing after this changes.
    let shadow = shadow_of(&layer, unit);

    let head = subject.face.map(|f| {
        let s = framing.scale;
        let (fx, fy, fw, fh) = (
            framing.left + f.x * s,
            framing.top + f.y * s,
            f.w * s,
            f.h * s,
        );
        // The face box runs from brows to chin: hair adds above and a little to the sides.
        [fx - 0.15 * fw, fy - 0.6 * fh, fw * 1.3, fh * 1.65]
    });
    let mouth = subject.mouth.as_ref().map(|m| {
        m.map(|[x, y]| {
            [
                framing.left + x * framing.scale,
                framing.top + y * framing.scale,
            ]
        })
    });
    let layer = SubjectLayer {
        image: layer,
        left: x0,
        top: y0,
        mouth,
        head,
        anchor: [
            framing.left + sw as f32 * framing.scale / 2.0,
            canvas.1 as f32,
        ],
        enlargement: framing.scale,
        // The last rows were made up below the photo's bottom edge.
        lengthened_from: (framing.extend > 0)
            .then(|| framing.top + (sh - framing.extend) as f32 * framing.scale),
    };
    Some(Cut {
        layer,
        shadow,
        unit,
    })
}

impl Cut {
    /// The cut in `scene` (already blurred, covering the same canvas): its colour moved
    /// toward the scene's behind it, the scene's light on its edge, its shadow behind it.
    pub fn into_scene(self, scene: Backdrop) -> SubjectLayer {
        let Cut {
            mut layer,
            shadow,
            unit,
        } = self;
        let backdrop = Region {
            scene,
            left: layer.left as usize,
            top: layer.top as usize,
        };
        colour_match(&mut layer.image, &backdrop);
        let glow = wrap_glow(&backdrop, &layer.image, unit);
        light_and_shadow(&mut layer.image, &glow, &shadow);
        layer
    }
}

/// The part of the scene behind the subject's layer: the layer's pixel (x, y) lies over the
/// canvas's (left + x, top + y).
struct Region<'a> {
    scene: Backdrop<'a>,
    left: usize,
    top: usize,
}

impl Region<'_> {
    fn channel(&self, x: usize, y: usize, c: usize) -> u8 {
        let image = self.scene.image;
        let scale = self.scene.scale.max(1) as usize;
        let (w, h) = (image.width() as usize, image.height() as usize);
        let sx = ((self.left + x) / scale).min(w - 1);
        let sy = ((self.top + y) / scale).min(h - 1);
        image.as_raw()[(sy * w + sx) * 4 + c]
    }
}

/// A float in 0..=255 (after clamping) as the nearest byte.
fn to_byte(v: f32) -> u8 {
    (v.clamp(0.0, 255.0) + 0.5) as u8
}

/// Moves the subject's colour statistics part of the way to the scene's behind it.
fn colour_match(layer: &mut RgbaImage, backdrop: &Region) {
    let (w, h) = (layer.width() as usize, layer.height() as usize);
    let (subject, scene) = rayon::join(
        || {
            Stats::of((w, h), |x, y| {
                let p = layer.get_pixel(x as u32, y as u32).0;
                (f32::from(p[3]) / 255.0, [p[0], p[1], p[2]])
            })
        },
        || {
            Stats::of((w, h), |x, y| {
                (1.0, std::array::from_fn(|c| backdrop.channel(x, y, c)))
            })
        },
    );
    let (gain, offset) = subject.transfer_to(&scene, COLOUR_MATCH);
    let lut: [[u8; 256]; 3] =
        std::array::from_fn(|c| std::array::from_fn(|v| to_byte(v as f32 * gain[c] + offset[c])));
    let raw: &mut [u8] = layer;
    raw.par_chunks_exact_mut(4).for_each(|p| {
        if p[3] != 0 {
            for c in 0..3 {
                p[c] = lut[c][usize::from(p[c])];
            }
        }
    });
}

/// What the light wrap needs: how far inside the subject each pixel is (1 deep inside, less
/// within the wrap's reach of the edge), and the scene's colour blurred over that reach.
struct Glow {
    inside: SoftPlane,
    colour: [SoftPlane; 3],
}

fn wrap_glow(backdrop: &Region, layer: &RgbaImage, unit: f32) -> Glow {
    let size = (layer.width() as usize, layer.height() as usize);
    let r = (10.0 * unit).round().max(1.0) as usize;
    let mut planes: Vec<SoftPlane> = (0..4)
        .into_par_iter()
        .map(|c| match c {
            3 => SoftPlane::new(size, r, 2, |x, y| alpha_at(layer, x, y)),
            c => SoftPlane::new(size, r, 1, |x, y| f32::from(backdrop.channel(x, y, c))),
        })
        .collect();
    let inside = planes.pop().expect("four planes");
    let colour: [SoftPlane; 3] = planes.try_into().ok().expect("three planes");
    Glow { inside, colour }
}

fn alpha_at(layer: &RgbaImage, x: usize, y: usize) -> f32 {
    f32::from(layer.as_raw()[(y * layer.width() as usize + x) * 4 + 3]) / 255.0
}

/// The subject's outline dropped a little and blurred: where its shadow falls.
fn shadow_of(layer: &RgbaImage, unit: f32) -> SoftPlane {
    let size = (layer.width() as usize, layer.height() as usize);
    let drop = (6.0 * unit).round() as usize;
    let r = (9.0 * unit).round().max(1.0) as usize;
    SoftPlane::new(size, r, 2, |x, y| {
        if y >= drop {
            alpha_at(layer, x, y - drop)
        } else {
            0.0
        }
    })
}

/// The scene's light on the subject's edge, then the subject's shadow behind it, row by row
/// on every core.
fn light_and_shadow(layer: &mut RgbaImage, glow: &Glow, shadow: &SoftPlane) {
    let w = layer.width() as usize;
    if w == 0 {
        return;
    }
    let raw: &mut [u8] = layer;
    raw.par_chunks_exact_mut(w * 4)
        .enumerate()
        .for_each(|(y, row)| {
            for (x, p) in row.chunks_exact_mut(4).enumerate() {
                if p[3] != 0 {
                    light_wrap(p, glow, (x, y));
                }
                if p[3] != 255 {
                    cast_shadow(p, shadow.at(x, y) * SHADOW);
                }
            }
        });
}

/// The blurred scene bleeds onto the subject's edge at pixel (x, y), as light does around a
/// real person.
fn light_wrap(p: &mut [u8], glow: &Glow, (x, y): (usize, usize)) {
    // Strongest right at the edge, fading over the wrap's reach inward.
    let k = (LIGHT_WRAP * (1.0 - glow.inside.at(x, y)) * 2.0).clamp(0.0, LIGHT_WRAP);
    // Deep inside, no channel could move by half a level.
    if k * 255.0 < 0.5 {
        return;
    }
    for (v, g) in p.iter_mut().zip(&glow.colour) {
        // Screen-like: light adds, never darkens.
        let lit = f32::from(*v) + (g.at(x, y) - f32::from(*v)).max(0.0) * k;
        *v = to_byte(lit);
    }
}

/// A soft dark halo of strength `s` behind the subject, where it meets the scene.
fn cast_shadow(p: &mut [u8], s: f32) {
    if s <= 0.004 {
        return;
    }
    // Subject over shadow (black), straight alpha.
    let a = f32::from(p[3]) / 255.0;
    let out_a = a + s * (1.0 - a);
    let keep = a / out_a;
    for v in &mut p[..3] {
        *v = to_byte(f32::from(*v) * keep);
    }
    p[3] = to_byte(out_a * 255.0);
}

/// Weighted per-channel mean and standard deviation.
struct Stats {
    mean: [f32; 3],
    std: [f32; 3],
}

impl Stats {
    /// Statistics of a `w`×`h` picture whose pixel (x, y) is `weight_and_colour(x, y)`.
    fn of(
        (w, h): (usize, usize),
        weight_and_colour: impl Fn(usize, usize) -> (f32, [u8; 3]),
    ) -> Stats {
        let mut sum = [0f64; 3];
        let mut sq = [0f64; 3];
        let mut total = 0f64;
        // Every other pixel of every other row is plenty for statistics.
        for y in (0..h).step_by(2) {
            for x in (0..w).step_by(2) {
                let (wgt, colour) = weight_and_colour(x, y);
                let wgt = f64::from(wgt);
                if wgt <= 0.0 {
                    continue;
                }
                for c in 0..3 {
                    let v = f64::from(colour[c]);
                    sum[c] += v * wgt;
                    sq[c] += v * v * wgt;
                }
                total += wgt;
            }
        }
        if total == 0.0 {
            return Stats {
                mean: [128.0; 3],
                std: [64.0; 3],
            };
        }
        let mut mean = [0f32; 3];
        let mut std = [0f32; 3];
        for c in 0..3 {
            let m = sum[c] / total;
            mean[c] = m as f32;
            std[c] = (sq[c] / total - m * m).max(0.0).sqrt() as f32;
        }
        Stats { mean, std }
    }

    /// Gain and offset per channel moving these statistics `amount` of the way to `target`.
    fn transfer_to(&self, target: &Stats, amount: f32) -> ([f32; 3], [f32; 3]) {
        let mut gain = [1f32; 3];
        let mut offset = [0f32; 3];
        for c in 0..3 {
            let std_ratio = (target.std[c].max(1.0) / self.std[c].max(1.0)).clamp(0.5, 2.0);
            let g = 1.0 + (std_ratio - 1.0) * amount;
            let new_mean = self.mean[c] + (target.mean[c] - self.mean[c]) * amount;
            gain[c] = g;
            offset[c] = new_mean - self.mean[c] * g;
        }
        (gain, offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::torso::EXTEND_SHADE;
    use crate::subject::FaceBox;

    /// A 200×300 "person": a head disc and a body running to the bottom edge.
    fn person() -> Subject {
        let cutout = RgbaImage::from_fn(200, 300, |x, y| {
            let head = ((x as f32 - 100.0).powi(2) + (y as f32 - 80.0).powi(2)).sqrt() < 40.0;
            let body = y > 120 && (40..160).contains(&x);
            if head || body {
                image::Rgba([220, 170, 140, 255])
            } else {
                image::Rgba([0, 255, 0, 0])
            }
        });
        Subject {
            cutout,
            face: Some(FaceBox {
                x: 70.0,
                y: 50.0,
                w: 60.0,
                h: 60.0,
                score: 0.9,
                keypoints: [[0.0; 2]; 6],
            }),
            faces_found: 1,
            mouth: None,
            warnings: vec![],
        }
    }

    const SPOT: FaceSpot = FaceSpot {
        center_x: 0.5,
        center_y: 0.35,
        face_height: 0.12,
    };

    #[test]
    fn the_face_lands_on_its_spot_at_its_size_when_the_body_reaches_the_bottom() {
        let s = person();
        let f = frame_subject(&s, SPOT, (828, 1472), (720, 1280));
        let face_h = 60.0 * f.scale;
        let cy = f.top + 80.0 * f.scale;
        let cx = f.left + 100.0 * f.scale;
        assert!((cx - 414.0).abs() < 1.0, "x {cx}");
        // The body must reach the canvas bottom: the face may drop or grow, within limits.
        let bottom = f.top + (300 + f.stretch_extra) as f32 * f.scale;
        assert!(bottom >= 1472.0 - 1.0, "bottom reached: {bottom}");
        assert!(f.stretch_extra as f32 <= 0.6 * STRETCH_BAND * 220.0 + 1.0);
        assert!(
            face_h >= 0.12 * 1280.0 - 1.0,
            "face at least its size: {face_h}"
        );
        assert!(cy >= 96.0 + 0.35 * 1280.0 - 1.0);
    }

    /// A close-up: the face fills half the photo and the photo's bottom edge cuts the
    /// shoulders. Enlarging and stretching cannot bring the body to the canvas's bottom, so
    /// the torso is continued below the photo's edge.
    #[test]
    fn a_close_up_cut_by_the_photo_is_continued_down_to_the_bottom_edge() {
        let mut s = person();
        s.cutout = image::imageops::crop_imm(&s.cutout, 0, 0, 200, 150).to_image();
        let f = frame_subject(&s, SPOT, (828, 1472), (720, 1280));
        assert!(f.extend > 0, "{f:?}");
        let rows = 150 + f.stretch_extra + f.extend;
        let bottom = f.top + rows as f32 * f.scale;
        assert!(bottom >= 1472.0, "bottom reached: {bottom}");
        assert!(f.scale <= 60.0f32.recip() * 0.12 * 1280.0 * MAX_EXTRA_SCALE + 1e-3);

        let cutout = stretch_bottom(&s.cutout, f.stretch_from, f.stretch_extra);
        let long = extend_bottom(cutout.clone(), f.extend);
        assert_eq!(long.height(), cutout.height() + f.extend);
        let (last, end) = (cutout.height() - 1, long.height() - 1);
        for x in [20, 100, 180] {
            let (top, low) = (cutout.get_pixel(x, last).0, long.get_pixel(x, end).0);
            assert_eq!(low[3], top[3], "the outline goes straight on at x {x}");
        }
        let (top, low) = (cutout.get_pixel(100, last).0, long.get_pixel(100, end).0);
        // One colour all over: the bottom row is that colour in full shadow.
        let shaded = f32::from(top[0]) * (1.0 - EXTEND_SHADE);
        assert!(
            (f32::from(low[0]) - shaded).abs() <= 2.0,
            "{top:?} → {low:?}"
        );
    }

    /// A shoulder cut by the photo's left edge: the subject moves left until that edge is
    /// off the canvas, by no more than its limit; an uncut subject stays on its spot.
    #[test]
    fn a_side_cut_by_the_photo_moves_off_the_canvas() {
        let centred = frame_subject(&person(), SPOT, (828, 1472), (720, 1280));
        let mut s = person();
        s.cutout = image::imageops::crop_imm(&s.cutout, 50, 0, 150, 300).to_image();
        s.face = s.face.map(|f| FaceBox { x: f.x - 50.0, ..f });
        let f = frame_subject(&s, SPOT, (828, 1472), (720, 1280));
        let face_x = |f: &Framing, x: f32| f.left + x * f.scale;
        let moved = face_x(&centred, 100.0) - face_x(&f, 50.0);
        assert!(
            f.left <= 0.0 || moved >= MAX_SIDE_SHIFT * 720.0 - 0.5,
            "{f:?}"
        );
        assert!(
            moved > 0.0 && moved <= MAX_SIDE_SHIFT * 720.0 + 0.5,
            "moved {moved}"
        );
        assert_eq!(side_shift(&person().cutout, 300.0, 1.0, 828.0, 720.0), 0.0);
    }

    #[test]
    fn without_a_face_the_outline_stands_on_the_bottom_edge() {
        let mut s = person();
        s.face = None;
        let f = frame_subject(&s, SPOT, (828, 1472), (720, 1280));
        assert!((f.top + 300.0 * f.scale - 1472.0).abs() < 1.0);
    }

    #[test]
    fn the_layer_keeps_no_background_colour_and_casts_a_shadow() {
        let s = person();
        let scene = RgbaImage::from_pixel(828, 1472, image::Rgba([60, 70, 90, 255]));
        let layer = place_subject(Backdrop::full(&scene), &s, SPOT, (720, 1280)).unwrap();
        for p in layer.image.pixels() {
            if p.0[3] > 0 {
                assert!(p.0[1] < 200 || p.0[0] > 100, "green shows: {p:?}");
            }
        }
        // Pixels next to the subject but outside it are a translucent dark shadow.
        assert!(layer
            .image
            .pixels()
            .any(|p| p.0[3] > 10 && p.0[3] < 120 && p.0[0] < 30));
        let head = layer.head.unwrap();
        assert!(head[1] > 0.0 && head[3] > 0.0);
    }

    /// Head and shoulders, the shoulders cut by the photo's sides and bottom.
    fn headshot() -> Subject {
        let mut s = person();
        s.cutout = RgbaImage::from_fn(200, 200, |x, y| {
            let head = ((x as f32 - 100.0).powi(2) + (y as f32 - 80.0).powi(2)).sqrt() < 40.0;
            let a = if head || y > 130 { 255 } else { 0 };
            image::Rgba([90, 80, 70, a])
        });
        s
    }

    #[test]
    fn a_close_up_says_where_its_made_up_torso_begins() {
        let scene = RgbaImage::from_pixel(828, 1472, image::Rgba([60, 70, 90, 255]));
        let close = place_subject(Backdrop::full(&scene), &headshot(), SPOT, (720, 1280)).unwrap();
        let from = close
            .lengthened_from
            .expect("a headshot's torso is lengthened");
        let chin = close.head.unwrap()[1] + close.head.unwrap()[3];
        assert!(
            from > chin && from < 1472.0,
            "made up from {from}, chin {chin}"
        );
        let whole = place_subject(Backdrop::full(&scene), &person(), SPOT, (720, 1280)).unwrap();
        assert_eq!(
            whole.lengthened_from, None,
            "a body that reaches the bottom"
        );
    }

    #[test]
    fn shoulders_cut_by_the_photos_sides_fade_out_instead_of_ending_in_a_straight_edge() {
        let faded = fade_cut_sides(&headshot().cutout, cut_sides(&headshot().cutout), 20.0)
            .expect("both sides are cut");
        let alpha = |x: u32, y: u32| faded.get_pixel(x, y).0[3];
        assert!(alpha(0, 180) < 10 && alpha(199, 180) < 10, "the edges fade");
        assert!(alpha(5, 180) < alpha(12, 180), "gradually");
        assert_eq!(alpha(20, 180), 255, "solid past the band");
        assert_eq!(alpha(100, 80), 255, "the head is untouched");
        assert!(
            fade_cut_sides(&person().cutout, cut_sides(&person().cutout), 20.0).is_none(),
            "nothing cut"
        );
    }
}
