//! The public record of inspections, without a token (`docs/results.md` §6): JSON by default,
//! CSV with `?format=csv` (UTF-8, LF, the Chinese headers of `docs/results.md` §6.4).

use super::error::{Error, ErrorBody, Result};
use super::extract::{Path, Query};
use super::inspection_schemas as schema;
use super::AppState;
use crate::inspection::catalog::Categories;
use crate::inspection::public;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Format {
    /// json (default) or csv (UTF-8, LF, the Chinese headers of docs/results.md §6.4).
    #[param(pattern = "^(json|csv)$")]
    format: Option<String>,
}

impl Format {
    fn csv(&self) -> Result<bool> {
        match self.format.as_deref() {
            None | Some("json") => Ok(false),
            Some("csv") => Ok(true),
            Some(other) => Err(Error::BadRequest(format!(
                "format '{other}': use json or csv"
            ))),
        }
    }
}

fn csv_response(name: &str, text: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        text,
    )
        .into_response()
}

/// 抽查检查结果信息 of one enterprise.
#[utoipa::path(
    get,
    path = "/public/enterprises/{uscc}/inspection-results",
    tag = "public",
    summary = "抽查检查结果信息 of one enterprise: every published version",
    description = "Who may call: anyone.",
    params(("uscc" = String, Path, description = "统一社会信用代码"), Format),
    responses(
        (status = 200, description = "the published results", content(
            (schema::EnterpriseResults = "application/json"),
            (String = "text/csv; charset=utf-8"),
        )),
        (status = 400, description = "bad_request: format is neither json nor csv", body = ErrorBody),
    ),
)]
pub async fn enterprise_results(
    State(s): State<AppState>,
    Path(uscc): Path<String>,
    Query(f): Query<Format>,
) -> Result<Response> {
    let csv = f.csv()?;
    let rows = public::of_enterprise_read(&s.db, &uscc).await?;
    let cats = s.categories.get(&s.db).await?;
    if csv {
        let text = public::to_csv(
            public::RESULT_HEADER,
            rows.iter().map(|r| public::result_row(r, &cats)),
        );
        return Ok(csv_response(
            &format!("{uscc}-inspection-results.csv"),
            text,
        ));
    }
    Ok(Json(json!({
        "uscc": uscc,
        "results": rows.iter().map(|r| public::view(r, &cats)).collect::<Vec<_>>(),
    }))
    .into_response())
}

/// 抽查结果公告 of one batch.
#[utoipa::path(
    get,
    path = "/public/batches/{batch}/results",
    tag = "public",
    summary = "抽查结果公告: the published result versions of a batch",
    description = "Who may call: anyone.",
    params(("batch" = String, Path, description = "batch name"), Format),
    responses(
        (status = 200, description = "the published results", content(
            (schema::BatchResults = "application/json"),
            (String = "text/csv; charset=utf-8"),
        )),
        (status = 400, description = "bad_request: format is neither json nor csv", body = ErrorBody),
    ),
)]
pub async fn batch_results(
    State(s): State<AppState>,
    Path(batch): Path<String>,
    Query(f): Query<Format>,
) -> Result<Response> {
    let csv = f.csv()?;
    let mut conn = s.db.pool.acquire().await?;
    let rows = public::of_batch(&mut conn, &batch).await?;
    let cats = Categories::load(&mut conn).await?;
    if csv {
        let text = public::to_csv(
            public::RESULT_HEADER,
            rows.iter().map(|r| public::result_row(r, &cats)),
        );
        return Ok(csv_response(&format!("{batch}-results.csv"), text));
    }
    Ok(Json(json!({
        "batch": batch,
        "results": rows.iter().map(|r| public::view(r, &cats)).collect::<Vec<_>>(),
    }))
    .into_response())
}

/// 抽查任务公告 of one batch that has been run.
#[utoipa::path(
    get,
    path = "/public/batches/{batch}/announcement",
    tag = "public",
    summary = "抽查任务公告 of a run batch: per task its body, type 定向/不定向, items, scope, dates, number drawn; the drawn list once revealed",
    description = "Who may call: anyone.",
    params(("batch" = String, Path, description = "batch name"), Format),
    responses(
        (status = 200, description = "the announcement", content(
            (schema::Announcement = "application/json"),
            (String = "text/csv; charset=utf-8"),
        )),
        (status = 400, description = "bad_request: format is neither json nor csv", body = ErrorBody),
        (status = 404, description = "not_found: no such batch, or not run yet", body = ErrorBody),
        (status = 422, description = "invalid: the batch's bundle cannot be read", body = ErrorBody),
    ),
)]
pub async fn announcement(
    State(s): State<AppState>,
    Path(batch): Path<String>,
    Query(f): Query<Format>,
) -> Result<Response> {
    let csv = f.csv()?;
    let row = crate::draw::state::find(&s.db, &batch).await?;
    let state = match row {
        Some(r) if r.state == "run" || r.state == "revealed" => r.state,
        Some(r) => {
            return Err(Error::NotFound(format!(
                "batch '{batch}' is {}; its announcement exists once it is run",
                r.state
            )))
        }
        None => return Err(Error::NotFound(format!("no batch '{batch}'"))),
    };
    if !batch
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(Error::NotFound(format!("no batch '{batch}'")));
    }
    let bundle = crate::draw::bundle::Bundle::new(s.bundles.join(&batch));
    let mut conn = s.db.pool.acquire().await?;
    let a = public::announcement(&mut conn, &bundle, &state).await?;
    if csv {
        let text = public::to_csv(public::ANNOUNCEMENT_HEADER, public::announcement_rows(&a));
        return Ok(csv_response(&format!("{batch}-announcement.csv"), text));
    }
    Ok(Json(a).into_response())
}
