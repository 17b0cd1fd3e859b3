//! The guided filter (He, Sun and Tang, 2013) with a colour guide: a coarse map made to
//! follow the photo's own edges. Within every window the output is an affine function of the
//! guide's colour fitted to the map, so where a region is one colour (a dark coat) it takes
//! the map's value from the part of it the map is sure of, and where the colours change the
//! output changes with them.

use image::RgbaImage;

use super::refine::box_blur;

/// `map` (one value per pixel of `guide`, row-major) filtered with `guide`'s RGB (0..1) over
/// windows of radius `r`; `eps` is the regularisation (larger: smoother, less edge-bound).
pub fn guided_filter(guide: &RgbaImage, map: &[f32], r: usize, eps: f32) -> Vec<f32> {
    let (w, h) = (guide.width() as usize, guide.height() as usize);
    assert_eq!(map.len(), w * h, "one map value per guide pixel");
    let channel =
        |c: usize| -> Vec<f32> { guide.pixels().map(|p| f32::from(p.0[c]) / 255.0).collect() };
    let colour: [Vec<f32>; 3] = std::array::from_fn(channel);
    let mean = |v: &[f32]| box_blur(v, w, h, r);
    let product = |a: &[f32], b: &[f32]| -> Vec<f32> {
        let ab: Vec<f32> = a.iter().zip(b).map(|(x, y)| x * y).collect();
        mean(&ab)
    };
    let mean_i: [Vec<f32>; 3] = std::array::from_fn(|c| mean(&colour[c]));
    let mean_p = mean(map);
    let corr_ip: [Vec<f32>; 3] = std::array::from_fn(|c| product(&colour[c], map));
    // The six distinct entries of each window's colour covariance: rr, rg, rb, gg, gb, bb.
    const PAIRS: [(usize, usize); 6] = [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)];
    let corr_ii: [Vec<f32>; 6] = PAIRS.map(|(a, b)| product(&colour[a], &colour[b]));

    let mut coef: [Vec<f32>; 4] = std::array::from_fn(|_| vec![0f32; w * h]);
    for i in 0..w * h {
        let mi = [mean_i[0][i], mean_i[1][i], mean_i[2][i]];
        let cov_ip: [f32; 3] = std::array::from_fn(|c| corr_ip[c][i] - mi[c] * mean_p[i]);
        let s: [f32; 6] = std::array::from_fn(|k| {
            let (a, b) = PAIRS[k];
            corr_ii[k][i] - mi[a] * mi[b] + if a == b { eps } else { 0.0 }
        });
        let a = solve_symmetric(s, cov_ip);
        coef[0][i] = a[0];
        coef[1][i] = a[1];
        coef[2][i] = a[2];
        coef[3][i] = mean_p[i] - a[0] * mi[0] - a[1] * mi[1] - a[2] * mi[2];
    }
    let coef = coef.map(|c| mean(&c));
    (0..w * h)
        .map(|i| {
            coef[0][i] * colour[0][i]
                + coef[1][i] * colour[1][i]
                + coef[2][i] * colour[2][i]
                + coef[3][i]
        })
        .collect()
}

/// Solves `S x = v` for the symmetric 3×3 `S` given as (rr, rg, rb, gg, gb, bb), which the
/// regularisation keeps positive definite.
fn solve_symmetric(s: [f32; 6], v: [f32; 3]) -> [f32; 3] {
    let [a, b, c, d, e, f] = s;
    // The adjugate: S is symmetric, so is its inverse.
    let (i00, i01, i02) = (d * f - e * e, c * e - b * f, b * e - c * d);
    let (i11, i12, i22) = (a * f - c * c, b * c - a * e, a * d - b * b);
    let det = a * i00 + b * i01 + c * i02;
    if det.abs() < 1e-12 {
        return [0.0; 3];
    }
    [
        (i00 * v[0] + i01 * v[1] + i02 * v[2]) / det,
        (i01 * v[0] + i11 * v[1] + i12 * v[2]) / det,
        (i02 * v[0] + i12 * v[1] + i22 * v[2]) / det,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    #[test]
    fn the_solve_inverts_a_symmetric_matrix() {
        // S = [[4,1,0],[1,3,1],[0,1,2]], x = (1, -2, 3) → v = S x.
        let x = solve_symmetric([4.0, 1.0, 0.0, 3.0, 1.0, 2.0], [2.0, -2.0, 4.0]);
        for (got, want) in x.iter().zip([1.0, -2.0, 3.0]) {
            assert!((got - want).abs() < 1e-5, "{x:?}");
        }
    }

    /// A dark figure on a light wall, and a coarse map whose edge is a ramp across the
    /// figure's: filtered, the edge moves onto the figure's, and far from it the map keeps
    /// its values.
    #[test]
    fn a_coarse_edge_snaps_to_the_photos_edge() {
        let (w, h) = (64u32, 32u32);
        let guide = RgbaImage::from_fn(w, h, |x, _| {
            if x < 32 {
                Rgba([30, 28, 25, 255])
            } else {
                Rgba([200, 190, 170, 255])
            }
        });
        let ramp = |x: u32| ((44.0 - x as f32) / 24.0).clamp(0.0, 1.0);
        let map: Vec<f32> = (0..w * h).map(|i| ramp(i % w)).collect();
        let out = guided_filter(&guide, &map, 6, 1e-2);
        let at = |x: u32| out[(16 * w + x) as usize];
        assert!(
            at(29) > ramp(29) + 0.05,
            "inside: {} from {}",
            at(29),
            ramp(29)
        );
        assert!(
            at(35) < ramp(35) - 0.05,
            "outside: {} from {}",
            at(35),
            ramp(35)
        );
        assert!((at(4) - 1.0).abs() < 0.02, "far inside: {}", at(4));
        assert!(at(60).abs() < 0.02, "far outside: {}", at(60));
    }
}
