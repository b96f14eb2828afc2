//! Extractors whose rejections are the API's JSON errors, not axum's plain text.

use super::error::Error;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::FromRequestParts;

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Error))]
pub struct Query<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Error))]
pub struct Path<T>(pub T);

impl From<QueryRejection> for Error {
    fn from(r: QueryRejection) -> Self {
        Error::Rejected(r.status(), r.body_text())
    }
}

impl From<PathRejection> for Error {
    fn from(r: PathRejection) -> Self {
        Error::Rejected(r.status(), r.body_text())
    }
}

/// Parses a JSON body after the caller has been authorized, so a bad body from someone who may
/// not call at all gets 401/403, not 400/422.
pub fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|e| {
        let status = if e.is_data() {
            axum::http::StatusCode::UNPROCESSABLE_ENTITY
        } else {
            axum::http::StatusCode::BAD_REQUEST
        };
        Error::Rejected(status, format!("request body: {e}"))
    })
}
