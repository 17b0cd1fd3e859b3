//! A batch of 20 through one API node (`serve --workers 0`) with one render node, then with
//! two, all on this machine and one PostgreSQL; each render node runs one worker per core (the
//! default). Transcripts are cached (warmed by a first batch), so this measures rendering.
//!
//! `cargo bench --bench nodes` prints a Markdown table of the wall time from create until
//! every run is final.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::service::*;
use serde_json::json;

const BATCH: u64 = 20;

fn batch_through(api: &Service, size: u64) -> Duration {
    let started = Instant::now();
    let (status, created) = api.create(json!({
        "artist_account_id": ARTIST,
        "template": "artist-caption-stage",
        "caption_length": "short",
        "batch": size,
        "songs": ["paper-lanterns", "night-drive", "blue-hour"],
    }));
    assert_eq!(status, 202, "{created}");
    for id in run_ids(&created) {
        let run = api.wait_run(&id, final_state);
        assert_eq!(run["status"], "COMPLETED", "{run}");
    }
    started.elapsed()
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    println!("| render nodes | workers each | batch | wall s | videos/min |");
    println!("| --- | --- | --- | --- | --- |");
    for nodes in [1, 2] {
        let (dir, data) = data_dir();
        let database = common::postgres::database();
        let storage = dir.path().join("storage");
        let storage_arg = storage.to_str().unwrap();
        let api = start(
            &data,
            &[
                "--workers",
                "0",
                "--database",
                &database,
                "--storage",
                storage_arg,
            ],
            &[],
        );
        let workers = cores.to_string();
        let renderers: Vec<Worker> = (0..nodes)
            .map(|n| {
                let own = dir.path().join(format!("node{n}"));
                start_worker(&own, &database, storage_arg, &["--workers", &workers], &[])
            })
            .collect();
        batch_through(&api, 3); // one video per song: every transcript is cached after it
        let took = batch_through(&api, BATCH);
        println!(
            "| {nodes} | {cores} | {BATCH} | {:.1} | {:.1} |",
            took.as_secs_f64(),
            BATCH as f64 / took.as_secs_f64() * 60.0
        );
        drop(renderers);
    }
}
