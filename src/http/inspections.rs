//! Inspection work over HTTP (`docs/results.md` §8): jobs and their steps, results and their
//! corrections, publication, the overdue list, bulk results, credit proposals.

use super::caller::Caller;
use super::enterprises::parse_on;
use super::error::{Error, Result};
use super::extract::{json_body, Path, Query};
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

#[derive(Deserialize, Default)]
pub struct StepBody {
    on: Option<String>,
    reason: Option<String>,
    /// For `replace`: the member who cannot serve.
    inspector: Option<String>,
}

/// `POST /inspection-jobs/{id}/{action}`: `approve`, `notify`, `not-carried-out`, `replace` or
/// `substitute` (the answer then holds the new job as `substitute`).
pub async fn job_step(
    State(s): State<AppState>,
    caller: Caller,
    Path((id, action)): Path<(i64, String)>,
    body: axum::body::Bytes,
) -> Result<Json<Value>> {
    let p = caller.require(&[Role::Admin, Role::Department])?;
    let body: StepBody = if body.iter().all(u8::is_ascii_whitespace) {
        StepBody::default()
    } else {
        json_body(&body)?
    };
    let act = act(p, body.on.as_deref())?;
    let job = match action.as_str() {
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
        other => {
            return Err(Error::NotFound(format!(
            "no job action '{other}'; use approve, notify, not-carried-out, replace or substitute"
        )))
        }
    };
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(jobs::view(&job, &jobs::members(&mut conn, id).await?)))
}

/// `GET /public/batches/{batch}/substitutes` (no token): the batch's substitute enterprises,
/// once its draw is revealed (`docs/results.md` §1.4); 404 before.
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

#[derive(Deserialize)]
pub struct OnQuery {
    on: Option<String>,
}

pub async fn publish(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<OnQuery>,
) -> Result<Json<Value>> {
    let p = caller.require(&[Role::Admin, Role::Department])?;
    let act = act(p, q.on.as_deref())?;
    let r = publication::publish(&s.db, p, id, &act).await?;
    let mut conn = s.db.pool.acquire().await?;
    let cats = Categories::load(&mut conn).await?;
    Ok(Json(results::view(&r, &cats)))
}

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

#[derive(Deserialize)]
pub struct OverdueQuery {
    on: Option<String>,
    department: Option<String>,
    limit: Option<i64>,
}

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

#[derive(Deserialize)]
pub struct FileName {
    file: Option<String>,
}

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

pub async fn categories(State(s): State<AppState>) -> Result<Json<Value>> {
    let mut conn = s.db.pool.acquire().await?;
    let cats = Categories::load(&mut conn).await?;
    Ok(Json(json!({
        "categories": cats.0.iter().map(|(c, n)| json!({ "code": c, "name": n })).collect::<Vec<_>>(),
        "credit_rules": proposals::rules(),
    })))
}

#[derive(Deserialize)]
pub struct ProposalQuery {
    state: Option<String>,
    uscc: Option<String>,
}

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

#[derive(Deserialize)]
pub struct Decision {
    on: Option<String>,
    reason: Option<String>,
    document_no: Option<String>,
    decided_on: Option<String>,
    #[serde(default)]
    summary: String,
}

/// `POST /credit-proposals/{id}/{action}`: `confirm` or `reject`.
pub async fn decide(
    State(s): State<AppState>,
    caller: Caller,
    Path((id, action)): Path<(i64, String)>,
    body: axum::body::Bytes,
) -> Result<Json<Value>> {
    let p = caller.require(&[Role::Admin, Role::Credit])?;
    let d: Decision = json_body(&body)?;
    let act = act(p, d.on.as_deref())?;
    let proposal = match action.as_str() {
        "confirm" => {
            let decided_on = parse_on(d.decided_on.as_deref())?;
            let c = proposals::Confirmation {
                document_no: d.document_no.unwrap_or_default(),
                decided_on,
                summary: d.summary,
            };
            proposals::confirm(&s.db, &s.rules, id, c, &act).await?
        }
        "reject" => proposals::reject(&s.db, id, d.reason.as_deref().unwrap_or(""), &act).await?,
        other => {
            return Err(Error::NotFound(format!(
                "no proposal action '{other}'; use confirm or reject"
            )))
        }
    };
    Ok(Json(json!(proposal)))
}
