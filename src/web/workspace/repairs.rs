//! The credit-repair queue (`docs/workspace.md` §3.3): every open request with its pending
//! step, the step's deadline, and how many official working days are left — or, past the
//! deadline, by how many it is late (`docs/credit.md`; the working-day calendar of
//! `crate::calendar`). Each row has the forms of its next step — accept or refuse at intake,
//! approve or deny at the decision — which call the same use cases as
//! `POST /api/v1/repairs/{id}/{action}` (`crate::credit::service`), dated today.

use super::{render, Frame, Officer, Posted, Problem};
use crate::auth::Role;
use crate::credit::repair::RepairState;
use crate::credit::service::{self, Act, CreditError};
use crate::http::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

const OFFICERS: &[Role] = &[Role::Admin, Role::Credit];

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
    /// The portal layout's frame (`templates/base.html`).
    pub chrome: crate::web::Chrome,
    pub frame: Frame,
    pub today: String,
    pub rows: Vec<Row>,
    pub message: Option<String>,
    pub error: Option<String>,
}

pub async fn page(State(s): State<AppState>, officer: Officer) -> Response {
    if let Err(p) = officer.require(OFFICERS) {
        return p.into_response();
    }
    queue(&s, &officer, StatusCode::OK, None, None).await
}

async fn queue(
    s: &AppState,
    officer: &Officer,
    status: StatusCode,
    message: Option<String>,
    error: Option<String>,
) -> Response {
    match rows(s).await {
        Ok((today, rows)) => render(
            status,
            &RepairsPage {
                chrome: crate::web::Chrome::new("workspace"),
                frame: officer.frame(),
                today,
                rows,
                message,
                error,
            },
        ),
        Err(p) => p.with(officer.frame()).into_response(),
    }
}

#[derive(Deserialize)]
pub struct StepForm {
    #[serde(default)]
    reasons: String,
}

/// `POST /workspace/repairs/{id}/{action}`: accept, refuse, approve or deny, today.
pub async fn step(
    State(s): State<AppState>,
    Path((id, action)): Path<(i64, String)>,
    posted: Posted<StepForm>,
) -> Response {
    let Posted { officer, form } = posted;
    let p = match officer.require(OFFICERS) {
        Ok(p) => p.clone(),
        Err(e) => return e.into_response(),
    };
    let act = Act {
        actor: p.actor(),
        on: crate::clock::today(),
        at: crate::clock::now(),
        only_uscc: None,
    };
    // One reason a line; refusals and denials need at least one (the use case checks).
    let reasons: Vec<String> = form
        .reasons
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    let done = match action.as_str() {
        "accept" => service::accept(&s.db, &s.rules, id, &act)
            .await
            .map(|_| "已受理"),
        "refuse" => service::refuse(&s.db, id, reasons, &act)
            .await
            .map(|_| "已不予受理"),
        "approve" => service::approve(&s.db, &s.rules, id, &act)
            .await
            .map(|_| "已同意修复，该记录停止公示，信用等级已重新计算"),
        "deny" => service::deny(&s.db, id, reasons, &act)
            .await
            .map(|_| "已不同意修复"),
        _ => {
            return Problem::new(
                StatusCode::NOT_FOUND,
                "没有这个操作",
                "信用修复的操作只有受理、不予受理、同意和不同意。",
            )
            .with(officer.frame())
            .into_response()
        }
    };
    match done {
        Ok(what) => {
            let m = format!("申请 {id}：{what}。");
            queue(&s, &officer, StatusCode::OK, Some(m), None).await
        }
        Err(e) => {
            let (status, m) = refused(id, e);
            queue(&s, &officer, status, None, Some(m)).await
        }
    }
}

/// The status and Chinese message of a refused repair step; nothing was changed.
fn refused(id: i64, e: CreditError) -> (StatusCode, String) {
    let (status, what) = match &e {
        CreditError::NotFound(_) => (StatusCode::NOT_FOUND, "找不到"),
        CreditError::WrongState { .. } => (StatusCode::CONFLICT, "该申请已不在这一步"),
        CreditError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "输入有误"),
        CreditError::Db(_) | CreditError::Calendar(_) => {
            tracing::error!(error = ?e, "repair step");
            (StatusCode::INTERNAL_SERVER_ERROR, "内部错误")
        }
        _ => (StatusCode::CONFLICT, "不能办理"),
    };
    let detail = match status {
        StatusCode::INTERNAL_SERVER_ERROR => "已记录日志".to_string(),
        _ => e.to_string(),
    };
    (
        status,
        format!("申请 {id}：{what}，没有做任何更改（{detail}）。"),
    )
}

pub(super) async fn rows(s: &AppState) -> Result<(String, Vec<Row>), Problem> {
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
