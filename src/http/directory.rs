//! Departments, inspection items, inspectors and conflicts.
//!
//! Departments and items are public (the published 抽查事项清单); the inspector directory and
//! conflicts are for staff; a department officer sees its own department's conflicts and an
//! inspector their own.

use super::caller::Caller;
use super::error::{Error, ErrorBody, Result};
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
use utoipa::{IntoParams, ToSchema};

const STAFF: &[Role] = &[
    Role::Admin,
    Role::Planner,
    Role::Department,
    Role::Credit,
    Role::Inspector,
];

#[utoipa::path(
    get,
    path = "/departments",
    tag = "directories",
    summary = "Departments",
    description = "Who may call: anyone.",
    responses((status = 200, description = "every department", body = Vec<Department>)),
)]
pub async fn departments(State(s): State<AppState>) -> Result<Json<Vec<Department>>> {
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(store::departments(&mut conn).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ByDepartment {
    /// Department code.
    department: Option<String>,
}

#[utoipa::path(
    get,
    path = "/items",
    tag = "directories",
    summary = "Inspection items (抽查事项清单)",
    description = "Who may call: anyone.",
    params(ByDepartment),
    responses((status = 200, description = "the items", body = Vec<Item>)),
)]
pub async fn items(
    State(s): State<AppState>,
    Query(q): Query<ByDepartment>,
) -> Result<Json<Vec<Item>>> {
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(
        store::items(&mut conn, q.department.as_deref()).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/inspectors",
    tag = "directories",
    summary = "Inspector directory",
    description = "Who may call: staff (admin, planner, department, credit, inspector).",
    params(ByDepartment),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the inspectors", body = Vec<Inspector>),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: an enterprise token", body = ErrorBody),
    ),
)]
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

#[utoipa::path(
    get,
    path = "/conflicts",
    tag = "directories",
    summary = "Conflicts (回避); department officers see their department's, inspectors their own",
    description = "Who may call: admin, planner, department, inspector.",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the conflicts", body = Vec<Conflict>),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not read conflicts", body = ErrorBody),
    ),
)]
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

/// A conflict to declare.
#[derive(Deserialize, ToSchema)]
pub struct NewConflict {
    /// Inspector id.
    inspector: String,
    /// 统一社会信用代码.
    #[schema(pattern = "^[0-9A-HJ-NP-RTUWXY]{18}$")]
    uscc: String,
    /// Why; not empty.
    reason: String,
    /// YYYY-MM-DD (default: today in China Standard Time).
    #[schema(format = Date, nullable = false)]
    declared_on: Option<String>,
}

/// Declares a conflict (回避): by the inspector, their department, or the planning office.
#[utoipa::path(
    post,
    path = "/conflicts",
    tag = "directories",
    summary = "Declare a conflict",
    description = "Who may call: admin, planner, department (its inspectors), inspector (self).",
    request_body = NewConflict,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "the conflict as stored", body = Conflict),
        (status = 400, description = "bad_request: the body is not JSON", body = ErrorBody),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not declare conflicts, or not for this inspector", body = ErrorBody),
        (status = 409, description = "conflict: the inspector already has a conflict with this enterprise", body = ErrorBody),
        (status = 422, description = "invalid_request: the body is JSON of the wrong shape; invalid_uscc, missing_reason, invalid_date, unknown_inspector, unknown_enterprise", body = ErrorBody),
    ),
)]
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
