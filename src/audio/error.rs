//! Errors of the audio stage. Every variant that comes from a file carries its name, so a message
//! on its own tells the user which upload was at fault.

use std::io;

/// Why a song could not be turned into samples.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// The file could not be opened or read.
    #[error("{name}: cannot read the file: {source}")]
    Io {
        name: String,
        #[source]
        source: io::Error,
    },

    /// The file holds no bytes at all.
    #[error("{name}: the file is empty")]
    Empty { name: String },

    /// The file is bigger than the configured limit; nothing was decoded.
    #[error("{name}: the file is {bytes} bytes, over the limit of {max_bytes} bytes")]
    TooLarge {
        name: String,
        bytes: u64,
        max_bytes: u64,
    },

    /// No known container format was found in the bytes.
    #[error("{name}: not a recognised audio file ({reason})")]
    NotAudio { name: String, reason: String },

    /// The container was recognised but holds no audio track (a video-only file, for example).
    #[error("{name}: the file contains no audio track")]
    NoAudioTrack { name: String },

    /// The audio track uses a codec, or a codec feature, that the decoder does not support.
    #[error("{name}: unsupported audio codec ({detail})")]
    UnsupportedCodec { name: String, detail: String },

    /// The container or the audio stream is damaged, truncated or otherwise undecodable.
    #[error("{name}: the audio stream is corrupt or cannot be decoded ({detail})")]
    Corrupt { name: String, detail: String },

    /// Decoding succeeded but produced no samples.
    #[error("{name}: the file decodes to no audio (zero length)")]
    NoSamples { name: String },

    /// The audio runs longer than the configured limit.
    #[error(
        "{name}: the audio is {}, over the limit of {}",
        describe_seconds(*seconds, *at_least),
        describe_seconds(*max_seconds, false)
    )]
    TooLong {
        name: String,
        /// Length of the audio in seconds, or a lower bound when `at_least` is set (decoding
        /// stops as soon as the limit is crossed).
        seconds: f64,
        at_least: bool,
        max_seconds: f64,
    },

    /// Sample-rate conversion failed. It works on samples already in memory, so there is no file
    /// to name; callers add that context.
    #[error("resampling from {from_rate} Hz to {to_rate} Hz failed: {detail}")]
    Resample {
        from_rate: u32,
        to_rate: u32,
        detail: String,
    },
}

impl AudioError {
    /// The file named by the error, where there is one.
    pub fn file_name(&self) -> Option<&str> {
        match self {
            AudioError::Io { name, .. }
            | AudioError::Empty { name }
            | AudioError::TooLarge { name, .. }
            | AudioError::NotAudio { name, .. }
            | AudioError::NoAudioTrack { name }
            | AudioError::UnsupportedCodec { name, .. }
            | AudioError::Corrupt { name, .. }
            | AudioError::NoSamples { name }
            | AudioError::TooLong { name, .. } => Some(name),
            AudioError::Resample { .. } => None,
        }
    }
}

fn describe_seconds(seconds: f64, at_least: bool) -> String {
    let prefix = if at_least { "at least " } else { "" };
    if !seconds.is_finite() {
        return format!("{prefix}an unknown length");
    }
    let whole = seconds.max(0.0);
    if whole >= 60.0 {
        let minutes = (whole / 60.0).floor();
        let rest = whole - minutes * 60.0;
        format!("{prefix}{whole:.1} s ({minutes:.0} min {rest:04.1} s)")
    } else {
        format!("{prefix}{whole:.1} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_long_states_both_lengths() {
        let err = AudioError::TooLong {
            name: "song.mp3".into(),
            seconds: 1500.0,
            at_least: true,
            max_seconds: 1200.0,
        };
        let msg = err.to_string();
        assert!(msg.contains("song.mp3"), "{msg}");
        assert!(msg.contains("at least 1500.0 s (25 min 00.0 s)"), "{msg}");
        assert!(msg.contains("limit of 1200.0 s (20 min 00.0 s)"), "{msg}");
    }

    #[test]
    fn not_audio_message_shape() {
        let err = AudioError::NotAudio {
            name: "notes.ogg".into(),
            reason: "no known format".into(),
        };
        assert_eq!(
            err.to_string(),
            "notes.ogg: not a recognised audio file (no known format)"
        );
        assert_eq!(err.file_name(), Some("notes.ogg"));
    }
}
