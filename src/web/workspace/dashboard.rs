//! The dashboard: who is logged in, and the menu of their role.

use super::{render, Frame, Officer};
use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

#[derive(Template)]
#[template(path = "workspace/dashboard.html")]
pub struct Dashboard {
    /// The portal layout\'s frame (`templates/base.html`).
    pub chrome: crate::web::Chrome,
    pub frame: Frame,
}

pub async fn page(officer: Officer) -> Response {
    render(
        StatusCode::OK,
        &Dashboard {
            chrome: crate::web::Chrome::new("workspace"),
            frame: officer.frame(),
        },
    )
}
