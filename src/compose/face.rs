//! Putting the face guide into a scene: scaled to its placement, cut out with a soft matte
//! (the image's own alpha when it has one, else a feathered ellipse) and colour-matched to the
//! part of the scene it covers so that it sits in the scene's light.

use image::{Rgba, RgbaImage};

/// Where the face goes, in fractions of the canvas.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    pub center_x: f32,
    pub center_y: f32,
    /// The face guide's height as a fraction of the canvas height.
    pub height: f32,
}

/// How far the face's colour statistics move toward the scene's: enough to share the light,
/// not so much that skin takes the wall's colour.
const COLOUR_MATCH: f32 = 0.35;
/// Width of the matte's soft edge, as a fraction of the ellipse's smaller radius.
const FEATHER: f32 = 0.22;

/// Composites `face` into `canvas` at `placement`.
pub fn place_face(canvas: &mut RgbaImage, face: &RgbaImage, placement: Placement) {
    let (cw, ch) = canvas.dimensions();
    let (fw, fh) = face.dimensions();
    if fw == 0 || fh == 0 || cw == 0 || ch == 0 {
        return;
    }
    let target_h = (placement.height.clamp(0.05, 1.5) * ch as f32)
        .round()
        .max(2.0) as u32;
    let target_w = ((fw as f32 * target_h as f32 / fh as f32).round() as u32).max(2);
    let scaled = super::resize(face, target_w, target_h);
    let left = (placement.center_x * cw as f32 - target_w as f32 / 2.0).round() as i64;
    let top = (placement.center_y * ch as f32 - target_h as f32 / 2.0).round() as i64;

    let has_alpha = face.pixels().any(|p| p.0[3] < 250);
    let matte = |x: u32, y: u32, a: u8| -> f32 {
        if has_alpha {
            return f32::from(a) / 255.0;
        }
        ellipse_matte(x, y, target_w, target_h)
    };

    let scene_stats = Stats::of(canvas, left, top, target_w, target_h, |_, _| 1.0);
    let face_stats = Stats::of(&scaled, 0, 0, target_w, target_h, |x, y| {
        matte(x, y, scaled.get_pixel(x, y).0[3])
    });
    let (gain, offset) = face_stats.transfer_to(&scene_stats, COLOUR_MATCH);

    for y in 0..target_h {
        let cy = top + i64::from(y);
        if cy < 0 || cy >= i64::from(ch) {
            continue;
        }
        for x in 0..target_w {
            let cx = left + i64::from(x);
            if cx < 0 || cx >= i64::from(cw) {
                continue;
            }
            let src = scaled.get_pixel(x, y).0;
            let a = matte(x, y, src[3]);
            if a <= 0.0 {
                continue;
            }
            let dst = canvas.get_pixel_mut(cx as u32, cy as u32);
            let mut out = dst.0;
            for c in 0..3 {
                let v = (f32::from(src[c]) * gain[c] + offset[c]).clamp(0.0, 255.0);
                out[c] = (v * a + f32::from(dst.0[c]) * (1.0 - a)).round() as u8;
            }
            out[3] = 255;
            *dst = Rgba(out);
        }
    }
}

/// 1 inside an ellipse filling the box, 0 outside, with a smoothstep edge.
fn ellipse_matte(x: u32, y: u32, w: u32, h: u32) -> f32 {
    let rx = w as f32 / 2.0;
    let ry = h as f32 / 2.0;
    let dx = (x as f32 + 0.5 - rx) / rx;
    let dy = (y as f32 + 0.5 - ry) / ry;
    let d = (dx * dx + dy * dy).sqrt();
    let inner = 1.0 - FEATHER;
    if d <= inner {
        1.0
    } else if d >= 1.0 {
        0.0
    } else {
        let t = (1.0 - d) / FEATHER;
        t * t * (3.0 - 2.0 * t)
    }
}

/// Weighted per-channel mean and standard deviation.
struct Stats {
    mean: [f32; 3],
    std: [f32; 3],
}

impl Stats {
    fn of(
        img: &RgbaImage,
        left: i64,
        top: i64,
        w: u32,
        h: u32,
        weight: impl Fn(u32, u32) -> f32,
    ) -> Stats {
        let (iw, ih) = img.dimensions();
        let mut sum = [0f64; 3];
        let mut sq = [0f64; 3];
        let mut total = 0f64;
        // Every other pixel is plenty for statistics.
        for y in (0..h).step_by(2) {
            for x in (0..w).step_by(2) {
                let (px, py) = (left + i64::from(x), top + i64::from(y));
                if px < 0 || py < 0 || px >= i64::from(iw) || py >= i64::from(ih) {
                    continue;
                }
                let wgt = f64::from(weight(x, y));
                if wgt <= 0.0 {
                    continue;
                }
                let p = img.get_pixel(px as u32, py as u32).0;
                for c in 0..3 {
                    let v = f64::from(p[c]);
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

    fn scene() -> RgbaImage {
        RgbaImage::from_pixel(200, 400, Rgba([40, 60, 200, 255]))
    }

    #[test]
    fn the_face_lands_at_its_placement_with_a_soft_edge() {
        let mut canvas = scene();
        let face = RgbaImage::from_pixel(100, 100, Rgba([230, 180, 150, 255]));
        let placement = Placement {
            center_x: 0.5,
            center_y: 0.25,
            height: 0.25,
        };
        place_face(&mut canvas, &face, placement);
        let centre = canvas.get_pixel(100, 100).0;
        assert!(centre[0] > 150, "face colour at its centre: {centre:?}");
        // Far away the scene is untouched.
        assert_eq!(canvas.get_pixel(100, 350).0, [40, 60, 200, 255]);
        // The edge of the ellipse is a blend, neither face nor scene.
        let edge = canvas.get_pixel(100 + 47, 100).0;
        assert!(edge[0] > 40 && edge[0] < centre[0], "edge {edge:?}");
    }

    #[test]
    fn the_face_takes_some_of_the_scenes_light() {
        let mut canvas = scene();
        let face = RgbaImage::from_pixel(100, 100, Rgba([200, 200, 200, 255]));
        place_face(
            &mut canvas,
            &face,
            Placement {
                center_x: 0.5,
                center_y: 0.5,
                height: 0.25,
            },
        );
        let c = canvas.get_pixel(100, 200).0;
        assert!(c[2] > c[0], "a blue room tints the face blue: {c:?}");
        assert!(c[0] > 100, "but the face is still mostly itself: {c:?}");
    }

    #[test]
    fn an_image_with_alpha_uses_its_own_matte() {
        let mut canvas = scene();
        let mut face = RgbaImage::from_pixel(100, 100, Rgba([255, 255, 255, 0]));
        face.put_pixel(0, 0, Rgba([255, 255, 255, 255]));
        place_face(
            &mut canvas,
            &face,
            Placement {
                center_x: 0.5,
                center_y: 0.5,
                height: 0.25,
            },
        );
        assert_eq!(
            canvas.get_pixel(100, 200).0,
            [40, 60, 200, 255],
            "transparent centre"
        );
    }

    #[test]
    fn a_face_off_the_canvas_edge_is_clipped_not_a_panic() {
        let mut canvas = scene();
        let face = RgbaImage::from_pixel(50, 80, Rgba([255, 0, 0, 255]));
        place_face(
            &mut canvas,
            &face,
            Placement {
                center_x: 1.0,
                center_y: 0.0,
                height: 0.5,
            },
        );
    }
}
