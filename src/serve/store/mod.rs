//! The run store: batches, runs and callback deliveries, kept before the API acknowledges them
//! so that they survive a crash. One interface ([`Backend`]), two implementations: SQLite in
//! the data folder (the embedded default; one server per file) and PostgreSQL (shared by
//! several API and render nodes).
//!
//! Runs are claimed with a lease: the node rendering a run renews it while it works, and a run
//! whose lease ran out goes back to the queue (or is CRASHED after [`MAX_ATTEMPTS`]), so a dead
//! node loses nothing and a run is never finished by two nodes.

mod postgres;
mod sqlite;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("run store {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("run store {path}: cannot make it private: {source}")]
    Private {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "run store {path} is damaged ({reason}); the server will not start on it. Stop every \
         server using it, then restore it from a backup, or move it (and its -wal and -shm \
         files) aside to start with an empty history"
    )]
    Damaged { path: String, reason: String },
    #[error(
        "run store {path} has schema version {found}, newer than this reelforge's {supported}: \
         run the reelforge that wrote it, or a newer one"
    )]
    NewerSchema {
        path: String,
        found: i64,
        supported: i64,
    },
    #[error("run store: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("run store: {0}")]
    Postgres(#[from] ::postgres::Error),
    /// `url` is shown without its password.
    #[error("run store {url}: cannot connect: {source}")]
    Connect {
        url: String,
        #[source]
        source: r2d2::Error,
    },
    #[error(
        "database {0:?} is not a PostgreSQL URL (postgres://user:password@host:port/database) \
         or a path to a SQLite file"
    )]
    BadUrl(String),
    #[error("callback thread {0} is already used by another batch")]
    ThreadInUse(String),
    /// The blocking task that ran the query panicked or was cancelled.
    #[error("run store task failed: {0}")]
    Task(String),
}

impl StoreError {
    /// Whether the database could not write because its disk is full.
    pub fn is_disk_full(&self) -> bool {
        match self {
            StoreError::Sql(rusqlite::Error::SqliteFailure(e, _)) => {
                e.code == rusqlite::ErrorCode::DiskFull
            }
            StoreError::Postgres(e) => e.code() == Some(&::postgres::error::SqlState::DISK_FULL),
            _ => false,
        }
    }
}

/// Where the run store lives, from `--database` / `REELFORGE_DATABASE` or the data folder.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    Sqlite(PathBuf),
    /// A `postgres://` or `postgresql://` URL.
    Postgres(String),
}

impl Database {
    /// Reads a `--database` value: a PostgreSQL URL, `sqlite:PATH`, or a path ending in `.db`.
    pub fn parse(s: &str) -> Result<Database, StoreError> {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            s.parse::<::postgres::Config>()
                .map_err(|_| StoreError::BadUrl(redact(s)))?;
            Ok(Database::Postgres(s.to_string()))
        } else if let Some(path) = s.strip_prefix("sqlite:") {
            Ok(Database::Sqlite(path.into()))
        } else if s.ends_with(".db") && !s.contains("://") {
            Ok(Database::Sqlite(s.into()))
        } else {
            Err(StoreError::BadUrl(redact(s)))
        }
    }

    /// The default: `runs.db` in the data folder.
    pub fn in_data(data: &Path) -> Database {
        Database::Sqlite(data.join("runs.db"))
    }

    /// Whether several nodes can share it (recovery then waits for leases to run out).
    pub fn is_shared(&self) -> bool {
        matches!(self, Database::Postgres(_))
    }
}

/// Shown in logs and errors: never the password.
impl std::fmt::Display for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(path) => write!(f, "{}", path.display()),
            Database::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Database({self})")
    }
}

/// A URL with the password in its user part replaced by `***`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = match userinfo.split_once(':') {
                Some((name, _)) => format!("{name}:***"),
                None => userinfo.to_string(),
            };
            format!("{scheme}://{user}@{host}{tail}")
        }
        None => url.to_string(),
    }
}

/// A run's state, as the API reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    Queued,
    Executing,
    Completed,
    Failed,
    Canceled,
    Crashed,
    TimedOut,
}

impl RunState {
    pub const ALL: [RunState; 7] = [
        RunState::Queued,
        RunState::Executing,
        RunState::Completed,
        RunState::Failed,
        RunState::Canceled,
        RunState::Crashed,
        RunState::TimedOut,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Queued => "QUEUED",
            RunState::Executing => "EXECUTING",
            RunState::Completed => "COMPLETED",
            RunState::Failed => "FAILED",
            RunState::Canceled => "CANCELED",
            RunState::Crashed => "CRASHED",
            RunState::TimedOut => "TIMED_OUT",
        }
    }

    fn parse(s: &str) -> RunState {
        RunState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .unwrap_or(RunState::Crashed)
    }

    /// True once the run will not change again.
    pub fn is_final(self) -> bool {
        !matches!(self, RunState::Queued | RunState::Executing)
    }
}

/// How many times a run may start: once, and once more after a crash.
pub const MAX_ATTEMPTS: i64 = 2;

/// What a run that crashed twice is told, by the recovery of a restarted server or by the
/// node that found its lease run out.
const CRASHED_TWICE: &str = "the renderer stopped while this run was executing, twice";

/// A node's hold on the runs it claims: who it is and how long a claim lasts unrenewed.
#[derive(Debug, Clone)]
pub struct Lease {
    pub node: String,
    pub length: Duration,
}

impl Lease {
    /// A lease for a node named after this host and process, unique per start.
    pub fn for_this_node(length: Duration) -> Lease {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "node".into());
        Lease {
            node: format!(
                "{host}:{}:{}",
                std::process::id(),
                &crate::job::new_run_id()[4..10]
            ),
            length,
        }
    }

    /// When a claim or renewal made now runs out, in ms since the epoch.
    fn until(&self) -> i64 {
        now_ms() + self.length.as_millis() as i64
    }
}

/// A batch as the create endpoint accepted it.
#[derive(Debug, Clone)]
pub struct NewBatch {
    pub id: String,
    pub account_id: String,
    /// The validated create request, as JSON.
    pub request: String,
    pub seed: u64,
    pub callback_thread_id: Option<String>,
    pub artist_account_id: String,
    pub template: Option<String>,
    pub lipsync: bool,
    pub run_ids: Vec<String>,
}

impl NewBatch {
    fn callback_state(&self) -> &'static str {
        if self.callback_thread_id.is_some() {
            "pending"
        } else {
            "none"
        }
    }
}

/// One run, as stored.
#[derive(Debug, Clone)]
pub struct RunRow {
    pub id: String,
    pub batch_id: String,
    pub index: usize,
    pub account_id: String,
    pub artist_account_id: String,
    pub template: Option<String>,
    pub lipsync: bool,
    pub state: RunState,
    pub attempts: i64,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    /// The run's result JSON when it finished with one.
    pub output: Option<String>,
    /// What callers are told: no server paths.
    pub error: Option<String>,
    /// The failure's stable code (`song_unusable`, `timed_out`, …).
    pub error_code: Option<String>,
}

/// A run a worker has claimed, with what it needs to execute it.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub run: RunRow,
    pub request: String,
    pub seed: u64,
}

/// A batch whose results are to be posted to the callback.
#[derive(Debug, Clone)]
pub struct PendingCallback {
    pub batch_id: String,
    pub thread_id: String,
    pub created_at: i64,
    pub attempts: i64,
}

/// How a callback delivery went: delivered, or failed with the time of the next try (`None`
/// gives up).
pub type Delivery<'a> = Result<(), (&'a str, Option<i64>)>;

const RUN_COLUMNS: &str = "runs.id, runs.batch_id, runs.idx, runs.account_id, \
     runs.artist_account_id, runs.template, runs.lipsync, runs.status, runs.attempts, \
     runs.created_at, runs.started_at, runs.finished_at, runs.output, runs.error, \
     runs.error_code";

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// What the service asks of a run store. Every call is one transaction; the calls block, so
/// async code runs them on the blocking pool (`App::db`).
pub trait Backend: Send + Sync {
    /// Stores a batch and its runs, all QUEUED, in one transaction.
    fn create_batch(&self, b: &NewBatch) -> Result<(), StoreError>;

    /// Marks the oldest queued run EXECUTING under `lease` (one more attempt) and returns it.
    /// Two nodes never claim the same run.
    fn claim_next(&self, lease: &Lease) -> Result<Option<Claimed>, StoreError>;

    /// Extends the lease on a run this node is executing; false when the run is no longer
    /// this node's (its lease ran out and another node re-queued it).
    fn renew(&self, run_id: &str, lease: &Lease) -> Result<bool, StoreError>;

    /// Records how a run this node is executing ended. A run that is no longer EXECUTING
    /// under this node's lease is left alone; returns whether the row changed.
    fn finish(
        &self,
        run_id: &str,
        node: &str,
        state: RunState,
        output: Option<&str>,
        error: Option<(&str, &str)>,
    ) -> Result<bool, StoreError>;

    /// Puts a run this node is executing back in the queue without counting the attempt (a
    /// graceful shutdown interrupted it).
    fn requeue(&self, run_id: &str, node: &str) -> Result<(), StoreError>;

    /// At start-up: runs a previous start left EXECUTING go back to the queue once; a run that
    /// was already retried is marked CRASHED. A shared store recovers only runs whose lease ran
    /// out (the others belong to live nodes). Returns (requeued, crashed).
    fn recover(&self) -> Result<(usize, usize), StoreError>;

    /// Runs whose lease ran out (their node stopped renewing) go back to the queue, or are
    /// CRASHED after the last attempt. Returns (requeued, crashed).
    fn expire_leases(&self) -> Result<(usize, usize), StoreError>;

    /// A batch's runs that never started, given up on: its callback timeout has passed.
    fn time_out_queued(&self, batch_id: &str, error: &str) -> Result<usize, StoreError>;

    fn run(&self, run_id: &str) -> Result<Option<RunRow>, StoreError>;

    /// An account's most recent runs, newest first.
    fn runs_of_account(&self, account_id: &str, limit: usize) -> Result<Vec<RunRow>, StoreError>;

    fn runs_of_batch(&self, batch_id: &str) -> Result<Vec<RunRow>, StoreError>;

    /// (queued, executing) run counts.
    fn counts(&self) -> Result<(u64, u64), StoreError>;

    /// Batches with a callback thread whose next delivery attempt is due and that no other
    /// node is delivering.
    fn callbacks_due(&self, now: i64) -> Result<Vec<PendingCallback>, StoreError>;

    /// Takes the delivery of a due callback for `lease`; false when another node has it.
    fn claim_callback(&self, batch_id: &str, lease: &Lease) -> Result<bool, StoreError>;

    /// Records a callback delivery (and lets go of its claim).
    fn callback_attempted(&self, batch_id: &str, outcome: Delivery<'_>) -> Result<(), StoreError>;

    /// The callback state of a batch: (state, attempts, last error).
    fn callback_state(
        &self,
        batch_id: &str,
    ) -> Result<Option<(String, i64, Option<String>)>, StoreError>;

    /// True when a Slack thread was already reported.
    fn thread_reported(&self, thread_id: &str) -> Result<bool, StoreError>;

    /// Takes the report of a Slack thread for `lease`: false when it was reported already or
    /// another node is reporting it now.
    fn claim_thread(&self, thread_id: &str, lease: &Lease) -> Result<bool, StoreError>;

    /// How many of a thread's posts are already in it.
    fn posted(&self, thread_id: &str) -> Result<usize, StoreError>;

    fn set_posted(&self, thread_id: &str, posted: usize) -> Result<(), StoreError>;

    fn mark_thread_reported(&self, thread_id: &str, status: &str) -> Result<(), StoreError>;
}

/// The run store the service uses, whichever backend holds it.
pub struct Store {
    backend: Box<dyn Backend>,
    database: Database,
}

impl Store {
    /// Opens (creating and migrating if needed) the store at `database`.
    pub fn open(database: &Database) -> Result<Store, StoreError> {
        let backend: Box<dyn Backend> = match database {
            Database::Sqlite(path) => Box::new(sqlite::Sqlite::open(path)?),
            Database::Postgres(url) => Box::new(postgres::Postgres::open(url)?),
        };
        Ok(Store {
            backend,
            database: database.clone(),
        })
    }

    /// Opens the SQLite file at `path`.
    pub fn open_file(path: &Path) -> Result<Store, StoreError> {
        Store::open(&Database::Sqlite(path.to_path_buf()))
    }

    pub fn database(&self) -> &Database {
        &self.database
    }
}

impl std::ops::Deref for Store {
    type Target = dyn Backend;

    fn deref(&self) -> &(dyn Backend + 'static) {
        &*self.backend
    }
}

#[cfg(test)]
mod tests;
