//! The draw's steps as use cases — prepare, run, reveal, re-plan — each ONE function that the
//! CLI and the HTTP API both call (`docs/draw-state.md`). A step:
//!
//! 1. takes the bundle's lock (`super::private::lock`; a second step waits for nobody: it is
//!    told the draw is busy);
//! 2. with a database, opens one transaction and claims the `draws` row (`super::state`);
//!    without one, reads the state from `manifest.json`;
//! 3. writes its files into a staging directory, off the async workers, and renames them into
//!    place (`super::private::Staging`);
//! 4. with a database, records the new state and its audit entry (and the public log's event,
//!    the log hook of [`super::state::record`]) and commits.
//!
//! A crash before 4 leaves the row at its old state; the next step on the batch first brings
//! the bundle back to it (`super::private::roll_back_to`), so the interrupted step can be taken
//! again.

use super::bundle::{Bundle, BundleError};
use super::from_db::FromDbError;
use super::prepare::PrepareError;
use super::private::{self, Lock, Staging};
use super::run::{self, RunSummary, StepError};
use super::state::{self, Entry};
use crate::db::{Db, Tx};
use serde_json::{json, Value};
use std::path::PathBuf;

mod batch;
pub use batch::{prepare, replan, Directories, Method, NewBatch, Prepared, Replan};

impl From<PrepareError> for StepError {
    fn from(e: PrepareError) -> Self {
        match e {
            PrepareError::Input(lines) => StepError::Input(lines.join("\n")),
            PrepareError::Bundle(b) => StepError::Bundle(b),
        }
    }
}

impl From<FromDbError> for StepError {
    fn from(e: FromDbError) -> Self {
        match e {
            FromDbError::Input(_) => StepError::Input(e.to_string()),
            FromDbError::Db(e) => StepError::Db(e),
        }
    }
}

/// Runs file and CPU work off the async workers.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StepError> + Send + 'static,
) -> Result<T, StepError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StepError::Bundle(BundleError::Invalid(format!("draw task failed: {e}"))))?
}

pub(super) async fn lock(bundle: &Bundle) -> Result<Lock, StepError> {
    let b = bundle.clone();
    blocking(move || Ok(private::lock(&b)?)).await
}

/// A step on an existing draw.
pub struct Step<'a> {
    /// The database whose `draws` row is the draw's state; `None` for an offline bundle.
    pub db: Option<&'a Db>,
    pub bundle: Bundle,
    pub actor: String,
}

/// A claimed step: the lock, and with a database its open transaction.
struct Claim {
    lock: Lock,
    tx: Option<(Tx, String)>,
    now: String,
}

/// Takes the lock and the state `from` → `to`: the row's with a database (after bringing the
/// bundle back to it), the manifest's without.
async fn claim(step: &Step<'_>, (from, to): (&'static str, &str)) -> Result<Claim, StepError> {
    let lock = lock(&step.bundle).await?;
    let now = crate::clock::now();
    let (b, l) = (step.bundle.clone(), lock.clone());
    let (batch, commitment, found) = blocking(move || {
        private::clean(&b, &l)?;
        let text = b.read("commitment.json")?;
        let c: Value = serde_json::from_str(&text)
            .map_err(|e| BundleError::Invalid(format!("commitment.json: {e}")))?;
        let batch = c["batch"].as_str().unwrap_or("").to_string();
        Ok((
            batch,
            super::bundle::sha256_hex(text.as_bytes()),
            run::state(&b)?,
        ))
    })
    .await?;
    let Some(db) = step.db else {
        if found != from {
            return Err(StepError::State(state::wrong_state(&batch, &found, from)));
        }
        let (b, l) = (step.bundle.clone(), lock.clone());
        blocking(move || Ok(private::roll_back_to(&b, from, &l)?)).await?;
        return Ok(Claim {
            lock,
            tx: None,
            now,
        });
    };
    let mut tx = db.begin().await?;
    state::claim_step(&mut tx, &batch, &commitment, (from, to), &now).await?;
    let (b, l) = (step.bundle.clone(), lock.clone());
    let undone = blocking(move || Ok(private::roll_back_to(&b, from, &l)?)).await?;
    if undone {
        tracing::warn!(bundle = %step.bundle.dir.display(), state = from, "brought the bundle back to its recorded state");
    }
    Ok(Claim {
        lock,
        tx: Some((tx, batch)),
        now,
    })
}

/// Commits a claimed step with its audit entry.
async fn finish(
    claim: Claim,
    step: &Step<'_>,
    entry: (&str, &Value, Option<&str>),
    event: Option<&dualdraw_solver::tlog::leaf::Event>,
) -> Result<(), StepError> {
    let (state, detail, verification) = entry;
    if let Some((mut tx, batch)) = claim.tx {
        let e = Entry {
            batch: &batch,
            state,
            actor: &step.actor,
            detail,
            now: &claim.now,
            commitment: None,
            verification,
            log: event,
        };
        state::record(&mut tx, e).await?;
        tx.commit().await?;
    }
    drop(claim.lock);
    Ok(())
}

/// Takes the public values, derives the seed and writes the plan.
pub async fn run(
    step: Step<'_>,
    entropy: Vec<String>,
    secret: Option<PathBuf>,
) -> Result<RunSummary, StepError> {
    let opened = match step.db {
        Some(db) => crate::log::hooks::open_run_gate(db, &step.bundle).await?,
        None => None,
    };
    let claim = claim(&step, ("committed", "run")).await?;
    let secret = secret.unwrap_or_else(|| step.bundle.secret_path());
    let (b, l, logged) = (step.bundle.clone(), claim.lock.clone(), step.db.is_some());
    let (summary, event) = blocking(move || {
        let staging = Staging::new(&b, &l)?;
        let summary = run::run(&b, &staging.bundle, &entropy, &secret)?;
        if let Some(o) = &opened {
            crate::log::hooks::write_commitment_evidence(&staging.bundle, o)?;
        }
        staging.publish(&b, "run", json!({}))?;
        let event = logged
            .then(|| crate::log::hooks::run_event(&b, &run::read_secret(&secret)?))
            .transpose()?;
        Ok((summary, event))
    })
    .await?;
    let detail = json!({ "visits": summary.visits, "inspectors_assigned": summary.members, "teams_not_formed": summary.failures });
    let mut claim = claim;
    if let Some((tx, _)) = claim.tx.as_mut() {
        // Each (visit, department) becomes an inspection job in the run's own transaction
        // (`docs/results.md` §1).
        let b = step.bundle.clone();
        let plan = blocking(move || Ok(crate::inspection::plan::read(&b)?)).await?;
        crate::inspection::jobs::create(tx, &plan, &step.actor, &claim.now)
            .await
            .map_err(|e| match e {
                crate::inspection::InspectionError::Db(e) => StepError::Db(e),
                other => StepError::State(other.to_string()),
            })?;
    }
    finish(claim, &step, ("run", &detail, None), event.as_ref()).await?;
    Ok(summary)
}

/// A revealed draw.
pub struct Revealed {
    pub seed: String,
    /// With a database, the one-line result of verifying the bundle, kept in its row.
    pub verification: Option<String>,
}

/// Publishes the secret and the seed, then removes the kept secret.
pub async fn reveal(step: Step<'_>, secret: Option<PathBuf>) -> Result<Revealed, StepError> {
    let claim = match claim(&step, ("run", "revealed")).await {
        Err(StepError::State(m)) => {
            forget_if_revealed(&step).await?;
            return Err(StepError::State(m));
        }
        other => other?,
    };
    let secret = secret.unwrap_or_else(|| step.bundle.secret_path());
    let run_evidence = match step.db {
        Some(db) => crate::log::hooks::run_evidence(db, &step.bundle).await?,
        None => None,
    };
    let (b, l, check) = (step.bundle.clone(), claim.lock.clone(), claim.tx.is_some());
    let (revealed, event) = blocking(move || {
        let staging = Staging::new(&b, &l)?;
        let seed = run::reveal(&b, &staging.bundle, &secret)?;
        if let Some(e) = &run_evidence {
            crate::log::hooks::write_run_evidence(&b, &staging.bundle, e)?;
        }
        staging.publish(&b, "revealed", json!({ "seed": seed }))?;
        // The portal's plan index (derived from the published plan, rebuilt by the service when
        // missing, `docs/portal.md`): a failure to write it does not undo the reveal.
        if let Err(e) = super::plan_index::write(&b) {
            tracing::warn!(bundle = %b.dir.display(), "plan index not written: {e}");
        }
        let verification = check.then(|| {
            super::verify::verify(&b).unwrap_or_else(|d| format!("verification failed: {d}"))
        });
        let event = check
            .then(|| crate::log::hooks::reveal_event(&b))
            .transpose()?;
        Ok((Revealed { seed, verification }, event))
    })
    .await?;
    let detail = json!({ "seed": revealed.seed, "verification": revealed.verification });
    let verification = revealed.verification.as_deref();
    finish(
        claim,
        &step,
        ("revealed", &detail, verification),
        event.as_ref(),
    )
    .await?;
    let b = step.bundle.clone();
    blocking(move || Ok(private::remove_secret(&b)?)).await?;
    Ok(revealed)
}

/// Removes the kept secret of a draw already revealed (a reveal interrupted after its commit).
async fn forget_if_revealed(step: &Step<'_>) -> Result<(), StepError> {
    let b = step.bundle.clone();
    let manifest_says = blocking(move || run::state(&b)).await?;
    let revealed = match step.db {
        Some(db) => {
            let b = step.bundle.clone();
            let batch =
                blocking(move || Ok(b.read_json("commitment.json")?["batch"].clone())).await?;
            let row = state::find(db, batch.as_str().unwrap_or("")).await?;
            row.is_some_and(|r| r.state == "revealed")
        }
        None => manifest_says == "revealed",
    };
    if revealed && manifest_says == "revealed" {
        let b = step.bundle.clone();
        blocking(move || Ok(private::remove_secret(&b)?)).await?;
    }
    Ok(())
}

/// The database to use for a step on `bundle`: `db` when its `draws` row records this very
/// bundle (same batch, same commitment), otherwise none (an offline bundle).
pub async fn recorded_in<'a>(db: &'a Db, bundle: &Bundle) -> Result<Option<&'a Db>, StepError> {
    let b = bundle.clone();
    let (batch, digest) = blocking(move || {
        let text = b.read("commitment.json")?;
        let c: Value = serde_json::from_str(&text)
            .map_err(|e| BundleError::Invalid(format!("commitment.json: {e}")))?;
        Ok((
            c["batch"].as_str().unwrap_or("").to_string(),
            super::bundle::sha256_hex(text.as_bytes()),
        ))
    })
    .await?;
    let row = state::find(db, &batch).await?;
    Ok(row.filter(|r| r.commitment_sha256 == digest).map(|_| db))
}
/// Abandons a prepared (or run, not revealed) batch: its row becomes `abandoned`, and the audit
/// entry and the public log's `abandon` event with the reason commit with it
/// (`docs/log.md` §1.1). The name is never used again: the row and the log keep it.
pub async fn abandon(db: &Db, batch: &str, reason: &str, actor: &str) -> Result<(), StepError> {
    if reason.trim().is_empty() {
        return Err(StepError::Input(
            "--reason: say why the batch is abandoned".into(),
        ));
    }
    let now = crate::clock::now();
    let mut tx = db.begin().await?;
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT state, commitment_sha256 FROM draws WHERE batch = $1")
            .bind(batch)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((from, commitment)) = row else {
        return Err(StepError::NotFound(format!("no draw '{batch}'")));
    };
    if !(from == "committed" || from == "run") {
        return Err(StepError::State(format!(
            "draw '{batch}' is {from}; only a committed or run draw can be abandoned"
        )));
    }
    state::claim_step(
        &mut tx,
        batch,
        &commitment,
        (from.as_str(), "abandoned"),
        &now,
    )
    .await?;
    let event = crate::log::events::abandon_event(
        &crate::log::events::jurisdiction(),
        batch,
        &commitment,
        reason,
    )
    .map_err(state::log_error)?;
    let detail = json!({ "reason": reason, "was": from });
    let entry = Entry {
        batch,
        state: "abandoned",
        actor,
        detail: &detail,
        now: &now,
        commitment: None,
        verification: None,
        log: Some(&event),
    };
    state::record(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(())
}
