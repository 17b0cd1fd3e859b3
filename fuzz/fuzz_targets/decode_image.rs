//! Face-guide and cover image loading (PNG, JPEG, WebP) on any bytes, with small limits so
//! that a header claiming a huge picture is refused before it is allocated.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reelforge::compose::{decode_image, ImageLimits};

fuzz_target!(|data: &[u8]| {
    let limits = ImageLimits {
        max_side: 2048,
        ..ImageLimits::default()
    };
    if let Ok(img) = decode_image(data, "fuzz input", limits) {
        assert!(img.width() <= 2048 && img.height() <= 2048);
    }
});
