//! A small Slack Web API client: thread replies and file uploads (the external upload flow), and
//! [`deliver`], which posts a callback's planned posts into a thread.

use std::future::Future;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{RequestBuilder, Response, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

use super::callback::{Post, SlackThread};

/// Retries after HTTP 429 before giving up.
const MAX_RETRIES: u32 = 3;
/// Longest Retry-After honoured, so one callback cannot stall for minutes.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(10);

const POST_MESSAGE: &str = "chat.postMessage";
const GET_UPLOAD_URL: &str = "files.getUploadURLExternal";
const COMPLETE_UPLOAD: &str = "files.completeUploadExternal";
/// The bytes' POST to the pre-signed URL Slack hands out.
const UPLOAD_BYTES: &str = "file upload";

/// A Slack failure. Messages name the Slack method and never carry the token.
#[derive(Debug, thiserror::Error)]
pub enum SlackError {
    #[error("invalid Slack API base URL {0:?}")]
    BaseUrl(String),
    #[error("could not build the HTTP client: {0}")]
    Client(String),
    #[error("{method}: request failed: {reason}")]
    Transport {
        method: &'static str,
        reason: String,
    },
    #[error("{method}: HTTP {status}")]
    Status { method: &'static str, status: u16 },
    #[error("{method}: still rate limited after {retries} retries")]
    RateLimited { method: &'static str, retries: u32 },
    /// Slack answered `ok: false`; `error` is Slack's own code, e.g. "channel_not_found".
    #[error("{method}: {error}")]
    Api { method: &'static str, error: String },
    #[error("{method}: unexpected response: {reason}")]
    Response {
        method: &'static str,
        reason: String,
    },
    #[error("video of run {run_id} could not be fetched from {url}: {source}")]
    Video {
        run_id: String,
        url: String,
        source: VideoSourceError,
    },
}

/// Why a finished video could not be read for its upload.
#[derive(Debug, thiserror::Error)]
pub enum VideoSourceError {
    #[error("the URL does not name a published video")]
    NotPublished,
    #[error(transparent)]
    Read(#[from] super::storage::StorageError),
    #[error(transparent)]
    Fetch(#[from] crate::job::FetchError),
    #[error("the download stopped: {0}")]
    Stopped(String),
}

/// A Slack Web API client bound to one bot token.
pub struct SlackClient {
    http: reqwest::Client,
    base: String,
    token: SecretString,
}

// By hand so the token never reaches a log line through `{:?}`.
impl std::fmt::Debug for SlackClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl SlackClient {
    /// `base_url` is the Web API root, e.g. "https://slack.com/api"; `timeout` bounds each request.
    pub fn new(
        base_url: &str,
        token: impl Into<SecretString>,
        timeout: Duration,
    ) -> Result<SlackClient, SlackError> {
        let base = base_url.trim().trim_end_matches('/');
        match reqwest::Url::parse(base) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
            _ => return Err(SlackError::BaseUrl(base_url.to_string())),
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| SlackError::Client(e.to_string()))?;
        Ok(SlackClient {
            http,
            base: base.to_string(),
            token: token.into(),
        })
    }

    /// Replies in the thread.
    pub async fn post_message(&self, thread: &SlackThread, text: &str) -> Result<(), SlackError> {
        let body = json!({ "channel": thread.channel, "thread_ts": thread.ts, "text": text });
        let req = self
            .api(POST_MESSAGE)
            .header(CONTENT_TYPE, "application/json; charset=utf-8")
            .body(body.to_string());
        self.call(POST_MESSAGE, req).await.map(drop)
    }

    /// Uploads a file into the thread with `comment` as its message (none when empty).
    pub async fn upload_file(
        &self,
        thread: &SlackThread,
        filename: &str,
        bytes: Vec<u8>,
        comment: &str,
    ) -> Result<(), SlackError> {
        let length = bytes.len().to_string();
        let req = self
            .api(GET_UPLOAD_URL)
            .form(&[("filename", filename), ("length", length.as_str())]);
        let answer = self.call(GET_UPLOAD_URL, req).await?;
        let field = |name: &str| {
            answer
                .get(name)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .ok_or_else(|| SlackError::Response {
                    method: GET_UPLOAD_URL,
                    reason: format!("no {name}"),
                })
        };
        let upload_url = field("upload_url")?;
        let file_id = field("file_id")?;

        // Pre-signed: the URL itself authorises the upload, so the token stays home.
        let req = self
            .http
            .post(&upload_url)
            .header(CONTENT_TYPE, "application/octet-stream")
            .body(bytes);
        self.send(UPLOAD_BYTES, req).await?;

        let files = json!([{ "id": file_id, "title": filename }]).to_string();
        let mut form = vec![
            ("files", files.as_str()),
            ("channel_id", thread.channel.as_str()),
            ("thread_ts", thread.ts.as_str()),
        ];
        if !comment.is_empty() {
            form.push(("initial_comment", comment));
        }
        let req = self.api(COMPLETE_UPLOAD).form(&form);
        self.call(COMPLETE_UPLOAD, req).await.map(drop)
    }

    fn api(&self, method: &str) -> RequestBuilder {
        self.http.post(format!("{}/{method}", self.base)).header(
            AUTHORIZATION,
            format!("Bearer {}", self.token.expose_secret()),
        )
    }

    /// Sends a Web API request and checks Slack's `ok`; returns the JSON answer.
    async fn call(&self, method: &'static str, req: RequestBuilder) -> Result<Value, SlackError> {
        let resp = self.send(method, req).await?;
        let answer: Value = resp.json().await.map_err(|_| SlackError::Response {
            method,
            reason: "not JSON".into(),
        })?;
        match answer.get("ok").and_then(Value::as_bool) {
            Some(true) => Ok(answer),
            Some(false) => {
                let error = answer
                    .get("error")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown_error");
                Err(SlackError::Api {
                    method,
                    error: self.redact(error),
                })
            }
            None => Err(SlackError::Response {
                method,
                reason: "no \"ok\" field".into(),
            }),
        }
    }

    /// Sends, waiting out HTTP 429 (Retry-After, capped) up to [`MAX_RETRIES`] times; non-2xx fails.
    async fn send(
        &self,
        method: &'static str,
        req: RequestBuilder,
    ) -> Result<Response, SlackError> {
        let mut retries = 0;
        loop {
            // Bodies here are in memory, so the request can always be cloned for a retry.
            let attempt = req.try_clone().ok_or_else(|| SlackError::Transport {
                method,
                reason: "request cannot be retried".into(),
            })?;
            let resp = attempt.send().await.map_err(|e| SlackError::Transport {
                method,
                // Without the URL: a pre-signed upload URL is a credential of its own.
                reason: self.redact(&e.without_url().to_string()),
            })?;
            let status = resp.status();
            if status == StatusCode::TOO_MANY_REQUESTS {
                if retries == MAX_RETRIES {
                    return Err(SlackError::RateLimited { method, retries });
                }
                retries += 1;
                let wait = retry_after(&resp);
                tracing::warn!(
                    method,
                    wait_s = wait.as_secs(),
                    "Slack rate limit; retrying"
                );
                tokio::time::sleep(wait).await;
                continue;
            }
            if !status.is_success() {
                return Err(SlackError::Status {
                    method,
                    status: status.as_u16(),
                });
            }
            return Ok(resp);
        }
    }

    fn redact(&self, text: &str) -> String {
        let token = self.token.expose_secret();
        if token.is_empty() {
            text.to_string()
        } else {
            text.replace(token, "[redacted]")
        }
    }
}

fn retry_after(resp: &Response) -> Duration {
    let secs = resp
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(1);
    Duration::from_secs(secs).min(MAX_RETRY_WAIT)
}

/// Posts `posts[start..]` into the thread in order, fetching each video just before its
/// upload (one video in memory at a time). `fetch_video` turns a video URL into (file name,
/// bytes). After each post, `posted` learns how many posts, counted from the first, are in the
/// thread, so that a retry can start after them instead of posting them twice.
pub async fn deliver<F, Fut>(
    slack: &SlackClient,
    thread: &SlackThread,
    posts: &[Post],
    start: usize,
    fetch_video: F,
    mut posted: impl FnMut(usize),
) -> Result<(), SlackError>
where
    F: Fn(&str) -> Fut,
    Fut: Future<Output = Result<(String, Vec<u8>), VideoSourceError>>,
{
    for (i, post) in posts.iter().enumerate().skip(start) {
        let sent = match post {
            Post::Text(text) => slack.post_message(thread, text).await,
            Post::Video {
                run_id,
                video_url,
                comment,
            } => match fetch_video(video_url).await {
                Ok((filename, bytes)) => {
                    let sent = slack.upload_file(thread, &filename, bytes, comment).await;
                    if sent.is_ok() {
                        tracing::info!(%thread, run_id, "video posted to Slack");
                    }
                    sent
                }
                Err(source) => Err(SlackError::Video {
                    run_id: run_id.clone(),
                    url: video_url.clone(),
                    source,
                }),
            },
        };
        sent?;
        posted(i + 1);
    }
    Ok(())
}
