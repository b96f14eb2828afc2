//! Draws in the service: a planner prepares (freezes the database's directories with the
//! submitted tasks and policy, and commits), runs and reveals; every step is one audit entry.
//! The commitment and inputs are public at once; the entropy, the plan and the secret only after
//! the reveal (enterprises must not learn in advance that they will be inspected). The bundle is
//! verified once, at the reveal; reading a draw never recomputes it.

use super::caller::Caller;
use super::error::{Error, Result};
use super::extract::{json_body, Path};
use super::AppState;
use crate::auth::Role;
use crate::draw::bundle::Bundle;
use crate::draw::{from_db, prepare, run, verify};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::Row;

const PLANNERS: &[Role] = &[Role::Admin, Role::Planner];

fn bundle(s: &AppState, batch: &str) -> Result<Bundle> {
    let ok = !batch.is_empty()
        && batch.len() <= 64
        && batch
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        return Err(Error::unprocessable(
            "invalid_batch",
            "batch: use letters, digits, '-' and '_' (at most 64)",
        ));
    }
    Ok(Bundle::new(s.bundles.join(batch)))
}

fn step_error(e: run::StepError) -> Error {
    match e {
        run::StepError::Input(m) => Error::unprocessable("invalid_step", m),
        run::StepError::Bundle(b) => Error::Internal(anyhow::anyhow!(b.to_string())),
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("draw task failed: {e}")))
}

/// The draw's state and, once revealed, its stored verification.
async fn state_of(s: &AppState, batch: &str) -> Result<(String, Option<String>)> {
    let mut conn = s.db.pool.acquire().await?;
    let row = sqlx::query("SELECT state, verification FROM draws WHERE batch = $1")
        .bind(batch)
        .fetch_optional(&mut *conn)
        .await?;
    let row = row.ok_or_else(|| Error::NotFound(format!("no draw '{batch}'")))?;
    Ok((row.try_get("state")?, row.try_get("verification")?))
}

/// Records a step: the new state (and, at the reveal, the verification) and its audit entry,
/// in one transaction.
async fn record(
    s: &AppState,
    batch: &str,
    state: &str,
    actor: &str,
    detail: Value,
    insert: Option<&str>,
    verification: Option<String>,
) -> Result<()> {
    let now = crate::clock::now();
    let mut tx = s.db.begin().await?;
    match insert {
        Some(commitment) => {
            sqlx::query("INSERT INTO draws (batch, state, commitment_sha256, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)")
                .bind(batch)
                .bind(state)
                .bind(commitment)
                .bind(&now)
                .execute(&mut *tx)
                .await?;
        }
        None => {
            sqlx::query(
                "UPDATE draws SET state = $1, updated_at = $2, verification = $3 WHERE batch = $4",
            )
            .bind(state)
            .bind(&now)
            .bind(verification)
            .bind(batch)
            .execute(&mut *tx)
            .await?;
        }
    }
    crate::audit::append(
        &mut tx,
        actor,
        &format!("draw.{state}"),
        batch,
        &detail,
        &now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Deserialize)]
struct NewDraw {
    batch: String,
    sources: Vec<String>,
    tasks_csv: String,
    policy_csv: String,
    history_csv: Option<String>,
    /// `dr1` (default) or `dr2`, the annual plan.
    method: Option<String>,
    /// `dr2` only: complaint-driven checks, `uscc,department,period`.
    complaints_csv: Option<String>,
}

/// `POST /api/v1/draws`: freeze and commit.
pub async fn prepare(
    State(s): State<AppState>,
    caller: Caller,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>)> {
    let p = caller.require(PLANNERS)?.clone();
    let new: NewDraw = json_body(&body)?;
    let b = bundle(&s, &new.batch)?;
    let sources = new
        .sources
        .iter()
        .map(|x| prepare::parse_source(x))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|m| Error::unprocessable("invalid_source", m))?;
    let history = new
        .history_csv
        .unwrap_or_else(dualdraw_solver::dr1::inputs::empty_history);
    let inputs = {
        let mut conn = s.db.pool.acquire().await?;
        from_db::inputs(&mut conn, &s.rules, new.policy_csv, new.tasks_csv, history)
            .await
            .map_err(|e| match e {
                from_db::FromDbError::Input(_) => {
                    Error::unprocessable("invalid_inputs", e.to_string())
                }
                from_db::FromDbError::Db(e) => e.into(),
            })?
    };
    let (batch, enterprises) = (new.batch.clone(), inputs.population_len());
    let annual = match new.method.as_deref().unwrap_or("dr1") {
        "dr1" if new.complaints_csv.is_some() => {
            return Err(Error::unprocessable(
                "invalid_inputs",
                "complaints_csv needs method dr2",
            ))
        }
        "dr1" => None,
        "dr2" => Some(complaints(new.complaints_csv.as_deref(), &inputs)?),
        other => {
            return Err(Error::unprocessable(
                "invalid_method",
                format!("method '{other}': use dr1 or dr2"),
            ))
        }
    };
    std::fs::create_dir_all(&s.bundles).map_err(|e| Error::Internal(e.into()))?;
    let digest = blocking(move || match annual {
        None => prepare::write(&b, &batch, &inputs, sources),
        Some(annual) => crate::draw::annual::prepare(&b, &batch, &inputs, &annual, sources),
    })
    .await?
    .map_err(|e| match e {
        prepare::PrepareError::Exists(_) => Error::Conflict(e.to_string()),
        prepare::PrepareError::Input(_) => Error::unprocessable("invalid_inputs", e.to_string()),
        prepare::PrepareError::Bundle(b) => Error::Internal(anyhow::anyhow!(b.to_string())),
    })?;
    let detail = json!({ "commitment_sha256": digest, "enterprises": enterprises });
    record(
        &s,
        &new.batch,
        "committed",
        &p.actor(),
        detail,
        Some(&digest),
        None,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "batch": new.batch, "state": "committed", "commitment_sha256": digest })),
    ))
}

/// The annual files of a new `dr2` draw: the submitted complaint-driven checks.
fn complaints(
    csv: Option<&str>,
    inputs: &dualdraw_solver::dr1::Inputs,
) -> Result<dualdraw_solver::dr2::Annual> {
    let mut annual = dualdraw_solver::dr2::Annual::default();
    if let Some(text) = csv {
        annual.complaints = crate::draw::annual::parse_complaints(
            "complaints_csv",
            text,
            inputs.policy.periods.count(),
        )
        .map_err(|e| Error::unprocessable("invalid_inputs", e.join("\n")))?;
    }
    annual.normalize();
    Ok(annual)
}

/// `GET /api/v1/draws/{batch}/report`: the report of a `dr2` plan; public once revealed,
/// for planners once run.
pub async fn report(
    State(s): State<AppState>,
    caller: Caller,
    Path(batch): Path<String>,
) -> Result<Json<crate::plan::report::Report>> {
    let b = bundle(&s, &batch)?;
    let (state, _) = state_of(&s, &batch).await?;
    if state != "revealed" {
        caller.require(PLANNERS)?;
    }
    let report = blocking(move || crate::plan::report::report(&b))
        .await?
        .map_err(|e| Error::unprocessable("no_report", e.to_string()))?;
    Ok(Json(report))
}

#[derive(Deserialize)]
struct RunBody {
    entropy: Vec<String>,
}

/// `POST /api/v1/draws/{batch}/run` and `/reveal`.
pub async fn step(
    State(s): State<AppState>,
    caller: Caller,
    Path((batch, action)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<Value>> {
    let p = caller.require(PLANNERS)?.clone();
    let b = bundle(&s, &batch)?;
    state_of(&s, &batch).await?;
    let secret = b.secret_path();
    let (state, detail) = match action.as_str() {
        "run" => {
            let body: RunBody = json_body(&body)?;
            let summary = blocking(move || run::run(&b, &body.entropy, &secret))
                .await?
                .map_err(step_error)?;
            (
                "run",
                json!({ "visits": summary.visits, "inspectors_assigned": summary.members, "teams_not_formed": summary.failures }),
            )
        }
        "reveal" => {
            let (seed, verification) = blocking(move || {
                let seed = run::reveal(&b, &secret)?;
                let verification =
                    verify::verify(&b).unwrap_or_else(|d| format!("verification failed: {d}"));
                Ok::<_, run::StepError>((seed, verification))
            })
            .await?
            .map_err(step_error)?;
            (
                "revealed",
                json!({ "seed": seed, "verification": verification }),
            )
        }
        other => {
            return Err(Error::NotFound(format!(
                "no draw step '{other}'; use run or reveal"
            )))
        }
    };
    let verification = detail["verification"].as_str().map(String::from);
    record(
        &s,
        &batch,
        state,
        &p.actor(),
        detail.clone(),
        None,
        verification,
    )
    .await?;
    Ok(Json(
        json!({ "batch": batch, "state": state, "result": detail }),
    ))
}

/// `GET /api/v1/draws`: every draw and its state, public.
pub async fn list(State(s): State<AppState>) -> Result<Json<Vec<Value>>> {
    let mut conn = s.db.pool.acquire().await?;
    let rows = sqlx::query_as::<_, (String, String, String, String)>(
        "SELECT batch, state, commitment_sha256, created_at FROM draws ORDER BY created_at, batch",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(Json(rows.into_iter().map(|(batch, state, c, at)| json!({ "batch": batch, "state": state, "commitment_sha256": c, "created_at": at })).collect()))
}

/// Whether a file of a bundle in `state` is public.
fn public(state: &str, path: &str) -> bool {
    path == "commitment.json"
        || path == "manifest.json"
        || path.starts_with("inputs/")
        || state == "revealed"
}

/// `GET /api/v1/draws/{batch}`: state, commitment, public files, and verification once revealed.
pub async fn one(State(s): State<AppState>, Path(batch): Path<String>) -> Result<Json<Value>> {
    let b = bundle(&s, &batch)?;
    let (state, verification) = state_of(&s, &batch).await?;
    let (commitment, manifest) = (b.read_json("commitment.json"), b.read_json("manifest.json"));
    let (commitment, manifest) = (
        commitment.map_err(|e| Error::Internal(e.into()))?,
        manifest.map_err(|e| Error::Internal(e.into()))?,
    );
    let files: Vec<&String> = manifest["files"]
        .as_object()
        .map(|m| m.keys().filter(|p| public(&state, p)).collect())
        .unwrap_or_default();
    let mut body =
        json!({ "batch": batch, "state": state, "commitment": commitment, "files": files });
    if let Some(v) = verification {
        let ok = !v.starts_with("verification failed");
        body["verification"] = json!({ "ok": ok, "summary": v });
    }
    Ok(Json(body))
}

/// `GET /api/v1/draws/{batch}/files/{*path}`: one public file of the bundle.
pub async fn file(
    State(s): State<AppState>,
    Path((batch, path)): Path<(String, String)>,
) -> Result<impl IntoResponse> {
    let b = bundle(&s, &batch)?;
    let (state, _) = state_of(&s, &batch).await?;
    let manifest = b
        .read_json("manifest.json")
        .map_err(|e| Error::Internal(e.into()))?;
    let listed = path == "manifest.json" || manifest["files"].get(&path).is_some();
    if !listed {
        return Err(Error::NotFound(format!(
            "draw '{batch}' has no file {path}"
        )));
    }
    if !public(&state, &path) {
        return Err(Error::Forbidden(format!(
            "{path} is published when the draw is revealed"
        )));
    }
    let text = b.read(&path).map_err(|e| Error::Internal(e.into()))?;
    let kind = if path.ends_with(".json") {
        "application/json"
    } else {
        "text/csv; charset=utf-8"
    };
    Ok(([(header::CONTENT_TYPE, kind)], text))
}
