//! The floor's shade under a close-up. A headshot has no body below the photo's bottom edge,
//! so its torso is made up ([`super::Framing::extend`]): a smooth column of the torso's
//! colour. Shaded, with the scene around it, darker toward the frame's bottom, it reads as a
//! person standing in the dim foreground of the scene rather than as a pillar.

use image::RgbaImage;
use rayon::prelude::*;

use crate::curve::smoothstep;

/// How dark the floor gets at the frame's bottom, at most (share of the light taken away).
const DEPTH: f32 = 0.8;
/// The shade begins this far above where the torso is made up (fraction of the frame
/// height), so the photo's own last rows already sit in it.
const LEAD: f32 = 0.2;
/// A made-up torso this tall in the frame (fraction of its height) or more gets the full
/// depth; a shorter one, a lighter shade.
const FULL_AT: f32 = 0.2;

/// A vertical shade over the canvas: from nothing at `from` to its depth at `to` (canvas
/// rows), held below.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FloorShade {
    from: f32,
    to: f32,
    depth: f32,
}

impl FloorShade {
    /// The shade for a torso made up from canvas row `lengthened_from` down, on a canvas
    /// `canvas_h` tall showing a `frame_h`-tall frame at rest (centred). `None` when the
    /// made-up part lies below what the frame shows.
    pub fn under(lengthened_from: f32, canvas_h: f32, frame_h: f32) -> Option<FloorShade> {
        let bottom = (canvas_h + frame_h) / 2.0;
        let shown = (bottom - lengthened_from) / frame_h;
        if shown <= 0.0 {
            return None;
        }
        Some(FloorShade {
            from: lengthened_from - LEAD * frame_h,
            to: bottom,
            depth: DEPTH * (shown / FULL_AT).min(1.0),
        })
    }

    /// The share of light kept at canvas row `y`.
    fn light_at(&self, y: f32) -> f32 {
        let to = self.to.max(self.from + 1.0);
        1.0 - self.depth * smoothstep(self.from, to, y)
    }

    /// Shades `img`, whose row `y` lies over canvas rows from `(top + y) * scale` (a layer
    /// cut out of the canvas, or the scene kept at 1/`scale` of its size). Alpha is left
    /// alone.
    pub fn apply(&self, img: &mut RgbaImage, top: i64, scale: u32) {
        let w = img.width() as usize;
        if w == 0 {
            return;
        }
        let scale = scale.max(1) as f32;
        let raw: &mut [u8] = img;
        raw.par_chunks_exact_mut(w * 4)
            .enumerate()
            .for_each(|(y, row)| {
                let centre = ((top + y as i64) as f32 + 0.5) * scale;
                let light = self.light_at(centre);
                if light >= 0.999 {
                    return;
                }
                let k = (light * 256.0).round() as u32;
                for p in row.chunks_exact_mut(4) {
                    for v in &mut p[..3] {
                        *v = ((u32::from(*v) * k + 128) >> 8) as u8;
                    }
                }
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    #[test]
    fn the_shade_deepens_toward_the_frames_bottom_and_spares_what_is_above() {
        // Canvas 1472 tall, frame 1280: the frame's bottom at rest is row 1376.
        let shade = FloorShade::under(1000.0, 1472.0, 1280.0).unwrap();
        let mut scene = RgbaImage::from_pixel(4, 1472, Rgba([200, 180, 160, 255]));
        shade.apply(&mut scene, 0, 1);
        let at = |y: u32| scene.get_pixel(0, y).0;
        assert_eq!(at(700), [200, 180, 160, 255], "above the lead: untouched");
        assert!(at(1100)[0] < at(1000)[0] && at(1000)[0] < 200, "deepens");
        let deepest = (200.0 * (1.0 - DEPTH)).round() as u8;
        assert!(at(1400)[0].abs_diff(deepest) <= 1, "{:?}", at(1400));
        assert_eq!(at(1400)[3], 255, "alpha kept");
    }

    /// The scene at half size and a layer cut out of the canvas get the same shade where
    /// they overlap: no seam between the subject and the scene beside it.
    #[test]
    fn a_layer_and_the_half_size_scene_are_shaded_alike() {
        let shade = FloorShade::under(1100.0, 1472.0, 1280.0).unwrap();
        let mut half = RgbaImage::from_pixel(2, 736, Rgba([120, 120, 120, 255]));
        shade.apply(&mut half, 0, 2);
        let mut layer = RgbaImage::from_pixel(2, 400, Rgba([120, 120, 120, 255]));
        shade.apply(&mut layer, 1000, 1);
        for y in (0..400).step_by(2) {
            let canvas = 1000 + y;
            let a = layer.get_pixel(0, y).0[0];
            let b = half.get_pixel(0, canvas / 2).0[0];
            assert!(a.abs_diff(b) <= 1, "row {canvas}: {a} vs {b}");
        }
    }

    #[test]
    fn a_short_made_up_torso_gets_a_light_shade_and_one_out_of_sight_none() {
        let short = FloorShade::under(1350.0, 1472.0, 1280.0).unwrap();
        let long = FloorShade::under(900.0, 1472.0, 1280.0).unwrap();
        assert!(short.depth < long.depth / 2.0);
        assert!(FloorShade::under(1400.0, 1472.0, 1280.0).is_none());
    }
}
