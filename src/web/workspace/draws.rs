//! The draw wizard (`docs/workspace.md` §3.4): prepare → publish the commitment → enter the
//! public entropy → run → reveal, each step through the same use case of
//! `crate::draw::steps` as the CLI and the API (`docs/draw-state.md`), each explained in
//! Chinese. A step taken out of order is refused by the use case, and the page says why and
//! which step comes next; the plan report of a run `dr2` draw is a page of its own.

use super::{render, Frame, Officer, Posted, Problem};
use crate::auth::Role;
use crate::draw::bundle::Bundle;
use crate::draw::run::StepError;
use crate::draw::steps;
use crate::http::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::Value;

const PLANNERS: &[Role] = &[Role::Admin, Role::Planner];

/// A draw in the list.
pub struct DrawRow {
    pub batch: String,
    pub state: String,
    pub state_zh: &'static str,
    pub created_at: String,
}

/// The new-draw form's values, kept when the form comes back with an error.
#[derive(Deserialize, Default)]
pub struct NewDrawForm {
    #[serde(default)]
    pub batch: String,
    #[serde(default)]
    pub method: String,
    #[serde(default)]
    pub sources: String,
    #[serde(default)]
    pub tasks_csv: String,
    #[serde(default)]
    pub policy_csv: String,
    #[serde(default)]
    pub history_csv: String,
    pub allow_past_entropy: Option<String>,
}

#[derive(Template)]
#[template(path = "workspace/draws.html")]
pub struct DrawsPage {
    /// The portal layout's frame (`templates/base.html`).
    pub chrome: crate::web::Chrome,
    pub frame: Frame,
    pub draws: Vec<DrawRow>,
    pub form: NewDrawForm,
    pub error: Option<String>,
}

/// The Chinese name of a draw state.
pub fn state_zh(state: &str) -> &'static str {
    match state {
        "committed" => "已承诺（待录入随机源）",
        "run" => "已抽取（待揭示）",
        "revealed" => "已揭示",
        "abandoned" => "已放弃",
        _ => "未知状态",
    }
}

fn batch_ok(batch: &str) -> bool {
    !batch.is_empty()
        && batch.len() <= 64
        && batch
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

async fn draws(s: &AppState) -> Result<Vec<DrawRow>, Problem> {
    let mut conn = s.db.pool.acquire().await?;
    let rows = sqlx::query_as::<_, (String, String, String)>(
        "SELECT batch, state, created_at FROM draws ORDER BY created_at DESC, batch",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(batch, state, created_at)| DrawRow {
            state_zh: state_zh(&state),
            batch,
            state,
            created_at,
        })
        .collect())
}

async fn list_page(
    s: &AppState,
    officer: &Officer,
    status: StatusCode,
    form: NewDrawForm,
    error: Option<String>,
) -> Response {
    match draws(s).await {
        Ok(draws) => render(
            status,
            &DrawsPage {
                chrome: crate::web::Chrome::new("workspace"),
                frame: officer.frame(),
                draws,
                form,
                error,
            },
        ),
        Err(p) => p.with(officer.frame()).into_response(),
    }
}

pub async fn list(State(s): State<AppState>, officer: Officer) -> Response {
    if let Err(p) = officer.require(PLANNERS) {
        return p.into_response();
    }
    let form = NewDrawForm {
        method: "dr1".into(),
        ..NewDrawForm::default()
    };
    list_page(&s, &officer, StatusCode::OK, form, None).await
}

/// Step 1: freeze the directories and commit (`steps::prepare`).
pub async fn prepare(State(s): State<AppState>, posted: Posted<NewDrawForm>) -> Response {
    let Posted { officer, form } = posted;
    let p = match officer.require(PLANNERS) {
        Ok(p) => p.clone(),
        Err(e) => return e.into_response(),
    };
    let refuse = |m: String| (StatusCode::UNPROCESSABLE_ENTITY, m);
    let outcome: Result<String, (StatusCode, String)> = async {
        let batch = form.batch.trim().to_string();
        if !batch_ok(&batch) {
            return Err(refuse(
                "批次名称只能由字母、数字、“-”和“_”组成，最多 64 个字符。".into(),
            ));
        }
        let sources: Vec<String> = form
            .sources
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect();
        if sources.is_empty() {
            return Err(refuse(
                "请至少声明一个公开随机源，例如 lottery:福彩3D:2026001:2026-01-02。".into(),
            ));
        }
        let method = match form.method.as_str() {
            "" | "dr1" => steps::Method::Dr1,
            "dr2" => steps::Method::Annual {
                method: dualdraw_solver::Method::Dr2,
                complaints: None,
            },
            "dr3" => steps::Method::Annual {
                method: dualdraw_solver::Method::Dr3,
                complaints: None,
            },
            other => {
                return Err(refuse(format!(
                    "方法“{other}”不存在：请选择 dr1、dr2 或 dr3。"
                )))
            }
        };
        let bundles = s.bundles.clone();
        tokio::task::spawn_blocking(move || std::fs::create_dir_all(bundles))
            .await
            .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
            .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        let history = if form.history_csv.trim().is_empty() {
            dualdraw_solver::inputs::empty_history()
        } else {
            form.history_csv.clone()
        };
        steps::prepare(steps::NewBatch {
            bundle: Bundle::new(s.bundles.join(&batch)),
            batch: batch.clone(),
            sources,
            method,
            from: steps::Directories::Db {
                db: &s.db,
                rules: &s.rules,
                policy: form.policy_csv.clone(),
                tasks: form.tasks_csv.clone(),
                history,
            },
            actor: p.actor(),
            allow_past_entropy: form.allow_past_entropy.is_some(),
        })
        .await
        .map_err(|e| refused(&e))?;
        Ok(batch)
    }
    .await;
    match outcome {
        Ok(batch) => Redirect::to(&format!("/workspace/draws/{batch}")).into_response(),
        Err((status, message)) => list_page(&s, &officer, status, form, Some(message)).await,
    }
}

/// The status and Chinese message of a refused step.
fn refused(e: &StepError) -> (StatusCode, String) {
    match e {
        StepError::Input(m) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("输入有误，没有做任何更改：{m}"),
        ),
        StepError::State(m) => (
            StatusCode::CONFLICT,
            format!("步骤顺序不对，没有做任何更改：{m}"),
        ),
        StepError::Exists(m) => (
            StatusCode::CONFLICT,
            format!("该批次已经存在，一个批次只能准备一次：{m}"),
        ),
        StepError::Busy(m) => (
            StatusCode::CONFLICT,
            format!("该批次的另一个步骤正在进行，请稍后刷新：{m}"),
        ),
        StepError::NotFound(m) => (StatusCode::NOT_FOUND, format!("找不到：{m}")),
        StepError::Bundle(b) => {
            tracing::error!(error = %b, "draw bundle");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "抽查文件包出错，已记录日志。".into(),
            )
        }
        StepError::Db(e) => {
            tracing::error!(error = ?e, "draw step");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "数据库出错，已记录日志；没有做任何更改。".into(),
            )
        }
    }
}

/// One step of the wizard as shown.
pub struct WizardStep {
    pub number: u8,
    pub title: &'static str,
    pub explain: &'static str,
    /// `done`, `current` or `todo`.
    pub standing: &'static str,
}

/// A declared entropy source, as the run form asks for its value.
pub struct Source {
    pub label: String,
}

#[derive(Template)]
#[template(path = "workspace/wizard.html")]
pub struct WizardPage {
    /// The portal layout's frame (`templates/base.html`).
    pub chrome: crate::web::Chrome,
    pub frame: Frame,
    pub batch: String,
    pub state: String,
    pub state_zh: &'static str,
    pub method: String,
    pub commitment_sha256: String,
    pub population_size: String,
    pub sources: Vec<Source>,
    pub steps: Vec<WizardStep>,
    pub seed: Option<String>,
    pub verification: Option<String>,
    pub message: Option<String>,
    pub error: Option<String>,
}

const STEPS: [(&str, &str); 5] = [
    (
        "准备：冻结名录",
        "把当前数据库中的经营主体、信用记录、抽查事项、执法人员和回避关系，连同本批次的任务和政策，冻结为一份快照，并生成运营方密钥。快照冻结后不再改变。",
    ),
    (
        "公布承诺",
        "快照的摘要、将要使用的公开随机源（尚未开出的彩票期号或 drand 轮次）和密钥的承诺值，在准备时已写入公开日志。请把承诺摘要对外公告：此时谁也无法算出抽取结果。",
    ),
    (
        "录入公开随机源",
        "等声明的彩票开奖或 drand 轮次产生后，按官方公告逐项录入开出的号码。录入的值会公开，任何人都能与官方公告核对。",
    ),
    (
        "执行抽取",
        "系统用承诺摘要、公开随机源和运营方密钥算出种子，按公开的规则抽取企业和检查人员。结果在揭示前不公开，以免企业提前得知。",
    ),
    (
        "揭示",
        "本批次检查结束后公开密钥和种子：任何人都可以用公开的文件包重新计算，得到逐字节相同的结果。揭示时系统会先自行核验一遍。",
    ),
];

/// How far a draw in `state` has come: the number of steps done.
fn done_steps(state: &str) -> u8 {
    match state {
        "committed" => 2,
        "run" => 4,
        "revealed" => 5,
        _ => 0,
    }
}

fn steps_of(state: &str) -> Vec<WizardStep> {
    let done = done_steps(state);
    let current = match state {
        "committed" => 3,
        "run" => 5,
        _ => 0,
    };
    STEPS
        .iter()
        .zip(1u8..)
        .map(|((title, explain), number)| WizardStep {
            number,
            title,
            explain,
            standing: if number <= done {
                "done"
            } else if number == current {
                "current"
            } else {
                "todo"
            },
        })
        .collect()
}

fn source_label(s: &Value) -> String {
    match s["kind"].as_str() {
        Some("lottery") => format!(
            "彩票 {} 第 {} 期（{} 开奖）",
            s["name"].as_str().unwrap_or("?"),
            s["issue"].as_str().unwrap_or("?"),
            s["date"].as_str().unwrap_or("?")
        ),
        Some("drand") => format!(
            "drand {} 第 {} 轮",
            s["chain"].as_str().unwrap_or("?"),
            s["round"]
        ),
        _ => s.to_string(),
    }
}

async fn wizard_page(
    s: &AppState,
    officer: &Officer,
    batch: &str,
    status: StatusCode,
    message: Option<String>,
    error: Option<String>,
) -> Response {
    match wizard_of(s, officer, batch, message, error).await {
        Ok(page) => render(status, &page),
        Err(p) => p.with(officer.frame()).into_response(),
    }
}

async fn wizard_of(
    s: &AppState,
    officer: &Officer,
    batch: &str,
    message: Option<String>,
    error: Option<String>,
) -> Result<WizardPage, Problem> {
    let not_found = || {
        Problem::new(
            StatusCode::NOT_FOUND,
            "找不到该批次",
            format!("没有名为“{batch}”的抽查批次。"),
        )
    };
    if !batch_ok(batch) {
        return Err(not_found());
    }
    let mut conn = s.db.pool.acquire().await?;
    let row: Option<(String, String, Option<String>)> =
        sqlx::query_as("SELECT state, commitment_sha256, verification FROM draws WHERE batch = $1")
            .bind(batch)
            .fetch_optional(&mut *conn)
            .await?;
    drop(conn);
    let (state, commitment_sha256, verification) = row.ok_or_else(not_found)?;
    let b = Bundle::new(s.bundles.join(batch));
    let (commitment, manifest) = tokio::task::spawn_blocking(move || {
        Ok::<_, crate::draw::bundle::BundleError>((
            b.read_json("commitment.json")?,
            b.read_json("manifest.json")?,
        ))
    })
    .await
    .map_err(Problem::internal)?
    .map_err(Problem::internal)?;
    let sources = commitment["sources"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| Source {
                    label: source_label(s),
                })
                .collect()
        })
        .unwrap_or_default();
    let seed = (state == "revealed")
        .then(|| manifest["seed"].as_str().map(String::from))
        .flatten();
    Ok(WizardPage {
        chrome: crate::web::Chrome::new("workspace"),
        frame: officer.frame(),
        batch: batch.to_string(),
        state_zh: state_zh(&state),
        steps: steps_of(&state),
        method: commitment["method"].as_str().unwrap_or("").to_string(),
        population_size: commitment["population_size"].to_string(),
        state,
        commitment_sha256,
        sources,
        seed,
        verification,
        message,
        error,
    })
}

pub async fn wizard(
    State(s): State<AppState>,
    officer: Officer,
    Path(batch): Path<String>,
) -> Response {
    if let Err(p) = officer.require(PLANNERS) {
        return p.into_response();
    }
    wizard_page(&s, &officer, &batch, StatusCode::OK, None, None).await
}

/// Steps 3 and 4: the entered public values, then the run (`steps::run`).
pub async fn run(
    State(s): State<AppState>,
    Path(batch): Path<String>,
    posted: Posted<Vec<(String, String)>>,
) -> Response {
    let Posted { officer, form } = posted;
    let p = match officer.require(PLANNERS) {
        Ok(p) => p.clone(),
        Err(e) => return e.into_response(),
    };
    let entropy: Vec<String> = form
        .into_iter()
        .filter(|(k, _)| k == "entropy")
        .map(|(_, v)| v.trim().to_string())
        .collect();
    if entropy.iter().any(String::is_empty) || entropy.is_empty() {
        let m = "请为每个声明的随机源录入开出的值。".to_string();
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return wizard_page(&s, &officer, &batch, status, None, Some(m)).await;
    }
    let step = match step_on(&s, &officer, &batch).await {
        Ok(step) => step,
        Err(r) => return r,
    };
    let step = steps::Step {
        actor: p.actor(),
        ..step
    };
    match steps::run(step, entropy, None).await {
        Ok(summary) => {
            let m = format!(
                "抽取完成：{} 次检查，分派检查人员 {} 人次，未能组成检查组 {} 次。结果在揭示前不公开。",
                summary.visits, summary.members, summary.failures
            );
            wizard_page(&s, &officer, &batch, StatusCode::OK, Some(m), None).await
        }
        Err(e) => {
            let (status, m) = refused(&e);
            wizard_page(&s, &officer, &batch, status, None, Some(m)).await
        }
    }
}

/// Step 5: the reveal (`steps::reveal`).
pub async fn reveal(
    State(s): State<AppState>,
    Path(batch): Path<String>,
    posted: Posted<Vec<(String, String)>>,
) -> Response {
    let officer = posted.officer;
    let p = match officer.require(PLANNERS) {
        Ok(p) => p.clone(),
        Err(e) => return e.into_response(),
    };
    let step = match step_on(&s, &officer, &batch).await {
        Ok(step) => step,
        Err(r) => return r,
    };
    let step = steps::Step {
        actor: p.actor(),
        ..step
    };
    match steps::reveal(step, None).await {
        Ok(r) => {
            let failed = r
                .verification
                .as_deref()
                .is_some_and(|v| v.starts_with("verification failed"));
            if failed {
                let m = "已揭示，但文件包核验未通过：请立即检查（见第 5 步的核验结果）。";
                let status = StatusCode::OK;
                return wizard_page(&s, &officer, &batch, status, None, Some(m.into())).await;
            }
            let m = "已揭示：密钥和种子已公开，文件包已通过核验。".to_string();
            wizard_page(&s, &officer, &batch, StatusCode::OK, Some(m), None).await
        }
        Err(e) => {
            let (status, m) = refused(&e);
            wizard_page(&s, &officer, &batch, status, None, Some(m)).await
        }
    }
}

/// The step on an existing draw of this service; a 404 page for an unknown batch.
async fn step_on<'a>(
    s: &'a AppState,
    officer: &Officer,
    batch: &str,
) -> Result<steps::Step<'a>, Response> {
    let mut conn =
        s.db.pool
            .acquire()
            .await
            .map_err(|e| Problem::from(e).into_response())?;
    let known: Option<String> = if batch_ok(batch) {
        sqlx::query_scalar("SELECT state FROM draws WHERE batch = $1")
            .bind(batch)
            .fetch_optional(&mut *conn)
            .await
            .map_err(|e| Problem::from(e).into_response())?
    } else {
        None
    };
    if known.is_none() {
        return Err(Problem::new(
            StatusCode::NOT_FOUND,
            "找不到该批次",
            format!("没有名为“{batch}”的抽查批次，没有做任何更改。"),
        )
        .with(officer.frame())
        .into_response());
    }
    Ok(steps::Step {
        db: Some(&s.db),
        bundle: Bundle::new(s.bundles.join(batch)),
        actor: String::new(),
    })
}

#[derive(Template)]
#[template(path = "workspace/report.html")]
pub struct ReportPage {
    /// The portal layout's frame (`templates/base.html`).
    pub chrome: crate::web::Chrome,
    pub frame: Frame,
    pub batch: String,
    pub text: String,
    pub charts: Vec<(String, String)>,
}

/// The plan report of a run or revealed `dr2` draw, with its charts.
pub async fn report(
    State(s): State<AppState>,
    officer: Officer,
    Path(batch): Path<String>,
) -> Response {
    if let Err(p) = officer.require(PLANNERS) {
        return p.into_response();
    }
    if !batch_ok(&batch) {
        return Problem::new(StatusCode::NOT_FOUND, "找不到该批次", "批次名称不合法。")
            .with(officer.frame())
            .into_response();
    }
    let b = Bundle::new(s.bundles.join(&batch));
    let made = tokio::task::spawn_blocking(move || crate::plan::report::report(&b)).await;
    match made {
        Ok(Ok(r)) => {
            let charts = crate::plan::svg::charts(&r)
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
            let page = ReportPage {
                chrome: crate::web::Chrome::new("workspace"),
                frame: officer.frame(),
                batch,
                text: r.text(),
                charts,
            };
            render(StatusCode::OK, &page)
        }
        Ok(Err(e)) => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "没有计划报告",
            format!("只有已抽取的年度计划（dr2）批次才有计划报告：{e}"),
        )
        .with(officer.frame())
        .into_response(),
        Err(e) => Problem::internal(e).with(officer.frame()).into_response(),
    }
}
