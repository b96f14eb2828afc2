//! The credit-repair queue (`docs/workspace.md` §3.3): every open request with its pending
//! step, the step's deadline, and how many official working days are left — or, past the
//! deadline, by how many it is late (`docs/credit.md`; the working-day calendar of
//! `crate::calendar`). The steps themselves are taken through the API.

use super::{render, Frame, Officer, Problem};
use crate::auth::Role;
use crate::credit::repair::RepairState;
use crate::credit::service;
use crate::http::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub struct Row {
    pub id: i64,
    pub uscc: String,
    pub record_id: i64,
    pub filed_on: String,
    pub step: &'static str,
    pub due: String,
    /// "还剩 N 个工作日", "今日到期" or "逾期 N 个工作日".
    pub standing: String,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "workspace/repairs.html")]
pub struct RepairsPage {
    /// The portal layout\'s frame (`templates/base.html`).
    pub chrome: crate::web::Chrome,
    pub frame: Frame,
    pub today: String,
    pub rows: Vec<Row>,
}

pub async fn page(State(s): State<AppState>, officer: Officer) -> Response {
    if let Err(p) = officer.require(&[Role::Admin, Role::Credit]) {
        return p.into_response();
    }
    match rows(&s).await {
        Ok((today, rows)) => render(
            StatusCode::OK,
            &RepairsPage {
                chrome: crate::web::Chrome::new("workspace"),
                frame: officer.frame(),
                today,
                rows,
            },
        ),
        Err(p) => p.with(officer.frame()).into_response(),
    }
}

async fn rows(s: &AppState) -> Result<(String, Vec<Row>), Problem> {
    let today = crate::clock::today();
    let mut conn = s.db.pool.acquire().await?;
    let cal = crate::calendar_store::load(&mut conn).await?;
    let mut rows = Vec::new();
    for state in ["submitted", "accepted"] {
        let list = service::requests(&mut conn, Some(state), None)
            .await
            .map_err(Problem::internal)?;
        for r in list {
            let (step, due) = match &r.state {
                RepairState::Submitted(x) => ("受理", x.intake_due),
                RepairState::Accepted(x) => ("决定", x.decision_due),
                _ => continue,
            };
            let (standing, overdue) = if today > due {
                match cal.workdays_between(due, today) {
                    Ok(n) => (format!("逾期 {n} 个工作日"), true),
                    Err(e) => (format!("已逾期（{e}）"), true),
                }
            } else if today == due {
                ("今日到期".to_string(), false)
            } else {
                match cal.workdays_between(today, due) {
                    Ok(n) => (format!("还剩 {n} 个工作日"), false),
                    Err(e) => (format!("未到期（{e}）"), false),
                }
            };
            rows.push(Row {
                id: r.id,
                uscc: r.uscc.to_string(),
                record_id: r.record_id,
                filed_on: r.state.filed().on.to_string(),
                step,
                due: due.to_string(),
                standing,
                overdue,
            });
        }
    }
    // Most urgent first: by deadline, then by id.
    rows.sort_by(|a, b| (&a.due, a.id).cmp(&(&b.due, b.id)));
    Ok((today.to_string(), rows))
}
