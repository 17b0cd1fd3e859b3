//! A song's title from its tags (ID3, Vorbis comments, MP4) on any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reelforge::audio::tags::title;

fuzz_target!(
    init: {
        // Probing catches Symphonia's own panics on purpose; only escaping ones count.
        let _ = std::panic::take_hook();
    },
    |data: &[u8]| {
        for ext in [None, Some("mp3"), Some("m4a"), Some("ogg"), Some("flac")] {
            if let Some(t) = title(data, ext) {
                assert!(!t.trim().is_empty() && t.chars().count() <= 200);
            }
        }
    }
);
