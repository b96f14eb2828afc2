//! 年度抽查计划报告: the report of a revealed `dr2` plan (`crate::plan::report`) with its SVG
//! charts (`crate::plan::svg`), the same the CLI writes with `plan report --svg`.

use super::draws;
use super::error::{PageError, PageResult};
use super::{render, Chrome};
use crate::draw::bundle::Bundle;
use crate::http::AppState;
use crate::plan::report::Report;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

#[derive(Template)]
#[template(path = "plan.html")]
struct PlanPage {
    chrome: Chrome,
    r: Report,
    joint_rate: String,
    /// Visits the coordinated plan saves against separate draws.
    saved: u64,
    charts: Vec<(&'static str, &'static str)>,
}

/// The charts: file name and what the page says it shows.
const CHARTS: &[(&str, &str)] = &[
    ("coordination.svg", "联合检查减少的入户次数"),
    ("tiers.svg", "各信用等级企业的年度检查次数与上限"),
    ("load.svg", "各期检查人员工作量"),
];

/// The report of a revealed `dr2` draw, or a 404 page saying why there is none.
async fn report(s: &AppState, batch: &str) -> PageResult<Report> {
    let draw = draws::find(s, batch).await?;
    if !draw.is_annual() {
        return Err(PageError::NotFound(format!(
            "批次 {batch} 是抽查任务，不是年度抽查计划，没有计划报告。"
        )));
    }
    if !draw.revealed() {
        return Err(PageError::NotFound(format!(
            "批次 {batch} 的年度计划在揭示后公布（当前：{}）。",
            draw.state_label()
        )));
    }
    let bundle = Bundle::new(s.bundles.join(batch));
    tokio::task::spawn_blocking(move || crate::plan::report::report(&bundle))
        .await
        .map_err(|e| anyhow::anyhow!("report task: {e}"))?
        .map_err(PageError::from)
}

/// `GET /plan/{batch}`.
pub async fn page(State(s): State<AppState>, Path(batch): Path<String>) -> PageResult<Response> {
    let r = report(&s, &batch).await?;
    let joint_rate = format!(
        "{}.{}%",
        r.joint_rate_permille / 10,
        r.joint_rate_permille % 10
    );
    Ok(render(&PlanPage {
        chrome: Chrome::new("draws"),
        saved: r.uncoordinated_visits.saturating_sub(r.visits),
        r,
        joint_rate,
        charts: CHARTS.to_vec(),
    }))
}

/// `GET /plan/{batch}/{chart}`: one chart as `image/svg+xml`.
pub async fn chart(
    State(s): State<AppState>,
    Path((batch, chart)): Path<(String, String)>,
) -> PageResult<Response> {
    if !CHARTS.iter().any(|(name, _)| *name == chart) {
        return Err(PageError::NotFound(format!(
            "没有图表 {chart}；可用的图表：coordination.svg、tiers.svg、load.svg。"
        )));
    }
    let r = report(&s, &batch).await?;
    let svg = crate::plan::svg::charts(&r)
        .remove(chart.as_str())
        .ok_or_else(|| PageError::NotFound(format!("没有图表 {chart}。")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        svg,
    )
        .into_response())
}
