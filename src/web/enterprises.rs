//! 企业查询: look an enterprise up by name or USCC, and its page — registration, effective credit
//! tier with the records in publicity that make it, and the inspections the published draws
//! gave it. Inspection results (抽查结果) come from the results work; the page keeps a marked
//! section for them.

use super::draws::{self, Draw};
use super::error::{PageError, PageResult};
use super::{render, Chrome};
use crate::http::AppState;
use crate::registry::model::Enterprise;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use dualdraw_solver::uscc::UsccError;
use dualdraw_solver::Uscc;
use serde::Deserialize;

/// A malformed USCC in words.
pub fn uscc_problem(e: &UsccError) -> String {
    let what = match e {
        UsccError::WrongLength(n) => format!("统一社会信用代码应为 18 位，您输入了 {n} 位"),
        UsccError::LowerCase { position, ch } => {
            format!("第 {position} 位是小写字母“{ch}”，代码中的字母都是大写")
        }
        UsccError::ExcludedLetter { position, ch } => format!(
            "第 {position} 位的“{ch}”不会出现在统一社会信用代码中（不使用 I、O、S、V、Z）"
        ),
        UsccError::InvalidCharacter { position, ch } => {
            format!("第 {position} 位的“{ch}”不是数字或代码字母")
        }
        UsccError::WrongCheck { expected, got } => format!(
            "校验码不符：按 GB 32100-2015，前 17 位对应的第 18 位应为“{expected}”，您输入的是“{got}”，请核对是否输错"
        ),
    };
    format!("{what}。")
}

/// Parses a USCC typed by a person (spaces trimmed), or a 400 page naming what is wrong.
pub fn parse_uscc(text: &str) -> PageResult<Uscc> {
    let text = text.trim();
    text.parse::<Uscc>().map_err(|e| {
        PageError::BadRequest(format!(
            "“{text}”不是有效的统一社会信用代码：{}",
            uscc_problem(&e)
        ))
    })
}

/// Whether a query is meant as a USCC: 15 to 20 letters and digits (a code with a character
/// too few or too many is still a code, and gets told what is wrong with it).
fn looks_like_uscc(q: &str) -> bool {
    (15..=20).contains(&q.len()) && q.chars().all(|c| c.is_ascii_alphanumeric())
}

#[derive(Deserialize)]
pub struct LookupQuery {
    #[serde(default)]
    q: String,
}

pub struct Found {
    pub uscc: String,
    pub name: String,
    pub region: String,
    pub status: &'static str,
}

#[derive(Template)]
#[template(path = "lookup.html")]
struct LookupPage {
    chrome: Chrome,
    q: String,
    searched: bool,
    /// The query is a part of a name shorter than [`crate::registry::store::NAME_SEARCH_MIN`].
    too_short: bool,
    min: usize,
    found: Vec<Found>,
    limit: usize,
}

/// At most this many names are listed.
const LIMIT: usize = 50;

pub fn status_label(e: &Enterprise) -> &'static str {
    status_word(e.status.as_str())
}

fn status_word(status: &str) -> &'static str {
    match status {
        "operating" => "存续",
        "revoked" => "吊销",
        "deregistered" => "注销",
        _ => "未知",
    }
}

/// `GET /enterprises?q=`: a USCC goes straight to its page; a malformed one is a 400 page;
/// anything else is part of a name.
pub async fn lookup(
    State(s): State<AppState>,
    Query(q): Query<LookupQuery>,
) -> PageResult<Response> {
    let text = q.q.trim().to_string();
    if looks_like_uscc(&text) {
        let uscc = parse_uscc(&text)?;
        return Ok(Redirect::to(&format!("/enterprises/{uscc}")).into_response());
    }
    if text.chars().count() > 100 {
        return Err(PageError::BadRequest(
            "查询内容过长：请输入企业名称中的一部分（不超过 100 个字），或 18 位统一社会信用代码。"
                .into(),
        ));
    }
    // A part of a name shorter than the trigram index can find is not searched: reading every
    // name for it would hold the page up (`docs/portal.md`, "Name search").
    let too_short =
        !text.is_empty() && text.chars().count() < crate::registry::store::NAME_SEARCH_MIN;
    let mut found = Vec::new();
    if !text.is_empty() && !too_short {
        for e in
            crate::registry::store::names(&s.db.native, &s.name_bound, &text, LIMIT as i64).await?
        {
            found.push(Found {
                status: status_word(&e.status),
                uscc: e.uscc,
                name: e.name,
                region: e.region,
            });
        }
    }
    Ok(render(&LookupPage {
        chrome: Chrome::new("enterprises"),
        searched: !text.is_empty() && !too_short,
        too_short,
        min: crate::registry::store::NAME_SEARCH_MIN,
        q: text,
        found,
        limit: LIMIT,
    }))
}

/// A credit record as the enterprise page shows it.
pub struct RecordView {
    pub kind: &'static str,
    pub negative: bool,
    pub department: String,
    pub document_no: String,
    pub decided_on: String,
    pub until: String,
    pub summary: String,
}

/// One check a published draw gave the enterprise.
pub struct Inspection {
    pub batch: String,
    pub year: String,
    pub task: String,
    pub basis: String,
    pub inclusion: String,
}

#[derive(Template)]
#[template(path = "enterprise.html")]
struct EnterprisePage {
    chrome: Chrome,
    e: Enterprise,
    status: &'static str,
    tier: String,
    base_tier: String,
    tier_reason: String,
    records: Vec<RecordView>,
    inspections: Vec<Inspection>,
    /// Revealed draws, for the "was my draw fair?" links.
    revealed: Vec<Draw>,
    /// 抽查检查结果信息: the enterprise's published result versions.
    results: Vec<super::results::ResultRow>,
}

/// The rows of the revealed draws' `plan/selections.csv` of one enterprise.
fn inspections_of(s: &AppState, draws: &[Draw], uscc: &str) -> PageResult<Vec<Inspection>> {
    let mut out = Vec::new();
    for d in draws {
        let all = draws::selections(s, d)?;
        for &i in all.by_uscc.get(uscc).map(Vec::as_slice).unwrap_or(&[]) {
            let row = &all.rows[i];
            out.push(Inspection {
                batch: d.batch.clone(),
                year: d.year.clone(),
                task: row.task.clone(),
                basis: if row.basis == "key" {
                    "重点监管（全覆盖）".into()
                } else {
                    "随机抽取".into()
                },
                inclusion: row.inclusion.clone(),
            });
        }
    }
    Ok(out)
}

/// `GET /enterprises/{uscc}`.
pub async fn one(State(s): State<AppState>, Path(uscc): Path<String>) -> PageResult<Response> {
    let uscc = parse_uscc(&uscc)?;
    let today = crate::clock::today();
    let mut conn = s.db.pool.acquire().await?;
    let (e, records, decision) =
        match crate::credit::service::tier_of(&mut conn, &s.rules, &uscc, today).await {
            Ok(found) => found,
            Err(crate::credit::service::CreditError::NotFound(_)) => {
                return Err(PageError::NotFound(format!(
                    "本辖区的企业名录中没有统一社会信用代码为 {uscc} 的企业。代码格式正确，但可能不属于本辖区，或尚未登记。"
                )))
            }
            Err(e) => return Err(PageError::Internal(anyhow::anyhow!("tier of {uscc}: {e}"))),
        };
    let results = super::results::of_enterprise(&mut conn, uscc.as_str()).await?;
    drop(conn);
    let records = records
        .iter()
        .filter(|r| r.in_publicity(today))
        .map(|r| RecordView {
            kind: r.kind.label_zh(),
            negative: r.kind.is_negative(),
            department: r.department.clone(),
            document_no: r.document_no.clone(),
            decided_on: r.decided_on.to_string(),
            until: r.publicity_end().to_string(),
            summary: r.summary.clone(),
        })
        .collect();
    let revealed: Vec<Draw> = draws::all(&s)
        .await?
        .into_iter()
        .filter(|d| d.revealed())
        .collect();
    let (state, code, list) = (s.clone(), uscc.to_string(), revealed.clone());
    let inspections = tokio::task::spawn_blocking(move || inspections_of(&state, &list, &code))
        .await
        .map_err(|e| anyhow::anyhow!("inspections task: {e}"))??;
    let tier_reason = match decision.reasons.first() {
        None => "按登记时的信用风险分类，没有改变等级的公示中记录。".to_string(),
        Some(r) => format!(
            "因 {}（{}，{} 起）调整为 {} 级。",
            r.kind.label_zh(),
            r.document_no,
            r.since,
            decision.tier
        ),
    };
    Ok(render(&EnterprisePage {
        chrome: Chrome::new("enterprises"),
        status: status_label(&e),
        tier: decision.tier.to_string(),
        base_tier: decision.base.to_string(),
        tier_reason,
        records,
        inspections,
        revealed,
        results,
        e,
    }))
}
