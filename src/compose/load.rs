//! Reading face guides, scenes and overlays: any PNG/JPEG/WebP, EXIF orientation honoured,
//! with hard limits so a hostile file cannot exhaust memory.

use std::io::Cursor;
use std::path::Path;

use image::{DynamicImage, ImageDecoder, ImageReader, RgbaImage};

use super::ComposeError;

/// Limits for decoded images.
#[derive(Debug, Clone, Copy)]
pub struct ImageLimits {
    /// Largest accepted width or height, in pixels.
    pub max_side: u32,
    /// Largest accepted file, in bytes.
    pub max_file_bytes: u64,
}

impl Default for ImageLimits {
    fn default() -> Self {
        ImageLimits {
            max_side: 12_000,
            max_file_bytes: 64 << 20,
        }
    }
}

/// Reads an image file into RGBA, upright.
pub fn load_image(path: &Path, limits: ImageLimits) -> Result<RgbaImage, ComposeError> {
    let name = path.display().to_string();
    let io = |source| ComposeError::Io {
        path: name.clone(),
        source,
    };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > limits.max_file_bytes {
        return Err(ComposeError::FileTooLarge {
            name,
            bytes: len,
            max_bytes: limits.max_file_bytes,
        });
    }
    let bytes = crate::local_file::read_regular(path, limits.max_file_bytes).map_err(io)?;
    decode_image(&bytes, &name, limits)
}

/// Decodes image bytes (PNG, JPEG or WebP, detected from the content) into RGBA, upright.
/// `name` is used in errors.
pub fn decode_image(
    bytes: &[u8],
    name: &str,
    limits: ImageLimits,
) -> Result<RgbaImage, ComposeError> {
    let not_image = |e: image::ImageError| ComposeError::NotAnImage {
        name: name.to_string(),
        reason: e.to_string(),
    };
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ComposeError::Io {
            path: name.to_string(),
            source: e,
        })?;
    if reader.format().is_none() {
        return Err(ComposeError::NotAnImage {
            name: name.to_string(),
            reason: "not a PNG, JPEG or WebP image".into(),
        });
    }
    // The JPEG decoder fills a file cut short (an interrupted upload or copy) with grey
    // instead of failing, which would put a half-grey photo in every video.
    if reader.format() == Some(image::ImageFormat::Jpeg) && !jpeg_reaches_its_end(bytes) {
        return Err(ComposeError::NotAnImage {
            name: name.to_string(),
            reason: "the JPEG data stops before its end marker (the file is cut short)".into(),
        });
    }
    let mut image_limits = image::Limits::default();
    image_limits.max_image_width = Some(limits.max_side);
    image_limits.max_image_height = Some(limits.max_side);
    image_limits.max_alloc = Some(u64::from(limits.max_side) * u64::from(limits.max_side) * 4);
    reader.limits(image_limits);
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| limit_or(e, name, limits))?;
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 {
        return Err(ComposeError::NotAnImage {
            name: name.to_string(),
            reason: "the image is empty (0 pixels)".into(),
        });
    }
    let orientation = decoder.orientation().map_err(not_image)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| limit_or(e, name, limits))?;
    img.apply_orientation(orientation);
    Ok(img.into_rgba8())
}

/// Whether a JPEG's markers run from its start to its end-of-image marker. Header segments
/// are skipped by their lengths (so an embedded thumbnail's end marker does not count), and
/// entropy-coded data up to the next marker; bytes after the end marker are allowed.
fn jpeg_reaches_its_end(bytes: &[u8]) -> bool {
    const EOI: u8 = 0xD9;
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return false;
    }
    let mut i = 2;
    loop {
        // Entropy-coded data (or stray bytes) up to the next 0xFF, then any fill bytes.
        while i < bytes.len() && bytes[i] != 0xFF {
            i += 1;
        }
        while i < bytes.len() && bytes[i] == 0xFF {
            i += 1;
        }
        let Some(&marker) = bytes.get(i) else {
            return false;
        };
        i += 1;
        match marker {
            EOI => return true,
            // A stuffed 0xFF in entropy-coded data, a restart marker, TEM: no length follows.
            0x00 | 0x01 | 0xD0..=0xD7 => {}
            _ => {
                let Some(len) = bytes.get(i..i + 2) else {
                    return false;
                };
                let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
                if len < 2 || i + len > bytes.len() {
                    return false;
                }
                i += len;
            }
        }
    }
}

fn limit_or(e: image::ImageError, name: &str, limits: ImageLimits) -> ComposeError {
    match e {
        image::ImageError::Limits(_) => ComposeError::ImageTooLarge {
            name: name.to_string(),
            max_side: limits.max_side,
        },
        e => ComposeError::NotAnImage {
            name: name.to_string(),
            reason: e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(img: DynamicImage, format: image::ImageFormat) -> Vec<u8> {
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), format).unwrap();
        out
    }

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = RgbaImage::from_pixel(w, h, image::Rgba([10, 20, 30, 255]));
        encoded(img.into(), image::ImageFormat::Png)
    }

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8 * 3, y as u8 * 5, 90]));
        encoded(img.into(), image::ImageFormat::Jpeg)
    }

    #[test]
    fn a_png_decodes_to_rgba() {
        let img = decode_image(&png(8, 4), "a.png", ImageLimits::default()).unwrap();
        assert_eq!(img.dimensions(), (8, 4));
        assert_eq!(img.get_pixel(0, 0).0, [10, 20, 30, 255]);
    }

    #[test]
    fn an_image_over_the_side_limit_is_refused_by_name() {
        let limits = ImageLimits {
            max_side: 16,
            ..ImageLimits::default()
        };
        let err = decode_image(&png(32, 4), "big.png", limits).unwrap_err();
        assert!(matches!(err, ComposeError::ImageTooLarge { .. }), "{err}");
        assert!(err.to_string().contains("big.png"));
    }

    #[test]
    fn text_with_an_image_name_is_not_an_image() {
        let err =
            decode_image(b"hello, not a picture", "face.png", ImageLimits::default()).unwrap_err();
        assert!(matches!(err, ComposeError::NotAnImage { .. }), "{err}");
        assert!(err.to_string().contains("face.png"));
    }

    #[test]
    fn a_truncated_png_is_an_error_not_a_panic() {
        let bytes = png(64, 64);
        let err =
            decode_image(&bytes[..bytes.len() / 2], "cut.png", ImageLimits::default()).unwrap_err();
        assert!(err.to_string().contains("cut.png"));
    }

    #[test]
    fn a_jpeg_cut_short_is_refused_by_name() {
        let whole = jpeg(64, 48);
        assert!(decode_image(&whole, "face.jpg", ImageLimits::default()).is_ok());
        for keep in [whole.len() - 2, whole.len() * 2 / 3, whole.len() / 3] {
            let err = decode_image(&whole[..keep], "face.jpg", ImageLimits::default())
                .expect_err("a cut JPEG must not decode");
            assert!(err.to_string().contains("face.jpg"), "{err}");
            assert!(err.to_string().contains("cut short"), "{err}");
        }
    }

    #[test]
    fn a_jpeg_with_bytes_after_its_end_or_a_thumbnail_still_decodes() {
        let whole = jpeg(64, 48);
        // Phones append data (a motion photo's video) after the end marker.
        let mut trailing = whole.clone();
        trailing.extend_from_slice(b"trailer data after the image");
        assert!(decode_image(&trailing, "t.jpg", ImageLimits::default()).is_ok());
        // A thumbnail inside a header segment carries an end marker of its own; a cut after
        // it must still be caught.
        let thumb = jpeg(8, 8);
        let mut with_thumb = whole[..2].to_vec();
        with_thumb.extend_from_slice(&[0xFF, 0xE1]);
        with_thumb.extend_from_slice(&((thumb.len() + 2) as u16).to_be_bytes());
        with_thumb.extend_from_slice(&thumb);
        with_thumb.extend_from_slice(&whole[2..]);
        assert!(decode_image(&with_thumb, "t.jpg", ImageLimits::default()).is_ok());
        let cut = &with_thumb[..with_thumb.len() / 2 + thumb.len() / 2];
        assert!(decode_image(cut, "t.jpg", ImageLimits::default()).is_err());
    }

    #[test]
    fn exif_orientation_is_applied() {
        // A 4×2 JPEG tagged "rotate 90° clockwise" must come out 2×4.
        let tagged = with_exif_orientation(&jpeg(4, 2), 6);
        let out = decode_image(&tagged, "rot.jpg", ImageLimits::default()).unwrap();
        assert_eq!(out.dimensions(), (2, 4));
    }

    /// Inserts an APP1 Exif segment holding only an Orientation tag after the JPEG's SOI.
    fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
        let mut tiff = Vec::new();
        tiff.extend_from_slice(b"MM\0\x2a\0\0\0\x08"); // big endian, IFD at 8
        tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
        tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
        tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
        tiff.extend_from_slice(&1u32.to_be_bytes());
        tiff.extend_from_slice(&orientation.to_be_bytes());
        tiff.extend_from_slice(&[0, 0]);
        tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&app1);
        out.extend_from_slice(&jpeg[2..]);
        out
    }
}
