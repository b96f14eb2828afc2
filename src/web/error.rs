//! The portal's error pages: a clear Chinese message with the right status, never a stack trace.
//! Internal errors are logged in full and shown as a short apology.

use super::Chrome;
use askama::Template;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};

/// Why a page cannot be shown.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// No such page or thing; the message says what was looked for.
    #[error("{0}")]
    NotFound(String),
    /// The request itself is wrong (a malformed USCC, a bad batch name): what to fix.
    #[error("{0}")]
    BadRequest(String),
    /// The path is a page, but not for this method (a form posted to a reading page).
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for PageError {
    fn from(e: sqlx::Error) -> Self {
        PageError::Internal(e.into())
    }
}

impl From<crate::log::LogError> for PageError {
    fn from(e: crate::log::LogError) -> Self {
        PageError::Internal(anyhow::anyhow!("log: {e}"))
    }
}

impl From<crate::draw::bundle::BundleError> for PageError {
    fn from(e: crate::draw::bundle::BundleError) -> Self {
        PageError::Internal(anyhow::anyhow!("bundle: {e}"))
    }
}

pub type PageResult<T> = Result<T, PageError>;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    status: u16,
    heading: &'static str,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, heading, message) = match &self {
            PageError::NotFound(m) => (StatusCode::NOT_FOUND, "找不到您要的页面或信息", m.clone()),
            PageError::BadRequest(m) => (StatusCode::BAD_REQUEST, "请求有误", m.clone()),
            PageError::MethodNotAllowed(m) => (
                StatusCode::METHOD_NOT_ALLOWED,
                "不支持这种请求方式",
                m.clone(),
            ),
            PageError::Internal(e) => {
                tracing::error!(error = ?e, "portal: internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "系统内部错误",
                    "服务暂时无法完成这个请求，错误已记录。请稍后再试；问题持续时请联系本辖区的抽查工作机构。"
                        .to_string(),
                )
            }
        };
        let page = ErrorPage {
            chrome: Chrome::new(""),
            status: status.as_u16(),
            heading,
            message,
        };
        let html = page.render().unwrap_or_else(|e| {
            tracing::error!("portal: error page: {e}");
            format!(
                "<!doctype html><meta charset=\"utf-8\"><title>{heading}</title><p>{heading}</p>"
            )
        });
        let mut response = (status, Html(html)).into_response();
        response.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
        response
    }
}

/// The answer to a path no route takes.
pub async fn not_found(uri: Uri) -> PageError {
    PageError::NotFound(format!(
        "本站没有 {} 这个页面。请从上方导航进入，或返回首页。",
        uri.path()
    ))
}

/// The answer to a method a page's path does not take (axum adds the `Allow` header): an HTML
/// page like every other error of the portal, not the API's JSON.
pub async fn method_not_allowed(method: Method, uri: Uri) -> PageError {
    PageError::MethodNotAllowed(format!(
        "页面 {} 不接受 {method} 请求。请用浏览器直接打开这个地址，或从上方导航进入。",
        uri.path()
    ))
}
