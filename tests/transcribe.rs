//! `reelforge transcribe` on the fixture songs with the real model.

mod common;

use common::*;
use reelforge::text::word_error_rate;

/// Measured WER per fixture song with tiny.en is at most 0.08 (README); the bound leaves margin.
const MAX_WER: f64 = 0.25;

fn transcribe_json(song: &std::path::Path) -> serde_json::Value {
    let _turn = whisper_turn();
    let o = run(reelforge()
        .arg("--model")
        .arg(model())
        .arg("transcribe")
        .arg(song)
        .arg("--json"));
    assert!(o.status.success(), "{}: {}", song.display(), stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn every_fixture_song_transcribes_close_to_its_lyrics() {
    for (slug, song) in songs() {
        let t = transcribe_json(&song);
        let heard = t["fullLyrics"].as_str().unwrap();
        let wer = word_error_rate(&read_lyrics(&song), heard);
        eprintln!("{slug}: WER {:.3} ({:?})", wer.rate(), wer);
        assert!(
            wer.rate() <= MAX_WER,
            "{slug}: WER {:.3}\nheard: {heard}",
            wer.rate()
        );
    }
}

#[test]
fn json_has_segments_and_ordered_word_times_within_the_song() {
    let (_, song) = &songs()[1];
    let t = transcribe_json(song);
    let segments = t["segments"].as_array().unwrap();
    let words = t["words"].as_array().unwrap();
    assert!(segments.len() >= 3, "{t}");
    assert!(words.len() >= 30, "{t}");
    let mut last = 0.0;
    for w in words {
        let (s, e) = (w["start"].as_f64().unwrap(), w["end"].as_f64().unwrap());
        assert!(s >= last && e > s && e < 45.0, "word {w} after {last}");
        assert!(!w["text"].as_str().unwrap().is_empty());
        last = s;
    }
    for s in segments {
        assert!(s["end"].as_f64().unwrap() >= s["start"].as_f64().unwrap());
    }
}

#[test]
fn text_output_prints_timed_lines() {
    let (_, song) = &songs()[2];
    let _turn = whisper_turn();
    let o = run(reelforge()
        .arg("--model")
        .arg(model())
        .arg("transcribe")
        .arg(song));
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.lines().count() >= 3, "{text}");
    assert!(
        text.lines().all(|l| l.starts_with('[') && l.contains('→')),
        "{text}"
    );
}

#[test]
fn a_file_that_is_not_audio_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("song.mp3");
    std::fs::write(&fake, "these are lyrics, not audio\n".repeat(50)).unwrap();
    let o = run(reelforge()
        .arg("--model")
        .arg(model())
        .arg("transcribe")
        .arg(&fake));
    assert_fails(&o, 2, &["song.mp3"]);
}
