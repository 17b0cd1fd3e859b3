//! The subject as a moving layer: premultiplied YUV with alpha, resampled each frame with the
//! camera's full move (the scene behind moves less, which is the parallax) and a subtle idle
//! motion of its own: breathing about the body's anchor at the bottom, and a slow sway.

use std::f32::consts::TAU;

use image::RgbaImage;

use super::camera::view_mapping;
use super::mouth::MouthRig;
use super::path::View;
use crate::frame::{rgb_to_yuv, Yuv420};

/// Breathing: relative scale about the anchor, and its period in seconds.
const BREATH: f32 = 0.006;
const BREATH_PERIOD: f32 = 4.2;
/// Sway: sideways travel in pixels of a 720-wide frame, and its period.
const SWAY: f32 = 2.5;
const SWAY_PERIOD: f32 = 6.4;

/// One plane of premultiplied samples and the alpha that goes with them.
#[derive(Debug, Clone)]
struct Planes {
    width: usize,
    height: usize,
    value: Vec<u8>,
    alpha: Vec<u8>,
    /// Per row, the columns from the first to the last with any alpha (empty: start > end).
    spans: Vec<(usize, usize)>,
}

/// The subject layer, ready to draw.
/// Premultiplied YUV 4:2:0 with alpha, placed on the canvas.
#[derive(Debug, Clone)]
struct Layer {
    /// Canvas position of the planes' top-left pixel (even, so chroma lines up).
    left: f32,
    top: f32,
    y: Planes,
    u: Planes,
    v: Planes,
}

#[derive(Debug, Clone)]
pub struct Sprite {
    body: Layer,
    anchor: [f32; 2],
    /// Sway travel in canvas pixels.
    sway: f32,
    /// Moves the mouth with the vocals (lipsync videos).
    mouth: Option<MouthRig>,
}

/// Where frame pixels sample a layer: canvas coordinate of frame pixel x is
/// `m.left + (x + ½)·m.step`, then the idle motion (scale `k` about `anchor`, sway `dx`).
#[derive(Debug, Clone, Copy)]
struct Placement {
    m: super::camera::Mapping,
    k: f32,
    dx: f32,
    anchor: [f32; 2],
}

#[derive(Debug, Default)]
pub struct SpriteScratch {
    columns: Vec<(u32, u16)>,
    row: Vec<u16>,
    row_a: Vec<u16>,
}

impl Sprite {
    /// `img` (straight alpha) sits at (`left`, `top`) on the canvas; `frame_width` sets the
    /// scale of the idle motion.
    pub fn from_rgba(
        img: &RgbaImage,
        left: i64,
        top: i64,
        anchor: [f32; 2],
        frame_width: u32,
    ) -> Sprite {
        Sprite {
            body: Layer::from_rgba(img, left, top),
            anchor,
            sway: SWAY * frame_width as f32 / 720.0,
            mouth: None,
        }
    }

    /// Adds mouth animation.
    pub fn with_mouth(mut self, rig: MouthRig) -> Sprite {
        self.mouth = Some(rig);
        self
    }

    /// Draws the layer over `out` as the camera sees it with `view` of a `canvas`-sized
    /// canvas at time `t`.
    pub fn draw(
        &self,
        view: View,
        canvas: (f32, f32),
        t: f32,
        out: &mut Yuv420,
        scratch: &mut SpriteScratch,
    ) {
        let place = Placement {
            m: view_mapping(view, canvas, (out.width as f32, out.height as f32)),
            k: 1.0 + BREATH * (TAU * t / BREATH_PERIOD).sin(),
            dx: self.sway * (TAU * t / SWAY_PERIOD).sin(),
            anchor: self.anchor,
        };
        self.body.draw(&place, out, scratch);
        if let Some(rig) = &self.mouth {
            if let Some((patch, left, top)) = rig.patch_at(t) {
                Layer::from_rgba(&patch, left, top).draw(&place, out, scratch);
            }
        }
    }
}

impl Layer {
    fn from_rgba(img: &RgbaImage, left: i64, top: i64) -> Layer {
        // A transparent border of at least two pixels, so that samples just outside the image
        // fade out instead of dropping whole columns; and even canvas coordinates, so chroma
        // lines up.
        let (px, py) = (2 + (left & 1) as usize, 2 + (top & 1) as usize);
        let w = (img.width() as usize + px + 3) & !1;
        let h = (img.height() as usize + py + 3) & !1;
        let (cw, ch) = (w / 2, h / 2);
        let mut y = Planes::new(w, h);
        let mut u = Planes::new(cw, ch);
        let mut v = Planes::new(cw, ch);
        let raw = img.as_raw();
        let stride = img.width() as usize * 4;
        for cy in 0..ch {
            for cx in 0..cw {
                let (mut su, mut sv, mut sa) = (0u32, 0u32, 0u32);
                for (dy, dx) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                    let (lx, ly) = (2 * cx + dx, 2 * cy + dy);
                    let (ix, iy) = (lx as isize - px as isize, ly as isize - py as isize);
                    if ix < 0 || iy < 0 || ix >= img.width() as isize || iy >= img.height() as isize
                    {
                        continue;
                    }
                    let i = iy as usize * stride + ix as usize * 4;
                    let a = u32::from(raw[i + 3]);
                    if a == 0 {
                        continue;
                    }
                    let (ly_, lu, lv) = rgb_to_yuv(raw[i], raw[i + 1], raw[i + 2]);
                    y.value[ly * w + lx] = ((u32::from(ly_) * a + 127) / 255) as u8;
                    y.alpha[ly * w + lx] = a as u8;
                    su += u32::from(lu) * a;
                    sv += u32::from(lv) * a;
                    sa += a;
                }
                let ci = cy * cw + cx;
                u.value[ci] = ((su + 510) / 1020) as u8;
                v.value[ci] = ((sv + 510) / 1020) as u8;
                u.alpha[ci] = ((sa + 2) / 4) as u8;
                v.alpha[ci] = u.alpha[ci];
            }
        }
        Layer {
            left: (left - px as i64) as f32,
            top: (top - py as i64) as f32,
            y: y.with_spans(),
            u: u.with_spans(),
            v: v.with_spans(),
        }
    }

    fn draw(&self, place: &Placement, out: &mut Yuv420, scratch: &mut SpriteScratch) {
        let Placement { m, k, dx, anchor } = *place;
        let (ax, ay) = (anchor[0], anchor[1]);
        // Frame pixel x has canvas centre X = m.left + (x + 0.5)·step; the idle motion maps
        // it to p = anchor + (X − sway − anchor) / k on the subject; sample index p − origin − ½.
        let step = m.step / k;
        let bx = ax + (m.left + 0.5 * m.step - dx - ax) / k - self.left - 0.5;
        let by = ay + (m.top + 0.5 * m.step - ay) / k - self.top - 0.5;
        let (ow, oh) = (out.width as usize, out.height as usize);
        blend(&self.y, &mut out.y, ow, oh, step, bx, by, scratch);
        // Chroma: the same map at half size; a chroma pixel's centre is luma 2x + 1.
        let cbx = (ax + (m.left + m.step - dx - ax) / k) / 2.0 - self.left / 2.0 - 0.5;
        let cby = (ay + (m.top + m.step - ay) / k) / 2.0 - self.top / 2.0 - 0.5;
        blend(&self.u, &mut out.u, ow / 2, oh / 2, step, cbx, cby, scratch);
        blend(&self.v, &mut out.v, ow / 2, oh / 2, step, cbx, cby, scratch);
    }
}

impl Planes {
    fn new(width: usize, height: usize) -> Planes {
        Planes {
            width,
            height,
            value: vec![0; width * height],
            alpha: vec![0; width * height],
            spans: Vec::new(),
        }
    }

    /// Records each row's covered span; called once the planes are filled.
    fn with_spans(mut self) -> Planes {
        self.spans = self
            .alpha
            .chunks_exact(self.width.max(1))
            .map(|row| {
                let first = row.iter().position(|&a| a != 0);
                let last = row.iter().rposition(|&a| a != 0);
                match (first, last) {
                    (Some(f), Some(l)) => (f, l),
                    _ => (1, 0),
                }
            })
            .collect();
        self
    }
}

/// The destination range whose samples `step·i + b` fall on `0..len`.
fn covered(step: f32, b: f32, len: usize, dst_len: usize) -> std::ops::Range<usize> {
    let first = ((-b) / step).ceil().max(0.0);
    let last = ((len as f32 - 1.0 - b) / step).floor() + 1.0;
    let first = (first as usize).min(dst_len);
    let last = (last.max(0.0) as usize).min(dst_len);
    first..last.max(first)
}

/// Bilinear resample of premultiplied `src` over `dst`, source-over.
#[allow(clippy::too_many_arguments)]
fn blend(
    src: &Planes,
    dst: &mut [u8],
    dw: usize,
    dh: usize,
    step: f32,
    bx: f32,
    by: f32,
    scratch: &mut SpriteScratch,
) {
    if src.width < 2 || src.height < 2 {
        return;
    }
    let xs = covered(step, bx, src.width, dw);
    let ys = covered(step, by, src.height, dh);
    if xs.is_empty() || ys.is_empty() {
        return;
    }
    let max_x = (src.width - 2) as f32;
    scratch.columns.clear();
    scratch.columns.extend(xs.clone().map(|x| {
        let sx = (step * x as f32 + bx).clamp(0.0, max_x + 0.999);
        let i = sx.floor();
        (i as u32, ((sx - i) * 256.0) as u16)
    }));
    let first = scratch.columns.first().map_or(0, |c| c.0 as usize);
    let last = scratch
        .columns
        .last()
        .map_or(0, |c| c.0 as usize + 1)
        .min(src.width - 1);
    scratch.row.resize(src.width, 0);
    scratch.row_a.resize(src.width, 0);
    let max_y = (src.height - 2) as f32;
    let columns = &scratch.columns;
    for y in ys {
        let sy = (step * y as f32 + by).clamp(0.0, max_y + 0.999);
        let y0 = sy.floor() as usize;
        let fy = ((sy - y0 as f32) * 256.0) as u16;
        let (wa, wb) = (256 - fy, fy);
        // Only the columns where either source row has coverage: most rows beside a head
        // are empty.
        let (s0, s1) = (src.spans[y0], src.spans[y0 + 1]);
        let (lo, hi) = (s0.0.min(s1.0).max(first), s0.1.max(s1.1).min(last));
        if lo > hi {
            continue;
        }
        // Destination columns whose two source columns touch lo..=hi.
        let c0 = columns.partition_point(|c| (c.0 as usize) + 1 < lo);
        let c1 = columns.partition_point(|c| (c.0 as usize) <= hi);
        if c0 >= c1 {
            continue;
        }
        let (r_lo, r_hi) = (
            columns[c0].0 as usize,
            (columns[c1 - 1].0 as usize + 1).min(last),
        );
        let lerp_rows = |plane: &[u8], row: &mut [u16]| {
            let r0 = &plane[y0 * src.width..][r_lo..=r_hi];
            let r1 = &plane[(y0 + 1) * src.width..][r_lo..=r_hi];
            for ((o, &a), &b) in row[r_lo..=r_hi].iter_mut().zip(r0).zip(r1) {
                *o = u16::from(a) * wa + u16::from(b) * wb;
            }
        };
        lerp_rows(&src.alpha, &mut scratch.row_a);
        lerp_rows(&src.value, &mut scratch.row);
        let (row, row_a) = (&scratch.row, &scratch.row_a);
        let out = &mut dst[y * dw + xs.start + c0..y * dw + xs.start + c1];
        for (o, &(i, fx)) in out.iter_mut().zip(&columns[c0..c1]) {
            let i = i as usize;
            let fx = u32::from(fx);
            let a = (u32::from(row_a[i]) * (256 - fx) + u32::from(row_a[i + 1]) * fx + 32768) >> 16;
            if a == 0 {
                continue;
            }
            let v = (u32::from(row[i]) * (256 - fx) + u32::from(row[i + 1]) * fx + 32768) >> 16;
            *o = if a >= 255 {
                v.min(255) as u8
            } else {
                let mixed = v * 255 + u32::from(*o) * (255 - a);
                ((mixed + 127) / 255).min(255) as u8
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    fn view() -> View {
        View {
            zoom: 1.0,
            x: 0.0,
            y: 0.0,
        }
    }

    #[test]
    fn an_opaque_square_covers_and_the_rest_is_untouched() {
        // Canvas 120×200, frame 100×180: the view's top-left is canvas (10, 10).
        let img = RgbaImage::from_pixel(40, 40, Rgba([255, 255, 255, 255]));
        let sprite = Sprite::from_rgba(&img, 40, 60, [60.0, 200.0], 100);
        let mut out = Yuv420::new(100, 180);
        sprite.draw(
            view(),
            (120.0, 200.0),
            0.0,
            &mut out,
            &mut SpriteScratch::default(),
        );
        // Canvas (60, 80) is frame (50, 70): inside the square.
        assert_eq!(out.y[70 * 100 + 50], 235);
        assert_eq!(out.y[5 * 100 + 5], 16);
        assert_eq!(out.u[35 * 50 + 25], 128);
    }

    #[test]
    fn a_sprite_off_the_view_draws_nothing_and_does_not_panic() {
        let img = RgbaImage::from_pixel(8, 8, Rgba([255, 0, 0, 255]));
        let sprite = Sprite::from_rgba(&img, -500, 3000, [0.0, 0.0], 100);
        let mut out = Yuv420::new(100, 180);
        sprite.draw(
            view(),
            (120.0, 200.0),
            1.3,
            &mut out,
            &mut SpriteScratch::default(),
        );
        assert!(out.y.iter().all(|&v| v == 16));
    }

    #[test]
    fn idle_motion_is_small_and_smooth() {
        // A white bar's top edge: from frame to frame it moves by well under a pixel.
        let img = RgbaImage::from_pixel(60, 120, Rgba([255, 255, 255, 255]));
        let sprite = Sprite::from_rgba(&img, 30, 80, [60.0, 200.0], 100);
        let mut scratch = SpriteScratch::default();
        let mut coverage = |t: f32| {
            let mut out = Yuv420::new(100, 180);
            sprite.draw(view(), (120.0, 200.0), t, &mut out, &mut scratch);
            out.y.iter().map(|&v| f64::from(v - 16)).sum::<f64>() / 219.0
        };
        let mut prev = coverage(0.0);
        for f in 1..60 {
            let c = coverage(f as f32 / 30.0);
            assert!((c - prev).abs() < 60.0, "frame {f}: {prev} → {c}");
            prev = c;
        }
    }
}
