//! A batch: a prepared job ([`crate::job::prepare`]) in, `batch` videos out, in parallel, each
//! failing alone.
//!
//! Order of work: plan (seeded draws), analyse each drawn song once (decode + transcribe,
//! cached), then render the videos on a rayon pool sized by the thread budget.

mod failure;
mod report;
mod video;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::audio::DecodeLimits;
use crate::caption::CaptionFont;
use crate::encode::EncodeSettings;
use crate::job::{self, plan, Prepared, SongInput};
use crate::song::{Analyzer, Song, SongError};
use crate::subject::{Subject, SubjectCache, SubjectError, Vision};
use crate::transcribe::{self, cache::TranscriptCache};

pub use failure::{FailureCode, VideoError};
pub use report::{
    write_json_atomic, AudioReport, BatchSummary, RunResult, RunStatus, SubjectReport, SummaryEntry,
};
pub use video::frame_size;

/// How a batch's songs were analysed: each distinct song once, from the transcript cache
/// when it could be.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SongStats {
    /// Songs transcribed by Whisper in this batch.
    pub transcribed: usize,
    /// Songs whose transcript came from the cache.
    pub cached: usize,
    /// Songs that could not be analysed.
    pub failed: usize,
}

/// Where a video is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Queued,
    Analyzing,
    Composing,
    Encoding,
    Done,
    Failed,
}

impl Stage {
    pub fn label(self) -> &'static str {
        match self {
            Stage::Queued => "queued",
            Stage::Analyzing => "analysing song",
            Stage::Composing => "composing",
            Stage::Encoding => "encoding",
            Stage::Done => "done",
            Stage::Failed => "failed",
        }
    }
}

/// Receives progress: video `index` is at `stage`, `fraction` (0..1) of the way through it.
pub trait Observer: Sync {
    fn stage(&self, index: usize, stage: Stage, fraction: f32);
}

/// An observer that ignores everything.
pub struct Silent;

impl Observer for Silent {
    fn stage(&self, _: usize, _: Stage, _: f32) {}
}

/// How the machine's threads are shared out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadBudget {
    /// Videos rendered at once.
    pub jobs: usize,
    /// x264 threads per video.
    pub x264_threads: usize,
    /// whisper.cpp threads (songs are transcribed one at a time).
    pub whisper_threads: usize,
}

impl ThreadBudget {
    /// The default split for `cores` and a batch of `videos`: one video per core, x264 sharing
    /// what is left, whisper on every core since it runs before the videos. Measured on 2
    /// cores, a batch of 10 took 9.8–10.0 s as 2 videos × 1 x264 thread, 9.9–10.4 s as 2 × 2
    /// and 11.6–12.1 s as 1 × 2: x264 alone leaves part of a core idle, so a second video
    /// fills it.
    pub fn for_cores(cores: usize, videos: usize) -> ThreadBudget {
        let cores = cores.max(1);
        let jobs = cores.min(videos.max(1));
        ThreadBudget {
            jobs,
            x264_threads: (cores / jobs).max(1),
            whisper_threads: cores,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ThreadBudget;

    #[test]
    fn the_budget_fills_the_cores_without_oversubscribing() {
        assert_eq!(
            ThreadBudget::for_cores(2, 10),
            ThreadBudget {
                jobs: 2,
                x264_threads: 1,
                whisper_threads: 2
            }
        );
        assert_eq!(
            ThreadBudget::for_cores(2, 1),
            ThreadBudget {
                jobs: 1,
                x264_threads: 2,
                whisper_threads: 2
            }
        );
        assert_eq!(
            ThreadBudget::for_cores(8, 3),
            ThreadBudget {
                jobs: 3,
                x264_threads: 2,
                whisper_threads: 8
            }
        );
        assert_eq!(ThreadBudget::for_cores(0, 0).jobs, 1);
    }
}

/// Resolved settings for running batches.
#[derive(Debug, Clone)]
pub struct Settings {
    pub model: PathBuf,
    /// Used instead of `model` for a song in another language when `model` is English-only;
    /// it may not exist.
    pub multilingual_model: PathBuf,
    /// Folder holding the vision models (person matte, face detector).
    pub vision_models: PathBuf,
    /// Transcript cache folder; `None` transcribes afresh and stores nothing.
    pub cache: Option<PathBuf>,
    pub threads: ThreadBudget,
    pub preset: String,
    pub crf: u8,
    pub fps: u32,
    pub decode: DecodeLimits,
}

/// What every video of a batch shares once the songs are analysed.
struct Setup {
    /// The videos to make: their index in the batch and their run id.
    videos: Vec<(usize, String)>,
    /// The plan's choices for those videos, in the same order.
    choices: Vec<plan::Choice>,
    songs: HashMap<usize, Result<Song, VideoError>>,
    song_stats: SongStats,
    lipsync: bool,
    encode: EncodeSettings,
    font: CaptionFont,
    /// The artist cut out of the face guide, when the template places one in its scenes.
    subject: Option<Result<Subject, VideoError>>,
}

impl Setup {
    /// `videos` are (index in the batch, run id); the observer sees them as 0, 1, ….
    fn new(
        prepared: &Prepared,
        settings: &Settings,
        videos: Vec<(usize, String)>,
        observer: &dyn Observer,
    ) -> Setup {
        let req = &prepared.manifest.request;
        let t = &prepared.template;
        let all = plan::choose(
            prepared.manifest.seed,
            req.batch as usize,
            plan::Options::for_template(prepared.songs.len(), t, &prepared.artist_scenes),
        );
        let choices: Vec<plan::Choice> = videos.iter().map(|&(i, _)| all[i]).collect();
        for i in 0..videos.len() {
            observer.stage(i, Stage::Queued, 0.0);
        }
        let (songs, song_stats) = analyse_songs(prepared, settings, &choices, observer);
        let (width, height) = frame_size(req.upscale);
        // A bug in the models or the matte must fail the videos, not end the batch unreported.
        let subject = prepared
            .needs_subject()
            .then(|| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    find_subject(prepared, settings)
                }))
                .unwrap_or_else(|_| {
                    Some(Err(VideoError::new(
                        FailureCode::InternalError,
                        "internal error while cutting out the face guide",
                    )))
                })
            })
            .flatten();
        Setup {
            subject,
            videos,
            lipsync: req.lipsync.unwrap_or(t.default_lipsync),
            songs,
            song_stats,
            choices,
            encode: EncodeSettings {
                width,
                height,
                fps: settings.fps,
                preset: settings.preset.clone(),
                crf: settings.crf,
                threads: settings.threads.x264_threads,
                ..EncodeSettings::default()
            },
            font: CaptionFont::bundled(),
        }
    }

    /// Runs `f` for every video whose song was analysed, `jobs` at a time, in video order.
    fn each<T: Send>(
        &self,
        prepared: &Prepared,
        jobs: usize,
        observer: &dyn Observer,
        f: impl Fn(&video::VideoJob) -> Result<T, VideoError> + Sync,
    ) -> Vec<Result<T, VideoError>> {
        let out_dir = &prepared.manifest.output_dir;
        let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).build();
        let work = || {
            (0..self.choices.len())
                .into_par_iter()
                .map(|i| {
                    let choice = self.choices[i];
                    let song = self.songs[&choice.song].as_ref().map_err(Clone::clone)?;
                    let subject = match &self.subject {
                        Some(Err(e)) => return Err(e.clone()),
                        Some(Ok(s)) => Some(s),
                        None => None,
                    };
                    let job = video::VideoJob {
                        index: i,
                        prepared,
                        song,
                        choice,
                        lipsync: self.lipsync,
                        out: out_dir.join(format!("{}.mp4", self.videos[i].1)),
                        encode: self.encode.clone(),
                        font: &self.font,
                        subject,
                        observer,
                    };
                    // A bug in one video must not take its batch-mates down with it.
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&job)))
                        .unwrap_or_else(|_| {
                            Err(VideoError::new(
                                FailureCode::InternalError,
                                "internal error while rendering this video",
                            ))
                        })
                })
                .collect()
        };
        match pool {
            Ok(pool) => pool.install(work),
            Err(_) => work(),
        }
    }
}

/// Every video of a batch with a fresh run id each.
fn all_videos(prepared: &Prepared) -> Vec<(usize, String)> {
    (0..prepared.manifest.request.batch as usize)
        .map(|i| (i, job::new_run_id()))
        .collect()
}

/// Runs a prepared batch. Never fails as a whole: each video's outcome is in the summary.
pub fn run(prepared: &Prepared, settings: &Settings, observer: &dyn Observer) -> BatchSummary {
    run_videos(prepared, settings, all_videos(prepared), observer)
}

/// Runs video `index` of a prepared batch as run `run_id`: the same video the whole batch
/// would make at that index.
pub fn run_one(
    prepared: &Prepared,
    settings: &Settings,
    index: usize,
    run_id: &str,
    observer: &dyn Observer,
) -> RunResult {
    let mut summary = run_videos(
        prepared,
        settings,
        vec![(index, run_id.to_string())],
        observer,
    );
    summary.runs.remove(0)
}

/// Runs some of a batch's videos, given as (index in the batch, run id).
fn run_videos(
    prepared: &Prepared,
    settings: &Settings,
    videos: Vec<(usize, String)>,
    observer: &dyn Observer,
) -> BatchSummary {
    let setup = Setup::new(prepared, settings, videos, observer);
    let out_dir = &prepared.manifest.output_dir;
    let outcomes = setup.each(prepared, settings.threads.jobs, observer, |job| {
        let outcome = video::make(job);
        let run_id = &setup.videos[job.index].1;
        let input = &prepared.songs[job.choice.song];
        let result = RunResult::new(run_id, prepared, input, setup.lipsync, outcome);
        let json_path = out_dir.join(format!("{run_id}.json"));
        let result = match write_json_atomic(&json_path, &result) {
            Ok(()) => result,
            Err(e) => result.failed(VideoError::new(
                FailureCode::RenderFailed.unless_full(&e),
                format!("writing {}: {e}", json_path.display()),
            )),
        };
        let stage = if result.status == RunStatus::Completed {
            Stage::Done
        } else {
            Stage::Failed
        };
        observer.stage(job.index, stage, 1.0);
        Ok(result)
    });
    let results = outcomes
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            r.unwrap_or_else(|error| {
                // The song could not be analysed, or rendering panicked: the video fails alone.
                observer.stage(i, Stage::Failed, 1.0);
                let run_id = &setup.videos[i].1;
                let input = &prepared.songs[setup.choices[i].song];
                let result = RunResult::new(run_id, prepared, input, setup.lipsync, Err(error));
                let _ = write_json_atomic(&out_dir.join(format!("{run_id}.json")), &result);
                result
            })
        })
        .collect();
    let mut summary = BatchSummary::new(results);
    summary.songs = setup.song_stats;
    summary
}

/// The first frame of every video as `still-<n>.png` in the output folder, without encoding.
pub fn stills(
    prepared: &Prepared,
    settings: &Settings,
    observer: &dyn Observer,
) -> Vec<Result<PathBuf, VideoError>> {
    let setup = Setup::new(prepared, settings, all_videos(prepared), observer);
    let out_dir = &prepared.manifest.output_dir;
    setup.each(prepared, settings.threads.jobs, observer, |job| {
        let failed = |e: String| VideoError::new(FailureCode::RenderFailed, e);
        let composed = video::compose(job)?;
        let path = out_dir.join(format!("still-{}.png", job.index + 1));
        let image = crate::render::still(&composed.anim, 0);
        let tmp = report::output_tempfile(out_dir, ".png").map_err(|e| failed(e.to_string()))?;
        image
            .save_with_format(tmp.path(), image::ImageFormat::Png)
            .map_err(|e| failed(format!("{}: {e}", path.display())))?;
        tmp.persist(&path).map_err(|e| failed(e.to_string()))?;
        Ok(path)
    })
}

/// Cuts the artist out of the face guide (cached by image and models).
/// Missing or damaged models are the server's problem; a photo too small, the request's.
fn find_subject(prepared: &Prepared, settings: &Settings) -> Option<Result<Subject, VideoError>> {
    let face = prepared.face.as_ref()?;
    let vision = match Vision::open(&settings.vision_models) {
        Ok(v) => v,
        Err(e) => {
            return Some(Err(VideoError::new(
                FailureCode::InternalError,
                e.to_string(),
            )))
        }
    };
    let cache = match &settings.cache {
        Some(dir) => SubjectCache::new(dir),
        None => SubjectCache::disabled(),
    };
    Some(
        vision
            .subject(face, &prepared.face_name, &cache)
            .map_err(|e| {
                let code = match e {
                    SubjectError::Model(_) => FailureCode::InternalError,
                    SubjectError::TooSmall { .. } => FailureCode::ImageUnusable,
                };
                VideoError::new(code, e.to_string())
            }),
    )
}

/// Decodes and transcribes every song some video drew, once each.
fn analyse_songs(
    prepared: &Prepared,
    settings: &Settings,
    choices: &[plan::Choice],
    observer: &dyn Observer,
) -> (HashMap<usize, Result<Song, VideoError>>, SongStats) {
    let language = prepared.manifest.request.language.clone();
    let options = transcribe::Options {
        threads: settings.threads.whisper_threads,
        language: language.clone(),
        ..transcribe::Options::default()
    };
    let cache = match &settings.cache {
        Some(dir) => TranscriptCache::new(dir.clone()),
        None => TranscriptCache::disabled(),
    };
    let analyzer = transcribe::language::model_for(
        language.as_ref(),
        &settings.model,
        &settings.multilingual_model,
    )
    .map_err(SongError::from)
    .and_then(|model| Analyzer::new(&model, options, cache, settings.decode.clone()))
    .map_err(|e| e.to_string());
    let mut out = HashMap::new();
    let mut stats = SongStats::default();
    let mut wanted: Vec<usize> = choices.iter().map(|c| c.song).collect();
    wanted.sort_unstable();
    wanted.dedup();
    for s in wanted {
        for (i, c) in choices.iter().enumerate() {
            if c.song == s {
                observer.stage(i, Stage::Analyzing, 0.0);
            }
        }
        let unusable = |e: String| VideoError::new(FailureCode::SongUnusable, e);
        let result = match (&analyzer, &prepared.songs[s]) {
            (Err(e), _) => Err(VideoError::new(FailureCode::RenderFailed, e.clone())),
            (_, SongInput::Failed { error, .. }) => Err(VideoError::new(
                FailureCode::SongDownloadFailed,
                error.clone(),
            )),
            (_, SongInput::NotDrawn { url, .. }) => Err(VideoError::new(
                FailureCode::InternalError,
                format!("{url} was not downloaded"),
            )),
            (Ok(a), SongInput::File { path, .. }) => {
                a.analyze(path, None).map_err(|e| unusable(e.to_string()))
            }
            // Downloaded songs have no lyrics.txt: what Whisper hears stands.
            (Ok(a), SongInput::Downloaded { path, url, .. }) => a
                .analyze_as(path, url, Some(""))
                .map_err(|e| unusable(e.to_string())),
        };
        match &result {
            Ok(song) if song.cache_hit => stats.cached += 1,
            Ok(_) => stats.transcribed += 1,
            Err(_) => stats.failed += 1,
        }
        out.insert(s, result);
    }
    (out, stats)
}

/// Reads and validates a manifest file.
pub fn read_manifest(path: &Path) -> Result<job::Manifest, job::FieldError> {
    let text = std::fs::read_to_string(path).map_err(|e| job::FieldError {
        field: "manifest".into(),
        message: format!("{}: {e}", path.display()),
    })?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    job::Manifest::parse(&text, dir)
}
