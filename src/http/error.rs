//! The HTTP layer's one error type: each variant maps to a status and a JSON body with a stable
//! `code` and a human `message`. Database and internal errors are logged in full and returned
//! without internals.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("authentication required: send `Authorization: Bearer TOKEN`")]
    Unauthorized,
    #[error("the token is unknown or revoked")]
    BadToken,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{message}")]
    Unprocessable {
        code: &'static str,
        message: String,
        details: serde_json::Value,
    },
    #[error("{0}")]
    Conflict(String),
    /// A refusal with its own stable code (403 and 409 of `docs/results.md` §8).
    #[error("{message}")]
    Coded {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("the request body is larger than the limit of {} for this endpoint", super::limits::human(*.limit))]
    PayloadTooLarge { limit: u64 },
    #[error("all {slots} upload slots are taken; retry in {retry_after} s")]
    TooManyUploads { slots: usize, retry_after: u64 },
    /// A request axum could not parse (bad JSON, query or path).
    #[error("{1}")]
    Rejected(StatusCode, String),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl Error {
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Error {
        Error::Unprocessable {
            code,
            message: message.into(),
            details: serde_json::Value::Null,
        }
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Error::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Error::BadToken => (StatusCode::UNAUTHORIZED, "bad_token"),
            Error::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Error::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Error::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Error::Unprocessable { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code),
            Error::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Error::Coded { status, code, .. } => (*status, code),
            Error::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Error::PayloadTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Error::TooManyUploads { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_uploads"),
            Error::Rejected(status, _) if *status == StatusCode::UNPROCESSABLE_ENTITY => {
                (*status, "invalid_request")
            }
            Error::Rejected(status, _) => (*status, "bad_request"),
            Error::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::Internal(e.into())
    }
}

/// The body of every error response (`docs/api.md`).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    /// Stable code, e.g. `invalid_uscc` (`docs/api.md` lists them).
    pub code: &'static str,
    /// What is wrong, for people: the field first where one is wrong.
    pub message: String,
    /// More about some 422s: `reasons` of `not_eligible`, `total` and `errors` of `invalid_file`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object, nullable = false)]
    pub details: Option<serde_json::Value>,
    /// The route's body limit, with 413 `payload_too_large`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub limit_bytes: Option<u64>,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let Error::Internal(e) = &self {
            tracing::error!(error = ?e, "internal error");
        }
        let body = ErrorBody {
            code,
            message: self.to_string(),
            details: match &self {
                Error::Unprocessable { details, .. } if !details.is_null() => Some(details.clone()),
                _ => None,
            },
            limit_bytes: match &self {
                Error::PayloadTooLarge { limit } => Some(*limit),
                _ => None,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                "www-authenticate",
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        if let Error::TooManyUploads { retry_after, .. } = &self {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, (*retry_after).into());
        }
        response
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
