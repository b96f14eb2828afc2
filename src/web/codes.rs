//! 扫码入企: the public page of an inspection code (`GET /code/{CODE}`, `docs/results.md` §12)
//! and its JSON companions — the signed code statement (`GET /public/codes/{CODE}`, text) and
//! the code key (`GET /public/codes/key`). The page shows what the code stands for, and
//! `web/assets/code.js` checks the statement's signature in the browser with the published
//! key. Nothing about any other visit is shown; a code nobody was given is a 404 page saying
//! in red that it is not a visit of the plan.

use super::error::{PageError, PageResult};
use super::{render, Chrome};
use crate::http::AppState;
use crate::inspection::codes::{self, Facts};
use crate::inspection::InspectionError;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

#[derive(Template)]
#[template(path = "code.html")]
struct CodePage {
    chrome: Chrome,
    /// The code as asked for (shown on the refusal).
    asked: String,
    facts: Option<Facts>,
}

impl From<InspectionError> for PageError {
    fn from(e: InspectionError) -> Self {
        PageError::Internal(anyhow::anyhow!("inspection code: {e}"))
    }
}

async fn facts_of(s: &AppState, code: &str) -> PageResult<Option<Facts>> {
    let Some(code) = codes::normalise(code) else {
        return Ok(None);
    };
    let mut conn = s.db.pool.acquire().await?;
    let Some(job) = codes::job_of(&mut conn, &code).await? else {
        return Ok(None);
    };
    Ok(codes::facts(&mut conn, &job).await?)
}

/// `GET /code/{CODE}`.
pub async fn page(State(s): State<AppState>, Path(code): Path<String>) -> PageResult<Response> {
    let facts = facts_of(&s, &code).await?;
    let status = if facts.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    let page = CodePage {
        chrome: Chrome::new(""),
        asked: code.chars().take(40).collect(),
        facts,
    };
    Ok((status, render(&page)).into_response())
}

fn text(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// `GET /public/codes/{CODE}`: the signed statement, `text/plain`.
pub async fn statement(
    State(s): State<AppState>,
    Path(code): Path<String>,
) -> PageResult<Response> {
    let unknown = || PageError::NotFound(format!("检查码 {code} 不存在：不是本计划的检查。"));
    let facts = facts_of(&s, &code).await?.ok_or_else(unknown)?;
    let mut conn = s.db.pool.acquire().await?;
    let note = codes::statement(&mut conn, &facts)
        .await?
        .ok_or_else(unknown)?;
    Ok(text(note))
}

/// `GET /public/codes/key`: the code key's verifier key, one line.
pub async fn key(State(s): State<AppState>) -> PageResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let vkey = codes::verifier_key(&mut conn)
        .await?
        .ok_or_else(|| PageError::NotFound("尚未签发任何检查码，还没有检查码公钥。".into()))?;
    Ok(text(format!("{vkey}\n")))
}
