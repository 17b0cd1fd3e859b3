//! The Slack client and callback delivery against a fake Slack Web API over real HTTP.

mod common;

use std::time::{Duration, Instant};

use common::fake_slack::FakeSlack;
use reelforge::job::FetchError;
use reelforge::serve::callback::{plan_posts, CallbackPayload, Post, SlackThread};
use reelforge::serve::slack::{deliver, SlackClient, SlackError, VideoSourceError};

const TIMEOUT: Duration = Duration::from_secs(10);

fn thread() -> SlackThread {
    SlackThread::parse("slack:C0123ABC:1700000000.123456").unwrap()
}

fn client(slack: &FakeSlack) -> SlackClient {
    SlackClient::new(&slack.api_url(), FakeSlack::TOKEN.to_string(), TIMEOUT).unwrap()
}

/// Bytes that look like the start of an MP4, then a counter so every byte is checked.
fn video_bytes(len: usize) -> Vec<u8> {
    let mut v = b"\0\0\0\x20ftypisom".to_vec();
    v.extend((0..len - v.len()).map(|i| (i % 251) as u8));
    v
}

#[tokio::test]
async fn a_message_lands_in_the_thread_with_the_bearer_token() {
    let slack = FakeSlack::start();
    client(&slack)
        .post_message(&thread(), "_1 run(s) failed._")
        .await
        .unwrap();
    assert_eq!(
        slack.messages(),
        vec![(
            "C0123ABC".to_string(),
            "1700000000.123456".to_string(),
            "_1 run(s) failed._".to_string()
        )]
    );
    let calls = slack.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].method, "chat.postMessage");
    assert_eq!(
        calls[0].authorization.as_deref(),
        Some("Bearer xoxb-test-token")
    );
}

#[tokio::test]
async fn a_trailing_slash_in_the_base_url_is_tolerated() {
    let slack = FakeSlack::start();
    let c = SlackClient::new(&format!("{}/", slack.api_url()), FakeSlack::TOKEN, TIMEOUT).unwrap();
    c.post_message(&thread(), "hi").await.unwrap();
    assert_eq!(slack.messages().len(), 1);
}

#[test]
fn a_base_url_that_is_not_http_is_refused() {
    for bad in ["", "slack.com/api", "ftp://slack.com/api"] {
        let e = SlackClient::new(bad, FakeSlack::TOKEN, TIMEOUT).unwrap_err();
        assert!(matches!(e, SlackError::BaseUrl(_)), "{bad:?}: {e}");
    }
}

#[tokio::test]
async fn an_upload_goes_through_the_three_steps_with_the_exact_bytes_and_comment() {
    let slack = FakeSlack::start();
    let bytes = video_bytes(300_000);
    client(&slack)
        .upload_file(
            &thread(),
            "run_abc.mp4",
            bytes.clone(),
            "**Video 1**\n> late night, ünïcode & more",
        )
        .await
        .unwrap();
    assert_eq!(
        slack.methods(),
        [
            "files.getUploadURLExternal",
            "upload",
            "files.completeUploadExternal"
        ]
    );
    let calls = slack.calls();
    assert_eq!(calls[0].params["filename"], "run_abc.mp4");
    assert_eq!(calls[0].params["length"], "300000");
    // The pre-signed URL needs no token, so none is sent there.
    assert_eq!(calls[1].authorization, None);
    assert_eq!(
        calls[2].authorization.as_deref(),
        Some("Bearer xoxb-test-token")
    );

    let uploads = slack.uploads();
    assert_eq!(uploads.len(), 1);
    let u = &uploads[0];
    assert_eq!(u.channel, "C0123ABC");
    assert_eq!(u.thread_ts, "1700000000.123456");
    assert_eq!(u.filename, "run_abc.mp4");
    assert_eq!(u.title, "run_abc.mp4");
    assert_eq!(
        u.initial_comment.as_deref(),
        Some("**Video 1**\n> late night, ünïcode & more")
    );
    assert_eq!(u.bytes_len, bytes.len());
    assert_eq!(u.first_bytes, bytes[..16]);
}

#[tokio::test]
async fn an_empty_comment_is_left_out_of_the_upload() {
    let slack = FakeSlack::start();
    client(&slack)
        .upload_file(&thread(), "v.mp4", video_bytes(64), "")
        .await
        .unwrap();
    let uploads = slack.uploads();
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0].initial_comment, None);
}

#[tokio::test]
async fn ok_false_is_an_error_naming_the_method_and_slacks_error() {
    let slack = FakeSlack::start();
    let c = client(&slack);
    slack.fail_next("chat.postMessage", "channel_not_found");
    let e = c.post_message(&thread(), "hi").await.unwrap_err();
    assert!(
        matches!(&e, SlackError::Api { method, error }
            if *method == "chat.postMessage" && error == "channel_not_found"),
        "{e:?}"
    );
    assert_eq!(e.to_string(), "chat.postMessage: channel_not_found");
    assert!(slack.messages().is_empty());

    slack.fail_next("files.completeUploadExternal", "not_in_channel");
    let e = c
        .upload_file(&thread(), "v.mp4", video_bytes(64), "x")
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "files.completeUploadExternal: not_in_channel"
    );
    assert!(slack.uploads().is_empty());
}

#[tokio::test]
async fn http_429_is_waited_out_and_retried() {
    let slack = FakeSlack::start();
    slack.rate_limit_next("chat.postMessage");
    let started = Instant::now();
    client(&slack).post_message(&thread(), "hi").await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert_eq!(slack.methods(), ["chat.postMessage", "chat.postMessage"]);
    assert_eq!(slack.messages().len(), 1);
}

#[tokio::test]
async fn a_bad_token_gives_invalid_auth_and_the_token_never_shows() {
    let slack = FakeSlack::start();
    let token = "xoxb-wrong-but-secret-7f3a";
    let c = SlackClient::new(&slack.api_url(), token, TIMEOUT).unwrap();
    let e = c.post_message(&thread(), "hi").await.unwrap_err();
    assert_eq!(e.to_string(), "chat.postMessage: invalid_auth");
    assert!(!format!("{e:?}").contains(token));
    assert!(!format!("{c:?}").contains(token));
    let e = c
        .upload_file(&thread(), "v.mp4", video_bytes(64), "")
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "files.getUploadURLExternal: invalid_auth");
    assert!(slack.messages().is_empty() && slack.uploads().is_empty());
}

#[tokio::test]
async fn a_transport_error_names_the_method_but_not_the_token() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let token = "xoxb-secret-for-transport-test";
    let c = SlackClient::new(&format!("http://127.0.0.1:{port}/api"), token, TIMEOUT).unwrap();
    let e = c.post_message(&thread(), "hi").await.unwrap_err();
    assert!(matches!(e, SlackError::Transport { .. }), "{e:?}");
    assert!(e.to_string().starts_with("chat.postMessage: "), "{e}");
    assert!(!e.to_string().contains(token) && !format!("{e:?}").contains(token));
}

fn payload(body: serde_json::Value) -> CallbackPayload {
    CallbackPayload::from_json(body.to_string().as_bytes()).unwrap()
}

/// The fixture videos by URL: a.mp4 and b.mp4 exist, anything else is 404.
fn fetch_fixture(
    url: &str,
) -> impl std::future::Future<Output = Result<(String, Vec<u8>), VideoSourceError>> {
    let name = url.rsplit('/').next().unwrap_or("video.mp4").to_string();
    let url = url.to_string();
    async move {
        match name.as_str() {
            "a.mp4" => Ok((name, video_bytes(5_000))),
            "b.mp4" => Ok((name, video_bytes(7_000))),
            _ => Err(VideoSourceError::Fetch(FetchError::Status {
                url,
                status: 404,
            })),
        }
    }
}

#[tokio::test]
async fn a_callback_is_delivered_as_numbered_videos_then_the_failure_count() {
    let slack = FakeSlack::start();
    let p = payload(serde_json::json!({
        "threadId": "slack:C0123ABC:1700000000.123456",
        "status": "failed",
        "results": [
            {"runId": "run_a", "status": "completed", "videoUrl": "https://cdn.example/a.mp4",
             "captionText": "first"},
            {"runId": "run_x", "status": "failed", "error": "song not found"},
            {"runId": "run_b", "status": "completed", "videoUrl": "https://cdn.example/b.mp4"}
        ]
    }));
    let posts = plan_posts(&p);
    deliver(
        &client(&slack),
        &p.thread().unwrap(),
        &posts,
        0,
        fetch_fixture,
        |_| {},
    )
    .await
    .unwrap();

    let uploads = slack.uploads();
    assert_eq!(uploads.len(), 2);
    assert_eq!(uploads[0].filename, "a.mp4");
    assert_eq!(uploads[0].bytes_len, 5_000);
    assert_eq!(
        uploads[0].initial_comment.as_deref(),
        Some("**Video 1**\n> first")
    );
    assert_eq!(uploads[1].filename, "b.mp4");
    assert_eq!(uploads[1].bytes_len, 7_000);
    assert_eq!(uploads[1].initial_comment.as_deref(), Some("**Video 2**"));
    assert_eq!(
        slack.messages(),
        vec![(
            "C0123ABC".to_string(),
            "1700000000.123456".to_string(),
            "_1 run(s) failed._".to_string()
        )]
    );
    // The note comes after the videos.
    assert_eq!(
        slack.methods().last().map(String::as_str),
        Some("chat.postMessage")
    );
}

#[tokio::test]
async fn a_video_that_cannot_be_fetched_stops_delivery_and_says_how_far_it_got() {
    let slack = FakeSlack::start();
    let posts = vec![
        Post::Video {
            run_id: "run_a".into(),
            video_url: "https://cdn.example/a.mp4".into(),
            comment: "**Video 1**".into(),
        },
        Post::Video {
            run_id: "run_gone".into(),
            video_url: "https://cdn.example/gone.mp4".into(),
            comment: "**Video 2**".into(),
        },
    ];
    let mut done = 0;
    let e = deliver(&client(&slack), &thread(), &posts, 0, fetch_fixture, |n| {
        done = n
    })
    .await
    .unwrap_err();
    assert_eq!(done, 1, "the first video went out");
    assert!(
        matches!(&e, SlackError::Video { run_id, url, .. }
            if run_id == "run_gone" && url == "https://cdn.example/gone.mp4"),
        "{e:?}"
    );
    assert!(e.to_string().contains("run_gone") && e.to_string().contains("404"));
    assert_eq!(slack.uploads().len(), 1);

    // A retry from where it stopped does not post the first video again.
    let mut more = Vec::new();
    deliver(&client(&slack), &thread(), &posts, 1, fetch_fixture, |n| {
        more.push(n)
    })
    .await
    .unwrap_err();
    assert!(more.is_empty(), "nothing more was posted: {more:?}");
    assert_eq!(slack.uploads().len(), 1);
}

#[tokio::test]
async fn a_failed_batch_without_videos_posts_one_explanation() {
    let slack = FakeSlack::start();
    let p = payload(serde_json::json!({
        "threadId": "slack:C0123ABC:1700000000.123456",
        "status": "timeout",
        "results": [{"runId": "run_x", "status": "timeout"}]
    }));
    deliver(
        &client(&slack),
        &p.thread().unwrap(),
        &plan_posts(&p),
        0,
        |_: &str| async { Err::<(String, Vec<u8>), _>(VideoSourceError::NotPublished) },
        |_| {},
    )
    .await
    .unwrap();
    let messages = slack.messages();
    assert_eq!(messages.len(), 1);
    assert!(messages[0].2.starts_with("Content generation timed out"));
    assert!(slack.uploads().is_empty());
}

#[tokio::test]
async fn rate_limiting_that_persists_gives_up_after_three_retries() {
    let slack = FakeSlack::start();
    for _ in 0..4 {
        slack.rate_limit_next("chat.postMessage");
    }
    let e = client(&slack)
        .post_message(&thread(), "hi")
        .await
        .unwrap_err();
    assert!(
        matches!(e, SlackError::RateLimited { retries: 3, .. }),
        "{e:?}"
    );
    assert_eq!(slack.methods().len(), 4);
    assert!(slack.messages().is_empty());
}
