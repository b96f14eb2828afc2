//! Credit records and repair requests over HTTP.
//!
//! Records in publicity are public (一公开); the rest is for staff. Enterprises file repair
//! requests for their own records and see their own requests; credit officers process them.

use super::caller::Caller;
use super::enterprises::{parse_on, record_view, RecordView};
use super::error::{Error, ErrorBody, Result};
use super::extract::{json_body, Path, Query};
use super::AppState;
use crate::auth::{Principal, Role};
use crate::credit::repair::RepairRequest;
use crate::credit::service::{self, Act, Approval, CreditError, Filing, NewRecord};
use crate::credit::store::{self, RecordFilter};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::{IntoParams, ToSchema};

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

#[utoipa::path(
    get,
    path = "/credit-records",
    tag = "credit",
    summary = "List credit records in id order (anonymous callers: only records in publicity today)",
    description = "Who may call: anyone (staff see every record, an enterprise its own; others only records in publicity today).",
    params(
        ("uscc" = Option<String>, Query, description = "统一社会信用代码", pattern = "^[0-9A-HJ-NP-RTUWXY]{18}$"),
        ("department" = Option<String>, Query, description = "source department code"),
        ("kind" = Option<String>, Query, description = "record kind, e.g. penalty-general"),
        ("in_publicity_on" = Option<String>, Query, description = "only records in publicity on this date (YYYY-MM-DD)", format = Date),
        ("after_id" = Option<i64>, Query, description = "the last id of the previous page"),
        ("limit" = Option<i64>, Query, description = "page size (default 100; values outside 1-1000 are clamped)", minimum = 1, maximum = 1000),
    ),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "a page of records", body = Vec<RecordView>),
        (status = 400, description = "bad_request: a query parameter is not of its type", body = ErrorBody),
        (status = 401, description = "bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
    ),
)]
pub async fn records(
    State(s): State<AppState>,
    caller: Caller,
    Query(mut f): Query<RecordFilter>,
) -> Result<Json<Vec<RecordView>>> {
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

#[utoipa::path(
    get,
    path = "/credit-records/{id}",
    tag = "credit",
    summary = "One credit record",
    description = "Who may call: anyone for a record in publicity; staff and the enterprise itself for the others.",
    params(("id" = i64, Path, description = "numeric id")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "the record", body = RecordView),
        (status = 400, description = "bad_request: the id is not a number", body = ErrorBody),
        (status = 401, description = "bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 404, description = "not_found: no such record, or not one the caller may see", body = ErrorBody),
    ),
)]
pub async fn record(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<RecordView>> {
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

#[utoipa::path(
    post,
    path = "/credit-records",
    tag = "credit",
    summary = "Add one credit record (publicity window defaults from the rule table)",
    description = "Who may call: admin, credit, department (its own records).",
    request_body = NewRecord,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "the record as stored", body = RecordView),
        (status = 400, description = "bad_request: the body is not JSON", body = ErrorBody),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not add records, or a department officer records for another department", body = ErrorBody),
        (status = 404, description = "not_found: no enterprise with this code", body = ErrorBody),
        (status = 409, description = "conflict: the department already has a record with this document number", body = ErrorBody),
        (status = 422, description = "invalid_request: the body is JSON of the wrong shape; invalid: a field is wrong (named first in the message)", body = ErrorBody),
    ),
)]
pub async fn add_record(
    State(s): State<AppState>,
    caller: Caller,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<RecordView>)> {
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RepairQuery {
    /// submitted, accepted, refused, approved or denied.
    state: Option<String>,
    /// 统一社会信用代码 (ignored for an enterprise, which sees its own).
    #[param(pattern = "^[0-9A-HJ-NP-RTUWXY]{18}$")]
    uscc: Option<String>,
}

#[utoipa::path(
    get,
    path = "/repairs",
    tag = "credit",
    summary = "List repair requests",
    description = "Who may call: admin, credit; enterprise (its own).",
    params(RepairQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the requests", body = Vec<RepairRequest>),
        (status = 400, description = "bad_request: a query parameter is not of its type", body = ErrorBody),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not read repair requests", body = ErrorBody),
    ),
)]
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

#[utoipa::path(
    get,
    path = "/repairs/{id}",
    tag = "credit",
    summary = "One repair request with every step",
    description = "Who may call: admin, credit; enterprise (its own).",
    params(("id" = i64, Path, description = "numeric id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the request", body = RepairRequest),
        (status = 400, description = "bad_request: the id is not a number", body = ErrorBody),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not read repair requests", body = ErrorBody),
        (status = 404, description = "not_found: no such request, or not the enterprise's own", body = ErrorBody),
    ),
)]
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

/// A repair application with the day it is filed.
#[derive(Deserialize, ToSchema)]
pub struct NewRepair {
    #[serde(flatten)]
    filing: Filing,
    /// The filing day, YYYY-MM-DD (default: today in China Standard Time).
    #[schema(format = Date, nullable = false)]
    on: Option<String>,
}

#[utoipa::path(
    post,
    path = "/repairs",
    tag = "credit",
    summary = "File a repair request (eligibility checked; 422 not_eligible names every reason)",
    description = "Who may call: enterprise (its own records), credit, admin.",
    request_body = NewRepair,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "the request, submitted", body = RepairRequest),
        (status = 400, description = "bad_request: the body is not JSON", body = ErrorBody),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not file, or the record is another enterprise's", body = ErrorBody),
        (status = 404, description = "not_found: no such credit record", body = ErrorBody),
        (status = 409, description = "conflict: a request for this record is already open", body = ErrorBody),
        (status = 422, description = "invalid_request: the body is JSON of the wrong shape; invalid_date, invalid: a field is wrong; not_eligible: details.reasons lists every reason; no_schedule: the working-day calendar has no schedule for the year", body = ErrorBody),
    ),
)]
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

/// The body of a repair step; it may be empty.
#[derive(Deserialize, Default, ToSchema)]
pub struct RepairStep {
    /// The day of the step, YYYY-MM-DD (default: today in China Standard Time); not before the
    /// step it follows.
    #[schema(format = Date, nullable = false)]
    on: Option<String>,
    /// Why (refuse, deny).
    #[serde(default)]
    reasons: Vec<String>,
}

/// What a step's handler has read: the officer, and the body (an empty body is `{}`).
fn step_body(caller: &Caller, body: &[u8]) -> Result<(Principal, RepairStep)> {
    let p = caller.require(&[Role::Admin, Role::Credit])?.clone();
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        RepairStep::default()
    } else {
        serde_json::from_slice(body).map_err(|e| Error::BadRequest(format!("request body: {e}")))?
    };
    Ok((p, body))
}

#[utoipa::path(
    post,
    path = "/repairs/{id}/accept",
    tag = "credit",
    summary = "Accept at intake (re-checks eligibility)",
    description = "Who may call: admin, credit.",
    params(("id" = i64, Path, description = "numeric id")),
    request_body(content = Option<RepairStep>, description = "optional: an empty body takes today"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the request, accepted", body = RepairRequest),
        (status = 400, description = "bad_request: the id is not a number, or the body is not a JSON object of this shape", body = ErrorBody),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not process repair requests", body = ErrorBody),
        (status = 404, description = "not_found: no such request", body = ErrorBody),
        (status = 409, description = "conflict: the request is not submitted", body = ErrorBody),
        (status = 422, description = "invalid_date: `on` is not a date; invalid: `on` is before the step it follows, or the reasons are missing; not_eligible: details.reasons; no_schedule: no working-day schedule for the year", body = ErrorBody),
    ),
)]
pub async fn accept(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Json<Value>> {
    let (p, body) = step_body(&caller, &body)?;
    let act = act(&p, body.on.as_deref())?;
    Ok(Json(
        service::accept(&s.db, &s.rules, id, &act).await?.view(),
    ))
}

#[utoipa::path(
    post,
    path = "/repairs/{id}/refuse",
    tag = "credit",
    summary = "Refuse at intake, with reasons",
    description = "Who may call: admin, credit.",
    params(("id" = i64, Path, description = "numeric id")),
    request_body(content = Option<RepairStep>, description = "optional: an empty body takes today"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the request, refused", body = RepairRequest),
        (status = 400, description = "bad_request: the id is not a number, or the body is not a JSON object of this shape", body = ErrorBody),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not process repair requests", body = ErrorBody),
        (status = 404, description = "not_found: no such request", body = ErrorBody),
        (status = 409, description = "conflict: the request is not submitted", body = ErrorBody),
        (status = 422, description = "invalid_date: `on` is not a date; invalid: `on` is before the step it follows, or the reasons are missing; not_eligible: details.reasons; no_schedule: no working-day schedule for the year", body = ErrorBody),
    ),
)]
pub async fn refuse(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Json<Value>> {
    let (p, body) = step_body(&caller, &body)?;
    let act = act(&p, body.on.as_deref())?;
    Ok(Json(
        service::refuse(&s.db, id, body.reasons, &act).await?.view(),
    ))
}

#[utoipa::path(
    post,
    path = "/repairs/{id}/approve",
    tag = "credit",
    summary = "Approve: ends the record's publicity and re-derives the tier at once",
    description = "Who may call: admin, credit.",
    params(("id" = i64, Path, description = "numeric id")),
    request_body(content = Option<RepairStep>, description = "optional: an empty body takes today"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the request, approved, and the enterprise's tier from the decision day", body = Approval),
        (status = 400, description = "bad_request: the id is not a number, or the body is not a JSON object of this shape", body = ErrorBody),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not process repair requests", body = ErrorBody),
        (status = 404, description = "not_found: no such request", body = ErrorBody),
        (status = 409, description = "conflict: the request is not accepted", body = ErrorBody),
        (status = 422, description = "invalid_date: `on` is not a date; invalid: `on` is before the step it follows, or the reasons are missing; not_eligible: details.reasons; no_schedule: no working-day schedule for the year", body = ErrorBody),
    ),
)]
pub async fn approve(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Json<Approval>> {
    let (p, body) = step_body(&caller, &body)?;
    let act = act(&p, body.on.as_deref())?;
    Ok(Json(service::approve(&s.db, &s.rules, id, &act).await?))
}

#[utoipa::path(
    post,
    path = "/repairs/{id}/deny",
    tag = "credit",
    summary = "Deny, with reasons",
    description = "Who may call: admin, credit.",
    params(("id" = i64, Path, description = "numeric id")),
    request_body(content = Option<RepairStep>, description = "optional: an empty body takes today"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the request, denied", body = RepairRequest),
        (status = 400, description = "bad_request: the id is not a number, or the body is not a JSON object of this shape", body = ErrorBody),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not process repair requests", body = ErrorBody),
        (status = 404, description = "not_found: no such request", body = ErrorBody),
        (status = 409, description = "conflict: the request is not accepted", body = ErrorBody),
        (status = 422, description = "invalid_date: `on` is not a date; invalid: `on` is before the step it follows, or the reasons are missing; not_eligible: details.reasons; no_schedule: no working-day schedule for the year", body = ErrorBody),
    ),
)]
pub async fn deny(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Json<Value>> {
    let (p, body) = step_body(&caller, &body)?;
    let act = act(&p, body.on.as_deref())?;
    Ok(Json(
        service::deny(&s.db, id, body.reasons, &act).await?.view(),
    ))
}

/// A request past a deadline.
#[derive(Serialize, ToSchema)]
#[schema(as = OverdueRepair)]
pub struct Overdue {
    #[schema(value_type = RepairRequest)]
    pub request: Value,
    /// The step that is late: intake or decision.
    pub step: String,
    pub due: chrono::NaiveDate,
    pub working_days_late: u32,
}

#[utoipa::path(
    get,
    path = "/repairs/overdue",
    tag = "credit",
    summary = "Requests past their intake or decision deadline (working days)",
    description = "Who may call: admin, credit.",
    params(super::enterprises::On),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the late requests", body = Vec<Overdue>),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not list overdue requests", body = ErrorBody),
        (status = 422, description = "invalid_date: `on` is not a date; no_schedule: no working-day schedule for the year", body = ErrorBody),
    ),
)]
pub async fn overdue(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<super::enterprises::On>,
) -> Result<Json<Vec<Overdue>>> {
    caller.require(&[Role::Admin, Role::Credit])?;
    let today = parse_on(q.on.as_deref())?;
    let mut conn = s.db.pool.acquire().await?;
    let late = service::overdue(&mut conn, today).await?;
    Ok(Json(
        late.iter()
            .map(|(r, o)| Overdue {
                request: r.view(),
                step: o.step.to_string(),
                due: o.due,
                working_days_late: o.working_days_late,
            })
            .collect(),
    ))
}
