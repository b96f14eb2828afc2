//! 我的抽签公平吗？ (`GET /fair?batch=&uscc=`): for one enterprise and one draw, the page shows
//! what the published files say — its committed population row, its random number u(e), and
//! for each stratum of its tier where ξ fell against the start and cut-off, with its inclusion
//! probability — and `web/assets/fair.js` recomputes all of it in the browser from the revealed
//! seed, the USCC and the inclusion proof of `GET /public/draws/{batch}/proof/{uscc}`, trusting
//! none of the server's numbers (`docs/portal.md`, "The fairness check").

use super::draws::{self, Draw};
use super::enterprises::parse_uscc;
use super::error::{PageError, PageResult};
use super::{render, Chrome};
use crate::draw::proof::StratumFate;
use crate::http::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct FairQuery {
    #[serde(default)]
    batch: String,
    #[serde(default)]
    uscc: String,
}

/// One stratum as the page explains it.
pub struct StratumView {
    pub task: String,
    pub start: String,
    pub cutoff: String,
    pub xi: String,
    pub eligible: u64,
    pub quota: u64,
    pub key: u64,
    /// The plan's verdict in words.
    pub outcome: String,
    /// The enterprise's inclusion probability in this stratum, in words.
    pub probability: String,
    /// Whether the enterprise could be drawn by the task at all.
    pub in_scope: bool,
}

/// What the server's files say about the enterprise in the draw.
pub struct Check {
    pub uscc: String,
    pub name: Option<String>,
    pub row: String,
    pub leaf_index: u64,
    pub tree_size: u64,
    pub tier: String,
    pub key_supervision: bool,
    pub number: Option<String>,
    pub strata: Vec<StratumView>,
}

#[derive(Template)]
#[template(path = "fair.html")]
struct FairPage {
    chrome: Chrome,
    /// The draws one can check (all but abandoned ones), for the form.
    draws: Vec<Draw>,
    batch: String,
    uscc: String,
    draw: Option<Draw>,
    check: Option<Check>,
    /// The enterprise is not in the draw's committed population: why, in words.
    absent: Option<String>,
}

/// A fraction n/N as a percentage in words (two decimals, rounded half up).
fn percent(n: u64, d: u64) -> String {
    if d == 0 {
        return "—".into();
    }
    let hundredths = (n as u128 * 20000 + d as u128) / (2 * d as u128);
    format!("{}.{:02}%", hundredths / 100, hundredths % 100)
}

fn stratum_view(s: StratumFate) -> StratumView {
    let (eligible, quota) = (s.eligible, s.quota);
    let sampled = format!("{quota}/{eligible}（{}）", percent(quota, eligible));
    let in_scope = s.eligible_for_task;
    let (outcome, probability) = if s.basis.as_deref() == Some("key") {
        (
            "抽中：重点监管企业，全覆盖检查".to_string(),
            "1（全覆盖，不抽签）".to_string(),
        )
    } else if s.selected {
        ("抽中：ξ 不大于截止点".to_string(), sampled)
    } else if let Some(visits) = &s.passed_over_visits {
        (
            format!("ξ 不大于截止点，但本年已安排 {visits} 次检查，达到所在等级的上限，按规则跳过"),
            sampled,
        )
    } else if !in_scope {
        (
            "不在该任务的抽查范围内（区划、行业、事项不符，或近期已被该部门检查）".to_string(),
            "0".to_string(),
        )
    } else if s.cutoff.is_empty() {
        ("该层没有随机抽取任何企业，未抽中".to_string(), sampled)
    } else {
        ("未抽中：ξ 大于截止点".to_string(), sampled)
    };
    StratumView {
        in_scope: in_scope || s.selected,
        task: s.task,
        start: s.start,
        cutoff: s.cutoff,
        xi: s.xi,
        eligible,
        quota,
        key: s.key,
        outcome,
        probability,
    }
}

/// `GET /fair`: the form, and with `batch` and `uscc` the check.
pub async fn page(State(s): State<AppState>, Query(q): Query<FairQuery>) -> PageResult<Response> {
    let (batch, uscc_text) = (q.batch.trim().to_string(), q.uscc.trim().to_string());
    // The draws and the enterprise's name in one read when there is a code to look up.
    let looked_up = match parse_uscc(&uscc_text) {
        Ok(u) if !batch.is_empty() => Some(u),
        _ => None,
    };
    let (every, name) = match &looked_up {
        Some(u) => draws::all_and_name(&s, u.as_str()).await?,
        None => (draws::all(&s).await?, None),
    };
    let choices: Vec<Draw> = every
        .iter()
        .filter(|d| d.state != "abandoned")
        .cloned()
        .collect();
    let mut page = FairPage {
        chrome: Chrome::new("fair"),
        draws: choices,
        batch: batch.clone(),
        uscc: uscc_text.clone(),
        draw: None,
        check: None,
        absent: None,
    };
    if batch.is_empty() && uscc_text.is_empty() {
        return Ok(render(&page));
    }
    if uscc_text.is_empty() {
        return Err(PageError::BadRequest(
            "请输入 18 位统一社会信用代码。".into(),
        ));
    }
    let uscc = parse_uscc(&uscc_text)?;
    if batch.is_empty() {
        return Err(PageError::BadRequest("请选择抽查批次。".into()));
    }
    // The draw from the list just read (one query less than `draws::find`, the same answers).
    draws::check_batch(&batch)?;
    let draw = every
        .into_iter()
        .find(|d| d.batch == batch)
        .ok_or_else(|| draws::not_found(&batch))?;
    let proof = super::proof_cache::proof(&s, &draw, &uscc).await?;
    match proof {
        Ok(p) => {
            let fields: Vec<&str> = p.row.split(',').collect();
            let (tier, key_supervision) = (
                fields.get(3).unwrap_or(&"").to_string(),
                fields.get(4) == Some(&"true"),
            );
            let revealed = draw.revealed();
            page.check = Some(Check {
                uscc: uscc.to_string(),
                name,
                tier,
                key_supervision,
                leaf_index: p.leaf_index as u64,
                tree_size: p.tree_size as u64,
                number: p.number.filter(|_| revealed),
                strata: p
                    .strata
                    .filter(|_| revealed)
                    .map(|s| s.into_iter().map(stratum_view).collect())
                    .unwrap_or_default(),
                row: p.row,
            });
        }
        Err(crate::draw::run::StepError::Input(_)) => {
            page.absent = Some(format!(
                "统一社会信用代码 {uscc} 不在批次 {batch} 承诺的抽查名单中：承诺时该企业不是本辖区的在营企业，因此不可能被这个批次抽中。"
            ));
        }
        Err(e) => return Err(PageError::Internal(anyhow::anyhow!("proof: {e}"))),
    }
    page.draw = Some(draw);
    Ok(render(&page))
}

#[cfg(test)]
mod tests {
    use super::percent;

    #[test]
    fn percent_rounds_half_up_to_two_decimals() {
        assert_eq!(percent(1, 3), "33.33%");
        assert_eq!(percent(2, 3), "66.67%");
        assert_eq!(percent(5, 1000), "0.50%");
        assert_eq!(percent(0, 0), "—");
    }
}
