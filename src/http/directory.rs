//! Departments, inspection items, inspectors and conflicts.
//!
//! Departments and items are public (the published 抽查事项清单); the inspector directory and
//! conflicts are for staff; a department officer sees its own department's conflicts and an
//! inspector their own.

use super::caller::Caller;
use super::error::{Error, Result};
use super::extract::json_body;
use super::extract::Query;
use super::AppState;
use crate::auth::Role;
use crate::registry::model::{Conflict, Department, Inspector, Item};
use crate::registry::store;
use axum::extract::State;
use axum::Json;
use dualdraw_solver::Uscc;
use serde::Deserialize;

const STAFF: &[Role] = &[
    Role::Admin,
    Role::Planner,
    Role::Department,
    Role::Credit,
    Role::Inspector,
];

pub async fn departments(State(s): State<AppState>) -> Result<Json<Vec<Department>>> {
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(store::departments(&mut conn).await?))
}

#[derive(Deserialize)]
pub struct ByDepartment {
    department: Option<String>,
}

pub async fn items(
    State(s): State<AppState>,
    Query(q): Query<ByDepartment>,
) -> Result<Json<Vec<Item>>> {
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(
        store::items(&mut conn, q.department.as_deref()).await?,
    ))
}

pub async fn inspectors(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<ByDepartment>,
) -> Result<Json<Vec<Inspector>>> {
    caller.require(STAFF)?;
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(
        store::inspectors(&mut conn, q.department.as_deref()).await?,
    ))
}

pub async fn conflicts(State(s): State<AppState>, caller: Caller) -> Result<Json<Vec<Conflict>>> {
    let p = caller.require(&[
        Role::Admin,
        Role::Planner,
        Role::Department,
        Role::Inspector,
    ])?;
    let (department, inspector) = match p.role {
        Role::Department => (p.scope.as_deref(), None),
        Role::Inspector => (None, p.scope.as_deref()),
        _ => (None, None),
    };
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(
        store::conflicts(&mut conn, department, inspector).await?,
    ))
}

#[derive(Deserialize)]
pub struct NewConflict {
    inspector: String,
    uscc: String,
    reason: String,
    declared_on: Option<String>,
}

/// Declares a conflict (回避): by the inspector, their department, or the planning office.
pub async fn declare_conflict(
    State(s): State<AppState>,
    caller: Caller,
    body: axum::body::Bytes,
) -> Result<(axum::http::StatusCode, Json<Conflict>)> {
    let p = caller
        .require(&[
            Role::Admin,
            Role::Planner,
            Role::Department,
            Role::Inspector,
        ])?
        .clone();
    let body: NewConflict = json_body(&body)?;
    let uscc = Uscc::parse(&body.uscc)
        .map_err(|e| Error::unprocessable("invalid_uscc", format!("uscc: {e}")))?;
    if body.reason.trim().is_empty() {
        return Err(Error::unprocessable("missing_reason", "reason: is empty"));
    }
    let declared_on = match &body.declared_on {
        Some(d) => crate::import::source::parse_date(d)
            .map_err(|m| Error::unprocessable("invalid_date", format!("declared_on: {m}")))?,
        None => crate::clock::today(),
    };
    let mut tx = s.db.begin().await?;
    let inspector = store::inspector(&mut tx, &body.inspector)
        .await?
        .ok_or_else(|| {
            Error::unprocessable(
                "unknown_inspector",
                format!("inspector '{}' does not exist", body.inspector),
            )
        })?;
    let allowed = match p.role {
        Role::Inspector => p.scope.as_deref() == Some(inspector.id.as_str()),
        _ => p.acts_for_department(&inspector.department),
    };
    if !allowed {
        return Err(Error::Forbidden(format!(
            "{} may not declare conflicts for inspector {}",
            p.actor(),
            inspector.id
        )));
    }
    if store::enterprise(&mut tx, &uscc).await?.is_none() {
        return Err(Error::unprocessable(
            "unknown_enterprise",
            format!("enterprise {uscc} does not exist"),
        ));
    }
    let conflict = Conflict {
        inspector: inspector.id,
        uscc,
        reason: body.reason.trim().to_string(),
        declared_on,
    };
    if let Err(e) = store::insert_conflict(&mut tx, &conflict).await {
        if crate::db::violates(&e, "conflicts_pk") || e.to_string().contains("UNIQUE") {
            return Err(Error::Conflict(format!(
                "inspector {} already has a conflict with {}",
                conflict.inspector, conflict.uscc
            )));
        }
        return Err(e.into());
    }
    let detail = serde_json::to_value(&conflict).map_err(anyhow::Error::from)?;
    let subject = format!("{}/{}", conflict.inspector, conflict.uscc);
    crate::audit::append(
        &mut tx,
        &p.actor(),
        "conflict.declare",
        &subject,
        &detail,
        &crate::clock::now(),
    )
    .await?;
    tx.commit().await?;
    Ok((axum::http::StatusCode::CREATED, Json(conflict)))
}
