//! Why a video failed: a stable code beside the full message.
//!
//! The message names files and folders, which is what someone at the render node needs; the
//! code is what a service may show its callers, who must not see the server's paths.

use serde::{Deserialize, Serialize};

/// A stable reason for a failed run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureCode {
    /// The song's URL could not be downloaded (refused, unreachable, not found, too big).
    SongDownloadFailed,
    /// The song could not be decoded or transcribed.
    SongUnusable,
    /// An image URL of the request could not be downloaded.
    ImageDownloadFailed,
    /// The face guide or an image could not be used (decode, cut-out).
    ImageUnusable,
    /// What the request names is gone from the server: its template, artist, face guide or
    /// songs.
    InputMissing,
    /// Composing or encoding the video failed.
    RenderFailed,
    /// The disk filled while the video or its files were written.
    OutOfSpace,
    /// A bug stopped this video (the others of its batch are unharmed).
    InternalError,
    /// The run passed its time limit.
    TimedOut,
    /// The batch passed its callback timeout before this run finished.
    BatchTimedOut,
    /// The render process ended without a result, or the server stopped while it ran.
    RendererStopped,
    /// The finished video could not be moved to where it is served.
    PublishFailed,
}

impl FailureCode {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureCode::SongDownloadFailed => "song_download_failed",
            FailureCode::SongUnusable => "song_unusable",
            FailureCode::ImageDownloadFailed => "image_download_failed",
            FailureCode::ImageUnusable => "image_unusable",
            FailureCode::InputMissing => "input_missing",
            FailureCode::RenderFailed => "render_failed",
            FailureCode::OutOfSpace => "out_of_space",
            FailureCode::InternalError => "internal_error",
            FailureCode::TimedOut => "timed_out",
            FailureCode::BatchTimedOut => "batch_timed_out",
            FailureCode::RendererStopped => "renderer_stopped",
            FailureCode::PublishFailed => "publish_failed",
        }
    }

    /// What a caller is told: the same words for every run with this code, and no paths.
    pub fn message(self) -> &'static str {
        match self {
            FailureCode::SongDownloadFailed => {
                "The song could not be downloaded from its URL: the address was refused, \
                 unreachable or not found, or the file was too large"
            }
            FailureCode::SongUnusable => {
                "The song could not be used: it could not be decoded as audio or transcribed"
            }
            FailureCode::ImageDownloadFailed => {
                "An image could not be downloaded from its URL: the address was refused, \
                 unreachable or not found, or the file was too large"
            }
            FailureCode::ImageUnusable => {
                "The face guide or an image could not be used: it could not be decoded or cut out"
            }
            FailureCode::InputMissing => {
                "What the request names is no longer on the server: its template, the artist, \
                 the face guide or the songs"
            }
            FailureCode::RenderFailed => "The video could not be rendered",
            FailureCode::OutOfSpace => "The server ran out of disk space while making the video",
            FailureCode::InternalError => "An internal error stopped this video",
            FailureCode::TimedOut => "The run did not finish within its time limit",
            FailureCode::BatchTimedOut => {
                "The batch passed its callback timeout before this run finished"
            }
            FailureCode::RendererStopped => "The renderer stopped before the video was finished",
            FailureCode::PublishFailed => "The finished video could not be published",
        }
    }

    /// `code` unless the write error `e` is a full disk.
    pub fn unless_full(self, e: &std::io::Error) -> FailureCode {
        if is_disk_full(e) {
            FailureCode::OutOfSpace
        } else {
            self
        }
    }

    /// `code` unless `message` says the disk was full, which trumps the stage it happened in.
    pub fn unless_disk_full(self, message: &str) -> FailureCode {
        if says_disk_full(message) {
            FailureCode::OutOfSpace
        } else {
            self
        }
    }
}

/// A video's failure: its code and the full message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct VideoError {
    pub code: FailureCode,
    pub message: String,
}

impl VideoError {
    pub fn new(code: FailureCode, message: impl Into<String>) -> VideoError {
        let message = message.into();
        VideoError {
            code: code.unless_disk_full(&message),
            message,
        }
    }
}

/// Whether a write failed because the disk (or the user's quota) is full.
pub fn is_disk_full(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOSPC) | Some(libc::EDQUOT))
}

/// Whether an error's text carries the system's "disk full" message. The stages below the
/// batch report errors as text (FFmpeg's among them), and the system's wording is the one
/// thing they share.
fn says_disk_full(message: &str) -> bool {
    [libc::ENOSPC, libc::EDQUOT].iter().any(|&errno| {
        let text = std::io::Error::from_raw_os_error(errno).to_string();
        let text = text.split(" (os error").next().unwrap_or(&text);
        message.contains(text)
    })
}

/// The stable code for a run that could not start for this reason.
impl From<&crate::job::PrepareError> for FailureCode {
    fn from(e: &crate::job::PrepareError) -> FailureCode {
        use crate::job::PrepareError;
        match e {
            PrepareError::UnsupportedTemplate(_) | PrepareError::Artist(_) => {
                FailureCode::InputMissing
            }
            PrepareError::Image(_) => FailureCode::ImageUnusable,
            PrepareError::ImageDownload(_) => FailureCode::ImageDownloadFailed,
            PrepareError::Output { source, .. } => FailureCode::RenderFailed.unless_full(source),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_told_apart_whatever_stage_hit_it() {
        let full = std::io::Error::from_raw_os_error(libc::ENOSPC);
        assert!(is_disk_full(&full));
        assert!(!is_disk_full(&std::io::Error::from_raw_os_error(
            libc::EACCES
        )));
        let e = VideoError::new(
            FailureCode::RenderFailed,
            format!("/srv/data/work/run_x/run_x.mp4: {full}"),
        );
        assert_eq!(e.code, FailureCode::OutOfSpace);
        // FFmpeg words it without the error number.
        let e = VideoError::new(
            FailureCode::RenderFailed,
            "cannot finish the MP4: No space left on device",
        );
        assert_eq!(e.code, FailureCode::OutOfSpace);
        let e = VideoError::new(FailureCode::SongUnusable, "/a/b.mp3: not audio");
        assert_eq!(e.code, FailureCode::SongUnusable);
    }

    #[test]
    fn codes_print_as_serialized_and_messages_name_no_paths() {
        for code in [
            FailureCode::SongDownloadFailed,
            FailureCode::SongUnusable,
            FailureCode::ImageDownloadFailed,
            FailureCode::ImageUnusable,
            FailureCode::InputMissing,
            FailureCode::RenderFailed,
            FailureCode::OutOfSpace,
            FailureCode::InternalError,
            FailureCode::TimedOut,
            FailureCode::BatchTimedOut,
            FailureCode::RendererStopped,
            FailureCode::PublishFailed,
        ] {
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::Value::String(code.as_str().into())
            );
            assert!(!code.message().contains('/'), "{}", code.message());
        }
    }
}
