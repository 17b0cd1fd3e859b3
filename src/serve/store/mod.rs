//! The run store: batches, runs and callback deliveries in one SQLite file (WAL, synchronous
//! FULL), so that whatever the API has acknowledged survives a crash.

use std::path::Path;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension, Row};

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
    #[error("callback thread {0} is already used by another batch")]
    ThreadInUse(String),
    /// The blocking task that ran the query panicked or was cancelled.
    #[error("run store task failed: {0}")]
    Task(String),
}

impl StoreError {
    /// Whether SQLite could not write because the disk is full.
    pub fn is_disk_full(&self) -> bool {
        matches!(
            self,
            StoreError::Sql(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DiskFull
        )
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

/// Bumped with every change to [`SCHEMA`]; a store written by a newer schema is refused.
/// 2: runs.error_code.
const SCHEMA_VERSION: i64 = 2;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS batches (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    request TEXT NOT NULL,
    seed INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    callback_thread_id TEXT,
    -- none | pending | delivered | abandoned
    callback_state TEXT NOT NULL,
    callback_attempts INTEGER NOT NULL DEFAULT 0,
    callback_next_at INTEGER NOT NULL DEFAULT 0,
    callback_error TEXT
);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    batch_id TEXT NOT NULL REFERENCES batches(id),
    idx INTEGER NOT NULL,
    account_id TEXT NOT NULL,
    artist_account_id TEXT NOT NULL,
    template TEXT,
    lipsync INTEGER NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    output TEXT,
    error TEXT,
    error_code TEXT
);
-- One batch per callback thread: a thread is reported once.
CREATE UNIQUE INDEX IF NOT EXISTS batches_by_thread ON batches(callback_thread_id)
    WHERE callback_thread_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS runs_by_account ON runs(account_id, created_at);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs(status, created_at);
CREATE INDEX IF NOT EXISTS runs_by_batch ON runs(batch_id, idx);
-- Posts already in a thread whose report has not finished (a retry starts after them).
CREATE TABLE IF NOT EXISTS slack_progress (
    thread_id TEXT PRIMARY KEY,
    posted INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS slack_threads (
    thread_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    reported_at INTEGER NOT NULL
);
";

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

pub struct Store {
    conn: Mutex<Connection>,
}

impl Store {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.display().to_string(),
            source,
        };
        let damaged = |reason: String| StoreError::Damaged {
            path: path.display().to_string(),
            reason,
        };
        // SQLite takes an empty file for a new database: a truncated store would start over
        // silently with no history.
        if std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == 0) {
            return Err(damaged("the file is empty".into()));
        }
        let conn = Connection::open(path).map_err(open_err)?;
        let check: String = conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(|e| damaged(e.to_string()))?;
        if check != "ok" {
            return Err(damaged(check));
        }
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| damaged(e.to_string()))?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path: path.display().to_string(),
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        // The run history is the operator's: private to the server's user (SQLite gives its
        // -wal and -shm files the same mode).
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(
                |source| StoreError::Private {
                    path: path.display().to_string(),
                    source,
                },
            )?;
        }
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(open_err)?;
        // WAL keeps readers off the writer's back; FULL makes every commit durable before the
        // API answers.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_err)?;
        conn.execute_batch(SCHEMA).map_err(open_err)?;
        // Version 1 (and stores from before the version was kept) lack runs.error_code.
        let has_code: bool = conn
            .query_row(
                "SELECT COUNT(*) FROM pragma_table_info('runs') WHERE name = 'error_code'",
                [],
                |r| r.get::<_, i64>(0).map(|n| n > 0),
            )
            .map_err(open_err)?;
        if !has_code {
            conn.execute_batch("ALTER TABLE runs ADD COLUMN error_code TEXT")
                .map_err(open_err)?;
        }
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(open_err)?;
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (transactions roll back).
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores a batch and its runs, all QUEUED, in one transaction.
    pub fn create_batch(&self, b: &NewBatch) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let now = now_ms();
        let callback_state = if b.callback_thread_id.is_some() {
            "pending"
        } else {
            "none"
        };
        let thread_in_use = |e: rusqlite::Error| match (&e, &b.callback_thread_id) {
            (rusqlite::Error::SqliteFailure(f, _), Some(thread))
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                StoreError::ThreadInUse(thread.clone())
            }
            _ => StoreError::Sql(e),
        };
        tx.execute(
            "INSERT INTO batches (id, account_id, request, seed, created_at, callback_thread_id, \
             callback_state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                b.id,
                b.account_id,
                b.request,
                b.seed as i64,
                now,
                b.callback_thread_id,
                callback_state
            ],
        )
        .map_err(thread_in_use)?;
        for (i, run_id) in b.run_ids.iter().enumerate() {
            tx.execute(
                "INSERT INTO runs (id, batch_id, idx, account_id, artist_account_id, template, \
                 lipsync, status, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'QUEUED', ?8)",
                params![
                    run_id,
                    b.id,
                    i as i64,
                    b.account_id,
                    b.artist_account_id,
                    b.template,
                    b.lipsync,
                    now
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Marks the oldest queued run EXECUTING (one more attempt) and returns it.
    pub fn claim_next(&self) -> Result<Option<Claimed>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let id: Option<String> = tx
            .query_row(
                "SELECT id FROM runs WHERE status = 'QUEUED' ORDER BY created_at, batch_id, idx \
                 LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let Some(id) = id else {
            return Ok(None);
        };
        tx.execute(
            "UPDATE runs SET status = 'EXECUTING', attempts = attempts + 1, started_at = ?2, \
             finished_at = NULL, error = NULL WHERE id = ?1",
            params![id, now_ms()],
        )?;
        let claimed = tx.query_row(
            &format!(
                "SELECT {RUN_COLUMNS}, b.request, b.seed FROM runs JOIN batches b \
                 ON b.id = runs.batch_id WHERE runs.id = ?1"
            ),
            params![id],
            |r| {
                Ok(Claimed {
                    run: run_row(r)?,
                    request: r.get(15)?,
                    seed: r.get::<_, i64>(16)? as u64,
                })
            },
        )?;
        tx.commit()?;
        Ok(Some(claimed))
    }

    /// Records how an EXECUTING run ended. A run that is no longer EXECUTING (for example
    /// recovered by another start) is left alone; returns whether the row changed.
    pub fn finish(
        &self,
        run_id: &str,
        state: RunState,
        output: Option<&str>,
        error: Option<(&str, &str)>,
    ) -> Result<bool, StoreError> {
        let (code, message) = error.unzip();
        let n = self.conn().execute(
            "UPDATE runs SET status = ?2, output = ?3, error = ?4, error_code = ?5, \
             finished_at = ?6 WHERE id = ?1 AND status = 'EXECUTING'",
            params![run_id, state.as_str(), output, message, code, now_ms()],
        )?;
        Ok(n == 1)
    }

    /// Puts an EXECUTING run back in the queue without counting the attempt (a graceful
    /// shutdown interrupted it).
    pub fn requeue(&self, run_id: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE runs SET status = 'QUEUED', attempts = MAX(attempts - 1, 0), \
             started_at = NULL WHERE id = ?1 AND status = 'EXECUTING'",
            params![run_id],
        )?;
        Ok(())
    }

    /// After a crash or restart: runs left EXECUTING go back to the queue once; a run that
    /// was already retried is marked CRASHED. Returns (requeued, crashed).
    pub fn recover(&self) -> Result<(usize, usize), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let crashed = tx.execute(
            "UPDATE runs SET status = 'CRASHED', finished_at = ?1, error = 'the server stopped \
             while this run was executing, twice', error_code = 'renderer_stopped' \
             WHERE status = 'EXECUTING' AND attempts >= ?2",
            params![now_ms(), MAX_ATTEMPTS],
        )?;
        let requeued = tx.execute(
            "UPDATE runs SET status = 'QUEUED', started_at = NULL WHERE status = 'EXECUTING'",
            [],
        )?;
        tx.commit()?;
        Ok((requeued, crashed))
    }

    /// A batch's runs that never started, given up on: its callback timeout has passed.
    pub fn time_out_queued(&self, batch_id: &str, error: &str) -> Result<usize, StoreError> {
        Ok(self.conn().execute(
            "UPDATE runs SET status = 'TIMED_OUT', error = ?2, finished_at = ?3, \
             error_code = 'batch_timed_out' WHERE batch_id = ?1 AND status = 'QUEUED'",
            params![batch_id, error, now_ms()],
        )?)
    }

    pub fn run(&self, run_id: &str) -> Result<Option<RunRow>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1"),
                params![run_id],
                run_row,
            )
            .optional()?)
    }

    /// An account's most recent runs, newest first.
    pub fn runs_of_account(
        &self,
        account_id: &str,
        limit: usize,
    ) -> Result<Vec<RunRow>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE account_id = ?1 \
             ORDER BY created_at DESC, batch_id, idx LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![account_id, limit as i64], run_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn runs_of_batch(&self, batch_id: &str) -> Result<Vec<RunRow>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE batch_id = ?1 ORDER BY idx"
        ))?;
        let rows = stmt.query_map(params![batch_id], run_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// (queued, executing) run counts.
    pub fn counts(&self) -> Result<(u64, u64), StoreError> {
        let conn = self.conn();
        let count = |status: &str| -> Result<u64, rusqlite::Error> {
            conn.query_row(
                "SELECT COUNT(*) FROM runs WHERE status = ?1",
                params![status],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
        };
        Ok((count("QUEUED")?, count("EXECUTING")?))
    }

    /// Batches with a callback thread whose next delivery attempt is due.
    pub fn callbacks_due(&self, now: i64) -> Result<Vec<PendingCallback>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, callback_thread_id, created_at, callback_attempts FROM batches \
             WHERE callback_state = 'pending' AND callback_next_at <= ?1 ORDER BY created_at",
        )?;
        let rows = stmt.query_map(params![now], |r| {
            Ok(PendingCallback {
                batch_id: r.get(0)?,
                thread_id: r.get(1)?,
                created_at: r.get(2)?,
                attempts: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records a callback delivery: delivered, or failed with the time of the next try
    /// (`None` gives up).
    pub fn callback_attempted(
        &self,
        batch_id: &str,
        outcome: Result<(), (&str, Option<i64>)>,
    ) -> Result<(), StoreError> {
        let conn = self.conn();
        match outcome {
            Ok(()) => conn.execute(
                "UPDATE batches SET callback_state = 'delivered', callback_error = NULL, \
                 callback_attempts = callback_attempts + 1 WHERE id = ?1",
                params![batch_id],
            )?,
            Err((error, next)) => conn.execute(
                "UPDATE batches SET callback_state = ?2, callback_error = ?3, \
                 callback_attempts = callback_attempts + 1, callback_next_at = ?4 WHERE id = ?1",
                params![
                    batch_id,
                    if next.is_some() {
                        "pending"
                    } else {
                        "abandoned"
                    },
                    error,
                    next.unwrap_or(0)
                ],
            )?,
        };
        Ok(())
    }

    /// The callback state of a batch: (state, attempts, last error).
    pub fn callback_state(
        &self,
        batch_id: &str,
    ) -> Result<Option<(String, i64, Option<String>)>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT callback_state, callback_attempts, callback_error FROM batches \
                 WHERE id = ?1",
                params![batch_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?)
    }

    /// True when a Slack thread was already reported.
    pub fn thread_reported(&self, thread_id: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT 1 FROM slack_threads WHERE thread_id = ?1",
                params![thread_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// How many of a thread's posts are already in it.
    pub fn posted(&self, thread_id: &str) -> Result<usize, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT posted FROM slack_progress WHERE thread_id = ?1",
                params![thread_id],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
            .unwrap_or(0) as usize)
    }

    pub fn set_posted(&self, thread_id: &str, posted: usize) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO slack_progress (thread_id, posted) VALUES (?1, ?2) \
             ON CONFLICT(thread_id) DO UPDATE SET posted = excluded.posted",
            params![thread_id, posted as i64],
        )?;
        Ok(())
    }

    pub fn mark_thread_reported(&self, thread_id: &str, status: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT OR IGNORE INTO slack_threads (thread_id, status, reported_at) \
             VALUES (?1, ?2, ?3)",
            params![thread_id, status, now_ms()],
        )?;
        Ok(())
    }
}

fn run_row(r: &Row<'_>) -> rusqlite::Result<RunRow> {
    Ok(RunRow {
        id: r.get(0)?,
        batch_id: r.get(1)?,
        index: r.get::<_, i64>(2)? as usize,
        account_id: r.get(3)?,
        artist_account_id: r.get(4)?,
        template: r.get(5)?,
        lipsync: r.get(6)?,
        state: RunState::parse(&r.get::<_, String>(7)?),
        attempts: r.get(8)?,
        created_at: r.get(9)?,
        started_at: r.get(10)?,
        finished_at: r.get(11)?,
        output: r.get(12)?,
        error: r.get(13)?,
        error_code: r.get(14)?,
    })
}

#[cfg(test)]
mod tests;
