//! Bulk CSV through HTTP: `POST /api/v1/imports/{kind}` takes the file as the request body
//! (UTF-8 or GB18030, detected) and runs the same import as the CLI, reading the body as it
//! streams in (`docs/http-limits.md`); `GET /api/v1/exports/{kind}` streams the CSV the CLI's
//! `export` writes, piece by piece as it is read from the database.

use super::caller::Caller;
use super::error::{Error, ErrorBody, Result};
use super::extract::{Path, Query};
use super::limits::BodyLimit;
use super::upload;
use super::AppState;
use crate::auth::Role;
use crate::import::{self, Context, ImportError, ImportReport, Kind};
use axum::body::{Body, Bytes};
use axum::extract::{Extension, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;

pub(super) fn kind(s: &str) -> Result<Kind> {
    Kind::parse(s).ok_or_else(|| {
        Error::NotFound(format!(
            "unknown kind '{s}'; one of {}",
            Kind::ALL.map(|k| k.as_str()).join(", ")
        ))
    })
}

/// Who may import or export a kind.
pub(crate) fn roles(kind: Kind) -> &'static [Role] {
    match kind {
        Kind::CreditRecords => &[Role::Admin, Role::Credit],
        _ => &[Role::Admin, Role::Planner],
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileName {
    /// The file name used in messages (default: KIND.csv).
    file: Option<String>,
}

#[utoipa::path(
    post,
    path = "/imports/{kind}",
    tag = "directories",
    summary = "Import a CSV file (the request body) in one transaction; 422 lists FILE:LINE: column: what is wrong",
    description = "Who may call: admin, planner; credit-records: admin, credit.\n\nThe body is the file, UTF-8 or GB18030 (detected), English or Chinese headers (docs/import-formats.md); it streams to the importer.",
    params(
        ("kind" = crate::import::Kind, Path, description = "what the file holds"),
        FileName,
    ),
    request_body(content = String, content_type = "text/csv"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "imported", body = ImportReport),
        (status = 400, description = "bad_request: the body cannot be read as text", body = ErrorBody),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not import this kind", body = ErrorBody),
        (status = 404, description = "not_found: no such kind", body = ErrorBody),
        (status = 422, description = "invalid_file: details.errors lists FILE:LINE: column: what is wrong (details.total counts them); nothing was imported", body = ErrorBody),
    ),
)]
pub async fn import(
    State(s): State<AppState>,
    caller: Caller,
    Path(k): Path<String>,
    Query(q): Query<FileName>,
    Extension(BodyLimit(limit)): Extension<BodyLimit>,
    body: Body,
) -> Result<Json<ImportReport>> {
    let kind = kind(&k)?;
    let p = caller.require(roles(kind))?;
    let file = q.file.unwrap_or_else(|| format!("{}.csv", kind.as_str()));
    let ctx = Context {
        actor: &p.actor(),
        at: &crate::clock::now(),
        rules: &s.rules,
    };
    let (input, too_large) = upload::reader(body);
    let outcome = import::import(&s.db, kind, input, &file, &ctx).await;
    if too_large.get() {
        return Err(Error::PayloadTooLarge { limit });
    }
    match outcome {
        Ok(report) => Ok(Json(report)),
        Err(ImportError::Invalid {
            file,
            errors,
            total,
        }) => Err(Error::Unprocessable {
            code: "invalid_file",
            message: format!("{total} error(s) in {file}; nothing was imported"),
            details: json!({
                "total": total,
                "errors": errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
            }),
        }),
        Err(ImportError::Read { file, message }) => {
            Err(Error::BadRequest(format!("cannot read {file}: {message}")))
        }
        Err(ImportError::Db(e)) => Err(e.into()),
    }
}

#[utoipa::path(
    get,
    path = "/exports/{kind}",
    tag = "directories",
    summary = "Export a table as CSV, in the format the import reads",
    description = "Who may call: admin, planner; credit-records: admin, credit.",
    params(("kind" = crate::import::Kind, Path, description = "which table")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the CSV file", body = String, content_type = "text/csv; charset=utf-8"),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: the role may not export this kind", body = ErrorBody),
        (status = 404, description = "not_found: no such kind", body = ErrorBody),
    ),
)]
pub async fn export(
    State(s): State<AppState>,
    caller: Caller,
    Path(k): Path<String>,
) -> Result<impl IntoResponse> {
    let kind = kind(&k)?;
    caller.require(roles(kind))?;
    let conn = s.db.pool.acquire().await?;
    let body = Body::from_stream(stream_export(conn, s.db.backend, kind));
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body))
}

/// The export's pieces, read by a task of their own; a failure half-way breaks the response
/// off (the client sees an incomplete transfer, never a shorter file that looks whole).
fn stream_export(
    mut conn: sqlx::pool::PoolConnection<sqlx::Any>,
    backend: crate::db::Backend,
    kind: Kind,
) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> {
    let (sender, receiver) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
    tokio::spawn(async move {
        let emit = |chunk: Vec<u8>| {
            let sender = sender.clone();
            async move {
                sender
                    .send(Ok(Bytes::from(chunk)))
                    .await
                    .map_err(|_| anyhow::anyhow!("the client went away"))
            }
        };
        let outcome = import::export::export_chunks(&mut conn, backend, kind, emit).await;
        if let Err(e) = outcome {
            tracing::warn!(error = ?e, kind = kind.as_str(), "export broken off");
            let _ = sender.send(Err(std::io::Error::other(e.to_string()))).await;
        }
    });
    futures_util::stream::unfold(receiver, |mut r| async move {
        r.recv().await.map(|item| (item, r))
    })
}
