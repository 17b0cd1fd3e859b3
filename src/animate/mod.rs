//! Stage 7, animation: a camera moving over the composed scene, the subject on its own layer
//! in front (moving more than the scene: parallax), the screen-fixed foreground on top, every
//! frame produced directly in YUV.

mod camera;
mod layer;
mod lyrics;
mod mouth;
mod path;
mod pulse;
mod resample;
mod sprite;

pub use camera::{view_mapping, Canvas, Cover, Mapping, Scratch};
pub use layer::Foreground;
pub use lyrics::{LyricCue, LyricTrack, SweepRow, WordSweep};
pub use mouth::{mouth_openings, MouthRig};
pub use path::{CameraPath, Move, View, CANVAS_MARGIN};
pub use pulse::vocal_envelope;
pub use sprite::{Sprite, SpriteScratch};

use crate::frame::Yuv420;

/// How much of the camera's move the scene behind the subject makes: less than the subject,
/// as a farther plane would.
pub const SCENE_PARALLAX: f32 = 0.55;

/// Everything needed to draw any frame of one video.
pub struct Animation {
    pub canvas: Canvas,
    /// The subject's layer, in front of the scene.
    pub subject: Option<Sprite>,
    pub foreground: Option<Foreground>,
    /// Lyric lines shown in time, over everything else.
    pub lyrics: Option<LyricTrack>,
    pub path: CameraPath,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
}

/// Per-thread buffers for drawing frames.
#[derive(Debug, Default)]
pub struct FrameScratch {
    pub camera: Scratch,
    pub sprite: SpriteScratch,
    pub cover: Cover,
}

/// The scene's view for the subject's `view`: the same move, scaled down.
pub fn scene_view(view: View) -> View {
    View {
        zoom: 1.0 + (view.zoom - 1.0) * SCENE_PARALLAX,
        x: view.x * SCENE_PARALLAX,
        y: view.y * SCENE_PARALLAX,
    }
}

impl Animation {
    /// Draws frame `index` into `out` (which must be width × height).
    pub fn draw(&self, index: usize, out: &mut Yuv420, scratch: &mut FrameScratch) {
        let t = index as f32 / self.fps as f32;
        let view = self.path.view_at(t);
        match &self.subject {
            Some(sprite) => {
                let size = (self.canvas.width() as f32, self.canvas.height() as f32);
                let frame = (out.width, out.height);
                let FrameScratch {
                    camera,
                    sprite: sprite_scratch,
                    cover,
                } = scratch;
                // The scene is not drawn where the subject hides it.
                sprite.cover(view, size, t, frame, cover, sprite_scratch);
                self.canvas
                    .render_behind(scene_view(view), out, camera, cover);
                sprite.draw(view, size, t, out, sprite_scratch);
            }
            None => self.canvas.render(view, out, &mut scratch.camera),
        }
        if let Some(fg) = &self.foreground {
            fg.blend(out);
        }
        if let Some(lyrics) = &self.lyrics {
            lyrics.draw(t, out);
        }
    }

    /// A fresh frame with frame `index` drawn.
    pub fn frame(&self, index: usize, scratch: &mut FrameScratch) -> Yuv420 {
        // The camera writes every sample, so no black fill first.
        let mut out = Yuv420::zeroed(self.width, self.height);
        self.draw(index, &mut out, scratch);
        out
    }
}
