//! Imports in the browser (`docs/workspace.md` §3.2): the same import as
//! `POST /api/v1/imports/{kind}` and `dualdraw import`, one transaction, from a
//! `multipart/form-data` form whose fields come in the order `csrf`, `kind`, `file`. The file
//! streams into the importer as it arrives (never held whole); errors come back as a table of
//! `FILE:LINE: column: message`, and nothing is imported when there is any.

use super::{render, Frame, Officer, Problem};
use crate::auth::Role;
use crate::http::limits::human;
use crate::http::{transfer, upload, AppState};
use crate::import::{self, Context, ImportError, ImportReport, Kind};
use crate::web::csrf;
use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// One line of the error table.
pub struct ErrorRow {
    pub file: String,
    pub line: u64,
    pub column: String,
    pub message: String,
}

pub enum Outcome {
    Imported(ImportReport),
    Invalid {
        file: String,
        total: usize,
        errors: Vec<ErrorRow>,
    },
    Failed(String),
}

#[derive(Template)]
#[template(path = "workspace/imports.html")]
pub struct ImportsPage {
    /// The portal layout's frame (`templates/base.html`).
    pub chrome: crate::web::Chrome,
    pub frame: Frame,
    pub kinds: Vec<(&'static str, &'static str)>,
    pub limit: String,
    pub outcome: Option<Outcome>,
}

/// The Chinese name of a kind.
fn kind_zh(kind: Kind) -> &'static str {
    match kind {
        Kind::Enterprises => "经营主体名录",
        Kind::CreditRecords => "信用记录",
        Kind::Departments => "部门",
        Kind::Items => "抽查事项清单",
        Kind::Inspectors => "执法检查人员名录",
        Kind::Conflicts => "回避关系",
    }
}

/// The kinds this role may import (the API's roles, `transfer::roles`).
fn kinds(role: Role) -> Vec<(&'static str, &'static str)> {
    Kind::ALL
        .into_iter()
        .filter(|k| transfer::roles(*k).contains(&role))
        .map(|k| (k.as_str(), kind_zh(k)))
        .collect()
}

const IMPORTERS: &[Role] = &[Role::Admin, Role::Planner, Role::Credit];

fn page_of(s: &AppState, officer: &Officer, outcome: Option<Outcome>) -> ImportsPage {
    ImportsPage {
        chrome: crate::web::Chrome::new("workspace"),
        frame: officer.frame(),
        kinds: kinds(officer.principal().role),
        limit: human(s.limits.import),
        outcome,
    }
}

pub async fn page(State(s): State<AppState>, officer: Officer) -> Response {
    if let Err(p) = officer.require(IMPORTERS) {
        return p.into_response();
    }
    render(StatusCode::OK, &page_of(&s, &officer, None))
}

/// The uploaded file's name without any directory (browsers may send a path).
fn base_name(name: Option<&str>, kind: Kind) -> String {
    name.and_then(|n| n.rsplit(['/', '\\']).next())
        .filter(|n| !n.is_empty())
        .map(String::from)
        .unwrap_or_else(|| format!("{}.csv", kind.as_str()))
}

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
        .map_err(|e| problem(not_a_form(e.body_text())))?;
    // 1. The CSRF token, before anything else is read.
    let token = match form.next_field().await {
        Ok(Some(f)) if f.name() == Some(csrf::FIELD) => f.text().await.ok(),
        _ => None,
    };
    if !csrf::matches(&officer.0.csrf, token.as_deref()) {
        return Err(Problem::csrf().into_response());
    }
    // 2. The kind, which the role must be allowed to import.
    let kind = match form.next_field().await {
        Ok(Some(f)) if f.name() == Some("kind") => f.text().await.ok(),
        _ => None,
    };
    let kind = kind.as_deref().and_then(Kind::parse).ok_or_else(|| {
        problem(Problem::new(
            StatusCode::BAD_REQUEST,
            "请选择数据类型",
            "表单缺少数据类型（kind），没有导入任何数据。",
        ))
    })?;
    let p = officer.principal().clone();
    if !transfer::roles(kind).contains(&p.role) {
        return Err(problem(Problem::new(
            StatusCode::FORBIDDEN,
            "无权导入",
            format!("您的角色不能导入{}。", kind_zh(kind)),
        )));
    }
    // 3. The file, streamed into the importer; at most `limits.uploads` at once.
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
    let file = base_name(field.file_name(), kind);
    let (sender, receiver) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
    let too_large = Arc::new(AtomicBool::new(false));
    let flag = too_large.clone();
    let pump = async move {
        loop {
            let chunk = match field.chunk().await {
                Ok(Some(c)) => Ok(c),
                Ok(None) => break,
                Err(e) => {
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        flag.store(true, Ordering::SeqCst);
                    }
                    Err(std::io::Error::other(e.body_text()))
                }
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
    let (input, _) = upload::reader(Body::from_stream(stream));
    let (actor, at) = (p.actor(), crate::clock::now());
    let ctx = Context {
        actor: &actor,
        at: &at,
        rules: &s.rules,
    };
    let (_, outcome) = tokio::join!(pump, import::import(&s.db, kind, input, &file, &ctx));
    if too_large.load(Ordering::SeqCst) {
        return Err(problem(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "文件太大",
            format!("文件超过 {} 的上限，没有导入任何数据。", human(limit)),
        )));
    }
    let (status, outcome) = match outcome {
        Ok(report) => (StatusCode::OK, Outcome::Imported(report)),
        Err(ImportError::Invalid {
            file,
            errors,
            total,
        }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Outcome::Invalid {
                file,
                total,
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
        Err(ImportError::Read { file, message }) => (
            StatusCode::BAD_REQUEST,
            Outcome::Failed(format!("无法读取 {file}：{message}")),
        ),
        Err(ImportError::Db(e)) => return Err(Problem::from(e).into_response()),
    };
    Ok(render(status, &page_of(s, &officer, Some(outcome))))
}

fn not_a_form(detail: String) -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        "表单无法读取",
        format!("上传的表单不是 multipart/form-data（{detail}），没有导入任何数据。"),
    )
}
