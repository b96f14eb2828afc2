//! The working-day calendar in the database: the shipped schedules (`seeds/calendar/`) plus any
//! year imported with `dualdraw calendar import`, so every replica and the CLI count alike.

use crate::calendar::{CalendarDay, DayKind, WorkCalendar};
use chrono::{Datelike, NaiveDate};
use sqlx::AnyConnection;
use std::collections::BTreeSet;

/// The calendar in force: built-in years, replaced or extended by imported ones.
pub async fn load(conn: &mut AnyConnection) -> Result<WorkCalendar, sqlx::Error> {
    let rows = sqlx::query_as::<_, (String, String, String)>(
        "SELECT day, kind, note FROM calendar_days ORDER BY day",
    )
    .fetch_all(conn)
    .await?;
    let mut days = Vec::with_capacity(rows.len());
    for (day, kind, note) in rows {
        let date = NaiveDate::parse_from_str(&day, "%Y-%m-%d")
            .map_err(|_| sqlx::Error::Decode(format!("corrupt calendar day '{day}'").into()))?;
        let kind = DayKind::parse(&kind).map_err(|e| sqlx::Error::Decode(e.into()))?;
        days.push(CalendarDay { date, kind, note });
    }
    let mut cal = WorkCalendar::builtin();
    cal.add_days(&days);
    Ok(cal)
}

/// Stores an imported schedule, replacing the years it covers; returns those years.
pub async fn import(
    conn: &mut AnyConnection,
    days: &[CalendarDay],
    file: &str,
    actor: &str,
    at: &str,
) -> Result<Vec<i32>, sqlx::Error> {
    let years: BTreeSet<i32> = days.iter().map(|d| d.date.year()).collect();
    for year in &years {
        sqlx::query("DELETE FROM calendar_days WHERE day >= $1 AND day <= $2")
            .bind(format!("{year:04}-01-01"))
            .bind(format!("{year:04}-12-31"))
            .execute(&mut *conn)
            .await?;
    }
    for d in days {
        sqlx::query("INSERT INTO calendar_days (day, kind, note) VALUES ($1, $2, $3)")
            .bind(d.date.format("%Y-%m-%d").to_string())
            .bind(d.kind.as_str())
            .bind(&d.note)
            .execute(&mut *conn)
            .await?;
    }
    let years: Vec<i32> = years.into_iter().collect();
    let detail = serde_json::json!({ "file": file, "years": years, "days": days.len() });
    crate::audit::append(conn, actor, "calendar.import", file, &detail, at).await?;
    Ok(years)
}
