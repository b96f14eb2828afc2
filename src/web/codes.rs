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
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

#[derive(Template)]
#[template(path = "code.html")]
struct CodePage {
    chrome: Chrome,
    /// The code as asked for (shown on the refusal).
    asked: String,
    facts: Option<Facts>,
    /// The signed versions of the statement, oldest first (§12.3: a replacement after the
    /// approval signs a new one; the old ones stay, superseded).
    versions: Vec<codes::Signed>,
}

impl From<InspectionError> for PageError {
    fn from(e: InspectionError) -> Self {
        PageError::Internal(anyhow::anyhow!("inspection code: {e}"))
    }
}

/// The facts of a code and its signed versions; `None` for a code nobody was given.
async fn facts_of(s: &AppState, code: &str) -> PageResult<Option<(Facts, Vec<codes::Signed>)>> {
    let Some(code) = codes::normalise(code) else {
        return Ok(None);
    };
    let mut conn = s.db.pool.acquire().await?;
    let Some(job) = codes::job_of(&mut conn, &code).await? else {
        return Ok(None);
    };
    let Some(facts) = codes::facts(&mut conn, &job).await? else {
        return Ok(None);
    };
    drop(conn);
    let versions = codes::statements(&s.db, &s.code_key, &job).await?;
    Ok(Some((facts, versions)))
}

/// `GET /code/{CODE}`.
pub async fn page(State(s): State<AppState>, Path(code): Path<String>) -> PageResult<Response> {
    let (facts, versions) = match facts_of(&s, &code).await? {
        Some((f, v)) => (Some(f), v),
        None => (None, Vec::new()),
    };
    let status = if facts.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    let page = CodePage {
        chrome: Chrome::new(""),
        asked: code.chars().take(40).collect(),
        facts,
        versions,
    };
    Ok((status, render(&page)).into_response())
}

fn text(body: String, headers: Vec<(&'static str, String)>) -> Response {
    let mut r = (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response();
    for (name, value) in headers {
        if let Ok(v) = header::HeaderValue::from_str(&value) {
            r.headers_mut().insert(name, v);
        }
    }
    r
}

#[derive(serde::Deserialize)]
pub struct Which {
    version: Option<i64>,
}

/// `GET /public/codes/{CODE}[?version=N]`: the signed statement, `text/plain` — the current
/// version, or version N. Headers `Statement-Version` (N) and `Statement-Versions` (how many)
/// and, for an older one, `Statement-Superseded` (the day a later version replaced it).
pub async fn statement(
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(which): Query<Which>,
) -> PageResult<Response> {
    let unknown = || PageError::NotFound(format!("检查码 {code} 不存在：不是本计划的检查。"));
    let (_, versions) = facts_of(&s, &code).await?.ok_or_else(unknown)?;
    let count = versions.len();
    let signed = match which.version {
        Some(n) => versions
            .into_iter()
            .find(|v| v.version == n)
            .ok_or_else(|| PageError::NotFound(format!("检查码 {code} 没有第 {n} 版声明。")))?,
        None => versions.into_iter().last().ok_or_else(unknown)?,
    };
    let mut headers = vec![
        ("statement-version", signed.version.to_string()),
        ("statement-versions", count.to_string()),
    ];
    if let Some(on) = &signed.superseded_on {
        headers.push(("statement-superseded", on.clone()));
    }
    Ok(text(signed.note, headers))
}

/// `GET /public/codes/key`: the code key's verifier key, one line.
pub async fn key(State(s): State<AppState>) -> PageResult<Response> {
    let vkey = s
        .code_key
        .verifier(&s.db)
        .await?
        .ok_or_else(|| PageError::NotFound("尚未签发任何检查码，还没有检查码公钥。".into()))?;
    Ok(text(format!("{vkey}\n"), Vec::new()))
}
