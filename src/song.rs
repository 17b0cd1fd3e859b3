//! A song, decoded and transcribed: stages 2 and 3 together, with the transcript cache and
//! the known-lyrics alignment.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::audio::{self, Audio, AudioError, DecodeLimits};
use crate::lyrics::{self, AlignmentReport};
use crate::model::{self, ModelError};
use crate::transcribe::cache::{self, TranscriptCache};
use crate::transcribe::{self, Pass, TranscribeError, Transcriber, Transcript};

#[derive(Debug, thiserror::Error)]
pub enum SongError {
    #[error(transparent)]
    Audio(#[from] AudioError),
    #[error(transparent)]
    Transcribe(#[from] TranscribeError),
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A lyrics file (lyrics.txt or one given explicitly) could not be read.
    #[error("{}: cannot read the lyrics: {source}", path.display())]
    Lyrics {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl SongError {
    /// Whether the song, its lyrics or the model given is at fault.
    pub fn is_bad_input(&self) -> bool {
        match self {
            SongError::Audio(_) | SongError::Lyrics { .. } => true,
            SongError::Model(m) => m.is_bad_input(),
            SongError::Transcribe(t) => t.is_bad_input(),
        }
    }
}

/// Everything the later stages need to know about one song.
#[derive(Debug, Clone)]
pub struct Song {
    pub path: PathBuf,
    /// The title in the file's tags (ID3, Vorbis comments, MP4), when it has one.
    pub tagged_title: Option<String>,
    /// Full-quality decoded audio, for the video's soundtrack and the loudness measure.
    pub audio: Audio,
    /// What Whisper heard: its words timed by DTW (see [`Pass`]); with known lyrics, the
    /// timing pass's words alone.
    pub heard: Transcript,
    /// The lyrics to use: `heard` aligned to lyrics.txt when there is one, else `heard`.
    pub transcript: Transcript,
    pub alignment: Option<AlignmentReport>,
    pub cache_hit: bool,
}

/// Decodes and transcribes songs, transcribing each distinct audio once per cache.
pub struct Analyzer {
    model_path: PathBuf,
    model_sha256: String,
    options: transcribe::Options,
    transcriber: OnceLock<Result<Transcriber, TranscribeError>>,
    cache: TranscriptCache,
    limits: DecodeLimits,
}

impl Analyzer {
    /// `model_path` must be a ggml Whisper model; it is loaded only when a song misses the cache.
    pub fn new(
        model_path: &Path,
        options: transcribe::Options,
        cache: TranscriptCache,
        limits: DecodeLimits,
    ) -> Result<Analyzer, SongError> {
        model::inspect_file(model_path)?;
        Ok(Analyzer {
            model_path: model_path.to_path_buf(),
            model_sha256: model::import::sha256_file(model_path)?,
            options,
            transcriber: OnceLock::new(),
            cache,
            limits,
        })
    }

    pub fn cache(&self) -> &TranscriptCache {
        &self.cache
    }

    fn transcriber(&self) -> Result<&Transcriber, SongError> {
        let loaded = self
            .transcriber
            .get_or_init(|| Transcriber::load(&self.model_path, self.options.clone()));
        // A failure is kept, so every song that needs the model hears it.
        loaded.as_ref().map_err(|e| {
            SongError::Model(ModelError::Load {
                path: self.model_path.clone(),
                reason: e.to_string(),
            })
        })
    }

    /// Decodes and transcribes a song file. Lyrics come from `lyrics` when given, else from the
    /// song's lyrics.txt when it has one (see [`lyrics::lyrics_file_for`]).
    pub fn analyze(&self, path: &Path, lyrics: Option<&str>) -> Result<Song, SongError> {
        self.analyze_as(path, &path.display().to_string(), lyrics)
    }

    /// Like [`Analyzer::analyze`], but errors name the song `name` (a downloaded song's URL
    /// rather than the temporary file it was saved to).
    pub fn analyze_as(
        &self,
        path: &Path,
        name: &str,
        lyrics: Option<&str>,
    ) -> Result<Song, SongError> {
        let bytes = read_song(path, name, self.limits.max_file_bytes)?;
        let audio_sha256 = cache::content_hash(&bytes);
        let ext = path.extension().and_then(|e| e.to_str());
        let tagged_title = audio::tags::title(&bytes, ext);
        let audio = audio::decode_bytes(bytes, ext, name, &self.limits)?;
        let file_lyrics;
        let lyrics = match lyrics {
            Some(l) => Some(l),
            None => match lyrics::lyrics_file_for(path) {
                Some(p) => {
                    file_lyrics = lyrics::read_lyrics(&p)
                        .map_err(|source| SongError::Lyrics { path: p, source })?;
                    Some(file_lyrics.as_str())
                }
                None => None,
            },
        }
        .filter(|text| !text.trim().is_empty());
        let mut samples: Option<Vec<f32>> = None;
        let mut cache_hit = true;
        let mut pass = |pass: Pass| {
            let key = cache::key(
                &audio_sha256,
                &self.model_sha256,
                self.options.timing,
                self.options.language.as_ref(),
                pass,
            );
            let (t, hit) = self.cache.get_or_insert_with(&key, || {
                // Decoded for Whisper once, and only when a pass is not cached.
                let samples = match &mut samples {
                    Some(s) => s,
                    slot => slot.insert(audio::whisper_input(&audio)?),
                };
                Ok::<_, SongError>(self.transcriber()?.transcribe(samples, name, pass)?)
            })?;
            cache_hit &= hit;
            Ok::<_, SongError>(t)
        };
        let timed = pass(Pass::Timing)?;
        // Known lyrics replace the words, so only their times are needed from Whisper.
        let (heard, transcript, alignment) = match lyrics {
            Some(text) => {
                let (t, report) = lyrics::align(&timed, text);
                (timed, t, Some(report))
            }
            None => {
                let heard = lyrics::retime(&pass(Pass::Words)?, &timed);
                (heard.clone(), heard, None)
            }
        };
        Ok(Song {
            path: path.to_path_buf(),
            tagged_title,
            audio,
            heard,
            transcript,
            alignment,
            cache_hit,
        })
    }
}

/// Reads a song's bytes, refusing files over the size limit before reading them. A song that
/// cannot be read is bad input, like one that cannot be decoded.
fn read_song(path: &Path, name: &str, max_bytes: u64) -> Result<Vec<u8>, SongError> {
    let io = |source| {
        SongError::Audio(AudioError::Io {
            name: name.to_string(),
            source,
        })
    };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > max_bytes {
        return Err(AudioError::TooLarge {
            name: name.to_string(),
            bytes: len,
            max_bytes,
        }
        .into());
    }
    crate::local_file::read_regular(path, max_bytes).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_analyzer_is_shared_across_threads() {
        // A batch's workers share one analyzer, so one model and one cache.
        fn shareable<T: Send + Sync>() {}
        shareable::<Analyzer>();
    }
}
