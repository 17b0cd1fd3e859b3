//! Stage 7, animation: a camera moving over the composed background, the screen-fixed
//! foreground on top, every frame produced directly in YUV.

mod camera;
mod layer;
mod path;
mod pulse;

pub use camera::{Canvas, Scratch};
pub use layer::Foreground;
pub use path::{CameraPath, Move, View, CANVAS_MARGIN};
pub use pulse::vocal_envelope;

use crate::frame::Yuv420;

/// Everything needed to draw any frame of one video.
pub struct Animation {
    pub canvas: Canvas,
    pub foreground: Option<Foreground>,
    pub path: CameraPath,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
}

impl Animation {
    /// Draws frame `index` into `out` (which must be width × height).
    pub fn draw(&self, index: usize, out: &mut Yuv420, scratch: &mut Scratch) {
        let t = index as f32 / self.fps as f32;
        self.canvas.render(self.path.view_at(t), out, scratch);
        if let Some(fg) = &self.foreground {
            fg.blend(out);
        }
    }

    /// A fresh frame with frame `index` drawn.
    pub fn frame(&self, index: usize, scratch: &mut Scratch) -> Yuv420 {
        // The camera writes every sample, so no black fill first.
        let mut out = Yuv420::zeroed(self.width, self.height);
        self.draw(index, &mut out, scratch);
        out
    }
}
