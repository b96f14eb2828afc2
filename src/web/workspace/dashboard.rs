//! The dashboard: who is logged in, the menu of their role, and what waits for them — draws
//! waiting for their next step (planners), open and overdue repair requests (credit officers).

use super::{render, Frame, Officer, Problem};
use crate::auth::Role;
use crate::http::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// One line of the to-do list: what, how many, where to go.
pub struct Todo {
    pub label: &'static str,
    pub count: usize,
    pub href: &'static str,
    /// Shown in red (overdue).
    pub urgent: bool,
}

#[derive(Template)]
#[template(path = "workspace/dashboard.html")]
pub struct Dashboard {
    /// The portal layout's frame (`templates/base.html`).
    pub chrome: crate::web::Chrome,
    pub frame: Frame,
    pub todo: Vec<Todo>,
}

pub async fn page(State(s): State<AppState>, officer: Officer) -> Response {
    match todo(&s, officer.principal().role).await {
        Ok(todo) => render(
            StatusCode::OK,
            &Dashboard {
                chrome: crate::web::Chrome::new("workspace"),
                frame: officer.frame(),
                todo,
            },
        ),
        Err(p) => p.with(officer.frame()).into_response(),
    }
}

async fn todo(s: &AppState, role: Role) -> Result<Vec<Todo>, Problem> {
    let mut list = Vec::new();
    if matches!(role, Role::Admin | Role::Planner) {
        let mut conn = s.db.pool.acquire().await?;
        let states: Vec<String> =
            sqlx::query_scalar("SELECT state FROM draws WHERE state IN ('committed', 'run')")
                .fetch_all(&mut *conn)
                .await?;
        let n = |state: &str| states.iter().filter(|s| *s == state).count();
        list.push(Todo {
            label: "已承诺、待录入随机源的抽查批次",
            count: n("committed"),
            href: "/workspace/draws",
            urgent: false,
        });
        list.push(Todo {
            label: "已抽取、待揭示的抽查批次",
            count: n("run"),
            href: "/workspace/draws",
            urgent: false,
        });
    }
    if matches!(role, Role::Admin | Role::Credit) {
        let (_, rows) = super::repairs::rows(s).await?;
        list.push(Todo {
            label: "待办的信用修复申请",
            count: rows.len(),
            href: "/workspace/repairs",
            urgent: false,
        });
        list.push(Todo {
            label: "其中已逾期的",
            count: rows.iter().filter(|r| r.overdue).count(),
            href: "/workspace/repairs",
            urgent: true,
        });
    }
    Ok(list)
}
