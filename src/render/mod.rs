//! One video from its parts: the still layers are built once, then frames are drawn on one
//! thread while the encoder compresses them on others.

mod clip;
mod lyrics;
mod picture;

pub use clip::{render_clip, ClipError, ClipSpec};
pub use lyrics::{lyric_track, BuiltTrack};
pub use picture::{Camera, Picture, Timing};

use std::path::Path;
use std::sync::mpsc;

use image::RgbaImage;

use crate::animate::{
    view_mapping, Animation, CameraPath, Canvas, Foreground, FrameScratch, LyricTrack, MouthRig,
    Sprite, CANVAS_MARGIN,
};
use crate::audio::Audio;
use crate::compose::{self, Backdrop, FaceSpot, FloorShade, Grade, SubjectLayer};
use crate::encode::{self, EncodeError, EncodeSettings, EncodeStats};
use crate::frame::{yuv_to_rgb, Yuv420};
use crate::subject::Subject;

/// Frames in flight between the drawing thread and the encoder: enough to keep both busy,
/// few enough to bound memory (a 1080×1920 frame is 3 MB).
const FRAME_QUEUE: usize = 4;

/// The still ingredients of one video's picture.
pub struct Layers<'a> {
    /// The scene (in malleable mode the face guide itself).
    pub scene: Option<&'a RgbaImage>,
    /// The artist, and where the face goes in the scene.
    pub subject: Option<(&'a Subject, FaceSpot)>,
    /// Depth of field: blur radius of the scene behind the subject, in pixels of a
    /// 720-wide frame.
    pub scene_blur: f32,
    /// A featured record sleeve standing in the scene: the image and its corners as fractions
    /// of the scene (album imagery).
    pub sleeve: Option<(&'a RgbaImage, [[f32; 2]; 4])>,
    pub grade: &'a Grade,
}

/// The composed picture before animation: the scene canvas and the subject's layer on it.
pub struct Stage {
    /// The scene over the whole canvas, at 1/`scale` of the canvas's resolution.
    pub background: RgbaImage,
    /// Canvas pixels per background pixel: 2 when the scene is blurred behind a subject (a
    /// blurred picture loses nothing at half size), else 1.
    pub scale: u32,
    pub subject: Option<SubjectLayer>,
}

/// Composes the scene canvas (larger than the frame, for the camera) and the subject layer.
pub fn stage(layers: &Layers, width: u32, height: u32) -> Stage {
    let mut cw = even((width as f32 * CANVAS_MARGIN).round() as u32);
    let mut ch = even((height as f32 * CANVAS_MARGIN).round() as u32);
    let blur = layers
        .subject
        .map(|_| layers.scene_blur * width as f32 / 720.0)
        .filter(|&radius| radius >= 1.0);
    // A blurred scene is made, blurred, graded and turned into YUV at half size; its half
    // is kept even so that its chroma lines up.
    let scale = if blur.is_some() {
        cw = cw.next_multiple_of(4);
        ch = ch.next_multiple_of(4);
        2
    } else {
        1
    };
    let (bw, bh) = (cw / scale, ch / scale);
    // The scene and the subject's cut-out are made side by side; then the subject meets the
    // scene (its colour, light and shadow depend on what is behind it).
    let (mut background, cut) = rayon::join(
        || {
            let mut background = match layers.scene {
                Some(scene) => compose::cover(scene, bw, bh),
                None => RgbaImage::from_pixel(bw, bh, image::Rgba([24, 24, 28, 255])),
            };
            if let Some((art, quad)) = layers.sleeve {
                let quad = quad.map(|[x, y]| [x * bw as f32, y * bh as f32]);
                compose::place_sleeve(&mut background, art, quad);
            }
            if let Some(radius) = blur {
                compose::depth_of_field(&mut background, radius);
            }
            background
        },
        || {
            let (person, spot) = layers.subject?;
            compose::cut_subject(person, spot, (cw, ch), (width, height))
        },
    );
    let mut subject = cut.map(|cut| {
        cut.into_scene(Backdrop {
            image: &background,
            scale,
        })
    });
    // A made-up torso stands in the floor's shade, the scene's and its own alike.
    let shade = subject
        .as_ref()
        .and_then(|s| s.lengthened_from)
        .and_then(|from| FloorShade::under(from, ch as f32, height as f32));
    rayon::join(
        || {
            layers.grade.apply(&mut background);
            if let Some(shade) = shade {
                shade.apply(&mut background, 0, scale);
            }
        },
        || {
            if let Some(s) = &mut subject {
                layers
                    .grade
                    .apply_region(&mut s.image, (s.left, s.top), (cw, ch));
                if let Some(shade) = shade {
                    shade.apply(&mut s.image, s.top, 1);
                }
            }
        },
    );
    Stage {
        background,
        scale,
        subject,
    }
}

impl Stage {
    /// The canvas's size in its own pixels (the subject layer's coordinates).
    pub fn canvas_size(&self) -> (u32, u32) {
        Backdrop {
            image: &self.background,
            scale: self.scale,
        }
        .canvas()
    }

    /// Frame pixels per pixel of the subject's photo at rest, when there is a subject.
    pub fn subject_enlargement(&self) -> Option<f32> {
        self.subject.as_ref().map(|s| s.enlargement)
    }

    /// The subject's head in frame pixels (x, y, w, h), covering wherever the camera takes it
    /// over the clip: what a caption must keep clear of.
    pub fn head_in_frame(&self, path: &CameraPath, width: u32, height: u32) -> Option<[f32; 4]> {
        let head = self.subject.as_ref()?.head?;
        let (cw, ch) = self.canvas_size();
        let canvas = (cw as f32, ch as f32);
        let frame = (width as f32, height as f32);
        let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for i in 0..=16 {
            let t = path.duration * i as f32 / 16.0;
            let m = view_mapping(path.view_at(t), canvas, frame);
            let to_frame = |cx: f32, cy: f32| ((cx - m.left) / m.step, (cy - m.top) / m.step);
            let (ax, ay) = to_frame(head[0], head[1]);
            let (bx, by) = to_frame(head[0] + head[2], head[1] + head[3]);
            x0 = x0.min(ax);
            y0 = y0.min(ay);
            x1 = x1.max(bx);
            y1 = y1.max(by);
        }
        Some([x0, y0, x1 - x0, y1 - y0])
    }
}

/// Turns a stage and the screen-fixed overlays, caption and lyrics into an animation. With
/// `mouth_openings` (one per frame, 0..1) the subject's mouth moves.
pub fn animate(
    stage: &Stage,
    (overlays, caption, lyrics): (&[RgbaImage], Option<&RgbaImage>, Option<LyricTrack>),
    (width, height, fps): (u32, u32, u32),
    path: CameraPath,
    mouth_openings: Option<Vec<f32>>,
) -> Animation {
    let foreground = || {
        let mut fg = RgbaImage::new(width, height);
        compose::overlay_squares(&mut fg, overlays);
        if let Some(caption) = caption {
            compose::paint_over(&mut fg, caption);
        }
        Foreground::from_rgba(&fg)
    };
    let subject = || {
        stage.subject.as_ref().map(|s| {
            let sprite = Sprite::from_rgba(&s.image, s.left, s.top, s.anchor, width);
            let rig = match (&s.mouth, mouth_openings) {
                (Some(mouth), Some(openings)) => {
                    MouthRig::new(&s.image, (s.left, s.top), mouth, openings, fps as f32)
                }
                _ => None,
            };
            match rig {
                Some(rig) => sprite.with_mouth(rig),
                None => sprite,
            }
        })
    };
    // Three conversions to YUV that do not depend on each other.
    let (canvas, (subject, foreground)) = rayon::join(
        || Canvas::from_rgba(&stage.background).scaled(stage.scale),
        || rayon::join(subject, foreground),
    );
    Animation {
        canvas,
        subject,
        foreground,
        lyrics,
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
        let (tx, rx) = mpsc::sync_channel::<Pooled>(FRAME_QUEUE);
        // Frames the encoder is done with come back to be drawn over: a fresh 1080×1920
        // frame costs hundreds of page faults.
        let (give_back, returned) = mpsc::channel::<Yuv420>();
        s.spawn(move || {
            let mut scratch = FrameScratch::default();
            for i in 0..frames {
                let mut frame = returned
                    .try_recv()
                    .unwrap_or_else(|_| Yuv420::zeroed(anim.width, anim.height));
                anim.draw(i, &mut frame, &mut scratch);
                let pooled = Pooled {
                    frame,
                    home: give_back.clone(),
                };
                // A closed channel means the encoder stopped (an error): stop drawing.
                if tx.send(pooled).is_err() {
                    break;
                }
            }
        });
        encode::encode_mp4(out, settings, frames, rx.into_iter(), audio, progress)
    })
}

/// A drawn frame that returns to its drawer's pool when the encoder drops it.
struct Pooled {
    frame: Yuv420,
    home: mpsc::Sender<Yuv420>,
}

impl std::borrow::Borrow<Yuv420> for Pooled {
    fn borrow(&self) -> &Yuv420 {
        &self.frame
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        let empty = Yuv420 {
            width: 0,
            height: 0,
            y: Vec::new(),
            u: Vec::new(),
            v: Vec::new(),
        };
        // The drawer may have finished already; then the frame is simply freed.
        let _ = self.home.send(std::mem::replace(&mut self.frame, empty));
    }
}

/// Frame `index` as an RGB image, for stills and checks.
pub fn still(anim: &Animation, index: usize) -> image::RgbImage {
    let frame = anim.frame(index, &mut FrameScratch::default());
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
