//! The audit log: every change (import, credit record, repair step, token, draw) appends one
//! entry that carries the hash of the entry before it, so an edited, deleted or reordered entry
//! is detected by [`verify`] (`docs/architecture.md`, rule 6: nothing is silently redone; `docs/domain.md`:
//! 全过程留痕、可回溯).
//!
//! Entry hash: SHA-256 over the domain tag `dualdraw-audit-v1` and the fields seq, at, actor,
//! action, subject, detail and prev_hash, each written as its byte length in decimal, `:`, the
//! bytes, and `\n`. The first entry's prev_hash is 64 zeros. `audit_head` keeps the last seq
//! and hash so a truncated tail is detected too.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::postgres::PgConnection;
use sqlx::{AnyConnection, Row};
use std::collections::BTreeMap;

mod chain;

/// The prev_hash of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One stored entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(as = AuditEntry)]
pub struct Entry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash an entry must carry.
pub fn entry_hash(
    seq: i64,
    at: &str,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
    prev_hash: &str,
) -> String {
    let mut h = Sha256::new();
    h.update(b"dualdraw-audit-v1\n");
    let seq = seq.to_string();
    for field in [seq.as_str(), at, actor, action, subject, detail, prev_hash] {
        h.update(field.len().to_string().as_bytes());
        h.update(b":");
        h.update(field.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

/// The three statements of an append ([`append`], [`append_pg`]).
/// The UPDATE takes the head's write lock first, so concurrent appenders queue up.
const ADVANCE_HEAD: &str = "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash";
const INSERT_ENTRY: &str = "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
const SET_HEAD_HASH: &str = "UPDATE audit_head SET hash = $1 WHERE id = 1";

/// Appends an entry inside the caller's transaction and returns its seq.
pub async fn append(
    conn: &mut AnyConnection,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &serde_json::Value,
    at: &str,
) -> Result<i64, sqlx::Error> {
    append_on(conn, [actor, action, subject, at], detail).await
}

/// [`append`] on a native PostgreSQL connection (the imports that write with `COPY` run on
/// one; an `AnyConnection` cannot be made from a `PgConnection`).
pub async fn append_pg(
    conn: &mut PgConnection,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &serde_json::Value,
    at: &str,
) -> Result<i64, sqlx::Error> {
    append_on(conn, [actor, action, subject, at], detail).await
}

/// The append itself, on a connection of either driver: `[actor, action, subject, at]`.
async fn append_on<C, DB>(
    conn: &mut C,
    [actor, action, subject, at]: [&str; 4],
    detail: &serde_json::Value,
) -> Result<i64, sqlx::Error>
where
    DB: sqlx::Database,
    for<'e> &'e mut C: sqlx::Executor<'e, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    i64: sqlx::Type<DB> + for<'q> sqlx::Encode<'q, DB> + for<'r> sqlx::Decode<'r, DB>,
    String: sqlx::Type<DB> + for<'q> sqlx::Encode<'q, DB> + for<'r> sqlx::Decode<'r, DB>,
    &'static str: sqlx::ColumnIndex<DB::Row>,
{
    // The UPDATE takes the head's write lock first, so concurrent appenders queue up.
    let head = sqlx::query::<DB>(ADVANCE_HEAD)
        .fetch_one(&mut *conn)
        .await?;
    let seq: i64 = head.try_get("seq")?;
    let prev_hash: String = head.try_get("hash")?;
    let detail = detail.to_string();
    let hash = entry_hash(seq, at, actor, action, subject, &detail, &prev_hash);
    sqlx::query::<DB>(INSERT_ENTRY)
        .bind(seq)
        .bind(at.to_string())
        .bind(actor.to_string())
        .bind(action.to_string())
        .bind(subject.to_string())
        .bind(detail)
        .bind(prev_hash)
        .bind(hash.clone())
        .execute(&mut *conn)
        .await?;
    sqlx::query::<DB>(SET_HEAD_HASH)
        .bind(hash)
        .execute(&mut *conn)
        .await?;
    Ok(seq)
}

/// Entries in seq order, `after` exclusive, at most `limit`.
pub async fn list(
    conn: &mut AnyConnection,
    after: i64,
    limit: i64,
) -> Result<Vec<Entry>, sqlx::Error> {
    sqlx::query_as::<_, Entry>(
        "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log \
         WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// What is wrong with the log, first problem found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "problem", rename_all = "kebab-case")]
#[schema(as = AuditProblem)]
pub enum Problem {
    Deleted { from: i64, to: i64 },
    Reordered { seq: i64, chained_after: i64 },
    BrokenLink { seq: i64 },
    Edited { seq: i64 },
    TailDeleted { from: i64, to: i64 },
    HeadMismatch { seq: i64 },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Deleted { from, to } if from == to => write!(f, "entry {from} was deleted"),
            Problem::Deleted { from, to } => write!(f, "entries {from} to {to} were deleted"),
            Problem::Reordered { seq, chained_after } => write!(
                f,
                "entries were reordered: entry {seq} was chained after the entry now numbered {chained_after}"
            ),
            Problem::BrokenLink { seq } => write!(
                f,
                "entry {seq} does not link to entry {}: that entry was edited or replaced",
                seq - 1
            ),
            Problem::Edited { seq } => write!(f, "entry {seq} was edited: its contents do not match its hash"),
            Problem::TailDeleted { from, to } => {
                write!(f, "entries {from} to {to} were deleted from the end of the log")
            }
            Problem::HeadMismatch { seq } => {
                write!(f, "the log head does not match entry {seq}: the last entry was replaced")
            }
        }
    }
}

/// The outcome of [`verify`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = AuditVerification)]
pub struct Verification {
    pub entries: i64,
    pub head_seq: i64,
    /// The first problem found, `null` when the chain is whole.
    #[schema(required = true)]
    pub problem: Option<Problem>,
}

/// Entries read and checked at a time: the log is never held whole.
const PAGE: i64 = 5000;

/// Recomputes the whole chain up to the head and compares it with the head. The head is read
/// first (it and the entries up to it are committed together), so entries appended during the
/// check are outside it, not a false alarm. Pages are hashed off the async workers.
pub async fn verify(conn: &mut AnyConnection) -> Result<Verification, sqlx::Error> {
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    let head_seq: i64 = head.try_get("seq")?;
    let head_hash: String = head.try_get("hash")?;
    let mut chain = chain::Chain::default();
    let mut entries = 0;
    loop {
        let page = sqlx::query_as::<_, Entry>(
            "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log \
             WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3",
        )
        .bind(chain.last_seq())
        .bind(head_seq)
        .bind(PAGE)
        .fetch_all(&mut *conn)
        .await?;
        if page.is_empty() {
            break;
        }
        entries += page.len() as i64;
        let checked = tokio::task::spawn_blocking(move || {
            let flaw = page.iter().try_for_each(|e| chain.feed(e)).err();
            (chain, flaw)
        })
        .await;
        let flaw;
        (chain, flaw) = checked.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        if let Some(flaw) = flaw {
            let problem = explain(conn, flaw).await?;
            return Ok(Verification {
                entries,
                head_seq,
                problem: Some(problem),
            });
        }
    }
    Ok(Verification {
        entries,
        head_seq,
        problem: chain.finish(head_seq, &head_hash),
    })
}

/// A broken link is a reordering when the hash it points to is another entry's.
async fn explain(conn: &mut AnyConnection, flaw: chain::Flaw) -> Result<Problem, sqlx::Error> {
    Ok(match flaw {
        chain::Flaw::Found(p) => p,
        chain::Flaw::Link { seq, prev_hash } => {
            let other: Option<i64> = sqlx::query_scalar(
                "SELECT seq FROM audit_log WHERE hash = $1 ORDER BY seq LIMIT 1",
            )
            .bind(&prev_hash)
            .fetch_optional(&mut *conn)
            .await?;
            chain::linked_to(seq, other)
        }
    })
}

/// The first problem of a chain, in seq order.
pub fn check_chain(entries: &[Entry], head_seq: i64, head_hash: &str) -> Option<Problem> {
    let by_hash: BTreeMap<&str, i64> = entries.iter().map(|e| (e.hash.as_str(), e.seq)).collect();
    let mut chain = chain::Chain::default();
    for e in entries {
        match chain.feed(e) {
            Ok(()) => {}
            Err(chain::Flaw::Found(p)) => return Some(p),
            Err(chain::Flaw::Link { seq, prev_hash }) => {
                return Some(chain::linked_to(
                    seq,
                    by_hash.get(prev_hash.as_str()).copied(),
                ))
            }
        }
    }
    chain.finish(head_seq, head_hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<Entry> {
        let mut out: Vec<Entry> = Vec::new();
        for seq in 1..=n {
            let prev_hash = out.last().map_or(GENESIS.to_string(), |e| e.hash.clone());
            let subject = format!("enterprises-{seq}.csv");
            let at = "2026-11-23T10:00:00Z";
            let hash = entry_hash(seq, at, "admin", "import", &subject, "{}", &prev_hash);
            out.push(Entry {
                seq,
                at: at.into(),
                actor: "admin".into(),
                action: "import".into(),
                subject,
                detail: "{}".into(),
                prev_hash,
                hash,
            });
        }
        out
    }

    fn head(entries: &[Entry]) -> (i64, String) {
        let last = entries.last().unwrap();
        (last.seq, last.hash.clone())
    }

    #[test]
    fn accepts_an_intact_chain() {
        let c = chain(5);
        let (seq, hash) = head(&c);
        assert_eq!(check_chain(&c, seq, &hash), None);
    }

    #[test]
    fn detects_an_edited_entry() {
        let mut c = chain(5);
        let (seq, hash) = head(&c);
        c[2].actor = "mallory".into();
        assert_eq!(
            check_chain(&c, seq, &hash),
            Some(Problem::Edited { seq: 3 })
        );
    }

    #[test]
    fn detects_an_edited_entry_whose_hash_was_recomputed() {
        let mut c = chain(5);
        let (seq, hash) = head(&c);
        c[2].actor = "mallory".into();
        let e = &c[2];
        c[2].hash = entry_hash(
            e.seq,
            &e.at,
            &e.actor,
            &e.action,
            &e.subject,
            &e.detail,
            &e.prev_hash,
        );
        assert_eq!(
            check_chain(&c, seq, &hash),
            Some(Problem::BrokenLink { seq: 4 })
        );
    }

    #[test]
    fn detects_a_deleted_entry() {
        let mut c = chain(5);
        let (seq, hash) = head(&c);
        c.remove(1);
        assert_eq!(
            check_chain(&c, seq, &hash),
            Some(Problem::Deleted { from: 2, to: 2 })
        );
    }

    #[test]
    fn detects_a_deleted_tail() {
        let mut c = chain(5);
        let (seq, hash) = head(&c);
        c.truncate(3);
        assert_eq!(
            check_chain(&c, seq, &hash),
            Some(Problem::TailDeleted { from: 4, to: 5 })
        );
    }

    #[test]
    fn detects_reordered_entries() {
        let mut c = chain(5);
        let (seq, hash) = head(&c);
        c.swap(1, 2);
        c[1].seq = 2;
        c[2].seq = 3;
        assert_eq!(
            check_chain(&c, seq, &hash),
            Some(Problem::Reordered {
                seq: 2,
                chained_after: 3
            })
        );
    }
}
