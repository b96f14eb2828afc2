//! The public portal (`docs/portal.md`): server-rendered Chinese pages from the templates in
//! `templates/` (askama, compiled into the binary), readable on a phone and without JavaScript;
//! the static files of `web/assets/` and the in-browser verifier of `web/verifier/`, embedded.
//!
//! One file per group of pages. [`routes`] is merged into `http::app`; the officials' workspace
//! (login, session, forms) lives beside these modules and adds its own routes there.

mod assets;
mod codes;
pub mod csrf;
mod draws;
mod enterprises;
pub mod error;
mod fair;
mod home;
mod items;
mod log;
mod plan;
pub mod proof_cache;
mod results;
pub mod session;
mod workspace;

use crate::http::AppState;
use askama::Template;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
pub use error::PageError;
pub use items::ItemsCache;
pub use proof_cache::warm;

/// The public pages, their JSON companions under `/public/…`, and the static files.
pub fn routes() -> Router<AppState> {
    // The pages answer a method they do not take with the HTML 405 page; the JSON companions
    // under `/public/…` keep the API's JSON 405 (set by `http::app` on what is left).
    let pages = Router::new()
        .route("/", get(home::page))
        .route("/items", get(items::page))
        .route("/draws", get(draws::list))
        .route("/draws/{batch}", get(draws::one))
        .route("/draws/{batch}/results", get(results::of_batch))
        .route("/enterprises", get(enterprises::lookup))
        .route("/enterprises/{uscc}", get(enterprises::one))
        .route("/fair", get(fair::page))
        .route("/plan/{batch}", get(plan::page))
        .route("/plan/{batch}/{chart}", get(plan::chart))
        .route("/log", get(log::page))
        .route("/code/{code}", get(codes::page))
        .merge(assets::routes())
        .merge(workspace::routes())
        .method_not_allowed_fallback(error::method_not_allowed);
    pages
        .route("/public/draws/{batch}/proof/{uscc}", get(draws::proof))
        .route("/public/codes/key", get(codes::key))
        .route("/public/codes/{code}", get(codes::statement))
        .fallback(error::not_found)
}

/// A page's frame: what `templates/base.html` shows around every page.
pub struct Chrome {
    /// The jurisdiction's name, shown in the header and the title.
    pub jurisdiction: String,
    /// The navigation entry of this page (`NAV`'s key), highlighted.
    pub current: &'static str,
}

/// The main navigation: (key, path, label).
pub const NAV: &[(&str, &str, &str)] = &[
    ("home", "/", "首页"),
    ("items", "/items", "抽查事项清单"),
    ("draws", "/draws", "抽查计划与任务公告"),
    ("enterprises", "/enterprises", "企业查询"),
    ("fair", "/fair", "抽签公平吗？"),
    ("log", "/log", "透明日志"),
    ("verify", "/verify/", "核验抽签包"),
];

impl Chrome {
    pub fn new(current: &'static str) -> Chrome {
        Chrome {
            jurisdiction: jurisdiction_name(),
            current,
        }
    }

    pub fn nav(&self) -> &'static [(&'static str, &'static str, &'static str)] {
        NAV
    }
}

/// `DUALDRAW_JURISDICTION_NAME`, else the log's jurisdiction code (`DUALDRAW_JURISDICTION`,
/// `docs/log.md`); the code `default` of a demo shows as 演示辖区.
pub fn jurisdiction_name() -> String {
    match std::env::var("DUALDRAW_JURISDICTION_NAME") {
        Ok(name) if !name.trim().is_empty() => name.trim().to_string(),
        _ => match crate::log::events::jurisdiction().as_str() {
            "default" => "演示辖区".to_string(),
            code => code.to_string(),
        },
    }
}

/// Renders a page; a template that fails to render is a 500 page.
pub fn render(page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => PageError::Internal(anyhow::anyhow!("template: {e}")).into_response(),
    }
}
