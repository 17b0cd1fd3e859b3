//! The subject as a moving layer: premultiplied YUV with alpha, resampled each frame with the
//! camera's full move (the scene behind moves less, which is the parallax) and a subtle idle
//! motion of its own: breathing about the body's anchor at the bottom, and a slow sway.

use std::f32::consts::TAU;
use std::ops::Range;

use image::RgbaImage;
use rayon::prelude::*;

use super::camera::{view_mapping, Cover};
use super::mouth::MouthRig;
use super::path::View;
use super::resample::{lerp_pairs, resample_row, Columns, PAIR_PADDING};
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
    /// Per row, the longest run of fully opaque columns, start..end.
    solid: Vec<Range<usize>>,
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
    columns: Columns,
    /// A row's value and alpha pairs (`resample::lerp_pairs`).
    pairs: Vec<u32>,
    pairs_a: Vec<u32>,
    /// Value and alpha resampled at the layer's soft edges, before the blend.
    edge: Vec<u8>,
    edge_a: Vec<u8>,
    mouths: MouthCache,
}

/// The mouth patches drawn so far for one rig, by opening step: a clip's frames come back
/// to the same openings again and again.
#[derive(Debug, Default)]
struct MouthCache {
    rig: Option<u64>,
    patches: std::collections::HashMap<usize, Layer>,
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
        let place = self.placement(view, canvas, t, (out.width, out.height));
        self.body.draw(&place, out, scratch);
        if let Some(rig) = &self.mouth {
            if let Some(step) = rig.step_at(t) {
                let mut cache = std::mem::take(&mut scratch.mouths);
                if cache.rig != Some(rig.id()) {
                    cache.rig = Some(rig.id());
                    cache.patches.clear();
                }
                let patch = cache.patches.entry(step).or_insert_with(|| {
                    let (patch, left, top) = rig.patch_at_step(step);
                    Layer::from_rgba(&patch, left, top)
                });
                patch.draw(&place, out, scratch);
                scratch.mouths = cache;
            }
        }
    }

    /// Where the body will cover a `frame`-sized frame completely when drawn with the same
    /// arguments: what is behind it there need not be drawn.
    pub fn cover(
        &self,
        view: View,
        canvas: (f32, f32),
        t: f32,
        frame: (u32, u32),
        cover: &mut Cover,
        scratch: &mut SpriteScratch,
    ) {
        let place = self.placement(view, canvas, t, frame);
        let frame = (frame.0 as usize, frame.1 as usize);
        self.body.cover(&place, frame, cover, scratch);
    }

    fn placement(&self, view: View, canvas: (f32, f32), t: f32, frame: (u32, u32)) -> Placement {
        Placement {
            m: view_mapping(view, canvas, (frame.0 as f32, frame.1 as f32)),
            k: 1.0 + BREATH * (TAU * t / BREATH_PERIOD).sin(),
            dx: self.sway * (TAU * t / SWAY_PERIOD).sin(),
            anchor: self.anchor,
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
        // One chroma row (two luma rows) per task.
        let rows = (y.value.par_chunks_exact_mut(2 * w))
            .zip(y.alpha.par_chunks_exact_mut(2 * w))
            .zip(u.value.par_chunks_exact_mut(cw))
            .zip(v.value.par_chunks_exact_mut(cw))
            .zip(u.alpha.par_chunks_exact_mut(cw));
        rows.enumerate()
            .for_each(|(cy, ((((yv, ya), uv), vv), ca))| {
                for cx in 0..cw {
                    let (mut su, mut sv, mut sa) = (0u32, 0u32, 0u32);
                    for (dy, dx) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                        let (lx, ly) = (2 * cx + dx, 2 * cy + dy);
                        let (ix, iy) = (lx as isize - px as isize, ly as isize - py as isize);
                        if ix < 0
                            || iy < 0
                            || ix >= img.width() as isize
                            || iy >= img.height() as isize
                        {
                            continue;
                        }
                        let i = iy as usize * stride + ix as usize * 4;
                        let a = u32::from(raw[i + 3]);
                        if a == 0 {
                            continue;
                        }
                        let (ly_, lu, lv) = rgb_to_yuv(raw[i], raw[i + 1], raw[i + 2]);
                        yv[dy * w + lx] = ((u32::from(ly_) * a + 127) / 255) as u8;
                        ya[dy * w + lx] = a as u8;
                        su += u32::from(lu) * a;
                        sv += u32::from(lv) * a;
                        sa += a;
                    }
                    uv[cx] = ((su + 510) / 1020) as u8;
                    vv[cx] = ((sv + 510) / 1020) as u8;
                    ca[cx] = ((sa + 2) / 4) as u8;
                }
            });
        v.alpha.copy_from_slice(&u.alpha);
        Layer {
            left: (left - px as i64) as f32,
            top: (top - py as i64) as f32,
            y: y.with_spans(),
            u: u.with_spans(),
            v: v.with_spans(),
        }
    }

    /// Where the luma and the chroma planes land on the frame.
    fn maps(&self, place: &Placement) -> (Map, Map) {
        let Placement { m, k, dx, anchor } = *place;
        let (ax, ay) = (anchor[0], anchor[1]);
        // Frame pixel x has canvas centre X = m.left + (x + 0.5)·step; the idle motion maps
        // it to p = anchor + (X − sway − anchor) / k on the subject; sample index p − origin − ½.
        let step = m.step / k;
        let luma = Map {
            step,
            bx: ax + (m.left + 0.5 * m.step - dx - ax) / k - self.left - 0.5,
            by: ay + (m.top + 0.5 * m.step - ay) / k - self.top - 0.5,
        };
        // Chroma: the same map at half size; a chroma pixel's centre is luma 2x + 1.
        let chroma = Map {
            step,
            bx: (ax + (m.left + m.step - dx - ax) / k) / 2.0 - self.left / 2.0 - 0.5,
            by: (ay + (m.top + m.step - ay) / k) / 2.0 - self.top / 2.0 - 0.5,
        };
        (luma, chroma)
    }

    fn draw(&self, place: &Placement, out: &mut Yuv420, scratch: &mut SpriteScratch) {
        let (luma, chroma) = self.maps(place);
        let (ow, oh) = (out.width as usize, out.height as usize);
        blend(&self.y, &mut out.y, ow, oh, luma, scratch);
        blend(&self.u, &mut out.u, ow / 2, oh / 2, chroma, scratch);
        blend(&self.v, &mut out.v, ow / 2, oh / 2, chroma, scratch);
    }

    fn cover(
        &self,
        place: &Placement,
        frame: (usize, usize),
        cover: &mut Cover,
        scratch: &mut SpriteScratch,
    ) {
        let (luma, chroma) = self.maps(place);
        let (ow, oh) = frame;
        let columns = &mut scratch.columns;
        solid_rows(&self.y, luma, ow, oh, columns, &mut cover.luma);
        solid_rows(&self.u, chroma, ow / 2, oh / 2, columns, &mut cover.chroma);
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
            solid: Vec::new(),
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
        self.solid = self
            .alpha
            .chunks_exact(self.width.max(1))
            .map(longest_opaque_run)
            .collect();
        self
    }
}

/// The longest run of 255s in `row`.
fn longest_opaque_run(row: &[u8]) -> Range<usize> {
    let (mut best, mut start) = (0..0, None);
    for (i, &a) in row.iter().chain([&0]).enumerate() {
        match (a == 255, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                if i - s > best.len() {
                    best = s..i;
                }
                start = None;
            }
            _ => {}
        }
    }
    best
}

/// The destination range whose samples `step·i + b` fall on `0..len`.
fn covered(step: f32, b: f32, len: usize, dst_len: usize) -> std::ops::Range<usize> {
    let first = ((-b) / step).ceil().max(0.0);
    let last = ((len as f32 - 1.0 - b) / step).floor() + 1.0;
    let first = (first as usize).min(dst_len);
    let last = (last.max(0.0) as usize).min(dst_len);
    first..last.max(first)
}

/// How one plane of a layer lands on one plane of the frame this frame: destination
/// (x, y) reads source (step·x + bx, step·y + by).
#[derive(Debug, Clone, Copy)]
struct Map {
    step: f32,
    bx: f32,
    by: f32,
}

impl Map {
    /// The source row above destination row `y` and the weight of the one below (of 256).
    fn source_row(&self, src: &Planes, y: usize) -> (usize, u16) {
        let max_y = (src.height - 2) as f32;
        let sy = (self.step * y as f32 + self.by).clamp(0.0, max_y + 0.999);
        let y0 = sy.floor() as usize;
        (y0, ((sy - y0 as f32) * 256.0) as u16)
    }

    /// Fills `columns` with each covered destination column's source column and tap
    /// weights; returns the covered columns and rows, `None` when nothing is.
    fn columns(
        &self,
        src: &Planes,
        dw: usize,
        dh: usize,
        columns: &mut Columns,
    ) -> Option<(std::ops::Range<usize>, std::ops::Range<usize>)> {
        if src.width < 2 || src.height < 2 {
            return None;
        }
        let xs = covered(self.step, self.bx, src.width, dw);
        let ys = covered(self.step, self.by, src.height, dh);
        if xs.is_empty() || ys.is_empty() {
            return None;
        }
        let max_x = (src.width - 2) as f32;
        columns.fill(xs.clone(), self.step, self.bx, max_x);
        Some((xs, ys))
    }
}

/// The entries of `columns` whose two source columns are both opaque in source rows `y0` and
/// `y0 + 1`: there the blend gives the layer's own value.
fn solid_columns(src: &Planes, columns: &Columns, y0: usize) -> Range<usize> {
    let (a, b) = (&src.solid[y0], &src.solid[y0 + 1]);
    let (s, e) = (a.start.max(b.start), a.end.min(b.end));
    if e < s + 2 {
        return 0..0;
    }
    let c0 = columns.count_below(s);
    let c1 = columns.count_below(e - 1);
    c0..c1.max(c0)
}

/// Per destination row, the columns `src` covers completely.
fn solid_rows(
    src: &Planes,
    map: Map,
    dw: usize,
    dh: usize,
    columns: &mut Columns,
    rows: &mut Vec<Range<usize>>,
) {
    rows.clear();
    rows.resize(dh, 0..0);
    let Some((xs, ys)) = map.columns(src, dw, dh, columns) else {
        return;
    };
    for y in ys {
        let solid = solid_columns(src, columns, map.source_row(src, y).0);
        rows[y] = xs.start + solid.start..xs.start + solid.end;
    }
}

/// Bilinear resample of premultiplied `src` over `dst`, source-over.
fn blend(
    src: &Planes,
    dst: &mut [u8],
    dw: usize,
    dh: usize,
    map: Map,
    scratch: &mut SpriteScratch,
) {
    let Some((xs, ys)) = map.columns(src, dw, dh, &mut scratch.columns) else {
        return;
    };
    let columns = &scratch.columns;
    let first = columns.source(0);
    let last = (columns.source(columns.len() - 1) + 1).min(src.width - 1);
    scratch.pairs.resize(src.width + PAIR_PADDING, 0);
    scratch.pairs_a.resize(src.width + PAIR_PADDING, 0);
    for y in ys {
        let (y0, fy) = map.source_row(src, y);
        // Only the columns where either source row has coverage: most rows beside a head
        // are empty.
        let (s0, s1) = (src.spans[y0], src.spans[y0 + 1]);
        let (lo, hi) = (s0.0.min(s1.0).max(first), s0.1.max(s1.1).min(last));
        if lo > hi {
            continue;
        }
        // Destination columns whose two source columns touch lo..=hi.
        let c0 = columns.count_below(lo.saturating_sub(1));
        let c1 = columns.count_below(hi + 1);
        if c0 >= c1 {
            continue;
        }
        let (r_lo, r_hi) = (columns.source(c0), (columns.source(c1 - 1) + 1).min(last));
        // Source columns lo..=hi of both rows, blended into pairs.
        let lerp = |plane: &[u8], pairs: &mut [u32], lo: usize, hi: usize| {
            let r0 = &plane[y0 * src.width..][lo..=hi];
            let r1 = &plane[(y0 + 1) * src.width..][lo..=hi];
            lerp_pairs(r0, r1, fy, &mut pairs[lo..hi]);
        };
        lerp(&src.value, &mut scratch.pairs, r_lo, r_hi);
        // Inside the opaque run the layer's value is the result; only the edges mix, so only
        // they need the alpha.
        let solid = solid_columns(src, columns, y0);
        let solid = solid.start.clamp(c0, c1)..solid.end.clamp(c0, c1);
        let out = &mut dst[y * dw + xs.start..][..columns.len()];
        for edge in [c0..solid.start, solid.end..c1] {
            if edge.is_empty() {
                continue;
            }
            let lo = columns.source(edge.start);
            let hi = (columns.source(edge.end - 1) + 1).min(last);
            lerp(&src.alpha, &mut scratch.pairs_a, lo, hi);
            let (value, alpha) = (&mut scratch.edge, &mut scratch.edge_a);
            value.resize(edge.len(), 0);
            alpha.resize(edge.len(), 0);
            resample_row(value, columns.run(edge.clone()), &scratch.pairs);
            resample_row(alpha, columns.run(edge.clone()), &scratch.pairs_a);
            over(&mut out[edge], value, alpha);
        }
        resample_row(&mut out[solid.clone()], columns.run(solid), &scratch.pairs);
    }
}

/// Premultiplied `value` with `alpha` over `dst`. Without branches, so it vectorises: alpha 0
/// (value 0) leaves `dst` as it was, alpha 255 gives `value`.
fn over(dst: &mut [u8], value: &[u8], alpha: &[u8]) {
    for ((o, &v), &a) in dst.iter_mut().zip(value).zip(alpha) {
        let mixed = u32::from(v) * 255 + u32::from(*o) * (255 - u32::from(a));
        *o = ((mixed + 127) / 255).min(255) as u8;
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

    /// A face of one colour with a mouth across it at canvas y 100, opening on frame 1.
    fn talking(colour: [u8; 3]) -> Sprite {
        let [r, g, b] = colour;
        let img = RgbaImage::from_pixel(100, 160, Rgba([r, g, b, 255]));
        let line = |y: f32| (0..=8).map(|i| [30.0 + 5.0 * i as f32, y]).collect();
        let mouth = crate::subject::Mouth {
            corners: [[30.0, 100.0], [70.0, 100.0]],
            upper: line(99.5),
            lower: line(100.5),
            chin: [50.0, 130.0],
        };
        let rig =
            super::super::mouth::MouthRig::new(&img, (0, 0), &mouth, vec![0.0, 0.8], 30.0).unwrap();
        Sprite::from_rgba(&img, 0, 0, [50.0, 160.0], 100).with_mouth(rig)
    }

    #[test]
    fn mouth_patches_cached_for_one_face_are_never_drawn_for_another() {
        let (red, blue) = (talking([220, 60, 50]), talking([40, 70, 230]));
        let t = 1.0 / 30.0;
        let draw = |sprite: &Sprite, scratch: &mut SpriteScratch| {
            let mut out = Yuv420::new(100, 180);
            sprite.draw(view(), (100.0, 180.0), t, &mut out, scratch);
            out
        };
        let fresh = draw(&blue, &mut SpriteScratch::default());
        let mut shared = SpriteScratch::default();
        let red_frame = draw(&red, &mut shared);
        let blue_after_red = draw(&blue, &mut shared);
        let blue_again = draw(&blue, &mut shared);
        assert!(red_frame.v != fresh.v, "the two faces differ");
        assert!(blue_after_red.y == fresh.y && blue_after_red.v == fresh.v);
        assert!(blue_again.y == fresh.y && blue_again.u == fresh.u && blue_again.v == fresh.v);
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
    fn skipping_the_scene_under_the_opaque_body_changes_no_pixel_even_over_a_used_frame() {
        use super::super::camera::Canvas;
        let scene = RgbaImage::from_fn(130, 220, |x, y| {
            Rgba([(x * 2) as u8, (y + x) as u8, (y * 3 % 256) as u8, 255])
        });
        let canvas = Canvas::from_rgba(&scene);
        // A soft-edged disc over a solid body, half-transparent in places.
        let img = RgbaImage::from_fn(70, 110, |x, y| {
            let d = ((x as f32 - 35.0).powi(2) + (y as f32 - 30.0).powi(2)).sqrt();
            let a = if y > 50 {
                255.0
            } else {
                ((28.0 - d) * 60.0).clamp(0.0, 255.0)
            };
            let a = if (20..24).contains(&x) && y > 70 {
                120.0
            } else {
                a
            };
            Rgba([200, (x * 3) as u8, (y * 2) as u8, a as u8])
        });
        let sprite = Sprite::from_rgba(&img, 31, 77, [65.0, 220.0], 100);
        // The reference knows no opaque runs: it blends every pixel the general way.
        let mut plain = sprite.clone();
        for p in [&mut plain.body.y, &mut plain.body.u, &mut plain.body.v] {
            p.solid.iter_mut().for_each(|r| *r = 0..0);
        }
        let (mut scratch, mut camera, mut cover) = (
            SpriteScratch::default(),
            super::super::camera::Scratch::default(),
            Cover::default(),
        );
        let mut skipped_any = false;
        for f in 0..20 {
            let t = f as f32 / 7.0;
            let view = View {
                zoom: 1.0 + f as f32 * 0.013,
                x: (f as f32 * 0.37).sin() * 0.6,
                y: 0.1,
            };
            let mut full = Yuv420::new(100, 180);
            canvas.render(view, &mut full, &mut camera);
            plain.draw(view, (130.0, 220.0), t, &mut full, &mut scratch);
            // Drawn over a used frame, as the encoder's frame pool hands them back: every
            // sample must be written again.
            let mut skipping = Yuv420::new(100, 180);
            skipping.y.fill(0xab);
            skipping.u.fill(0x3c);
            skipping.v.fill(0xd1);
            sprite.cover(
                view,
                (130.0, 220.0),
                t,
                (100, 180),
                &mut cover,
                &mut scratch,
            );
            skipped_any |= cover.luma.iter().any(|r| !r.is_empty());
            canvas.render_behind(view, &mut skipping, &mut camera, &cover);
            sprite.draw(view, (130.0, 220.0), t, &mut skipping, &mut scratch);
            assert!(
                full.y == skipping.y && full.u == skipping.u && full.v == skipping.v,
                "frame {f}"
            );
        }
        assert!(skipped_any, "the body hides part of the scene");
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
