//! What each subcommand does, in terms of the library.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use reelforge::audio::{self, AudioError, DecodeLimits};
use reelforge::model::{self, ModelError, Origin};
use reelforge::transcribe::{self, Timing, TranscribeError, Transcriber};
use reelforge::version;

use crate::args::{Cli, Command, ModelCommand, TranscribeArgs};

/// Bad input (a file that is not what it should be, a missing model) exits 2, like a usage error;
/// anything else that fails exits 1.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    let input = err.chain().any(|e| {
        e.downcast_ref::<AudioError>().is_some()
            || matches!(
                e.downcast_ref::<ModelError>(),
                Some(ModelError::NotFound { .. })
                    | Some(ModelError::NoModelInSource { .. })
                    | Some(ModelError::MissingVocabulary { .. })
                    | Some(ModelError::BadArchive { .. })
                    | Some(ModelError::Ct2Format(_))
                    | Some(ModelError::GgmlFormat(_))
            )
    });
    if input {
        2
    } else {
        1
    }
}

pub fn run(cli: Cli) -> Result<()> {
    if cli.version {
        print_version(cli.model.as_deref());
        return Ok(());
    }
    match cli.command {
        Some(Command::Model(ModelCommand::Import {
            source,
            output,
            json,
        })) => import(&source, output.as_deref().or(cli.model.as_deref()), json),
        Some(Command::Model(ModelCommand::Verify {
            path,
            no_load,
            json,
        })) => verify(path.as_deref().or(cli.model.as_deref()), !no_load, json),
        Some(Command::Transcribe(args)) => transcribe_song(cli.model.as_deref(), &args),
        None => {
            print_version(cli.model.as_deref());
            Ok(())
        }
    }
}

fn print_version(explicit_model: Option<&Path>) {
    println!("reelforge {}", version::REELFORGE);
    println!(
        "FFmpeg    {} (built against: {})",
        version::ffmpeg_runtime(),
        version::FFMPEG_BUILD
    );
    println!("whisper.cpp {}", version::WHISPER_CPP);
    let (path, origin) = model::locate(explicit_model);
    let from = match origin {
        Origin::Flag => "--model",
        Origin::Env => model::MODEL_ENV,
        Origin::Default => "default path",
    };
    let state = if path.is_file() { "present" } else { "missing" };
    println!("model     {} ({from}, {state})", path.display());
    if !path.is_file() {
        println!("          {}", model::HOW_TO_GET);
    }
}

fn import(source: &Path, output: Option<&Path>, json: bool) -> Result<()> {
    let (output, _) = model::locate(output);
    let started = Instant::now();
    eprintln!("importing {} → {}", source.display(), output.display());
    let report = model::import(source, &output)?;
    // A freshly written model must also load; a kept one was loaded when it was written.
    if !report.kept {
        Transcriber::load(&output, transcribe::Options::default())
            .with_context(|| format!("checking {}", output.display()))?;
    }
    let seconds = started.elapsed().as_secs_f64();
    if json {
        let mut v = serde_json::to_value(&report)?;
        v["seconds"] = serde_json::json!(seconds);
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        let h = &report.summary.hparams;
        let what = if report.kept {
            "kept (already imported from this source)"
        } else {
            "written and verified"
        };
        println!("{}: {what}", report.output.display());
        println!(
            "  Whisper {}{}: {} tensors, {} vocabulary tokens, sha256 {}",
            h.size_name(),
            if h.is_multilingual() { "" } else { ".en" },
            report.summary.tensors,
            report.summary.vocabulary_tokens,
            report.sha256
        );
        println!("  took {seconds:.1} s");
    }
    Ok(())
}

fn verify(path: Option<&Path>, load: bool, json: bool) -> Result<()> {
    let path = model::resolve(path)?;
    let summary = model::inspect_file(&path)?;
    if load {
        Transcriber::load(&path, transcribe::Options::default())?;
    }
    if json {
        let mut v = serde_json::to_value(&summary)?;
        v["path"] = serde_json::json!(path);
        v["loaded"] = serde_json::json!(load);
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    let h = &summary.hparams;
    println!(
        "{}: ok{}",
        path.display(),
        if load { ", loads in whisper.cpp" } else { "" }
    );
    println!(
        "  model        Whisper {} ({})",
        h.size_name(),
        if h.is_multilingual() {
            "multilingual"
        } else {
            "English-only"
        }
    );
    println!(
        "  vocabulary   {} ({} tokens stored)",
        h.n_vocab, summary.vocabulary_tokens
    );
    println!(
        "  audio        ctx {}, state {}, heads {}, layers {}",
        h.n_audio_ctx, h.n_audio_state, h.n_audio_head, h.n_audio_layer
    );
    println!(
        "  text         ctx {}, state {}, heads {}, layers {}",
        h.n_text_ctx, h.n_text_state, h.n_text_head, h.n_text_layer
    );
    println!(
        "  mels         {} (filters {}x{})",
        h.n_mels, summary.mel_bins.0, summary.mel_bins.1
    );
    println!(
        "  weights      {}, {} tensors, {:.1} MB",
        if h.ftype == 1 { "f16" } else { "f32" },
        summary.tensors,
        summary.bytes as f64 / 1e6
    );
    Ok(())
}

fn transcribe_song(explicit_model: Option<&Path>, args: &TranscribeArgs) -> Result<()> {
    let model_path = model::resolve(explicit_model)?;
    let options = transcribe::Options {
        threads: args
            .threads
            .map(usize::from)
            .unwrap_or_else(transcribe::default_threads),
        timing: if args.timing == "tokens" {
            Timing::Tokens
        } else {
            Timing::Dtw
        },
    };
    let decoded = audio::decode_file(&args.song, &DecodeLimits::default())?;
    let samples = audio::whisper_input(&decoded)?;
    let transcriber = Transcriber::load(&model_path, options)?;
    let started = Instant::now();
    let name = args.song.display().to_string();
    let transcript = transcriber
        .transcribe(&samples, &name)
        .map_err(|e: TranscribeError| anyhow::Error::new(e))?;
    let seconds = started.elapsed().as_secs_f64();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&transcript)?);
        return Ok(());
    }
    for s in &transcript.segments {
        println!("[{:>6.2} → {:>6.2}] {}", s.start, s.end, s.text);
    }
    if transcript.segments.is_empty() {
        println!("(no lyrics found)");
    }
    eprintln!(
        "{}: {:.1} s of audio, {} words, transcribed in {:.1} s",
        name,
        decoded.duration_seconds(),
        transcript.words.len(),
        seconds
    );
    Ok(())
}
