//! The torso where the photo cuts it. Lengthened when the photo's bottom edge cuts it a
//! little short of the frame's bottom, continued below that edge when it cuts it far short
//! (a close-up), and faded out toward a side the photo cuts, so that no straight edge of the
//! photo shows in the scene.

use image::RgbaImage;

use super::subject::alpha_rows;
use crate::curve::smoothstep;

/// `cutout` with the subject fading out over `band` pixels toward each side of the photo
/// that cuts it (`left`, `right`): a headshot's shoulders melt into the scene instead of
/// ending in the photo's straight edge. `None` when no side is cut.
pub(super) fn fade_cut_sides(
    cutout: &RgbaImage,
    (left, right): (bool, bool),
    band: f32,
) -> Option<RgbaImage> {
    let w = cutout.width() as usize;
    let band = band.min(w as f32 / 4.0);
    if !(left || right) || band < 1.0 {
        return None;
    }
    // From the photo's edge to `band` inside it, per column.
    let gain: Vec<f32> = (0..w)
        .map(|x| {
            let ramp = |d: usize| smoothstep(0.0, band, d as f32 + 0.5);
            let l = if left { ramp(x) } else { 1.0 };
            let r = if right { ramp(w - 1 - x) } else { 1.0 };
            l * r
        })
        .collect();
    let mut out = cutout.clone();
    for row in out.chunks_exact_mut(w * 4) {
        for (p, &g) in row.chunks_exact_mut(4).zip(&gain) {
            if g < 1.0 {
                p[3] = (f32::from(p[3]) * g).round() as u8;
            }
        }
    }
    Some(out)
}

/// `img` with rows `from..` stretched over `extra` more rows (bilinear between rows).
pub(super) fn stretch_bottom(img: &RgbaImage, from: u32, extra: u32) -> RgbaImage {
    let (w, h) = img.dimensions();
    if extra == 0 || from >= h {
        return img.clone();
    }
    let band = (h - from) as f32;
    let new_band = band + extra as f32;
    RgbaImage::from_fn(w, h + extra, |x, y| {
        if y < from {
            return *img.get_pixel(x, y);
        }
        let sy = (from as f32 + (y - from) as f32 * band / new_band).min(h as f32 - 1.0);
        let (y0, t) = (sy.floor() as u32, sy.fract());
        let (a, b) = (
            img.get_pixel(x, y0).0,
            img.get_pixel(x, (y0 + 1).min(h - 1)).0,
        );
        image::Rgba(std::array::from_fn(|c| {
            (f32::from(a[c]) * (1.0 - t) + f32::from(b[c]) * t).round() as u8
        }))
    })
}

/// How much darker the last row of an extended torso is than the photo's last row.
pub(super) const EXTEND_SHADE: f32 = 0.6;

/// `img` continued below its last visible row by `extra` rows: the torso the photo cut off
/// goes on down with the outline of its last row, each column starting as the colour of the
/// last rows above it, then blurred sideways and merged, within the first sixth, into the
/// colour of the row's darker half (the jacket: a white shirt or a bright scarf would run
/// down as streaks) and darkened the further down, as if in shadow.
pub(super) fn extend_bottom(img: RgbaImage, extra: u32) -> RgbaImage {
    const ROWS: u32 = 6;
    if extra == 0 {
        return img;
    }
    let (_, bottom) = alpha_rows(&img);
    let w = img.width() as usize;
    // Per column: alpha and premultiplied colour, the mean of the last rows.
    let from = bottom.saturating_sub(ROWS);
    let n = (bottom - from).max(1) as f32;
    let mut base = vec![[0f32; 4]; w];
    for y in from..bottom {
        for (x, b) in base.iter_mut().enumerate() {
            let p = img.get_pixel(x as u32, y).0;
            let a = f32::from(p[3]) / n;
            for c in 0..3 {
                b[c] += f32::from(p[c]) * a;
            }
            b[3] += a;
        }
    }
    // Running sums for the sideways blur.
    let mut sums = vec![[0f32; 4]; w + 1];
    for x in 0..w {
        sums[x + 1] = std::array::from_fn(|c| sums[x][c] + base[x][c]);
    }
    let mut out = RgbaImage::new(img.width(), bottom + extra);
    image::imageops::replace(&mut out, &img, 0, 0);
    // The photo's texture fades into the columns' colour over its last rows: no seam.
    let fade = (2 * ROWS).min(bottom);
    for y in bottom - fade..bottom {
        let k = (y + 1 - (bottom - fade)) as f32 / (fade + 1) as f32;
        for (x, b) in base.iter().enumerate() {
            let p = out.get_pixel_mut(x as u32, y);
            if b[3] > 0.0 {
                for c in 0..3 {
                    let mean = b[c] / b[3];
                    p.0[c] = (f32::from(p.0[c]) + (mean - f32::from(p.0[c])) * k * k).round() as u8;
                }
            }
        }
    }
    // The torso's own colour, which the columns fade into, and it into shadow.
    let mean = darker_half(&base);
    let ease = |t: f32| smoothstep(0.0, 1.0, t);
    for d in 0..extra {
        let t = (d + 1) as f32 / extra as f32;
        let (merge, shade) = (ease(6.0 * t), 1.0 - EXTEND_SHADE * ease(2.0 * t));
        let r = ((d as f32 * 0.8) as usize).min(w / 4);
        for (x, b) in base.iter().enumerate() {
            let (lo, hi) = (x.saturating_sub(r), (x + r + 1).min(w));
            let window: [f32; 4] = std::array::from_fn(|c| sums[hi][c] - sums[lo][c]);
            let px = if window[3] > 0.0 {
                std::array::from_fn(|c| {
                    if c == 3 {
                        b[3].round() as u8
                    } else {
                        let column = window[c] / window[3];
                        let v = (column + (mean[c] - column) * merge) * shade;
                        v.round().clamp(0.0, 255.0) as u8
                    }
                })
            } else {
                [0; 4]
            };
            out.put_pixel(x as u32, bottom + d, image::Rgba(px));
        }
    }
    out
}

/// The mean colour of the darker half (by alpha) of `columns`, premultiplied colours with
/// their alpha: a jacket's colour rather than the white shirt or the skin between its
/// lapels, which would run down a made-up torso as bright bands.
fn darker_half(columns: &[[f32; 4]]) -> [f32; 3] {
    let luma = |b: &[f32; 4]| (0.299 * b[0] + 0.587 * b[1] + 0.114 * b[2]) / b[3];
    let mut solid: Vec<&[f32; 4]> = columns.iter().filter(|b| b[3] > 1e-3).collect();
    solid.sort_by(|a, b| luma(a).total_cmp(&luma(b)));
    let half = solid.iter().map(|b| b[3]).sum::<f32>() / 2.0;
    let mut sum = [0f32; 4];
    for b in solid {
        if sum[3] >= half {
            break;
        }
        for c in 0..4 {
            sum[c] += b[c];
        }
    }
    std::array::from_fn(|c| sum[c] / sum[3].max(1e-3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_side_fades_out_and_an_uncut_one_is_left_alone() {
        let body = RgbaImage::from_pixel(100, 50, image::Rgba([90, 80, 70, 255]));
        let faded = fade_cut_sides(&body, (true, false), 20.0).expect("one side is cut");
        let alpha = |x: u32| faded.get_pixel(x, 25).0[3];
        assert!(alpha(0) < 10, "the cut edge fades: {}", alpha(0));
        assert!(alpha(5) < alpha(12), "gradually");
        assert_eq!(alpha(20), 255, "solid past the band");
        assert_eq!(alpha(99), 255, "the uncut side is left alone");
        assert!(fade_cut_sides(&body, (false, false), 20.0).is_none());
    }

    /// A white shirt between dark lapels, cut by the photo's bottom edge: a little way below
    /// the edge the made-up torso is the jacket's colour all across, not a bright band.
    #[test]
    fn a_bright_shirt_does_not_stream_down_a_made_up_torso() {
        let cutout = RgbaImage::from_fn(90, 40, |x, _| {
            if (40..50).contains(&x) {
                image::Rgba([250, 250, 250, 255])
            } else {
                image::Rgba([30, 30, 40, 255])
            }
        });
        let long = extend_bottom(cutout, 120);
        let row = 40 + 120 / 8;
        let shirt = long.get_pixel(45, row).0;
        let jacket = long.get_pixel(10, row).0;
        assert!(
            shirt[0] < jacket[0] + 25,
            "shirt {shirt:?}, jacket {jacket:?} at row {row}"
        );
        assert_eq!(
            darker_half(&[
                [250.0, 250.0, 250.0, 1.0],
                [30.0, 30.0, 40.0, 1.0],
                [32.0, 30.0, 40.0, 1.0]
            ]),
            [31.0, 30.0, 40.0]
        );
    }
}
