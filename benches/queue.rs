//! Claim latency and queue throughput of the run store: N claimers (1, 8, 64) take every run
//! of a queue of 1,920 until it is empty. On PostgreSQL (a real server, started as the tests
//! start theirs) each claimer is a node with a store of its own; the baseline, in the same run,
//! is SQLite as `serve` uses it: one store in one process, shared by its workers.
//!
//! `cargo bench --bench queue` prints a Markdown table: claims per second, and each claim's
//! p50 and p99 latency.

#[path = "../tests/common/postgres.rs"]
#[allow(dead_code)]
mod postgres;

use std::time::{Duration, Instant};

use reelforge::serve::store::{Database, Lease, NewBatch, Store};

const RUNS: usize = 1920;
const BATCH: usize = 30;

fn fill(store: &Store) {
    for b in 0..RUNS / BATCH {
        store
            .create_batch(&NewBatch {
                id: format!("batch_{b:04}"),
                account_id: "acct".into(),
                request: "{}".into(),
                seed: b as u64,
                callback_thread_id: None,
                artist_account_id: "artist".into(),
                template: None,
                lipsync: false,
                run_ids: (0..BATCH).map(|i| format!("run_{b:04}_{i:02}")).collect(),
            })
            .expect("fill the queue");
    }
}

/// Claims until the queue is empty with `claimers` threads; returns (wall time, latencies).
fn drain(stores: &[&Store]) -> (Duration, Vec<Duration>) {
    let started = Instant::now();
    let latencies = std::thread::scope(|scope| {
        let handles: Vec<_> = stores
            .iter()
            .enumerate()
            .map(|(n, store)| {
                scope.spawn(move || {
                    let lease = Lease {
                        node: format!("node{n}"),
                        length: Duration::from_secs(60),
                    };
                    let mut took = Vec::new();
                    loop {
                        let t = Instant::now();
                        let claimed = store.claim_next(&lease).expect("claim");
                        took.push(t.elapsed());
                        if claimed.is_none() {
                            return took;
                        }
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("claimer"))
            .collect::<Vec<_>>()
    });
    (started.elapsed(), latencies)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn main() {
    // `cargo test --benches` runs this with --bench absent: nothing to measure then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    println!("| store | claimers | claims/s | p50 ms | p99 ms |");
    println!("| --- | --- | --- | --- | --- |");
    for claimers in [1usize, 8, 64] {
        for backend in ["sqlite", "postgres"] {
            let dir = tempfile::tempdir().unwrap();
            let database = match backend {
                "sqlite" => Database::Sqlite(dir.path().join("runs.db")),
                _ => Database::parse(&postgres::database()).unwrap(),
            };
            let open = || Store::open(&database).expect("open the store");
            let owned: Vec<Store> = match backend {
                "sqlite" => vec![open()],
                _ => (0..claimers).map(|_| open()).collect(),
            };
            let stores: Vec<&Store> = (0..claimers).map(|i| &owned[i % owned.len()]).collect();
            fill(stores[0]);
            let (wall, mut latencies) = drain(&stores);
            latencies.sort();
            let (queued, executing) = stores[0].counts().unwrap();
            assert_eq!(
                (queued, executing),
                (0, RUNS as u64),
                "every run claimed once"
            );
            println!(
                "| {backend} | {claimers} | {:.0} | {:.2} | {:.2} |",
                RUNS as f64 / wall.as_secs_f64(),
                percentile(&latencies, 0.5),
                percentile(&latencies, 0.99),
            );
        }
    }
}
