//! The run store in one SQLite file (WAL, synchronous FULL) in the data folder: the embedded
//! default, for one server.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use super::{
    now_ms, Backend, Claimed, Delivery, Lease, NewBatch, PendingCallback, RunRow, RunState,
    StoreError, CRASHED_TWICE, MAX_ATTEMPTS, RUN_COLUMNS,
};

/// The schema, one step per version: a store at version N runs the steps after N, in one
/// transaction, and records the last. A store written by a newer reelforge is refused.
pub(super) const MIGRATIONS: [&str; 3] = [
    // 1: batches, runs and the Slack thread tables.
    "
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
    error TEXT
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
",
    // 2: the failure's stable code.
    "ALTER TABLE runs ADD COLUMN error_code TEXT;",
    // 3: leases on runs, callback deliveries and thread reports.
    "
ALTER TABLE runs ADD COLUMN node TEXT;
ALTER TABLE runs ADD COLUMN lease_until INTEGER;
ALTER TABLE batches ADD COLUMN callback_node TEXT;
ALTER TABLE batches ADD COLUMN callback_until INTEGER NOT NULL DEFAULT 0;
CREATE TABLE slack_claims (
    thread_id TEXT PRIMARY KEY,
    node TEXT NOT NULL,
    until INTEGER NOT NULL
);
",
];

pub(super) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub struct Sqlite {
    conn: Mutex<Connection>,
}

impl Sqlite {
    /// Opens (creating if needed) the store at `path`, migrating it to this schema.
    pub fn open(path: &Path) -> Result<Sqlite, StoreError> {
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
        let mut conn = Connection::open(path).map_err(open_err)?;
        let check: String = conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(|e| damaged(e.to_string()))?;
        if check != "ok" {
            return Err(damaged(check));
        }
        let version = version(&conn).map_err(|e| damaged(e.to_string()))?;
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
        if version < SCHEMA_VERSION {
            let tx = conn.transaction().map_err(open_err)?;
            for step in &MIGRATIONS[version as usize..] {
                tx.execute_batch(step).map_err(open_err)?;
            }
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)
                .map_err(open_err)?;
            tx.commit().map_err(open_err)?;
        }
        Ok(Sqlite {
            conn: Mutex::new(conn),
        })
    }

    pub(super) fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (transactions roll back).
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The store's schema version. Stores from before the version was kept say 0 but have the
/// version 1 tables, and perhaps version 2's column.
fn version(conn: &Connection) -> rusqlite::Result<i64> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > 0 {
        return Ok(version);
    }
    let column = |table: &str, name: &str| -> rusqlite::Result<bool> {
        conn.query_row(
            "SELECT COUNT(*) FROM pragma_table_info(?1) WHERE name = ?2",
            params![table, name],
            |r| r.get::<_, i64>(0).map(|n| n > 0),
        )
    };
    Ok(
        match (column("runs", "id")?, column("runs", "error_code")?) {
            (false, _) => 0,
            (true, false) => 1,
            (true, true) => 2,
        },
    )
}

// Transactions that read, then write, take the write lock first (IMMEDIATE): another process
// on the same file then waits its turn (busy timeout) instead of failing the upgrade.
impl Backend for Sqlite {
    fn create_batch(&self, b: &NewBatch) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = now_ms();
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
                b.callback_state()
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

    fn claim_next(&self, lease: &Lease) -> Result<Option<Claimed>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
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
             finished_at = NULL, error = NULL, node = ?3, lease_until = ?4 WHERE id = ?1",
            params![id, now_ms(), lease.node, lease.until()],
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

    fn renew(&self, run_id: &str, lease: &Lease) -> Result<bool, StoreError> {
        let n = self.conn().execute(
            "UPDATE runs SET lease_until = ?3 WHERE id = ?1 AND node = ?2 \
             AND status = 'EXECUTING'",
            params![run_id, lease.node, lease.until()],
        )?;
        Ok(n == 1)
    }

    fn finish(
        &self,
        run_id: &str,
        node: &str,
        state: RunState,
        output: Option<&str>,
        error: Option<(&str, &str)>,
    ) -> Result<bool, StoreError> {
        let (code, message) = error.unzip();
        let n = self.conn().execute(
            "UPDATE runs SET status = ?2, output = ?3, error = ?4, error_code = ?5, \
             finished_at = ?6, lease_until = NULL WHERE id = ?1 AND status = 'EXECUTING' \
             AND node = ?7",
            params![
                run_id,
                state.as_str(),
                output,
                message,
                code,
                now_ms(),
                node
            ],
        )?;
        Ok(n == 1)
    }

    fn requeue(&self, run_id: &str, node: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE runs SET status = 'QUEUED', attempts = MAX(attempts - 1, 0), \
             started_at = NULL, node = NULL, lease_until = NULL \
             WHERE id = ?1 AND status = 'EXECUTING' AND node = ?2",
            params![run_id, node],
        )?;
        Ok(())
    }

    fn recover(&self) -> Result<(usize, usize), StoreError> {
        // One server per file: whatever is executing was left by a previous start.
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let counts = expire(&tx, "?1 = ?1")?;
        tx.commit()?;
        Ok(counts)
    }

    fn expire_leases(&self) -> Result<(usize, usize), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let counts = expire(&tx, "lease_until < ?1")?;
        tx.commit()?;
        Ok(counts)
    }

    fn time_out_queued(&self, batch_id: &str, error: &str) -> Result<usize, StoreError> {
        Ok(self.conn().execute(
            "UPDATE runs SET status = 'TIMED_OUT', error = ?2, finished_at = ?3, \
             error_code = 'batch_timed_out' WHERE batch_id = ?1 AND status = 'QUEUED'",
            params![batch_id, error, now_ms()],
        )?)
    }

    fn run(&self, run_id: &str) -> Result<Option<RunRow>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1"),
                params![run_id],
                run_row,
            )
            .optional()?)
    }

    fn runs_of_account(&self, account_id: &str, limit: usize) -> Result<Vec<RunRow>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE account_id = ?1 \
             ORDER BY created_at DESC, batch_id, idx LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![account_id, limit as i64], run_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn runs_of_batch(&self, batch_id: &str) -> Result<Vec<RunRow>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE batch_id = ?1 ORDER BY idx"
        ))?;
        let rows = stmt.query_map(params![batch_id], run_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn counts(&self) -> Result<(u64, u64), StoreError> {
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

    fn callbacks_due(&self, now: i64) -> Result<Vec<PendingCallback>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, callback_thread_id, created_at, callback_attempts FROM batches \
             WHERE callback_state = 'pending' AND callback_next_at <= ?1 \
             AND callback_until <= ?1 ORDER BY created_at",
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

    fn claim_callback(&self, batch_id: &str, lease: &Lease) -> Result<bool, StoreError> {
        let n = self.conn().execute(
            "UPDATE batches SET callback_node = ?2, callback_until = ?3 WHERE id = ?1 \
             AND callback_state = 'pending' AND (callback_until <= ?4 OR callback_node = ?2)",
            params![batch_id, lease.node, lease.until(), now_ms()],
        )?;
        Ok(n == 1)
    }

    fn callback_attempted(&self, batch_id: &str, outcome: Delivery<'_>) -> Result<(), StoreError> {
        let conn = self.conn();
        match outcome {
            Ok(()) => conn.execute(
                "UPDATE batches SET callback_state = 'delivered', callback_error = NULL, \
                 callback_attempts = callback_attempts + 1, callback_until = 0 WHERE id = ?1",
                params![batch_id],
            )?,
            Err((error, next)) => conn.execute(
                "UPDATE batches SET callback_state = ?2, callback_error = ?3, \
                 callback_attempts = callback_attempts + 1, callback_next_at = ?4, \
                 callback_until = 0 WHERE id = ?1",
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

    fn callback_state(
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

    fn thread_reported(&self, thread_id: &str) -> Result<bool, StoreError> {
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

    fn claim_thread(&self, thread_id: &str, lease: &Lease) -> Result<bool, StoreError> {
        let n = self.conn().execute(
            "INSERT INTO slack_claims (thread_id, node, until) \
             SELECT ?1, ?2, ?3 WHERE NOT EXISTS \
             (SELECT 1 FROM slack_threads WHERE thread_id = ?1) \
             ON CONFLICT(thread_id) DO UPDATE SET node = excluded.node, until = excluded.until \
             WHERE slack_claims.until <= ?4 OR slack_claims.node = excluded.node",
            params![thread_id, lease.node, lease.until(), now_ms()],
        )?;
        Ok(n == 1)
    }

    fn posted(&self, thread_id: &str) -> Result<usize, StoreError> {
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

    fn set_posted(&self, thread_id: &str, posted: usize) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO slack_progress (thread_id, posted) VALUES (?1, ?2) \
             ON CONFLICT(thread_id) DO UPDATE SET posted = excluded.posted",
            params![thread_id, posted as i64],
        )?;
        Ok(())
    }

    fn mark_thread_reported(&self, thread_id: &str, status: &str) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT OR IGNORE INTO slack_threads (thread_id, status, reported_at) \
             VALUES (?1, ?2, ?3)",
            params![thread_id, status, now_ms()],
        )?;
        tx.execute(
            "DELETE FROM slack_claims WHERE thread_id = ?1",
            params![thread_id],
        )?;
        tx.commit()?;
        Ok(())
    }
}

/// Runs EXECUTING where `which` holds (`?1` is now) go back to the queue, or are CRASHED once
/// they have had every attempt. Returns (requeued, crashed).
fn expire(tx: &rusqlite::Transaction<'_>, which: &str) -> Result<(usize, usize), StoreError> {
    let now = now_ms();
    let crashed = tx.execute(
        &format!(
            "UPDATE runs SET status = 'CRASHED', finished_at = ?1, error = ?3, \
             error_code = 'renderer_stopped', node = NULL, lease_until = NULL \
             WHERE status = 'EXECUTING' AND attempts >= ?2 AND {which}"
        ),
        params![now, MAX_ATTEMPTS, CRASHED_TWICE],
    )?;
    let requeued = tx.execute(
        &format!(
            "UPDATE runs SET status = 'QUEUED', started_at = NULL, node = NULL, \
             lease_until = NULL WHERE status = 'EXECUTING' AND {which}"
        ),
        params![now],
    )?;
    Ok((requeued, crashed))
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
