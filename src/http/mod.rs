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
mod inspections;
pub mod limits;
mod openapi;
mod public;
pub(crate) mod transfer;
pub(crate) mod upload;

use crate::credit::rules::RuleTable;
use crate::db::Db;
use axum::routing::{get, post};
use axum::{Json, Router};
use std::sync::Arc;
use tower_http::trace::TraceLayer;

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
    /// The 抽查事项清单 page as last built (`crate::web::ItemsCache`).
    pub items_page: crate::web::ItemsCache,
}

impl AppState {
    pub fn new(db: Db) -> AppState {
        AppState::with_bundles(db, "bundles")
    }

    pub fn with_bundles(db: Db, bundles: impl Into<std::path::PathBuf>) -> AppState {
        AppState {
            db,
            rules: Arc::new(RuleTable::builtin()),
            bundles: bundles.into(),
            uploads: limits::Uploads::new(&limits::Limits::default()),
            limits: limits::Limits::default(),
            tiles: crate::log::tile_cache::TileCache::default(),
            items_page: crate::web::ItemsCache::default(),
        }
    }

    /// This state with other limits (and as many upload slots as they name).
    pub fn with_limits(mut self, limits: limits::Limits) -> AppState {
        self.uploads = limits::Uploads::new(&limits);
        self.limits = limits;
        self
    }
}

/// Every route: (method, path) pairs, which the OpenAPI document must describe.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/api/v1/enterprises"),
    ("get", "/api/v1/enterprises/{uscc}"),
    ("get", "/api/v1/enterprises/{uscc}/tier"),
    ("get", "/api/v1/credit-records"),
    ("post", "/api/v1/credit-records"),
    ("get", "/api/v1/credit-records/{id}"),
    ("get", "/api/v1/repairs"),
    ("post", "/api/v1/repairs"),
    ("get", "/api/v1/repairs/overdue"),
    ("get", "/api/v1/repairs/{id}"),
    ("post", "/api/v1/repairs/{id}/accept"),
    ("post", "/api/v1/repairs/{id}/refuse"),
    ("post", "/api/v1/repairs/{id}/approve"),
    ("post", "/api/v1/repairs/{id}/deny"),
    ("get", "/api/v1/departments"),
    ("get", "/api/v1/items"),
    ("get", "/api/v1/inspectors"),
    ("get", "/api/v1/conflicts"),
    ("post", "/api/v1/conflicts"),
    ("post", "/api/v1/imports/{kind}"),
    ("get", "/api/v1/exports/{kind}"),
    ("get", "/api/v1/calendar/add-workdays"),
    ("get", "/api/v1/calendar/years"),
    ("get", "/api/v1/draws"),
    ("post", "/api/v1/draws"),
    ("get", "/api/v1/draws/{batch}"),
    ("post", "/api/v1/draws/{batch}/run"),
    ("post", "/api/v1/draws/{batch}/abandon"),
    ("post", "/api/v1/draws/{batch}/reveal"),
    ("get", "/api/v1/draws/{batch}/report"),
    ("get", "/api/v1/draws/{batch}/files/{path}"),
    ("get", "/api/v1/audit"),
    ("get", "/api/v1/audit/verify"),
    ("get", "/api/v1/inspection-jobs"),
    ("get", "/api/v1/inspection-jobs/{id}"),
    ("post", "/api/v1/inspection-jobs/{id}/approve"),
    ("post", "/api/v1/inspection-jobs/{id}/notify"),
    ("post", "/api/v1/inspection-jobs/{id}/not-carried-out"),
    ("post", "/api/v1/inspection-jobs/{id}/result"),
    ("post", "/api/v1/inspection-jobs/{id}/replace"),
    ("get", "/api/v1/inspection-results/overdue"),
    ("post", "/api/v1/inspection-results/import"),
    ("get", "/api/v1/inspection-results/{id}"),
    ("post", "/api/v1/inspection-results/{id}/publish"),
    ("post", "/api/v1/inspection-results/{id}/corrections"),
    ("get", "/api/v1/result-categories"),
    ("get", "/api/v1/credit-proposals"),
    ("post", "/api/v1/credit-proposals/{id}/confirm"),
    ("post", "/api/v1/credit-proposals/{id}/reject"),
    ("get", "/api/v1/public/batches/{batch}/announcement"),
    ("get", "/api/v1/public/batches/{batch}/results"),
    (
        "get",
        "/api/v1/public/enterprises/{uscc}/inspection-results",
    ),
];

/// The answer to a method a path does not take; axum adds the `Allow` header.
async fn method_not_allowed(method: axum::http::Method) -> error::Error {
    error::Error::MethodNotAllowed(format!(
        "this endpoint does not take {method}; see /api/v1/openapi.json"
    ))
}

/// The router of the whole service.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .route("/openapi.json", get(|| async { Json(openapi::document()) }))
        .route("/enterprises", get(enterprises::list))
        .route("/enterprises/{uscc}", get(enterprises::one))
        .route("/enterprises/{uscc}/tier", get(enterprises::tier))
        .route(
            "/credit-records",
            get(credit::records).post(credit::add_record),
        )
        .route("/credit-records/{id}", get(credit::record))
        .route("/repairs", get(credit::repairs).post(credit::file_repair))
        .route("/repairs/overdue", get(credit::overdue))
        .route("/repairs/{id}", get(credit::repair))
        .route("/repairs/{id}/{action}", post(credit::repair_step))
        .route("/departments", get(directory::departments))
        .route("/items", get(directory::items))
        .route("/inspectors", get(directory::inspectors))
        .route(
            "/conflicts",
            get(directory::conflicts).post(directory::declare_conflict),
        )
        .route("/imports/{kind}", post(transfer::import))
        .route("/exports/{kind}", get(transfer::export))
        .route("/calendar/add-workdays", get(calendar::add_workdays))
        .route("/calendar/years", get(calendar::years))
        .route("/draws", get(draws::list).post(draws::prepare))
        .route("/draws/{batch}", get(draws::one))
        .route("/draws/{batch}/report", get(draws::report))
        .route("/draws/{batch}/{action}", post(draws::step))
        .route("/draws/{batch}/files/{*path}", get(draws::file))
        .route("/audit", get(audit::list))
        .route("/audit/verify", get(audit::verify))
        .route("/inspection-jobs", get(inspections::list_jobs))
        .route("/inspection-jobs/{id}", get(inspections::one_job))
        .route(
            "/inspection-jobs/{id}/result",
            post(inspections::record_result),
        )
        .route(
            "/inspection-jobs/{id}/{action}",
            post(inspections::job_step),
        )
        .route("/inspection-results/overdue", get(inspections::overdue))
        .route("/inspection-results/import", post(inspections::import))
        .route("/inspection-results/{id}", get(inspections::one_result))
        .route(
            "/inspection-results/{id}/publish",
            post(inspections::publish),
        )
        .route(
            "/inspection-results/{id}/corrections",
            post(inspections::correct),
        )
        .route("/result-categories", get(inspections::categories))
        .route("/credit-proposals", get(inspections::list_proposals))
        .route("/credit-proposals/{id}/{action}", post(inspections::decide))
        .route(
            "/public/batches/{batch}/announcement",
            get(public::announcement),
        )
        .route(
            "/public/batches/{batch}/results",
            get(public::batch_results),
        )
        .route(
            "/public/enterprises/{uscc}/inspection-results",
            get(public::enterprise_results),
        )
        .fallback(|| async {
            error::Error::NotFound("no such endpoint; see /api/v1/openapi.json".into())
        })
        .method_not_allowed_fallback(method_not_allowed)
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::guard,
        ));
    Router::new()
        .route(
            "/healthz",
            get(|| async { Json(serde_json::json!({ "status": "ok" })) }),
        )
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
