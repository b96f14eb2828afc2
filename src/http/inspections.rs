//! Inspection work over HTTP (`docs/results.md` §8): jobs and their steps, results and their
//! corrections, publication, the overdue list, bulk results, credit proposals.

use super::caller::Caller;
use super::enterprises::parse_on;
use super::error::{Error, ErrorBody, Result};
use super::extract::{json_body, Path, Query};
use super::inspection_schemas as schema;
use super::limits::BodyLimit;
use super::AppState;
use crate::auth::{Principal, Role};
use crate::inspection::catalog::Categories;
use crate::inspection::jobs::{self, Act, JobFilter};
use crate::inspection::results::{self, NewResult};
use crate::inspection::{proposals, publication, results_csv, InspectionError};
use axum::body::Body;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::{IntoParams, ToSchema};

impl From<InspectionError> for Error {
    fn from(e: InspectionError) -> Self {
        match e {
            InspectionError::NotFound(m) => Error::NotFound(m),
            InspectionError::Forbidden { code, message } => Error::Coded {
                status: StatusCode::FORBIDDEN,
                code,
                message,
            },
            InspectionError::Invalid { code, message } => Error::unprocessable(code, message),
            InspectionError::Conflict { code, message } => Error::Coded {
                status: StatusCode::CONFLICT,
                code,
                message,
            },
            InspectionError::File(errors) => Error::Unprocessable {
                code: "invalid_file",
                message: format!(
                    "{} error(s) in the file; nothing was imported",
                    errors.len()
                ),
                details: json!({ "total": errors.len(), "errors": errors.iter().map(|e| e.to_string()).collect::<Vec<_>>() }),
            },
            InspectionError::Calendar(e) => Error::unprocessable("no_schedule", e.to_string()),
            InspectionError::Key(m) => Error::Internal(anyhow::anyhow!(m)),
            InspectionError::Db(e) => e.into(),
        }
    }
}

/// Everyone who works on inspections (not enterprises, not anonymous callers).
const STAFF: &[Role] = &[
    Role::Admin,
    Role::Planner,
    Role::Department,
    Role::Credit,
    Role::Inspector,
];

fn act(p: &Principal, on: Option<&str>) -> Result<Act> {
    Ok(Act {
        actor: p.actor(),
        on: parse_on(on)?,
        at: crate::clock::now(),
    })
}

#[utoipa::path(
    get,
    path = "/inspection-jobs",
    tag = "inspections",
    summary = "Inspection jobs in id order (keyset paging with `after`)",
    description = "Who may call: admin, planner, credit; department (its own), inspector (its own jobs).",
    params(
        ("batch" = Option<String>, Query, description = "batch name"),
        ("department" = Option<String>, Query, description = "department code (a department officer sees its own)"),
        ("state" = Option<String>, Query, description = "planned, notified, done or not-carried-out"),
        ("uscc" = Option<String>, Query, description = "统一社会信用代码", pattern = "^[0-9A-HJ-NP-RTUWXY]{18}$"),
        ("inspector" = Option<String>, Query, description = "inspector id, an active member (an inspector sees its own)"),
        ("after" = Option<i64>, Query, description = "the last id of the previous page"),
        ("limit" = Option<i64>, Query, description = "page size (default 100; values outside 1-1000 are clamped)", minimum = 1, maximum = 1000),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "a page of jobs", body = Vec<schema::Job>),
        (status = 400, description = "bad_request: a query parameter is not of its type", body = ErrorBody),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: an enterprise token", body = ErrorBody),
    ),
)]
pub async fn list_jobs(
    State(s): State<AppState>,
    caller: Caller,
    Query(mut f): Query<JobFilter>,
) -> Result<Json<Vec<Value>>> {
    let p = caller.require(STAFF)?;
    match p.role {
        Role::Department => f.department = p.scope.clone(),
        Role::Inspector => f.inspector = p.scope.clone(),
        _ => {}
    }
    let mut conn = s.db.pool.acquire().await?;
    let list = jobs::list(&mut conn, &f).await?;
    let mut out = Vec::with_capacity(list.len());
    for j in &list {
        out.push(jobs::view(j, &jobs::members(&mut conn, j.id).await?));
    }
    Ok(Json(out))
}

#[utoipa::path(
    get,
    path = "/inspection-jobs/{id}",
    tag = "inspections",
    summary = "One job with its team and every result version",
    description = "Who may call: staff (admin, planner, department, credit, inspector).",
    params(("id" = i64, Path, description = "numeric id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the job", body = schema::Job),
        (status = 400, description = "bad_request: the id is not a number", body = ErrorBody),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: an enterprise token", body = ErrorBody),
        (status = 404, description = "not_found: no such job", body = ErrorBody),
    ),
)]
pub async fn one_job(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Value>> {
    caller.require(STAFF)?;
    let mut conn = s.db.pool.acquire().await?;
    let job = jobs::get(&mut conn, id).await?;
    let members = jobs::members(&mut conn, id).await?;
    let cats = Categories::load(&mut conn).await?;
    let mut v = jobs::view(&job, &members);
    v["results"] = json!(results::versions(&mut conn, id)
        .await?
        .iter()
        .map(|r| results::view(r, &cats))
        .collect::<Vec<_>>());
    Ok(Json(v))
}

/// The body of a job step; it may be empty.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = JobStep)]
pub struct StepBody {
    /// The day of the step, YYYY-MM-DD (default: today in China Standard Time).
    #[schema(format = Date, nullable = false)]
    on: Option<String>,
    /// `not-carried-out`: deregistered, closed, moved-out or member-unavailable; `replace`: why
    /// the member cannot serve; `substitute`: deregistered, closed or moved-out.
    #[schema(nullable = false)]
    reason: Option<String>,
    /// For `replace`: the member who cannot serve.
    #[schema(nullable = false)]
    inspector: Option<String>,
}

/// `POST /inspection-jobs/{id}/{action}`: `approve`, `notify`, `not-carried-out`, `replace` or
/// `substitute` (the answer then holds the new job as `substitute`).
async fn job_step(
    s: &AppState,
    caller: &Caller,
    id: i64,
    body: &[u8],
    action: &str,
) -> Result<Json<Value>> {
    let p = caller.require(&[Role::Admin, Role::Department])?;
    let body: StepBody = if body.iter().all(u8::is_ascii_whitespace) {
        StepBody::default()
    } else {
        json_body(body)?
    };
    let act = act(p, body.on.as_deref())?;
    let job = match action {
        "notify" => jobs::notify(&s.db, p, id, &act).await?,
        "not-carried-out" => {
            let reason = body.reason.unwrap_or_default();
            jobs::not_carried_out(&s.db, p, id, &reason, &act).await?
        }
        "approve" => crate::inspection::codes::approve(&s.db, &s.code_key, p, id, &act).await?,
        "replace" => {
            let who = body.inspector.unwrap_or_default();
            let reason = body.reason.unwrap_or_default();
            crate::inspection::replacement::replace(
                &s.db,
                &s.bundles,
                &s.code_key,
                p,
                id,
                &who,
                &reason,
                &act,
            )
            .await?;
            let mut conn = s.db.pool.acquire().await?;
            jobs::get(&mut conn, id).await?
        }
        "substitute" => {
            let reason = body.reason.unwrap_or_default();
            let (ended, new) =
                crate::inspection::substitute::substitute(&s.db, &s.bundles, p, id, &reason, &act)
                    .await?;
            let mut conn = s.db.pool.acquire().await?;
            let mut v = jobs::view(&ended, &jobs::members(&mut conn, id).await?);
            v["substitute"] = jobs::view(&new, &jobs::members(&mut conn, new.id).await?);
            return Ok(Json(v));
        }
        other => unreachable!("no route takes the job step '{other}'"),
    };
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(jobs::view(&job, &jobs::members(&mut conn, id).await?)))
}

#[utoipa::path(
    post,
    path = "/inspection-jobs/{id}/approve",
    tag = "inspections",
    summary = "Approve an open job (批准) and give it its inspection code (docs/results.md §12)",
    description = "Who may call: admin, department (its own jobs).",
    params(("id" = i64, Path, description = "numeric id")),
    request_body(content = Option<StepBody>, description = "optional: an empty body takes today"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the job after the step", body = schema::Job),
        (status = 400, description = "bad_request: the id is not a number, or the body is not JSON", body = ErrorBody),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not, or another department's job", body = ErrorBody),
        (status = 404, description = "not_found: no such job", body = ErrorBody),
        (status = 409, description = "conflict: the job is not open, or already approved", body = ErrorBody),
        (status = 422, description = "invalid_request: the body is JSON of the wrong shape; invalid_date: `on` is not a date; no_schedule", body = ErrorBody),
    ),
)]
pub async fn approve(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Json<Value>> {
    job_step(&s, &caller, id, &body, "approve").await
}

#[utoipa::path(
    post,
    path = "/inspection-jobs/{id}/notify",
    tag = "inspections",
    summary = "Record the notice to the enterprise (告知): planned → notified",
    description = "Who may call: admin, department (its own jobs).",
    params(("id" = i64, Path, description = "numeric id")),
    request_body(content = Option<StepBody>, description = "optional: an empty body takes today"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the job after the step", body = schema::Job),
        (status = 400, description = "bad_request: the id is not a number, or the body is not JSON", body = ErrorBody),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not, or another department's job", body = ErrorBody),
        (status = 404, description = "not_found: no such job", body = ErrorBody),
        (status = 409, description = "conflict: the job is not planned", body = ErrorBody),
        (status = 422, description = "invalid_request: the body is JSON of the wrong shape; invalid_date: `on` is not a date; invalid: a field is wrong", body = ErrorBody),
    ),
)]
pub async fn notify(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Json<Value>> {
    job_step(&s, &caller, id, &body, "notify").await
}

#[utoipa::path(
    post,
    path = "/inspection-jobs/{id}/not-carried-out",
    tag = "inspections",
    summary = "End a job without a check: reason deregistered, closed, moved-out or member-unavailable",
    description = "Who may call: admin, department (its own jobs).",
    params(("id" = i64, Path, description = "numeric id")),
    request_body(content = Option<StepBody>, description = "optional: an empty body takes today"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the job after the step", body = schema::Job),
        (status = 400, description = "bad_request: the id is not a number, or the body is not JSON", body = ErrorBody),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not, or another department's job", body = ErrorBody),
        (status = 404, description = "not_found: no such job", body = ErrorBody),
        (status = 409, description = "conflict: the job is done or already ended", body = ErrorBody),
        (status = 422, description = "invalid_request: the body is JSON of the wrong shape; invalid_date: `on` is not a date; invalid_reason: not one of the listed reasons", body = ErrorBody),
    ),
)]
pub async fn not_carried_out(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Json<Value>> {
    job_step(&s, &caller, id, &body, "not-carried-out").await
}

#[utoipa::path(
    post,
    path = "/inspection-jobs/{id}/replace",
    tag = "inspections",
    summary = "Replace an unavailable team member ({inspector, reason, on}) by the plan's deterministic rule (docs/results.md §1.2)",
    description = "Who may call: admin, department (its own jobs).",
    params(("id" = i64, Path, description = "numeric id")),
    request_body(content = Option<StepBody>, description = "optional: an empty body takes today"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the job after the step", body = schema::Job),
        (status = 400, description = "bad_request: the id is not a number, or the body is not JSON", body = ErrorBody),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not, or another department's job", body = ErrorBody),
        (status = 404, description = "not_found: no such job", body = ErrorBody),
        (status = 409, description = "no_replacement: nobody qualifies; conflict: the job is done or ended", body = ErrorBody),
        (status = 422, description = "invalid_request: the body is JSON of the wrong shape; invalid_date: `on` is not a date; the inspector is not an active member, or the reason is missing", body = ErrorBody),
    ),
)]
pub async fn replace(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Json<Value>> {
    job_step(&s, &caller, id, &body, "replace").await
}

#[utoipa::path(
    post,
    path = "/inspection-jobs/{id}/substitute",
    tag = "inspections",
    summary = "End a job whose enterprise is deregistered, closed or moved out ({reason, on}) and record the job of its substitute enterprise by the plan's deterministic rule (docs/results.md §1.4)",
    description = "Who may call: admin, department (its own jobs). The answer is the ended job with `substitute`, the new job.",
    params(("id" = i64, Path, description = "numeric id")),
    request_body(content = Option<StepBody>, description = "optional: an empty body takes today"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the ended job, with the substitute's job as `substitute`", body = schema::Job),
        (status = 400, description = "bad_request: the id is not a number, or the body is not JSON", body = ErrorBody),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not; not_your_department: another department's job", body = ErrorBody),
        (status = 404, description = "not_found: no such job; no_bundle: the batch's bundle is not on this service", body = ErrorBody),
        (status = 409, description = "no_substitute: nobody is left in the stratum; already_substituted; wrong_state: the job is not open", body = ErrorBody),
        (status = 422, description = "invalid_request: the body is JSON of the wrong shape; invalid_date: `on` is not a date; unknown_reason, wrong_reason: the reason is not deregistered, closed or moved-out", body = ErrorBody),
    ),
)]
pub async fn substitute(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Json<Value>> {
    job_step(&s, &caller, id, &body, "substitute").await
}

#[utoipa::path(
    get,
    path = "/public/batches/{batch}/substitutes",
    tag = "public",
    summary = "The batch's substitute enterprises in recorded order, with the original job, reason and drawn team, once the draw is revealed (docs/results.md §1.4)",
    description = "Who may call: anyone.",
    params(("batch" = String, Path, description = "batch name")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "the substitutes", body = schema::Substitutes),
        (status = 401, description = "bad_token: a token was sent and is unknown, revoked or malformed", body = ErrorBody),
        (status = 404, description = "not_found: no such batch, or its draw is not revealed", body = ErrorBody),
    ),
)]
pub async fn substitutes(
    State(s): State<AppState>,
    Path(batch): Path<String>,
) -> Result<Json<Value>> {
    let mut conn = s.db.pool.acquire().await?;
    let list = crate::inspection::substitute::published(&mut conn, &batch)
        .await?
        .ok_or_else(|| {
            Error::NotFound(format!(
                "batch {batch} is not revealed; its substitutes are published with the seed"
            ))
        })?;
    Ok(Json(json!({ "batch": batch, "substitutes": list })))
}

#[utoipa::path(
    post,
    path = "/inspection-jobs/{id}/result",
    tag = "inspections",
    summary = "Record the job's result (谁检查、谁录入)",
    description = "Who may call: inspector (an active team member, as themself); department officer or admin naming the member.",
    params(("id" = i64, Path, description = "numeric id")),
    request_body = schema::NewResultBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "the result, version 1", body = schema::InspectionResult),
        (status = 400, description = "bad_request: the id is not a number, or the body is not JSON", body = ErrorBody),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not; not_on_team: the inspector is not an active member", body = ErrorBody),
        (status = 404, description = "not_found: no such job", body = ErrorBody),
        (status = 409, description = "duplicate_result: the job has a result (correct it instead); conflict: the job is not notified", body = ErrorBody),
        (status = 422, description = "invalid_request: the body is JSON of the wrong shape; outside_period, in_future, unknown_category, unknown_method, missing_item, unknown_item, invalid_date, no_schedule", body = ErrorBody),
    ),
)]
pub async fn record_result(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>)> {
    let p = caller.require(&[Role::Admin, Role::Department, Role::Inspector])?;
    let new: NewResult = json_body(&body)?;
    let today = crate::clock::today();
    let r = results::record(&s.db, p, id, new, &crate::clock::now(), today).await?;
    let mut conn = s.db.pool.acquire().await?;
    let cats = Categories::load(&mut conn).await?;
    Ok((StatusCode::CREATED, Json(results::view(&r, &cats))))
}

#[utoipa::path(
    get,
    path = "/inspection-results/{id}",
    tag = "inspections",
    summary = "One result version",
    description = "Who may call: staff (admin, planner, department, credit, inspector).",
    params(("id" = i64, Path, description = "numeric id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the version", body = schema::InspectionResult),
        (status = 400, description = "bad_request: the id is not a number", body = ErrorBody),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: an enterprise token", body = ErrorBody),
        (status = 404, description = "not_found: no such result", body = ErrorBody),
    ),
)]
pub async fn one_result(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Value>> {
    caller.require(STAFF)?;
    let mut conn = s.db.pool.acquire().await?;
    let r = results::get(&mut conn, id).await?;
    let cats = Categories::load(&mut conn).await?;
    Ok(Json(results::view(&r, &cats)))
}

#[utoipa::path(
    post,
    path = "/inspection-results/{id}/publish",
    tag = "inspections",
    summary = "Publish a result version on a date (谁公开)",
    description = "Who may call: admin, department (its own).",
    params(("id" = i64, Path, description = "numeric id"), super::enterprises::On),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the version, published", body = schema::InspectionResult),
        (status = 400, description = "bad_request: the id is not a number", body = ErrorBody),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not, or another department's result", body = ErrorBody),
        (status = 404, description = "not_found: no such result", body = ErrorBody),
        (status = 409, description = "already_published; not_latest: a later version exists", body = ErrorBody),
        (status = 422, description = "invalid_date: `on` is not a date; invalid: `on` is before the check", body = ErrorBody),
    ),
)]
pub async fn publish(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<super::enterprises::On>,
) -> Result<Json<Value>> {
    let p = caller.require(&[Role::Admin, Role::Department])?;
    let act = act(p, q.on.as_deref())?;
    let r = publication::publish(&s.db, p, id, &act).await?;
    let mut conn = s.db.pool.acquire().await?;
    let cats = Categories::load(&mut conn).await?;
    Ok(Json(results::view(&r, &cats)))
}

#[utoipa::path(
    post,
    path = "/inspection-results/{id}/corrections",
    tag = "inspections",
    summary = "Correct the latest version: a new version with its reason (never an edit)",
    description = "Who may call: as for a result: inspector (an active team member); department officer or admin naming the member.",
    params(("id" = i64, Path, description = "numeric id")),
    request_body = schema::NewResultBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "the new version", body = schema::InspectionResult),
        (status = 400, description = "bad_request: the id is not a number, or the body is not JSON", body = ErrorBody),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not; not_on_team", body = ErrorBody),
        (status = 404, description = "not_found: no such result", body = ErrorBody),
        (status = 409, description = "not_latest: a later version exists", body = ErrorBody),
        (status = 422, description = "invalid_request: the body is JSON of the wrong shape; reason_required, and the checks of a first result", body = ErrorBody),
    ),
)]
pub async fn correct(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>)> {
    let p = caller.require(&[Role::Admin, Role::Department, Role::Inspector])?;
    let new: NewResult = json_body(&body)?;
    let act = act(p, None)?;
    let r = publication::correct(&s.db, p, id, new, &act, act.on).await?;
    let mut conn = s.db.pool.acquire().await?;
    let cats = Categories::load(&mut conn).await?;
    Ok((StatusCode::CREATED, Json(results::view(&r, &cats))))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverdueQuery {
    /// The day asked about, YYYY-MM-DD (default: today in China Standard Time).
    #[param(format = Date)]
    on: Option<String>,
    /// Department code (a department officer sees its own).
    department: Option<String>,
    /// At most this many (default 1000).
    #[param(minimum = 1, maximum = 10000)]
    limit: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/inspection-results/overdue",
    tag = "inspections",
    summary = "Unpublished result versions past their due date, most overdue first, with the working days late",
    description = "Who may call: admin, planner, department (its own).",
    params(OverdueQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the late versions", body = Vec<schema::OverdueResult>),
        (status = 400, description = "bad_request: a query parameter is not of its type", body = ErrorBody),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not", body = ErrorBody),
        (status = 422, description = "invalid_date: `on` is not a date; no_schedule: no working-day schedule for the year", body = ErrorBody),
    ),
)]
pub async fn overdue(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<OverdueQuery>,
) -> Result<Json<Vec<Value>>> {
    let p = caller.require(&[Role::Admin, Role::Planner, Role::Department])?;
    let department = match p.role {
        Role::Department => p.scope.clone(),
        _ => q.department,
    };
    let today = parse_on(q.on.as_deref())?;
    let mut conn = s.db.pool.acquire().await?;
    let late = publication::overdue(
        &mut conn,
        today,
        department.as_deref(),
        q.limit.unwrap_or(1000),
    )
    .await?;
    let cats = Categories::load(&mut conn).await?;
    Ok(Json(
        late.iter()
            .map(|o| json!({ "result": results::view(&o.result, &cats), "due_on": o.result.due_on, "working_days_late": o.working_days_late }))
            .collect(),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileName {
    /// The file name used in messages (default: results.csv).
    file: Option<String>,
}

#[utoipa::path(
    post,
    path = "/inspection-results/import",
    tag = "inspections",
    summary = "Import results from a CSV file (the request body), one transaction; 422 invalid_file lists FILE:LINE: column: what is wrong",
    description = "Who may call: admin, department (its own jobs).",
    params(FileName),
    request_body(content = String, content_type = "text/csv"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "imported", body = schema::ResultsImport),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not", body = ErrorBody),
        (status = 422, description = "invalid_file: details.errors lists every error; nothing was imported", body = ErrorBody),
    ),
)]
pub async fn import(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<FileName>,
    Extension(BodyLimit(limit)): Extension<BodyLimit>,
    body: Body,
) -> Result<Json<results_csv::Imported>> {
    let p = caller.require(&[Role::Admin, Role::Department])?;
    let file = q.file.unwrap_or_else(|| "results.csv".into());
    let (input, too_large) = super::upload::reader(body);
    let outcome = results_csv::import(&s.db, p, &file, input, crate::clock::today()).await;
    if too_large.get() {
        return Err(Error::PayloadTooLarge { limit });
    }
    Ok(Json(outcome?))
}

#[utoipa::path(
    get,
    path = "/result-categories",
    tag = "inspections",
    summary = "Result categories and the credit rule table",
    description = "Who may call: anyone.",
    responses((status = 200, description = "the categories and rules", body = schema::Categories)),
)]
pub async fn categories(State(s): State<AppState>) -> Result<Json<Value>> {
    let mut conn = s.db.pool.acquire().await?;
    let cats = Categories::load(&mut conn).await?;
    Ok(Json(json!({
        "categories": cats.0.iter().map(|(c, n)| json!({ "code": c, "name": n })).collect::<Vec<_>>(),
        "credit_rules": proposals::rules(),
    })))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProposalQuery {
    /// proposed, confirmed or rejected.
    state: Option<String>,
    /// 统一社会信用代码.
    #[param(pattern = "^[0-9A-HJ-NP-RTUWXY]{18}$")]
    uscc: Option<String>,
}

#[utoipa::path(
    get,
    path = "/credit-proposals",
    tag = "inspections",
    summary = "Credit proposals raised by results",
    description = "Who may call: admin, credit.",
    params(ProposalQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the proposals (at most 1000)", body = Vec<schema::Proposal>),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not", body = ErrorBody),
    ),
)]
pub async fn list_proposals(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<ProposalQuery>,
) -> Result<Json<Value>> {
    caller.require(&[Role::Admin, Role::Credit])?;
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(json!(
        proposals::list(&mut conn, q.state.as_deref(), q.uscc.as_deref()).await?
    )))
}

/// A decision on a credit proposal.
#[derive(Deserialize, ToSchema)]
#[schema(as = ProposalDecision)]
pub struct Decision {
    /// The day of the decision, YYYY-MM-DD (default: today in China Standard Time).
    #[schema(format = Date, nullable = false)]
    on: Option<String>,
    /// `reject`: why.
    #[schema(nullable = false)]
    reason: Option<String>,
    /// `confirm`: the decision document number of the credit record.
    #[schema(nullable = false)]
    document_no: Option<String>,
    /// `confirm`: the decision date of the credit record (default: today).
    #[schema(format = Date, nullable = false)]
    decided_on: Option<String>,
    /// `confirm`: the record's summary.
    #[serde(default)]
    summary: String,
}

/// `POST /credit-proposals/{id}/{action}`: `confirm` or `reject`.
async fn decide(
    s: &AppState,
    caller: &Caller,
    id: i64,
    body: &[u8],
    action: &str,
) -> Result<Json<Value>> {
    let p = caller.require(&[Role::Admin, Role::Credit])?;
    let d: Decision = json_body(body)?;
    let act = act(p, d.on.as_deref())?;
    let proposal = if action == "confirm" {
        let decided_on = parse_on(d.decided_on.as_deref())?;
        let c = proposals::Confirmation {
            document_no: d.document_no.unwrap_or_default(),
            decided_on,
            summary: d.summary,
        };
        proposals::confirm(&s.db, &s.rules, id, c, &act).await?
    } else {
        proposals::reject(&s.db, id, d.reason.as_deref().unwrap_or(""), &act).await?
    };
    Ok(Json(json!(proposal)))
}

#[utoipa::path(
    post,
    path = "/credit-proposals/{id}/confirm",
    tag = "inspections",
    summary = "Confirm: creates the credit record (document_no, decided_on) and so changes the tier",
    description = "Who may call: admin, credit.",
    params(("id" = i64, Path, description = "numeric id")),
    request_body = Decision,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the proposal, decided", body = schema::Proposal),
        (status = 400, description = "bad_request: the id is not a number, or the body is not JSON", body = ErrorBody),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not", body = ErrorBody),
        (status = 404, description = "not_found: no such proposal", body = ErrorBody),
        (status = 409, description = "conflict: the proposal is already decided; a record with this document number exists", body = ErrorBody),
        (status = 422, description = "invalid_request: the body is JSON of the wrong shape; invalid_date: a date is not a date; invalid: document_no is empty", body = ErrorBody),
    ),
)]
pub async fn confirm(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Json<Value>> {
    decide(&s, &caller, id, &body, "confirm").await
}

#[utoipa::path(
    post,
    path = "/credit-proposals/{id}/reject",
    tag = "inspections",
    summary = "Reject with a reason",
    description = "Who may call: admin, credit.",
    params(("id" = i64, Path, description = "numeric id")),
    request_body = Decision,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the proposal, decided", body = schema::Proposal),
        (status = 400, description = "bad_request: the id is not a number, or the body is not JSON", body = ErrorBody),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not", body = ErrorBody),
        (status = 404, description = "not_found: no such proposal", body = ErrorBody),
        (status = 409, description = "conflict: the proposal is already decided", body = ErrorBody),
        (status = 422, description = "invalid_request: the body is JSON of the wrong shape; invalid_date: a date is not a date; invalid: the reason is empty", body = ErrorBody),
    ),
)]
pub async fn reject(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Json<Value>> {
    decide(&s, &caller, id, &body, "reject").await
}
