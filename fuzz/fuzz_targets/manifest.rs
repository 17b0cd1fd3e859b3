//! The job manifest's parser on any text: a manifest or a field error, never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use reelforge::job::Manifest;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Manifest::parse(text, Path::new("/nonexistent/jobs"));
    }
});
