//! One video of a batch: moment, caption, layers, motion, encode.

use std::path::PathBuf;

use crate::animate::{self, CameraPath};
use crate::caption::{self, CaptionContext, CaptionFont};
use crate::compose::FaceSpot;
use crate::encode::EncodeSettings;
use crate::job::plan::Choice;
use crate::moment::{self, Moment};
use crate::render::{self, Layers};
use crate::song::Song;
use crate::subject::Subject;

use super::prepare::Prepared;
use super::report::SubjectReport;
use super::{Observer, Stage};

/// Frame sizes: 720×1280, or 1080×1920 upscaled.
pub fn frame_size(upscale: bool) -> (u32, u32) {
    if upscale {
        (1080, 1920)
    } else {
        (720, 1280)
    }
}

/// A video ready to encode: its animation and the audio that goes with it.
pub struct Composed {
    pub anim: crate::animate::Animation,
    pub frames: usize,
    pub clip: crate::audio::Audio,
    pub made: Made,
}

/// What a finished video reports.
#[derive(Debug, Clone)]
pub struct Made {
    pub path: PathBuf,
    pub caption: String,
    pub moment: Moment,
    pub duration: f64,
    pub mood: String,
    pub subject: Option<SubjectReport>,
}

pub struct VideoJob<'a> {
    pub index: usize,
    pub prepared: &'a Prepared,
    pub song: &'a Song,
    pub choice: Choice,
    pub lipsync: bool,
    pub out: PathBuf,
    pub encode: EncodeSettings,
    pub font: &'a CaptionFont,
    /// The artist cut out of the face guide, when the template places one in its scenes.
    pub subject: Option<&'a Subject>,
    pub observer: &'a dyn Observer,
}

/// Renders one video to `job.out`.
pub fn make(job: &VideoJob) -> Result<Made, String> {
    let c = compose(job)?;
    let observe = |fraction: f32| job.observer.stage(job.index, Stage::Encoding, fraction);
    observe(0.0);
    let mut report = |done: usize| observe(done as f32 / c.frames as f32);
    render::encode_video(
        &c.anim,
        c.frames,
        Some(&c.clip),
        &job.out,
        &job.encode,
        &mut report,
    )
    .map_err(|e| e.to_string())?;
    Ok(c.made)
}

/// Everything before encoding: moment, caption, layers, camera path.
pub fn compose(job: &VideoJob) -> Result<Composed, String> {
    let p = job.prepared;
    let t = &p.template;
    let observe = |stage: Stage, fraction: f32| job.observer.stage(job.index, stage, fraction);
    observe(Stage::Composing, 0.0);

    let ranked = moment::rank(
        &job.song.transcript,
        &job.song.audio,
        moment::Options {
            clip_seconds: moment::CLIP_SECONDS,
            lipsync: job.lipsync,
        },
    );
    let best = moment::distinct(&ranked, crate::job::plan::MOMENT_CHOICES);
    let moment = best
        .get(job.choice.moment % best.len().max(1))
        .cloned()
        .ok_or_else(|| "the song has no usable moment".to_string())?;
    // Lipsync videos run the whole clip; the others the template's length.
    let duration = if job.lipsync {
        moment.duration_seconds
    } else {
        moment
            .duration_seconds
            .min(f64::from(t.default_duration_seconds))
    };
    let fps = job.encode.fps;
    let frames = (duration * f64::from(fps)).round().max(1.0) as usize;
    let clip = job
        .song
        .audio
        .slice_seconds(moment.start_seconds, frames as f64 / f64::from(fps));
    let moment = moment::window(
        &job.song.transcript,
        &job.song.audio,
        moment.start_seconds,
        duration,
    );

    let mood = &t.moods[job.choice.mood % t.moods.len()];
    let movement = &t.movements[job.choice.movement % t.movements.len()];
    let caption_text = caption::write_caption(
        &CaptionContext {
            clip_lyrics: &moment.clip_lyrics,
            artist_name: &p.artist.name,
            artist_md: p.artist_md.as_deref(),
            audience_md: p.audience_md.as_deref(),
            guide: &t.caption_guide,
            mood: &mood.name,
        },
        p.manifest.request.caption_length,
        job.choice.caption_seed,
    );
    let (width, height) = (job.encode.width, job.encode.height);

    let scene_image;
    let scene_quad = if p.malleable || t.scenes.is_empty() || !p.artist_scenes.is_empty() {
        None
    } else {
        t.scenes[job.choice.scene % t.scenes.len()].sleeve
    };
    let (scene, spot) = if p.malleable || t.scenes.is_empty() {
        // Malleable mode: the face guide itself is the picture.
        (p.face.as_ref().filter(|_| p.malleable), None)
    } else if !p.artist_scenes.is_empty() {
        // The artist's own scene, with the template's first face spot.
        let path = &p.artist_scenes[job.choice.scene % p.artist_scenes.len()];
        scene_image = crate::compose::load_image(path, crate::compose::ImageLimits::default())
            .map_err(|e| e.to_string())?;
        let spot = t
            .scenes
            .iter()
            .find_map(|s| s.face.as_ref())
            .map(|f| FaceSpot {
                center_x: f.center[0],
                center_y: f.center[1],
                face_height: f.size,
            });
        (Some(&scene_image), spot)
    } else {
        let i = job.choice.scene % t.scenes.len();
        scene_image =
            crate::compose::load_image(&t.scene_path(i), crate::compose::ImageLimits::default())
                .map_err(|e| e.to_string())?;
        let spot = t.scenes[i].face.as_ref().map(|f| FaceSpot {
            center_x: f.center[0],
            center_y: f.center[1],
            face_height: f.size,
        });
        (Some(&scene_image), spot)
    };
    let grade = t.style.then(&mood.grade);
    let mut overlays: &[image::RgbaImage] = if t.uses_image_overlay || !t.uses_face_guide {
        &p.overlays
    } else {
        &[]
    };
    // Album imagery: the first image stands in the scene as the featured sleeve, the rest stay
    // corner squares.
    let sleeve = match (scene_quad, overlays.split_first()) {
        (Some(quad), Some((first, rest))) if !t.uses_face_guide => {
            overlays = rest;
            Some((first, quad))
        }
        _ => None,
    };
    let pulse = job
        .lipsync
        .then(|| animate::vocal_envelope(&clip, fps as f32, frames));
    // Lipsync: the mouth opens with the vocals while Whisper's words are sung.
    let openings = pulse.as_ref().map(|envelope| {
        let start = moment.start_seconds;
        let words: Vec<(f32, f32)> = job
            .song
            .transcript
            .words
            .iter()
            .filter(|w| w.end > start && w.start < start + duration)
            .map(|w| ((w.start - start) as f32, (w.end - start) as f32))
            .collect();
        animate::mouth_openings(envelope, &words, fps as f32)
    });
    let path = CameraPath {
        movement: movement.kind,
        strength: movement.strength,
        duration: frames as f32 / fps as f32,
        pulse,
        fps: fps as f32,
    };
    let placed = match (job.subject, spot) {
        (Some(subject), Some(spot)) if t.uses_face_guide => Some((subject, spot)),
        _ => None,
    };
    let stage = render::stage(
        &Layers {
            scene,
            subject: placed,
            scene_blur: t.scene_blur,
            sleeve,
            grade: &grade,
        },
        width,
        height,
    );
    let head = stage.head_in_frame(&path, width, height);
    let caption_layer = if caption_text.is_empty() {
        None
    } else {
        let layout = caption::layout_clear_of(&caption_text, width, height, head);
        Some(caption::render_caption(&layout, job.font).image)
    };
    let anim = render::animate(
        &stage,
        overlays,
        caption_layer.as_ref(),
        (width, height, fps),
        path,
        openings,
    );
    let subject = placed.map(|(s, _)| SubjectReport {
        faces_found: s.faces_found,
        face_box: s
            .face
            .map(|f| [f.x, f.y, f.w, f.h].map(|v| (v * 10.0).round() / 10.0)),
        framed_by: if s.face.is_some() { "face" } else { "outline" }.to_string(),
        warnings: s.warnings.clone(),
    });

    Ok(Composed {
        anim,
        frames,
        clip,
        made: Made {
            path: job.out.clone(),
            caption: caption_text,
            moment,
            duration: frames as f64 / f64::from(fps),
            mood: mood.name.clone(),
            subject,
        },
    })
}
