//! The working-day calendar, public: deadlines anyone can recount.

use super::error::{Error, Result};
use super::extract::Query;
use super::AppState;
use crate::import::source::parse_date;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
pub struct AddWorkdays {
    date: String,
    n: u32,
}

pub async fn add_workdays(
    State(s): State<AppState>,
    Query(q): Query<AddWorkdays>,
) -> Result<Json<Value>> {
    let date = parse_date(&q.date)
        .map_err(|m| Error::unprocessable("invalid_date", format!("date: {m}")))?;
    let mut conn = s.db.pool.acquire().await?;
    let cal = crate::calendar_store::load(&mut conn).await?;
    let result = cal
        .add_workdays(date, q.n)
        .map_err(|e| Error::unprocessable("no_schedule", e.to_string()))?;
    Ok(Json(json!({ "date": date, "n": q.n, "result": result })))
}

pub async fn years(State(s): State<AppState>) -> Result<Json<Value>> {
    let mut conn = s.db.pool.acquire().await?;
    let cal = crate::calendar_store::load(&mut conn).await?;
    Ok(Json(json!({ "years": cal.years() })))
}
