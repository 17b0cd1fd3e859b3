//! Colour grade: a template's base look combined with a run's mood.
//!
//! Everything except saturation and vignette is a per-channel curve, so it is folded into three
//! 256-entry lookup tables; saturation mixes channels and vignette depends on position, so those
//! two run per pixel (and are skipped when they are neutral).

use image::RgbaImage;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::curve::smoothstep;

/// A colour grade. Every field defaults to its neutral value, so a JSON object only names what
/// it changes.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Grade {
    /// Exposure in stops; 0 = none.
    #[serde(default)]
    pub exposure: f32,
    /// Contrast around mid grey; 1 = none.
    #[serde(default = "one")]
    pub contrast: f32,
    /// Saturation; 1 = none, 0 = greyscale.
    #[serde(default = "one")]
    pub saturation: f32,
    /// White balance: -1 cool (blue) .. 1 warm (amber).
    #[serde(default)]
    pub temperature: f32,
    /// -1 green .. 1 magenta.
    #[serde(default)]
    pub tint: f32,
    /// Darkening towards the corners, 0..1.
    #[serde(default)]
    pub vignette: f32,
    /// Lifted blacks and softened whites (a faded film look), 0..1.
    #[serde(default)]
    pub fade: f32,
}

fn one() -> f32 {
    1.0
}

impl Default for Grade {
    fn default() -> Self {
        Grade {
            exposure: 0.0,
            contrast: 1.0,
            saturation: 1.0,
            temperature: 0.0,
            tint: 0.0,
            vignette: 0.0,
            fade: 0.0,
        }
    }
}

/// How far full temperature / tint move a channel's gain.
const TEMPERATURE_GAIN: f32 = 0.12;
const TINT_GAIN: f32 = 0.08;
/// Black level at full fade, and how much of the top is given up.
const FADE_BLACK: f32 = 0.22;
const FADE_WHITE: f32 = 0.06;
/// Vignette starts this far from the centre (1 = corner) and reaches full strength at the corner.
const VIGNETTE_START: f32 = 0.35;
/// Entries in the vignette falloff table, indexed by squared normalised distance.
const VIGNETTE_STEPS: usize = 1024;

impl Grade {
    /// The neutral grade.
    pub fn identity() -> Grade {
        Grade::default()
    }

    /// True when applying this grade changes nothing.
    pub fn is_identity(&self) -> bool {
        *self == Grade::default()
    }

    /// This grade followed by `other` (a template style, then a mood): exposure and colour shifts
    /// add, contrast and saturation multiply, vignette and fade combine like layered filters.
    pub fn then(&self, other: &Grade) -> Grade {
        let layer = |a: f32, b: f32| {
            let (a, b) = (a.clamp(0.0, 1.0), b.clamp(0.0, 1.0));
            1.0 - (1.0 - a) * (1.0 - b)
        };
        Grade {
            exposure: self.exposure + other.exposure,
            contrast: self.contrast * other.contrast,
            saturation: self.saturation * other.saturation,
            temperature: (self.temperature + other.temperature).clamp(-1.0, 1.0),
            tint: (self.tint + other.tint).clamp(-1.0, 1.0),
            vignette: layer(self.vignette, other.vignette),
            fade: layer(self.fade, other.fade),
        }
    }

    /// Grades `img` in place. Alpha is left alone.
    pub fn apply(&self, img: &mut RgbaImage) {
        let size = img.dimensions();
        self.apply_region(img, (0, 0), size);
    }

    /// Grades `img` as the part at `origin` of a `full`-sized picture, so that the vignette
    /// falls where it does on the whole (a layer cut to its subject's bounds).
    pub fn apply_region(&self, img: &mut RgbaImage, origin: (i64, i64), full: (u32, u32)) {
        if !self.is_identity() {
            self.apply_tables(img, origin, full);
        }
    }

    fn apply_tables(&self, img: &mut RgbaImage, origin: (i64, i64), full: (u32, u32)) {
        // Integer tables: per-channel curves, then the shared fade; folded into one lookup per
        // channel when saturation does not have to mix channels in between.
        let curves = self.curves();
        let fade = self.fade_curve();
        let pre: [[u8; 256]; 3] = curves.map(|c| c.map(|v| v.round().clamp(0.0, 255.0) as u8));
        let post: [u8; 256] = fade.map(|v| v.round().clamp(0.0, 255.0) as u8);
        let folded: [[u8; 256]; 3] = pre.map(|c| c.map(|v| post[v as usize]));
        let saturation = finite_or(self.saturation, 1.0).clamp(0.0, 8.0);
        let mix = saturation != 1.0;
        let sat_fx = (saturation * 256.0).round() as i32;
        let width = img.width() as usize;
        let height = img.height() as usize;
        if width == 0 || height == 0 {
            return;
        }
        let vignette = self.vignette_table();

        // Per-column squared x distance, so the inner loop only adds.
        let half_w = (full.0 as f32 / 2.0).max(0.5);
        let half_h = (full.1 as f32 / 2.0).max(0.5);
        let (ox, oy) = (origin.0 as f32, origin.1 as f32);
        let dx2: Vec<f32> = (0..width)
            .map(|x| {
                let d = (x as f32 + ox + 0.5 - half_w) / half_w;
                d * d / 2.0
            })
            .collect();

        let raw: &mut [u8] = img.as_mut();
        raw.par_chunks_exact_mut(width * 4)
            .enumerate()
            .for_each(|(y, row)| {
                let dy = (y as f32 + oy + 0.5 - half_h) / half_h;
                let dy2 = dy * dy / 2.0;
                for (px, dx2) in row.chunks_exact_mut(4).zip(&dx2) {
                    let (mut r, mut g, mut b) = if mix {
                        let (r, g, b) = (
                            pre[0][px[0] as usize] as i32,
                            pre[1][px[1] as usize] as i32,
                            pre[2][px[2] as usize] as i32,
                        );
                        // Rec. 709 luma in 8.8 fixed point; channels move away from (or towards) it.
                        let luma = (54 * r + 183 * g + 19 * b + 128) >> 8;
                        let sat = |c: i32| {
                            post[(luma + (((c - luma) * sat_fx) >> 8)).clamp(0, 255) as usize]
                        };
                        (sat(r) as u32, sat(g) as u32, sat(b) as u32)
                    } else {
                        (
                            folded[0][px[0] as usize] as u32,
                            folded[1][px[1] as usize] as u32,
                            folded[2][px[2] as usize] as u32,
                        )
                    };
                    if let Some(table) = &vignette {
                        // d² is 0 at the centre and 1 at a corner.
                        let d2 = (dx2 + dy2).min(1.0);
                        let scale = table[(d2 * (VIGNETTE_STEPS - 1) as f32) as usize] as u32;
                        r = (r * scale + 128) >> 8;
                        g = (g * scale + 128) >> 8;
                        b = (b * scale + 128) >> 8;
                    }
                    px[0] = r as u8;
                    px[1] = g as u8;
                    px[2] = b as u8;
                }
            });
    }

    /// Exposure, white balance and contrast for each channel, as 0..255 floats.
    fn curves(&self) -> [[f32; 256]; 3] {
        let gain = 2f32.powf(finite_or(self.exposure, 0.0).clamp(-8.0, 8.0));
        let t = finite_or(self.temperature, 0.0).clamp(-1.0, 1.0);
        let tint = finite_or(self.tint, 0.0).clamp(-1.0, 1.0);
        let balance = [
            1.0 + TEMPERATURE_GAIN * t + TINT_GAIN * 0.5 * tint,
            1.0 + TEMPERATURE_GAIN * 0.15 * t - TINT_GAIN * tint,
            1.0 - TEMPERATURE_GAIN * t + TINT_GAIN * 0.5 * tint,
        ];
        let contrast = finite_or(self.contrast, 1.0).max(0.0);
        let mut out = [[0f32; 256]; 3];
        for (c, table) in out.iter_mut().enumerate() {
            for (i, v) in table.iter_mut().enumerate() {
                let x = i as f32 / 255.0 * gain * balance[c];
                let x = (x - 0.5) * contrast + 0.5;
                *v = (x * 255.0).clamp(0.0, 255.0);
            }
        }
        out
    }

    /// Fade maps 0..255 into a narrower range with lifted blacks; identity when fade is 0.
    fn fade_curve(&self) -> [f32; 256] {
        let f = finite_or(self.fade, 0.0).clamp(0.0, 1.0);
        let lo = FADE_BLACK * f * 255.0;
        let hi = 255.0 - FADE_WHITE * f * 255.0;
        let mut out = [0f32; 256];
        for (i, v) in out.iter_mut().enumerate() {
            *v = lo + i as f32 / 255.0 * (hi - lo);
        }
        out
    }

    /// Brightness factor (8.8 fixed point, 256 = unchanged) by squared distance from the
    /// centre; None when there is no vignette.
    fn vignette_table(&self) -> Option<Vec<u16>> {
        let v = finite_or(self.vignette, 0.0).clamp(0.0, 1.0);
        if v <= 0.0 {
            return None;
        }
        Some(
            (0..VIGNETTE_STEPS)
                .map(|i| {
                    let d = (i as f32 / (VIGNETTE_STEPS - 1) as f32).sqrt();
                    let smooth = smoothstep(VIGNETTE_START, 1.0, d);
                    ((1.0 - 0.85 * v * smooth) * 256.0).round() as u16
                })
                .collect(),
        )
    }
}

fn finite_or(x: f32, fallback: f32) -> f32 {
    if x.is_finite() {
        x
    } else {
        fallback
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    fn test_image() -> RgbaImage {
        RgbaImage::from_fn(64, 48, |x, y| {
            Rgba([
                (x * 4) as u8,
                (y * 5) as u8,
                ((x + y) * 2) as u8,
                (x * 3 + y) as u8,
            ])
        })
    }

    #[test]
    fn identity_leaves_pixels_unchanged() {
        let before = test_image();
        let mut after = before.clone();
        Grade::default().apply(&mut after);
        assert_eq!(before, after);
        // The table path must be exact too, not only the early return.
        let mut after = before.clone();
        let size = after.dimensions();
        Grade::default().apply_tables(&mut after, (0, 0), size);
        assert_eq!(before, after);
    }

    #[test]
    fn warm_raises_red_and_lowers_blue() {
        let mut img = RgbaImage::from_pixel(8, 8, Rgba([120, 120, 120, 200]));
        Grade {
            temperature: 0.8,
            ..Grade::default()
        }
        .apply(&mut img);
        let p = img.get_pixel(4, 4);
        assert!(p[0] > 120, "red {}", p[0]);
        assert!(p[2] < 120, "blue {}", p[2]);
        assert_eq!(p[3], 200, "alpha untouched");
    }

    #[test]
    fn vignette_darkens_corners_more_than_centre() {
        let mut img = RgbaImage::from_pixel(200, 300, Rgba([200, 200, 200, 255]));
        Grade {
            vignette: 0.8,
            ..Grade::default()
        }
        .apply(&mut img);
        let centre = img.get_pixel(100, 150)[0];
        let corner = img.get_pixel(0, 0)[0];
        let edge = img.get_pixel(0, 150)[0];
        assert_eq!(centre, 200);
        assert!(corner < edge && edge <= centre, "{corner} {edge} {centre}");
        assert!(corner < 100);
    }

    #[test]
    fn saturation_zero_gives_grey() {
        let mut img = RgbaImage::from_pixel(4, 4, Rgba([250, 20, 40, 255]));
        Grade {
            saturation: 0.0,
            ..Grade::default()
        }
        .apply(&mut img);
        let p = img.get_pixel(1, 1);
        assert_eq!(p[0], p[1]);
        assert_eq!(p[1], p[2]);
    }

    #[test]
    fn fade_lifts_blacks_and_exposure_brightens() {
        let mut img = RgbaImage::from_pixel(4, 4, Rgba([0, 0, 0, 255]));
        Grade {
            fade: 0.5,
            ..Grade::default()
        }
        .apply(&mut img);
        assert!(img.get_pixel(0, 0)[0] > 20);
        let mut img = RgbaImage::from_pixel(4, 4, Rgba([60, 60, 60, 255]));
        Grade {
            exposure: 1.0,
            ..Grade::default()
        }
        .apply(&mut img);
        assert_eq!(img.get_pixel(0, 0)[0], 120);
    }

    #[test]
    fn then_combines() {
        let a = Grade {
            exposure: 0.2,
            contrast: 1.1,
            temperature: 0.7,
            vignette: 0.5,
            ..Grade::default()
        };
        let b = Grade {
            exposure: -0.1,
            contrast: 1.2,
            temperature: 0.6,
            vignette: 0.5,
            ..Grade::default()
        };
        let c = a.then(&b);
        assert!((c.exposure - 0.1).abs() < 1e-6);
        assert!((c.contrast - 1.32).abs() < 1e-6);
        assert_eq!(c.temperature, 1.0);
        assert!((c.vignette - 0.75).abs() < 1e-6);
        assert_eq!(Grade::default().then(&Grade::default()), Grade::default());
    }

    #[test]
    fn json_defaults_are_neutral() {
        let g: Grade = serde_json::from_str(r#"{"contrast": 1.2}"#).unwrap();
        assert_eq!(
            g,
            Grade {
                contrast: 1.2,
                ..Grade::default()
            }
        );
        assert!(serde_json::from_str::<Grade>(r#"{"contrats": 1.2}"#).is_err());
    }
}
