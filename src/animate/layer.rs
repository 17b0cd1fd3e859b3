//! The screen-fixed foreground (caption, overlays) in YUV with alpha, blended onto each frame
//! only where it has painted pixels.

use image::RgbaImage;

use crate::frame::{rgb_to_yuv, Yuv420};

/// A foreground layer converted once per video.
#[derive(Debug, Clone)]
pub struct Foreground {
    /// Painted region in luma pixels, even-aligned: x0..x1, y0..y1.
    x0: usize,
    y0: usize,
    x1: usize,
    y1: usize,
    /// Premultiplied Y and alpha over the region (row stride x1 − x0).
    y: Vec<u16>,
    a: Vec<u16>,
    /// Premultiplied U, V and their alpha at half resolution.
    u: Vec<u16>,
    v: Vec<u16>,
    ac: Vec<u16>,
}

impl Foreground {
    /// `None` when nothing is painted.
    pub fn from_rgba(img: &RgbaImage) -> Option<Foreground> {
        let (w, h) = (img.width() as usize & !1, img.height() as usize & !1);
        let raw = img.as_raw();
        let stride = img.width() as usize * 4;
        let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
        for y in 0..h {
            for x in 0..w {
                if raw[y * stride + x * 4 + 3] != 0 {
                    x0 = x0.min(x);
                    y0 = y0.min(y);
                    x1 = x1.max(x + 1);
                    y1 = y1.max(y + 1);
                }
            }
        }
        if x0 == usize::MAX {
            return None;
        }
        let (x0, y0) = (x0 & !1, y0 & !1);
        let (x1, y1) = ((x1 + 1) & !1, (y1 + 1) & !1);
        let (rw, rh) = (x1 - x0, y1 - y0);
        let mut fg = Foreground {
            x0,
            y0,
            x1,
            y1,
            y: vec![0; rw * rh],
            a: vec![0; rw * rh],
            u: vec![0; rw * rh / 4],
            v: vec![0; rw * rh / 4],
            ac: vec![0; rw * rh / 4],
        };
        for cy in 0..rh / 2 {
            for cx in 0..rw / 2 {
                let (mut su, mut sv, mut sa) = (0u32, 0u32, 0u32);
                for (dy, dx) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                    let (lx, ly) = (2 * cx + dx, 2 * cy + dy);
                    let i = (y0 + ly) * stride + (x0 + lx) * 4;
                    let a = u32::from(raw[i + 3]);
                    let (py, pu, pv) = rgb_to_yuv(raw[i], raw[i + 1], raw[i + 2]);
                    fg.y[ly * rw + lx] = (u32::from(py) * a) as u16;
                    fg.a[ly * rw + lx] = a as u16;
                    su += u32::from(pu) * a;
                    sv += u32::from(pv) * a;
                    sa += a;
                }
                let ci = cy * (rw / 2) + cx;
                fg.u[ci] = ((su + 2) / 4) as u16;
                fg.v[ci] = ((sv + 2) / 4) as u16;
                fg.ac[ci] = ((sa + 2) / 4) as u16;
            }
        }
        Some(fg)
    }

    /// Blends the layer over `frame` (source-over, premultiplied).
    pub fn blend(&self, frame: &mut Yuv420) {
        self.blend_part(frame, OPAQUE, 0..usize::MAX, usize::MAX);
    }

    /// Blends the part of the layer in frame `rows` and left of column `x_end` over `frame`,
    /// at `opacity` (0 to [`OPAQUE`]). Rows and columns are rounded to even luma pixels so
    /// chroma stays aligned.
    pub fn blend_part(
        &self,
        frame: &mut Yuv420,
        opacity: u16,
        rows: std::ops::Range<usize>,
        x_end: usize,
    ) {
        if opacity == 0 {
            return;
        }
        let w = frame.width as usize;
        let rw = self.x1 - self.x0;
        let top = rows.start.max(self.y0) & !1;
        let bottom = rows.end.min(self.y1).min(frame.height as usize);
        let right = self.x1.min(w).min(x_end & !1);
        if bottom <= top || right <= self.x0 {
            return;
        }
        let cols = right - self.x0;
        for fy in top..bottom {
            let ly = fy - self.y0;
            let dst = &mut frame.y[fy * w + self.x0..][..cols];
            over(
                dst,
                &self.y[ly * rw..][..cols],
                &self.a[ly * rw..][..cols],
                opacity,
            );
        }
        let (cw, crw) = (w / 2, rw / 2);
        for fcy in top / 2..bottom.div_ceil(2) {
            let cy = fcy - self.y0 / 2;
            let at = fcy * cw + self.x0 / 2;
            let alpha = &self.ac[cy * crw..][..cols / 2];
            over(
                &mut frame.u[at..][..cols / 2],
                &self.u[cy * crw..][..cols / 2],
                alpha,
                opacity,
            );
            over(
                &mut frame.v[at..][..cols / 2],
                &self.v[cy * crw..][..cols / 2],
                alpha,
                opacity,
            );
        }
    }
}

/// Full opacity for [`Foreground::blend_part`].
pub const OPAQUE: u16 = 256;

/// dst = src_premultiplied / 255 + dst · (255 − a) / 255, per sample, with source and alpha
/// scaled by `opacity` / 256.
fn over(dst: &mut [u8], src: &[u16], alpha: &[u16], opacity: u16) {
    let o = u32::from(opacity);
    for ((d, &s), &a) in dst.iter_mut().zip(src).zip(alpha) {
        if a == 0 {
            continue;
        }
        let (s, a) = if o >= 256 {
            (u32::from(s), u32::from(a))
        } else {
            ((u32::from(s) * o) >> 8, (u32::from(a) * o) >> 8)
        };
        let v = s + u32::from(*d) * (255 - a);
        *d = ((v + 127) / 255) as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    #[test]
    fn an_empty_layer_is_none() {
        assert!(Foreground::from_rgba(&RgbaImage::new(16, 16)).is_none());
    }

    #[test]
    fn opaque_white_covers_and_transparent_leaves_alone() {
        let mut img = RgbaImage::new(16, 16);
        for y in 4..8 {
            for x in 4..8 {
                img.put_pixel(x, y, Rgba([255, 255, 255, 255]));
            }
        }
        let fg = Foreground::from_rgba(&img).unwrap();
        let mut frame = Yuv420::new(16, 16);
        fg.blend(&mut frame);
        assert_eq!(frame.y[5 * 16 + 5], 235, "white");
        assert_eq!(frame.y[5 * 16 + 9], 16, "untouched");
        assert_eq!(frame.u[2 * 8 + 2], 128);
    }

    #[test]
    fn a_part_is_blended_only_in_its_rows_left_of_its_edge_and_at_its_opacity() {
        let img = RgbaImage::from_pixel(16, 16, Rgba([255, 255, 255, 255]));
        let fg = Foreground::from_rgba(&img).unwrap();
        let mut frame = Yuv420::new(16, 16);
        fg.blend_part(&mut frame, OPAQUE, 4..8, 10);
        assert_eq!(frame.y[5 * 16 + 5], 235);
        assert_eq!(frame.y[5 * 16 + 11], 16, "right of the edge");
        assert_eq!(frame.y[9 * 16 + 5], 16, "below the rows");
        let mut half = Yuv420::new(16, 16);
        fg.blend_part(&mut half, OPAQUE / 2, 0..16, 16);
        assert!((124..=127).contains(&half.y[0]), "{}", half.y[0]);
        let mut none = Yuv420::new(16, 16);
        fg.blend_part(&mut none, 0, 0..16, 16);
        assert_eq!(none.y[0], 16);
    }

    #[test]
    fn half_transparent_black_darkens_by_half() {
        let img = RgbaImage::from_pixel(4, 4, Rgba([0, 0, 0, 128]));
        let fg = Foreground::from_rgba(&img).unwrap();
        let mut frame = Yuv420::new(4, 4);
        frame.y.fill(200);
        fg.blend(&mut frame);
        // 16·128/255 + 200·127/255 ≈ 8 + 99.6
        assert!((106..=109).contains(&frame.y[0]), "{}", frame.y[0]);
    }
}
