//! Errors of the encode stage. Every variant names the output file the caller asked for (never
//! the temporary file), so a message on its own says which video failed.

use std::io;
use std::path::{Path, PathBuf};

/// Why a video could not be encoded. When this is returned, nothing was left at the output path.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// The settings cannot produce a valid video (odd or zero size, zero fps, unknown preset …).
    #[error("{}: invalid encode settings: {reason}", path.display())]
    Settings { path: PathBuf, reason: String },

    /// The audio handed in cannot be used (no channels, a zero sample rate …).
    #[error("{}: unusable audio: {reason}", path.display())]
    Audio { path: PathBuf, reason: String },

    /// A frame's size differs from the one in the settings.
    #[error(
        "{}: frame {index} is {width}x{height}, expected {expected_width}x{expected_height}",
        path.display()
    )]
    FrameSize {
        path: PathBuf,
        index: usize,
        width: u32,
        height: u32,
        expected_width: u32,
        expected_height: u32,
    },

    /// A frame's planes do not hold the number of bytes its size calls for.
    #[error("{}: frame {index} is malformed: {reason}", path.display())]
    FrameData {
        path: PathBuf,
        index: usize,
        reason: String,
    },

    /// The frame source ran dry before `frame_count` frames were delivered.
    #[error("{}: expected {expected} frames but the source ended after {got}", path.display())]
    TooFewFrames {
        path: PathBuf,
        expected: usize,
        got: usize,
    },

    /// The FFmpeg build lacks an encoder the stage needs.
    #[error("{}: FFmpeg has no {codec} encoder", path.display())]
    MissingEncoder { path: PathBuf, codec: &'static str },

    /// FFmpeg refused an operation; `context` says which one.
    #[error("{}: {context}: {source}", path.display())]
    Ffmpeg {
        path: PathBuf,
        context: &'static str,
        #[source]
        source: ffmpeg_next::Error,
    },

    /// Creating, writing or renaming a file failed.
    #[error("{}: {context}: {source}", path.display())]
    Io {
        path: PathBuf,
        context: &'static str,
        #[source]
        source: io::Error,
    },
}

impl EncodeError {
    /// The output file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            EncodeError::Settings { path, .. }
            | EncodeError::Audio { path, .. }
            | EncodeError::FrameSize { path, .. }
            | EncodeError::FrameData { path, .. }
            | EncodeError::TooFewFrames { path, .. }
            | EncodeError::MissingEncoder { path, .. }
            | EncodeError::Ffmpeg { path, .. }
            | EncodeError::Io { path, .. } => path,
        }
    }

    pub(crate) fn ffmpeg<'a>(
        path: &'a Path,
        context: &'static str,
    ) -> impl (FnOnce(ffmpeg_next::Error) -> EncodeError) + 'a {
        move |source| EncodeError::Ffmpeg {
            path: path.to_path_buf(),
            context,
            source,
        }
    }

    pub(crate) fn io<'a>(
        path: &'a Path,
        context: &'static str,
    ) -> impl (FnOnce(io::Error) -> EncodeError) + 'a {
        move |source| EncodeError::Io {
            path: path.to_path_buf(),
            context,
            source,
        }
    }
}
