//! The song side of a batch end to end: each clip is its own window between sung lines, fades
//! in and out, a batch uses distinct moments, and every video has its lyrics in time as WebVTT.
//! Checked against the fixture songs' known line times (timing.json) and the decoded videos.

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

/// The decoded soundtrack of a video, mono at 48 kHz.
fn soundtrack(video: &Path) -> Vec<f32> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-i"])
        .arg(video)
        .args(["-ac", "1", "-ar", "48000", "-f", "f32le", "-"])
        .output()
        .expect("ffmpeg");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

fn rms_db(samples: &[f32]) -> f64 {
    let mean = samples.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / samples.len() as f64;
    10.0 * mean.max(1e-14).log10()
}

/// WebVTT cues as (start, end, text); fails on anything that is not a plain cue list.
fn cues(vtt: &str) -> Vec<(f64, f64, String)> {
    let mut blocks = vtt.split("\n\n");
    assert_eq!(blocks.next().map(str::trim_end), Some("WEBVTT"), "{vtt}");
    let time = |t: &str| {
        let parts: Vec<f64> = t.split(':').map(|p| p.parse().unwrap()).collect();
        parts[0] * 3600.0 + parts[1] * 60.0 + parts[2]
    };
    blocks
        .filter(|b| !b.trim().is_empty())
        .map(|block| {
            let lines: Vec<&str> = block.trim().lines().collect();
            assert_eq!(lines.len(), 3, "cue: {block:?}");
            let (a, b) = lines[1].split_once(" --> ").expect("a timing line");
            (time(a), time(b), lines[2].to_string())
        })
        .collect()
}

#[test]
fn a_batch_of_twelve_has_clean_distinct_clips_with_lyrics_in_time() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let manifest = dir.path().join("job.json");
    std::fs::write(
        &manifest,
        json!({
            "artist_account_id": "5b0f3c1e-8a2d-4c6b-9e71-2d4f6a8b0c13",
            "template": "artist-caption-bedroom",
            "caption_length": "short",
            "batch": 12,
            "songs": ["paper-lanterns", "night-drive", "blue-hour"],
            "artists_root": common::fixtures().join("artists"),
            "output_dir": out_dir,
            "seed": 7
        })
        .to_string(),
    )
    .unwrap();
    let o = common::run(
        common::reelforge()
            .arg("--model")
            .arg(common::model())
            .arg("render")
            .arg(&manifest)
            .args(["--json", "--preset", "ultrafast", "--cache"])
            .arg(common::shared_cache()),
    );
    let summary = common::json_of(&o, "render");
    assert_eq!(summary["status"], "completed", "{summary}");

    let songs: Vec<_> = common::songs();
    let mut moments = HashSet::new();
    for entry in summary["results"].as_array().unwrap() {
        let id = entry["runId"].as_str().unwrap();
        let run: Value =
            serde_json::from_slice(&std::fs::read(out_dir.join(format!("{id}.json"))).unwrap())
                .unwrap();
        let audio = &run["audio"];
        let file = audio["songFilename"].as_str().unwrap();
        let song = &songs
            .iter()
            .find(|(_, p)| p.file_name().unwrap() == file)
            .unwrap()
            .1;
        let known = common::line_times(song);
        let start = audio["startSeconds"].as_f64().unwrap();
        let length = audio["durationSeconds"].as_f64().unwrap();
        let end = start + length;
        let what = format!("{file} {start}+{length}");
        assert!(
            moments.insert((file.to_string(), (start * 10.0).round() as i64)),
            "{what} repeats a moment"
        );

        // About 8 s (the template's length), opening just before a line, ending between lines.
        assert!((7.0..=9.0).contains(&length), "{what}");
        let first = known
            .iter()
            .find(|l| l.0 >= start)
            .expect("a line in the clip");
        assert!(first.0 - start <= 1.0 + 1e-6, "{what}: lead-in over 1 s");
        for (a, b, text) in &known {
            assert!(!(*a < start && start < *b), "{what} opens inside {text:?}");
            assert!(!(*a < end && end < *b), "{what} ends inside {text:?}");
        }

        // The lyrics in time: the .vtt cues are the lines sung in the clip, each within 0.3 s
        // of its known start, and the result JSON carries the same lines.
        let vtt = std::fs::read_to_string(out_dir.join(format!("{id}.vtt"))).unwrap();
        let cues = cues(&vtt);
        let sung: Vec<_> = known.iter().filter(|l| l.0 >= start && l.0 < end).collect();
        assert_eq!(cues.len(), sung.len(), "{what}: {vtt}");
        for ((cue_start, cue_end, text), (a, _, known_text)) in cues.iter().zip(&sung) {
            assert_eq!(text, known_text, "{what}");
            assert!(
                (cue_start - (a - start)).abs() <= 0.3,
                "{what}: {text} at {cue_start}"
            );
            assert!(
                cue_end > cue_start && *cue_end <= length + 1e-6,
                "{what}: {vtt}"
            );
        }
        let lines = audio["clipLines"].as_array().unwrap();
        assert_eq!(lines.len(), cues.len());
        for (line, cue) in lines.iter().zip(&cues) {
            assert_eq!(line["text"], cue.2.as_str());
            assert!((line["start"].as_f64().unwrap() - cue.0).abs() < 0.001);
        }

        // Fades: the first and last 10 ms are far quieter than the music in between.
        let pcm = soundtrack(&out_dir.join(format!("{id}.mp4")));
        let body = rms_db(&pcm[pcm.len() / 4..pcm.len() * 3 / 4]);
        let head = rms_db(&pcm[..480]);
        let tail = rms_db(&pcm[pcm.len() - 480..]);
        assert!(
            head < body - 30.0,
            "{what}: no fade-in ({head} dB vs {body} dB)"
        );
        assert!(
            tail < body - 30.0,
            "{what}: no fade-out ({tail} dB vs {body} dB)"
        );
        // The fade-out lasts at least 300 ms: 300 ms before the end it has not finished.
        let before = rms_db(&pcm[pcm.len() - 48 * 320..pcm.len() - 48 * 300]);
        assert!(before > tail + 10.0, "{what}: fade-out shorter than 300 ms");
    }
    assert_eq!(moments.len(), 12);
}
