//! Encode stage: YUV 4:2:0 frames and optional PCM audio in, an MP4 (H.264 + AAC, +faststart)
//! out, through the system FFmpeg libraries.
//!
//! Frames arrive already in YUV, so the encoder only copies them into FFmpeg's buffers. Audio is
//! encoded alongside the video, a frame's worth at a time, so the muxer never has to hold more
//! than a few packets. The file is written under a temporary name in the output's directory and
//! renamed into place only when complete.

mod audio;
mod error;
mod mux;
mod video;

#[cfg(test)]
mod tests;

use std::borrow::Borrow;
use std::path::Path;
use std::sync::Once;

use ffmpeg::{format, Dictionary};
use ffmpeg_next as ffmpeg;

pub use error::EncodeError;

use crate::audio::Audio;
use crate::frame::Yuv420;
use audio::{AudioEncoder, Stereo};
use video::VideoEncoder;

/// x264's presets, fastest first.
pub const PRESETS: [&str; 10] = [
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
    "placebo",
];

/// Largest width or height accepted; far beyond any vertical-video format.
const MAX_DIMENSION: u32 = 8192;
const MAX_FPS: u32 = 240;
const MAX_THREADS: usize = 128;
const AUDIO_BITRATE_RANGE: std::ops::RangeInclusive<usize> = 16_000..=512_000;

/// How to encode. The defaults give the standard 720×1280 vertical video.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeSettings {
    /// Frame width in pixels; even.
    pub width: u32,
    /// Frame height in pixels; even.
    pub height: u32,
    /// Constant frame rate.
    pub fps: u32,
    /// x264 preset, one of [`PRESETS`].
    pub preset: String,
    /// x264 constant rate factor, 0..=51 (lower is better quality).
    pub crf: u8,
    /// x264 threads; 0 lets x264 choose.
    pub threads: usize,
    /// AAC bit rate in bits per second.
    pub audio_bitrate: usize,
}

impl Default for EncodeSettings {
    fn default() -> Self {
        EncodeSettings {
            width: 720,
            height: 1280,
            fps: 30,
            preset: "veryfast".into(),
            crf: 23,
            threads: 0,
            audio_bitrate: 128_000,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodeStats {
    /// Video frames encoded.
    pub frames: usize,
    /// `frames / fps`.
    pub video_seconds: f64,
    /// Length of the audio track; 0 without audio.
    pub audio_seconds: f64,
    /// Size of the finished file.
    pub bytes: u64,
}

/// Initialises FFmpeg once per process and silences its logging (errors come back as values).
pub fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        // With FFmpeg ≥ 4 this only registers devices; failure leaves encoding unaffected.
        let _ = ffmpeg::init();
        ffmpeg::log::set_level(ffmpeg::log::Level::Quiet);
    });
}

/// Encodes exactly `frame_count` frames from `frames` (plus `audio`, if any) into an MP4 at `out`.
///
/// Extra frames are not consumed; a source that ends early is an error. Audio is converted to
/// stereo, kept at 44.1 or 48 kHz (other rates are resampled to 48 kHz), and cut or padded with
/// silence to the video's length. `progress` is called with the number of frames encoded so far.
///
/// On error nothing is left at `out` (an existing file there is untouched) and no temporary file
/// remains.
pub fn encode_mp4(
    out: &Path,
    settings: &EncodeSettings,
    frame_count: usize,
    frames: impl Iterator<Item = impl Borrow<Yuv420>>,
    audio: Option<&Audio>,
    progress: &mut dyn FnMut(usize),
) -> Result<EncodeStats, EncodeError> {
    validate(out, settings, frame_count, audio.is_some())?;
    let pcm = audio
        .map(|a| audio::prepare(a, frame_count, settings.fps, out))
        .transpose()?;
    init();

    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".reelforge-encode-").suffix(".mp4.part");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Created 0600 by default; the finished video should get the usual umask-based mode.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let tmp = builder.tempfile_in(dir).map_err(EncodeError::io(
        out,
        "cannot create a temporary file next to the output",
    ))?;
    let tmp_path = tmp
        .path()
        .to_str()
        .filter(|p| !p.contains('\0'))
        .ok_or_else(|| EncodeError::Settings {
            path: out.to_path_buf(),
            reason: "FFmpeg needs an output directory whose path is valid UTF-8".into(),
        })?
        .to_owned();

    let _scratch = crate::scratch::register(tmp.path());
    let audio_seconds = write(&tmp_path, out, settings, frame_count, frames, pcm, progress)?;

    tmp.persist(out)
        .map_err(|e| EncodeError::io(out, "cannot move the finished video into place")(e.error))?;
    let bytes = std::fs::metadata(out)
        .map_err(EncodeError::io(
            out,
            "cannot read the finished video's size",
        ))?
        .len();
    Ok(EncodeStats {
        frames: frame_count,
        video_seconds: frame_count as f64 / f64::from(settings.fps),
        audio_seconds,
        bytes,
    })
}

fn validate(
    out: &Path,
    s: &EncodeSettings,
    frame_count: usize,
    has_audio: bool,
) -> Result<(), EncodeError> {
    let reason = if s.width == 0 || s.height == 0 {
        Some(format!("size {}x{} has a zero side", s.width, s.height))
    } else if !s.width.is_multiple_of(2) || !s.height.is_multiple_of(2) {
        Some(format!(
            "size {}x{} is odd; YUV 4:2:0 needs even sides",
            s.width, s.height
        ))
    } else if s.width > MAX_DIMENSION || s.height > MAX_DIMENSION {
        Some(format!(
            "size {}x{} exceeds {MAX_DIMENSION} pixels on a side",
            s.width, s.height
        ))
    } else if s.fps == 0 || s.fps > MAX_FPS {
        Some(format!("frame rate {} is outside 1..={MAX_FPS}", s.fps))
    } else if !PRESETS.contains(&s.preset.as_str()) {
        Some(format!(
            "unknown x264 preset {:?} (expected one of {})",
            s.preset,
            PRESETS.join(", ")
        ))
    } else if s.crf > 51 {
        Some(format!("crf {} is above 51", s.crf))
    } else if s.threads > MAX_THREADS {
        Some(format!("{} threads is above {MAX_THREADS}", s.threads))
    } else if has_audio && !AUDIO_BITRATE_RANGE.contains(&s.audio_bitrate) {
        Some(format!(
            "audio bit rate {} is outside {}..={}",
            s.audio_bitrate,
            AUDIO_BITRATE_RANGE.start(),
            AUDIO_BITRATE_RANGE.end()
        ))
    } else if frame_count == 0 {
        Some("frame count is zero".to_string())
    } else if out.file_name().is_none() {
        Some("the output path has no file name".to_string())
    } else {
        None
    };
    match reason {
        Some(reason) => Err(EncodeError::Settings {
            path: out.to_path_buf(),
            reason,
        }),
        None => Ok(()),
    }
}

/// Writes the whole MP4 to `path`; returns the audio length in seconds. Errors name `out`.
fn write(
    path: &str,
    out: &Path,
    settings: &EncodeSettings,
    frame_count: usize,
    mut frames: impl Iterator<Item = impl Borrow<Yuv420>>,
    pcm: Option<Stereo>,
    progress: &mut dyn FnMut(usize),
) -> Result<f64, EncodeError> {
    let mut octx = format::output_as(path, "mp4")
        .map_err(EncodeError::ffmpeg(out, "cannot open the MP4 muxer"))?;
    let mut video = VideoEncoder::new(&mut octx, settings, out)?;
    let mut audio = pcm
        .map(|pcm| AudioEncoder::new(&mut octx, pcm, settings.audio_bitrate, out))
        .transpose()?;

    // Moves the index (moov) in front of the media so players can start before the download ends.
    let mut options = Dictionary::new();
    options.set("movflags", "+faststart");
    octx.write_header_with(options)
        .map_err(EncodeError::ffmpeg(out, "cannot write the MP4 header"))?;
    video.set_stream_time_base(mux::stream_time_base(&octx, video.stream(), out)?);
    if let Some(a) = audio.as_mut() {
        a.set_stream_time_base(mux::stream_time_base(&octx, a.stream(), out)?);
    }

    for index in 0..frame_count {
        let frame = frames.next().ok_or_else(|| EncodeError::TooFewFrames {
            path: out.to_path_buf(),
            expected: frame_count,
            got: index,
        })?;
        video.check(index, frame.borrow(), out)?;
        video.send(frame.borrow(), &mut octx, out)?;
        // Gives the frame back (a pooled frame returns to its drawer) before the audio.
        drop(frame);
        if let Some(a) = audio.as_mut() {
            let end = a.samples_for(index + 1, settings.fps);
            a.send_until(end, &mut octx, out)?;
        }
        progress(index + 1);
    }

    video.finish(&mut octx, out)?;
    let audio_seconds = match audio.as_mut() {
        Some(a) => {
            a.finish(&mut octx, out)?;
            debug_assert_eq!(a.len(), a.samples_for(frame_count, settings.fps));
            a.seconds()
        }
        None => 0.0,
    };
    octx.write_trailer()
        .map_err(EncodeError::ffmpeg(out, "cannot finish the MP4"))?;
    Ok(audio_seconds)
}
