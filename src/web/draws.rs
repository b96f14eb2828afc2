//! 抽查计划与任务公告: every draw with its state, commitment, declared entropy sources (and their
//! values once revealed), the seed after the reveal and the drawn list; and the public JSON of
//! one enterprise's row with its inclusion proof (`GET /public/draws/{batch}/proof/{uscc}`,
//! `docs/portal.md`), which the "was my draw fair?" page checks in the browser.

use super::error::{PageError, PageResult};
use super::{render, Chrome};
use crate::draw::bundle::Bundle;
use crate::draw::plan_index::{self, PlanIndex};
use crate::draw::population_index::PopulationIndex;
use crate::draw::proof::TaskRules;
use crate::draw::run::StepError;
use crate::http::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use dualdraw_solver::Uscc;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

/// One declared entropy source, in words, with its value once published.
#[derive(Clone)]
pub struct Source {
    pub what: String,
    pub value: Option<String>,
}

/// What the portal shows of one draw.
#[derive(Clone)]
pub struct Draw {
    pub batch: String,
    pub state: String,
    pub method: String,
    pub created_at: String,
    pub commitment_sha256: String,
    /// The plan's year (`inputs/policy.csv`).
    pub year: String,
    pub population_size: u64,
    pub population_root: String,
    pub sources: Vec<Source>,
    pub seed: Option<String>,
    pub verification: Option<String>,
}

impl Draw {
    pub fn state_label(&self) -> &'static str {
        state_label(&self.state)
    }

    pub fn method_label(&self) -> &'static str {
        match self.method.as_str() {
            "dr1" => "抽查任务（dr1）",
            "dr2" => "年度抽查计划（dr2）",
            "dr3" => "年度抽查计划（dr3，分部门重点监管）",
            _ => "其他方法",
        }
    }

    pub fn revealed(&self) -> bool {
        self.state == "revealed"
    }

    pub fn is_plan(&self) -> bool {
        matches!(self.method.as_str(), "dr2" | "dr3") && matches!(self.state.as_str(), "revealed")
    }

    pub fn verified(&self) -> bool {
        self.verification
            .as_deref()
            .is_some_and(|v| !v.starts_with("verification failed"))
    }
}

pub fn state_label(state: &str) -> &'static str {
    match state {
        "committed" => "已承诺，待抽签",
        "run" => "已抽签，待揭示",
        "revealed" => "已揭示，可核验",
        "abandoned" => "已放弃",
        _ => "状态未知",
    }
}

/// A batch name as the API accepts it; anything else is a 400 page.
pub fn check_batch(batch: &str) -> PageResult<()> {
    let ok = !batch.is_empty()
        && batch.len() <= 64
        && batch
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(PageError::BadRequest(
            "批次名称只能由字母、数字、“-”和“_”组成，最长 64 个字符。".into(),
        ))
    }
}

/// The draws' rows: (batch, state, commitment digest, created at, verification), oldest first.
async fn rows(
    s: &AppState,
    batch: Option<&str>,
) -> PageResult<Vec<(String, String, String, String, Option<String>)>> {
    let mut conn = s.db.pool.acquire().await?;
    let sql = "SELECT batch, state, commitment_sha256, created_at, verification FROM draws";
    let rows = match batch {
        Some(b) => {
            sqlx::query_as(&format!("{sql} WHERE batch = $1"))
                .bind(b)
                .fetch_all(&mut *conn)
                .await?
        }
        None => {
            sqlx::query_as(&format!("{sql} ORDER BY created_at DESC, batch"))
                .fetch_all(&mut *conn)
                .await?
        }
    };
    Ok(rows)
}

fn source_words(s: &Value) -> String {
    match s["kind"].as_str() {
        Some("lottery") => format!(
            "彩票开奖号码：{} 第 {} 期（{} 开奖）",
            s["name"].as_str().unwrap_or("?"),
            s["issue"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| s["issue"].to_string()),
            s["date"].as_str().unwrap_or("?")
        ),
        Some("drand") => format!(
            "drand 公共随机数：{} 链第 {} 轮",
            s["chain"].as_str().unwrap_or("?"),
            s["round"]
        ),
        _ => s.to_string(),
    }
}

fn source_value(s: &Value) -> Option<String> {
    if let Some(values) = s["values"].as_array() {
        return Some(
            values
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join("、"),
        );
    }
    s["randomness"].as_str().map(|r| format!("随机数 {r}"))
}

/// What the files of draws said, by (bundle directory, state, commitment digest): a state's
/// public files never change while the draw is in it (`docs/draw-state.md`), so a page reads
/// them once.
static READ: Mutex<BTreeMap<(PathBuf, String, String), Draw>> = Mutex::new(BTreeMap::new());

/// Draws kept in [`READ`]; a further one replaces the oldest key.
const READ_KEPT: usize = 1024;

/// A draw from its row and its public files (blocking).
fn read_draw(
    bundle: &Bundle,
    row: (String, String, String, String, Option<String>),
) -> PageResult<Draw> {
    let key = (bundle.dir.clone(), row.1.clone(), row.2.clone());
    if let Some(d) = READ.lock().expect("not poisoned").get(&key) {
        return Ok(Draw {
            verification: row.4,
            ..d.clone()
        });
    }
    let d = read_files(bundle, row)?;
    let mut all = READ.lock().expect("not poisoned");
    if all.len() >= READ_KEPT {
        all.pop_first();
    }
    all.insert(key, d.clone());
    Ok(d)
}

fn read_files(
    bundle: &Bundle,
    row: (String, String, String, String, Option<String>),
) -> PageResult<Draw> {
    let (batch, state, commitment_sha256, created_at, verification) = row;
    let commitment = bundle.read_json("commitment.json")?;
    let manifest = bundle.read_json("manifest.json")?;
    let policy = bundle.read("inputs/policy.csv")?;
    let year = policy
        .lines()
        .find_map(|l| l.strip_prefix("year,"))
        .unwrap_or("")
        .to_string();
    let revealed = state == "revealed";
    let entropy = if revealed {
        Some(bundle.read_json("entropy.json")?)
    } else {
        None
    };
    let declared = commitment["sources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let sources = declared
        .iter()
        .enumerate()
        .map(|(i, d)| Source {
            what: source_words(d),
            value: entropy
                .as_ref()
                .and_then(|e| source_value(&e["sources"][i])),
        })
        .collect();
    Ok(Draw {
        batch,
        method: commitment["method"].as_str().unwrap_or("").to_string(),
        created_at: created_at.chars().take(10).collect(),
        commitment_sha256,
        year,
        population_size: commitment["population_size"].as_u64().unwrap_or(0),
        population_root: commitment["population_root"]
            .as_str()
            .unwrap_or("")
            .to_string(),
        sources,
        seed: manifest["seed"].as_str().map(str::to_string),
        verification,
        state,
    })
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> PageResult<T> + Send + 'static,
) -> PageResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| PageError::Internal(anyhow::anyhow!("portal task: {e}")))?
}

/// Every draw, newest first.
pub async fn all(s: &AppState) -> PageResult<Vec<Draw>> {
    let rows = rows(s, None).await?;
    let dir = s.bundles.clone();
    blocking(move || {
        rows.into_iter()
            .map(|r| read_draw(&Bundle::new(dir.join(&r.0)), r))
            .collect()
    })
    .await
}

/// One draw, or a 404 page.
pub async fn find(s: &AppState, batch: &str) -> PageResult<Draw> {
    check_batch(batch)?;
    let row = rows(s, Some(batch)).await?.pop().ok_or_else(|| {
        PageError::NotFound(format!(
            "没有名为“{batch}”的抽查批次。请在“抽查计划与任务公告”中查看已公布的批次。"
        ))
    })?;
    let bundle = Bundle::new(s.bundles.join(batch));
    blocking(move || read_draw(&bundle, row)).await
}

/// Population indexes (`crate::draw::population_index`) and parsed task rules of the draws, by
/// bundle directory and commitment digest: committed inputs never change, and indexing a million
/// rows takes a second that a page must not spend on every request. Each entry is built once:
/// requests that find it being built wait for that build instead of starting their own.
static INDEXES: Mutex<BTreeMap<(PathBuf, String), IndexCell>> = Mutex::new(BTreeMap::new());

/// A draw's index once built.
type IndexCell = Arc<OnceLock<DrawIndex>>;

/// A draw's population index and task rules.
type DrawIndex = Arc<(PopulationIndex, TaskRules)>;

/// Indexes kept at once; a further one replaces the oldest key.
const INDEXES_KEPT: usize = 8;

/// The population index and task rules of `bundle` with commitment `digest`, built once.
fn draw_index(bundle: &Bundle, digest: &str) -> Result<DrawIndex, StepError> {
    let key = (bundle.dir.clone(), digest.to_string());
    let cell = {
        let mut all = INDEXES.lock().expect("not poisoned");
        if !all.contains_key(&key) && all.len() >= INDEXES_KEPT {
            all.pop_first();
        }
        all.entry(key.clone()).or_default().clone()
    };
    if let Some(index) = cell.get() {
        return Ok(index.clone());
    }
    // `OnceLock::get_or_init` cannot fail; a failed build leaves the cell empty for the next.
    static BUILDING: Mutex<()> = Mutex::new(());
    let _one_at_a_time = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(index) = cell.get() {
        return Ok(index.clone());
    }
    let index = Arc::new((PopulationIndex::build(bundle)?, TaskRules::build(bundle)?));
    Ok(cell.get_or_init(|| index).clone())
}

/// Bundles whose plan index is being written in the background.
static PLAN_INDEXING: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// Writes the plan index of a revealed bundle in the background unless it is there or being
/// written (a bundle revealed before the index existed, or whose index was lost).
fn index_plan_later(bundle: &Bundle) {
    if !PLAN_INDEXING
        .lock()
        .expect("not poisoned")
        .insert(bundle.dir.clone())
    {
        return;
    }
    let b = bundle.clone();
    std::thread::spawn(move || {
        match plan_index::ensure(&b) {
            Ok(true) => tracing::info!(bundle = %b.dir.display(), "plan index written"),
            Ok(false) => {}
            Err(e) => tracing::warn!(bundle = %b.dir.display(), "plan index not written: {e}"),
        }
        PLAN_INDEXING.lock().expect("not poisoned").remove(&b.dir);
    });
}

/// The proof JSON of `uscc` in `draw` (blocking: it may index the population).
pub fn proof_of(s: &AppState, draw: &Draw, uscc: &Uscc) -> Result<Value, StepError> {
    let bundle = Bundle::new(s.bundles.join(&draw.batch));
    let index = draw_index(&bundle, &draw.commitment_sha256)?;
    let plan = if draw.revealed() {
        let manifest = bundle.read_json("manifest.json")?;
        let plan = PlanIndex::open(&bundle, &manifest)?;
        if plan.is_none() {
            index_plan_later(&bundle);
        }
        plan
    } else {
        None
    };
    crate::draw::proof::proof_with(&bundle, &index.0, &index.1, plan.as_ref(), uscc)
}

/// Prepares what the fairness check reads for every revealed draw: writes the plan indexes
/// that are missing and builds the population indexes (`dualdraw serve` calls it at start, in
/// the background; `docs/portal.md`, "The plan index").
pub async fn warm(s: AppState) {
    let draws = match all(&s).await {
        Ok(d) => d,
        Err(e) => return tracing::warn!("portal: draws not read at start: {e}"),
    };
    let newest: Vec<Draw> = draws
        .into_iter()
        .filter(|d| d.revealed())
        .take(INDEXES_KEPT)
        .collect();
    let dir = s.bundles.clone();
    let done = tokio::task::spawn_blocking(move || {
        for d in newest {
            let bundle = Bundle::new(dir.join(&d.batch));
            match plan_index::ensure(&bundle) {
                Ok(true) => tracing::info!(batch = %d.batch, "plan index written"),
                Ok(false) => {}
                Err(e) => tracing::warn!(batch = %d.batch, "plan index not written: {e}"),
            }
            if let Err(e) = draw_index(&bundle, &d.commitment_sha256) {
                tracing::warn!(batch = %d.batch, "population index not built: {e}");
            }
        }
    })
    .await;
    if let Err(e) = done {
        tracing::warn!("portal: warming failed: {e}");
    }
}

#[derive(Template)]
#[template(path = "draws.html")]
struct ListPage {
    chrome: Chrome,
    draws: Vec<Draw>,
}

/// `GET /draws`.
pub async fn list(State(s): State<AppState>) -> PageResult<Response> {
    Ok(render(&ListPage {
        chrome: Chrome::new("draws"),
        draws: all(&s).await?,
    }))
}

/// One selected enterprise of a revealed draw.
#[derive(Clone)]
pub struct Selected {
    pub task: String,
    pub uscc: String,
    pub tier: String,
    pub basis: String,
    pub inclusion: String,
}

#[derive(Template)]
#[template(path = "draw.html")]
struct OnePage {
    chrome: Chrome,
    draw: Draw,
    selected: Vec<Selected>,
    /// Rows of `selections.csv` not shown (the page shows the first [`SHOWN`]).
    more: usize,
}

/// Rows of the drawn list shown on the page; the rest are in the bundle's file.
const SHOWN: usize = 500;

/// A revealed draw's `plan/selections.csv`, parsed once: its rows in file order and, by USCC,
/// the indices of that enterprise's rows.
pub struct Selections {
    pub rows: Vec<Selected>,
    pub by_uscc: BTreeMap<String, Vec<usize>>,
}

/// [`Selections`] of revealed draws, by bundle directory and commitment digest (a revealed
/// draw's plan never changes).
static SELECTIONS: Mutex<BTreeMap<(PathBuf, String), Arc<Selections>>> =
    Mutex::new(BTreeMap::new());

/// The selections of a revealed draw (blocking).
pub fn selections(s: &AppState, draw: &Draw) -> PageResult<Arc<Selections>> {
    let bundle = Bundle::new(s.bundles.join(&draw.batch));
    let key = (bundle.dir.clone(), draw.commitment_sha256.clone());
    if let Some(found) = SELECTIONS.lock().expect("not poisoned").get(&key) {
        return Ok(found.clone());
    }
    let text = bundle.read("plan/selections.csv")?;
    let mut out = Selections {
        rows: Vec::new(),
        by_uscc: BTreeMap::new(),
    };
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if let [task, uscc, tier, _xi, basis, inclusion] = f[..] {
            out.by_uscc
                .entry(uscc.to_string())
                .or_default()
                .push(out.rows.len());
            out.rows.push(Selected {
                task: task.into(),
                uscc: uscc.into(),
                tier: tier.into(),
                basis: basis.into(),
                inclusion: inclusion.into(),
            });
        }
    }
    let out = Arc::new(out);
    let mut all = SELECTIONS.lock().expect("not poisoned");
    if all.len() >= INDEXES_KEPT {
        all.pop_first();
    }
    all.insert(key, out.clone());
    Ok(out)
}

/// `GET /draws/{batch}`.
pub async fn one(State(s): State<AppState>, Path(batch): Path<String>) -> PageResult<Response> {
    let draw = find(&s, &batch).await?;
    let (selected, more) = if draw.revealed() {
        let (state, found) = (s.clone(), draw.clone());
        let all = blocking(move || selections(&state, &found)).await?;
        let shown = all.rows.iter().take(SHOWN).cloned().collect::<Vec<_>>();
        let more = all.rows.len() - shown.len();
        (shown, more)
    } else {
        (Vec::new(), 0)
    };
    Ok(render(&OnePage {
        chrome: Chrome::new("draws"),
        draw,
        selected,
        more,
    }))
}

/// `GET /public/draws/{batch}/proof/{uscc}`: the enterprise's committed population row with its
/// RFC 6962 inclusion proof, and once revealed the seed, its number and its strata
/// (`crate::draw::proof`). JSON errors as the API's (`docs/portal.md`).
pub async fn proof(
    State(s): State<AppState>,
    Path((batch, uscc)): Path<(String, String)>,
) -> Result<Response, crate::http::error::Error> {
    use crate::http::error::Error;
    check_batch(&batch).map_err(|e| Error::unprocessable("invalid_batch", e.to_string()))?;
    let uscc: Uscc = uscc
        .parse()
        .map_err(|e| Error::unprocessable("invalid_uscc", format!("{e}")))?;
    let draw = find(&s, &batch).await.map_err(|e| match e {
        PageError::NotFound(m) => Error::NotFound(m),
        PageError::BadRequest(m) | PageError::MethodNotAllowed(m) => Error::BadRequest(m),
        PageError::Internal(e) => Error::Internal(e),
    })?;
    let revealed = draw.revealed();
    let (state, found) = (s.clone(), draw.clone());
    let out = tokio::task::spawn_blocking(move || proof_of(&state, &found, &uscc))
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("proof task: {e}")))?;
    let mut body = match out {
        Ok(v) => v,
        Err(StepError::Input(m)) => return Err(Error::NotFound(m)),
        Err(e) => return Err(Error::Internal(anyhow::anyhow!("proof: {e}"))),
    };
    if revealed {
        body["seed"] = Value::from(draw.seed.clone());
    } else {
        // Before the reveal nothing about the draw's outcome is public.
        for key in ["number", "strata"] {
            body.as_object_mut().map(|o| o.remove(key));
        }
    }
    body["batch"] = Value::from(batch);
    body["state"] = Value::from(draw.state);
    Ok(([(header::CACHE_CONTROL, "public, max-age=60")], Json(body)).into_response())
}
