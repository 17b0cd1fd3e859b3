//! Why a request is refused, and the one place that says which HTTP status each reason gets.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::auth::AuthError;
use super::store::StoreError;
use crate::job::FieldError;

/// An error answer: `{status: "error", error, field?}`.
#[derive(Debug)]
pub enum ApiError {
    /// A field of the request is wrong.
    Field(FieldError),
    /// The request is wrong in a way no single field names.
    BadRequest(String),
    /// No key, or a key that is not one of ours.
    Unauthorized(String),
    /// A known key asking for what its account may not do.
    Forbidden(String),
    /// Nothing here by that name (or nothing this account may see).
    NotFound(String),
    MethodNotAllowed,
    /// A field is fine on its own but clashes with what is already stored.
    Conflict(FieldError),
    /// The body is over the configured limit (in bytes).
    TooLarge {
        limit: usize,
    },
    /// A service we call for the caller (Slack) failed.
    BadGateway(String),
    /// We can't now, but may shortly: disk full, a dependency unset or unreachable, a lock.
    Unavailable(String),
    /// Our own fault; logged in full where it happened, answered without details.
    Internal,
}

impl ApiError {
    /// Logs `error` and answers 500 without it.
    pub fn internal(error: impl std::fmt::Display) -> ApiError {
        tracing::error!("internal error: {error}");
        ApiError::Internal
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Field(_) | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The answer's `error` text.
    pub fn message(&self) -> String {
        match self {
            ApiError::Field(e) | ApiError::Conflict(e) => format!("{}: {}", e.field, e.message),
            ApiError::BadRequest(m)
            | ApiError::Unauthorized(m)
            | ApiError::Forbidden(m)
            | ApiError::NotFound(m)
            | ApiError::BadGateway(m)
            | ApiError::Unavailable(m) => m.clone(),
            ApiError::MethodNotAllowed => "Method not allowed".into(),
            ApiError::TooLarge { limit } => {
                format!("Request body is larger than the {limit}-byte limit")
            }
            ApiError::Internal => "Internal server error".into(),
        }
    }

    /// The answer's `field`, where one field is at fault.
    pub fn field(&self) -> Option<&str> {
        match self {
            ApiError::Field(e) | ApiError::Conflict(e) => Some(&e.field),
            _ => None,
        }
    }
}

/// A store failure inside a request: logged in full, answered 500 without details.
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        ApiError::internal(e)
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> ApiError {
        ApiError::Field(e)
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> ApiError {
        ApiError::Unauthorized(e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "status": "error", "error": self.message() });
        if let Some(field) = self.field() {
            body["field"] = Value::String(field.to_string());
        }
        (self.status(), Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_error_names_its_field_in_the_message_and_beside_it() {
        let e = ApiError::Conflict(FieldError {
            field: "callback_thread_id".into(),
            message: "in use".into(),
        });
        assert_eq!(e.status(), StatusCode::CONFLICT);
        assert_eq!(e.message(), "callback_thread_id: in use");
        assert_eq!(e.field(), Some("callback_thread_id"));
    }

    #[test]
    fn an_internal_error_answers_without_its_details() {
        let e = ApiError::internal("/var/lib/reelforge/runs.db: disk I/O error");
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(e.message(), "Internal server error");
    }

    #[test]
    fn a_body_over_the_limit_is_413_with_the_limit() {
        let e = ApiError::TooLarge { limit: 1024 };
        assert_eq!(e.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            e.message(),
            "Request body is larger than the 1024-byte limit"
        );
    }
}
