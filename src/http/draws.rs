//! Draws in the service: a planner prepares (freezes the database's directories with the
//! submitted tasks and policy, and commits), runs and reveals, each through the use case of
//! `crate::draw::steps` that the CLI calls too (one transaction, one audit entry per step;
//! `docs/draw-state.md`).
//! The commitment and inputs are public at once; the entropy, the plan and the secret only after
//! the reveal (enterprises must not learn in advance that they will be inspected). The bundle is
//! verified once, at the reveal; reading a draw never recomputes it.

use super::caller::Caller;
use super::error::{Error, ErrorBody, Result};
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
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Row;
use utoipa::ToSchema;

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

/// What `POST /api/v1/draws` takes (`docs/draw-protocol.md`, `docs/log.md` §7).
#[derive(Deserialize, ToSchema)]
pub struct NewDraw {
    /// The batch name: letters, digits, `-` and `_`, at most 64; never used twice.
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    batch: String,
    /// The public entropy sources, in order (`docs/draw-protocol.md`).
    sources: Vec<String>,
    /// The tasks, canonical CSV (`docs/draw-protocol.md`).
    tasks_csv: String,
    /// The policy, canonical CSV.
    policy_csv: String,
    /// Earlier visits, canonical CSV (default: none).
    #[schema(nullable = false)]
    history_csv: Option<String>,
    /// `dr1` (default) or `dr2`, the annual plan (`docs/plan-model.md`).
    #[schema(nullable = false)]
    method: Option<String>,
    /// `dr2` only: complaint-driven checks, `uscc,department,period`.
    #[schema(nullable = false)]
    complaints_csv: Option<String>,
    /// FOR TESTS AND DEMOS ONLY (docs/log.md §7.3): accept sources whose value is, or may
    /// already be, public (a drand round not after now plus the margin, a lottery draw not
    /// after today in CST). Recorded in commitment.json and in the log's prepare event; every
    /// verifier then states that the draw proves nothing about order. Without it such a source
    /// is refused with 422 invalid_step.
    #[serde(default)]
    #[schema(default = false)]
    allow_past_entropy: bool,
}

/// A draw just committed.
#[derive(Serialize, ToSchema)]
#[schema(as = PreparedDraw)]
pub struct Prepared {
    pub batch: String,
    /// Always `committed`.
    pub state: &'static str,
    /// SHA-256 of commitment.json, hex.
    pub commitment_sha256: String,
}

/// `POST /api/v1/draws`: freeze and commit.
#[utoipa::path(
    post,
    path = "/draws",
    tag = "draws",
    summary = "Prepare a draw: freeze the directories with the submitted tasks, policy and history and commit",
    description = "Who may call: admin, planner.\n\nFreezes the database's enterprises (effective tier on the policy's as_of), items, inspectors and conflicts with the submitted tasks, policy and history (canonical CSV of docs/draw-protocol.md) and commits; method dr1 (default), dr2 (the annual plan, docs/plan-model.md, with optional complaints_csv: uscc,department,period) or dr3 (the annual plan with key supervision per department, docs/plan-model.md \"Method dr3\").",
    request_body = NewDraw,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "committed", body = Prepared),
        (status = 400, description = "bad_request: the body is not JSON", body = ErrorBody),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not prepare draws", body = ErrorBody),
        (status = 409, description = "conflict: the batch exists, or another step on it is in progress", body = ErrorBody),
        (status = 422, description = "invalid_request: the body is JSON of the wrong shape; invalid_batch, invalid_source, invalid_method, invalid_inputs (the CSV, named by field and line)", body = ErrorBody),
    ),
)]
pub async fn prepare(
    State(s): State<AppState>,
    caller: Caller,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Prepared>)> {
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
                "complaints_csv needs method dr2 or dr3",
            ))
        }
        "dr1" => steps::Method::Dr1,
        id @ ("dr2" | "dr3") => steps::Method::Annual {
            method: dualdraw_solver::Method::parse(id).expect("a known method"),
            complaints: new
                .complaints_csv
                .map(|t| ("complaints_csv".to_string(), t)),
        },
        other => {
            return Err(Error::unprocessable(
                "invalid_method",
                format!("method '{other}': use dr1, dr2 or dr3"),
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
        Json(Prepared {
            batch: new.batch,
            state: "committed",
            commitment_sha256: prepared.digest,
        }),
    ))
}

/// `GET /api/v1/draws/{batch}/report`: the report of a `dr2` plan; public once revealed,
/// for planners once run.
#[utoipa::path(
    get,
    path = "/draws/{batch}/report",
    tag = "draws",
    summary = "Report of a dr2 annual plan",
    description = "Who may call: anyone once revealed; admin, planner once run.\n\nJoint-visit rate, visits per enterprise by tier against the caps, inspector load per department and period, inclusion probabilities against the realized selection, comparison with separate draws per task, shortages (docs/plan-model.md).",
    params(("batch" = String, Path, description = "batch name", pattern = "^[A-Za-z0-9_-]{1,64}$")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "the report", body = crate::plan::report::Report),
        (status = 401, description = "unauthorized: the draw is not revealed and there is no token; bad_token", body = ErrorBody),
        (status = 403, description = "forbidden: the draw is not revealed and the role is not a planner's", body = ErrorBody),
        (status = 404, description = "not_found: no draw of this batch", body = ErrorBody),
        (status = 422, description = "invalid_batch: the name is not a batch name; no_report: not a dr2 draw, or not run yet", body = ErrorBody),
    ),
)]
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

/// The body of `abandon` (`docs/log.md` §10).
#[derive(Deserialize, ToSchema)]
#[schema(as = AbandonDraw)]
pub struct AbandonBody {
    /// Why the batch is abandoned; published in the draw log's abandon event (docs/log.md §1)
    /// and in the audit log.
    #[schema(min_length = 1)]
    reason: String,
}

/// The body of `run`.
#[derive(Deserialize, ToSchema)]
#[schema(as = RunDraw)]
pub struct RunBody {
    /// One public value per declared source, in order (lottery numbers, or a drand signature
    /// in hex).
    entropy: Vec<String>,
}

/// What `run` did.
#[derive(Serialize, ToSchema)]
pub struct RunResult {
    pub visits: usize,
    pub inspectors_assigned: usize,
    pub teams_not_formed: usize,
}

/// What `reveal` did.
#[derive(Serialize, ToSchema)]
pub struct RevealResult {
    /// The seed, hex.
    pub seed: String,
    /// The one-line result of verifying the bundle.
    #[schema(required = true)]
    pub verification: Option<String>,
}

/// What `abandon` recorded.
#[derive(Serialize, ToSchema)]
pub struct AbandonResult {
    pub reason: String,
}

/// A draw after a step: its new state and what the step did.
#[derive(Serialize, ToSchema)]
pub struct DrawStep<T> {
    pub batch: String,
    /// The draw's new state: run, revealed or abandoned.
    pub state: &'static str,
    pub result: T,
}

/// The checks every step makes before its own: the caller, the batch name, the draw exists.
async fn step_of<'a>(
    s: &'a AppState,
    caller: &Caller,
    batch: &str,
) -> Result<(crate::auth::Principal, steps::Step<'a>)> {
    let p = caller.require(PLANNERS)?.clone();
    let b = bundle(s, batch)?;
    state_of(s, batch).await?;
    let step = steps::Step {
        db: Some(&s.db),
        bundle: b,
        actor: p.actor(),
    };
    Ok((p, step))
}

/// `POST /api/v1/draws/{batch}/run`.
#[utoipa::path(
    post,
    path = "/draws/{batch}/run",
    tag = "draws",
    summary = "Run: one public value per declared source, in order (lottery numbers, or a drand signature in hex)",
    description = "Who may call: admin, planner.",
    params(("batch" = String, Path, description = "batch name", pattern = "^[A-Za-z0-9_-]{1,64}$")),
    request_body = RunBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "run", body = DrawStep<RunResult>),
        (status = 400, description = "bad_request: the body is not JSON", body = ErrorBody),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not run draws", body = ErrorBody),
        (status = 404, description = "not_found: no draw of this batch", body = ErrorBody),
        (status = 409, description = "conflict: the draw is already run, revealed or abandoned, or another step of it is in progress", body = ErrorBody),
        (status = 422, description = "invalid_request: the body is not {\"entropy\": [string]}; invalid_batch; invalid_step: the entropy does not fit the declared sources", body = ErrorBody),
    ),
)]
pub async fn run(
    State(s): State<AppState>,
    caller: Caller,
    Path(batch): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<DrawStep<RunResult>>> {
    let (_, step) = step_of(&s, &caller, &batch).await?;
    let body: RunBody = json_body(&body)?;
    let summary = steps::run(step, body.entropy, None)
        .await
        .map_err(step_error)?;
    Ok(Json(DrawStep {
        batch,
        state: "run",
        result: RunResult {
            visits: summary.visits,
            inspectors_assigned: summary.members,
            teams_not_formed: summary.failures,
        },
    }))
}

/// `POST /api/v1/draws/{batch}/abandon` (`docs/log.md` §10).
#[utoipa::path(
    post,
    path = "/draws/{batch}/abandon",
    tag = "draws",
    summary = "Abandon a committed or run draw, with its reason",
    description = "Who may call: admin, planner.\n\nThe draw becomes abandoned, and the public draw log's abandon event and the audit entry commit with it. The batch name is never used again (a new draw needs a new name, and the log shows both).",
    params(("batch" = String, Path, description = "batch name", pattern = "^[A-Za-z0-9_-]{1,64}$")),
    request_body = AbandonBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "abandoned", body = DrawStep<AbandonResult>),
        (status = 400, description = "bad_request: the body is not JSON", body = ErrorBody),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not abandon draws", body = ErrorBody),
        (status = 404, description = "not_found: no draw of this batch", body = ErrorBody),
        (status = 409, description = "conflict: the draw is revealed or already abandoned, or another step of it is in progress", body = ErrorBody),
        (status = 422, description = "invalid_step: the reason is empty; invalid_request: the body is JSON but not {\"reason\": string}; invalid_batch", body = ErrorBody),
    ),
)]
pub async fn abandon(
    State(s): State<AppState>,
    caller: Caller,
    Path(batch): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<DrawStep<AbandonResult>>> {
    let (p, _) = step_of(&s, &caller, &batch).await?;
    let body: AbandonBody = json_body(&body)?;
    steps::abandon(&s.db, &batch, &body.reason, &p.actor())
        .await
        .map_err(step_error)?;
    Ok(Json(DrawStep {
        batch,
        state: "abandoned",
        result: AbandonResult {
            reason: body.reason,
        },
    }))
}

/// `POST /api/v1/draws/{batch}/reveal`.
#[utoipa::path(
    post,
    path = "/draws/{batch}/reveal",
    tag = "draws",
    summary = "Reveal the secret and the seed, and verify the bundle",
    description = "Who may call: admin, planner.",
    params(("batch" = String, Path, description = "batch name", pattern = "^[A-Za-z0-9_-]{1,64}$")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "revealed", body = DrawStep<RevealResult>),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not reveal draws", body = ErrorBody),
        (status = 404, description = "not_found: no draw of this batch", body = ErrorBody),
        (status = 409, description = "conflict: the draw is not run, or is abandoned, or another step of it is in progress", body = ErrorBody),
        (status = 422, description = "invalid_batch: the name is not a batch name; invalid_step", body = ErrorBody),
    ),
)]
pub async fn reveal(
    State(s): State<AppState>,
    caller: Caller,
    Path(batch): Path<String>,
) -> Result<Json<DrawStep<RevealResult>>> {
    let (_, step) = step_of(&s, &caller, &batch).await?;
    let r = steps::reveal(step, None).await.map_err(step_error)?;
    Ok(Json(DrawStep {
        batch,
        state: "revealed",
        result: RevealResult {
            seed: r.seed,
            verification: r.verification,
        },
    }))
}

/// A draw in the list.
#[derive(Serialize, ToSchema)]
pub struct DrawSummary {
    pub batch: String,
    /// committed, run, revealed or abandoned.
    pub state: String,
    pub commitment_sha256: String,
    pub created_at: String,
}

/// `GET /api/v1/draws`: every draw and its state, public.
#[utoipa::path(
    get,
    path = "/draws",
    tag = "draws",
    summary = "Draws and their states",
    description = "Who may call: anyone.",
    responses((status = 200, description = "every draw", body = Vec<DrawSummary>)),
)]
pub async fn list(State(s): State<AppState>) -> Result<Json<Vec<DrawSummary>>> {
    let mut conn = s.db.pool.acquire().await?;
    let rows = sqlx::query_as::<_, (String, String, String, String)>(
        "SELECT batch, state, commitment_sha256, created_at FROM draws ORDER BY created_at, batch",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(Json(
        rows.into_iter()
            .map(
                |(batch, state, commitment_sha256, created_at)| DrawSummary {
                    batch,
                    state,
                    commitment_sha256,
                    created_at,
                },
            )
            .collect(),
    ))
}

/// Whether a file of a bundle in `state` is public.
fn public(state: &str, path: &str) -> bool {
    path == "commitment.json"
        || path == "manifest.json"
        || path.starts_with("inputs/")
        || state == "revealed"
}

/// A draw: its state, commitment and public files.
#[derive(Serialize, ToSchema)]
#[schema(as = Draw)]
pub struct DrawView {
    pub batch: String,
    /// committed, run, revealed or abandoned.
    pub state: String,
    /// commitment.json (`docs/draw-protocol.md`).
    #[schema(value_type = Object)]
    pub commitment: Value,
    /// The bundle's files public now.
    pub files: Vec<String>,
    /// Once revealed: the stored result of verifying the bundle.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub verification: Option<DrawVerification>,
}

/// The stored result of verifying a revealed bundle.
#[derive(Serialize, ToSchema)]
pub struct DrawVerification {
    pub ok: bool,
    pub summary: String,
}

/// `GET /api/v1/draws/{batch}`: state, commitment, public files, and verification once revealed.
#[utoipa::path(
    get,
    path = "/draws/{batch}",
    tag = "draws",
    summary = "A draw: state, commitment, public files, and the verification once revealed",
    description = "Who may call: anyone.",
    params(("batch" = String, Path, description = "batch name", pattern = "^[A-Za-z0-9_-]{1,64}$")),
    responses(
        (status = 200, description = "the draw", body = DrawView),
        (status = 404, description = "not_found: no draw of this batch", body = ErrorBody),
        (status = 422, description = "invalid_batch: the name is not a batch name", body = ErrorBody),
    ),
)]
pub async fn one(State(s): State<AppState>, Path(batch): Path<String>) -> Result<Json<DrawView>> {
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
    let files: Vec<String> = manifest["files"]
        .as_object()
        .map(|m| m.keys().filter(|p| public(&state, p)).cloned().collect())
        .unwrap_or_default();
    let verification = verification.map(|summary| DrawVerification {
        ok: !summary.starts_with("verification failed"),
        summary,
    });
    Ok(Json(DrawView {
        batch,
        state,
        commitment,
        files,
        verification,
    }))
}

/// `GET /api/v1/draws/{batch}/files/{*path}`: one public file of the bundle.
#[utoipa::path(
    get,
    path = "/draws/{batch}/files/{*path}",
    tag = "draws",
    summary = "One file of the bundle: commitment, manifest and inputs at once, the rest after the reveal",
    description = "Who may call: anyone.",
    params(
        ("batch" = String, Path, description = "batch name", pattern = "^[A-Za-z0-9_-]{1,64}$"),
        ("path" = String, Path, description = "file path in the bundle, e.g. plan/visits.csv"),
    ),
    responses(
        (status = 200, description = "the file: a JSON object for *.json (commitment.json, manifest.json, entropy.json), CSV otherwise", content(
            (Object = "application/json"),
            (String = "text/csv; charset=utf-8"),
        )),
        (status = 403, description = "forbidden: the file is published when the draw is revealed", body = ErrorBody),
        (status = 404, description = "not_found: no draw of this batch, or no such file in its bundle", body = ErrorBody),
        (status = 422, description = "invalid_batch: the name is not a batch name", body = ErrorBody),
    ),
)]
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
