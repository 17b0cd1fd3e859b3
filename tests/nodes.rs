//! Several nodes on one queue: `reelforge serve --workers 0` as the API node and
//! `reelforge worker` render nodes, sharing a real PostgreSQL database and a storage folder.

mod common;

use std::path::PathBuf;

use common::fake_slack::FakeSlack;
use common::service::*;
use serde_json::json;

/// What the nodes of a test share: a PostgreSQL database of the test's own and the storage (a
/// folder, or S3 with its AWS_* settings), beside a temporary folder that holds each node's
/// own data and log.
struct Shared {
    dir: tempfile::TempDir,
    database: String,
    storage: String,
    env: Vec<(&'static str, String)>,
}

impl Shared {
    /// Storage in a folder.
    fn new() -> Shared {
        let (dir, _) = data_dir();
        let storage = dir.path().join("storage").to_str().unwrap().to_string();
        Shared {
            dir,
            database: common::postgres::database(),
            storage,
            env: Vec::new(),
        }
    }

    /// Storage in `s3`'s bucket.
    fn on(s3: &common::s3::S3) -> Shared {
        Shared {
            storage: format!("s3://{}/reelforge/videos", common::s3::BUCKET),
            env: s3.env(),
            ..Shared::new()
        }
    }

    fn storage_dir(&self) -> PathBuf {
        PathBuf::from(&self.storage)
    }

    fn env(&self) -> Vec<(&str, &str)> {
        self.env.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }

    /// An API-only node with its own data folder `name`, serving the shared storage.
    fn api(&self, name: &str, slack: Option<&FakeSlack>) -> Service {
        let data = self.dir.path().join(name);
        let args = [
            "--workers",
            "0",
            "--database",
            &self.database,
            "--storage",
            &self.storage,
        ];
        match slack {
            Some(slack) => start_with_slack(&data, slack, &args),
            None => start(&data, &args, &self.env()),
        }
    }

    /// Fetches `url` (following a redirect) and checks that it is a 720×1280 H.264 video.
    fn assert_serves_a_video(&self, url: &str) {
        let bytes = client().get(url).send().unwrap().bytes().unwrap();
        let local = self.dir.path().join("fetched.mp4");
        std::fs::write(&local, &bytes).unwrap();
        let probe = ffprobe_video(&local);
        assert!(
            probe["streams"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["codec_name"] == "h264" && s["height"] == 1280),
            "{url}: {probe}"
        );
    }

    /// A render node with its own data folder `name`.
    fn worker(&self, name: &str, extra: &[&str]) -> Worker {
        let data = self.dir.path().join(name);
        start_worker(&data, &self.database, &self.storage, extra, &self.env())
    }
}

/// How many times each node's log says it finished `run`.
fn finished(logs: &[String], run: &str) -> usize {
    logs.iter()
        .flat_map(|log| log.lines())
        .filter(|l| l.contains("run finished") && l.contains(run))
        .count()
}

#[test]
fn two_render_nodes_share_a_batch_of_six_and_the_api_node_serves_their_videos() {
    let nodes = Shared::new();
    let api = nodes.api("api", None);
    let a = nodes.worker("a", &[]);
    let b = nodes.worker("b", &[]);
    assert_ne!(a.name, b.name);

    let (status, health) = api.get("/health");
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["workers"], 0);
    assert_eq!(
        health["store"],
        json!({ "backend": "postgres", "reachable": true })
    );
    assert_eq!(health["storage"]["reachable"], true);

    let (status, created) = api.create(json!({ "artist_account_id": ARTIST, "batch": 6 }));
    assert_eq!(status, 202, "{created}");
    let ids = run_ids(&created);
    for id in &ids {
        let run = api.wait_run(id, final_state);
        assert_eq!(
            run["status"],
            "COMPLETED",
            "{run}\n{}\n{}",
            a.log(),
            b.log()
        );
        assert_eq!(run["attempts"], 1);
        let url = run["output"]["videoUrl"].as_str().unwrap();
        assert!(url.starts_with(&format!("{}/files/", api.url)), "{url}");
    }
    let logs = [a.log(), b.log()];
    for id in &ids {
        assert_eq!(finished(&logs, id), 1, "{id}\n{}\n{}", logs[0], logs[1]);
    }
    for (worker, log) in [&a, &b].iter().zip(&logs) {
        assert!(
            log.contains("run claimed"),
            "{} rendered nothing:\n{log}",
            worker.name
        );
    }

    // The API node serves what a render node published.
    let run = api.run(&ids[5]);
    nodes.assert_serves_a_video(run["output"]["videoUrl"].as_str().unwrap());
}

#[test]
fn a_killed_render_node_loses_its_run_to_the_other_after_its_lease() {
    let nodes = Shared::new();
    let api = nodes.api("api", None);
    let (_, created) = api.create(json!({ "artist_account_id": ARTIST, "batch": 2 }));
    let ids = run_ids(&created);
    let victim = nodes.worker("victim", &[]);
    let taken = api.wait("the first node to claim a run", || {
        ids.iter()
            .find(|id| victim.log().contains(&format!("run={id}")))
            .cloned()
    });
    let survivor = nodes.worker("survivor", &[]);
    let victim_log = victim.log();
    drop(victim); // SIGKILL mid-render: its renderer dies with it

    for id in &ids {
        let run = api.wait_run(id, final_state);
        assert_eq!(run["status"], "COMPLETED", "{run}\n{}", survivor.log());
    }
    let run = api.run(&taken);
    assert_eq!(run["attempts"], 2, "{run}");
    let log = survivor.log();
    assert!(log.contains("recovered runs whose lease ran out"), "{log}");
    let logs = [victim_log, log];
    for id in &ids {
        assert_eq!(finished(&logs, id), 1, "{id}\n{}\n{}", logs[0], logs[1]);
    }
    assert!(nodes.storage_dir().join(format!("{taken}.mp4")).is_file());

    // Storage that went away makes the API node unavailable, and says so.
    std::fs::remove_dir_all(nodes.storage_dir()).unwrap();
    let (status, health) = api.get("/health");
    assert_eq!(status, 503, "{health}");
    assert_eq!(health["storage"]["reachable"], false);
    assert_eq!(health["store"]["reachable"], true);
    assert_eq!(
        health["problems"],
        json!(["The video storage cannot be written"])
    );
}

#[test]
fn a_frozen_render_node_that_lost_its_lease_stops_its_render_and_publishes_nothing() {
    let nodes = Shared::new();
    let api = nodes.api("api", None);
    let (_, created) = api.create(json!({ "artist_account_id": ARTIST }));
    let id = run_ids(&created).remove(0);
    let frozen = nodes.worker("frozen", &[]);
    api.wait_run(&id, |st| st == "EXECUTING");
    // Frozen past its two-second lease: another node takes the run and renders it.
    frozen.signal(libc::SIGSTOP);
    let other = nodes.worker("other", &[]);
    api.wait("the second attempt", || {
        (api.run(&id)["attempts"] == 2).then_some(())
    });
    frozen.signal(libc::SIGCONT);
    let run = api.wait_run(&id, final_state);
    assert_eq!(run["status"], "COMPLETED", "{run}\n{}", other.log());
    assert_eq!(run["attempts"], 2);
    let thawed = api.wait("the thawed node to notice", || {
        let log = frozen.log();
        log.contains("nothing published").then_some(log)
    });
    assert!(thawed.contains("lease lost"), "{thawed}");
    assert!(!thawed.contains("run finished"), "{thawed}");
    assert_eq!(finished(&[thawed, other.log()], &id), 1);
}

#[test]
fn a_render_node_stopped_by_sigterm_hands_its_run_back_without_using_an_attempt() {
    let nodes = Shared::new();
    let api = nodes.api("api", None);
    let (_, created) = api.create(json!({ "artist_account_id": ARTIST }));
    let id = run_ids(&created).remove(0);
    let first = nodes.worker("first", &["--shutdown-grace", "0.05"]);
    api.wait_run(&id, |st| st == "EXECUTING");
    let status = first.terminate();
    assert!(status.success(), "{status:?}");
    let run = api.run(&id);
    assert_eq!(
        (run["status"].as_str(), run["attempts"].as_i64()),
        (Some("QUEUED"), Some(0))
    );
    let _second = nodes.worker("second", &[]);
    let run = api.wait_run(&id, final_state);
    assert_eq!(run["status"], "COMPLETED", "{run}");
    assert_eq!(run["attempts"], 1, "the interrupted try does not count");
}

#[test]
fn two_api_nodes_report_a_batch_to_slack_exactly_once() {
    let nodes = Shared::new();
    let slack = FakeSlack::start();
    let first = nodes.api("first", Some(&slack));
    let second = nodes.api("second", Some(&slack));
    let _worker = nodes.worker("w", &[]);
    let (status, created) = first.create(json!({
        "artist_account_id": ARTIST,
        "batch": 2,
        "callback_thread_id": THREAD,
    }));
    assert_eq!(status, 202, "{created}");
    for id in run_ids(&created) {
        assert_eq!(second.wait_run(&id, final_state)["status"], "COMPLETED");
    }
    second.wait("two uploads in the Slack thread", || {
        (slack.uploads().len() == 2).then_some(())
    });
    // Both pollers keep looking (every 0.2 s); neither reports the batch again.
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert_eq!(
        slack.uploads().len(),
        2,
        "{}\n{}",
        first.log(),
        second.log()
    );
    assert!(slack.messages().is_empty());
}

#[test]
fn videos_go_to_object_storage_and_files_redirect_to_a_signed_url() {
    let s3 = common::s3::S3::start();
    let nodes = Shared::on(&s3);
    let api = nodes.api("api", None);
    let _worker = nodes.worker("w", &[]);
    let (status, health) = api.get("/health");
    assert_eq!(status, 200, "{health}");
    assert_eq!(
        health["storage"],
        json!({ "kind": "s3", "reachable": true })
    );

    let (_, created) = api.create(json!({ "artist_account_id": ARTIST }));
    let id = &run_ids(&created)[0];
    let run = api.wait_run(id, final_state);
    assert_eq!(run["status"], "COMPLETED", "{run}");
    let url = run["output"]["videoUrl"].as_str().unwrap();
    assert_eq!(url, format!("{}/files/{id}.mp4", api.url));

    // /files/ answers with where the object is, signed for an hour.
    let direct = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = direct.get(url).send().unwrap();
    assert_eq!(answer.status().as_u16(), 307);
    let location = answer.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with(&format!(
            "{}/videos/reelforge/videos/{id}.mp4?",
            s3.endpoint
        )),
        "{location}"
    );
    assert!(location.contains("X-Amz-Signature="), "{location}");

    // Followed, it gives the video.
    nodes.assert_serves_a_video(url);
    let lyrics = client()
        .get(run["output"]["lyricsUrl"].as_str().unwrap())
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(lyrics.starts_with("WEBVTT"), "{lyrics}");
}
