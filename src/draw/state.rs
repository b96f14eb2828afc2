//! Where a draw's state lives when a database is used: the `draws` row (`docs/draw-state.md`).
//! Each step claims the row inside its transaction — a new batch by inserting it, a later step
//! by a conditional update from the state it starts from — so two steps on one batch take turns
//! (PostgreSQL holds the row's lock until the transaction ends; SQLite has one writer) and
//! exactly one of two concurrent steps finds the state it needs. The step then records its new
//! state and its audit entry in the same transaction: this is where the public log's event is
//! appended too (the log hook, [`record`]).

use super::run::StepError;
use crate::db::{Db, Tx};
use serde_json::Value;
use sqlx::Row;

/// A draw as the database knows it.
pub struct DrawRow {
    pub state: String,
    pub commitment_sha256: String,
}

/// The row of `batch`, if any.
pub async fn find(db: &Db, batch: &str) -> Result<Option<DrawRow>, sqlx::Error> {
    let mut conn = db.pool.acquire().await?;
    let row = sqlx::query("SELECT state, commitment_sha256 FROM draws WHERE batch = $1")
        .bind(batch)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| {
        Ok(DrawRow {
            state: r.try_get("state")?,
            commitment_sha256: r.try_get("commitment_sha256")?,
        })
    })
    .transpose()
}

/// Claims a new batch: inserts its row (committed, its commitment filled in by [`record`]).
/// A batch that exists, or that a concurrent transaction is inserting, is refused — never
/// "check, then create".
pub async fn claim_new(tx: &mut Tx, batch: &str, now: &str) -> Result<(), StepError> {
    let done = sqlx::query(
        "INSERT INTO draws (batch, state, commitment_sha256, created_at, updated_at) VALUES ($1, 'committed', '', $2, $2) ON CONFLICT (batch) DO NOTHING",
    )
    .bind(batch)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StepError::Exists(format!(
            "draw '{batch}' already exists; a batch is prepared once"
        )));
    }
    Ok(())
}

/// Claims the step `from` → `to` of `batch`, whose commitment must be `commitment`.
pub async fn claim_step(
    tx: &mut Tx,
    batch: &str,
    commitment: &str,
    (from, to): (&str, &str),
    now: &str,
) -> Result<(), StepError> {
    let done = sqlx::query(
        "UPDATE draws SET state = $1, updated_at = $2 WHERE batch = $3 AND state = $4 AND commitment_sha256 = $5",
    )
    .bind(to)
    .bind(now)
    .bind(batch)
    .bind(from)
    .bind(commitment)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 1 {
        return Ok(());
    }
    let row = sqlx::query("SELECT state, commitment_sha256 FROM draws WHERE batch = $1")
        .bind(batch)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(row) = row else {
        return Err(StepError::NotFound(format!("no draw '{batch}'")));
    };
    let (state, stored): (String, String) = (row.try_get(0)?, row.try_get(1)?);
    if stored != commitment {
        return Err(StepError::State(format!(
            "draw '{batch}': the bundle's commitment is not the one the database recorded"
        )));
    }
    Err(StepError::State(wrong_state(batch, &state, from)))
}

/// Why a step that starts from `from` cannot start from `state`.
pub fn wrong_state(batch: &str, state: &str, from: &str) -> String {
    match (from, state) {
        ("committed", _) => format!("draw '{batch}' is already {state}; a batch is drawn once"),
        ("run", "committed") => format!("draw '{batch}' is not run yet; run it before the reveal"),
        ("run", "revealed") => format!("draw '{batch}' is already revealed"),
        _ => format!("draw '{batch}' is {state}; this step needs {from}"),
    }
}

/// What a step records with its new state.
pub struct Entry<'a> {
    pub batch: &'a str,
    pub state: &'a str,
    pub actor: &'a str,
    pub detail: &'a Value,
    pub now: &'a str,
    /// A new batch's commitment.
    pub commitment: Option<&'a str>,
    /// The reveal's verification.
    pub verification: Option<&'a str>,
    /// The step's event in the public log (`docs/log.md` §1), appended in the same transaction.
    pub log: Option<&'a dualdraw_solver::tlog::leaf::Event>,
}

/// Records a step in its transaction: the commitment or verification it produced, and its
/// audit entry `draw.STATE`.
///
/// LOG HOOK: the public transparency log's event for this step is appended here, with `tx`,
/// so that the state, the audit entry and the public event commit together or not at all.
pub async fn record(tx: &mut Tx, e: Entry<'_>) -> Result<(), StepError> {
    if let Some(c) = e.commitment {
        sqlx::query("UPDATE draws SET commitment_sha256 = $1 WHERE batch = $2")
            .bind(c)
            .bind(e.batch)
            .execute(&mut **tx)
            .await?;
    }
    if let Some(v) = e.verification {
        sqlx::query("UPDATE draws SET verification = $1 WHERE batch = $2")
            .bind(v)
            .bind(e.batch)
            .execute(&mut **tx)
            .await?;
    }
    if let Some(event) = e.log {
        crate::log::store::append_event(tx, event)
            .await
            .map_err(log_error)?;
    }
    let action = format!("draw.{}", e.state);
    crate::audit::append(tx, e.actor, &action, e.batch, e.detail, e.now).await?;
    Ok(())
}

/// A log failure as a step error: a reused batch name is a conflict, the rest a bundle problem.
pub fn log_error(e: crate::log::LogError) -> StepError {
    use crate::log::LogError;
    match e {
        LogError::BatchUsed { .. } => StepError::Exists(e.to_string()),
        LogError::BatchUnknown { .. } => StepError::NotFound(e.to_string()),
        LogError::Db(e) => StepError::Db(e),
        e => StepError::State(format!("public log: {e}")),
    }
}
