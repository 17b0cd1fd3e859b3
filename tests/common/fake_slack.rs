//! A fake Slack Web API on 127.0.0.1: chat.postMessage and the external file upload flow, with
//! every call recorded and failures (ok:false, HTTP 429) injectable per method.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Map, Value};

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Call {
    /// The Web API method, or "upload" for bytes sent to an upload URL.
    pub method: String,
    /// JSON or form parameters as a JSON value (form values are strings).
    pub params: Value,
    pub authorization: Option<String>,
}

/// A file whose upload was completed into a channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    pub channel: String,
    pub thread_ts: String,
    pub filename: String,
    pub title: String,
    pub initial_comment: Option<String>,
    pub bytes_len: usize,
    pub first_bytes: Vec<u8>,
}

#[derive(Default)]
struct Pending {
    filename: String,
    bytes: Option<Vec<u8>>,
}

#[derive(Default)]
struct Inner {
    base: String,
    calls: Vec<Call>,
    messages: Vec<(String, String, String)>,
    pending: HashMap<String, Pending>,
    uploads: Vec<Upload>,
    fail_next: HashMap<String, String>,
    rate_limit_next: Vec<String>,
}

type Shared = Arc<Mutex<Inner>>;

pub struct FakeSlack {
    addr: SocketAddr,
    inner: Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl FakeSlack {
    /// The only bot token the fake accepts.
    pub const TOKEN: &'static str = "xoxb-test-token";

    pub fn start() -> FakeSlack {
        let inner = Shared::default();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let state = inner.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("fake Slack runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind fake Slack");
                let addr = listener.local_addr().expect("fake Slack address");
                state.lock().unwrap().base = format!("http://{addr}");
                addr_tx.send(addr).unwrap();
                let app = Router::new()
                    .route("/api/{method}", post(api))
                    .route("/upload/{file_id}", post(upload))
                    // Videos are bigger than axum's default 2 MB body limit.
                    .layer(axum::extract::DefaultBodyLimit::max(256 << 20))
                    .with_state(state);
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        stopped.await.ok();
                    })
                    .await
                    .expect("fake Slack server");
            });
        });
        let addr = addr_rx.recv().expect("fake Slack started");
        FakeSlack {
            addr,
            inner,
            stop: Some(stop),
        }
    }

    /// The Web API base URL to configure, like "https://slack.com/api".
    pub fn api_url(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    pub fn calls(&self) -> Vec<Call> {
        self.inner.lock().unwrap().calls.clone()
    }

    /// The method names called, in order.
    pub fn methods(&self) -> Vec<String> {
        self.calls().into_iter().map(|c| c.method).collect()
    }

    /// Posted messages: (channel, thread_ts, text).
    pub fn messages(&self) -> Vec<(String, String, String)> {
        self.inner.lock().unwrap().messages.clone()
    }

    pub fn uploads(&self) -> Vec<Upload> {
        self.inner.lock().unwrap().uploads.clone()
    }

    /// The next call of `method` answers {ok:false, error}.
    pub fn fail_next(&self, method: &str, error: &str) {
        let mut inner = self.inner.lock().unwrap();
        inner.fail_next.insert(method.into(), error.into());
    }

    /// The next call of `method` answers HTTP 429 with Retry-After: 1.
    pub fn rate_limit_next(&self, method: &str) {
        self.inner
            .lock()
            .unwrap()
            .rate_limit_next
            .push(method.into());
    }
}

impl Drop for FakeSlack {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).ok();
        }
    }
}

fn ok(extra: Value) -> Response {
    let mut body = json!({ "ok": true });
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    Json(body).into_response()
}

fn slack_error(error: &str) -> Response {
    Json(json!({ "ok": false, "error": error })).into_response()
}

async fn api(
    State(state): State<Shared>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let params = if is_json {
        serde_json::from_slice(&body).unwrap_or(Value::Null)
    } else {
        parse_form(&String::from_utf8_lossy(&body))
    };
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);

    let mut inner = state.lock().unwrap();
    inner.calls.push(Call {
        method: method.clone(),
        params: params.clone(),
        authorization: authorization.clone(),
    });
    if let Some(i) = inner.rate_limit_next.iter().position(|m| *m == method) {
        inner.rate_limit_next.remove(i);
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "1")],
            "rate limited",
        )
            .into_response();
    }
    if let Some(error) = inner.fail_next.remove(&method) {
        return slack_error(&error);
    }
    if authorization.as_deref() != Some(&format!("Bearer {}", FakeSlack::TOKEN)) {
        return slack_error("invalid_auth");
    }
    let param = |name: &str| params.get(name).and_then(Value::as_str).map(str::to_string);

    match method.as_str() {
        "chat.postMessage" => {
            let (Some(channel), Some(ts), Some(text)) =
                (param("channel"), param("thread_ts"), param("text"))
            else {
                return slack_error("invalid_arguments");
            };
            inner.messages.push((channel, ts, text));
            ok(json!({ "ts": "1700000001.000100" }))
        }
        "files.getUploadURLExternal" => {
            let (Some(filename), Some(_length)) = (param("filename"), param("length")) else {
                return slack_error("invalid_arguments");
            };
            let file_id = format!("F{}", 100 + inner.pending.len());
            let upload_url = format!("{}/upload/{file_id}", inner.base);
            inner.pending.insert(
                file_id.clone(),
                Pending {
                    filename,
                    bytes: None,
                },
            );
            ok(json!({ "upload_url": upload_url, "file_id": file_id }))
        }
        "files.completeUploadExternal" => {
            let files: Vec<Value> = param("files")
                .and_then(|f| serde_json::from_str(&f).ok())
                .unwrap_or_default();
            let (Some(channel), Some(thread_ts)) = (param("channel_id"), param("thread_ts")) else {
                return slack_error("invalid_arguments");
            };
            let mut done = Vec::new();
            for file in &files {
                let id = file.get("id").and_then(Value::as_str).unwrap_or_default();
                let Some(Pending {
                    filename,
                    bytes: Some(bytes),
                }) = inner.pending.get(id)
                else {
                    return slack_error("file_not_found");
                };
                done.push(Upload {
                    channel: channel.clone(),
                    thread_ts: thread_ts.clone(),
                    filename: filename.clone(),
                    title: file
                        .get("title")
                        .and_then(Value::as_str)
                        .unwrap_or(filename)
                        .to_string(),
                    initial_comment: param("initial_comment"),
                    bytes_len: bytes.len(),
                    first_bytes: bytes.iter().take(16).copied().collect(),
                });
            }
            if done.is_empty() {
                return slack_error("invalid_arguments");
            }
            inner.uploads.extend(done);
            ok(json!({}))
        }
        _ => slack_error("unknown_method"),
    }
}

/// Bytes sent to an upload URL; like Slack's, it answers plain text.
async fn upload(
    State(state): State<Shared>,
    Path(file_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut inner = state.lock().unwrap();
    inner.calls.push(Call {
        method: "upload".into(),
        params: json!({ "file_id": file_id, "bytes_len": body.len() }),
        authorization: headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    });
    match inner.pending.get_mut(&file_id) {
        Some(pending) => {
            pending.bytes = Some(body.to_vec());
            format!("OK - {}", body.len()).into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such upload").into_response(),
    }
}

/// application/x-www-form-urlencoded into a JSON object of strings.
fn parse_form(body: &str) -> Value {
    let mut map = Map::new();
    for pair in body.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        map.insert(decode(k), Value::String(decode(v)));
    }
    Value::Object(map)
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
