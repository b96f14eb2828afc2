//! The HTTP API under `/api/v1`, JSON, described by the OpenAPI document at
//! `/api/v1/openapi.json`. [`app`] builds the one router that `dualdraw serve` and every API
//! test use.

mod audit;
mod calendar;
mod caller;
mod credit;
mod directory;
mod draws;
mod enterprises;
pub mod error;
mod extract;
mod inspection_schemas;
mod inspections;
pub mod limits;
mod openapi;
mod public;
pub(crate) mod transfer;
pub(crate) mod upload;

use crate::credit::rules::RuleTable;
use crate::db::Db;
use axum::Router;
use std::sync::Arc;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub rules: Arc<RuleTable>,
    /// Where the service keeps draw bundles (and, until the reveal, their secrets).
    pub bundles: std::path::PathBuf,
    /// Body limits and upload slots (`docs/http-limits.md`).
    pub limits: limits::Limits,
    pub uploads: limits::Uploads,
    /// Full log tiles already served (`docs/log.md` §4: they never change).
    pub tiles: crate::log::tile_cache::TileCache,
    /// The key that signs inspection code statements (`docs/results.md` §12.3).
    pub code_key: Arc<crate::inspection::code_key::CodeKey>,
    /// The 抽查事项清单 page as last built (`crate::web::ItemsCache`).
    pub items_page: crate::web::ItemsCache,
    /// The result categories, read once (`crate::inspection::catalog::CategoriesCache`).
    pub categories: crate::inspection::catalog::CategoriesCache,
    /// Where the portal's name search stops comparing names in code order
    /// (`crate::registry::store::NameBound`).
    pub name_bound: crate::registry::store::NameBound,
}

impl AppState {
    pub fn new(db: Db) -> AppState {
        AppState::with_bundles(db, "bundles")
    }

    /// A service keeping its bundles in `bundles` and, until [`AppState::with_code_key`] says
    /// otherwise, its code key in `dualdraw-log/codes.key` beside that directory.
    pub fn with_bundles(db: Db, bundles: impl Into<std::path::PathBuf>) -> AppState {
        let bundles: std::path::PathBuf = bundles.into();
        let key_dir = bundles
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."))
            .join("dualdraw-log");
        AppState {
            db,
            rules: Arc::new(RuleTable::builtin()),
            code_key: Arc::new(crate::inspection::code_key::CodeKey::new(
                key_dir.join("codes.key"),
            )),
            bundles,
            uploads: limits::Uploads::new(&limits::Limits::default()),
            limits: limits::Limits::default(),
            tiles: crate::log::tile_cache::TileCache::default(),
            items_page: crate::web::ItemsCache::default(),
            categories: crate::inspection::catalog::CategoriesCache::default(),
            name_bound: crate::registry::store::NameBound::default(),
        }
    }

    /// The code key's file (`docs/results.md` §12.3).
    pub fn with_code_key(mut self, path: impl Into<std::path::PathBuf>) -> AppState {
        self.code_key = Arc::new(crate::inspection::code_key::CodeKey::new(path));
        self
    }

    /// This state with other limits (and as many upload slots as they name).
    pub fn with_limits(mut self, limits: limits::Limits) -> AppState {
        self.uploads = limits::Uploads::new(&limits);
        self.limits = limits;
        self
    }
}

/// The answer to a method a path does not take; axum adds the `Allow` header.
async fn method_not_allowed(method: axum::http::Method) -> error::Error {
    error::Error::MethodNotAllowed(format!(
        "this endpoint does not take {method}; see /api/v1/openapi.json"
    ))
}

/// Every route of `/api/v1`, each with its OpenAPI operation: the one list of routes (`docs/api.md`, "How the document is made"). A handler joins the API by
/// being named here; `routes!` takes its method and path from its `#[utoipa::path]`, so a route
/// cannot be served without being described.
fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(openapi::serve))
        .routes(routes!(enterprises::list))
        .routes(routes!(enterprises::one))
        .routes(routes!(enterprises::tier))
        .routes(routes!(credit::records, credit::add_record))
        .routes(routes!(credit::record))
        .routes(routes!(credit::repairs, credit::file_repair))
        .routes(routes!(credit::overdue))
        .routes(routes!(credit::repair))
        .routes(routes!(credit::accept))
        .routes(routes!(credit::refuse))
        .routes(routes!(credit::approve))
        .routes(routes!(credit::deny))
        .routes(routes!(directory::departments))
        .routes(routes!(directory::items))
        .routes(routes!(directory::inspectors))
        .routes(routes!(directory::conflicts, directory::declare_conflict))
        .routes(routes!(transfer::import))
        .routes(routes!(transfer::export))
        .routes(routes!(calendar::add_workdays))
        .routes(routes!(calendar::years))
        .routes(routes!(draws::list, draws::prepare))
        .routes(routes!(draws::one))
        .routes(routes!(draws::report))
        .routes(routes!(draws::run))
        .routes(routes!(draws::abandon))
        .routes(routes!(draws::reveal))
        .routes(routes!(draws::file))
        .routes(routes!(audit::list))
        .routes(routes!(audit::verify))
        .routes(routes!(inspections::list_jobs))
        .routes(routes!(inspections::one_job))
        .routes(routes!(inspections::approve))
        .routes(routes!(inspections::notify))
        .routes(routes!(inspections::not_carried_out))
        .routes(routes!(inspections::replace))
        .routes(routes!(inspections::substitute))
        .routes(routes!(inspections::record_result))
        .routes(routes!(inspections::overdue))
        .routes(routes!(inspections::import))
        .routes(routes!(inspections::one_result))
        .routes(routes!(inspections::publish))
        .routes(routes!(inspections::correct))
        .routes(routes!(inspections::categories))
        .routes(routes!(inspections::list_proposals))
        .routes(routes!(inspections::confirm))
        .routes(routes!(inspections::reject))
        .routes(routes!(public::announcement))
        .routes(routes!(public::batch_results))
        .routes(routes!(inspections::substitutes))
        .routes(routes!(public::enterprise_results))
}

/// The routes outside `/api/v1` that the document describes.
fn service_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(openapi::health))
}

/// Every documented route, for the document.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::Head::openapi())
        .merge(service_routes())
        .nest("/api/v1", api_routes())
}

/// The router of the whole service.
pub fn app(state: AppState) -> Router {
    let (api, _) = api_routes().split_for_parts();
    let api = api
        .fallback(|| async {
            error::Error::NotFound("no such endpoint; see /api/v1/openapi.json".into())
        })
        .method_not_allowed_fallback(method_not_allowed)
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::guard,
        ));
    let (service, _) = service_routes().split_for_parts();
    service
        .nest("/api/v1", api)
        .merge(crate::log::http::routes())
        // The public portal's pages, `/public/…` JSON and embedded files; its fallback is the
        // HTML 404 page for every path no other route takes.
        .merge(crate::web::routes())
        .method_not_allowed_fallback(method_not_allowed)
        // `limits::guard` caps every API route's body at the route's own limit; the other
        // paths read no body.
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
