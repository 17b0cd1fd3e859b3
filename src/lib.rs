//! reelforge: songs and face guides in, short vertical lyric videos out.
//!
//! The modules follow the pipeline's stages: [`audio`] decodes songs, [`transcribe`] turns them
//! into timed words with Whisper, and [`model`] obtains and checks the Whisper model itself.
//!
//! The library reads no environment variables: [`locations::Locations`] turns the ones that
//! move files (models, cache, assets) into paths, from a lookup the caller hands in.

pub mod animate;
pub mod audio;
pub mod batch;
pub mod caption;
pub mod compose;
pub mod encode;
pub mod frame;
pub mod job;
pub mod local_file;
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
