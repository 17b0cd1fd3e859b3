//! `reelforge serve` and `reelforge worker`: the seeds' HTTP API over the render pipeline.
//! Runs are stored (SQLite in the data folder, or PostgreSQL shared by several nodes) before
//! they are acknowledged, claimed under a lease by a bounded pool of workers (one child process
//! per run), published to storage (a folder or S3), served under /files, and reported to a
//! callback that posts into Slack. A [`Server`] takes requests (and renders, unless it has no
//! workers); a [`Node`] only renders.

pub(crate) mod api;
pub mod auth;
pub mod callback;
pub mod config;
mod connections;
pub(crate) mod disk;
mod error;
mod files;
mod notify;
pub(crate) mod poller;
pub mod slack;
pub mod storage;
pub mod store;
mod worker;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::{watch, Notify};

pub use config::Config;
pub use connections::ConnectionLimits;
use storage::Storage;
use store::{Lease, Store, StoreError};

use crate::template::{TemplateError, Templates};

/// Why the service cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("data folder {path}: {source}")]
    Data {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("artists folder {0} is not a readable folder")]
    Artists(String),
    #[error(transparent)]
    Storage(#[from] storage::StorageError),
    #[error(
        "--workers 0 makes an API-only node, and runs in a SQLite store can be rendered only by \
         this server: give --database postgres://… so that `reelforge worker` nodes render them"
    )]
    NoRenderers,
    #[error("a render node needs a store other nodes share: give --database postgres://…")]
    NotShared,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("templates: {0}")]
    Templates(#[from] TemplateError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the public URL {0:?} is not an absolute http(s) URL")]
    PublicUrl(String),
    #[error("listening on {0}, which clients cannot use in video URLs: give --public-url")]
    NoPublicUrl(SocketAddr),
    #[error("Slack client: {0}")]
    Slack(String),
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
}

/// What every handler and task shares.
pub struct App {
    pub config: Config,
    pub store: Store,
    pub templates: Templates,
    /// Base of videoUrl, without a trailing slash.
    pub public_url: String,
    /// Published videos, served under /files.
    pub storage: Storage,
    /// One folder per run in progress.
    pub work_dir: PathBuf,
    /// Woken when runs are queued.
    pub wake: Notify,
    pub slack: Option<slack::SlackClient>,
    /// Runs executing now, each with the signal that stops it when its batch is reported as
    /// timed out.
    pub running: std::sync::Mutex<std::collections::HashMap<String, Arc<Notify>>>,
    /// One callback delivery at a time, so a thread is never reported twice.
    pub deliveries: tokio::sync::Mutex<()>,
    /// This node's name on the runs, callbacks and threads it claims.
    pub lease: Lease,
}

impl App {
    /// Opens what every node needs: the folders, the run store (recovering runs a stop left
    /// executing) and the Slack client.
    fn open(config: Config, templates: Templates, public_url: String) -> Result<App, ServeError> {
        if !config.artists.is_dir() {
            return Err(ServeError::Artists(config.artists.display().to_string()));
        }
        let data_err = |source| ServeError::Data {
            path: config.data.display().to_string(),
            source,
        };
        let work_dir = config.data.join("work");
        // Nothing is executing yet: whatever is in work/ is left from a stop.
        let _ = std::fs::remove_dir_all(&work_dir);
        for dir in [&config.data, &work_dir] {
            std::fs::create_dir_all(dir).map_err(data_err)?;
        }
        let storage = Storage::open(&config.storage_location(), &config.s3_settings)?;
        let database = config.database();
        let store = Store::open(&database)?;
        let (requeued, crashed) = store.recover()?;
        if requeued + crashed > 0 {
            tracing::warn!(requeued, crashed, "recovered runs left executing by a stop");
        }
        let slack = match &config.slack {
            Some(s) => Some(
                slack::SlackClient::new(
                    &s.api_url,
                    s.token.clone(),
                    std::time::Duration::from_secs(60),
                )
                .map_err(|e| ServeError::Slack(e.to_string()))?,
            ),
            None => None,
        };
        let lease = Lease::for_this_node(config.lease);
        tracing::info!(node = %lease.node, store = %database, storage = %storage.location(), "node started");
        Ok(App {
            config,
            store,
            templates,
            public_url,
            storage,
            work_dir,
            wake: Notify::new(),
            slack,
            running: Default::default(),
            deliveries: tokio::sync::Mutex::new(()),
            lease,
        })
    }

    /// Starts the configured number of workers on `tasks`.
    fn spawn_workers(
        self: &Arc<Self>,
        tasks: &mut tokio::task::JoinSet<()>,
        shutdown: &watch::Receiver<bool>,
    ) {
        for _ in 0..self.config.workers {
            tasks.spawn(worker::work(self.clone(), shutdown.clone()));
        }
    }

    /// Free space in the data folder against the configured reserve.
    pub fn disk_space(&self) -> std::io::Result<disk::DiskSpace> {
        disk::DiskSpace::of(&self.config.data, self.config.min_free_bytes)
    }

    /// Runs a store call off the async threads.
    pub async fn db<T, F>(self: &Arc<Self>, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        let app = self.clone();
        tokio::task::spawn_blocking(move || f(&app.store))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }
}

/// A bound server, ready to run.
pub struct Server {
    app: Arc<App>,
    listener: tokio::net::TcpListener,
}

impl Server {
    /// Checks the configuration, opens the store (recovering runs a crash left executing) and
    /// binds the listening socket.
    pub async fn bind(config: Config, templates: Templates) -> Result<Server, ServeError> {
        if config.workers == 0 && !config.database().is_shared() {
            return Err(ServeError::NoRenderers);
        }
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| ServeError::Listen {
                addr: config.listen,
                source,
            })?;
        let local = listener.local_addr()?;
        let public_url = match &config.public_url {
            Some(u) => {
                let parsed =
                    reqwest::Url::parse(u).map_err(|_| ServeError::PublicUrl(u.clone()))?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(ServeError::PublicUrl(u.clone()));
                }
                u.trim_end_matches('/').to_string()
            }
            // 0.0.0.0 or :: is no address a client can use.
            None if local.ip().is_unspecified() => return Err(ServeError::NoPublicUrl(local)),
            None => format!("http://{local}"),
        };
        let mut config = config;
        if let Some(cb) = &mut config.callback {
            // The default callback is this server's own endpoint.
            if cb.url.is_empty() {
                cb.url = format!("http://{local}/api/content-agent/callback");
            }
        }
        let app = Arc::new(open_blocking(config, templates, public_url).await?);
        Ok(Server { app, listener })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `stop` completes, then stops taking requests, lets runs in progress finish
    /// within the grace period (re-queueing the rest) and returns.
    pub async fn run(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let app = self.app;
        let (tx, rx) = watch::channel(false);
        let mut tasks = tokio::task::JoinSet::new();
        app.spawn_workers(&mut tasks, &rx);
        tasks.spawn(poller::poll(app.clone(), rx.clone()));
        let server = connections::serve(
            self.listener,
            router(app.clone()),
            app.config.connections,
            rx.clone(),
        );
        tokio::spawn(async move {
            stop.await;
            tracing::info!("shutting down: finishing runs in progress");
            let _ = tx.send(true);
        });
        // Open connections (a long /files download) get as long as running renders, and a
        // little more, before they are dropped.
        let mut drain_stop = rx.clone();
        let drain_limit = app.config.shutdown_grace + std::time::Duration::from_secs(5);
        tokio::select! {
            () = server => {}
            _ = async {
                let _ = drain_stop.wait_for(|s| *s).await;
                tokio::time::sleep(drain_limit).await;
            } => tracing::warn!("closing connections still open after the grace period"),
        }
        while tasks.join_next().await.is_some() {}
        tracing::info!("stopped");
        Ok(())
    }
}

/// A render node: workers and no HTTP (`reelforge worker`).
pub struct Node {
    app: Arc<App>,
}

impl Node {
    /// Opens the shared store and the folders.
    pub async fn open(config: Config, templates: Templates) -> Result<Node, ServeError> {
        if !config.database().is_shared() {
            return Err(ServeError::NotShared);
        }
        // Videos are published under /files/ of whichever API node answers.
        let app = open_blocking(config, templates, String::new()).await?;
        Ok(Node { app: Arc::new(app) })
    }

    /// This node's name on the runs it claims.
    pub fn name(&self) -> &str {
        &self.app.lease.node
    }

    /// Renders queued runs until `stop` completes, then lets runs in progress finish within
    /// the grace period (re-queueing the rest) and returns.
    pub async fn run(self, stop: impl Future<Output = ()> + Send + 'static) {
        let app = self.app;
        let (tx, rx) = watch::channel(false);
        let mut tasks = tokio::task::JoinSet::new();
        app.spawn_workers(&mut tasks, &rx);
        tokio::spawn(async move {
            stop.await;
            tracing::info!("shutting down: finishing runs in progress");
            let _ = tx.send(true);
        });
        while tasks.join_next().await.is_some() {}
        tracing::info!("stopped");
    }
}

/// [`App::open`] off the async threads: opening a store connects and migrates, and blocks.
async fn open_blocking(
    config: Config,
    templates: Templates,
    public_url: String,
) -> Result<App, ServeError> {
    tokio::task::spawn_blocking(move || App::open(config, templates, public_url))
        .await
        .map_err(|e| ServeError::Store(StoreError::Task(e.to_string())))?
}

/// The routes.
pub fn router(app: Arc<App>) -> Router {
    let limit = app.config.body_limit;
    Router::new()
        .route("/api/content/create", post(api::create))
        .route("/api/tasks/runs", get(api::runs))
        .route("/api/content/templates", get(api::templates))
        .route("/api/content/templates/{id}", get(api::template))
        .route("/api/content/validate", get(api::validate))
        .route("/api/content-agent/callback", post(notify::callback))
        .route("/health", get(api::health))
        .route("/openapi.json", get(api::openapi))
        .route(&format!("{}{{name}}", files::PREFIX), get(files::file))
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .with_state(app)
}
