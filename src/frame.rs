//! Video frames as the encoder takes them: planar 8-bit YUV 4:2:0 (BT.601 limited range).
//!
//! Frames are produced in YUV directly so that no per-frame RGB→YUV pass is needed; static
//! layers are converted once per video.

/// One planar YUV 4:2:0 frame. `width` and `height` are even; each chroma plane is
/// `width / 2` × `height / 2`. Rows are tightly packed (stride = width).
#[derive(Debug, Clone, PartialEq)]
pub struct Yuv420 {
    pub width: u32,
    pub height: u32,
    pub y: Vec<u8>,
    pub u: Vec<u8>,
    pub v: Vec<u8>,
}

impl Yuv420 {
    /// A black frame.
    pub fn new(width: u32, height: u32) -> Yuv420 {
        Yuv420::filled(width, height, 16, 128)
    }

    /// A frame of zeros, for callers that overwrite every sample: zeroed memory comes from
    /// the allocator without a fill pass.
    pub fn zeroed(width: u32, height: u32) -> Yuv420 {
        Yuv420::filled(width, height, 0, 0)
    }

    fn filled(width: u32, height: u32, luma_value: u8, chroma_value: u8) -> Yuv420 {
        assert!(
            width.is_multiple_of(2) && height.is_multiple_of(2),
            "YUV 4:2:0 needs even sizes"
        );
        let luma = (width * height) as usize;
        Yuv420 {
            width,
            height,
            y: vec![luma_value; luma],
            u: vec![chroma_value; luma / 4],
            v: vec![chroma_value; luma / 4],
        }
    }

    pub fn chroma_width(&self) -> u32 {
        self.width / 2
    }

    pub fn chroma_height(&self) -> u32 {
        self.height / 2
    }
}

/// BT.601 limited-range conversion of one RGB pixel, in fixed point.
#[inline]
pub fn rgb_to_yuv(r: u8, g: u8, b: u8) -> (u8, u8, u8) {
    let (r, g, b) = (i32::from(r), i32::from(g), i32::from(b));
    let y = ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16;
    let u = ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128;
    let v = ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128;
    (y as u8, u.clamp(0, 255) as u8, v.clamp(0, 255) as u8)
}

/// The inverse of [`rgb_to_yuv`], for tests and stills.
#[inline]
pub fn yuv_to_rgb(y: u8, u: u8, v: u8) -> (u8, u8, u8) {
    let c = i32::from(y) - 16;
    let d = i32::from(u) - 128;
    let e = i32::from(v) - 128;
    let r = (298 * c + 409 * e + 128) >> 8;
    let g = (298 * c - 100 * d - 208 * e + 128) >> 8;
    let b = (298 * c + 516 * d + 128) >> 8;
    (
        r.clamp(0, 255) as u8,
        g.clamp(0, 255) as u8,
        b.clamp(0, 255) as u8,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_survive_a_round_trip_within_two_levels() {
        for &(r, g, b) in &[
            (0, 0, 0),
            (255, 255, 255),
            (200, 30, 90),
            (12, 180, 240),
            (128, 128, 128),
        ] {
            let (y, u, v) = rgb_to_yuv(r, g, b);
            let (r2, g2, b2) = yuv_to_rgb(y, u, v);
            for (a, b) in [(r, r2), (g, g2), (b, b2)] {
                assert!(
                    (i32::from(a) - i32::from(b)).abs() <= 2,
                    "{r},{g},{b} → {r2},{g2},{b2}"
                );
            }
        }
    }

    #[test]
    fn black_is_limited_range_black() {
        let f = Yuv420::new(4, 2);
        assert_eq!(f.y, vec![16; 8]);
        assert_eq!(f.u.len(), 2);
    }
}
