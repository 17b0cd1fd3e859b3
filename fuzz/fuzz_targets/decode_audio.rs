//! Any bytes handed in as a song: an error or audio, never a panic that escapes, and never
//! longer than the limits allow.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reelforge::audio::{decode_bytes, DecodeLimits};

fuzz_target!(
    init: {
        // The decoder catches Symphonia's own panics on purpose; only escaping ones count.
        let _ = std::panic::take_hook();
    },
    |data: &[u8]| {
        let limits = DecodeLimits {
            max_duration_seconds: 60.0,
            max_file_bytes: 1 << 20,
        };
        if let Ok(audio) = decode_bytes(data.to_vec(), None, "fuzz input", &limits) {
            let frames = audio.samples.len() as f64 / f64::from(audio.channels.max(1));
            let seconds = frames / f64::from(audio.sample_rate.max(1));
            assert!(seconds <= limits.max_duration_seconds + 1.0, "{seconds} s decoded");
        }
    }
);
