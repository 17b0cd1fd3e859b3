//! `reelforge render` and `reelforge still`: job manifests to videos (or first frames), with a
//! progress bar per video on a terminal.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use reelforge::batch::{self, Observer, RunStatus, Settings, Stage, ThreadBudget};
use reelforge::job::{self, FieldError, Manifest, PrepareError, RunOrder};
use reelforge::template::{self, Templates};

use crate::args::{ClipArgs, Models, RenderArgs, RunVideoArgs, StillArgs};

/// Exit codes of `render` beyond 0/1/2: some videos failed, or all of them did.
pub const EXIT_SOME_FAILED: u8 = 3;
pub const EXIT_ALL_FAILED: u8 = 4;

/// x264's constant rate factor when nothing says otherwise (`--crf`'s default).
pub const DEFAULT_CRF: u8 = 23;

/// A job that could not start because of its input (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum JobInputError {
    #[error("{path}: {source}")]
    Manifest { path: String, source: FieldError },
    #[error(transparent)]
    Prepare(#[from] PrepareError),
    #[error(transparent)]
    Templates(#[from] template::TemplateError),
    #[error(transparent)]
    VisionModel(#[from] reelforge::subject::VisionModelError),
}

/// The outcome of `render` for main's exit code.
pub struct Outcome {
    pub total: usize,
    pub completed: usize,
}

impl Outcome {
    pub fn exit_code(&self) -> u8 {
        match self.completed {
            c if c == self.total => 0,
            0 => EXIT_ALL_FAILED,
            _ => EXIT_SOME_FAILED,
        }
    }
}

fn load(
    manifest_path: &Path,
    out: Option<&Path>,
    seed: Option<u64>,
    assets: Option<&Path>,
) -> Result<(Manifest, Templates)> {
    let mut manifest =
        batch::read_manifest(manifest_path).map_err(|source| JobInputError::Manifest {
            path: manifest_path.display().to_string(),
            source,
        })?;
    if let Some(out) = out {
        manifest.output_dir = out.to_path_buf();
    }
    if let Some(seed) = seed {
        manifest.seed = seed;
    }
    let dir = crate::locations().assets(assets);
    let templates = Templates::load(&dir.join("templates")).map_err(JobInputError::Templates)?;
    Ok((manifest, templates))
}

fn settings(models: Models, args: &crate::args::RunArgs, videos: usize) -> Result<Settings> {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut threads = ThreadBudget::for_cores(cores, videos);
    if let Some(jobs) = args.jobs {
        threads.jobs = usize::from(jobs);
        threads.x264_threads = (cores / threads.jobs).max(1);
    }
    if let Some(x) = args.node.x264_threads {
        threads.x264_threads = usize::from(x);
    }
    let cache = (!args.node.no_cache).then(|| crate::locations().cache(args.node.cache.as_deref()));
    Ok(Settings {
        model: crate::locations().existing_model(models.whisper)?,
        multilingual_model: crate::locations().multilingual_model(models.multilingual),
        vision_models: crate::locations().vision_models(args.node.vision_models.as_deref()),
        cache,
        threads,
        preset: args.node.preset.0.to_string(),
        crf: args.crf,
        fps: 30,
        decode: Default::default(),
    })
}

/// Reads, resolves and checks a manifest with the command line's overrides.
fn prepare(
    models: Models,
    manifest: &Path,
    run: &crate::args::RunArgs,
) -> Result<(job::Prepared, Settings)> {
    let (manifest, templates) = load(
        manifest,
        run.out.as_deref(),
        run.seed,
        run.node.assets.as_deref(),
    )?;
    let settings = settings(models, run, manifest.request.batch as usize)?;
    let options = job::PrepareOptions {
        allow_private_urls: run.node.allow_private_urls,
        only_video: None,
    };
    let prepared = prepare_job(manifest, &templates, &settings, &options)?;
    Ok((prepared, settings))
}

/// Prepares a resolved job for this node: its language, downloads and images, vision models.
fn prepare_job(
    manifest: Manifest,
    templates: &Templates,
    settings: &Settings,
    options: &job::PrepareOptions,
) -> Result<job::Prepared> {
    // A job in a language this node has no model for fails whole, before any work.
    reelforge::transcribe::language::model_for(
        manifest.request.language.as_ref(),
        &settings.model,
        &settings.multilingual_model,
    )?;
    let prepared = job::prepare(manifest, templates, options).map_err(JobInputError::from)?;
    // A missing or damaged vision model is the node's setup, not one video's problem.
    if prepared.needs_subject() {
        reelforge::subject::Vision::open(&settings.vision_models).map_err(JobInputError::from)?;
    }
    Ok(prepared)
}

/// The one-video job of a run order, with the node's options as its settings.
fn prepare_order(
    models: Models,
    path: &Path,
    order: &RunOrder,
) -> Result<(job::Prepared, Settings)> {
    let manifest = order.manifest().map_err(|source| JobInputError::Manifest {
        path: path.display().to_string(),
        source,
    })?;
    let o = &order.options;
    let assets = crate::locations().assets(o.assets.as_deref());
    let templates = Templates::load(&assets.join("templates")).map_err(JobInputError::Templates)?;
    let whisper = o.model.as_deref().or(models.whisper);
    let multilingual = o.multilingual_model.as_deref().or(models.multilingual);
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let settings = Settings {
        model: crate::locations().existing_model(whisper)?,
        multilingual_model: crate::locations().multilingual_model(multilingual),
        vision_models: crate::locations().vision_models(o.vision_models.as_deref()),
        cache: o.cache.clone(),
        threads: ThreadBudget {
            jobs: 1,
            x264_threads: o.x264_threads.max(1),
            whisper_threads: cores,
        },
        preset: o.preset.clone(),
        crf: DEFAULT_CRF,
        fps: 30,
        decode: Default::default(),
    };
    let options = job::PrepareOptions {
        allow_private_urls: order.allow_private_urls,
        only_video: Some(order.index),
    };
    let prepared = prepare_job(manifest, &templates, &settings, &options)?;
    Ok((prepared, settings))
}

/// `run-video`: the one run of a run order, its result as one JSON line on stdout. Exit 0
/// when it completed, 3 when it failed (the result says why).
pub fn run_video(models: Models, args: &RunVideoArgs) -> Result<u8> {
    let order = RunOrder::read(&args.order)?;
    let (prepared, settings) = match prepare_order(models, &args.order, &order) {
        Ok(p) => p,
        Err(e) => {
            // The node reads the result line: a coded failure, not just a message.
            let code = match e.downcast_ref::<JobInputError>() {
                Some(JobInputError::Prepare(p)) => batch::FailureCode::from(p),
                _ => batch::FailureCode::RenderFailed,
            };
            let error = batch::VideoError::new(code, format!("{e:#}"));
            let result = batch::RunResult::unprepared(&order.run_id, error);
            println!("{}", serde_json::to_string(&result)?);
            return Err(e);
        }
    };
    let batch_size = prepared.manifest.request.batch as usize;
    if order.index >= batch_size {
        anyhow::bail!(
            "{}: index {} is outside the batch of {batch_size}",
            args.order.display(),
            order.index
        );
    }
    let result = batch::run_one(
        &prepared,
        &settings,
        order.index,
        &order.run_id,
        &batch::Silent,
    );
    println!("{}", serde_json::to_string(&result)?);
    Ok(if result.status == RunStatus::Completed {
        0
    } else {
        EXIT_SOME_FAILED
    })
}

pub fn render(models: Models, args: &RenderArgs) -> Result<Outcome> {
    let started = Instant::now();
    let (prepared, settings) = prepare(models, &args.manifest, &args.run)?;
    let out_dir = prepared.manifest.output_dir.clone();
    let batch_size = prepared.manifest.request.batch as usize;
    let bars = Bars::new(batch_size, !args.json && std::io::stderr().is_terminal());
    let summary = batch::run(&prepared, &settings, &bars);
    bars.finish();
    let results_path = out_dir.join("results.json");
    batch::write_json_atomic(&results_path, &summary)
        .with_context(|| format!("writing {}", results_path.display()))?;

    let songs = summary.songs;
    eprintln!(
        "songs: {} analysed once each for {} videos ({} transcribed, {} from the cache, {} failed)",
        songs.transcribed + songs.cached + songs.failed,
        summary.runs.len(),
        songs.transcribed,
        songs.cached,
        songs.failed
    );
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print_table(&summary, &results_path, started.elapsed());
    }
    Ok(Outcome {
        total: summary.runs.len(),
        completed: summary.completed(),
    })
}

pub fn still(models: Models, args: &StillArgs) -> Result<Vec<PathBuf>> {
    let (prepared, settings) = prepare(models, &args.manifest, &args.run)?;
    let mut written = Vec::new();
    let mut failed = 0;
    for (i, r) in batch::stills(&prepared, &settings, &batch::Silent)
        .into_iter()
        .enumerate()
    {
        match r {
            Ok(path) => {
                println!("{}", path.display());
                written.push(path);
            }
            Err(e) => {
                eprintln!("video {}: {e}", i + 1);
                failed += 1;
            }
        }
    }
    if written.is_empty() && failed > 0 {
        anyhow::bail!("no still could be made");
    }
    Ok(written)
}

fn print_table(summary: &batch::BatchSummary, results: &Path, elapsed: Duration) {
    println!(
        "{:<3} {:<22} {:<10} {:<18} {:>7}  video / error",
        "#", "run", "status", "song", "clip"
    );
    for (i, r) in summary.runs.iter().enumerate() {
        let status = match r.status {
            RunStatus::Completed => "completed",
            RunStatus::Failed => "FAILED",
        };
        let clip = match (r.audio.start_seconds, r.audio.duration_seconds) {
            (Some(s), Some(d)) => format!("{s:.1}+{d:.0}s"),
            _ => "-".into(),
        };
        let detail = r.video_url.clone().or(r.error.clone()).unwrap_or_default();
        println!(
            "{:<3} {:<22} {:<10} {:<18} {:>7}  {}",
            i + 1,
            r.run_id,
            status,
            truncate(&r.audio.song_title, 18),
            clip,
            detail
        );
    }
    // What the runs' subjects warn of, once each (a batch shares its face guide).
    let mut warnings: Vec<&String> = Vec::new();
    for subject in summary.runs.iter().filter_map(|r| r.subject.as_ref()) {
        for w in &subject.warnings {
            if !warnings.contains(&w) {
                warnings.push(w);
            }
        }
    }
    for w in warnings {
        println!("warning   {w}");
    }
    println!(
        "{} of {} videos completed in {:.1} s; results in {}",
        summary.completed(),
        summary.runs.len(),
        elapsed.as_secs_f64(),
        results.display()
    );
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).chain(['…']).collect()
    }
}

/// One progress bar per video; drawn only on a terminal.
struct Bars {
    _multi: MultiProgress,
    bars: Vec<ProgressBar>,
}

impl Bars {
    fn new(n: usize, visible: bool) -> Bars {
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let multi = MultiProgress::with_draw_target(target);
        let style = ProgressStyle::with_template(
            "video {prefix:>2} {bar:30.cyan/blue} {percent:>3}% {msg}",
        )
        .expect("a valid template")
        .progress_chars("=> ");
        let bars = (0..n)
            .map(|i| {
                let bar = multi.add(ProgressBar::new(100));
                bar.set_style(style.clone());
                bar.set_prefix(format!("{}", i + 1));
                bar.enable_steady_tick(Duration::from_millis(200));
                bar
            })
            .collect();
        Bars {
            _multi: multi,
            bars,
        }
    }

    fn finish(&self) {
        for b in &self.bars {
            b.finish();
        }
    }
}

impl Observer for Bars {
    fn stage(&self, index: usize, stage: Stage, fraction: f32) {
        let Some(bar) = self.bars.get(index) else {
            return;
        };
        // Analysis and composition are the first tenth; encoding the rest.
        let pos = match stage {
            Stage::Queued => 0.0,
            Stage::Analyzing => 2.0,
            Stage::Composing => 8.0,
            Stage::Encoding => 10.0 + 90.0 * fraction,
            Stage::Done | Stage::Failed => 100.0,
        };
        bar.set_position(pos as u64);
        bar.set_message(stage.label());
    }
}

pub fn clip(args: &ClipArgs) -> Result<()> {
    let started = Instant::now();
    let (width, height) = args.size.dimensions();
    let movement = args.movement.0;
    let spec = reelforge::render::ClipSpec {
        image: args.image.clone(),
        audio: args.audio.clone(),
        start: args.start,
        duration: args.duration,
        caption: args.caption.clone(),
        movement,
        strength: args.strength.clamp(0.0, 1.0),
        pulse: args.pulse,
        encode: reelforge::encode::EncodeSettings {
            width,
            height,
            preset: args.preset.0.to_string(),
            crf: args.crf,
            threads: args.x264_threads.map_or(0, usize::from),
            ..Default::default()
        },
        out: args.out.clone(),
    };
    let stats = reelforge::render::render_clip(&spec)?;
    eprintln!(
        "{}: {} frames, {:.2} s, {} KB in {:.2} s",
        args.out.display(),
        stats.frames,
        stats.video_seconds,
        stats.bytes / 1024,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// On Ctrl-C or SIGTERM, removes the half-written videos and download folders of this process
/// (see `reelforge::scratch`) and exits 130 or 143, as a shell reports those signals.
pub fn clean_up_on_interrupt() {
    let spawned = std::thread::Builder::new()
        .name("interrupt".into())
        .spawn(|| {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build()
            else {
                return;
            };
            let code = runtime.block_on(async {
                let Ok(mut term) =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                else {
                    return None;
                };
                tokio::select! {
                    r = tokio::signal::ctrl_c() => r.ok().map(|()| 130),
                    _ = term.recv() => Some(143),
                }
            });
            if let Some(code) = code {
                let removed = reelforge::scratch::remove_all();
                eprintln!("interrupted: removed {removed} unfinished file(s) and folder(s)");
                std::process::exit(code);
            }
        });
    if let Err(e) = spawned {
        eprintln!("warning: cannot watch for interrupts ({e}); an interrupt may leave .part files");
    }
}
