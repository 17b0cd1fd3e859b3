//! Camera paths: where the camera looks at each moment, as smooth functions of time.
//!
//! Positions are real numbers all the way to the sampler, so motion is sub-pixel and never
//! stair-steps (the ffmpeg zoompan filter rounds its crop to whole pixels each frame, which is
//! the jitter this avoids).

use std::f32::consts::TAU;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The background canvas is this much larger than the frame, giving the camera room to pan.
pub const CANVAS_MARGIN: f32 = 1.15;

/// The kinds of camera motion the animator knows; templates name them in snake_case.
#[derive(Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Move {
    PushIn,
    PullOut,
    PanLeft,
    PanRight,
    PanUp,
    PanDown,
    Drift,
    Sway,
    Breathing,
}

impl Move {
    pub const ALL: [Move; 9] = [
        Move::PushIn,
        Move::PullOut,
        Move::PanLeft,
        Move::PanRight,
        Move::PanUp,
        Move::PanDown,
        Move::Drift,
        Move::Sway,
        Move::Breathing,
    ];

    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Move::PushIn => "push_in",
            Move::PullOut => "pull_out",
            Move::PanLeft => "pan_left",
            Move::PanRight => "pan_right",
            Move::PanUp => "pan_up",
            Move::PanDown => "pan_down",
            Move::Drift => "drift",
            Move::Sway => "sway",
            Move::Breathing => "breathing",
        }
    }
}

impl fmt::Display for Move {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the camera sees: `zoom` 1 shows the frame at the canvas's own pixel scale; `x`, `y` in
/// −1..1 place the view's centre across the room the zoom leaves for panning.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    pub zoom: f32,
    pub x: f32,
    pub y: f32,
}

/// A camera move over a clip, optionally pulsing with the music.
#[derive(Debug, Clone)]
pub struct CameraPath {
    pub movement: Move,
    /// 0..1: how far the move goes.
    pub strength: f32,
    pub duration: f32,
    /// Per-frame 0..1 loudness of the vocals; when present the camera leans in on loud moments.
    pub pulse: Option<Vec<f32>>,
    pub fps: f32,
}

/// Largest extra zoom a push or pull reaches at full strength.
const ZOOM_TRAVEL: f32 = 0.18;
/// Extra zoom on the loudest vocal moments of a lipsync video.
const PULSE_ZOOM: f32 = 0.035;

impl CameraPath {
    pub fn view_at(&self, t: f32) -> View {
        let s = self.strength.clamp(0.0, 1.0);
        let p = if self.duration > 0.0 {
            (t / self.duration).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let e = ease(p);
        let mut view = match self.movement {
            Move::PushIn => View {
                zoom: 1.0 + ZOOM_TRAVEL * s * e,
                x: 0.0,
                y: 0.0,
            },
            Move::PullOut => View {
                zoom: 1.0 + ZOOM_TRAVEL * s * (1.0 - e),
                x: 0.0,
                y: 0.0,
            },
            Move::PanLeft | Move::PanRight | Move::PanUp | Move::PanDown => {
                let travel = 0.9 * s * (2.0 * e - 1.0);
                let (x, y) = match self.movement {
                    Move::PanLeft => (-travel, 0.0),
                    Move::PanRight => (travel, 0.0),
                    Move::PanUp => (0.0, -travel),
                    _ => (0.0, travel),
                };
                View { zoom: 1.04, x, y }
            }
            Move::Drift => View {
                zoom: 1.03 + 0.03 * s * (TAU * t / 11.0).sin(),
                x: 0.6 * s * (TAU * t / 9.0).sin(),
                y: 0.4 * s * (TAU * t / 13.0 + 1.0).sin(),
            },
            Move::Sway => View {
                zoom: 1.05,
                x: 0.7 * s * (TAU * t / 3.2).sin(),
                y: 0.1 * s * (TAU * t / 6.4).sin(),
            },
            Move::Breathing => View {
                zoom: 1.0 + 0.06 * s * (1.0 - (TAU * t / 4.0).cos()) / 2.0,
                x: 0.0,
                y: 0.0,
            },
        };
        if let Some(pulse) = &self.pulse {
            view.zoom += PULSE_ZOOM * sample_envelope(pulse, t * self.fps);
        }
        view
    }
}

/// Smootherstep: zero velocity and acceleration at both ends, so moves start and stop gently.
fn ease(p: f32) -> f32 {
    p * p * p * (p * (p * 6.0 - 15.0) + 10.0)
}

/// Linear interpolation into a per-frame envelope.
fn sample_envelope(env: &[f32], index: f32) -> f32 {
    if env.is_empty() {
        return 0.0;
    }
    let i = index.max(0.0);
    let i0 = (i as usize).min(env.len() - 1);
    let i1 = (i0 + 1).min(env.len() - 1);
    let f = i - i0 as f32;
    env[i0] * (1.0 - f) + env[i1] * f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(movement: Move) -> CameraPath {
        CameraPath {
            movement,
            strength: 1.0,
            duration: 8.0,
            pulse: None,
            fps: 30.0,
        }
    }

    #[test]
    fn push_in_zooms_in_and_pull_out_zooms_out() {
        let push = path(Move::PushIn);
        assert!(push.view_at(8.0).zoom > push.view_at(0.0).zoom + 0.1);
        let pull = path(Move::PullOut);
        assert!(pull.view_at(8.0).zoom < pull.view_at(0.0).zoom - 0.1);
    }

    #[test]
    fn pans_move_the_right_way() {
        let l = path(Move::PanLeft);
        assert!(l.view_at(8.0).x < l.view_at(0.0).x);
        let d = path(Move::PanDown);
        assert!(d.view_at(8.0).y > d.view_at(0.0).y);
    }

    #[test]
    fn every_move_is_smooth_from_frame_to_frame() {
        // No jumps: consecutive frames differ by a small fraction of the move.
        for m in Move::ALL {
            let p = path(m);
            let mut prev = p.view_at(0.0);
            for f in 1..240 {
                let v = p.view_at(f as f32 / 30.0);
                assert!((v.zoom - prev.zoom).abs() < 0.01, "{m:?} zoom jumps at {f}");
                assert!(
                    (v.x - prev.x).abs() < 0.05 && (v.y - prev.y).abs() < 0.05,
                    "{m:?} jumps at {f}"
                );
                assert!(v.x.abs() <= 1.0 && v.y.abs() <= 1.0 && v.zoom >= 1.0);
                prev = v;
            }
        }
    }

    #[test]
    fn the_pulse_leans_in_on_loud_frames() {
        let mut p = path(Move::PanLeft);
        p.pulse = Some(vec![0.0, 0.0, 1.0, 1.0]);
        assert!(p.view_at(3.0 / 30.0).zoom > p.view_at(0.0).zoom + 0.02);
    }
}
