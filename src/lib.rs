//! reelforge: songs and face guides in, short vertical lyric videos out (9:16 MP4, H.264 +
//! AAC), one at a time or a batch in parallel, on one machine or many.
//!
//! # The pipeline, stage by stage
//!
//! A job goes through these stages in this order; each is one module.
//!
//! 1. **The job** ([`job`]): a create request or a render node's manifest
//!    ([`CreateRequest`], [`Manifest`]) is checked field by field, the artist's repo is read,
//!    songs and images are fetched or loaded ([`prepare`]), and a seeded plan says which song,
//!    template, scene and camera move each video of the batch uses.
//! 2. **The song** ([`audio`], [`transcribe`], [`lyrics`], [`song`]): a song file is decoded to
//!    sample-accurate PCM, transcribed into timed words by Whisper (cached by the song's bytes
//!    and the model), and aligned to the artist's `lyrics.txt` when there is one. [`Analyzer`]
//!    does the three at once.
//! 3. **The moment** ([`moment`]): the stretch of the song a video uses, opening just before a
//!    sung line and ending between lines, with its mood from the music; a batch takes a song's
//!    distinct moments in turn ([`moment::nth`]).
//! 4. **The look** ([`template`]): templates are data (`assets/templates/<id>/`): scenes, face
//!    spot, grade, caption style, camera moves.
//! 5. **The subject** ([`subject`]): the artist cut out of the face guide by a person matte,
//!    the face and mouth found by a face detector and face mesh ([`Vision`]), cached per image.
//! 6. **Compositing and captions** ([`compose`], [`caption`]): the scene with depth of field,
//!    the subject framed on the template's face spot, colour-matched and light-wrapped on its
//!    own layer, the caption written and placed clear of the face.
//! 7. **Animation** ([`animate`]): the camera moves (the kinds templates name) over the
//!    scene, the subject moving more (parallax) with idle motion and mouth animation, lyrics in
//!    time; frames drawn in YUV. [`render::Picture`] is the one builder from a resolved video
//!    (layers, camera, timing) to its animation.
//! 8. **Encoding** ([`encode`], [`render`]): frames and audio into an MP4 written whole or not
//!    at all; [`render_clip`] makes one video from a [`ClipSpec`] through the same builder.
//!
//! [`batch`] runs a prepared job's videos in parallel, each failing alone, and reports them.
//! [`serve`] is the HTTP API and the render nodes over a shared run queue; a refused request
//! gets its HTTP status from one match, and a finished run is published by one storage call.
//!
//! # Around the stages
//!
//! [`model`] obtains and checks the Whisper model; [`subject::models`] the vision models.
//! The library reads no environment variables: [`Locations`] turns the ones that move files
//! (models, cache, assets) into paths, from a lookup the caller hands in. Errors are typed per
//! stage; [`is_bad_input`] tells input faults (exit 2, HTTP 4xx) from the program's own.

pub mod animate;
pub mod audio;
pub mod batch;
pub mod caption;
pub mod compose;
pub(crate) mod curve;
pub mod encode;
pub mod frame;
pub mod job;
pub(crate) mod local_file;
pub mod locations;
pub mod lyrics;
pub mod model;
pub mod moment;
pub mod render;
pub mod scratch;
pub mod serve;
pub mod song;
pub mod subject;
pub mod template;
pub mod text;
pub mod transcribe;
pub mod version;

pub use batch::{BatchSummary, VideoError};
pub use job::{prepare, CreateRequest, Manifest, Prepared, RunOrder};
pub use locations::Locations;
pub use render::{render_clip, ClipSpec};
pub use serve::{Node, Server};
pub use song::{Analyzer, Song};
pub use subject::{Subject, Vision};

/// Whether one error of a chain says the input is at fault (a bad song, image, model or
/// request) rather than the program or the machine. The command exits 2 for these, 1 else.
pub fn is_bad_input(e: &(dyn std::error::Error + 'static)) -> bool {
    if let Some(e) = e.downcast_ref::<song::SongError>() {
        return e.is_bad_input();
    }
    if let Some(e) = e.downcast_ref::<transcribe::TranscribeError>() {
        return e.is_bad_input();
    }
    if let Some(e) = e.downcast_ref::<model::ModelError>() {
        return e.is_bad_input();
    }
    if let Some(e) = e.downcast_ref::<render::ClipError>() {
        return e.is_bad_input();
    }
    if let Some(e) = e.downcast_ref::<serve::store::StoreError>() {
        return matches!(e, serve::store::StoreError::BadUrl(_));
    }
    // Each of these is about what was given: a song, a face guide, an image, a model file.
    e.is::<audio::AudioError>()
        || e.is::<subject::VisionModelError>()
        || e.is::<subject::SubjectError>()
        || e.is::<compose::ComposeError>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_model_is_bad_input_however_deep_but_a_whisper_failure_is_not() {
        let missing = || model::ModelError::NotFound {
            path: "ggml.bin".into(),
        };
        let song = song::SongError::Transcribe(transcribe::TranscribeError::Model(missing()));
        assert!(is_bad_input(&song));
        assert!(is_bad_input(&missing()));
        let whisper = transcribe::TranscribeError::Whisper {
            what: "song.mp3".into(),
            reason: "out of memory".into(),
        };
        assert!(!is_bad_input(&whisper));
        assert!(!is_bad_input(&song::SongError::Transcribe(whisper)));
        assert!(!is_bad_input(&std::io::Error::other("disk")));
    }
}
