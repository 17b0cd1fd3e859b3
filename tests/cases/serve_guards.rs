//! What `reelforge serve` guards against: keys acting for artists they may not act for,
//! connections that send nothing, and a disk that is full; on SQLite (tests/serve_guards.rs)
//! and on PostgreSQL (tests/serve_guards_postgres.rs).

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::common::service::*;
use serde_json::json;

#[test]
fn an_api_key_acts_only_for_its_own_artist_or_one_that_lists_its_account() {
    const ARTIST_KEY: &str = "rf_artist_own_key_0123456789ab";
    let (_dir, data) = data_dir();
    let keys = format!("{ACCOUNT}={KEY},{OTHER_ACCOUNT}={OTHER_KEY},{ARTIST}={ARTIST_KEY}");
    let s = start(&data, &[], &[("REELFORGE_API_KEYS", &keys)]);
    let create = |key: &str| {
        s.post_as(
            "/api/content/create",
            &[("x-api-key", key)],
            json!({ "artist_account_id": ARTIST }).to_string(),
        )
    };
    let validate = |key: &str| {
        s.get_as(
            &format!("/api/content/validate?artist_account_id={ARTIST}"),
            &[("x-api-key", key)],
        )
    };

    // Not the artist's account, not among its members: 403, and nothing is queued.
    let (status, answer) = create(OTHER_KEY);
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["status"], "error");
    assert!(
        answer["error"].as_str().unwrap().contains(ARTIST),
        "{answer}"
    );
    let (status, _) = validate(OTHER_KEY);
    assert_eq!(status, 403);
    let (_, runs) = s.get_as("/api/tasks/runs", &[("x-api-key", OTHER_KEY)]);
    assert_eq!(runs["runs"], json!([]));

    // The artist's own account, and a member (the fixture lists ACCOUNT), may.
    for key in [ARTIST_KEY, KEY] {
        let (status, answer) = create(key);
        assert_eq!(status, 202, "{answer}");
        let (status, answer) = validate(key);
        assert_eq!((status, answer["ready"].as_bool()), (200, Some(true)));
    }
    // An unknown artist is still 404 for anyone.
    let (status, _) = s.post_as(
        "/api/content/create",
        &[("x-api-key", OTHER_KEY)],
        json!({ "artist_account_id": "11111111-2222-4333-8444-555555555555" }).to_string(),
    );
    assert_eq!(status, 404);
}

/// Reads from `stream` until the server closes it; the time that took, or None when it was
/// still open after `limit`. Whatever the server sent is appended to `got`.
fn time_to_close(stream: &mut TcpStream, limit: Duration, got: &mut Vec<u8>) -> Option<Duration> {
    let started = Instant::now();
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut buf = [0u8; 4096];
    while started.elapsed() < limit {
        match stream.read(&mut buf) {
            Ok(0) => return Some(started.elapsed()),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return Some(started.elapsed()),
        }
    }
    None
}

fn connect(s: &Service) -> TcpStream {
    TcpStream::connect(s.url.trim_start_matches("http://")).unwrap()
}

#[test]
fn silent_idle_and_half_sent_connections_are_closed_after_their_timeouts() {
    let (_dir, data) = data_dir();
    let s = start(
        &data,
        &["--header-timeout", "1", "--body-timeout", "1"],
        &[],
    );
    let limit = Duration::from_secs(10);

    // Sends nothing at all.
    let mut silent = connect(&s);
    // Stops in the middle of its headers.
    let mut half_header = connect(&s);
    half_header
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    // One whole request, then idles on the kept-alive connection.
    let mut idle = connect(&s);
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    // Promises a body of 100 bytes and sends 10.
    let mut half_body = connect(&s);
    half_body
        .write_all(
            format!(
                "POST /api/content/create HTTP/1.1\r\nHost: x\r\nx-api-key: {KEY}\r\n\
                 content-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"artist_"
            )
            .as_bytes(),
        )
        .unwrap();

    for (what, stream) in [
        ("a silent connection", &mut silent),
        ("a half-sent header", &mut half_header),
        ("an idle kept-alive connection", &mut idle),
    ] {
        let mut got = Vec::new();
        let closed = time_to_close(stream, limit, &mut got);
        assert!(closed.is_some(), "{what} was still open after {limit:?}");
        if what.starts_with("an idle") {
            assert!(String::from_utf8_lossy(&got).starts_with("HTTP/1.1 200"));
        }
    }
    let mut got = Vec::new();
    assert!(
        time_to_close(&mut half_body, limit, &mut got).is_some(),
        "a half-sent body was still open after {limit:?}"
    );
    let answer = String::from_utf8_lossy(&got);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    // The server is still there for everyone else.
    let (status, _) = s.get("/health");
    assert_eq!(status, 200);
}

#[test]
fn connections_over_the_limit_wait_until_one_closes() {
    let (_dir, data) = data_dir();
    // Held connections would keep their slots far longer than the client below waits.
    let s = start(
        &data,
        &["--max-connections", "3", "--header-timeout", "600"],
        &[],
    );
    let held: Vec<TcpStream> = (0..3).map(|_| connect(&s)).collect();
    let waiting = std::thread::spawn({
        let url = format!("{}/health", s.url);
        move || {
            reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap()
                .get(url)
                .send()
                .map(|r| r.status())
        }
    });
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!waiting.is_finished(), "a fourth connection was served");
    // Closing the held ones frees their slots: the waiting client is served.
    drop(held);
    let status = waiting
        .join()
        .unwrap()
        .expect("served once a slot was free");
    assert_eq!(status, 200);
}

#[test]
fn a_nearly_full_disk_refuses_new_batches_with_503_and_health_says_why() {
    let (_dir, data) = data_dir();
    // A reserve larger than any disk: the data folder is "nearly full".
    let s = start(&data, &["--min-free-mb", "1000000000"], &[]);
    let (status, answer) = s.create(json!({ "artist_account_id": ARTIST }));
    assert_eq!(status, 503, "{answer}");
    let error = answer["error"].as_str().unwrap();
    assert!(error.contains("disk space"), "{error}");
    assert!(!error.contains(&*data.to_string_lossy()), "{error}");
    let (_, runs) = s.get("/api/tasks/runs");
    assert_eq!(runs["runs"], json!([]), "nothing was queued");

    let (status, health) = s.get_as("/health", &[]);
    assert_eq!(
        (status, health["status"].as_str()),
        (503, Some("unavailable"))
    );
    assert!(health["problems"][0]
        .as_str()
        .unwrap()
        .contains("disk space"));
    assert!(
        health["disk"]["free_bytes"].as_u64().unwrap()
            < health["disk"]["min_free_bytes"].as_u64().unwrap()
    );
    // The store itself is fine.
    assert_eq!(health["runs"]["queued"], 0);
}

/// Serves `body` with status 200 to every request; the URL of `name` on it.
fn serving(name: &str, body: &'static [u8]) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/{name}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", body.len());
            let _ = conn.write_all(head.as_bytes());
            let _ = conn.write_all(body);
        }
    });
    url
}

#[test]
fn a_failed_run_tells_callers_a_code_and_fixed_words_and_the_log_the_details() {
    let (_dir, data) = data_dir();
    let s = start(&data, &["--allow-private-urls"], &[]);
    let song = serving("demo.mp3", b"these bytes are not audio at all");
    let image = serving("face.png", b"nor is this an image");
    let (status, created) = s.create(json!({
        "artist_account_id": ARTIST, "batch": 2, "songs": [song],
    }));
    assert_eq!(status, 202, "{created}");
    let (status, created_image) = s.create(json!({
        "artist_account_id": ARTIST, "songs": ["paper-lanterns"], "images": [image],
    }));
    assert_eq!(status, 202, "{created_image}");

    let data_path = std::fs::canonicalize(&data).unwrap();
    for (ids, code) in [
        (run_ids(&created), "song_unusable"),
        (run_ids(&created_image), "image_unusable"),
    ] {
        for id in ids {
            let run = s.wait_run(&id, final_state);
            assert_eq!(run["status"], "FAILED", "{run}");
            assert_eq!(run["errorCode"], code, "{run}");
            let error = run["error"].as_str().unwrap();
            assert!(error.starts_with("The "), "{error}");
            for leak in [data.to_string_lossy(), data_path.to_string_lossy()] {
                assert!(!error.contains(&*leak), "{error}");
            }
            // The operator still gets the whole story, with the run's id.
            let log = s.log();
            let line = log
                .lines()
                .find(|l| l.contains(&id) && l.contains("run finished"))
                .unwrap_or_else(|| panic!("no log line for {id}:\n{log}"));
            assert!(line.contains(code) && line.contains("error="), "{line}");
        }
    }
}
