//! The endpoints: create, runs, templates, validate, health and the OpenAPI document.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::auth::AuthError;
use super::callback::SlackThread;
pub use super::error::ApiError;
use super::store::{Database, NewBatch, RunRow, StoreError};
use super::App;
use crate::job::PrepareError;
use crate::job::{self, ArtistError, CreateRequest, FieldError};

/// The disk is full or nearly so: 503, with sizes but no paths.
fn out_of_space(message: String) -> ApiError {
    tracing::warn!("refusing a batch: {message}");
    ApiError::Unavailable(message)
}

pub type ApiResult = Result<Response, ApiError>;

/// The account a request acts for.
pub fn account(app: &App, headers: &HeaderMap) -> Result<String, ApiError> {
    let header = |name: &str| {
        let mut values = headers.get_all(name).iter();
        let first = values.next();
        if values.next().is_some() {
            return Err(AuthError::Repeated);
        }
        first
            .map(|v| v.to_str().map_err(|_| AuthError::Invalid))
            .transpose()
    };
    let key = header("x-api-key")?;
    let bearer = header("authorization")?;
    Ok(app.config.api_keys.authenticate(key, bearer)?.to_string())
}

/// A body that could not be read: over the limit is 413, anything else 400.
pub fn body_error(e: BytesRejection, limit: usize) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge { limit }
    } else {
        ApiError::BadRequest(e.body_text())
    }
}

/// The body as JSON.
pub fn json_body(body: Result<Bytes, BytesRejection>, limit: usize) -> Result<Value, ApiError> {
    let bytes = body.map_err(|e| body_error(e, limit))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::from(FieldError {
            field: "body".into(),
            message: format!("not valid JSON: {e}"),
        })
    })
}

fn prepare_error(e: PrepareError, account_id: &str) -> ApiError {
    match e {
        PrepareError::Artist(ArtistError::NotFound { .. }) => artist_not_found(account_id),
        // The server's own files are broken: log it, don't show its paths to callers.
        PrepareError::Artist(ArtistError::BadRoot(_) | ArtistError::BadArtistFile { .. }) => {
            ApiError::internal(e)
        }
        other => ApiError::BadRequest(other.to_string()),
    }
}

/// The artist `artist_id`, when the key's `account` may act for it: its own account or one
/// of its members. Unknown is 404, not entitled 403.
fn entitled_artist(
    root: &std::path::Path,
    artist_id: &str,
    account: &str,
) -> Result<job::Artist, ApiError> {
    let artist = job::Artist::find(root, artist_id)
        .map_err(|e| prepare_error(PrepareError::Artist(e), artist_id))?;
    if !artist.allows(account) {
        return Err(ApiError::Forbidden(format!(
            "This API key's account may not act for artist {artist_id}"
        )));
    }
    Ok(artist)
}

fn artist_not_found(account_id: &str) -> ApiError {
    ApiError::NotFound(format!("Artist not found: {account_id}"))
}

/// A new batch id: "batch_" and 16 random lowercase letters and digits.
fn batch_id() -> String {
    format!("batch_{}", job::random_token(16))
}

/// POST /api/content/create
pub async fn create(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let account_id = account(&app, &headers)?;
    let mut value = json_body(body, app.config.body_limit)?;
    match app.disk_space() {
        Ok(space) if space.is_low() => return Err(out_of_space(space.message())),
        Ok(_) => {}
        Err(e) => tracing::warn!("cannot measure free disk space: {e}"),
    }
    let thread = match value
        .as_object_mut()
        .and_then(|o| o.remove("callback_thread_id"))
    {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) => {
            SlackThread::parse(&t).map_err(|e| FieldError {
                field: "callback_thread_id".into(),
                message: e.message,
            })?;
            if app.config.callback.is_none() {
                return Err(FieldError {
                    field: "callback_thread_id".into(),
                    message: "this server has no callback URL configured".into(),
                }
                .into());
            }
            Some(t)
        }
        Some(_) => {
            return Err(FieldError {
                field: "callback_thread_id".into(),
                message: "must be a string like slack:CHANNEL:TS".into(),
            }
            .into())
        }
    };
    let req = CreateRequest::from_json(&value, None)?;
    if let Some(language) = req.language.as_ref().filter(|l| !l.is_english()) {
        if app.config.render.options.multilingual_model.is_none() {
            return Err(FieldError {
                field: "language".into(),
                message: format!(
                    "{language:?}: this server has no multilingual Whisper model, so it takes \
                     English songs only"
                ),
            }
            .into());
        }
    }
    let checked = {
        let (app, req, account_id) = (app.clone(), req.clone(), account_id.clone());
        tokio::task::spawn_blocking(move || {
            let root = &app.config.artists;
            entitled_artist(root, &req.artist_account_id, &account_id)?;
            job::check(&req, root, &app.templates)
                .map_err(|e| prepare_error(e, &req.artist_account_id))
        })
        .await
        .map_err(ApiError::internal)??
    };
    let lipsync = checked.lipsync(&req);
    let new = NewBatch {
        id: batch_id(),
        account_id,
        request: req.to_json().to_string(),
        seed: rand::random(),
        callback_thread_id: thread,
        artist_account_id: req.artist_account_id.clone(),
        template: req.template.clone(),
        lipsync,
        run_ids: (0..req.batch).map(|_| job::new_run_id()).collect(),
    };
    let run_ids = new.run_ids.clone();
    // 202 only once the runs are committed.
    let stored = {
        let app = app.clone();
        tokio::task::spawn_blocking(move || app.store.create_batch(&new))
            .await
            .map_err(ApiError::internal)?
    };
    match stored {
        Ok(()) => {}
        Err(e @ StoreError::ThreadInUse(_)) => {
            return Err(ApiError::Conflict(FieldError {
                field: "callback_thread_id".into(),
                message: e.to_string(),
            }))
        }
        Err(e) if e.is_disk_full() => {
            tracing::error!("storing a batch: {e}");
            return Err(out_of_space(
                "The server is out of disk space; try again later".into(),
            ));
        }
        Err(e) => return Err(ApiError::internal(e)),
    }
    app.wake.notify_waiters();
    tracing::info!(
        runs = run_ids.len(),
        artist = %req.artist_account_id,
        "batch accepted"
    );
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({
            "runIds": run_ids,
            "status": "triggered",
            "artist_account_id": req.artist_account_id,
            "template": req.template,
            "lipsync": lipsync,
        })),
    )
        .into_response())
}

/// A run as GET /api/tasks/runs shows it, its URLs under `public_url`.
pub fn run_json(r: &RunRow, public_url: &str) -> Value {
    let mut output = r
        .output
        .as_deref()
        .and_then(|o| serde_json::from_str::<Value>(o).ok());
    for key in ["videoUrl", "lyricsUrl"] {
        if let Some(Value::String(url)) = output.as_mut().and_then(|o| o.get_mut(key)) {
            *url = super::files::absolute(public_url, url);
        }
    }
    json!({
        "id": r.id,
        "status": r.state.as_str(),
        "artist_account_id": r.artist_account_id,
        "template": r.template,
        "lipsync": r.lipsync,
        "batchId": r.batch_id,
        "index": r.index,
        "attempts": r.attempts,
        "createdAt": timestamp(Some(r.created_at)),
        "startedAt": timestamp(r.started_at),
        "finishedAt": timestamp(r.finished_at),
        "output": output,
        "error": r.error,
        "errorCode": r.error_code,
    })
}

fn timestamp(ms: Option<i64>) -> Value {
    match ms {
        Some(ms) if ms >= 0 => {
            let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms as u64);
            Value::String(humantime::format_rfc3339_millis(t).to_string())
        }
        _ => Value::Null,
    }
}

/// GET /api/tasks/runs?runId=…|account_id=…&limit=…
pub async fn runs(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult {
    let own = account(&app, &headers)?;
    let limit = match query.get("limit") {
        None => 20,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => {
                return Err(FieldError {
                    field: "limit".into(),
                    message: "must be an integer from 1 to 100".into(),
                }
                .into())
            }
        },
    };
    if let Some(asked) = query.get("account_id") {
        if uuid::Uuid::parse_str(asked).is_err() {
            return Err(FieldError {
                field: "account_id".into(),
                message: "must be a UUID".into(),
            }
            .into());
        }
        if !asked.eq_ignore_ascii_case(&own) {
            return Err(ApiError::Forbidden(
                "account_id is not the account of this API key".into(),
            ));
        }
    }
    let runs = match query.get("runId") {
        Some(id) => {
            let id = id.clone();
            let run = app.db(move |s| s.run(&id)).await?;
            // Another account's run is as unknown as a missing one.
            match run.filter(|r| r.account_id == own) {
                Some(r) => vec![r],
                None => return Err(ApiError::NotFound("Task run not found".into())),
            }
        }
        None => app.db(move |s| s.runs_of_account(&own, limit)).await?,
    };
    let runs: Vec<Value> = runs.iter().map(|r| run_json(r, &app.public_url)).collect();
    Ok(Json(json!({ "status": "success", "runs": runs })).into_response())
}

/// GET /api/content/templates
pub async fn templates(State(app): State<Arc<App>>, headers: HeaderMap) -> ApiResult {
    account(&app, &headers)?;
    let list: Vec<Value> = app
        .templates
        .list()
        .map(|t| json!({ "id": t.id, "description": t.description }))
        .collect();
    Ok(Json(json!({ "status": "success", "templates": list })).into_response())
}

/// GET /api/content/templates/{id}
pub async fn template(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
) -> ApiResult {
    account(&app, &headers)?;
    let t = app
        .templates
        .get(&id)
        .ok_or_else(|| ApiError::NotFound("Template not found".into()))?;
    let value = crate::template::to_json(t).map_err(ApiError::internal)?;
    Ok(Json(json!({ "status": "success", "template": value })).into_response())
}

/// GET /api/content/validate?artist_account_id=… — is the artist ready for a default video?
pub async fn validate(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult {
    let account_id = account(&app, &headers)?;
    let id = match query.get("artist_account_id") {
        Some(id) if uuid::Uuid::parse_str(id).is_ok() => id.to_ascii_lowercase(),
        Some(_) => {
            return Err(FieldError {
                field: "artist_account_id".into(),
                message: "must be a UUID".into(),
            }
            .into())
        }
        None => {
            return Err(FieldError {
                field: "artist_account_id".into(),
                message: "is required".into(),
            }
            .into())
        }
    };
    let root = app.config.artists.clone();
    let lookup = id.clone();
    let artist = tokio::task::spawn_blocking(move || entitled_artist(&root, &lookup, &account_id))
        .await
        .map_err(ApiError::internal)??;
    let face_guide = artist.face_guide().is_ok();
    let songs: Vec<String> = artist.songs().into_iter().map(|s| s.slug).collect();
    let artist_md = artist.context("artist.md").is_some();
    let audience_md = artist.context("audience.md").is_some();
    let mut missing = Vec::new();
    if !face_guide {
        missing.push("context/images/face-guide.png");
    }
    if songs.is_empty() {
        missing.push("songs/");
    }
    if !artist_md {
        missing.push("context/artist.md");
    }
    if !audience_md {
        missing.push("context/audience.md");
    }
    Ok(Json(json!({
        "status": "success",
        "artist_account_id": id,
        "artist": artist.name,
        "ready": face_guide && !songs.is_empty(),
        "face_guide": face_guide,
        "songs": songs,
        "context": { "artist_md": artist_md, "audience_md": audience_md },
        "missing": missing,
    }))
    .into_response())
}

/// GET /health: 200 when the run store answers and the disk has room, else 503 with what
/// is wrong (no paths).
pub async fn health(State(app): State<Arc<App>>) -> Response {
    let mut problems = Vec::new();
    let runs = match app.db(|s| s.counts()).await {
        Ok((queued, executing)) => json!({ "queued": queued, "executing": executing }),
        Err(e) => {
            tracing::error!("health: {e}");
            problems.push("The run store cannot be read".to_string());
            Value::Null
        }
    };
    let disk = match app.disk_space() {
        Ok(space) => {
            if space.is_low() {
                problems.push(space.message());
            }
            json!({ "free_bytes": space.free_bytes, "min_free_bytes": space.min_free_bytes })
        }
        Err(e) => {
            tracing::error!("cannot measure free disk space: {e}");
            problems.push("Free disk space cannot be measured".to_string());
            Value::Null
        }
    };
    let storage = app.storage.check().await;
    if let Err(e) = &storage {
        tracing::error!("health: {e}");
        problems.push("The video storage cannot be written".to_string());
    }
    let backend = match app.store.database() {
        Database::Sqlite(_) => "sqlite",
        Database::Postgres(_) => "postgres",
    };
    let mut body = json!({
        "status": if problems.is_empty() { "ok" } else { "unavailable" },
        "version": env!("CARGO_PKG_VERSION"),
        "runs": runs,
        "workers": app.config.workers,
        "disk": disk,
        "store": { "backend": backend, "reachable": !runs.is_null() },
        "storage": { "kind": app.storage.kind(), "reachable": storage.is_ok() },
    });
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        body["problems"] = json!(problems);
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// GET /openapi.json
pub async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        include_str!("../../assets/openapi.json"),
    )
        .into_response()
}

/// Anything else.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("Not found".into())
}

/// A known path with the wrong method: the error shape, like every other answer.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
