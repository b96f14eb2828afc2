//! Who may do what: bearer tokens with roles, stored only as SHA-256 hashes.
//!
//! Roles follow `docs/architecture.md` ("Who uses it"): admin; planner (planning office); department
//! officer, scoped to one department; credit officer; inspector, scoped to one inspector id;
//! enterprise, scoped to its own USCC. Anonymous callers read only what is public.

use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};
use std::fmt;

/// A role a token carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Admin,
    Planner,
    Department,
    Credit,
    Inspector,
    Enterprise,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Planner => "planner",
            Role::Department => "department",
            Role::Credit => "credit",
            Role::Inspector => "inspector",
            Role::Enterprise => "enterprise",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        [
            Role::Admin,
            Role::Planner,
            Role::Department,
            Role::Credit,
            Role::Inspector,
            Role::Enterprise,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }

    /// What the scope of a token of this role names, if it needs one.
    pub fn scope_kind(self) -> Option<&'static str> {
        match self {
            Role::Department => Some("department"),
            Role::Inspector => Some("inspector"),
            Role::Enterprise => Some("uscc"),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Principal {
    pub role: Role,
    /// Department code, inspector id or USCC, for scoped roles.
    pub scope: Option<String>,
    pub label: String,
}

impl Principal {
    /// How the caller is named in the audit log: `role:label`.
    pub fn actor(&self) -> String {
        format!("{}:{}", self.role, self.label)
    }

    /// Whether the caller acts for this department (admins and planners act for all).
    pub fn acts_for_department(&self, department: &str) -> bool {
        match self.role {
            Role::Admin | Role::Planner => true,
            Role::Department => self.scope.as_deref() == Some(department),
            _ => false,
        }
    }

    /// The principal of a stored token row; `None` if its role is unknown (not a valid token).
    pub fn stored(role: &str, scope: Option<String>, label: String) -> Option<Principal> {
        Role::parse(role).map(|role| Principal { role, scope, label })
    }

    /// Whether the caller may see this enterprise's non-public credit data.
    pub fn may_see_enterprise(&self, uscc: &str) -> bool {
        match self.role {
            Role::Enterprise => self.scope.as_deref() == Some(uscc),
            _ => true,
        }
    }
}

/// Why a token could not be created.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("role {0} needs --scope naming a {1}")]
    MissingScope(Role, &'static str),
    #[error("role {0} takes no scope")]
    UnexpectedScope(Role),
    #[error("{0} '{1}' does not exist")]
    UnknownScope(&'static str, String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The stored form of a token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Creates a token inside the caller's transaction; returns the token, shown once.
pub async fn create(
    conn: &mut AnyConnection,
    role: Role,
    scope: Option<&str>,
    label: &str,
    at: &str,
) -> Result<String, TokenError> {
    match (role.scope_kind(), scope) {
        (Some(kind), None) => return Err(TokenError::MissingScope(role, kind)),
        (None, Some(_)) => return Err(TokenError::UnexpectedScope(role)),
        (Some(kind), Some(s)) => check_scope(conn, kind, s).await?,
        (None, None) => {}
    }
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = format!("dd_{}", hex::encode(bytes));
    let hash = hash_token(&token);
    sqlx::query(
        "INSERT INTO tokens (hash, role, scope, label, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&hash)
    .bind(role.as_str())
    .bind(scope.map(String::from))
    .bind(label)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    let detail =
        serde_json::json!({ "role": role, "scope": scope, "label": label, "id": &hash[..12] });
    crate::audit::append(conn, "cli", "token.create", &hash[..12], &detail, at).await?;
    Ok(token)
}

async fn check_scope(
    conn: &mut AnyConnection,
    kind: &'static str,
    scope: &str,
) -> Result<(), TokenError> {
    let sql = match kind {
        "department" => "SELECT COUNT(*) FROM departments WHERE code = $1",
        "inspector" => "SELECT COUNT(*) FROM inspectors WHERE id = $1",
        _ => "SELECT COUNT(*) FROM enterprises WHERE uscc = $1",
    };
    let n: i64 = sqlx::query_scalar(sql).bind(scope).fetch_one(conn).await?;
    if n == 0 {
        return Err(TokenError::UnknownScope(kind, scope.to_string()));
    }
    Ok(())
}

/// The principal a presented token stands for, if it is known and not revoked.
pub async fn lookup(
    conn: &mut AnyConnection,
    token: &str,
) -> Result<Option<Principal>, sqlx::Error> {
    let row =
        sqlx::query("SELECT role, scope, label FROM tokens WHERE hash = $1 AND revoked_at IS NULL")
            .bind(hash_token(token))
            .fetch_optional(conn)
            .await?;
    let Some(row) = row else { return Ok(None) };
    let role: String = row.try_get("role")?;
    Ok(Principal::stored(
        &role,
        row.try_get("scope").ok().flatten(),
        row.try_get("label").unwrap_or_default(),
    ))
}

/// A token as listed (never the token itself).
#[derive(Clone, Debug, Serialize)]
pub struct TokenInfo {
    pub id: String,
    pub role: String,
    pub scope: Option<String>,
    pub label: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

pub async fn list(conn: &mut AnyConnection) -> Result<Vec<TokenInfo>, sqlx::Error> {
    let rows = sqlx::query_as::<_, (String, String, Option<String>, String, String, Option<String>)>(
        "SELECT hash, role, scope, label, created_at, revoked_at FROM tokens ORDER BY created_at, hash",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(hash, role, scope, label, created_at, revoked_at)| TokenInfo {
                id: hash[..12].to_string(),
                role,
                scope,
                label,
                created_at,
                revoked_at,
            },
        )
        .collect())
}

/// Revokes the token whose id (first 12 hex digits of its hash) is given.
pub async fn revoke(conn: &mut AnyConnection, id: &str, at: &str) -> Result<bool, sqlx::Error> {
    if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(false);
    }
    // Hashes are stored in lower case; SQLite's LIKE would ignore the case, PostgreSQL's not.
    let id = &id.to_ascii_lowercase();
    let done =
        sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE hash LIKE $2 AND revoked_at IS NULL")
            .bind(at)
            .bind(format!("{id}%"))
            .execute(&mut *conn)
            .await?
            .rows_affected();
    if done > 0 {
        crate::audit::append(
            conn,
            "cli",
            "token.revoke",
            id,
            &serde_json::json!({ "id": id }),
            at,
        )
        .await?;
    }
    Ok(done > 0)
}
