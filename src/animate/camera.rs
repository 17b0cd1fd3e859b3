//! The camera: renders a view of the background canvas straight into a YUV 4:2:0 frame.
//!
//! The canvas is converted to YUV once per video; each frame is then a bilinear resample of
//! each plane with fixed-point weights. The mapping has no rotation, so it is separable
//! (`resample`).

use std::ops::Range;

use image::RgbaImage;
use rayon::prelude::*;

use super::path::View;
use super::resample::{lerp_pairs, resample_row, Columns, PAIR_PADDING};
use crate::frame::{rgb_to_yuv, Yuv420};

/// One plane of 8-bit samples.
#[derive(Debug, Clone)]
struct Plane {
    width: usize,
    height: usize,
    data: Vec<u8>,
}

/// The background in YUV, larger than the frame by the camera's margin.
#[derive(Debug, Clone)]
pub struct Canvas {
    y: Plane,
    u: Plane,
    v: Plane,
    /// Canvas pixels per luma sample: 2 for a blurred scene kept at half size.
    scale: u32,
}

impl Canvas {
    /// Converts an RGBA image (alpha ignored) to planar YUV 4:2:0; odd sizes lose their last
    /// row/column.
    pub fn from_rgba(img: &RgbaImage) -> Canvas {
        let w = (img.width() as usize) & !1;
        let h = (img.height() as usize) & !1;
        let (cw, ch) = (w / 2, h / 2);
        let mut y = vec![0u8; w * h];
        let mut u = vec![0u8; cw * ch];
        let mut v = vec![0u8; cw * ch];
        let raw = img.as_raw();
        let stride = img.width() as usize * 4;
        // One chroma row (two luma rows) per task.
        y.par_chunks_exact_mut(2 * w.max(1))
            .zip(u.par_chunks_exact_mut(cw))
            .zip(v.par_chunks_exact_mut(cw))
            .enumerate()
            .for_each(|(cy, ((y, u), v))| {
                for cx in 0..cw {
                    let (mut su, mut sv) = (0u32, 0u32);
                    for (dy, dx) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                        let (px, py) = (2 * cx + dx, 2 * cy + dy);
                        let i = py * stride + px * 4;
                        let (ly, lu, lv) = rgb_to_yuv(raw[i], raw[i + 1], raw[i + 2]);
                        y[dy * w + px] = ly;
                        su += u32::from(lu);
                        sv += u32::from(lv);
                    }
                    u[cx] = ((su + 2) / 4) as u8;
                    v[cx] = ((sv + 2) / 4) as u8;
                }
            });
        Canvas {
            y: Plane {
                width: w,
                height: h,
                data: y,
            },
            u: Plane {
                width: cw,
                height: ch,
                data: u,
            },
            v: Plane {
                width: cw,
                height: ch,
                data: v,
            },
            scale: 1,
        }
    }

    /// The same planes standing for a canvas `scale` times their size (at least 1).
    pub fn scaled(mut self, scale: u32) -> Canvas {
        self.scale = scale.max(1);
        self
    }

    /// The canvas's width in canvas pixels.
    pub fn width(&self) -> u32 {
        self.y.width as u32 * self.scale
    }

    pub fn height(&self) -> u32 {
        self.y.height as u32 * self.scale
    }

    /// Renders `view` into `out`, whose size is the frame size.
    pub fn render(&self, view: View, out: &mut Yuv420, scratch: &mut Scratch) {
        self.render_behind(view, out, scratch, &Cover::default());
    }

    /// Renders `view` into `out` except where `cover` says a layer in front hides it.
    pub fn render_behind(
        &self,
        view: View,
        out: &mut Yuv420,
        scratch: &mut Scratch,
        cover: &Cover,
    ) {
        let canvas = (self.width() as f32, self.height() as f32);
        let m = view_mapping(view, canvas, (out.width as f32, out.height as f32));
        // Frame pixel x's centre lies at canvas m.left + (x + 0.5)·step, which is luma sample
        // (m.left + (x + 0.5)·step) / scale − 0.5.
        let scale = self.scale as f32;
        let step = m.step / scale;
        let bx = (m.left + 0.5 * m.step) / scale - 0.5;
        let by = (m.top + 0.5 * m.step) / scale - 0.5;
        let (ow, oh) = (out.width as usize, out.height as usize);
        let luma = Target::new(&mut out.y, ow, oh, &cover.luma);
        sample(&self.y, luma, step, bx, by, scratch);
        // Chroma planes are half size on both sides: chroma pixel x's centre is frame
        // pixel 2x + 1's left edge.
        let cbx = (m.left + m.step) / (2.0 * scale) - 0.5;
        let cby = (m.top + m.step) / (2.0 * scale) - 0.5;
        let (cw, ch) = (ow / 2, oh / 2);
        let u = Target::new(&mut out.u, cw, ch, &cover.chroma);
        sample(&self.u, u, step, cbx, cby, scratch);
        let v = Target::new(&mut out.v, cw, ch, &cover.chroma);
        sample(&self.v, v, step, cbx, cby, scratch);
    }
}

/// Per frame row, the columns a layer in front covers completely (luma and chroma rows):
/// the scene there is never seen, so it is not drawn.
#[derive(Debug, Default, Clone)]
pub struct Cover {
    pub luma: Vec<Range<usize>>,
    pub chroma: Vec<Range<usize>>,
}

/// One destination plane and the columns of each row to leave alone.
struct Target<'a> {
    data: &'a mut [u8],
    width: usize,
    height: usize,
    holes: &'a [Range<usize>],
}

impl<'a> Target<'a> {
    fn new(data: &'a mut [u8], width: usize, height: usize, holes: &'a [Range<usize>]) -> Self {
        Target {
            data,
            width,
            height,
            holes,
        }
    }

    /// Row `y`'s hole, clamped to the row; empty when there is none.
    fn hole(&self, y: usize) -> Range<usize> {
        match self.holes.get(y) {
            Some(h) if h.start < h.end => h.start.min(self.width)..h.end.min(self.width),
            _ => self.width..self.width,
        }
    }
}

/// Where a view puts the frame on the canvas: frame pixel centre x + 0.5 is canvas coordinate
/// `left + (x + 0.5) · step` (canvas pixel i's centre is at i + 0.5).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mapping {
    pub left: f32,
    pub top: f32,
    pub step: f32,
}

/// The mapping of `view` for a `frame`-sized output of a `canvas`-sized canvas.
pub fn view_mapping(view: View, canvas: (f32, f32), frame: (f32, f32)) -> Mapping {
    let ((cw, ch), (fw, fh)) = (canvas, frame);
    // At zoom 1 one canvas pixel is one frame pixel; never show past the canvas edge.
    let min_zoom = f32::max(fw / cw, fh / ch);
    let zoom = view.zoom.max(min_zoom);
    let (vw, vh) = (fw / zoom, fh / zoom);
    let centre_x = cw / 2.0 + view.x.clamp(-1.0, 1.0) * (cw - vw) / 2.0;
    let centre_y = ch / 2.0 + view.y.clamp(-1.0, 1.0) * (ch - vh) / 2.0;
    Mapping {
        left: centre_x - vw / 2.0,
        top: centre_y - vh / 2.0,
        step: 1.0 / zoom,
    }
}

/// Buffers reused from frame to frame.
#[derive(Debug, Default)]
pub struct Scratch {
    columns: Columns,
    pairs: Vec<u32>,
}

/// Bilinear resample: destination (x, y) reads source (step·x + bx, step·y + by), except in
/// the target's holes.
fn sample(src: &Plane, dst: Target, step: f32, bx: f32, by: f32, scratch: &mut Scratch) {
    let max_x = src.width.saturating_sub(2) as f32;
    let max_y = src.height.saturating_sub(2) as f32;
    let columns = &mut scratch.columns;
    columns.fill(0..dst.width, step, bx, max_x);
    let last = src.width - 1;
    scratch.pairs.resize(src.width + PAIR_PADDING, 0);
    for y in 0..dst.height {
        let sy = (step * y as f32 + by).clamp(0.0, max_y + 0.999);
        let y0 = sy.floor() as usize;
        let fy = ((sy - y0 as f32) * 256.0) as u16;
        let r0 = &src.data[y0 * src.width..][..src.width];
        let r1 = &src.data[(y0 + 1).min(src.height - 1) * src.width..][..src.width];
        let hole = dst.hole(y);
        let out = &mut dst.data[y * dst.width..(y + 1) * dst.width];
        let (left, rest) = out.split_at_mut(hole.start);
        let right = &mut rest[hole.end - hole.start..];
        for (part, cols) in [(left, 0..hole.start), (right, hole.end..dst.width)] {
            if cols.is_empty() {
                continue;
            }
            let lo = columns.source(cols.start);
            let hi = (columns.source(cols.end - 1) + 1).min(last);
            lerp_pairs(&r0[lo..=hi], &r1[lo..=hi], fy, &mut scratch.pairs[lo..hi]);
            resample_row(part, columns.run(cols), &scratch.pairs);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    fn gradient(w: u32, h: u32) -> RgbaImage {
        RgbaImage::from_fn(w, h, |x, y| {
            Rgba([(x * 255 / w) as u8, (y * 255 / h) as u8, 90, 255])
        })
    }

    #[test]
    fn zoom_one_centred_is_a_centre_crop() {
        let img = gradient(120, 200);
        let canvas = Canvas::from_rgba(&img);
        let mut out = Yuv420::new(100, 180);
        canvas.render(
            View {
                zoom: 1.0,
                x: 0.0,
                y: 0.0,
            },
            &mut out,
            &mut Scratch::default(),
        );
        // Frame (0,0) is canvas (10,10).
        assert_eq!(out.y[0], canvas.y.data[10 * 120 + 10]);
        assert_eq!(out.y[179 * 100 + 99], canvas.y.data[189 * 120 + 109]);
    }

    #[test]
    fn views_never_leave_the_canvas() {
        let canvas = Canvas::from_rgba(&gradient(120, 200));
        let mut out = Yuv420::new(100, 180);
        let (cw, ch) = (120.0, 200.0);
        for (zoom, x, y) in [
            (0.5, 1.0, -1.0),
            (3.0, -1.0, 1.0),
            (1.0, 5.0, 5.0),
            (0.01, -7.0, 0.0),
            (1.0, f32::MIN_POSITIVE, -0.999),
        ] {
            let view = View { zoom, x, y };
            let m = view_mapping(view, (cw, ch), (100.0, 180.0));
            let (right, bottom) = (m.left + 100.0 * m.step, m.top + 180.0 * m.step);
            let eps = 1e-3;
            assert!(
                m.left >= -eps && m.top >= -eps && right <= cw + eps && bottom <= ch + eps,
                "{view:?} shows {:.3}..{right:.3} x {:.3}..{bottom:.3} of a {cw}x{ch} canvas",
                m.left,
                m.top
            );
            canvas.render(view, &mut out, &mut Scratch::default());
            // What is drawn comes from the canvas: its corners' colours bound every pixel.
            let (lo, hi) = (
                *canvas.y.data.iter().min().unwrap(),
                *canvas.y.data.iter().max().unwrap(),
            );
            assert!(out.y.iter().all(|&v| (lo..=hi).contains(&v)), "{view:?}");
        }
    }

    #[test]
    fn a_sub_pixel_pan_moves_the_image_by_a_fraction_of_a_level() {
        // A steep ramp: a 0.3 px pan changes luma by about 0.3 of a pixel's step,
        // which is what keeps slow moves from stair-stepping.
        let img = RgbaImage::from_fn(400, 200, |x, _| {
            let v = (i64::from(x) - 168).clamp(0, 64) as u8 * 3;
            Rgba([v, v, v, 255])
        });
        let canvas = Canvas::from_rgba(&img);
        let mut scratch = Scratch::default();
        let mut a = Yuv420::new(300, 180);
        let mut b = Yuv420::new(300, 180);
        // Room to pan: (400 - 300) / 2 = 50 px per unit of x.
        canvas.render(
            View {
                zoom: 1.0,
                x: 0.0,
                y: 0.0,
            },
            &mut a,
            &mut scratch,
        );
        canvas.render(
            View {
                zoom: 1.0,
                x: 0.006,
                y: 0.0,
            },
            &mut b,
            &mut scratch,
        );
        let mean = |f: &Yuv420| f.y.iter().map(|&v| f64::from(v)).sum::<f64>() / f.y.len() as f64;
        let shift = mean(&b) - mean(&a);
        // 0.3 px × 3 levels/px × 219/255 × 64 of 300 columns ≈ 0.16 levels; a whole pixel 0.55.
        assert!(shift > 0.1 && shift < 0.25, "shift {shift}");
    }

    #[test]
    fn a_half_size_canvas_draws_what_the_full_size_one_draws() {
        // A smooth picture (as a blurred scene is) stored at half size, drawn as the full
        // canvas, matches the full-size canvas drawn the same way, in luma and chroma.
        let full = RgbaImage::from_fn(240, 400, |x, y| {
            let (xf, yf) = (x as f32, y as f32);
            let r = 128.0 + 110.0 * (xf / 14.0).sin();
            let g = 128.0 + 110.0 * (yf / 14.0).cos();
            Rgba([r as u8, g as u8, ((xf + yf) / 3.0) as u8, 255])
        });
        let half = crate::compose::resize(&full, 120, 200);
        let (big, small) = (Canvas::from_rgba(&full), Canvas::from_rgba(&half).scaled(2));
        assert_eq!((small.width(), small.height()), (240, 400));
        let mut scratch = Scratch::default();
        for (zoom, x, y) in [(1.0, 0.0, 0.0), (1.3, 0.4, -0.7), (1.07, -1.0, 1.0)] {
            let view = View { zoom, x, y };
            let (mut a, mut b) = (Yuv420::new(200, 356), Yuv420::new(200, 356));
            big.render(view, &mut a, &mut scratch);
            small.render(view, &mut b, &mut scratch);
            for (name, pa, pb) in [("y", &a.y, &b.y), ("u", &a.u, &b.u), ("v", &a.v, &b.v)] {
                let worst = pa.iter().zip(pb).map(|(p, q)| p.abs_diff(*q)).max();
                let mean = pa
                    .iter()
                    .zip(pb)
                    .map(|(p, q)| f64::from(p.abs_diff(*q)))
                    .sum::<f64>()
                    / pa.len() as f64;
                // Rounding differs by a level here and there; a shift of a quarter sample
                // moves the average by more than 0.45 of a level.
                assert!(
                    worst <= Some(4) && mean < 0.42,
                    "{view:?} {name}: off by {worst:?} at worst, {mean:.2} on average"
                );
            }
        }
    }
}
