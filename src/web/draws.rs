//! 抽查计划与任务公告: every draw with its state, commitment, declared entropy sources (and their
//! values once revealed), the seed after the reveal and the drawn list; and the public JSON of
//! one enterprise's row with its inclusion proof (`GET /public/draws/{batch}/proof/{uscc}`,
//! `docs/portal.md`), which the "was my draw fair?" page checks in the browser.

use super::error::{PageError, PageResult};
use super::proof_cache::{Kept, KEPT};
use super::{render, Chrome};
use crate::draw::bundle::Bundle;
use crate::draw::run::StepError;
use crate::http::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use dualdraw_solver::Uscc;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

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

    /// Whether the draw's method makes an annual plan (`dr2`, `dr3`: `Method::places_annually`).
    pub fn is_annual(&self) -> bool {
        dualdraw_solver::Method::parse(&self.method).is_some_and(|m| m.places_annually())
    }

    pub fn is_plan(&self) -> bool {
        self.is_annual() && self.revealed()
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

/// A row of `draws`: batch, state, commitment digest, creation time, verification.
type DrawRow = (String, String, String, String, Option<String>);

const DRAW_COLUMNS: &str = "batch, state, commitment_sha256, created_at, verification";
const NEWEST_FIRST: &str = "ORDER BY created_at DESC, batch";

/// The draws' rows, newest first, or the row of `batch`.
async fn rows(s: &AppState, batch: Option<&str>) -> PageResult<Vec<DrawRow>> {
    let sql = format!("SELECT {DRAW_COLUMNS} FROM draws");
    let rows = match batch {
        Some(b) => {
            s.db.native
                .fetch_all(&format!("{sql} WHERE batch = $1"), &[b])
                .await?
        }
        None => {
            s.db.native
                .fetch_all(&format!("{sql} {NEWEST_FIRST}"), &[])
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

/// Every draw of `rows` from what [`read_draw`] keeps, when it keeps them all (no file is read,
/// so no blocking thread is needed).
fn all_kept(dir: &std::path::Path, rows: &[DrawRow]) -> Option<Vec<Draw>> {
    let kept = READ.lock().expect("not poisoned");
    rows.iter()
        .map(|r| {
            let key = (dir.join(&r.0), r.1.clone(), r.2.clone());
            kept.get(&key).map(|d| Draw {
                verification: r.4.clone(),
                ..d.clone()
            })
        })
        .collect()
}

/// A draw from its row and its public files (blocking).
fn read_draw(bundle: &Bundle, row: DrawRow) -> PageResult<Draw> {
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

fn read_files(bundle: &Bundle, row: DrawRow) -> PageResult<Draw> {
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
    of_rows(s, rows).await
}

/// Every draw, newest first, and the name of enterprise `uscc` if some draw is there, in one
/// read (the fairness page needs both; each read is a hand-off to the database's thread).
pub async fn all_and_name(s: &AppState, uscc: &str) -> PageResult<(Vec<Draw>, Option<String>)> {
    type WithName = (
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
    );
    let read: Vec<WithName> = s
        .db
        .native
        .fetch_all(
            &format!(
                "SELECT {DRAW_COLUMNS}, (SELECT name FROM enterprises WHERE uscc = $1) FROM draws {NEWEST_FIRST}"
            ),
            &[uscc],
        )
        .await?;
    let name = read.first().and_then(|r| r.5.clone());
    let rows = read
        .into_iter()
        .map(|(batch, state, digest, created, verification, _)| {
            (batch, state, digest, created, verification)
        })
        .collect();
    Ok((of_rows(s, rows).await?, name))
}

/// The draws of `rows`, from the kept copies when all are kept, else read on a blocking thread.
async fn of_rows(s: &AppState, rows: Vec<DrawRow>) -> PageResult<Vec<Draw>> {
    let dir = s.bundles.clone();
    if let Some(kept) = all_kept(&dir, &rows) {
        return Ok(kept);
    }
    blocking(move || {
        rows.into_iter()
            .map(|r| read_draw(&Bundle::new(dir.join(&r.0)), r))
            .collect()
    })
    .await
}

/// The 404 page of an unknown batch.
pub fn not_found(batch: &str) -> PageError {
    PageError::NotFound(format!(
        "没有名为“{batch}”的抽查批次。请在“抽查计划与任务公告”中查看已公布的批次。"
    ))
}

/// One draw, or a 404 page.
pub async fn find(s: &AppState, batch: &str) -> PageResult<Draw> {
    check_batch(batch)?;
    let row = rows(s, Some(batch))
        .await?
        .pop()
        .ok_or_else(|| not_found(batch))?;
    let bundle = Bundle::new(s.bundles.join(batch));
    blocking(move || read_draw(&bundle, row)).await
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
struct OnePage<'a> {
    chrome: Chrome,
    draw: Draw,
    /// The first [`SHOWN`] rows of the kept [`Selections`] (not copied per request).
    selected: &'a [Selected],
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
/// draw's plan never changes), each parsed once by one request while the others that need it
/// wait (`super::proof_cache::Kept`).
static SELECTIONS: Kept<(PathBuf, String), Arc<Selections>> = Kept::new(KEPT);

/// The selections of a revealed draw (blocking).
pub fn selections(s: &AppState, draw: &Draw) -> PageResult<Arc<Selections>> {
    let bundle = Bundle::new(s.bundles.join(&draw.batch));
    let key = (bundle.dir.clone(), draw.commitment_sha256.clone());
    SELECTIONS.get_or_build(&key, || {
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
        Ok(Arc::new(out))
    })
}

/// `GET /draws/{batch}`.
pub async fn one(State(s): State<AppState>, Path(batch): Path<String>) -> PageResult<Response> {
    let draw = find(&s, &batch).await?;
    let all = if draw.revealed() {
        let (state, found) = (s.clone(), draw.clone());
        Some(blocking(move || selections(&state, &found)).await?)
    } else {
        None
    };
    let rows = all.as_ref().map_or(&[][..], |a| &a.rows[..]);
    let selected = &rows[..rows.len().min(SHOWN)];
    Ok(render(&OnePage {
        chrome: Chrome::new("draws"),
        draw,
        selected,
        more: rows.len() - selected.len(),
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
    let out = super::proof_cache::proof(&s, &draw, &uscc)
        .await
        .map_err(Error::Internal)?;
    let mut body = match out {
        Ok(p) => p,
        Err(StepError::Input(m)) => return Err(Error::NotFound(m)),
        Err(e) => return Err(Error::Internal(anyhow::anyhow!("proof: {e}"))),
    };
    if draw.revealed() {
        body.seed = draw.seed;
    } else {
        // Before the reveal nothing about the draw's outcome is public.
        (body.number, body.strata) = (None, None);
    }
    body.batch = Some(batch);
    body.state = Some(draw.state);
    Ok(([(header::CACHE_CONTROL, "public, max-age=60")], Json(body)).into_response())
}
