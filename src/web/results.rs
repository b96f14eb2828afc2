//! The public record of results in the browser (`docs/portal.md`, "抽查结果公告"): per batch the
//! published results (抽查结果公告) with each correction shown as its own version and reason,
//! and per enterprise its 抽查检查结果信息 (a section of the enterprise page). Both read the
//! same functions as the JSON and CSV of `/api/v1/public/…` (`crate::inspection::public`); only
//! published versions appear.

use super::draws;
use super::error::PageResult;
use super::{render, Chrome};
use crate::http::AppState;
use crate::inspection::catalog::{Categories, Method};
use crate::inspection::public::{self, PublicResult};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use sqlx::AnyConnection;

/// One published result version as a row of a page.
pub struct ResultRow {
    pub uscc: String,
    pub enterprise: String,
    pub batch: String,
    pub visit: String,
    pub inspecting_body: String,
    pub checked_on: String,
    pub method: String,
    /// The categories' Chinese names, joined with `；`.
    pub result: String,
    /// Each item with its category's Chinese name: `SCJG-001：未发现问题`.
    pub items: Vec<String>,
    pub follow_up: String,
    pub follow_up_done_on: String,
    pub version: i64,
    /// Why this version corrects the one before (none for version 1).
    pub reason: Option<String>,
    pub published_on: String,
}

fn row(r: &PublicResult, cats: &Categories) -> ResultRow {
    ResultRow {
        uscc: r.uscc.clone(),
        enterprise: r.enterprise.clone(),
        batch: r.batch.clone(),
        visit: r.visit.clone(),
        inspecting_body: r.inspecting_body.clone(),
        checked_on: r.checked_on.clone(),
        method: Method::parse(&r.method)
            .map(|m| m.name_zh().to_string())
            .unwrap_or_else(|_| r.method.clone()),
        result: r
            .categories
            .split(';')
            .filter(|c| !c.is_empty())
            .map(|c| cats.name(c))
            .collect::<Vec<_>>()
            .join("；"),
        items: r
            .item_results
            .split(';')
            .filter_map(|p| p.split_once('='))
            .map(|(i, c)| format!("{i}：{}", cats.name(c)))
            .collect(),
        follow_up: r.follow_up.clone(),
        follow_up_done_on: r.follow_up_done_on.clone().unwrap_or_default(),
        version: r.version,
        reason: r.reason.clone(),
        published_on: r.published_on.clone(),
    }
}

/// The published results of one enterprise, for its page.
pub async fn of_enterprise(conn: &mut AnyConnection, uscc: &str) -> PageResult<Vec<ResultRow>> {
    let cats = Categories::load(&mut *conn).await?;
    let rows = public::of_enterprise(&mut *conn, uscc).await?;
    Ok(rows.iter().map(|r| row(r, &cats)).collect())
}

#[derive(Template)]
#[template(path = "results.html")]
struct BatchResultsPage {
    chrome: Chrome,
    draw: draws::Draw,
    rows: Vec<ResultRow>,
}

/// `GET /draws/{batch}/results`: 抽查结果公告 of one batch.
pub async fn of_batch(
    State(s): State<AppState>,
    Path(batch): Path<String>,
) -> PageResult<Response> {
    let draw = draws::find(&s, &batch).await?;
    let mut conn = s.db.pool.acquire().await?;
    let cats = Categories::load(&mut conn).await?;
    let rows = public::of_batch(&mut conn, &batch)
        .await?
        .iter()
        .map(|r| row(r, &cats))
        .collect();
    Ok(render(&BatchResultsPage {
        chrome: Chrome::new("draws"),
        draw,
        rows,
    }))
}
