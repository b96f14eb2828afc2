//! Draws in the service: a planner prepares (freezes the database's directories with the
//! submitted tasks and policy, and commits), runs and reveals, each through the use case of
//! `crate::draw::steps` that the CLI calls too (one transaction, one audit entry per step;
//! `docs/draw-state.md`).
//! The commitment and inputs are public at once; the entropy, the plan and the secret only after
//! the reveal (enterprises must not learn in advance that they will be inspected). The bundle is
//! verified once, at the reveal; reading a draw never recomputes it.

use super::caller::Caller;
use super::error::{Error, Result};
use super::extract::{json_body, Path};
use super::AppState;
use crate::auth::Role;
use crate::draw::bundle::{Bundle, BundleError};
use crate::draw::run::StepError;
use crate::draw::steps;
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

fn step_error(e: StepError) -> Error {
    match e {
        StepError::Input(m) => Error::unprocessable("invalid_step", m),
        StepError::Busy(m) | StepError::Exists(m) | StepError::State(m) => Error::Conflict(m),
        StepError::NotFound(m) => Error::NotFound(m),
        StepError::Bundle(b) => Error::Internal(anyhow::anyhow!(b.to_string())),
        StepError::Db(e) => e.into(),
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
    /// For tests and demos only (`docs/log.md` §7.3).
    #[serde(default)]
    allow_past_entropy: bool,
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
    for source in &new.sources {
        crate::draw::prepare::parse_source(source)
            .map_err(|m| Error::unprocessable("invalid_source", m))?;
    }
    let method = match new.method.as_deref().unwrap_or("dr1") {
        "dr1" if new.complaints_csv.is_some() => {
            return Err(Error::unprocessable(
                "invalid_inputs",
                "complaints_csv needs method dr2",
            ))
        }
        "dr1" => steps::Method::Dr1,
        "dr2" => steps::Method::Dr2 {
            complaints: new
                .complaints_csv
                .map(|t| ("complaints_csv".to_string(), t)),
        },
        other => {
            return Err(Error::unprocessable(
                "invalid_method",
                format!("method '{other}': use dr1 or dr2"),
            ))
        }
    };
    let bundles = s.bundles.clone();
    blocking(move || std::fs::create_dir_all(bundles))
        .await?
        .map_err(|e| Error::Internal(e.into()))?;
    let from = steps::Directories::Db {
        db: &s.db,
        rules: &s.rules,
        policy: new.policy_csv,
        tasks: new.tasks_csv,
        history: new
            .history_csv
            .unwrap_or_else(dualdraw_solver::inputs::empty_history),
    };
    let prepared = steps::prepare(steps::NewBatch {
        bundle: b,
        batch: new.batch.clone(),
        sources: new.sources,
        method,
        from,
        actor: p.actor(),
        allow_past_entropy: new.allow_past_entropy,
    })
    .await
    .map_err(|e| match e {
        StepError::Input(m) => Error::unprocessable("invalid_inputs", m),
        other => step_error(other),
    })?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({ "batch": new.batch, "state": "committed", "commitment_sha256": prepared.digest }),
        ),
    ))
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
struct AbandonBody {
    reason: String,
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
    let step = steps::Step {
        db: Some(&s.db),
        bundle: b,
        actor: p.actor(),
    };
    let (state, detail) = match action.as_str() {
        "run" => {
            let body: RunBody = json_body(&body)?;
            let summary = steps::run(step, body.entropy, None)
                .await
                .map_err(step_error)?;
            (
                "run",
                json!({ "visits": summary.visits, "inspectors_assigned": summary.members, "teams_not_formed": summary.failures }),
            )
        }
        "abandon" => {
            let body: AbandonBody = json_body(&body)?;
            steps::abandon(&s.db, &batch, &body.reason, &p.actor())
                .await
                .map_err(step_error)?;
            ("abandoned", json!({ "reason": body.reason }))
        }
        "reveal" => {
            let r = steps::reveal(step, None).await.map_err(step_error)?;
            (
                "revealed",
                json!({ "seed": r.seed, "verification": r.verification }),
            )
        }
        other => {
            return Err(Error::NotFound(format!(
                "no draw step '{other}'; use run, reveal or abandon"
            )))
        }
    };
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
    let (commitment, manifest) = blocking(move || {
        Ok::<_, BundleError>((
            b.read_json("commitment.json")?,
            b.read_json("manifest.json")?,
        ))
    })
    .await?
    .map_err(|e| Error::Internal(e.into()))?;
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
    let reader = b.clone();
    let manifest = blocking(move || reader.read_json("manifest.json"))
        .await?
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
    let kind = if path.ends_with(".json") {
        "application/json"
    } else {
        "text/csv; charset=utf-8"
    };
    let text = blocking(move || b.read(&path))
        .await?
        .map_err(|e| Error::Internal(e.into()))?;
    Ok(([(header::CONTENT_TYPE, kind)], text))
}
