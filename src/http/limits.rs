//! The request-body boundary (`docs/http-limits.md`): on every route that takes a body, the
//! caller is checked BEFORE a byte of the body is read, the body is capped at a limit sized to
//! the route, and uploads (CSV imports, draw preparations) are limited in number.
//!
//! One table, [`policy`], names for each route with a body who may call it, its limit and
//! whether it counts as an upload. The [`guard`] middleware, applied to the whole API router,
//! answers 401/403 from the headers alone, 413 `payload_too_large` from `Content-Length` (and
//! again if a body without one runs past the limit), and 429 `too_many_uploads` with
//! `Retry-After` when every upload slot is taken. Handlers keep their own role checks; the
//! middleware hands them the caller it already looked up.

use super::caller::{Bearer, Caller};
use super::error::Error;
use super::AppState;
use crate::auth::{Principal, Role};
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// The body limits of the service and the number of uploads it takes at once.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Every JSON body (credit records, repairs and their steps, conflicts, draw steps), and
    /// any route not named otherwise.
    pub json: u64,
    /// `POST /api/v1/draws`: tasks, policy, history and complaints CSV inside one JSON body.
    pub draw: u64,
    /// `POST /api/v1/imports/{kind}`: a CSV file, streamed to the importer, never held whole.
    pub import: u64,
    /// Uploads (imports and draw preparations) served at once; more get 429.
    pub uploads: usize,
    /// The `Retry-After` of a refused upload, in seconds.
    pub retry_after: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            json: 64 << 10,
            draw: 8 << 20,
            import: 2 << 30,
            uploads: 4,
            retry_after: 5,
        }
    }
}

/// The upload slots of a running service, shared by its handlers.
#[derive(Clone)]
pub struct Uploads(pub Arc<Semaphore>);

impl Uploads {
    pub fn new(limits: &Limits) -> Uploads {
        Uploads(Arc::new(Semaphore::new(limits.uploads)))
    }
}

/// The limit a request's body was given, for handlers that read the body themselves.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimit(pub u64);

/// Which of [`Limits`] applies to a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    Json,
    Draw,
    Import,
}

/// What a route with a body demands before its body is read.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    pub roles: &'static [Role],
    pub size: Size,
    /// Counts against [`Limits::uploads`].
    pub upload: bool,
}

const PLANNERS: &[Role] = &[Role::Admin, Role::Planner];

const fn json(roles: &'static [Role]) -> Policy {
    Policy {
        roles,
        size: Size::Json,
        upload: false,
    }
}

/// The policy of `method` on the route `matched` (its pattern) at `path`; `Ok(None)` for a
/// route that takes no body (a GET); 404 for an import of a kind that does not exist.
pub fn policy(method: &Method, matched: &str, path: &str) -> Result<Option<Policy>, Error> {
    if method != Method::POST {
        return Ok(None);
    }
    let route = matched.strip_prefix("/api/v1").unwrap_or(matched);
    // The steps of a repair, a draw, a job or a proposal, each its own route.
    let step_of = |owner: &str| route.strip_prefix(owner).is_some_and(|r| !r.contains('/'));
    Ok(Some(match route {
        "/credit-records" => json(&[Role::Admin, Role::Credit, Role::Department]),
        "/repairs" => json(&[Role::Admin, Role::Credit, Role::Enterprise]),
        _ if step_of("/repairs/{id}/") => json(&[Role::Admin, Role::Credit]),
        "/conflicts" => json(&[
            Role::Admin,
            Role::Planner,
            Role::Department,
            Role::Inspector,
        ]),
        "/imports/{kind}" => {
            let kind = super::transfer::kind(path.rsplit('/').next().unwrap_or(""))?;
            Policy {
                roles: super::transfer::roles(kind),
                size: Size::Import,
                upload: true,
            }
        }
        "/draws" => Policy {
            roles: PLANNERS,
            size: Size::Draw,
            upload: true,
        },
        _ if step_of("/draws/{batch}/") => json(PLANNERS),
        "/inspection-jobs/{id}/result" | "/inspection-results/{id}/corrections" => {
            json(&[Role::Admin, Role::Department, Role::Inspector])
        }
        "/inspection-results/{id}/publish" => json(&[Role::Admin, Role::Department]),
        _ if step_of("/inspection-jobs/{id}/") => json(&[Role::Admin, Role::Department]),
        "/inspection-results/import" => Policy {
            roles: &[Role::Admin, Role::Department],
            size: Size::Import,
            upload: true,
        },
        _ if step_of("/credit-proposals/{id}/") => json(&[Role::Admin, Role::Credit]),
        _ => return Ok(None),
    }))
}

impl Limits {
    fn of(&self, size: Size) -> u64 {
        match size {
            Size::Json => self.json,
            Size::Draw => self.draw,
            Size::Import => self.import,
        }
    }
}

/// The middleware: caller, size and upload slot checked from the headers, then the body
/// capped at the route's limit. See the module documentation.
pub async fn guard(State(s): State<AppState>, req: Request, next: Next) -> Response {
    match admit(&s, req).await {
        Ok((req, limit, permit)) => {
            let response = next.run(req).await;
            drop(permit);
            as_json_413(response, limit)
        }
        Err(e) => e.into_response(),
    }
}

type Admitted = (Request, u64, Option<tokio::sync::OwnedSemaphorePermit>);

async fn admit(s: &AppState, req: Request) -> Result<Admitted, Error> {
    let (mut parts, body) = req.into_parts();
    let matched = parts
        .extensions
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_default();
    let policy = policy(&parts.method, &matched, parts.uri.path())?;
    let limit = policy.map_or(s.limits.json, |p| s.limits.of(p.size));
    let mut permit = None;
    if let Some(policy) = policy {
        let principal = authorize(s, &parts, policy.roles).await?;
        parts.extensions.insert(Authorized(principal));
        refuse_declared_size(&parts, limit)?;
        if policy.upload {
            permit = Some(upload_slot(s)?);
        }
    } else {
        if super::openapi::needs_token(&parts.method, &matched) {
            // 401 before the path and the query are read (`docs/api.md`): the document says
            // which routes need a token.
            let caller: Caller = Bearer::of(&parts.headers)?.caller(s).await?;
            let principal = caller.0.ok_or(Error::Unauthorized)?;
            parts.extensions.insert(Authorized(principal));
        }
        refuse_declared_size(&parts, limit)?;
    }
    parts.extensions.insert(BodyLimit(limit));
    let body = Body::new(http_body_util::Limited::new(body, limit as usize));
    Ok((Request::from_parts(parts, body), limit, permit))
}

/// The caller the guard let through, for [`Caller`] to reuse.
#[derive(Clone)]
pub struct Authorized(pub Principal);

/// 401 for anonymous callers and unknown tokens, 403 for a role the route does not take.
async fn authorize(
    s: &AppState,
    parts: &axum::http::request::Parts,
    roles: &[Role],
) -> Result<Principal, Error> {
    let caller: Caller = Bearer::of(&parts.headers)?.caller(s).await?;
    caller.require(roles).cloned()
}

/// 413 before reading when `Content-Length` already says the body is too big.
fn refuse_declared_size(parts: &axum::http::request::Parts, limit: u64) -> Result<(), Error> {
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n > limit => Err(Error::PayloadTooLarge { limit }),
        _ => Ok(()),
    }
}

fn upload_slot(s: &AppState) -> Result<tokio::sync::OwnedSemaphorePermit, Error> {
    s.uploads
        .0
        .clone()
        .try_acquire_owned()
        .map_err(|_| Error::TooManyUploads {
            slots: s.limits.uploads,
            retry_after: s.limits.retry_after,
        })
}

/// axum's own 413 (a body without `Content-Length` that ran past the limit into a `Bytes`
/// extractor) is plain text: give it the API's JSON form.
fn as_json_413(response: Response, limit: u64) -> Response {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_json {
        return Error::PayloadTooLarge { limit }.into_response();
    }
    response
}

/// A limit in the unit a person reads: `64 KiB`, `8 MiB`, `2 GiB`, else bytes.
pub fn human(bytes: u64) -> String {
    for (shift, unit) in [(30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if bytes >= 1 << shift && bytes.is_multiple_of(1 << shift) {
            return format!("{} {unit}", bytes >> shift);
        }
    }
    format!("{bytes} bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_post_route_has_a_policy() {
        let doc = super::super::openapi::document();
        let mut posts = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            if item["post"].is_null() {
                continue;
            }
            posts += 1;
            let real = path.replace("{kind}", "enterprises");
            let p = policy(&Method::POST, path, &real).unwrap();
            assert!(p.is_some(), "POST {path} has no body policy");
        }
        assert!(posts >= 20, "{posts} POST routes");
    }

    #[test]
    fn steps_take_the_roles_of_their_owner() {
        let roles = |path: &str| policy(&Method::POST, path, path).unwrap().unwrap().roles;
        assert_eq!(
            roles("/api/v1/repairs/{id}/approve"),
            &[Role::Admin, Role::Credit]
        );
        assert_eq!(roles("/api/v1/draws/{batch}/run"), PLANNERS);
        assert_eq!(
            roles("/api/v1/inspection-jobs/{id}/result"),
            &[Role::Admin, Role::Department, Role::Inspector]
        );
        assert_eq!(
            roles("/api/v1/inspection-jobs/{id}/notify"),
            &[Role::Admin, Role::Department]
        );
        assert!(policy(&Method::POST, "/api/v1/draws/{batch}/files/x", "")
            .unwrap()
            .is_none());
    }

    #[test]
    fn unknown_import_kinds_are_404_before_anything_else() {
        let e = policy(&Method::POST, "/api/v1/imports/{kind}", "/api/v1/imports/x");
        assert!(matches!(e, Err(Error::NotFound(_))));
    }

    #[test]
    fn limits_are_named_in_readable_units() {
        assert_eq!(human(64 << 10), "64 KiB");
        assert_eq!(human(8 << 20), "8 MiB");
        assert_eq!(human(2 << 30), "2 GiB");
        assert_eq!(human(1000), "1000 bytes");
    }
}
