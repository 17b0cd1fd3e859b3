//! One video of a batch: moment, caption, layers, motion, encode.

use std::path::PathBuf;

use crate::animate;
use crate::caption::{self, CaptionContext, CaptionFont};
use crate::encode::EncodeSettings;
use crate::job::plan::Choice;
use crate::lyrics::vtt::webvtt;
use crate::moment::{self, Moment};
use crate::render::{self, Camera, Layers, Picture, Timing};
use crate::song::Song;
use crate::subject::Subject;
use crate::template::LyricsStyle;

use super::failure::{FailureCode, VideoError};
use super::report::SubjectReport;
use super::{Observer, Stage};
use crate::job::Prepared;

/// The smallest box (x, y, w, h) holding both boxes.
fn union(a: Option<[f32; 4]>, b: Option<[f32; 4]>) -> Option<[f32; 4]> {
    match (a, b) {
        (Some([ax, ay, aw, ah]), Some([bx, by, bw, bh])) => {
            let (x0, y0) = (ax.min(bx), ay.min(by));
            let (x1, y1) = ((ax + aw).max(bx + bw), (ay + ah).max(by + bh));
            Some([x0, y0, x1 - x0, y1 - y0])
        }
        (a, None) => a,
        (None, b) => b,
    }
}

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
    /// The song's title from its tags, when it has one.
    pub song_title: Option<String>,
    /// The language sung, as Whisper heard or was told it.
    pub language: Option<String>,
    pub caption: String,
    pub moment: Moment,
    pub duration: f64,
    pub mood: String,
    pub subject: Option<SubjectReport>,
}

impl Made {
    /// Where the video's WebVTT lyrics go: beside the MP4, with the same name.
    pub fn lyrics_path(&self) -> PathBuf {
        self.path.with_extension("vtt")
    }
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
pub fn make(job: &VideoJob) -> Result<Made, VideoError> {
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
    .map_err(|e| VideoError::new(FailureCode::RenderFailed, e.to_string()))?;
    // The lyrics in time beside the video; without them the run is not complete.
    if let Err(e) = write_lyrics(&c.made) {
        let _ = std::fs::remove_file(&job.out);
        return Err(e);
    }
    Ok(c.made)
}

/// `<runId>.vtt` beside the video: the clip's lyric lines as WebVTT, written atomically.
fn write_lyrics(made: &Made) -> Result<(), VideoError> {
    let path = made.lyrics_path();
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    let fail = |e: std::io::Error| {
        let code = FailureCode::RenderFailed.unless_full(&e);
        VideoError::new(code, format!("writing {}: {e}", path.display()))
    };
    let mut tmp = super::report::output_tempfile(dir, ".vtt").map_err(fail)?;
    std::io::Write::write_all(&mut tmp, webvtt(&made.moment.lines).as_bytes()).map_err(fail)?;
    tmp.persist(&path).map_err(|e| fail(e.error))?;
    Ok(())
}

/// Everything before encoding: moment, caption, layers, camera path.
pub fn compose(job: &VideoJob) -> Result<Composed, VideoError> {
    let p = job.prepared;
    let t = &p.template;
    let observe = |stage: Stage, fraction: f32| job.observer.stage(job.index, stage, fraction);
    observe(Stage::Composing, 0.0);

    // Lipsync videos run a 15 s window; the others the template's length.
    let options = moment::Options {
        clip_seconds: if job.lipsync {
            moment::CLIP_SECONDS
        } else {
            f64::from(t.default_duration_seconds)
        },
        lipsync: job.lipsync,
    };
    let moment = moment::nth(
        &job.song.transcript,
        &job.song.audio,
        options,
        job.choice.song_use,
    )
    .ok_or_else(|| VideoError::new(FailureCode::SongUnusable, "the song has no usable moment"))?;
    let duration = moment.duration_seconds;
    let timing = Timing::new(duration, job.encode.fps);
    let fps = timing.fps;
    let clip = moment.sound(&job.song.audio, timing.seconds());

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
        job.choice.phrases,
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
            .map_err(|e| VideoError::new(FailureCode::ImageUnusable, e.to_string()))?;
        let spot = t
            .scenes
            .iter()
            .find_map(|s| s.face.as_ref())
            .map(|f| f.spot());
        (Some(&scene_image), spot)
    } else {
        let i = job.choice.scene % t.scenes.len();
        scene_image =
            crate::compose::load_image(&t.scene_path(i), crate::compose::ImageLimits::default())
                .map_err(|e| VideoError::new(FailureCode::RenderFailed, e.to_string()))?;
        let spot = t.scenes[i].face.as_ref().map(|f| f.spot());
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
    let placed = match (job.subject, spot) {
        (Some(subject), Some(spot)) if t.uses_face_guide => Some((subject, spot)),
        _ => None,
    };
    let layers = Layers {
        scene,
        subject: placed,
        scene_blur: t.scene_blur,
        sleeve,
        grade: &grade,
    };
    let camera = Camera {
        movement: movement.kind,
        strength: movement.strength,
        pulse: job.lipsync,
    };
    let picture = Picture::new(&layers, camera, &clip, timing, (width, height));
    // Lipsync: the mouth opens with the vocals while Whisper's words are sung.
    let openings = picture.vocals().map(|envelope| {
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
    let head = picture.head_in_frame();
    let enlargement = picture.subject_enlargement();
    // Lyrics in time, where the template shows them: clear of the face, and the written
    // caption (when it stays on screen) clear of both.
    let lyrics = t.lyrics.map(|display| {
        let built = render::lyric_track(
            &moment.lines,
            display.style == LyricsStyle::Karaoke,
            job.font,
            (width, height),
            head,
            timing.seconds() as f32,
        );
        (display, built)
    });
    let keep_caption = lyrics.as_ref().is_none_or(|(d, _)| d.with_caption);
    let caption_layer = if caption_text.is_empty() || !keep_caption {
        None
    } else {
        let band = lyrics.as_ref().and_then(|(_, b)| b.band);
        let layout = caption::layout_clear_of(&caption_text, width, height, union(head, band));
        // A caption too long to sit clear of both would cover the lyrics: they win on screen
        // (the caption text is still the post's).
        let covers_lyrics = band.is_some_and(|[_, y, _, h]| {
            layout.top_y < y + h && layout.top_y + layout.block_height() > y
        });
        (!covers_lyrics).then(|| caption::render_caption(&layout, job.font).image)
    };
    let anim = picture.finish(
        overlays,
        caption_layer.as_ref(),
        lyrics.map(|(_, b)| b.track),
        openings,
    );
    let subject = placed.map(|(s, _)| {
        let mut warnings = s.warnings.clone();
        warnings.extend(enlargement.and_then(|e| soft_photo_warning(s, e)));
        SubjectReport {
            faces_found: s.faces_found,
            face_box: s
                .face
                .map(|f| [f.x, f.y, f.w, f.h].map(|v| (v * 10.0).round() / 10.0)),
            framed_by: if s.face.is_some() { "face" } else { "outline" }.to_string(),
            warnings,
        }
    });

    Ok(Composed {
        anim,
        frames: timing.frames,
        clip,
        made: Made {
            path: job.out.clone(),
            song_title: job.song.tagged_title.clone(),
            language: job.song.transcript.language.clone(),
            caption: caption_text,
            moment,
            duration: timing.seconds(),
            mood: mood.name.clone(),
            subject,
        },
    })
}

/// Beyond this many frame pixels per pixel of the face guide, the artist looks soft.
const SOFT_ENLARGEMENT: f32 = 3.0;

/// A warning when `subject`'s photo is so small that framing enlarges it `enlargement`
/// times, past [`SOFT_ENLARGEMENT`]: with the size a sharp one would need (twice enlarged).
fn soft_photo_warning(subject: &Subject, enlargement: f32) -> Option<String> {
    if enlargement <= SOFT_ENLARGEMENT {
        return None;
    }
    let (w, h) = subject.cutout.dimensions();
    let need = |side: u32| ((side as f32 * enlargement / 2.0 / 10.0).ceil() * 10.0) as u32;
    Some(format!(
        "the face guide is small ({w}×{h}): framing enlarges it {enlargement:.1}× and it will \
         look soft; a photo of at least {}×{} would be sharp",
        need(w),
        need(h)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo(w: u32, h: u32) -> Subject {
        Subject {
            cutout: image::RgbaImage::new(w, h),
            face: None,
            faces_found: 0,
            mouth: None,
            warnings: Vec::new(),
        }
    }

    #[test]
    fn a_small_photo_enlarged_past_three_times_is_named_soft_with_the_size_that_would_do() {
        let small = photo(198, 244);
        let warning = soft_photo_warning(&small, 6.6).expect("soft");
        assert!(warning.contains("198×244"), "{warning}");
        assert!(warning.contains("6.6×"), "{warning}");
        // Enlarged at most twice: 198 · 3.3 = 653.4 → 660, 244 · 3.3 = 805.2 → 810.
        assert!(warning.contains("660×810"), "{warning}");
        assert_eq!(soft_photo_warning(&small, 2.9), None);
    }
}
