//! Wide, soft blurs read only near the subject's edge (the light wrap, the contact shadow):
//! blurred at half resolution and sampled bilinearly at the pixels that use them, instead of
//! being scaled back up over the whole layer.

use crate::subject::refine::box_blur;

/// Below this radius a plane is blurred at full resolution: halving would show.
const MIN_HALVED_RADIUS: usize = 4;

/// Where a full-resolution row or column falls between two stored ones.
#[derive(Debug, Clone, Copy)]
struct Tap {
    i0: usize,
    i1: usize,
    t: f32,
}

/// A `w`×`h` plane after `passes` box blurs of radius `r` (near-Gaussian from three), read
/// at full resolution with [`SoftPlane::at`].
pub(crate) struct SoftPlane {
    stored: Vec<f32>,
    stride: usize,
    cols: Vec<Tap>,
    rows: Vec<Tap>,
}

impl SoftPlane {
    /// The blur of the plane whose value at pixel (x, y) is `value(x, y)`.
    pub fn new(
        (w, h): (usize, usize),
        r: usize,
        passes: usize,
        value: impl Fn(usize, usize) -> f32,
    ) -> SoftPlane {
        let halved = r >= MIN_HALVED_RADIUS && w >= 4 && h >= 4;
        let (sw, sh, sr) = if halved {
            (w.div_ceil(2), h.div_ceil(2), r / 2)
        } else {
            (w, h, r)
        };
        let mut stored = Vec::with_capacity(sw * sh);
        for y in 0..sh {
            for x in 0..sw {
                stored.push(if halved {
                    let (x0, y0) = (2 * x, 2 * y);
                    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
                    (value(x0, y0) + value(x1, y0) + value(x0, y1) + value(x1, y1)) / 4.0
                } else {
                    value(x, y)
                });
            }
        }
        for _ in 0..passes {
            stored = box_blur(&stored, sw, sh, sr);
        }
        let taps = |n: usize, stored_n: usize| -> Vec<Tap> {
            (0..n)
                .map(|i| {
                    if !halved {
                        return Tap {
                            i0: i,
                            i1: i,
                            t: 0.0,
                        };
                    }
                    let s = ((i as f32 + 0.5) / 2.0 - 0.5).clamp(0.0, (stored_n - 1) as f32);
                    let i0 = s as usize;
                    Tap {
                        i0,
                        i1: (i0 + 1).min(stored_n - 1),
                        t: s - i0 as f32,
                    }
                })
                .collect()
        };
        SoftPlane {
            cols: taps(w, sw),
            rows: taps(h, sh),
            stored,
            stride: sw,
        }
    }

    /// The blurred value at full-resolution pixel (x, y).
    #[inline]
    pub fn at(&self, x: usize, y: usize) -> f32 {
        let (c, r) = (self.cols[x], self.rows[y]);
        let row0 = &self.stored[r.i0 * self.stride..];
        let row1 = &self.stored[r.i1 * self.stride..];
        let top = row0[c.i0] * (1.0 - c.t) + row0[c.i1] * c.t;
        let bottom = row1[c.i0] * (1.0 - c.t) + row1[c.i1] * c.t;
        top * (1.0 - r.t) + bottom * r.t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disc(x: usize, y: usize) -> f32 {
        let (dx, dy) = (x as f32 - 40.0, y as f32 - 30.0);
        if dx * dx + dy * dy < 400.0 {
            1.0
        } else {
            0.0
        }
    }

    #[test]
    fn a_flat_plane_stays_flat_at_every_pixel() {
        for r in [2, 9] {
            let plane = SoftPlane::new((81, 63), r, 2, |_, _| 0.75);
            for y in 0..63 {
                for x in 0..81 {
                    assert!((plane.at(x, y) - 0.75).abs() < 1e-5, "r {r} at {x},{y}");
                }
            }
        }
    }

    #[test]
    fn a_halved_blur_matches_the_full_resolution_one() {
        let (w, h, r) = (80, 60, 8);
        let src: Vec<f32> = (0..w * h).map(|i| disc(i % w, i / w)).collect();
        let full = box_blur(&box_blur(&src, w, h, r), w, h, r);
        let soft = SoftPlane::new((w, h), r, 2, disc);
        for y in 0..h {
            for x in 0..w {
                let d = (soft.at(x, y) - full[y * w + x]).abs();
                assert!(
                    d < 0.04,
                    "{x},{y}: {} vs {}",
                    soft.at(x, y),
                    full[y * w + x]
                );
            }
        }
    }
}
