//! One video from its parts: the still layers are built once, then frames are drawn on one
//! thread while the encoder compresses them on others.

mod clip;

pub use clip::{render_clip, ClipError, ClipSpec};

use std::path::Path;
use std::sync::mpsc;

use image::RgbaImage;

use crate::animate::{Animation, CameraPath, Canvas, Foreground, Scratch, CANVAS_MARGIN};
use crate::audio::Audio;
use crate::compose::{self, Grade, Placement};
use crate::encode::{self, EncodeError, EncodeSettings, EncodeStats};
use crate::frame::{yuv_to_rgb, Yuv420};

/// Frames in flight between the drawing thread and the encoder: enough to keep both busy,
/// few enough to bound memory (a 1080×1920 frame is 3 MB).
const FRAME_QUEUE: usize = 4;

/// The still ingredients of one video.
pub struct Layers<'a> {
    /// The scene; `None` uses the face guide itself as the scene (malleable mode).
    pub scene: Option<&'a RgbaImage>,
    pub face: Option<&'a RgbaImage>,
    /// Where the face goes in the scene; `None` leaves the face out.
    pub placement: Option<Placement>,
    pub grade: &'a Grade,
    /// Square overlay images in the corner (editorial).
    pub overlays: &'a [RgbaImage],
    /// The rendered caption, frame-sized, or `None`.
    pub caption: Option<&'a RgbaImage>,
}

/// Builds the background canvas (scene, face, grade) and the screen-fixed foreground.
pub fn build(layers: &Layers, width: u32, height: u32, fps: u32, path: CameraPath) -> Animation {
    let cw = even((width as f32 * CANVAS_MARGIN).round() as u32);
    let ch = even((height as f32 * CANVAS_MARGIN).round() as u32);
    let mut background = match (layers.scene, layers.face) {
        (Some(scene), _) => compose::cover(scene, cw, ch),
        (None, Some(face)) => compose::cover(face, cw, ch),
        (None, None) => RgbaImage::from_pixel(cw, ch, image::Rgba([24, 24, 28, 255])),
    };
    if let (Some(_), Some(face), Some(placement)) = (layers.scene, layers.face, layers.placement) {
        compose::place_face(&mut background, face, placement);
    }
    layers.grade.apply(&mut background);

    let mut fg = RgbaImage::new(width, height);
    compose::overlay_squares(&mut fg, layers.overlays);
    if let Some(caption) = layers.caption {
        compose::paint_over(&mut fg, caption);
    }
    Animation {
        canvas: Canvas::from_rgba(&background),
        foreground: Foreground::from_rgba(&fg),
        path,
        width,
        height,
        fps,
    }
}

fn even(n: u32) -> u32 {
    (n + 1) & !1
}

/// Draws `frames` frames of `anim` and encodes them with `audio` into `out` (atomically).
/// Drawing runs on its own thread, overlapped with encoding.
pub fn encode_video(
    anim: &Animation,
    frames: usize,
    audio: Option<&Audio>,
    out: &Path,
    settings: &EncodeSettings,
    progress: &mut dyn FnMut(usize),
) -> Result<EncodeStats, EncodeError> {
    std::thread::scope(|s| {
        let (tx, rx) = mpsc::sync_channel::<Yuv420>(FRAME_QUEUE);
        s.spawn(move || {
            let mut scratch = Scratch::default();
            for i in 0..frames {
                // A closed channel means the encoder stopped (an error): stop drawing.
                if tx.send(anim.frame(i, &mut scratch)).is_err() {
                    break;
                }
            }
        });
        encode::encode_mp4(out, settings, frames, rx.into_iter(), audio, progress)
    })
}

/// Frame `index` as an RGB image, for stills and checks.
pub fn still(anim: &Animation, index: usize) -> image::RgbImage {
    let frame = anim.frame(index, &mut Scratch::default());
    yuv_to_rgb_image(&frame)
}

/// Converts a YUV 4:2:0 frame to RGB (nearest chroma).
pub fn yuv_to_rgb_image(f: &Yuv420) -> image::RgbImage {
    let w = f.width as usize;
    image::RgbImage::from_fn(f.width, f.height, |x, y| {
        let (x, y) = (x as usize, y as usize);
        let ci = (y / 2) * (w / 2) + x / 2;
        let (r, g, b) = yuv_to_rgb(f.y[y * w + x], f.u[ci], f.v[ci]);
        image::Rgb([r, g, b])
    })
}
