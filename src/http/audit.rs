//! The audit log over HTTP, for administrators and planners.

use super::caller::Caller;
use super::error::Result;
use super::extract::Query;
use super::AppState;
use crate::audit::{self, Entry, Verification};
use crate::auth::Role;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Page {
    after: Option<i64>,
    limit: Option<i64>,
}

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
pub async fn verify(State(s): State<AppState>, caller: Caller) -> Result<Json<Verification>> {
    caller.require(&[Role::Admin, Role::Planner])?;
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(audit::verify(&mut conn).await?))
}
