//! The audit log over HTTP, for administrators and planners.

use super::caller::Caller;
use super::error::{ErrorBody, Result};
use super::extract::Query;
use super::AppState;
use crate::audit::{self, Entry, Verification};
use crate::auth::Role;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// Entries after this seq.
    after: Option<i64>,
    /// At most this many (default 100; values outside 1-1000 are clamped).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/audit",
    tag = "audit",
    summary = "Audit log entries in seq order",
    description = "Who may call: admin, planner.",
    params(Page),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the entries", body = Vec<Entry>),
        (status = 400, description = "bad_request: a query parameter is not an integer", body = ErrorBody),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not read the audit log", body = ErrorBody),
    ),
)]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<Page>,
) -> Result<Json<Vec<Entry>>> {
    caller.require(&[Role::Admin, Role::Planner])?;
    let mut conn = s.db.pool.acquire().await?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    Ok(Json(
        audit::list(&mut conn, q.after.unwrap_or(0), limit).await?,
    ))
}

/// Reads the log in pages and hashes them off the async workers (`audit::verify`).
#[utoipa::path(
    get,
    path = "/audit/verify",
    tag = "audit",
    summary = "Recompute the audit hash chain",
    description = "Who may call: admin, planner.",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the entries checked and the first problem, if any", body = Verification),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not read the audit log", body = ErrorBody),
    ),
)]
pub async fn verify(State(s): State<AppState>, caller: Caller) -> Result<Json<Verification>> {
    caller.require(&[Role::Admin, Role::Planner])?;
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(audit::verify(&mut conn).await?))
}
