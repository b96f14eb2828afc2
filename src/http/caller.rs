//! The caller of a request: anonymous, or the principal of a valid bearer token.

use super::error::Error;
use super::AppState;
use crate::auth::{self, Principal, Role};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

/// Who is calling; `None` for anonymous requests.
pub struct Caller(pub Option<Principal>);

impl FromRequestParts<AppState> for Caller {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
            return Ok(Caller(None));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(Error::BadToken)?;
        let mut conn = state.db.pool.acquire().await?;
        match auth::lookup(&mut conn, token.trim()).await? {
            Some(p) => Ok(Caller(Some(p))),
            None => Err(Error::BadToken),
        }
    }
}

impl Caller {
    /// The principal, if it has one of `roles`: 401 when anonymous, 403 otherwise.
    pub fn require(&self, roles: &[Role]) -> Result<&Principal, Error> {
        match &self.0 {
            None => Err(Error::Unauthorized),
            Some(p) if roles.contains(&p.role) => Ok(p),
            Some(p) => Err(Error::Forbidden(format!(
                "role {} may not do this; needs one of: {}",
                p.role,
                roles
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }
}
