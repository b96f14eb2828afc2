//! Sessions of the officials' workspace (`docs/workspace.md` §1): a bearer token, typed once
//! into the login form, becomes a server-side session. The browser keeps only a random session
//! id in the cookie `dd_session` (`HttpOnly; SameSite=Strict; Path=/`, plus `Secure` when
//! configured); the database keeps its SHA-256, the token it stands for, its CSRF token and its
//! times. A session ends at its absolute expiry, after an idle timeout, when its token is
//! revoked, or at logout, which deletes the row.

use crate::auth::{self, Principal};
use crate::db::Db;
use axum::http::HeaderMap;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// The session cookie's name.
pub const COOKIE: &str = "dd_session";
/// The pre-login cookie that carries the login form's CSRF token (double submit).
pub const LOGIN_COOKIE: &str = "dd_login";

/// Lifetimes and the cookie's `Secure` flag, from the environment (`docs/workspace.md` §1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionConfig {
    /// `DUALDRAW_COOKIE_SECURE=true`: add `Secure` (behind HTTPS).
    pub secure: bool,
    /// `DUALDRAW_SESSION_HOURS` (default 8): a session ends this long after the login.
    pub lifetime: Duration,
    /// `DUALDRAW_SESSION_IDLE_MINUTES` (default 30): a session ends after this long unused.
    pub idle: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            secure: false,
            lifetime: Duration::hours(8),
            idle: Duration::minutes(30),
        }
    }
}

impl SessionConfig {
    /// The configuration of this process, read once.
    pub fn get() -> &'static SessionConfig {
        static CONFIG: OnceLock<SessionConfig> = OnceLock::new();
        CONFIG.get_or_init(|| SessionConfig::from_vars(|k| std::env::var(k).ok()))
    }

    /// The configuration named by these variables; unreadable values keep the defaults (and
    /// are logged).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> SessionConfig {
        let mut c = SessionConfig::default();
        if let Some(v) = var("DUALDRAW_COOKIE_SECURE") {
            c.secure = matches!(v.as_str(), "1" | "true" | "yes");
        }
        let number = |name: &str| {
            let v = var(name)?;
            match v.parse::<u32>() {
                Ok(n) if n > 0 => Some(i64::from(n)),
                _ => {
                    tracing::warn!(name, value = %v, "not a positive whole number; default kept");
                    None
                }
            }
        };
        if let Some(h) = number("DUALDRAW_SESSION_HOURS") {
            c.lifetime = Duration::hours(h);
        }
        if let Some(m) = number("DUALDRAW_SESSION_IDLE_MINUTES") {
            c.idle = Duration::minutes(m);
        }
        c
    }

    /// The `Set-Cookie` value that gives the browser this session id.
    pub fn cookie(&self, id: &str) -> String {
        self.cookie_named(COOKIE, id, self.lifetime.num_seconds())
    }

    /// The `Set-Cookie` value that removes the session cookie.
    pub fn clearing_cookie(&self) -> String {
        self.cookie_named(COOKIE, "", 0)
    }

    /// A cookie of the workspace: `HttpOnly; SameSite=Strict; Path=/`, `Secure` if configured.
    pub fn cookie_named(&self, name: &str, value: &str, max_age: i64) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!("{name}={value}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Strict{secure}")
    }
}

/// A logged-in official.
#[derive(Clone, Debug)]
pub struct Session {
    pub principal: Principal,
    /// The session's CSRF token, put into every form (`super::csrf`).
    pub csrf: String,
    id_hash: String,
}

/// 32 random bytes from the operating system, as 64 hex digits.
pub fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn hash(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn parse(t: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The value of cookie `name` in these headers.
pub fn cookie_value<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Why a login did not start a session.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("the token is unknown or revoked")]
    BadToken,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Starts a session for a valid token: returns the new session id (for the cookie only; it is
/// stored hashed) and the principal. Expired sessions, and the session this browser had before
/// (`replaces`, its old id), are deleted in the same transaction; the login is audited. Every
/// login gets a new id, so an id planted in a browser before the login is worth nothing after.
pub async fn login(
    db: &Db,
    config: &SessionConfig,
    token: &str,
    replaces: Option<&str>,
) -> Result<(String, Principal), LoginError> {
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let principal = auth::lookup(&mut tx, token.trim())
        .await?
        .ok_or(LoginError::BadToken)?;
    sqlx::query("DELETE FROM web_sessions WHERE expires_at <= $1")
        .bind(stamp(now))
        .execute(&mut *tx)
        .await?;
    if let Some(old) = replaces {
        sqlx::query("DELETE FROM web_sessions WHERE id_hash = $1")
            .bind(hash(old))
            .execute(&mut *tx)
            .await?;
    }
    let id = random_hex();
    let id_hash = hash(&id);
    sqlx::query(
        "INSERT INTO web_sessions (id_hash, token_hash, csrf, created_at, expires_at, seen_at) \
         VALUES ($1, $2, $3, $4, $5, $4)",
    )
    .bind(&id_hash)
    .bind(auth::hash_token(token.trim()))
    .bind(random_hex())
    .bind(stamp(now))
    .bind(stamp(now + config.lifetime))
    .execute(&mut *tx)
    .await?;
    let detail = serde_json::json!({ "session": &id_hash[..12], "expires_at": stamp(now + config.lifetime) });
    crate::audit::append(
        &mut tx,
        &principal.actor(),
        "session.login",
        &id_hash[..12],
        &detail,
        &stamp(now),
    )
    .await?;
    tx.commit().await?;
    Ok((id, principal))
}

/// What the session cookie of a request stands for.
#[derive(Debug)]
pub enum Found {
    /// A live session (its idle clock restarted).
    Live(Session),
    /// No cookie, or one the database does not know.
    None,
    /// A session past its expiry or idle timeout, or whose token was revoked; its row is gone.
    Expired,
}

/// A session joined with its token: csrf, expires_at, seen_at, role, scope, label, revoked_at.
type SessionRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
);

/// The session of these headers, as of now.
pub async fn find(
    db: &Db,
    config: &SessionConfig,
    headers: &HeaderMap,
) -> Result<Found, sqlx::Error> {
    let Some(id) = cookie_value(headers, COOKIE).filter(|v| !v.is_empty()) else {
        return Ok(Found::None);
    };
    let id_hash = hash(id);
    let mut conn = db.pool.acquire().await?;
    let row: Option<SessionRow> = sqlx::query_as(
        "SELECT s.csrf, s.expires_at, s.seen_at, t.role, t.scope, t.label, t.revoked_at \
             FROM web_sessions s JOIN tokens t ON t.hash = s.token_hash WHERE s.id_hash = $1",
    )
    .bind(&id_hash)
    .fetch_optional(&mut *conn)
    .await?;
    drop(conn);
    let Some((csrf, expires_at, seen_at, role, scope, label, revoked_at)) = row else {
        return Ok(Found::None);
    };
    let now = Utc::now();
    let live = revoked_at.is_none()
        && parse(&expires_at).is_some_and(|e| now < e)
        && parse(&seen_at).is_some_and(|s| now < s + config.idle);
    let principal = Principal::stored(&role, scope, label);
    let (true, Some(principal)) = (live, principal) else {
        end(db, &id_hash).await?;
        return Ok(Found::Expired);
    };
    // Restart the idle clock, at most once a minute (a write per page would queue on SQLite).
    if parse(&seen_at).is_some_and(|s| now - s >= Duration::minutes(1)) {
        let mut tx = db.begin().await?;
        sqlx::query("UPDATE web_sessions SET seen_at = $1 WHERE id_hash = $2")
            .bind(stamp(now))
            .bind(&id_hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    Ok(Found::Live(Session {
        principal,
        csrf,
        id_hash,
    }))
}

async fn end(db: &Db, id_hash: &str) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM web_sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// Ends a session: deletes its row (the cookie is cleared by the caller) and audits it.
pub async fn logout(db: &Db, session: &Session) -> Result<(), sqlx::Error> {
    let now = crate::clock::now();
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM web_sessions WHERE id_hash = $1")
        .bind(&session.id_hash)
        .execute(&mut *tx)
        .await?;
    let short = &session.id_hash[..12];
    crate::audit::append(
        &mut tx,
        &session.principal.actor(),
        "session.logout",
        short,
        &serde_json::json!({ "session": short }),
        &now,
    )
    .await?;
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_attributes() {
        let plain = SessionConfig::default();
        assert_eq!(
            plain.cookie("abc"),
            "dd_session=abc; Max-Age=28800; Path=/; HttpOnly; SameSite=Strict"
        );
        let secure =
            SessionConfig::from_vars(|k| (k == "DUALDRAW_COOKIE_SECURE").then(|| "true".into()));
        assert!(secure
            .cookie("abc")
            .ends_with("; HttpOnly; SameSite=Strict; Secure"));
        assert!(secure
            .clearing_cookie()
            .starts_with("dd_session=; Max-Age=0;"));
    }

    #[test]
    fn lifetimes_from_the_environment() {
        let c = SessionConfig::from_vars(|k| match k {
            "DUALDRAW_SESSION_HOURS" => Some("2".into()),
            "DUALDRAW_SESSION_IDLE_MINUTES" => Some("zero".into()),
            _ => None,
        });
        assert_eq!(c.lifetime, Duration::hours(2));
        assert_eq!(
            c.idle,
            Duration::minutes(30),
            "a bad value keeps the default"
        );
    }

    #[test]
    fn cookie_lookup() {
        let mut h = HeaderMap::new();
        h.insert("cookie", "a=1; dd_session=xyz; b=2".parse().unwrap());
        assert_eq!(cookie_value(&h, COOKIE), Some("xyz"));
        assert_eq!(cookie_value(&h, LOGIN_COOKIE), None);
    }
}
