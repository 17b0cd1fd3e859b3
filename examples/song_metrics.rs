//! Transcription quality and speed on songs whose lyrics and line times are known (the fixture
//! songs are built line by line, so timing.json holds the exact start of every line):
//!
//! * WER of Whisper's transcript against lyrics.txt, and of the lyrics-aligned transcript;
//! * start-time error of each line's first word against timing.json, for the words Whisper
//!   heard exactly, and for every line after alignment;
//! * real-time factor of transcription alone (model already loaded).
//!
//! ```text
//! cargo run --release --locked --example song_metrics -- [--threads N] [--timing dtw|tokens]
//!     [--model PATH] [SONG...]
//! ```
//!
//! Without songs it measures the three fixture songs. Each SONG needs lyrics.txt and timing.json
//! beside it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use reelforge::audio::{self, DecodeLimits};
use reelforge::lyrics::{align_detailed, retime};
use reelforge::text::word_error_rate;
use reelforge::transcribe::{Options, Pass, Timing, Transcriber};

#[derive(serde::Deserialize)]
struct Line {
    start: f64,
}

#[derive(Default)]
struct Errors(Vec<f64>);

impl Errors {
    fn mean_abs(&self) -> f64 {
        self.0.iter().map(|e| e.abs()).sum::<f64>() / self.0.len().max(1) as f64
    }
    fn mean(&self) -> f64 {
        self.0.iter().sum::<f64>() / self.0.len().max(1) as f64
    }
    fn max_abs(&self) -> f64 {
        self.0.iter().fold(0.0, |m, e| m.max(e.abs()))
    }
}

fn main() -> Result<()> {
    let mut threads = reelforge::transcribe::default_threads();
    let mut timing = Timing::Dtw;
    let mut model = None;
    let mut songs = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--threads" => threads = args.next().context("--threads N")?.parse()?,
            "--timing" => {
                timing = match args.next().as_deref() {
                    Some("dtw") => Timing::Dtw,
                    Some("tokens") => Timing::Tokens,
                    _ => bail!("--timing dtw|tokens"),
                }
            }
            "--model" => model = Some(PathBuf::from(args.next().context("--model PATH")?)),
            _ => songs.push(PathBuf::from(a)),
        }
    }
    if songs.is_empty() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/artists/lumen-vale/songs");
        songs = [
            "paper-lanterns/paper-lanterns.mp3",
            "night-drive/night-drive.ogg",
            "blue-hour/blue-hour.flac",
        ]
        .iter()
        .map(|s| dir.join(s))
        .collect();
    }

    let model = reelforge::locations::Locations::from_env(|name| std::env::var_os(name))
        .existing_model(model.as_deref())?;
    let transcriber = Transcriber::load(
        &model,
        Options {
            threads,
            timing,
            language: None,
        },
    )?;
    println!(
        "model {}, {threads} threads, timing {timing:?}",
        model.display()
    );
    println!(
        "{:<16} {:>7} {:>8} {:>8}  {:<34} {:<34} {:>6}",
        "song",
        "audio",
        "WER",
        "WER+lyr",
        "line-start error, heard words",
        "line-start error, aligned",
        "RTF"
    );
    let (mut all_heard, mut all_aligned) = (Errors::default(), Errors::default());
    let (mut audio_total, mut busy_total) = (0.0, 0.0);
    for song in &songs {
        let lyrics = std::fs::read_to_string(song.with_file_name("lyrics.txt"))
            .with_context(|| format!("lyrics.txt beside {}", song.display()))?;
        let lines: Vec<Line> = serde_json::from_slice(
            &std::fs::read(song.with_file_name("timing.json"))
                .with_context(|| format!("timing.json beside {}", song.display()))?,
        )?;
        let decoded = audio::decode_file(song, &DecodeLimits::default())?;
        let samples = audio::whisper_input(&decoded)?;

        let started = Instant::now();
        // What the product hears in a song without lyrics (words pass, retimed), and the timing
        // pass that lyrics.txt is aligned to.
        let name = song.display().to_string();
        let timed = transcriber.transcribe(&samples, &name, Pass::Timing)?;
        let words = transcriber.transcribe(&samples, &name, Pass::Words)?;
        let heard = retime(&words, &timed);
        let busy = started.elapsed().as_secs_f64();
        let seconds = decoded.duration_seconds();
        audio_total += seconds;
        busy_total += busy;

        let aligned = align_detailed(&timed, &lyrics);
        let wer_raw = word_error_rate(&lyrics, &heard.full_lyrics).rate();
        let wer_aligned = word_error_rate(&lyrics, &aligned.transcript.full_lyrics).rate();

        let (mut e_heard, mut e_aligned) = (Errors::default(), Errors::default());
        for (i, line) in lines.iter().enumerate() {
            let Some(k) = aligned.sources.iter().position(|s| s.line == i) else {
                continue;
            };
            let src = aligned.sources[k];
            if let (Some(j), true) = (src.heard, src.exact) {
                e_heard.0.push(heard.words[j].start - line.start);
            }
            if let Some(w) = aligned
                .transcript
                .words
                .get(k)
                .filter(|_| aligned.report.matched > 0)
            {
                e_aligned.0.push(w.start - line.start);
            }
        }
        let fmt = |e: &Errors| {
            format!(
                "{:.3} s (bias {:+.3}, worst {:.3}, n {})",
                e.mean_abs(),
                e.mean(),
                e.max_abs(),
                e.0.len()
            )
        };
        println!(
            "{:<16} {:>6.2}s {:>8.3} {:>8.3}  {:<34} {:<34} {:>6.3}",
            song.file_stem().unwrap_or_default().to_string_lossy(),
            seconds,
            wer_raw,
            wer_aligned,
            fmt(&e_heard),
            fmt(&e_aligned),
            busy / seconds
        );
        all_heard.0.extend(e_heard.0);
        all_aligned.0.extend(e_aligned.0);
    }
    println!(
        "all: line-start error {:.3} s heard / {:.3} s aligned (mean |error|, {} lines); RTF {:.3} ({:.2} s for {:.1} s of audio)",
        all_heard.mean_abs(),
        all_aligned.mean_abs(),
        all_aligned.0.len(),
        busy_total / audio_total,
        busy_total,
        audio_total
    );
    Ok(())
}
