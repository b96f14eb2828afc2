//! The working-day calendar, public: deadlines anyone can recount.

use super::error::{Error, ErrorBody, Result};
use super::extract::Query;
use super::AppState;
use crate::import::source::parse_date;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AddWorkdays {
    /// The day to count from (not counted), YYYY-MM-DD.
    #[param(format = Date)]
    date: String,
    /// Official working days to add.
    #[param(minimum = 0, maximum = 4294967295_u64)]
    n: u32,
}

/// The answer of `add-workdays`.
#[derive(Serialize, ToSchema)]
pub struct Workdays {
    pub date: chrono::NaiveDate,
    pub n: u32,
    pub result: chrono::NaiveDate,
}

/// The years with an official schedule.
#[derive(Serialize, ToSchema)]
pub struct Years {
    pub years: Vec<i32>,
}

#[utoipa::path(
    get,
    path = "/calendar/add-workdays",
    tag = "calendar",
    summary = "The date N official working days after DATE",
    description = "Who may call: anyone.",
    params(AddWorkdays),
    responses(
        (status = 200, description = "the date", body = Workdays),
        (status = 400, description = "bad_request: date or n is missing, or n is not a non-negative integer", body = ErrorBody),
        (status = 422, description = "invalid_date: date is not a date; no_schedule: the count runs into a year without an official schedule", body = ErrorBody),
    ),
)]
pub async fn add_workdays(
    State(s): State<AppState>,
    Query(q): Query<AddWorkdays>,
) -> Result<Json<Workdays>> {
    let date = parse_date(&q.date)
        .map_err(|m| Error::unprocessable("invalid_date", format!("date: {m}")))?;
    let mut conn = s.db.pool.acquire().await?;
    let cal = crate::calendar_store::load(&mut conn).await?;
    let result = cal
        .add_workdays(date, q.n)
        .map_err(|e| Error::unprocessable("no_schedule", e.to_string()))?;
    Ok(Json(Workdays {
        date,
        n: q.n,
        result,
    }))
}

#[utoipa::path(
    get,
    path = "/calendar/years",
    tag = "calendar",
    summary = "Years with an official schedule",
    description = "Who may call: anyone.",
    responses((status = 200, description = "the years", body = Years)),
)]
pub async fn years(State(s): State<AppState>) -> Result<Json<Years>> {
    let mut conn = s.db.pool.acquire().await?;
    let cal = crate::calendar_store::load(&mut conn).await?;
    Ok(Json(Years { years: cal.years() }))
}
