//! Transcripts kept on disk, keyed by what determines them: the audio's bytes, the model's
//! bytes and the transcription settings. A batch, and every later batch, transcribes a song
//! once.
//!
//! Entries are written atomically (temporary file, then rename), so concurrent writers of the
//! same key just race to an identical result. A corrupt entry is ignored and rewritten.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use super::{Language, Pass, Timing, Transcript};

/// Bumped whenever what we store for a key changes (decoding, post-processing, fields).
const FORMAT: u32 = 4;

/// SHA-256 of some bytes, as hex.
pub fn content_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The cache key for one transcription pass.
/// `language` is the one asked for (None: the model's default). `timing` only changes the
/// timing pass: the words pass is shared between timing modes.
pub fn key(
    audio_sha256: &str,
    model_sha256: &str,
    timing: Timing,
    language: Option<&Language>,
    pass: Pass,
) -> String {
    let language = language.map_or("default".to_string(), Language::to_string);
    let timing = match pass {
        Pass::Timing => format!("{timing:?}"),
        Pass::Words => "none".to_string(),
    };
    let mut h = Sha256::new();
    h.update(format!(
        "v{FORMAT}\n{audio_sha256}\n{model_sha256}\n{timing}\n{language}\n{pass:?}\n"
    ));
    hex::encode(h.finalize())
}

#[derive(Default)]
pub struct Stats {
    pub hits: usize,
    pub misses: usize,
}

/// A directory of transcripts, plus per-key locks so that threads of one process asking for the
/// same song wait for one transcription instead of each running their own.
pub struct TranscriptCache {
    dir: Option<PathBuf>,
    in_flight: Mutex<HashMap<String, Arc<Mutex<()>>>>,
    stats: Mutex<Stats>,
}

impl TranscriptCache {
    /// A cache in `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> TranscriptCache {
        TranscriptCache {
            dir: Some(dir.into()),
            in_flight: Mutex::default(),
            stats: Mutex::default(),
        }
    }

    /// No disk: every lookup transcribes (still once per key at a time).
    pub fn disabled() -> TranscriptCache {
        TranscriptCache {
            dir: None,
            in_flight: Mutex::default(),
            stats: Mutex::default(),
        }
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    fn path(&self, key: &str) -> Option<PathBuf> {
        Some(
            self.dir
                .as_ref()?
                .join("transcripts")
                .join(format!("{key}.json")),
        )
    }

    /// The stored transcript, if there is a readable one.
    pub fn get(&self, key: &str) -> Option<Transcript> {
        let bytes = fs::read(self.path(key)?).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Stores a transcript atomically.
    pub fn put(&self, key: &str, transcript: &Transcript) -> io::Result<()> {
        let Some(path) = self.path(key) else {
            return Ok(());
        };
        let dir = path.parent().expect("entry has a folder");
        fs::create_dir_all(dir)?;
        let tmp = tempfile::NamedTempFile::new_in(dir)?;
        serde_json::to_writer(tmp.as_file(), transcript)?;
        tmp.as_file().sync_data()?;
        tmp.persist(&path).map_err(|e| e.error)?;
        Ok(())
    }

    /// The cached transcript for `key`, or the result of `transcribe`, stored for next time.
    /// A failure to store is not a failure to transcribe: the transcript is returned anyway.
    pub fn get_or_insert_with<E>(
        &self,
        key: &str,
        transcribe: impl FnOnce() -> Result<Transcript, E>,
    ) -> Result<(Transcript, bool), E> {
        let lock = {
            let mut map = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(key.to_string()).or_default().clone()
        };
        let _guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = self.get(key) {
            self.stats.lock().unwrap_or_else(|e| e.into_inner()).hits += 1;
            return Ok((t, true));
        }
        let t = transcribe()?;
        self.stats.lock().unwrap_or_else(|e| e.into_inner()).misses += 1;
        if let Err(e) = self.put(key, &t) {
            eprintln!("warning: could not store transcript in the cache: {e}");
        }
        Ok((t, false))
    }

    /// (hits, misses) so far.
    pub fn counts(&self) -> (usize, usize) {
        let s = self.stats.lock().unwrap_or_else(|e| e.into_inner());
        (s.hits, s.misses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcribe::Word;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn sample() -> Transcript {
        Transcript {
            language: None,
            full_lyrics: "hello".into(),
            segments: vec![],
            words: vec![Word {
                start: 0.5,
                end: 0.9,
                text: "hello".into(),
            }],
        }
    }

    #[test]
    fn second_lookup_is_a_hit() {
        let dir = tempfile::tempdir().unwrap();
        let cache = TranscriptCache::new(dir.path());
        let (t, hit) = cache
            .get_or_insert_with::<()>("k", || Ok(sample()))
            .unwrap();
        assert!(!hit);
        let (t2, hit) = cache
            .get_or_insert_with::<()>("k", || panic!("must not run"))
            .unwrap();
        assert!(hit);
        assert_eq!(t, t2);
        assert_eq!(cache.counts(), (1, 1));
    }

    #[test]
    fn corrupt_entry_is_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let cache = TranscriptCache::new(dir.path());
        cache.put("k", &sample()).unwrap();
        fs::write(cache.path("k").unwrap(), b"{not json").unwrap();
        let (t, hit) = cache
            .get_or_insert_with::<()>("k", || Ok(sample()))
            .unwrap();
        assert!(!hit);
        assert_eq!(t, sample());
        assert_eq!(cache.get("k"), Some(sample()));
    }

    #[test]
    fn concurrent_requests_for_one_key_transcribe_once() {
        let dir = tempfile::tempdir().unwrap();
        let cache = TranscriptCache::new(dir.path());
        let runs = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    cache
                        .get_or_insert_with::<()>("same", || {
                            runs.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(std::time::Duration::from_millis(20));
                            Ok(sample())
                        })
                        .unwrap();
                });
            }
        });
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn key_depends_on_every_input_of_its_pass() {
        const W: Pass = Pass::Words;
        let base = key("a", "m", Timing::Dtw, None, W);
        assert_ne!(base, key("b", "m", Timing::Dtw, None, W));
        assert_ne!(base, key("a", "n", Timing::Dtw, None, W));
        assert_ne!(base, key("a", "m", Timing::Tokens, None, Pass::Timing));
        assert_ne!(base, key("a", "m", Timing::Dtw, Some(&Language::Detect), W));
        assert_ne!(
            key("a", "m", Timing::Dtw, Some(&Language::Code("es")), W),
            key("a", "m", Timing::Dtw, Some(&Language::Code("de")), W)
        );
        assert_ne!(base, key("a", "m", Timing::Dtw, None, Pass::Timing));
        assert_eq!(base, key("a", "m", Timing::Dtw, None, W));
        assert_ne!(
            key("a", "m", Timing::Dtw, None, Pass::Timing),
            key("a", "m", Timing::Tokens, None, Pass::Timing)
        );
        assert_eq!(
            base,
            key("a", "m", Timing::Tokens, None, W),
            "the words pass does not depend on how words are timed"
        );
    }
}
