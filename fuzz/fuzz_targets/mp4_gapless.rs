//! The MP4 gapless parser (`moov` walk, iTunes tag, edit lists) on any bytes.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use reelforge::audio::gapless::read_mp4_gapless;

fuzz_target!(|data: &[u8]| {
    for is_aac in [true, false] {
        let _ = read_mp4_gapless(&mut Cursor::new(data), 1, 44_100, is_aac);
    }
});
