//! The service's resolved configuration. The binary builds it from flags and environment.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;

use super::auth::ApiKeys;
use super::storage::StorageLocation;
use super::store::Database;
use crate::job::RenderOptions;

/// The service's defaults, in one place: the command's flags and [`Config::new`] both take
/// them from here.
pub mod defaults {
    pub const LISTEN: &str = "127.0.0.1:8080";
    pub const RUN_TIMEOUT_SECS: f64 = 1800.0;
    pub const CALLBACK_TIMEOUT_SECS: f64 = 1800.0;
    pub const POLL_INTERVAL_SECS: f64 = 2.0;
    pub const SLACK_API_URL: &str = "https://slack.com/api";
    pub const BODY_LIMIT_BYTES: usize = 1 << 20;
    pub const HEADER_TIMEOUT_SECS: f64 = 30.0;
    pub const BODY_TIMEOUT_SECS: f64 = 30.0;
    pub const MIN_FREE_MIB: u64 = 512;
    pub const MAX_CONNECTIONS: u32 = 512;
    pub const SHUTDOWN_GRACE_SECS: f64 = 10.0;
    /// How long a claimed run stays a node's without a renewal (renewed every third of it).
    pub const LEASE_SECS: f64 = 30.0;
    /// The x264 preset of every render.
    pub const PRESET: &str = "veryfast";
}

/// Where finished batches are reported.
#[derive(Clone)]
pub struct CallbackTarget {
    pub url: String,
    pub secret: SecretString,
}

/// The Slack Web API the callback endpoint posts through.
#[derive(Clone)]
pub struct SlackConfig {
    /// e.g. https://slack.com/api
    pub api_url: String,
    pub token: SecretString,
}

/// How a worker renders a run: the program, and the options every run order carries.
#[derive(Debug, Clone)]
pub struct RenderConfig {
    /// The reelforge binary that renders one run per process.
    pub program: PathBuf,
    pub options: RenderOptions,
}

#[derive(Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub artists: PathBuf,
    /// Holds runs.db, files/ (published videos) and work/ (runs in progress).
    pub data: PathBuf,
    /// The run store; None: runs.db in the data folder.
    pub database: Option<Database>,
    /// Where finished videos are published and served from; None: files/ in the data folder.
    pub storage: Option<StorageLocation>,
    /// `AWS_*` settings for S3 storage (endpoint, region, credentials), from the environment.
    pub s3_settings: Vec<(String, String)>,
    /// How long a claimed run stays this node's without a renewal.
    pub lease: Duration,
    /// Absolute base for videoUrl, e.g. https://videos.example.com; None: http://<listen>.
    pub public_url: Option<String>,
    pub api_keys: ApiKeys,
    /// Runs executed at once.
    pub workers: usize,
    pub run_timeout: Duration,
    /// Where the poller reports batches created with a callback thread.
    pub callback: Option<CallbackTarget>,
    /// How long the poller waits for a batch's runs before reporting a timeout.
    pub callback_timeout: Duration,
    pub poll_interval: Duration,
    /// The secret the callback endpoint expects; None turns the endpoint off.
    pub callback_secret: Option<SecretString>,
    pub slack: Option<SlackConfig>,
    pub allow_private_urls: bool,
    pub body_limit: usize,
    /// Free space the data folder keeps; below it, create answers 503.
    pub min_free_bytes: u64,
    /// Timeouts and the cap on open connections.
    pub connections: super::ConnectionLimits,
    /// How long a graceful shutdown waits for runs in progress before re-queueing them.
    pub shutdown_grace: Duration,
    pub render: RenderConfig,
}

impl Config {
    /// A configuration with the defaults for everything but the folders.
    pub fn new(artists: PathBuf, data: PathBuf, program: PathBuf) -> Config {
        Config {
            listen: defaults::LISTEN
                .parse()
                .expect("the default address parses"),
            artists,
            data,
            database: None,
            storage: None,
            s3_settings: Vec::new(),
            lease: Duration::from_secs_f64(defaults::LEASE_SECS),
            public_url: None,
            api_keys: ApiKeys::default(),
            workers: 1,
            run_timeout: Duration::from_secs_f64(defaults::RUN_TIMEOUT_SECS),
            callback: None,
            callback_timeout: Duration::from_secs_f64(defaults::CALLBACK_TIMEOUT_SECS),
            poll_interval: Duration::from_secs_f64(defaults::POLL_INTERVAL_SECS),
            callback_secret: None,
            slack: None,
            allow_private_urls: false,
            body_limit: defaults::BODY_LIMIT_BYTES,
            connections: super::ConnectionLimits::default(),
            min_free_bytes: defaults::MIN_FREE_MIB * 1024 * 1024,
            shutdown_grace: Duration::from_secs_f64(defaults::SHUTDOWN_GRACE_SECS),
            render: RenderConfig {
                program,
                options: RenderOptions {
                    model: None,
                    multilingual_model: None,
                    vision_models: None,
                    cache: None,
                    assets: None,
                    preset: defaults::PRESET.into(),
                    x264_threads: 1,
                },
            },
        }
    }
}

impl Config {
    /// The run store this configuration names.
    pub fn database(&self) -> Database {
        self.database
            .clone()
            .unwrap_or_else(|| Database::in_data(&self.data))
    }

    /// Where finished videos are published to.
    pub fn storage_location(&self) -> StorageLocation {
        self.storage
            .clone()
            .unwrap_or_else(|| StorageLocation::Folder(self.data.join("files")))
    }
}

// Secrets stay out of logs and panics.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("artists", &self.artists)
            .field("data", &self.data)
            .field("database", &self.database)
            .field("storage", &self.storage)
            .field("s3_settings", &self.s3_settings.len())
            .field("lease", &self.lease)
            .field("public_url", &self.public_url)
            .field("api_keys", &self.api_keys.len())
            .field("workers", &self.workers)
            .field("run_timeout", &self.run_timeout)
            .field("callback_url", &self.callback.as_ref().map(|c| &c.url))
            .field("callback_timeout", &self.callback_timeout)
            .field("callback_endpoint", &self.callback_secret.is_some())
            .field("slack_api", &self.slack.as_ref().map(|s| &s.api_url))
            .field("allow_private_urls", &self.allow_private_urls)
            .field("body_limit", &self.body_limit)
            .field("connections", &self.connections)
            .field("min_free_bytes", &self.min_free_bytes)
            .field("render", &self.render)
            .finish()
    }
}
