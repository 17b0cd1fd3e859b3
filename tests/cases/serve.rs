//! `reelforge serve` end to end: the real binary listening on 127.0.0.1, a real run store
//! (tests/serve.rs: SQLite; tests/serve_postgres.rs: PostgreSQL), real renders in child
//! processes, and a fake Slack that records what reaches it.

use crate::common::fake_slack::FakeSlack;
use crate::common::service::*;
use serde_json::{json, Value};

#[test]
fn a_batch_with_a_callback_thread_is_rendered_served_and_posted_to_slack() {
    let (_dir, data) = data_dir();
    let slack = FakeSlack::start();
    let s = start_with_slack(&data, &slack, &[]);
    let (status, created) = s.create(json!({
        "artist_account_id": ARTIST,
        "template": "artist-caption-stage",
        "caption_length": "short",
        "batch": 2,
        "songs": ["paper-lanterns"],
        "callback_thread_id": THREAD,
    }));
    assert_eq!(status, 202, "{created}");
    assert_eq!(created["status"], "triggered");
    assert_eq!(created["template"], "artist-caption-stage");
    assert_eq!(created["artist_account_id"], ARTIST);
    assert!(created.get("failed").is_none());
    let ids = run_ids(&created);
    assert_eq!(ids.len(), 2);
    // A thread is reported once, so it belongs to one batch.
    let (status, answer) = s.create(json!({
        "artist_account_id": ARTIST, "callback_thread_id": THREAD,
    }));
    assert_eq!(
        (status, answer["field"].as_str()),
        (409, Some("callback_thread_id"))
    );

    let mut videos = Vec::new();
    for id in &ids {
        let run = s.wait_run(id, final_state);
        assert_eq!(run["status"], "COMPLETED", "{run}\n{}", s.log());
        assert_eq!(run["attempts"], 1);
        assert!(run["finishedAt"].is_string());
        let url = run["output"]["videoUrl"].as_str().unwrap().to_string();
        assert!(url.starts_with(&format!("{}/files/", s.url)), "{url}");
        assert!(!run["output"]["captionText"].as_str().unwrap().is_empty());
        // The lyrics in time are published beside the video.
        let lyrics = run["output"]["lyricsUrl"].as_str().unwrap();
        assert_eq!(lyrics, url.replace(".mp4", ".vtt"));
        let vtt = client().get(lyrics).send().unwrap();
        assert_eq!(vtt.status().as_u16(), 200);
        assert!(vtt.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/vtt"));
        assert!(vtt.text().unwrap().starts_with("WEBVTT\n"));
        let lines = run["output"]["audio"]["clipLines"].as_array().unwrap();
        assert!(!lines.is_empty(), "{run}");
        videos.push(url);
    }

    // The video is served whole and by ranges.
    let whole = client().get(&videos[0]).send().unwrap();
    assert_eq!(whole.status().as_u16(), 200);
    let bytes = whole.bytes().unwrap();
    let local = data.with_extension("mp4");
    std::fs::write(&local, &bytes).unwrap();
    let probe = ffprobe_video(&local);
    let v = probe["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["codec_type"] == "video")
        .unwrap();
    assert_eq!(
        (
            v["codec_name"].as_str(),
            v["width"].as_u64(),
            v["height"].as_u64()
        ),
        (Some("h264"), Some(720), Some(1280))
    );
    let part = client()
        .get(&videos[0])
        .header("range", "bytes=100-199")
        .send()
        .unwrap();
    assert_eq!(part.status().as_u16(), 206);
    assert_eq!(
        part.headers()["content-range"].to_str().unwrap(),
        format!("bytes 100-199/{}", bytes.len())
    );
    assert_eq!(part.bytes().unwrap()[..], bytes[100..200]);

    // The poller reports the batch; the callback posts both videos into the thread.
    let uploads = s.wait("two uploads in the Slack thread", || {
        let u = slack.uploads();
        (u.len() == 2).then_some(u)
    });
    for (i, u) in uploads.iter().enumerate() {
        assert_eq!(
            (u.channel.as_str(), u.thread_ts.as_str()),
            ("C0TEST", "1700000000.000100")
        );
        let comment = u.initial_comment.as_deref().unwrap_or_default();
        assert!(
            comment.starts_with(&format!("**Video {}**", i + 1)),
            "{comment}"
        );
        assert_eq!(&u.first_bytes[4..8], b"ftyp");
    }
    assert_eq!(uploads[0].bytes_len, bytes.len());
    assert!(slack.messages().is_empty(), "nothing failed, so no text");

    // A second report of the same thread is skipped.
    let again = json!({ "threadId": THREAD, "status": "completed", "results": [] });
    assert_eq!(
        s.callback(SECRET, &again),
        (200, json!({ "status": "ok", "skipped": true }))
    );
    assert_eq!(slack.uploads().len(), 2);
}

#[test]
fn a_run_survives_the_server_being_killed_and_is_crashed_after_a_second_kill() {
    let (_dir, data) = data_dir();
    let s = start(&data, &[], &[]);
    let (_, created) = s.create(json!({ "artist_account_id": ARTIST, "batch": 2 }));
    let ids = run_ids(&created);
    s.wait_run(&ids[0], |st| st == "EXECUTING");
    drop(s); // SIGKILL: no chance to tidy up

    // Restarted, the run is executed again and completes; so does its batch-mate.
    let s = start(&data, &[], &[]);
    let run = s.wait_run(&ids[0], final_state);
    assert_eq!(run["status"], "COMPLETED", "{run}\n{}", s.log());
    assert_eq!(run["attempts"], 2);
    assert!(s.log().contains("recovered runs"), "{}", s.log());
    assert_eq!(s.wait_run(&ids[1], final_state)["status"], "COMPLETED");

    // A run that is killed twice is not retried forever.
    let (_, created) = s.create(json!({ "artist_account_id": ARTIST }));
    let id = &run_ids(&created)[0];
    s.wait_run(id, |st| st == "EXECUTING");
    drop(s);
    let s = start(&data, &[], &[]);
    s.wait("the second attempt", || {
        let run = s.run(id);
        (run["status"] == "EXECUTING" && run["attempts"] == 2).then_some(())
    });
    drop(s);
    // SQLite's server recovers at start; on a shared store the run waits for its lease.
    let s = start(&data, &[], &[]);
    let run = s.wait_run(id, final_state);
    assert_eq!(run["status"], "CRASHED", "{run}");
    assert!(run["error"].as_str().unwrap().contains("stopped"));
    assert_eq!(run["errorCode"], "renderer_stopped");
}

#[test]
fn a_graceful_stop_requeues_a_run_it_cannot_finish_without_using_an_attempt() {
    let (_dir, data) = data_dir();
    let s = start(&data, &["--shutdown-grace", "0.05"], &[]);
    let (_, created) = s.create(json!({ "artist_account_id": ARTIST }));
    let id = run_ids(&created).remove(0);
    s.wait_run(&id, |st| st == "EXECUTING");
    let status = s.terminate();
    assert!(status.success(), "{status:?}");
    let s = start(&data, &[], &[]);
    let run = s.wait_run(&id, final_state);
    assert_eq!(run["status"], "COMPLETED", "{run}");
    assert_eq!(run["attempts"], 1, "the interrupted try does not count");
}

#[test]
fn a_run_past_its_timeout_is_timed_out() {
    let (_dir, data) = data_dir();
    let s = start(&data, &["--run-timeout", "0.05"], &[]);
    let (_, created) = s.create(json!({ "artist_account_id": ARTIST }));
    let run = s.wait_run(&run_ids(&created)[0], final_state);
    assert_eq!(run["status"], "TIMED_OUT", "{run}");
    assert_eq!(run["errorCode"], "timed_out", "{run}");
    assert!(run["output"].is_null());
}

#[test]
fn a_batch_past_its_callback_timeout_is_reported_as_timed_out() {
    let (_dir, data) = data_dir();
    let slack = FakeSlack::start();
    let s = start_with_slack(&data, &slack, &["--callback-timeout", "0.3"]);
    let (status, created) = s.create(json!({
        "artist_account_id": ARTIST, "batch": 2, "callback_thread_id": THREAD,
    }));
    assert_eq!(status, 202, "{created}");
    let ids = run_ids(&created);
    let messages = s.wait("the timeout note in the thread", || {
        let m = slack.messages();
        (!m.is_empty()).then_some(m)
    });
    assert!(
        messages[0]
            .2
            .starts_with("Content generation timed out after 0.3 seconds"),
        "{messages:?}"
    );
    // The run that was rendering is stopped and says why; the one that had not started is
    // not started any more.
    let first = s.wait_run(&ids[0], final_state);
    assert_eq!(first["status"], "TIMED_OUT", "{first}");
    assert!(first["error"]
        .as_str()
        .unwrap()
        .contains("callback timeout"));
    assert_eq!(first["errorCode"], "batch_timed_out");
    let second = s.run(&ids[1]);
    assert_eq!(second["errorCode"], "batch_timed_out");
    assert_eq!(second["status"], "TIMED_OUT", "{second}\n{}", s.log());
    assert!(second["error"]
        .as_str()
        .unwrap()
        .contains("callback timeout"));
}

#[test]
fn song_urls_on_private_addresses_are_refused_unless_allowed() {
    let (_dir, data) = data_dir();
    let s = start(&data, &[], &[]);
    let (status, created) = s.create(json!({
        "artist_account_id": ARTIST,
        "songs": ["http://127.0.0.1:9/song.mp3"],
    }));
    assert_eq!(status, 202, "{created}");
    let run = s.wait_run(&run_ids(&created)[0], final_state);
    assert_eq!(run["status"], "FAILED", "{run}");
    assert_eq!(run["errorCode"], "song_download_failed", "{run}");
    // The caller is told the code's words; the log says why.
    assert!(s.log().contains("private"), "{}", s.log());
}

/// A server on 127.0.0.1 that answers every request 404 and counts them.
fn counting_404_server() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{Read, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/unreleased.mp3", listener.local_addr().unwrap());
    let hits = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            let _ = conn.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
        }
    });
    (url, hits)
}

#[test]
fn a_run_downloads_only_the_song_it_draws() {
    let (_dir, data) = data_dir();
    let (url, hits) = counting_404_server();
    let s = start(&data, &["--allow-private-urls"], &[]);
    let (status, created) = s.create(json!({
        "artist_account_id": ARTIST, "batch": 4, "songs": ["paper-lanterns", url],
    }));
    assert_eq!(status, 202, "{created}");
    let runs: Vec<Value> = run_ids(&created)
        .iter()
        .map(|id| s.wait_run(id, final_state))
        .collect();
    let drew_url = runs
        .iter()
        .filter(|r| r["errorCode"] == "song_download_failed")
        .count();
    let completed = runs.iter().filter(|r| r["status"] == "COMPLETED").count();
    assert_eq!(drew_url + completed, 4, "{runs:?}");
    assert_eq!(
        hits.load(std::sync::atomic::Ordering::SeqCst),
        drew_url,
        "one download per run that drew the URL, none for the others"
    );
}

#[test]
fn every_create_error_has_its_status_and_message() {
    let (_dir, data) = data_dir();
    let s = start(&data, &["--body-limit", "2000"], &[]);
    let body = json!({ "artist_account_id": ARTIST }).to_string();
    let create =
        |headers: &[(&str, &str)], body: String| s.post_as("/api/content/create", headers, body);
    let bearer = format!("Bearer {KEY}");
    for (headers, needle) in [
        (vec![], "Missing API key"),
        (
            vec![("x-api-key", KEY), ("authorization", bearer.as_str())],
            "exactly one",
        ),
        (
            vec![("x-api-key", "rf_not_a_known_key_000")],
            "Invalid API key",
        ),
        (vec![("authorization", "Basic abc")], "Bearer"),
        // A valid key and a second one: which would count is a guess, so neither does.
        (
            vec![("x-api-key", KEY), ("x-api-key", "rf_not_a_known_key_000")],
            "once",
        ),
        (vec![("x-api-key", KEY), ("x-api-key", KEY)], "once"),
    ] {
        let (status, answer) = create(&headers, body.clone());
        assert_eq!(status, 401, "{answer}");
        assert!(
            answer["error"].as_str().unwrap().contains(needle),
            "{answer}"
        );
        assert_eq!(answer["status"], "error");
    }
    // Either header works alone.
    assert_eq!(create(&[("authorization", &bearer)], body.clone()).0, 202);

    let key = [("x-api-key", KEY)];
    let (status, answer) = create(&key, "{ nope".into());
    assert_eq!((status, answer["field"].as_str()), (400, Some("body")));
    for (fields, field) in [
        (json!({}), "artist_account_id"),
        (json!({ "artist_account_id": "nope" }), "artist_account_id"),
        (json!({ "artist_account_id": ARTIST, "batch": 31 }), "batch"),
        (
            json!({ "artist_account_id": ARTIST, "caption_length": "epic" }),
            "caption_length",
        ),
        (
            json!({ "artist_account_id": ARTIST, "template": "" }),
            "template",
        ),
        (
            json!({ "artist_account_id": ARTIST, "songs": [3] }),
            "songs",
        ),
        (
            json!({ "artist_account_id": ARTIST, "images": ["face.png"] }),
            "images",
        ),
        (
            json!({ "artist_account_id": ARTIST, "callback_thread_id": "general" }),
            "callback_thread_id",
        ),
        (
            json!({ "artist_account_id": ARTIST, "language": "klingon" }),
            "language",
        ),
        (
            json!({ "artist_account_id": ARTIST, "songs": ["https://u:hunter2@example.com/a.mp3"] }),
            "songs",
        ),
    ] {
        let (status, answer) = create(&key, fields.to_string());
        assert_eq!(status, 400, "{fields}: {answer}");
        assert!(!answer.to_string().contains("hunter2"), "{answer}");
        assert_eq!(answer["field"], field, "{answer}");
    }
    // A callback thread needs a callback, which this server does not have.
    let (status, answer) = create(
        &key,
        json!({ "artist_account_id": ARTIST, "callback_thread_id": THREAD }).to_string(),
    );
    assert_eq!(
        (status, answer["field"].as_str()),
        (400, Some("callback_thread_id"))
    );

    let (status, answer) = s.create(json!({ "artist_account_id": ARTIST, "template": "nope" }));
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("Unsupported template: nope"))
    );
    let (status, answer) =
        s.create(json!({ "artist_account_id": ARTIST, "songs": ["missing-song"] }));
    assert_eq!(status, 400);
    assert!(answer["error"].as_str().unwrap().starts_with(
        "None of the specified songs [missing-song] were found for artist lumen-vale"
    ));
    let unknown = "11111111-2222-4333-8444-555555555555";
    let (status, answer) = s.create(json!({ "artist_account_id": unknown }));
    assert_eq!(
        (status, answer["error"].as_str()),
        (404, Some(format!("Artist not found: {unknown}").as_str()))
    );
    let (status, answer) = create(&key, format!("{{\"pad\": \"{}\"}}", "x".repeat(3000)));
    assert_eq!(status, 413, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("2000"));
}

#[test]
fn a_language_is_refused_by_a_server_without_a_multilingual_model() {
    let (_dir, data) = data_dir();
    let s = start(
        &data,
        &["--multilingual-model", "/nonexistent/ggml-base.bin"],
        &[],
    );
    let (status, answer) = s.create(json!({ "artist_account_id": ARTIST, "language": "es" }));
    assert_eq!((status, answer["field"].as_str()), (400, Some("language")));
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("English songs only"),
        "{answer}"
    );
    // English needs no other model.
    let (status, answer) = s.create(json!({ "artist_account_id": ARTIST, "language": "en" }));
    assert_eq!(status, 202, "{answer}");
}

#[test]
fn a_missing_face_guide_is_refused_unless_images_replace_it() {
    let (dir, data) = data_dir();
    // An artists root whose artist has songs but no face guide.
    let root = dir.path().join("artists/faceless");
    std::fs::create_dir_all(root.join("songs")).unwrap();
    std::fs::write(
        root.join("artist.json"),
        json!({ "account_id": ARTIST, "name": "Faceless", "members": [ACCOUNT] }).to_string(),
    )
    .unwrap();
    std::fs::copy(
        crate::common::songs()[0].1.clone(),
        root.join("songs/paper-lanterns.mp3"),
    )
    .unwrap();
    let s = start_in(&data, &dir.path().join("artists"), &[], &[]);
    let (status, answer) = s.create(json!({ "artist_account_id": ARTIST }));
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("face-guide.png not found for artist faceless"))
    );
    let (status, answer) = s.create(json!({
        "artist_account_id": ARTIST, "images": ["https://example.com/face.png"]
    }));
    assert_eq!(status, 202, "{answer}");
    let (status, ready) = s.get(&format!("/api/content/validate?artist_account_id={ARTIST}"));
    assert_eq!(status, 200);
    assert_eq!(ready["ready"], false);
    assert_eq!(ready["face_guide"], false);
    assert_eq!(ready["songs"], json!(["paper-lanterns"]));
    assert!(ready["missing"]
        .as_array()
        .unwrap()
        .contains(&json!("context/images/face-guide.png")));
}

#[test]
fn runs_are_seen_only_by_their_account_and_every_runs_error_has_its_status() {
    let (_dir, data) = data_dir();
    let s = start(&data, &[], &[]);
    let (_, created) = s.create(json!({ "artist_account_id": ARTIST, "batch": 2 }));
    let ids = run_ids(&created);

    let (status, list) = s.get("/api/tasks/runs?limit=1");
    assert_eq!(status, 200);
    assert_eq!(list["runs"].as_array().unwrap().len(), 1);
    let (status, list) = s.get(&format!("/api/tasks/runs?account_id={ACCOUNT}"));
    assert_eq!(status, 200);
    let listed: Vec<&str> = list["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(ids.iter().all(|id| listed.contains(&id.as_str())));
    let run = s.run(&ids[0]);
    assert_eq!(run["artist_account_id"], ARTIST);
    assert_eq!(run["index"], 0);
    assert!(run["createdAt"].as_str().unwrap().ends_with('Z'));

    let other = [("x-api-key", OTHER_KEY)];
    let (status, answer) = s.get_as(&format!("/api/tasks/runs?runId={}", ids[0]), &other);
    assert_eq!(
        (status, answer["error"].as_str()),
        (404, Some("Task run not found"))
    );
    let (status, list) = s.get_as("/api/tasks/runs", &other);
    assert_eq!((status, list["runs"].as_array().unwrap().len()), (200, 0));
    let (status, _) = s.get_as(&format!("/api/tasks/runs?account_id={ACCOUNT}"), &other);
    assert_eq!(status, 403);
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("account_id=nope", "account_id"),
    ] {
        let (status, answer) = s.get(&format!("/api/tasks/runs?{query}"));
        assert_eq!(
            (status, answer["field"].as_str()),
            (400, Some(field)),
            "{query}"
        );
    }
    let (status, _) = s.get("/api/tasks/runs?runId=run_doesnotexist0000");
    assert_eq!(status, 404);
    let (status, _) = s.get_as("/api/tasks/runs", &[]);
    assert_eq!(status, 401);
}

#[test]
fn templates_validate_health_openapi_and_files_answer_as_documented() {
    let (_dir, data) = data_dir();
    let s = start(&data, &[], &[]);
    let (status, list) = s.get("/api/content/templates");
    assert_eq!(status, 200);
    let ids: Vec<&str> = list["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"artist-caption-stage") && ids.contains(&"album-record-store"));
    assert!(list["templates"][0]["description"].is_string());
    let (status, one) = s.get("/api/content/templates/artist-release-editorial");
    assert_eq!(status, 200);
    assert_eq!(one["template"]["id"], "artist-release-editorial");
    assert_eq!(one["template"]["uses_image_overlay"], true);
    assert_eq!(
        s.get("/api/content/templates/nope"),
        (
            404,
            json!({ "status": "error", "error": "Template not found" })
        )
    );
    assert_eq!(s.get_as("/api/content/templates", &[]).0, 401);
    assert_eq!(s.get_as("/api/content/templates/nope", &[]).0, 401);

    let (status, ready) = s.get(&format!("/api/content/validate?artist_account_id={ARTIST}"));
    assert_eq!(status, 200, "{ready}");
    assert_eq!(
        (ready["ready"].as_bool(), ready["face_guide"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(ready["artist"], "Lumen Vale");
    assert_eq!(ready["songs"].as_array().unwrap().len(), 3);
    assert_eq!(
        s.get("/api/content/validate").1["field"],
        "artist_account_id"
    );
    assert_eq!(s.get("/api/content/validate?artist_account_id=x").0, 400);
    assert_eq!(
        s.get("/api/content/validate?artist_account_id=11111111-2222-4333-8444-555555555555")
            .0,
        404
    );
    assert_eq!(s.get_as("/api/content/validate", &[]).0, 401);

    let (status, health) = s.get_as("/health", &[]);
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
    assert_eq!(health["runs"]["queued"], 0);

    let (status, doc) = s.get_as("/openapi.json", &[]);
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/api/content/create",
        "/api/tasks/runs",
        "/api/content/templates",
        "/api/content/templates/{id}",
        "/api/content/validate",
        "/api/content-agent/callback",
        "/health",
        "/files/{name}",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }

    assert_eq!(s.get_as("/files/run_nothing.mp4", &[]).0, 404);
    assert_eq!(s.get_as("/nowhere", &[]).0, 404);
    // Names the server never publishes are plain 404s: not a 500 for a name too long for the
    // file system, not a redirect for a dot.
    let long = format!("/files/{}", "a".repeat(256));
    for path in [
        long.as_str(),
        "/files/.",
        "/files/..",
        "/files/runs.db",
        "/files/",
    ] {
        let (status, body) = s.get_as(path, &[]);
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["error"], "Not found", "{path}");
    }
    assert!(!s.log().contains("ERROR"), "{}", s.log());
}

#[test]
fn every_callback_error_has_its_status_and_a_thread_is_posted_once() {
    let (_dir, data) = data_dir();
    let slack = FakeSlack::start();
    let s = start_with_slack(&data, &slack, &["--body-limit", "4000"]);
    let failed = json!({
        "threadId": THREAD, "status": "failed",
        "results": [{ "runId": "run_a", "status": "failed", "error": "decoder exploded" }],
    });
    assert_eq!(s.callback("", &failed).0, 401);
    assert_eq!(s.callback("wrong-secret", &failed).0, 401);
    let (status, answer) = s.callback(SECRET, &json!({ "threadId": THREAD, "status": "meh" }));
    assert_eq!((status, answer["field"].as_str()), (400, Some("status")));
    let (status, answer) = s.callback(SECRET, &json!({ "threadId": "C1", "status": "failed" }));
    assert_eq!((status, answer["field"].as_str()), (400, Some("threadId")));
    let teams = json!({ "threadId": "teams:19abc:1700000000.1", "status": "failed" });
    let (status, answer) = s.callback(SECRET, &teams);
    assert_eq!((status, answer["field"].as_str()), (400, Some("threadId")));
    assert!(
        answer["error"].as_str().unwrap().contains("teams"),
        "{answer}"
    );
    let null_results = json!({ "threadId": THREAD, "status": "failed", "results": null });
    let (status, answer) = s.callback(SECRET, &null_results);
    assert_eq!(
        (status, answer["field"].as_str()),
        (400, Some("results")),
        "{answer}"
    );
    // A wrong method on a known path answers in the error shape too.
    let r = client()
        .get(format!("{}/api/content-agent/callback", s.url))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 405);
    let body: Value = r.json().unwrap();
    assert_eq!(body["status"], "error", "{body}");
    let (status, _) = s.post_as(
        "/api/content-agent/callback",
        &[("x-callback-secret", SECRET)],
        "x".repeat(5000),
    );
    assert_eq!(status, 413);

    // Slack refuses: 502, and nothing is marked reported, so the retry posts.
    slack.fail_next("chat.postMessage", "channel_not_found");
    let (status, answer) = s.callback(SECRET, &failed);
    assert_eq!(status, 502, "{answer}");
    assert!(answer["error"]
        .as_str()
        .unwrap()
        .contains("channel_not_found"));
    assert_eq!(
        s.callback(SECRET, &failed),
        (200, json!({ "status": "ok" }))
    );
    let messages = slack.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].0, "C0TEST");
    assert!(messages[0]
        .2
        .starts_with("Content generation failed: decoder exploded"));
    assert_eq!(
        s.callback(SECRET, &failed),
        (200, json!({ "status": "ok", "skipped": true }))
    );
    assert_eq!(slack.messages().len(), 1);

    // Slack fails half-way (the video went out, the note did not): the retry posts only what
    // is missing.
    std::fs::write(
        data.join("files/run_fake.mp4"),
        b"\0\0\0\x18ftypisom fake video",
    )
    .unwrap();
    let thread = "slack:C0TEST:1700000000.000200";
    let partly = json!({
        "threadId": thread, "status": "failed",
        "results": [
            { "runId": "run_fake", "status": "completed", "captionText": "hello",
              "videoUrl": format!("{}/files/run_fake.mp4", s.url) },
            { "runId": "run_b", "status": "failed", "error": "no song" },
        ],
    });
    slack.fail_next("chat.postMessage", "internal_error");
    assert_eq!(s.callback(SECRET, &partly).0, 502);
    assert_eq!(slack.uploads().len(), 1);
    assert_eq!(
        s.callback(SECRET, &partly),
        (200, json!({ "status": "ok" }))
    );
    let uploads = slack.uploads();
    assert_eq!(uploads.len(), 1, "the video is not posted twice");
    assert_eq!(uploads[0].initial_comment.as_deref(), Some("> hello"));
    let notes: Vec<_> = slack
        .messages()
        .into_iter()
        .filter(|m| m.1 == "1700000000.000200")
        .collect();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].2, "_1 run(s) failed._");

    // A server without a callback secret has the endpoint off; one without Slack can't post.
    let (_dir2, data2) = data_dir();
    let off = start(&data2, &[], &[]);
    assert_eq!(off.callback(SECRET, &failed).0, 503);
    let (_dir3, data3) = data_dir();
    let no_slack = start(&data3, &[], &[("REELFORGE_CALLBACK_SECRET", SECRET)]);
    let (status, answer) = no_slack.callback(SECRET, &failed);
    assert_eq!(status, 503, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("Slack"));
}
