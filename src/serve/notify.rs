//! POST /api/content-agent/callback: a finished batch's results, posted into its Slack thread
//! once.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::Json;
use secrecy::ExposeSecret;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::api::{ApiError, ApiResult};
use super::callback::{plan_posts, CallbackPayload, SlackThread};
use super::slack::{self, VideoSourceError};
use super::store::Lease;
use super::App;
use crate::job::{self, FetchLimits};

/// Compares secrets in constant time (hashed first, so lengths do not show either).
pub fn secret_matches(given: &[u8], expected: &[u8]) -> bool {
    Sha256::digest(given)
        .ct_eq(&Sha256::digest(expected))
        .into()
}

pub async fn callback(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let Some(secret) = &app.config.callback_secret else {
        return Err(ApiError::Unavailable(
            "The callback endpoint is not configured (no callback secret)".into(),
        ));
    };
    let given = headers
        .get("x-callback-secret")
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if given.is_empty() || !secret_matches(given, secret.expose_secret().as_bytes()) {
        return Err(ApiError::Unauthorized(
            "Missing or invalid callback secret".into(),
        ));
    }
    let bytes = body.map_err(|e| super::api::body_error(e, app.config.body_limit))?;
    let payload = CallbackPayload::from_json(&bytes)?;
    let thread = SlackThread::parse(&payload.thread_id)?;

    // On its own task: a caller that hangs up must not cut a delivery half-way.
    let task = tokio::spawn(report(app.clone(), payload, thread));
    match task.await {
        Ok(Ok(Reported::Now(posts))) => {
            tracing::info!(posts, "callback reported");
            Ok(Json(json!({ "status": "ok" })).into_response())
        }
        Ok(Ok(Reported::Before)) => {
            Ok(Json(json!({ "status": "ok", "skipped": true })).into_response())
        }
        Ok(Err(e)) => Err(e),
        Err(e) => Err(ApiError::internal(e)),
    }
}

enum Reported {
    /// Posted now: how many posts.
    Now(usize),
    /// The thread was reported before.
    Before,
}

/// How long a node may take to post one thread before another may take over.
const REPORT_LEASE: std::time::Duration = std::time::Duration::from_secs(900);

/// Posts a payload into its thread, once: progress is stored as it goes, so a retry after a
/// failure starts after what is already in the thread.
async fn report(
    app: Arc<App>,
    payload: CallbackPayload,
    thread: SlackThread,
) -> Result<Reported, ApiError> {
    let _one_at_a_time = app.deliveries.lock().await;
    let id = payload.thread_id.clone();
    if app.db(move |s| s.thread_reported(&id)).await? {
        return Ok(Reported::Before);
    }
    let Some(client) = &app.slack else {
        return Err(ApiError::Unavailable(
            "Slack is not configured (no bot token)".into(),
        ));
    };
    // Several API nodes may take callbacks: one posts a thread at a time. The claim outlasts
    // the longest upload; a node that dies holding it gives it up when it runs out.
    let lease = Lease {
        node: app.lease.node.clone(),
        length: REPORT_LEASE,
    };
    let id = payload.thread_id.clone();
    if !app.db(move |s| s.claim_thread(&id, &lease)).await? {
        let id = payload.thread_id.clone();
        if app.db(move |s| s.thread_reported(&id)).await? {
            return Ok(Reported::Before);
        }
        return Err(ApiError::Unavailable(
            "another node is posting this thread now; try again shortly".into(),
        ));
    }
    let posts = plan_posts(&payload);
    let id = payload.thread_id.clone();
    let start = app.db(move |s| s.posted(&id)).await?;
    let fetch = |url: &str| {
        let (app, url) = (app.clone(), url.to_string());
        async move { video_bytes(&app, &url).await }
    };
    // Stored after every post, so even a server that dies half-way does not post twice.
    let progress = |n: usize| {
        let stored = tokio::task::block_in_place(|| app.store.set_posted(&payload.thread_id, n));
        if let Err(e) = stored {
            tracing::error!(thread = %payload.thread_id, "storing Slack progress: {e}");
        }
    };
    let delivered = slack::deliver(client, &thread, &posts, start, fetch, progress).await;
    if let Err(e) = delivered {
        tracing::warn!(thread = %payload.thread_id, "Slack delivery failed: {e}");
        return Err(ApiError::BadGateway(format!("Slack: {e}")));
    }
    let id = payload.thread_id.clone();
    let (status, n) = (payload.status.as_str().to_string(), posts.len());
    app.db(move |s| {
        s.set_posted(&id, n)?;
        s.mark_thread_reported(&id, &status)
    })
    .await?;
    Ok(Reported::Now(n - start))
}

/// A video's file name and bytes: read from /files when the URL is this server's own,
/// downloaded (within the URL policy) otherwise.
async fn video_bytes(app: &Arc<App>, url: &str) -> Result<(String, Vec<u8>), VideoSourceError> {
    let own = format!("{}{}", app.public_url, super::files::PREFIX);
    if let Some(name) = url.strip_prefix(&own) {
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(VideoSourceError::NotPublished);
        }
        let bytes = app.storage.read(name).await?;
        return Ok((name.to_string(), bytes));
    }
    let mut limits = FetchLimits::songs();
    limits.allow_private = app.config.allow_private_urls;
    let owned = url.to_string();
    let fetched = tokio::task::spawn_blocking(move || job::fetch(&owned, limits))
        .await
        .map_err(|e| VideoSourceError::Stopped(e.to_string()))??;
    let name = url
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty())
        .unwrap_or("video.mp4")
        .to_string();
    Ok((name, fetched.bytes))
}

#[cfg(test)]
mod tests {
    use super::secret_matches;

    #[test]
    fn only_the_same_secret_matches() {
        assert!(secret_matches(b"s3cret-value", b"s3cret-value"));
        assert!(!secret_matches(b"s3cret-valuE", b"s3cret-value"));
        assert!(!secret_matches(b"s3cret", b"s3cret-value"));
        assert!(!secret_matches(b"", b"s3cret-value"));
    }
}
