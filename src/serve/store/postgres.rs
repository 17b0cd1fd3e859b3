//! The run store in PostgreSQL, shared by several API and render nodes. Nodes claim runs with
//! `FOR UPDATE SKIP LOCKED`, so two claims never wait on or take the same run.

use std::time::Duration;

use postgres::types::ToSql;
use postgres::{GenericClient, NoTls, Row};
use r2d2_postgres::PostgresConnectionManager;

use super::{
    now_ms, redact, Backend, Claimed, Delivery, Lease, NewBatch, PendingCallback, RunRow, RunState,
    StoreError, CRASHED_TWICE, MAX_ATTEMPTS, RUN_COLUMNS,
};

/// The schema, one step per version, applied in order under an advisory lock so that nodes
/// starting together migrate once.
const MIGRATIONS: [&str; 1] = [
    // 1: batches, runs with leases, callback deliveries and the Slack thread tables.
    "
CREATE TABLE batches (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    request TEXT NOT NULL,
    seed BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    callback_thread_id TEXT,
    -- none | pending | delivered | abandoned
    callback_state TEXT NOT NULL,
    callback_attempts BIGINT NOT NULL DEFAULT 0,
    callback_next_at BIGINT NOT NULL DEFAULT 0,
    callback_error TEXT,
    callback_node TEXT,
    callback_until BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    batch_id TEXT NOT NULL REFERENCES batches(id),
    idx BIGINT NOT NULL,
    account_id TEXT NOT NULL,
    artist_account_id TEXT NOT NULL,
    template TEXT,
    lipsync BOOLEAN NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    output TEXT,
    error TEXT,
    error_code TEXT,
    node TEXT,
    lease_until BIGINT
);
CREATE UNIQUE INDEX batches_by_thread ON batches(callback_thread_id)
    WHERE callback_thread_id IS NOT NULL;
CREATE INDEX runs_by_account ON runs(account_id, created_at);
CREATE INDEX runs_by_status ON runs(status, created_at);
CREATE INDEX runs_by_batch ON runs(batch_id, idx);
CREATE INDEX runs_by_lease ON runs(lease_until) WHERE status = 'EXECUTING';
CREATE TABLE slack_progress (
    thread_id TEXT PRIMARY KEY,
    posted BIGINT NOT NULL
);
CREATE TABLE slack_threads (
    thread_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    reported_at BIGINT NOT NULL
);
CREATE TABLE slack_claims (
    thread_id TEXT PRIMARY KEY,
    node TEXT NOT NULL,
    until BIGINT NOT NULL
);
",
];

const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Connections each node keeps open at most.
const POOL_SIZE: u32 = 8;

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;

pub struct Postgres {
    /// Always there but while dropping: see the Drop impl.
    pool: Option<Pool>,
    /// The URL without its password, for errors.
    url: String,
}

impl Postgres {
    /// Connects to the database at `url` and migrates it to this schema.
    pub fn open(url: &str) -> Result<Postgres, StoreError> {
        let shown = redact(url);
        let config: postgres::Config =
            url.parse().map_err(|_| StoreError::BadUrl(shown.clone()))?;
        let manager = PostgresConnectionManager::new(config, NoTls);
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .build(manager)
            .map_err(|source| StoreError::Connect {
                url: shown.clone(),
                source,
            })?;
        let store = Postgres {
            pool: Some(pool),
            url: shown,
        };
        store.migrate()?;
        Ok(store)
    }

    fn client(
        &self,
    ) -> Result<r2d2::PooledConnection<PostgresConnectionManager<NoTls>>, StoreError> {
        let pool = self
            .pool
            .as_ref()
            .expect("the pool lives until the store is dropped");
        pool.get().map_err(|source| StoreError::Connect {
            url: self.url.clone(),
            source,
        })
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.client()?;
        let mut tx = client.transaction()?;
        // Any constant will do, as long as every reelforge uses the same one.
        tx.execute("SELECT pg_advisory_xact_lock(7465637242)", &[])?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS reelforge_schema \
             (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
        )?;
        let version: i64 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM reelforge_schema",
                &[],
            )?
            .try_get(0)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path: self.url.clone(),
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        for (i, step) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.batch_execute(step)?;
            tx.execute(
                "INSERT INTO reelforge_schema (version, applied_at) VALUES ($1, $2)",
                &[&(i as i64 + 1), &now_ms()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn execute(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, StoreError> {
        Ok(self.client()?.execute(sql, params)?)
    }

    fn runs(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<RunRow>, StoreError> {
        let rows = self.client()?.query(sql, params)?;
        Ok(rows.iter().map(run_row).collect::<Result<_, _>>()?)
    }
}

/// Closing a connection blocks on its own runtime, which panics on an async thread: a store
/// dropped there (the service's, when it stops) closes its connections on a thread of its own.
impl Drop for Postgres {
    fn drop(&mut self) {
        let pool = self.pool.take();
        if tokio::runtime::Handle::try_current().is_ok() {
            let _ = std::thread::spawn(move || drop(pool)).join();
        }
    }
}

impl Backend for Postgres {
    fn create_batch(&self, b: &NewBatch) -> Result<(), StoreError> {
        let mut client = self.client()?;
        let mut tx = client.transaction()?;
        let now = now_ms();
        tx.execute(
            "INSERT INTO batches (id, account_id, request, seed, created_at, callback_thread_id, \
             callback_state) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &b.id,
                &b.account_id,
                &b.request,
                &(b.seed as i64),
                &now,
                &b.callback_thread_id,
                &b.callback_state(),
            ],
        )
        .map_err(|e| match &b.callback_thread_id {
            Some(thread)
                if e.as_db_error().and_then(|d| d.constraint()) == Some("batches_by_thread") =>
            {
                StoreError::ThreadInUse(thread.clone())
            }
            _ => StoreError::from(e),
        })?;
        let insert = tx.prepare(
            "INSERT INTO runs (id, batch_id, idx, account_id, artist_account_id, template, \
             lipsync, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'QUEUED', $8)",
        )?;
        for (i, run_id) in b.run_ids.iter().enumerate() {
            tx.execute(
                &insert,
                &[
                    run_id,
                    &b.id,
                    &(i as i64),
                    &b.account_id,
                    &b.artist_account_id,
                    &b.template,
                    &b.lipsync,
                    &now,
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn claim_next(&self, lease: &Lease) -> Result<Option<Claimed>, StoreError> {
        let row = self.client()?.query_opt(
            &format!(
                "WITH next AS (SELECT id FROM runs WHERE status = 'QUEUED' \
                 ORDER BY created_at, batch_id, idx LIMIT 1 FOR UPDATE SKIP LOCKED), \
                 claimed AS (UPDATE runs SET status = 'EXECUTING', attempts = attempts + 1, \
                 started_at = $1, finished_at = NULL, error = NULL, node = $2, \
                 lease_until = $3 FROM next WHERE runs.id = next.id RETURNING runs.*) \
                 SELECT {}, b.request, b.seed FROM claimed runs \
                 JOIN batches b ON b.id = runs.batch_id",
                RUN_COLUMNS
            ),
            &[&now_ms(), &lease.node, &lease.until()],
        )?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some(Claimed {
            run: run_row(&row)?,
            request: row.try_get(15)?,
            seed: row.try_get::<_, i64>(16)? as u64,
        }))
    }

    fn renew(&self, run_id: &str, lease: &Lease) -> Result<bool, StoreError> {
        let n = self.execute(
            "UPDATE runs SET lease_until = $3 WHERE id = $1 AND node = $2 \
             AND status = 'EXECUTING'",
            &[&run_id, &lease.node, &lease.until()],
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
        let n = self.execute(
            "UPDATE runs SET status = $2, output = $3, error = $4, error_code = $5, \
             finished_at = $6, lease_until = NULL WHERE id = $1 AND status = 'EXECUTING' \
             AND node = $7",
            &[
                &run_id,
                &state.as_str(),
                &output,
                &message,
                &code,
                &now_ms(),
                &node,
            ],
        )?;
        Ok(n == 1)
    }

    fn requeue(&self, run_id: &str, node: &str) -> Result<(), StoreError> {
        self.execute(
            "UPDATE runs SET status = 'QUEUED', attempts = GREATEST(attempts - 1, 0), \
             started_at = NULL, node = NULL, lease_until = NULL \
             WHERE id = $1 AND status = 'EXECUTING' AND node = $2",
            &[&run_id, &node],
        )?;
        Ok(())
    }

    fn recover(&self) -> Result<(usize, usize), StoreError> {
        // Other nodes may be rendering: only runs whose lease ran out are orphans.
        expire(&mut *self.client()?)
    }

    fn expire_leases(&self) -> Result<(usize, usize), StoreError> {
        expire(&mut *self.client()?)
    }

    fn time_out_queued(&self, batch_id: &str, error: &str) -> Result<usize, StoreError> {
        Ok(self.execute(
            "UPDATE runs SET status = 'TIMED_OUT', error = $2, finished_at = $3, \
             error_code = 'batch_timed_out' WHERE batch_id = $1 AND status = 'QUEUED'",
            &[&batch_id, &error, &now_ms()],
        )? as usize)
    }

    fn run(&self, run_id: &str) -> Result<Option<RunRow>, StoreError> {
        let rows = self.runs(
            &format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = $1"),
            &[&run_id],
        )?;
        Ok(rows.into_iter().next())
    }

    fn runs_of_account(&self, account_id: &str, limit: usize) -> Result<Vec<RunRow>, StoreError> {
        self.runs(
            &format!(
                "SELECT {RUN_COLUMNS} FROM runs WHERE account_id = $1 \
                 ORDER BY created_at DESC, batch_id, idx LIMIT $2"
            ),
            &[&account_id, &(limit as i64)],
        )
    }

    fn runs_of_batch(&self, batch_id: &str) -> Result<Vec<RunRow>, StoreError> {
        self.runs(
            &format!("SELECT {RUN_COLUMNS} FROM runs WHERE batch_id = $1 ORDER BY idx"),
            &[&batch_id],
        )
    }

    fn counts(&self) -> Result<(u64, u64), StoreError> {
        let row = self.client()?.query_one(
            "SELECT COUNT(*) FILTER (WHERE status = 'QUEUED'), \
             COUNT(*) FILTER (WHERE status = 'EXECUTING') FROM runs \
             WHERE status IN ('QUEUED', 'EXECUTING')",
            &[],
        )?;
        Ok((
            row.try_get::<_, i64>(0)? as u64,
            row.try_get::<_, i64>(1)? as u64,
        ))
    }

    fn callbacks_due(&self, now: i64) -> Result<Vec<PendingCallback>, StoreError> {
        let rows = self.client()?.query(
            "SELECT id, callback_thread_id, created_at, callback_attempts FROM batches \
             WHERE callback_state = 'pending' AND callback_next_at <= $1 \
             AND callback_until <= $1 ORDER BY created_at",
            &[&now],
        )?;
        let due = rows.iter().map(|r| {
            Ok(PendingCallback {
                batch_id: r.try_get(0)?,
                thread_id: r.try_get(1)?,
                created_at: r.try_get(2)?,
                attempts: r.try_get(3)?,
            })
        });
        due.collect::<Result<_, postgres::Error>>()
            .map_err(StoreError::from)
    }

    fn claim_callback(&self, batch_id: &str, lease: &Lease) -> Result<bool, StoreError> {
        let n = self.execute(
            "UPDATE batches SET callback_node = $2, callback_until = $3 WHERE id = $1 \
             AND callback_state = 'pending' AND (callback_until <= $4 OR callback_node = $2)",
            &[&batch_id, &lease.node, &lease.until(), &now_ms()],
        )?;
        Ok(n == 1)
    }

    fn callback_attempted(&self, batch_id: &str, outcome: Delivery<'_>) -> Result<(), StoreError> {
        match outcome {
            Ok(()) => self.execute(
                "UPDATE batches SET callback_state = 'delivered', callback_error = NULL, \
                 callback_attempts = callback_attempts + 1, callback_until = 0 WHERE id = $1",
                &[&batch_id],
            )?,
            Err((error, next)) => self.execute(
                "UPDATE batches SET callback_state = $2, callback_error = $3, \
                 callback_attempts = callback_attempts + 1, callback_next_at = $4, \
                 callback_until = 0 WHERE id = $1",
                &[
                    &batch_id,
                    &if next.is_some() {
                        "pending"
                    } else {
                        "abandoned"
                    },
                    &error,
                    &next.unwrap_or(0),
                ],
            )?,
        };
        Ok(())
    }

    fn callback_state(
        &self,
        batch_id: &str,
    ) -> Result<Option<(String, i64, Option<String>)>, StoreError> {
        let row = self.client()?.query_opt(
            "SELECT callback_state, callback_attempts, callback_error FROM batches \
             WHERE id = $1",
            &[&batch_id],
        )?;
        Ok(match row {
            Some(r) => Some((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)),
            None => None,
        })
    }

    fn thread_reported(&self, thread_id: &str) -> Result<bool, StoreError> {
        Ok(self
            .client()?
            .query_opt(
                "SELECT 1 FROM slack_threads WHERE thread_id = $1",
                &[&thread_id],
            )?
            .is_some())
    }

    fn claim_thread(&self, thread_id: &str, lease: &Lease) -> Result<bool, StoreError> {
        let n = self.execute(
            "INSERT INTO slack_claims (thread_id, node, until) \
             SELECT $1, $2, $3 WHERE NOT EXISTS \
             (SELECT 1 FROM slack_threads WHERE thread_id = $1) \
             ON CONFLICT (thread_id) DO UPDATE SET node = excluded.node, until = excluded.until \
             WHERE slack_claims.until <= $4 OR slack_claims.node = excluded.node",
            &[&thread_id, &lease.node, &lease.until(), &now_ms()],
        )?;
        Ok(n == 1)
    }

    fn posted(&self, thread_id: &str) -> Result<usize, StoreError> {
        let row = self.client()?.query_opt(
            "SELECT posted FROM slack_progress WHERE thread_id = $1",
            &[&thread_id],
        )?;
        Ok(match row {
            Some(r) => r.try_get::<_, i64>(0)? as usize,
            None => 0,
        })
    }

    fn set_posted(&self, thread_id: &str, posted: usize) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO slack_progress (thread_id, posted) VALUES ($1, $2) \
             ON CONFLICT (thread_id) DO UPDATE SET posted = excluded.posted",
            &[&thread_id, &(posted as i64)],
        )?;
        Ok(())
    }

    fn mark_thread_reported(&self, thread_id: &str, status: &str) -> Result<(), StoreError> {
        let mut client = self.client()?;
        let mut tx = client.transaction()?;
        tx.execute(
            "INSERT INTO slack_threads (thread_id, status, reported_at) VALUES ($1, $2, $3) \
             ON CONFLICT (thread_id) DO NOTHING",
            &[&thread_id, &status, &now_ms()],
        )?;
        tx.execute(
            "DELETE FROM slack_claims WHERE thread_id = $1",
            &[&thread_id],
        )?;
        tx.commit()?;
        Ok(())
    }
}

/// Runs whose lease ran out go back to the queue, or are CRASHED once they have had every
/// attempt. Returns (requeued, crashed).
fn expire(client: &mut impl GenericClient) -> Result<(usize, usize), StoreError> {
    let now = now_ms();
    let crashed = client.execute(
        "UPDATE runs SET status = 'CRASHED', finished_at = $1, error = $3, \
         error_code = 'renderer_stopped', node = NULL, lease_until = NULL \
         WHERE status = 'EXECUTING' AND lease_until < $1 AND attempts >= $2",
        &[&now, &MAX_ATTEMPTS, &CRASHED_TWICE],
    )?;
    let requeued = client.execute(
        "UPDATE runs SET status = 'QUEUED', started_at = NULL, node = NULL, \
         lease_until = NULL WHERE status = 'EXECUTING' AND lease_until < $1",
        &[&now],
    )?;
    Ok((requeued as usize, crashed as usize))
}

fn run_row(r: &Row) -> Result<RunRow, postgres::Error> {
    Ok(RunRow {
        id: r.try_get(0)?,
        batch_id: r.try_get(1)?,
        index: r.try_get::<_, i64>(2)? as usize,
        account_id: r.try_get(3)?,
        artist_account_id: r.try_get(4)?,
        template: r.try_get(5)?,
        lipsync: r.try_get(6)?,
        state: RunState::parse(r.try_get(7)?),
        attempts: r.try_get(8)?,
        created_at: r.try_get(9)?,
        started_at: r.try_get(10)?,
        finished_at: r.try_get(11)?,
        output: r.try_get(12)?,
        error: r.try_get(13)?,
        error_code: r.try_get(14)?,
    })
}
