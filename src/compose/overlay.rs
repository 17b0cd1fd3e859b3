//! The editorial overlays: extra images as squares stacked in the top-right corner, sized for
//! a 720-wide frame (250 px squares, 30 px padding, 20 px gap) and scaled with the frame.

use image::{Rgba, RgbaImage};

use super::cover;

const DESIGN_WIDTH: f32 = 720.0;
const SQUARE: f32 = 250.0;
const PADDING: f32 = 30.0;
const GAP: f32 = 20.0;
/// A thin white mount around each square so it reads as a print on the scene.
const MOUNT: f32 = 4.0;

/// Paints `images` as squares into `layer` (a frame-sized foreground), as many as fit.
pub fn overlay_squares(layer: &mut RgbaImage, images: &[RgbaImage]) {
    let (w, h) = layer.dimensions();
    let s = w as f32 / DESIGN_WIDTH;
    let side = (SQUARE * s).round() as u32;
    let pad = (PADDING * s).round() as u32;
    let gap = (GAP * s).round() as u32;
    let mount = (MOUNT * s).round().max(1.0) as u32;
    if side + 2 * pad > w {
        return;
    }
    let left = w - pad - side;
    let mut top = pad;
    for img in images {
        if top + side + pad > h {
            break;
        }
        let square = cover(img, side - 2 * mount, side - 2 * mount);
        for y in 0..side {
            for x in 0..side {
                let inside = x >= mount && y >= mount && x < side - mount && y < side - mount;
                let px = if inside {
                    let p = square.get_pixel(x - mount, y - mount).0;
                    Rgba([p[0], p[1], p[2], 255])
                } else {
                    Rgba([255, 255, 255, 255])
                };
                layer.put_pixel(left + x, top + y, px);
            }
        }
        top += side + gap;
    }
}

/// Source-over compositing of `src` onto `dst` (same size; straight alpha).
pub fn paint_over(dst: &mut RgbaImage, src: &RgbaImage) {
    debug_assert_eq!(dst.dimensions(), src.dimensions());
    for (d, s) in dst.pixels_mut().zip(src.pixels()) {
        let sa = u32::from(s.0[3]);
        if sa == 0 {
            continue;
        }
        if sa == 255 {
            *d = *s;
            continue;
        }
        let da = u32::from(d.0[3]);
        // out_a = sa + da(1 - sa), colours weighted accordingly, all in 0..255 fixed point.
        let out_a = sa * 255 + da * (255 - sa);
        let mut out = [0u8; 4];
        for ((o, &sc), &dc) in out.iter_mut().zip(&s.0[..3]).zip(&d.0[..3]) {
            let num = u32::from(sc) * sa * 255 + u32::from(dc) * da * (255 - sa);
            *o = (num / out_a.max(1)) as u8;
        }
        out[3] = ((out_a + 127) / 255) as u8;
        *d = Rgba(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squares_stack_down_the_right_edge_at_design_size() {
        let mut layer = RgbaImage::new(720, 1280);
        let red = RgbaImage::from_pixel(300, 200, Rgba([255, 0, 0, 255]));
        overlay_squares(&mut layer, &[red.clone(), red]);
        // First square spans x 440..690, y 30..280; second starts at y 300.
        assert_eq!(layer.get_pixel(565, 150).0, [255, 0, 0, 255]);
        assert_eq!(layer.get_pixel(440, 30).0, [255, 255, 255, 255], "mount");
        assert_eq!(layer.get_pixel(565, 290).0[3], 0, "gap is clear");
        assert_eq!(layer.get_pixel(565, 420).0, [255, 0, 0, 255]);
        assert_eq!(
            layer.get_pixel(435, 150).0[3],
            0,
            "left of the squares is clear"
        );
    }

    #[test]
    fn squares_scale_with_an_upscaled_frame() {
        let mut layer = RgbaImage::new(1080, 1920);
        overlay_squares(
            &mut layer,
            &[RgbaImage::from_pixel(10, 10, Rgba([0, 255, 0, 255]))],
        );
        // 375 px square at 45 px padding.
        assert_eq!(layer.get_pixel(1080 - 45 - 1, 45).0[3], 255);
        assert_eq!(layer.get_pixel(1080 - 45 - 376, 45).0[3], 0);
    }

    #[test]
    fn paint_over_blends_by_alpha() {
        let mut dst = RgbaImage::from_pixel(1, 1, Rgba([0, 0, 0, 255]));
        let src = RgbaImage::from_pixel(1, 1, Rgba([255, 255, 255, 128]));
        paint_over(&mut dst, &src);
        let p = dst.get_pixel(0, 0).0;
        assert!((127..=129).contains(&p[0]), "{p:?}");
        assert_eq!(p[3], 255);
    }
}
