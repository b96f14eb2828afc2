//! Bulk CSV through HTTP: `POST /api/v1/imports/{kind}` takes the file as the request body
//! (UTF-8 or GB18030, detected) and runs the same import as the CLI; `GET /api/v1/exports/{kind}`
//! returns the CSV the CLI's `export` writes.

use super::caller::Caller;
use super::error::{Error, Result};
use super::extract::{Path, Query};
use super::AppState;
use crate::auth::Role;
use crate::import::{self, Context, ImportError, ImportReport, Kind};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::json;

fn kind(s: &str) -> Result<Kind> {
    Kind::parse(s).ok_or_else(|| {
        Error::NotFound(format!(
            "unknown kind '{s}'; one of {}",
            Kind::ALL.map(|k| k.as_str()).join(", ")
        ))
    })
}

/// Who may import or export a kind.
fn roles(kind: Kind) -> &'static [Role] {
    match kind {
        Kind::CreditRecords => &[Role::Admin, Role::Credit],
        _ => &[Role::Admin, Role::Planner],
    }
}

#[derive(Deserialize)]
pub struct FileName {
    file: Option<String>,
}

pub async fn import(
    State(s): State<AppState>,
    caller: Caller,
    Path(k): Path<String>,
    Query(q): Query<FileName>,
    body: Bytes,
) -> Result<Json<ImportReport>> {
    let kind = kind(&k)?;
    let p = caller.require(roles(kind))?;
    let file = q.file.unwrap_or_else(|| format!("{}.csv", kind.as_str()));
    let ctx = Context {
        actor: &p.actor(),
        at: &crate::clock::now(),
        rules: &s.rules,
    };
    match import::import(&s.db, kind, std::io::Cursor::new(body), &file, &ctx).await {
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

pub async fn export(
    State(s): State<AppState>,
    caller: Caller,
    Path(k): Path<String>,
) -> Result<impl IntoResponse> {
    let kind = kind(&k)?;
    caller.require(roles(kind))?;
    let mut conn = s.db.pool.acquire().await?;
    let mut out = Vec::new();
    import::export::export(&mut conn, s.db.backend, kind, &mut out).await?;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], out))
}
