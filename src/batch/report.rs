//! What a batch writes besides videos: one JSON per run and results.json in the callback's shape.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::failure::{FailureCode, VideoError};
use super::video::Made;
use crate::job::{Prepared, SongInput};
use crate::moment::TimedLine;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Completed,
    Failed,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AudioReport {
    pub song_title: String,
    pub song_filename: String,
    pub start_seconds: Option<f64>,
    pub duration_seconds: Option<f64>,
    pub clip_lyrics: Option<String>,
    pub clip_mood: Option<String>,
    /// The clip's lyric lines timed from the video's start, as in `<runId>.vtt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip_lines: Option<Vec<TimedLine>>,
    /// The mood word the music itself suggests (tempo, loudness, brightness).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mood_hint: Option<String>,
    /// The language sung (a Whisper code such as "en" or "es"): the one the request named,
    /// or the one detected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// How the artist was found in the face guide.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubjectReport {
    /// Faces the detector found; the largest one is framed.
    pub faces_found: usize,
    /// The framed face in the face guide's pixels: x, y, width, height.
    pub face_box: Option<[f32; 4]>,
    /// "face" when framed on the face, "outline" when placed by the cut-out's bounds.
    pub framed_by: String,
    pub warnings: Vec<String>,
}

/// `<runId>.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunResult {
    pub run_id: String,
    pub status: RunStatus,
    pub video_url: Option<String>,
    /// The clip's lyrics in time: `<runId>.vtt` (WebVTT) beside the video.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lyrics_url: Option<String>,
    pub caption_text: Option<String>,
    pub audio: AudioReport,
    pub template: Option<String>,
    pub lipsync: bool,
    pub error: Option<String>,
    /// Why the run failed, as a stable code (`error` has the details).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<FailureCode>,
    /// Present when the template places the artist in a scene.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<SubjectReport>,
}

impl RunResult {
    pub fn new(
        run_id: &str,
        p: &Prepared,
        song: &SongInput,
        lipsync: bool,
        outcome: Result<Made, VideoError>,
    ) -> RunResult {
        let mut audio = AudioReport {
            song_title: song.title().to_string(),
            song_filename: song.file_name(),
            start_seconds: None,
            duration_seconds: None,
            clip_lyrics: None,
            clip_mood: None,
            clip_lines: None,
            mood_hint: None,
            language: None,
        };
        let mut subject = None;
        let mut lyrics_url = None;
        let (status, video_url, caption_text, error) = match outcome {
            Ok(made) => {
                subject = made.subject.clone();
                if let Some(title) = &made.song_title {
                    audio.song_title = title.clone();
                }
                audio.start_seconds = Some(round3(made.moment.start_seconds));
                audio.duration_seconds = Some(round3(made.duration));
                audio.clip_lyrics = Some(made.moment.clip_lyrics.clone());
                audio.clip_mood = Some(made.mood.clone());
                audio.clip_lines = Some(made.moment.lines.clone());
                audio.mood_hint = Some(made.moment.mood_hint.clone());
                audio.language = made.language.clone();
                lyrics_url =
                    Some(std::path::absolute(made.lyrics_path()).unwrap_or(made.lyrics_path()));
                let url = std::path::absolute(&made.path).unwrap_or(made.path);
                (
                    RunStatus::Completed,
                    Some(url.display().to_string()),
                    Some(made.caption),
                    None,
                )
            }
            Err(e) => (RunStatus::Failed, None, None, Some(e)),
        };
        let (error_code, error) = match error {
            Some(e) => (Some(e.code), Some(e.message)),
            None => (None, None),
        };
        RunResult {
            run_id: run_id.to_string(),
            status,
            video_url,
            lyrics_url: lyrics_url.map(|p| p.display().to_string()),
            caption_text,
            audio,
            template: (!p.malleable).then(|| p.template.id.clone()),
            lipsync,
            error,
            error_code,
            subject,
        }
    }

    /// A run that failed before its batch could be prepared: nothing but the error is known.
    pub fn unprepared(run_id: &str, error: VideoError) -> RunResult {
        RunResult {
            run_id: run_id.to_string(),
            status: RunStatus::Failed,
            video_url: None,
            lyrics_url: None,
            caption_text: None,
            audio: AudioReport::default(),
            template: None,
            lipsync: false,
            error: Some(error.message),
            error_code: Some(error.code),
            subject: None,
        }
    }

    /// This result, marked failed with `error` (its video, if any, is removed).
    pub fn failed(mut self, error: VideoError) -> RunResult {
        for url in [self.video_url.take(), self.lyrics_url.take()]
            .into_iter()
            .flatten()
        {
            let _ = std::fs::remove_file(url);
        }
        self.status = RunStatus::Failed;
        self.error_code = Some(error.code);
        self.error = Some(error.message);
        self
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// One line of results.json.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryEntry {
    pub run_id: String,
    pub status: RunStatus,
    pub video_url: Option<String>,
    /// The clip's lyrics in time: `<runId>.vtt` (WebVTT) beside the video.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lyrics_url: Option<String>,
    pub caption_text: Option<String>,
    pub error: Option<String>,
}

/// results.json: {status, results[…]} as the callback carries it.
#[derive(Debug, Clone, Serialize)]
pub struct BatchSummary {
    pub status: RunStatus,
    pub results: Vec<SummaryEntry>,
    #[serde(skip)]
    pub runs: Vec<RunResult>,
    #[serde(skip)]
    pub songs: super::SongStats,
}

impl BatchSummary {
    pub fn new(runs: Vec<RunResult>) -> BatchSummary {
        let status = if runs.iter().all(|r| r.status == RunStatus::Completed) {
            RunStatus::Completed
        } else {
            RunStatus::Failed
        };
        let results = runs
            .iter()
            .map(|r| SummaryEntry {
                run_id: r.run_id.clone(),
                status: r.status,
                video_url: r.video_url.clone(),
                lyrics_url: r.lyrics_url.clone(),
                caption_text: r.caption_text.clone(),
                error: r.error.clone(),
            })
            .collect();
        BatchSummary {
            status,
            results,
            runs,
            songs: Default::default(),
        }
    }

    pub fn completed(&self) -> usize {
        self.runs
            .iter()
            .filter(|r| r.status == RunStatus::Completed)
            .count()
    }
}

/// A temporary file in the output folder `dir`, to be renamed into place when complete. It is
/// created readable as the umask allows, like the videos (a temporary file would otherwise be
/// private, and so would the output it becomes).
pub fn output_tempfile(dir: &Path, suffix: &str) -> std::io::Result<tempfile::NamedTempFile> {
    use std::os::unix::fs::PermissionsExt;
    tempfile::Builder::new()
        .prefix(".tmp-")
        .suffix(suffix)
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
}

/// Writes pretty JSON to a temporary file beside `path`, then renames it into place.
pub fn write_json_atomic<T: Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = output_tempfile(dir, ".json")?;
    serde_json::to_writer_pretty(&mut tmp, value)?;
    tmp.write_all(b"\n")?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_written_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        write_json_atomic(&path, &serde_json::json!({"a": 1})).unwrap();
        let back: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(back["a"], 1);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "no temporary file left: {names:?}");
    }
}
