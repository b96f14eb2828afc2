//! The log over HTTP (C2SP `tlog-tiles`, `docs/log.md` §4): `/log/checkpoint`, `/log/key`,
//! `/log/witnesses`, `/log/tile/<L>/<N>[.p/<W>]` and `/log/tile/entries/<N>[.p/<W>]`. Full
//! tiles never change and are cached for a year; the rest for a few seconds.
//!
//! The hot path touches no database: the checkpoint is the one held in memory
//! (`super::head`), and a full tile once read is kept (`super::tile_cache`). Partial tiles, and
//! full tiles read for the first time, are one query.

use super::LogError;
use super::{head, store};
use crate::http::AppState;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use dualdraw_solver::tlog::tiles::{self, TilePath, WIDTH};

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const SHORT: &str = "public, max-age=5";
const TEXT: &str = "text/plain; charset=utf-8";
const BYTES: &str = "application/octet-stream";

/// The routes, merged into the service's router (`http::app`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/log/checkpoint", get(checkpoint))
        .route("/log/key", get(key))
        .route("/log/witnesses", get(witnesses))
        .route("/log/tile/{*path}", get(tile))
}

fn plain(status: StatusCode, cache: &'static str, kind: &'static str, body: Vec<u8>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, cache)],
        body,
    )
        .into_response()
}

fn not_found(m: String) -> Response {
    plain(
        StatusCode::NOT_FOUND,
        "no-store",
        TEXT,
        format!("{m}\n").into_bytes(),
    )
}

fn failed(e: LogError) -> Response {
    tracing::error!("log: {e}");
    plain(
        StatusCode::INTERNAL_SERVER_ERROR,
        "no-store",
        TEXT,
        b"the log cannot be read; see the service's logs\n".to_vec(),
    )
}

async fn checkpoint(State(s): State<AppState>) -> Response {
    match head::latest(&s.db).await {
        Ok(Some(h)) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, TEXT),
                (header::CACHE_CONTROL, "no-cache, max-age=0"),
            ],
            h.note.clone(),
        )
            .into_response(),
        Ok(None) => not_found("the log has no checkpoint yet".into()),
        Err(e) => failed(e),
    }
}

async fn meta_text(s: &AppState, name: &str) -> Response {
    let r: Result<Option<String>, LogError> = async {
        let mut conn = s.db.pool.acquire().await?;
        store::meta(&mut conn, name).await
    }
    .await;
    match r {
        Ok(Some(v)) => plain(
            StatusCode::OK,
            SHORT,
            TEXT,
            format!("{}\n", v.trim_end()).into_bytes(),
        ),
        Ok(None) => not_found(format!("the log has no {name} yet")),
        Err(e) => failed(e),
    }
}

async fn key(State(s): State<AppState>) -> Response {
    meta_text(&s, "verifier_key").await
}

async fn witnesses(State(s): State<AppState>) -> Response {
    meta_text(&s, "witnesses").await
}

async fn tile(State(s): State<AppState>, Path(path): Path<String>) -> Response {
    let Ok(tp) = TilePath::parse(&path) else {
        return not_found(format!("not a tile path: tile/{path}"));
    };
    let (level, index, width) = match tp {
        TilePath::Hashes {
            level,
            index,
            width,
        } => (level, index, width),
        TilePath::Entries { index, width } => (0, index, width),
    };
    let full = width == WIDTH;
    if full {
        if let Some(bytes) = s.tiles.get(&path) {
            return tile_response(IMMUTABLE, bytes);
        }
    }
    let r: Result<Option<Vec<u8>>, LogError> = async {
        // The tree served is the checkpoint's; a tile beyond it is read again from the
        // database first, in case another process signed a larger tree a moment ago.
        let in_tree = |h: Option<&head::Head>| {
            width <= tiles::width_in(h.map_or(0, |h| h.size), level, index)
        };
        if !in_tree(head::latest(&s.db).await?.as_deref())
            && !in_tree(head::reload(&s.db).await?.as_deref())
        {
            return Ok(None);
        }
        let mut conn = s.db.pool.acquire().await?;
        Ok(Some(match tp {
            TilePath::Hashes { .. } => {
                tiles::tile_bytes(&store::tile_hashes(&mut conn, level, index, width).await?)
            }
            TilePath::Entries { .. } => {
                let from = index * WIDTH;
                let rows = store::entries(&mut conn, from, from + width).await?;
                tiles::encode_bundle(rows.iter().map(|(_, leaf, _)| leaf.as_bytes()))
            }
        }))
    }
    .await;
    match r {
        Ok(Some(bytes)) => {
            let bytes = Bytes::from(bytes);
            if full {
                s.tiles.put(&path, bytes.clone());
                tile_response(IMMUTABLE, bytes)
            } else {
                tile_response(SHORT, bytes)
            }
        }
        Ok(None) => not_found(format!("tile/{path} is not in the log's current tree")),
        Err(e) => failed(e),
    }
}

fn tile_response(cache: &'static str, bytes: Bytes) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, BYTES),
            (header::CACHE_CONTROL, cache),
        ],
        bytes,
    )
        .into_response()
}
