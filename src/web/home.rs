//! 首页: the jurisdiction, this year's plan and draws, and the log's latest checkpoint.

use super::draws::{self, Draw};
use super::error::PageResult;
use super::{render, Chrome};
use crate::http::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;

/// The log's latest checkpoint, as the home page shows it.
pub struct Checkpoint {
    pub size: u64,
    pub root: String,
    pub cosignatures: usize,
    pub origin: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    year: String,
    plans: Vec<Draw>,
    tasks: Vec<Draw>,
    other_years: usize,
    checkpoint: Option<Checkpoint>,
}

/// The latest checkpoint with its cosignature count.
pub async fn latest_checkpoint(s: &AppState) -> PageResult<Option<Checkpoint>> {
    let mut conn = s.db.pool.acquire().await?;
    let Some(cp) = crate::log::store::latest_checkpoint(&mut conn).await? else {
        return Ok(None);
    };
    let cosignatures = crate::log::store::cosignatures(&mut conn, cp.size)
        .await?
        .len();
    Ok(Some(Checkpoint {
        size: cp.size,
        root: hex::encode(cp.root),
        cosignatures,
        origin: cp.note.lines().next().unwrap_or("").to_string(),
    }))
}

/// `GET /`.
pub async fn page(State(s): State<AppState>) -> PageResult<Response> {
    let year = crate::clock::today().format("%Y").to_string();
    let all = draws::all(&s).await?;
    let other_years = all.iter().filter(|d| d.year != year).count();
    let (plans, tasks): (Vec<Draw>, Vec<Draw>) = all
        .into_iter()
        .filter(|d| d.year == year)
        .partition(|d| d.is_annual());
    Ok(render(&HomePage {
        chrome: Chrome::new("home"),
        year,
        plans,
        tasks,
        other_years,
        checkpoint: latest_checkpoint(&s).await?,
    }))
}
