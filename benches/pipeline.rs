//! The pipeline's other stages: decoding each fixture song, transcribing one, and a whole
//! batch of three videos (transcripts cached after the first pass, as in production).
//! Transcription and the batch need the Whisper model; without one they are skipped with a
//! message.

use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use reelforge::audio::{self, DecodeLimits};
use reelforge::batch::{self, Settings, Silent, ThreadBudget};
use reelforge::template::Templates;
use reelforge::transcribe::{self, Pass, Transcriber};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn songs() -> Vec<(&'static str, PathBuf)> {
    let dir = fixtures().join("artists/lumen-vale/songs");
    vec![
        ("mp3", dir.join("paper-lanterns/paper-lanterns.mp3")),
        ("ogg", dir.join("night-drive/night-drive.ogg")),
        ("flac", dir.join("blue-hour/blue-hour.flac")),
    ]
}

fn bench_decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    group.sample_size(20);
    for (format, path) in songs() {
        let seconds = audio::decode_file(&path, &DecodeLimits::default())
            .expect("fixture decodes")
            .duration_seconds();
        // Throughput in milliseconds of audio, so criterion's "elem/s" reads as ms of audio per second.
        group.throughput(Throughput::Elements((seconds * 1000.0) as u64));
        group.bench_function(format, |b| {
            b.iter(|| audio::decode_file(&path, &DecodeLimits::default()).expect("decode"))
        });
    }
    group.finish();
}

/// Where files are, from this process's environment, as the program finds them.
fn locations() -> reelforge::locations::Locations {
    reelforge::locations::Locations::from_env(|name| std::env::var_os(name))
}

fn bench_transcribe(c: &mut Criterion) {
    let Ok(model) = locations().existing_model(None) else {
        eprintln!("transcribe: skipped, no Whisper model (run scripts/setup.sh)");
        return;
    };
    let song =
        audio::decode_file(&songs()[0].1, &DecodeLimits::default()).expect("fixture decodes");
    let clip = song.slice_seconds(0.0, 15.0);
    let samples = audio::whisper_input(&clip).expect("resample");
    let mut group = c.benchmark_group("transcribe");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(15_000));
    for threads in [1, 2] {
        let options = transcribe::Options {
            threads,
            ..transcribe::Options::default()
        };
        let whisper = Transcriber::load(&model, options).expect("model loads");
        // The timing pass alone serves songs with known lyrics; both serve those without.
        for (name, pass) in [("timing", Pass::Timing), ("words", Pass::Words)] {
            group.bench_function(format!("15s/{name}/{threads}-threads"), |b| {
                b.iter(|| {
                    whisper
                        .transcribe(&samples, "bench", pass)
                        .expect("transcribe")
                })
            });
        }
    }
    group.finish();
}

fn bench_batch(c: &mut Criterion) {
    let Ok(model) = locations().existing_model(None) else {
        eprintln!("batch: skipped, no Whisper model (run scripts/setup.sh)");
        return;
    };
    let templates = Templates::load(&locations().assets(None)).expect("templates");
    let out = tempfile::tempdir().expect("temporary directory");
    let cache = tempfile::tempdir().expect("temporary directory");
    let text = std::fs::read_to_string(fixtures().join("jobs/demo.json")).expect("demo job");
    let mut manifest =
        reelforge::job::Manifest::parse(&text, &fixtures().join("jobs")).expect("demo job parses");
    manifest.output_dir = out.path().to_path_buf();
    let videos = manifest.request.batch as usize;
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let settings = Settings {
        model,
        multilingual_model: locations().multilingual_model(None),
        vision_models: locations().vision_models(None),
        cache: Some(cache.path().to_path_buf()),
        threads: ThreadBudget::for_cores(cores, videos),
        preset: "veryfast".into(),
        crf: 23,
        fps: 30,
        decode: DecodeLimits::default(),
    };
    let mut group = c.benchmark_group("batch");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(40));
    group.throughput(Throughput::Elements(videos as u64));
    group.bench_function(format!("demo-{videos}-videos"), |b| {
        b.iter(|| {
            let prepared = reelforge::job::prepare(
                manifest.clone(),
                &templates,
                &reelforge::job::PrepareOptions::default(),
            )
            .expect("demo job prepares");
            let summary = batch::run(&prepared, &settings, &Silent);
            assert_eq!(summary.completed(), videos);
            summary
        })
    });
    group.finish();
}

criterion_group!(benches, bench_decode, bench_transcribe, bench_batch);
criterion_main!(benches);
