//! Stage 6, compositing: the scene, the artist cut out of the face guide and any overlay
//! images, made once per video into still layers — a scene that the camera moves over, the
//! subject in front of it, and a screen-fixed foreground (overlays, caption) on top.

mod blur;
mod floor;
pub(crate) mod grade;
mod load;
mod overlay;
mod sleeve;
mod subject;
mod torso;

use image::{imageops, RgbaImage};
use rayon::prelude::*;

pub use floor::FloorShade;
pub use grade::Grade;
pub use load::{decode_image, load_image, ImageLimits};
pub use overlay::{overlay_squares, paint_over};
pub use sleeve::place_sleeve;
pub use subject::{
    cut_subject, frame_subject, place_subject, Backdrop, Cut, FaceSpot, Framing, SubjectLayer,
};

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
    #[error("{name} is too small to find a person in: {width}×{height} pixels (at least {min_side} on each side)")]
    ImageTooSmall {
        name: String,
        width: u32,
        height: u32,
        min_side: u32,
    },
    #[error("{name} is too large: {bytes} bytes (limit {max_bytes})")]
    FileTooLarge {
        name: String,
        bytes: u64,
        max_bytes: u64,
    },
}

/// Scales and centre-crops `img` to exactly `width` × `height`, filling the frame (CSS
/// "cover"). Catmull-Rom keeps edges crisp at the small factors used here; Lanczos3 for big
/// enlargements. fast_image_resize does this with SIMD, several times faster than `image`.
pub fn cover(img: &RgbaImage, width: u32, height: u32) -> RgbaImage {
    resize_with(img, width, height, true)
}

/// Scales `img` to exactly `width` × `height`, ignoring its aspect ratio.
pub fn resize(img: &RgbaImage, width: u32, height: u32) -> RgbaImage {
    resize_with(img, width, height, false)
}

fn resize_with(img: &RgbaImage, width: u32, height: u32, crop_to_fill: bool) -> RgbaImage {
    use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
    let (w, h) = img.dimensions();
    let scale = f64::max(
        f64::from(width) / f64::from(w),
        f64::from(height) / f64::from(h),
    );
    let filter = if scale > 2.0 {
        FilterType::Lanczos3
    } else {
        FilterType::CatmullRom
    };
    let mut options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(filter));
    if crop_to_fill {
        options = options.fit_into_destination(Some((0.5, 0.5)));
    }
    let mut out = RgbaImage::new(width, height);
    match Resizer::new().resize(img, &mut out, &options) {
        Ok(()) => out,
        // Only an empty image gets here; `image` copes with every size.
        Err(_) => imageops::resize(
            img,
            width.max(1),
            height.max(1),
            imageops::FilterType::CatmullRom,
        ),
    }
}

/// Shallow depth of field: blurs `half` (a scene behind the subject, at half the canvas's
/// resolution) with a near-Gaussian of about `radius` canvas pixels, in three box passes. A
/// blurred picture loses nothing at half size, so it stays there: the camera enlarges it.
pub fn depth_of_field(half: &mut RgbaImage, radius: f32) {
    let r = (radius / 6.0).round() as usize;
    let (hw, hh) = (half.width() as usize, half.height() as usize);
    if radius < 1.0 || hw < 2 || hh < 2 {
        return;
    }
    // The three channels blur independently, on every core.
    let planes: Vec<Vec<f32>> = (0..3)
        .into_par_iter()
        .map(|c| {
            let mut plane: Vec<f32> = half.pixels().map(|p| f32::from(p.0[c])).collect();
            for _ in 0..3 {
                plane = crate::subject::refine::box_blur(&plane, hw, hh, r.max(1));
            }
            plane
        })
        .collect();
    for (c, plane) in planes.into_iter().enumerate() {
        for (p, v) in half.pixels_mut().zip(plane) {
            p.0[c] = v.round().clamp(0.0, 255.0) as u8;
        }
    }
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
