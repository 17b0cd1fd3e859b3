//! The one builder from a resolved video to its frames, shared by batch videos and one-off
//! clips: the still layers become a stage, the camera moves over it, and the screen-fixed
//! layers (overlays, caption, lyrics) go on top.

use image::RgbaImage;

use crate::animate::{self, Animation, CameraPath, LyricTrack, Move};
use crate::audio::Audio;

use super::{animate as assemble, stage, Layers, Stage};

/// A video's length in frames at its frame rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub fps: u32,
    pub frames: usize,
}

impl Timing {
    /// The whole frames closest to `seconds` (at least one).
    pub fn new(seconds: f64, fps: u32) -> Timing {
        let fps = fps.max(1);
        let frames = (seconds * f64::from(fps)).round().max(1.0) as usize;
        Timing { fps, frames }
    }

    /// The length the frames actually last, which the audio is cut to.
    pub fn seconds(self) -> f64 {
        self.frames as f64 / f64::from(self.fps)
    }
}

/// How the camera moves over the clip.
#[derive(Debug, Clone, Copy)]
pub struct Camera {
    pub movement: Move,
    /// 0..1: how far the move goes.
    pub strength: f32,
    /// Leans in with the vocals (as lipsync videos do).
    pub pulse: bool,
}

/// A video part built: the stage and the camera's path over it, waiting for its screen layers.
pub struct Picture {
    stage: Stage,
    path: CameraPath,
    size: (u32, u32),
    fps: u32,
}

impl Picture {
    /// Composes `layers` for a `size` frame and sets the camera over `timing`; with
    /// [`Camera::pulse`] the camera follows the loudness of `clip`, the video's audio.
    pub fn new(
        layers: &Layers,
        camera: Camera,
        clip: &Audio,
        timing: Timing,
        size: (u32, u32),
    ) -> Picture {
        let fps = timing.fps as f32;
        let path = CameraPath {
            movement: camera.movement,
            strength: camera.strength,
            duration: timing.seconds() as f32,
            pulse: camera
                .pulse
                .then(|| animate::vocal_envelope(clip, fps, timing.frames)),
            fps,
        };
        Picture {
            stage: stage(layers, size.0, size.1),
            path,
            size,
            fps: timing.fps,
        }
    }

    /// Per-frame 0..1 loudness of the vocals, when the camera pulses with them.
    pub fn vocals(&self) -> Option<&[f32]> {
        self.path.pulse.as_deref()
    }

    /// Frame pixels per pixel of the subject's photo at rest, when there is a subject.
    pub fn subject_enlargement(&self) -> Option<f32> {
        self.stage.subject_enlargement()
    }

    /// The subject's head in frame pixels (x, y, w, h) wherever the camera takes it: what
    /// screen layers keep clear of.
    pub fn head_in_frame(&self) -> Option<[f32; 4]> {
        self.stage
            .head_in_frame(&self.path, self.size.0, self.size.1)
    }

    /// The animation: `overlays` (corner squares), `caption` and `lyrics` fixed on screen over
    /// the moving stage; with `mouth_openings` (one per frame, 0..1) the subject's mouth moves.
    pub fn finish(
        self,
        overlays: &[RgbaImage],
        caption: Option<&RgbaImage>,
        lyrics: Option<LyricTrack>,
        mouth_openings: Option<Vec<f32>>,
    ) -> Animation {
        assemble(
            &self.stage,
            (overlays, caption, lyrics),
            (self.size.0, self.size.1, self.fps),
            self.path,
            mouth_openings,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timing_rounds_to_whole_frames_and_never_to_none() {
        assert_eq!(Timing::new(15.0, 30).frames, 450);
        assert_eq!(Timing::new(15.01, 30).frames, 450);
        assert_eq!(Timing::new(0.001, 30).frames, 1);
        assert!((Timing::new(2.01, 25).seconds() - 2.0).abs() < 1e-9);
    }
}
