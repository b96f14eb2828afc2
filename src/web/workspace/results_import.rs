//! Bulk results in the browser (`docs/workspace.md` §3.6): the same import as
//! `POST /api/v1/inspection-results/import` (`crate::inspection::results_csv`, `docs/results.md`
//! §3), from a `multipart/form-data` form whose fields come in the order `csrf`, `file`. The file
//! streams into the importer as it arrives; errors come back as the import page's table of
//! `FILE:LINE: column: message`, and nothing is written when there is any.

use super::imports::ErrorRow;
use super::{render, Frame, Officer, Problem};
use crate::auth::Role;
use crate::http::limits::human;
use crate::http::{upload, AppState};
use crate::inspection::results_csv::{self, Imported};
use crate::inspection::InspectionError;
use crate::web::csrf;
use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

const IMPORTERS: &[Role] = &[Role::Admin, Role::Department];

pub enum Outcome {
    Imported(Imported),
    Invalid { total: usize, errors: Vec<ErrorRow> },
    Refused(String),
}

#[derive(Template)]
#[template(path = "workspace/results_import.html")]
pub struct ResultsImportPage {
    pub chrome: crate::web::Chrome,
    pub frame: Frame,
    pub limit: String,
    pub outcome: Option<Outcome>,
}

fn page_of(s: &AppState, officer: &Officer, outcome: Option<Outcome>) -> ResultsImportPage {
    ResultsImportPage {
        chrome: crate::web::Chrome::new("workspace"),
        frame: officer.frame(),
        limit: human(s.limits.import),
        outcome,
    }
}

/// `GET /workspace/results/import`.
pub async fn page(State(s): State<AppState>, officer: Officer) -> Response {
    if let Err(p) = officer.require(IMPORTERS) {
        return p.into_response();
    }
    render(StatusCode::OK, &page_of(&s, &officer, None))
}

/// `POST /workspace/results/import`.
pub async fn upload(State(s): State<AppState>, req: Request) -> Response {
    match upload_in(&s, req).await {
        Ok(r) | Err(r) => r,
    }
}

async fn upload_in(s: &AppState, req: Request) -> Result<Response, Response> {
    let (mut parts, body) = req.into_parts();
    let officer = Officer::from_request_parts(&mut parts, s).await?;
    let problem = |p: Problem| p.with(officer.frame()).into_response();
    officer
        .require(IMPORTERS)
        .map_err(IntoResponse::into_response)?;
    if !csrf::same_origin(&parts.headers) {
        return Err(Problem::csrf().into_response());
    }
    let limit = s.limits.import;
    let body = Body::new(http_body_util::Limited::new(body, limit as usize));
    let mut form = Multipart::from_request(Request::from_parts(parts, body), s)
        .await
        .map_err(|e| {
            problem(Problem::new(
                StatusCode::BAD_REQUEST,
                "表单无法读取",
                format!(
                    "上传的表单不是 multipart/form-data（{}），没有导入任何数据。",
                    e.body_text()
                ),
            ))
        })?;
    // 1. The CSRF token, before anything else is read.
    let token = match form.next_field().await {
        Ok(Some(f)) if f.name() == Some(csrf::FIELD) => f.text().await.ok(),
        _ => None,
    };
    if !csrf::matches(&officer.0.csrf, token.as_deref()) {
        return Err(Problem::csrf().into_response());
    }
    // 2. The file, streamed into the importer; at most `limits.uploads` at once.
    let Ok(_slot) = s.uploads.0.clone().try_acquire_owned() else {
        return Err(problem(Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "服务器繁忙",
            format!(
                "同时进行的上传已达上限，请 {} 秒后重试；没有导入任何数据。",
                s.limits.retry_after
            ),
        )));
    };
    let mut field = match form.next_field().await {
        Ok(Some(f)) if f.name() == Some("file") => f,
        _ => {
            return Err(problem(Problem::new(
                StatusCode::BAD_REQUEST,
                "请选择文件",
                "表单缺少要导入的文件（file），没有导入任何数据。",
            )))
        }
    };
    let file = field
        .file_name()
        .and_then(|n| n.rsplit(['/', '\\']).next())
        .filter(|n| !n.is_empty())
        .unwrap_or("results.csv")
        .to_string();
    let (sender, receiver) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
    let pump = async move {
        loop {
            let chunk = match field.chunk().await {
                Ok(Some(c)) => Ok(c),
                Ok(None) => break,
                Err(e) => Err(std::io::Error::other(e.body_text())),
            };
            let failed = chunk.is_err();
            if sender.send(chunk).await.is_err() || failed {
                break;
            }
        }
    };
    let stream = futures_util::stream::unfold(receiver, |mut r| async move {
        r.recv().await.map(|item| (item, r))
    });
    let (input, too_large) = upload::reader(Body::from_stream(stream));
    let p = officer.principal().clone();
    let (_, outcome) = tokio::join!(
        pump,
        results_csv::import(&s.db, &p, &file, input, crate::clock::today())
    );
    if too_large.get() {
        return Err(problem(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "文件太大",
            format!("文件超过 {} 的上限，没有导入任何数据。", human(limit)),
        )));
    }
    let (status, outcome) = match outcome {
        Ok(done) => (StatusCode::OK, Outcome::Imported(done)),
        Err(InspectionError::File(errors)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Outcome::Invalid {
                total: errors.len(),
                errors: errors
                    .into_iter()
                    .map(|e| ErrorRow {
                        file: e.file,
                        line: e.line,
                        column: e.column,
                        message: e.message,
                    })
                    .collect(),
            },
        ),
        Err(InspectionError::Db(e)) => return Err(Problem::from(e).into_response()),
        Err(e) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Outcome::Refused(e.to_string()),
        ),
    };
    Ok(render(status, &page_of(s, &officer, Some(outcome))))
}
