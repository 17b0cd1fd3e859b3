//! GET /files/<name>: the published videos and their lyrics, whole or by ranges.
//!
//! Only names the server publishes (`run_<token>.mp4` and `.vtt`) are looked up at all: any
//! other name (too long for the file system, a dot, a folder) is a plain 404 rather than an
//! error or a redirect.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeFile;

use super::{api, App};

/// Longest run token; run ids are `run_` and 16 of these characters.
const MAX_TOKEN: usize = 64;

/// Whether `name` is a file the server publishes.
fn published(name: &str) -> bool {
    let Some((stem, ext)) = name.rsplit_once('.') else {
        return false;
    };
    let Some(token) = stem.strip_prefix("run_") else {
        return false;
    };
    matches!(ext, "mp4" | "vtt")
        && (1..=MAX_TOKEN).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

pub async fn file(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    if !published(&name) {
        return api::not_found().await.into_response();
    }
    let Some(dir) = app.storage.folder() else {
        // Object storage: the client fetches the bytes from it directly.
        return match app.storage.signed_url(&name).await {
            Ok(Some(url)) => axum::response::Redirect::temporary(&url).into_response(),
            Ok(None) => api::not_found().await.into_response(),
            Err(e) => {
                tracing::error!("signing a URL for {name}: {e}");
                api::ApiError::Unavailable(
                    "the video storage cannot be reached; try again later".into(),
                )
                .into_response()
            }
        };
    };
    match ServeFile::new(dir.join(&name)).oneshot(request).await {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    }
}

/// Where published files are served: `/files/<name>`.
pub const PREFIX: &str = "/files/";

/// A published file's URL as callers see it: the stored `/files/…` path under this node's
/// public URL (older runs stored it absolute already).
pub fn absolute(public_url: &str, url: &str) -> String {
    if url.starts_with('/') {
        format!("{public_url}{url}")
    } else {
        url.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_published_names_are_served() {
        assert!(published("run_abc123def4567890.mp4"));
        assert!(published("run_abc123def4567890.vtt"));
        for name in [
            ".",
            "..",
            "run_.mp4",
            "run_ABC.mp4",
            "run_abc.json",
            "runs.db",
            "run_abc/x.mp4",
            &format!("run_{}.mp4", "a".repeat(256)),
        ] {
            assert!(!published(name), "{name}");
        }
    }
}
