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
        // The body guard has looked this caller up already.
        if let Some(super::limits::Authorized(p)) = parts.extensions.get() {
            return Ok(Caller(Some(p.clone())));
        }
        Bearer::of(&parts.headers)?.caller(state).await
    }
}

/// The bearer token of a request before it is looked up; `None` for anonymous requests. For
/// handlers that look the token up together with what they read (one round trip, not two);
/// a malformed `Authorization` header is refused as by [`Caller`].
pub struct Bearer(pub Option<String>);

impl FromRequestParts<AppState> for Bearer {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Bearer::of(&parts.headers)
    }
}

impl Bearer {
    /// The bearer token of these headers: 401 `bad_token` for a malformed `Authorization`.
    pub fn of(headers: &axum::http::HeaderMap) -> Result<Bearer, Error> {
        let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else {
            return Ok(Bearer(None));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(Error::BadToken)?;
        Ok(Bearer(Some(token.trim().to_string())))
    }

    /// The caller this token stands for: 401 `bad_token` if it is unknown or revoked.
    pub async fn caller(&self, state: &AppState) -> Result<Caller, Error> {
        let Some(token) = &self.0 else {
            return Ok(Caller(None));
        };
        let mut conn = state.db.pool.acquire().await?;
        match auth::lookup(&mut conn, token).await? {
            Some(p) => Ok(Caller(Some(p))),
            None => Err(Error::BadToken),
        }
    }

    /// The caller, given what a combined lookup found for this token.
    pub fn found(&self, principal: Option<Principal>) -> Result<Caller, Error> {
        match (&self.0, principal) {
            (Some(_), None) => Err(Error::BadToken),
            (_, p) => Ok(Caller(p)),
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
