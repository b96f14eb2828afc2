//! Login and logout (`docs/workspace.md` §1): the token typed into the form becomes a session
//! cookie; logout deletes the session's row.

use super::{render, Officer, Posted, Problem};
use crate::http::AppState;
use crate::web::csrf;
use crate::web::session::{self, LoginError, SessionConfig, LOGIN_COOKIE};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "workspace/login.html")]
pub struct LoginPage {
    /// The portal layout's frame (`templates/base.html`).
    pub chrome: crate::web::Chrome,
    pub notice: Option<&'static str>,
    pub error: Option<&'static str>,
    pub csrf: String,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    expired: Option<String>,
    out: Option<String>,
}

/// The login page; it sets the pre-login cookie whose value the form double-submits.
fn page(status: StatusCode, notice: Option<&'static str>, error: Option<&'static str>) -> Response {
    let config = SessionConfig::get();
    let token = session::random_hex();
    let cookie = config.cookie_named(LOGIN_COOKIE, &token, 3600);
    let page = LoginPage {
        chrome: crate::web::Chrome::new("workspace"),
        notice,
        error,
        csrf: token,
    };
    ([(header::SET_COOKIE, cookie)], render(status, &page)).into_response()
}

pub async fn form(Query(q): Query<LoginQuery>) -> Response {
    let notice = if q.expired.is_some() {
        Some("会话已过期或已失效，请重新登录。")
    } else if q.out.is_some() {
        Some("您已安全退出。")
    } else {
        None
    };
    page(StatusCode::OK, notice, None)
}

#[derive(Deserialize)]
pub struct LoginForm {
    token: String,
    csrf: Option<String>,
}

pub async fn submit(
    State(s): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let expected = session::cookie_value(&headers, LOGIN_COOKIE).unwrap_or("");
    if !csrf::same_origin(&headers) || !csrf::matches(expected, f.csrf.as_deref()) {
        return Problem::csrf().into_response();
    }
    let config = SessionConfig::get();
    let previous = session::cookie_value(&headers, session::COOKIE);
    match session::login(&s.db, config, &f.token, previous).await {
        // Two cookies: `AppendHeaders` keeps both (an array of headers would keep the last).
        Ok((id, _)) => (
            AppendHeaders([
                (header::SET_COOKIE, config.cookie(&id)),
                (header::SET_COOKIE, config.cookie_named(LOGIN_COOKIE, "", 0)),
            ]),
            Redirect::to("/workspace"),
        )
            .into_response(),
        Err(LoginError::BadToken) => page(
            StatusCode::UNAUTHORIZED,
            None,
            Some("令牌无效或已被吊销。请核对后重新输入，或向系统管理员申请新令牌。"),
        ),
        Err(LoginError::Db(e)) => Problem::from(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn logout(State(s): State<AppState>, posted: Posted<Empty>) -> Response {
    let Officer(session) = posted.officer;
    if let Err(e) = session::logout(&s.db, &session).await {
        return Problem::from(e).into_response();
    }
    (
        [(header::SET_COOKIE, SessionConfig::get().clearing_cookie())],
        Redirect::to("/workspace/login?out=1"),
    )
        .into_response()
}
