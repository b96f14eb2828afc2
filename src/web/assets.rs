//! The embedded static files (`build.rs`): `/assets/…` from `web/assets/` and the in-browser
//! verifier under `/verify/…` from `web/verifier/`, each with its content type, a strong ETag
//! (the SHA-256 of its bytes) and a short public cache that the browser revalidates.

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::OnceLock;

use super::PageError;
use crate::http::AppState;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// Browsers may keep a file five minutes, then ask again with its ETag.
const CACHE: &str = "public, max-age=300";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/assets/{*path}", get(asset))
        .route("/verify", get(|| async { Redirect::permanent("/verify/") }))
        .route(
            "/verify/",
            get(|h: HeaderMap| async move { serve(&VERIFIER, "index.html", &h) }),
        )
        .route("/verify/{*path}", get(verifier))
        .route(
            "/favicon.ico",
            get(|h: HeaderMap| async move { serve(&ASSETS, "icon.svg", &h) }),
        )
}

/// An embedded file: its bytes and ETag.
struct File {
    bytes: &'static [u8],
    etag: String,
}

struct Folder {
    files: OnceLock<BTreeMap<&'static str, File>>,
    list: &'static [(&'static str, &'static [u8])],
}

impl Folder {
    fn get(&self, path: &str) -> Option<&File> {
        self.files
            .get_or_init(|| {
                self.list
                    .iter()
                    .map(|(p, bytes)| {
                        let etag = format!("\"{}\"", &hex::encode(Sha256::digest(bytes))[..32]);
                        (*p, File { bytes, etag })
                    })
                    .collect()
            })
            .get(path)
    }
}

static ASSETS: Folder = Folder {
    files: OnceLock::new(),
    list: embedded::ASSETS,
};
static VERIFIER: Folder = Folder {
    files: OnceLock::new(),
    list: embedded::VERIFIER,
};

/// The content type of a file name.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn serve(folder: &Folder, path: &str, headers: &HeaderMap) -> Response {
    let Some(file) = folder.get(path) else {
        return PageError::NotFound(format!("没有静态文件 {path}。")).into_response();
    };
    let etag = HeaderValue::from_str(&file.etag).expect("hex is a header value");
    let cache = [
        (header::ETAG, etag),
        (header::CACHE_CONTROL, HeaderValue::from_static(CACHE)),
    ];
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == file.etag));
    if fresh {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    (
        cache,
        [(header::CONTENT_TYPE, content_type(path))],
        file.bytes,
    )
        .into_response()
}

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    serve(&ASSETS, &path, &headers)
}

async fn verifier(Path(path): Path<String>, headers: HeaderMap) -> Response {
    serve(&VERIFIER, &path, &headers)
}
