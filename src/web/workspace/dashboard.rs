//! The dashboard: who is logged in, and the menu of their role.

use super::{render, Frame, Officer};
use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

#[derive(Template)]
#[template(path = "workspace/dashboard.html")]
pub struct Dashboard {
    pub frame: Frame,
}

pub async fn page(officer: Officer) -> Response {
    render(
        StatusCode::OK,
        &Dashboard {
            frame: officer.frame(),
        },
    )
}
