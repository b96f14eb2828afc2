//! Credit records and repair requests over HTTP.
//!
//! Records in publicity are public (一公开); the rest is for staff. Enterprises file repair
//! requests for their own records and see their own requests; credit officers process them.

use super::caller::Caller;
use super::enterprises::{parse_on, record_view};
use super::error::{Error, Result};
use super::extract::{json_body, Path, Query};
use super::AppState;
use crate::auth::{Principal, Role};
use crate::credit::service::{self, Act, CreditError, Filing, NewRecord};
use crate::credit::store::{self, RecordFilter};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

impl From<CreditError> for Error {
    fn from(e: CreditError) -> Self {
        match e {
            CreditError::NotFound(m) => Error::NotFound(m),
            CreditError::Forbidden(m) => Error::Forbidden(m),
            CreditError::Invalid(m) => Error::unprocessable("invalid", m),
            CreditError::Ineligible(reasons) => Error::Unprocessable {
                code: "not_eligible",
                message: CreditError::Ineligible(reasons.clone()).to_string(),
                details: json!({ "reasons": reasons.iter().map(|r| json!({ "reason": r, "message": r.to_string() })).collect::<Vec<_>>() }),
            },
            e @ CreditError::WrongState { .. } => Error::Conflict(e.to_string()),
            e @ CreditError::AlreadyOpen { .. } => Error::Conflict(e.to_string()),
            CreditError::Duplicate(m) => Error::Conflict(m),
            CreditError::Calendar(e) => Error::unprocessable("no_schedule", e.to_string()),
            CreditError::Db(e) => e.into(),
        }
    }
}

fn act(p: &Principal, on: Option<&str>) -> Result<Act> {
    Ok(Act {
        actor: p.actor(),
        on: parse_on(on)?,
        at: crate::clock::now(),
        only_uscc: (p.role == Role::Enterprise).then(|| p.scope.clone().unwrap_or_default()),
    })
}

fn is_staff(caller: &Caller) -> bool {
    caller
        .0
        .as_ref()
        .is_some_and(|p| p.role != Role::Enterprise)
}

pub async fn records(
    State(s): State<AppState>,
    caller: Caller,
    Query(mut f): Query<RecordFilter>,
) -> Result<Json<Vec<Value>>> {
    let today = crate::clock::today();
    let own = caller
        .0
        .as_ref()
        .filter(|p| p.role == Role::Enterprise)
        .and_then(|p| p.scope.clone());
    let sees_all = is_staff(&caller) || (own.is_some() && own == f.uscc);
    if !sees_all {
        f.in_publicity_on = Some(today.format("%Y-%m-%d").to_string());
    }
    let mut conn = s.db.pool.acquire().await?;
    let rows = store::records(&mut conn, &f).await?;
    Ok(Json(rows.iter().map(|r| record_view(r, today)).collect()))
}

pub async fn record(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Value>> {
    let today = crate::clock::today();
    let mut conn = s.db.pool.acquire().await?;
    let r = store::record(&mut conn, id).await?.filter(|r| {
        r.in_publicity(today)
            || caller
                .0
                .as_ref()
                .is_some_and(|p| p.may_see_enterprise(r.uscc.as_str()))
    });
    let r = r.ok_or_else(|| Error::NotFound(format!("no credit record {id}")))?;
    Ok(Json(record_view(&r, today)))
}

pub async fn add_record(
    State(s): State<AppState>,
    caller: Caller,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>)> {
    let p = caller.require(&[Role::Admin, Role::Credit, Role::Department])?;
    let new: NewRecord = json_body(&body)?;
    if p.role == Role::Department && !p.acts_for_department(&new.department) {
        return Err(Error::Forbidden(format!(
            "a department officer may record only for department {}",
            p.scope.as_deref().unwrap_or("")
        )));
    }
    let act = act(p, None)?;
    let record = service::add_record(&s.db, &s.rules, new, &act).await?;
    Ok((StatusCode::CREATED, Json(record_view(&record, act.on))))
}

#[derive(Deserialize)]
pub struct RepairQuery {
    state: Option<String>,
    uscc: Option<String>,
}

pub async fn repairs(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<RepairQuery>,
) -> Result<Json<Vec<Value>>> {
    let p = caller.require(&[Role::Admin, Role::Credit, Role::Enterprise])?;
    let uscc = match p.role {
        Role::Enterprise => p.scope.clone(),
        _ => q.uscc,
    };
    let mut conn = s.db.pool.acquire().await?;
    let list = service::requests(&mut conn, q.state.as_deref(), uscc.as_deref()).await?;
    Ok(Json(list.iter().map(|r| r.view()).collect()))
}

pub async fn repair(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Value>> {
    let p = caller.require(&[Role::Admin, Role::Credit, Role::Enterprise])?;
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(
        service::request(&mut conn, id, &act(p, None)?)
            .await?
            .view(),
    ))
}

#[derive(Deserialize)]
pub struct NewRepair {
    #[serde(flatten)]
    filing: Filing,
    on: Option<String>,
}

pub async fn file_repair(
    State(s): State<AppState>,
    caller: Caller,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>)> {
    let p = caller.require(&[Role::Admin, Role::Credit, Role::Enterprise])?;
    let body: NewRepair = json_body(&body)?;
    let act = act(p, body.on.as_deref())?;
    let r = service::file(&s.db, &s.rules, body.filing, &act).await?;
    Ok((StatusCode::CREATED, Json(r.view())))
}

#[derive(Deserialize, Default)]
pub struct StepBody {
    on: Option<String>,
    #[serde(default)]
    reasons: Vec<String>,
}

pub async fn repair_step(
    State(s): State<AppState>,
    caller: Caller,
    Path((id, action)): Path<(i64, String)>,
    body: axum::body::Bytes,
) -> Result<Json<Value>> {
    let p = caller.require(&[Role::Admin, Role::Credit])?;
    let body: StepBody = if body.iter().all(u8::is_ascii_whitespace) {
        StepBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| Error::BadRequest(format!("request body: {e}")))?
    };
    let act = act(p, body.on.as_deref())?;
    let value = match action.as_str() {
        "accept" => service::accept(&s.db, &s.rules, id, &act).await?.view(),
        "refuse" => service::refuse(&s.db, id, body.reasons, &act).await?.view(),
        "approve" => serde_json::to_value(service::approve(&s.db, &s.rules, id, &act).await?)
            .map_err(anyhow::Error::from)?,
        "deny" => service::deny(&s.db, id, body.reasons, &act).await?.view(),
        other => {
            return Err(Error::NotFound(format!(
                "no repair action '{other}'; use accept, refuse, approve or deny"
            )))
        }
    };
    Ok(Json(value))
}

#[derive(Deserialize)]
pub struct OnQuery {
    on: Option<String>,
}

pub async fn overdue(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<OnQuery>,
) -> Result<Json<Vec<Value>>> {
    caller.require(&[Role::Admin, Role::Credit])?;
    let today = parse_on(q.on.as_deref())?;
    let mut conn = s.db.pool.acquire().await?;
    let late = service::overdue(&mut conn, today).await?;
    Ok(Json(late.iter().map(|(r, o)| json!({ "request": r.view(), "step": o.step, "due": o.due, "working_days_late": o.working_days_late })).collect()))
}
