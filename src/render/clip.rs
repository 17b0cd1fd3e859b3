//! One video from explicit parts — an image, a song, a start, a caption — with no template,
//! no transcription and no random choices: for one-off renders and for like-for-like
//! benchmarks against other tools.

use std::path::PathBuf;

use crate::animate::Move;
use crate::audio::{self, AudioError, DecodeLimits};
use crate::caption::{self, CaptionFont};
use crate::compose::{self, ComposeError, Grade, ImageLimits};
use crate::encode::{EncodeError, EncodeSettings, EncodeStats};

use super::{encode_video, Camera, Layers, Picture, Timing};

#[derive(Debug, thiserror::Error)]
pub enum ClipError {
    #[error(transparent)]
    Image(#[from] ComposeError),
    #[error(transparent)]
    Audio(#[from] AudioError),
    #[error(transparent)]
    Encode(#[from] EncodeError),
    #[error("{0}")]
    Invalid(String),
}

impl ClipError {
    /// Whether the clip's parts are at fault (everything but the encoder).
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, ClipError::Encode(_))
    }
}

#[derive(Debug, Clone)]
pub struct ClipSpec {
    pub image: PathBuf,
    pub audio: PathBuf,
    pub start: f64,
    pub duration: f64,
    /// Empty for no caption.
    pub caption: String,
    pub movement: Move,
    pub strength: f32,
    /// Keys the camera to the vocals, as lipsync videos do.
    pub pulse: bool,
    pub encode: EncodeSettings,
    pub out: PathBuf,
}

/// Renders `spec`: the image cover-cropped as the scene, the camera move, the caption, and the
/// song from `start` for `duration` seconds.
pub fn render_clip(spec: &ClipSpec) -> Result<EncodeStats, ClipError> {
    if !spec.duration.is_finite() || spec.duration <= 0.0 || spec.duration > 600.0 {
        return Err(ClipError::Invalid(format!(
            "duration must be more than 0 and at most 600 seconds, not {}",
            spec.duration
        )));
    }
    if !spec.start.is_finite() || spec.start < 0.0 {
        return Err(ClipError::Invalid(format!(
            "start must be 0 or more, not {}",
            spec.start
        )));
    }
    let image = compose::load_image(&spec.image, ImageLimits::default())?;
    let song = audio::decode_file(&spec.audio, &DecodeLimits::default())?;
    if spec.start >= song.duration_seconds() {
        return Err(ClipError::Invalid(format!(
            "start {} s is past the end of {} ({:.1} s)",
            spec.start,
            spec.audio.display(),
            song.duration_seconds()
        )));
    }
    let timing = Timing::new(spec.duration, spec.encode.fps);
    let clip = song.slice_seconds(spec.start, timing.seconds());
    let (width, height) = (spec.encode.width, spec.encode.height);
    let caption = caption::clean_text(&spec.caption);
    let caption_layer = (!caption.is_empty()).then(|| {
        let layout = caption::layout(&caption, width, height);
        caption::render_caption(&layout, &CaptionFont::bundled()).image
    });
    let layers = Layers {
        scene: Some(&image),
        subject: None,
        scene_blur: 0.0,
        sleeve: None,
        grade: &Grade::identity(),
    };
    let camera = Camera {
        movement: spec.movement,
        strength: spec.strength,
        pulse: spec.pulse,
    };
    let anim = Picture::new(&layers, camera, &clip, timing, (width, height)).finish(
        &[],
        caption_layer.as_ref(),
        None,
        None,
    );
    Ok(encode_video(
        &anim,
        timing.frames,
        Some(&clip),
        &spec.out,
        &spec.encode,
        &mut |_| {},
    )?)
}
