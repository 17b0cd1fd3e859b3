//! A record sleeve in the scene: the given image drawn into a quadrilateral of the scene (a
//! sleeve standing in a bin or on a shelf, in perspective) with a soft shadow behind it.

use image::RgbaImage;

/// A projective map from the unit square to a quadrilateral.
#[derive(Debug, Clone, Copy)]
struct Homography([f32; 9]);

impl Homography {
    /// The map taking (0,0), (1,0), (1,1), (0,1) to `q[0..4]` (Heckbert's square-to-quad).
    fn square_to_quad(q: [[f32; 2]; 4]) -> Homography {
        let [[x0, y0], [x1, y1], [x2, y2], [x3, y3]] = q;
        let (sx, sy) = (x0 - x1 + x2 - x3, y0 - y1 + y2 - y3);
        let (dx1, dy1, dx2, dy2) = (x1 - x2, y1 - y2, x3 - x2, y3 - y2);
        let det = dx1 * dy2 - dx2 * dy1;
        let (g, h) = if det.abs() < 1e-9 {
            (0.0, 0.0)
        } else {
            ((sx * dy2 - dx2 * sy) / det, (dx1 * sy - sx * dy1) / det)
        };
        Homography([
            x1 - x0 + g * x1,
            x3 - x0 + h * x3,
            x0,
            y1 - y0 + g * y1,
            y3 - y0 + h * y3,
            y0,
            g,
            h,
            1.0,
        ])
    }

    fn inverse(&self) -> Option<Homography> {
        let m = self.0;
        let det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6])
            + m[2] * (m[3] * m[7] - m[4] * m[6]);
        if det.abs() < 1e-12 {
            return None;
        }
        let inv = [
            (m[4] * m[8] - m[5] * m[7]) / det,
            (m[2] * m[7] - m[1] * m[8]) / det,
            (m[1] * m[5] - m[2] * m[4]) / det,
            (m[5] * m[6] - m[3] * m[8]) / det,
            (m[0] * m[8] - m[2] * m[6]) / det,
            (m[2] * m[3] - m[0] * m[5]) / det,
            (m[3] * m[7] - m[4] * m[6]) / det,
            (m[1] * m[6] - m[0] * m[7]) / det,
            (m[0] * m[4] - m[1] * m[3]) / det,
        ];
        Some(Homography(inv))
    }

    fn apply(&self, x: f32, y: f32) -> (f32, f32) {
        let m = self.0;
        let w = m[6] * x + m[7] * y + m[8];
        (
            (m[0] * x + m[1] * y + m[2]) / w,
            (m[3] * x + m[4] * y + m[5]) / w,
        )
    }
}

/// Draws `sleeve` (cover-cropped to a square) into `quad` of `canvas` (corners in canvas
/// pixels: top-left, top-right, bottom-right, bottom-left), anti-aliased, over a soft shadow.
pub fn place_sleeve(canvas: &mut RgbaImage, sleeve: &RgbaImage, quad: [[f32; 2]; 4]) {
    let side = quad
        .iter()
        .zip(quad.iter().cycle().skip(1))
        .map(|(a, b)| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt())
        .fold(8.0f32, f32::max)
        .min(2048.0)
        .round() as u32;
    let art = super::cover(sleeve, side, side);
    let Some(inv) = Homography::square_to_quad(quad).inverse() else {
        return;
    };
    let (cw, ch) = (canvas.width() as i64, canvas.height() as i64);
    let xs = quad.map(|p| p[0]);
    let ys = quad.map(|p| p[1]);
    let pad = (side as f32 * 0.08).max(4.0);
    let x0 = (xs.iter().fold(f32::MAX, |a, &b| a.min(b)) - pad)
        .floor()
        .max(0.0) as i64;
    let x1 = (xs.iter().fold(f32::MIN, |a, &b| a.max(b)) + pad)
        .ceil()
        .min(cw as f32) as i64;
    let y0 = (ys.iter().fold(f32::MAX, |a, &b| a.min(b)) - pad)
        .floor()
        .max(0.0) as i64;
    let y1 = (ys.iter().fold(f32::MIN, |a, &b| a.max(b)) + pad)
        .ceil()
        .min(ch as f32) as i64;
    // How far inside the unit square a point is, in sleeve pixels (negative outside).
    let inside = |u: f32, v: f32| u.min(v).min(1.0 - u).min(1.0 - v) * side as f32;
    let offset = pad * 0.35;
    for y in y0..y1 {
        for x in x0..x1 {
            let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
            // The shadow: the same quad a little down and right, with soft edges.
            let (su, sv) = inv.apply(px - offset, py - offset);
            let shadow = (inside(su, sv) / pad + 0.5).clamp(0.0, 1.0) * 0.45;
            let (u, v) = inv.apply(px, py);
            let cover = (inside(u, v) * 0.5 + 0.5).clamp(0.0, 1.0);
            if shadow <= 0.0 && cover <= 0.0 {
                continue;
            }
            let dst = canvas.get_pixel_mut(x as u32, y as u32);
            let art_px = sample(&art, u * side as f32 - 0.5, v * side as f32 - 0.5);
            for (d, a) in dst.0.iter_mut().zip(art_px) {
                let under = f32::from(*d) * (1.0 - shadow);
                *d = (a * cover + under * (1.0 - cover)).round() as u8;
            }
        }
    }
}

fn sample(img: &RgbaImage, x: f32, y: f32) -> [f32; 3] {
    let (w, h) = (img.width() as f32, img.height() as f32);
    let (x, y) = (x.clamp(0.0, w - 1.0), y.clamp(0.0, h - 1.0));
    let (x0, y0) = (x.floor() as u32, y.floor() as u32);
    let (x1, y1) = (
        (x0 + 1).min(img.width() - 1),
        (y0 + 1).min(img.height() - 1),
    );
    let (tx, ty) = (x.fract(), y.fract());
    std::array::from_fn(|c| {
        let p = |px: u32, py: u32| f32::from(img.get_pixel(px, py).0[c]);
        let top = p(x0, y0) * (1.0 - tx) + p(x1, y0) * tx;
        let bottom = p(x0, y1) * (1.0 - tx) + p(x1, y1) * tx;
        top * (1.0 - ty) + bottom * ty
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    #[test]
    fn the_square_maps_onto_its_quad() {
        let q = [[10.0, 20.0], [110.0, 30.0], [100.0, 140.0], [5.0, 120.0]];
        let h = Homography::square_to_quad(q);
        for (i, (u, v)) in [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]
            .iter()
            .enumerate()
        {
            let (x, y) = h.apply(*u, *v);
            assert!(
                (x - q[i][0]).abs() < 1e-3 && (y - q[i][1]).abs() < 1e-3,
                "{i}"
            );
        }
        let (u, v) = h.inverse().unwrap().apply(q[2][0], q[2][1]);
        assert!((u - 1.0).abs() < 1e-4 && (v - 1.0).abs() < 1e-4);
    }

    #[test]
    fn the_sleeve_fills_its_quad_and_leaves_the_rest() {
        let mut canvas = RgbaImage::from_pixel(200, 200, Rgba([200, 200, 200, 255]));
        let red = RgbaImage::from_pixel(50, 50, Rgba([220, 20, 20, 255]));
        place_sleeve(
            &mut canvas,
            &red,
            [[60.0, 60.0], [140.0, 65.0], [145.0, 140.0], [55.0, 135.0]],
        );
        assert!(canvas.get_pixel(100, 100).0[0] > 200 && canvas.get_pixel(100, 100).0[1] < 40);
        assert_eq!(canvas.get_pixel(10, 10).0, [200, 200, 200, 255]);
        // The shadow darkens just outside the bottom-right edge.
        assert!(canvas.get_pixel(147, 141).0[1] < 200);
    }
}
