//! The officials' workspace under `/workspace` (`docs/workspace.md`): server-rendered pages
//! behind a session login, one module per page group. Every page works without JavaScript; the
//! import page's progress bar is the one script.
//!
//! What every page shares lives here: [`Officer`] (the logged-in official, or a redirect to the
//! login page), [`Posted`] (a form checked against the session's CSRF token before it is read),
//! [`Problem`] (an error page with a status, never a stack trace) and [`Frame`] (the role-aware
//! menu of the layout).

mod dashboard;
mod draws;
mod imports;
mod login;
mod repairs;
mod results;
mod results_import;

use super::csrf;
use super::session::{self, Found, Session, SessionConfig};
use crate::auth::{Principal, Role};
use crate::http::AppState;
use askama::Template;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::de::DeserializeOwned;

/// The workspace's routes, merged into the service's router by `src/web/mod.rs`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/workspace", get(dashboard::page))
        .route("/workspace/login", get(login::form).post(login::submit))
        .route("/workspace/logout", post(login::logout))
        .route(
            "/workspace/imports",
            get(imports::page).post(imports::upload),
        )
        .route("/workspace/repairs", get(repairs::page))
        .route("/workspace/jobs", get(results::list))
        .route("/workspace/jobs/{id}", get(results::one))
        .route("/workspace/jobs/{id}/{action}", post(results::job_step))
        .route("/workspace/jobs/{id}/code.svg", get(results::code_svg))
        .route(
            "/workspace/results/{id}/{action}",
            post(results::result_step),
        )
        .route("/workspace/results/overdue", get(results::overdue))
        .route(
            "/workspace/results/import",
            get(results_import::page).post(results_import::upload),
        )
        .route("/workspace/proposals", get(results::proposals))
        .route("/workspace/proposals/{id}/{action}", post(results::decide))
        .route("/workspace/repairs/{id}/{action}", post(repairs::step))
        .route("/workspace/draws", get(draws::list).post(draws::prepare))
        .route("/workspace/draws/{batch}", get(draws::wizard))
        .route("/workspace/draws/{batch}/run", post(draws::run))
        .route("/workspace/draws/{batch}/reveal", post(draws::reveal))
        .route("/workspace/draws/{batch}/report", get(draws::report))
        .route(
            "/workspace/assets/workspace.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    include_str!("workspace.js"),
                )
            }),
        )
}

/// An HTML page rendered from its template; a template that fails to render is a 500 page.
pub(crate) fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<!doctype html><meta charset=utf-8><title>内部错误</title><p>内部错误，已记录。</p>".to_string()),
            )
                .into_response()
        }
    }
}

/// A page that says what went wrong, with its status.
#[derive(Template)]
#[template(path = "workspace/problem.html")]
pub struct Problem {
    /// The portal layout's frame (`templates/base.html`).
    pub chrome: crate::web::Chrome,
    pub status: StatusCode,
    pub title: String,
    pub message: String,
    pub frame: Option<Box<Frame>>,
}

impl Problem {
    pub fn new(status: StatusCode, title: &str, message: impl Into<String>) -> Problem {
        Problem {
            chrome: crate::web::Chrome::new("workspace"),
            status,
            title: title.into(),
            message: message.into(),
            frame: None,
        }
    }

    /// 403: a form without its CSRF token or with another one; nothing was changed.
    pub fn csrf() -> Problem {
        Problem::new(
            StatusCode::FORBIDDEN,
            "表单已失效",
            "这个表单缺少有效的安全令牌（CSRF），请求已被拒绝，没有做任何更改。请返回页面刷新后重新提交。",
        )
    }

    pub fn internal(e: impl std::fmt::Debug) -> Problem {
        tracing::error!(error = ?e, "internal error");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "内部错误",
            "服务器内部错误，已记录日志；没有做任何更改。",
        )
    }

    pub fn with(mut self, frame: Frame) -> Problem {
        self.frame = Some(Box::new(frame));
        self
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        render(self.status, &self)
    }
}

impl From<sqlx::Error> for Problem {
    fn from(e: sqlx::Error) -> Self {
        Problem::internal(e)
    }
}

/// One entry of the menu.
pub struct MenuItem {
    pub href: &'static str,
    pub label: &'static str,
    /// Shown greyed out, not a link: the feature has not been built yet.
    pub not_yet: bool,
}

/// What the layout shows around every page of a logged-in official.
pub struct Frame {
    pub who: String,
    pub role: &'static str,
    pub menu: Vec<MenuItem>,
    pub csrf: String,
}

/// The Chinese name of a role.
pub fn role_zh(role: Role) -> &'static str {
    match role {
        Role::Admin => "系统管理员",
        Role::Planner => "计划编制（牵头部门）",
        Role::Department => "部门执法人员",
        Role::Credit => "信用管理",
        Role::Inspector => "检查人员",
        Role::Enterprise => "经营主体",
    }
}

/// The menu of a role: only what the role may use (the API checks the same roles).
pub fn menu(role: Role) -> Vec<MenuItem> {
    use Role::*;
    let item = |href, label| MenuItem {
        href,
        label,
        not_yet: false,
    };
    let mut m = vec![item("/workspace", "工作台")];
    if matches!(role, Admin | Planner | Credit) {
        m.push(item("/workspace/imports", "数据导入"));
    }
    if matches!(role, Admin | Credit) {
        m.push(item("/workspace/repairs", "信用修复"));
    }
    if matches!(role, Admin | Planner) {
        m.push(item("/workspace/draws", "抽查摇号"));
    }
    if matches!(role, Admin | Planner | Department | Inspector) {
        m.push(item("/workspace/jobs", "检查任务与结果"));
    }
    if matches!(role, Admin | Department) {
        m.push(item("/workspace/results/import", "批量导入结果"));
    }
    if matches!(role, Admin | Planner | Department) {
        m.push(item("/workspace/results/overdue", "逾期未公示"));
    }
    if matches!(role, Admin | Credit) {
        m.push(item("/workspace/proposals", "信用处置建议"));
    }
    m
}

/// A logged-in official: the session of the request's cookie. Without one the request is sent
/// to the login page (which says so when the session expired).
pub struct Officer(pub Session);

impl Officer {
    pub fn principal(&self) -> &Principal {
        &self.0.principal
    }

    pub fn frame(&self) -> Frame {
        let p = self.principal();
        Frame {
            who: p.label.clone(),
            role: role_zh(p.role),
            menu: menu(p.role),
            csrf: self.0.csrf.clone(),
        }
    }

    /// The official, if the role is one of `roles`; otherwise a 403 page.
    pub fn require(&self, roles: &[Role]) -> Result<&Principal, Problem> {
        let p = self.principal();
        if roles.contains(&p.role) {
            return Ok(p);
        }
        Err(Problem::new(
            StatusCode::FORBIDDEN,
            "无权访问",
            format!("您的角色（{}）不能使用此功能。", role_zh(p.role)),
        )
        .with(self.frame()))
    }
}

impl FromRequestParts<AppState> for Officer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Response> {
        let config = SessionConfig::get();
        match session::find(&s.db, config, &parts.headers).await {
            Ok(Found::Live(session)) => Ok(Officer(session)),
            Ok(Found::None) => Err(Redirect::to("/workspace/login").into_response()),
            Ok(Found::Expired) => Err((
                [(header::SET_COOKIE, config.clearing_cookie())],
                Redirect::to("/workspace/login?expired=1"),
            )
                .into_response()),
            Err(e) => Err(Problem::from(e).into_response()),
        }
    }
}

/// A POSTed `application/x-www-form-urlencoded` form of a logged-in official whose CSRF token
/// matched the session's. Refused with 403 otherwise, before the form is read any further.
pub struct Posted<T> {
    pub officer: Officer,
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<AppState> for Posted<T> {
    type Rejection = Response;

    async fn from_request(req: Request, s: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let officer = Officer::from_request_parts(&mut parts, s).await?;
        if !csrf::same_origin(&parts.headers) {
            return Err(Problem::csrf().into_response());
        }
        let bytes = axum::body::to_bytes(body, s.limits.draw as usize)
            .await
            .map_err(|_| {
                Problem::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "表单太大",
                    format!(
                        "表单超过 {} 的上限，没有做任何更改。",
                        crate::http::limits::human(s.limits.draw)
                    ),
                )
                .into_response()
            })?;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| bad_form(e.to_string()).into_response())?;
        if !csrf::matches(&officer.0.csrf, csrf::field(&pairs, csrf::FIELD).as_deref()) {
            return Err(Problem::csrf().into_response());
        }
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            bad_form(e.to_string())
                .with(officer.frame())
                .into_response()
        })?;
        Ok(Posted { officer, form })
    }
}

fn bad_form(detail: String) -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        "表单无法读取",
        format!("表单内容不完整或格式不对（{detail}），没有做任何更改。"),
    )
}
