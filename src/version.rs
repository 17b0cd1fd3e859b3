//! Versions of reelforge and of the native libraries it was built with.

/// reelforge's own version.
pub const REELFORGE: &str = env!("CARGO_PKG_VERSION");
/// FFmpeg libraries found by pkg-config at build time, e.g. "libavcodec 59.37.100, …".
pub const FFMPEG_BUILD: &str = env!("REELFORGE_FFMPEG_LIBS");
/// whisper.cpp compiled into the binary.
pub const WHISPER_CPP: &str = whisper_rs::WHISPER_CPP_VERSION;
/// The compiler that built the binary.
pub const RUSTC: &str = env!("REELFORGE_RUSTC");

/// The libavcodec actually loaded at run time (it may differ from the build's).
pub fn ffmpeg_runtime() -> String {
    let v = ffmpeg_next::util::version();
    format!("libavutil {}.{}.{}", v >> 16, (v >> 8) & 0xff, v & 0xff)
}
