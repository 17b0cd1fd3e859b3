//! `reelforge serve` and `reelforge api-key`: configuration from flags and environment, then
//! the library's server on a tokio runtime.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use reelforge::job::RenderOptions;
use reelforge::serve::auth::{hash_key, new_key, ApiKeys};
use reelforge::serve::config::{CallbackTarget, Config, RenderConfig, SlackConfig};
use reelforge::serve::store::Database;
use reelforge::serve::{Node, Server};
use reelforge::template::Templates;
use secrecy::{ExposeSecret, SecretString};

use crate::args::{ApiKeyCommand, Models, NodeArgs, ServeArgs, WorkerArgs};

/// A secret from the environment: unset and empty are the same.
fn secret(name: &str) -> Option<SecretString> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(SecretString::from)
}

/// Resolves the command line and environment into the server's configuration.
fn config(models: Models, args: &ServeArgs) -> Result<Config> {
    let mut keys = ApiKeys::default();
    if let Some(file) = &args.api_keys_file {
        keys.add_file(file)?;
    }
    if let Some(list) = secret("REELFORGE_API_KEYS") {
        keys.add_plain_list("REELFORGE_API_KEYS", list.expose_secret())?;
    }
    if keys.is_empty() {
        bail!(
            "no API keys: give --api-keys-file FILE or REELFORGE_API_KEYS=\"account=key,…\" \
             (`reelforge api-key new ACCOUNT` makes one)"
        );
    }
    let callback_secret = secret("REELFORGE_CALLBACK_SECRET");
    let callback = match (&args.callback_url, &callback_secret) {
        (Some(url), Some(secret)) => Some(CallbackTarget {
            url: url.clone(),
            secret: secret.clone(),
        }),
        // Empty: the server's own endpoint, known once it is bound.
        (None, Some(secret)) => Some(CallbackTarget {
            url: String::new(),
            secret: secret.clone(),
        }),
        (Some(_), None) => bail!("--callback-url needs REELFORGE_CALLBACK_SECRET"),
        (None, None) => None,
    };
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let workers = args.workers.map_or(cores, usize::from);
    let render = render_config(models, &args.node, workers)?;
    let mut config = Config::new(
        args.artists.clone(),
        args.data.clone(),
        render.program.clone(),
    );
    config.listen = args.listen;
    config.public_url = args.public_url.clone();
    config.api_keys = keys;
    config.workers = workers;
    config.run_timeout = Duration::from_secs_f64(args.run_timeout);
    config.database = args
        .store
        .database
        .as_deref()
        .map(Database::parse)
        .transpose()?;
    config.storage = args.store.storage.clone();
    config.s3_settings = s3_settings();
    config.lease = Duration::from_secs_f64(args.store.lease);
    config.callback = callback;
    config.callback_timeout = Duration::from_secs_f64(args.callback_timeout);
    config.poll_interval = Duration::from_secs_f64(args.poll_interval);
    config.callback_secret = callback_secret;
    config.slack = secret("REELFORGE_SLACK_TOKEN").map(|token| SlackConfig {
        api_url: args.slack_api_url.clone(),
        token,
    });
    config.allow_private_urls = args.node.allow_private_urls;
    config.body_limit = args.body_limit;
    config.min_free_bytes = args.min_free_mb.saturating_mul(1024 * 1024);
    config.connections = reelforge::serve::ConnectionLimits {
        header_timeout: Duration::from_secs_f64(args.header_timeout),
        body_timeout: Duration::from_secs_f64(args.body_timeout),
        max_connections: args.max_connections as usize,
    };
    config.shutdown_grace = Duration::from_secs_f64(args.shutdown_grace);
    config.render = render;
    Ok(config)
}

/// How this node renders runs: the models (checked now, since a node without them would take
/// runs only to fail each one) and the renderer's options.
fn render_config(models: Models, node: &NodeArgs, workers: usize) -> Result<RenderConfig> {
    let model = crate::locations().existing_model(models.whisper)?;
    reelforge::model::inspect_file(&model)?;
    let vision = crate::locations().vision_models(node.vision_models.as_deref());
    for file in reelforge::subject::models::ALL {
        reelforge::subject::models::read_checked(&vision, &file)?;
    }
    // Songs in other languages need a multilingual model: the main one, or the one beside it.
    let multilingual = reelforge::transcribe::language::model_for(
        Some(&reelforge::transcribe::Language::Detect),
        &model,
        &crate::locations().multilingual_model(models.multilingual),
    )
    .ok();
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    Ok(RenderConfig {
        program: std::env::current_exe().context("locating the reelforge program")?,
        options: RenderOptions {
            model: Some(model),
            multilingual_model: multilingual,
            vision_models: Some(vision),
            cache: (!node.no_cache).then(|| crate::locations().cache(node.cache.as_deref())),
            assets: node.assets.clone(),
            preset: node.preset.0.to_string(),
            x264_threads: node
                .x264_threads
                .map_or((cores / workers.max(1)).max(1), usize::from),
        },
    })
}

/// The object storage's settings: every AWS_* variable, by the names the S3 client knows.
fn s3_settings() -> Vec<(String, String)> {
    std::env::vars()
        .filter(|(name, _)| name.starts_with("AWS_"))
        .collect()
}

/// Logs to stderr, at REELFORGE_LOG's level (info by default).
fn init_log() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("REELFORGE_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

pub fn serve(models: Models, args: &ServeArgs) -> Result<()> {
    init_log();
    let config = config(models, args)?;
    let assets = crate::locations().assets(args.node.assets.as_deref());
    let templates = Templates::load(&assets.join("templates"))?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let server = Server::bind(config, templates).await?;
        let addr = server.local_addr()?;
        // The first line on stdout says where to connect (port 0 picks one).
        println!("listening on http://{addr}");
        std::io::stdout().flush()?;
        server.run(stop_signal()).await?;
        Ok(())
    })
}

pub fn worker(models: Models, args: &WorkerArgs) -> Result<()> {
    init_log();
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let workers = args.workers.map_or(cores, usize::from);
    let render = render_config(models, &args.node, workers)?;
    // Without --data, runs in progress go to a folder of this process's own.
    let mut scratch = None;
    let data = match &args.data {
        Some(dir) => dir.clone(),
        None => scratch
            .insert(
                tempfile::Builder::new()
                    .prefix("reelforge-worker-")
                    .tempdir()?,
            )
            .path()
            .to_path_buf(),
    };
    let mut config = Config::new(args.artists.clone(), data, render.program.clone());
    let database = Database::parse(&args.database)?;
    config.database = Some(database.clone());
    config.storage = Some(args.storage.clone());
    config.s3_settings = s3_settings();
    config.lease = Duration::from_secs_f64(args.lease);
    config.workers = workers;
    config.run_timeout = Duration::from_secs_f64(args.run_timeout);
    config.shutdown_grace = Duration::from_secs_f64(args.shutdown_grace);
    config.allow_private_urls = args.node.allow_private_urls;
    config.render = render;
    let assets = crate::locations().assets(args.node.assets.as_deref());
    let templates = Templates::load(&assets.join("templates"))?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let node = Node::open(config, templates).await?;
        // The first line on stdout names the node, as serve's says where it listens.
        println!("worker {} rendering from {database}", node.name());
        std::io::stdout().flush()?;
        node.run(stop_signal()).await;
        anyhow::Ok(())
    })?;
    drop(scratch);
    Ok(())
}

/// Ctrl-C or SIGTERM.
async fn stop_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

pub fn api_key(command: &ApiKeyCommand) -> Result<()> {
    match command {
        ApiKeyCommand::New { account } => {
            // Checked and lower-cased by the argument parser.
            let key = new_key();
            println!("key: {key}");
            println!("keys file line: {account} {}", hash_key(&key));
        }
        ApiKeyCommand::Hash => {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            if line.trim().is_empty() {
                bail!("no key on standard input");
            }
            println!("{}", hash_key(&line));
        }
    }
    Ok(())
}
