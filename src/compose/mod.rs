//! Stage 6, compositing: the scene, the artist's face guide and any overlay images, made once
//! per video into two still layers — a background that the camera moves over and a screen-fixed
//! foreground (overlays, caption) laid on top of every frame.

mod face;
pub mod grade;
mod load;
mod overlay;

use image::{imageops, RgbaImage};

pub use face::{place_face, Placement};
pub use grade::Grade;
pub use load::{decode_image, load_image, ImageLimits};
pub use overlay::{overlay_squares, paint_over};

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{name} is not a usable image: {reason}")]
    NotAnImage { name: String, reason: String },
    #[error("{name} is too large: more than {max_side} pixels on a side")]
    ImageTooLarge { name: String, max_side: u32 },
    #[error("{name} is too large: {bytes} bytes (limit {max_bytes})")]
    FileTooLarge {
        name: String,
        bytes: u64,
        max_bytes: u64,
    },
}

/// Scales and centre-crops `img` to exactly `width` × `height`, filling the frame (CSS
/// "cover"). Catmull-Rom keeps edges crisp when enlarging and is alias-free enough when
/// shrinking by the small factors used here.
pub fn cover(img: &RgbaImage, width: u32, height: u32) -> RgbaImage {
    let (w, h) = img.dimensions();
    let scale = f64::max(
        f64::from(width) / f64::from(w),
        f64::from(height) / f64::from(h),
    );
    // Crop in the source first so the resize touches only what is kept.
    let crop_w = ((f64::from(width) / scale).round() as u32).clamp(1, w);
    let crop_h = ((f64::from(height) / scale).round() as u32).clamp(1, h);
    let x = (w - crop_w) / 2;
    let y = (h - crop_h) / 2;
    let cropped = imageops::crop_imm(img, x, y, crop_w, crop_h).to_image();
    if cropped.dimensions() == (width, height) {
        return cropped;
    }
    let filter = if scale > 2.0 {
        imageops::FilterType::Lanczos3
    } else {
        imageops::FilterType::CatmullRom
    };
    imageops::resize(&cropped, width, height, filter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cover_fills_the_frame_and_keeps_the_centre() {
        // A wide image with a red centre column: after cover to portrait the centre is red.
        let mut img = RgbaImage::from_pixel(400, 100, image::Rgba([0, 0, 255, 255]));
        for y in 0..100 {
            for x in 180..220 {
                img.put_pixel(x, y, image::Rgba([255, 0, 0, 255]));
            }
        }
        let out = cover(&img, 90, 160);
        assert_eq!(out.dimensions(), (90, 160));
        assert!(out.get_pixel(45, 80).0[0] > 200);
        assert!(out.get_pixel(2, 80).0[2] > 200);
    }
}
