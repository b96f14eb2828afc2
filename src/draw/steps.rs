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
use super::from_db::{FromDbError, Snapshot};
use super::prepare::{self, Commitment, PrepareError};
use super::private::{self, Lock, Staging};
use super::run::{self, RunSummary, StepError};
use super::state::{self, Entry};
use crate::credit::rules::RuleTable;
use crate::db::{Db, Tx};
use serde_json::{json, Value};
use std::path::PathBuf;

impl From<PrepareError> for StepError {
    fn from(e: PrepareError) -> Self {
        match e {
            PrepareError::Input(lines) => StepError::Input(lines.join("\n")),
            PrepareError::Exists(m) => StepError::Exists(m),
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
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StepError> + Send + 'static,
) -> Result<T, StepError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StepError::Bundle(BundleError::Invalid(format!("draw task failed: {e}"))))?
}

async fn lock(bundle: &Bundle) -> Result<Lock, StepError> {
    let b = bundle.clone();
    blocking(move || Ok(private::lock(&b)?)).await
}

/// The method of a new batch; `dr2` with its complaint-driven checks as (name, CSV text).
pub enum Method {
    Dr1,
    Dr2 {
        complaints: Option<(String, String)>,
    },
}

/// Where a new batch's directories come from, and so where its state will live.
pub enum Directories<'a> {
    /// The CSV files of a directory: no database, the manifest is the state.
    Dir(PathBuf),
    /// The database, read in one snapshot, with the submitted texts; the row is the state.
    Db {
        db: &'a Db,
        rules: &'a RuleTable,
        policy: String,
        tasks: String,
        history: String,
    },
}

/// A batch to prepare.
pub struct NewBatch<'a> {
    pub bundle: Bundle,
    pub batch: String,
    pub sources: Vec<String>,
    pub method: Method,
    pub from: Directories<'a>,
    pub actor: String,
    /// For tests and demos only: accept sources whose values may already be public; recorded
    /// in the commitment (`docs/log.md` §7.3).
    pub allow_past_entropy: bool,
}

/// A prepared batch.
pub struct Prepared {
    pub digest: String,
    pub enterprises: usize,
    pub tasks: usize,
    pub inspectors: usize,
    /// Where the secret is kept until the reveal.
    pub secret: PathBuf,
}

/// Freezes a batch and commits to it.
pub async fn prepare(new: NewBatch<'_>) -> Result<Prepared, StepError> {
    let sources = new
        .sources
        .iter()
        .map(|s| prepare::parse_source(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(StepError::Input)?;
    let past = new.allow_past_entropy;
    if !past {
        let margin = crate::log::config::margin_seconds().map_err(StepError::Input)?;
        crate::log::gate::check_prepare(&json!(sources), crate::log::gate::now_unix(), margin)
            .map_err(StepError::Input)?;
    }
    let lock = lock(&new.bundle).await?;
    let (b, batch, method) = (new.bundle, new.batch, new.method);
    match new.from {
        Directories::Dir(dir) => {
            blocking(move || {
                refuse_existing(&b)?;
                let inputs = prepare::inputs_from_dir(&dir)?;
                write_new(&b, &lock, &batch, inputs, sources, method, past)
            })
            .await
        }
        Directories::Db {
            db,
            rules,
            policy,
            tasks,
            history,
        } => {
            let now = crate::clock::now();
            let mut tx = db.begin().await?;
            state::claim_new(&mut tx, &batch, &now).await?;
            let snapshot = Snapshot::read(db).await?;
            let (rules, name, dir) = (rules.clone(), batch.clone(), b.clone());
            let prepared = blocking(move || {
                let inputs = snapshot.inputs(&rules, policy, tasks, history)?;
                set_aside_unrecorded(&b, &name, &lock)?;
                write_new(&b, &lock, &name, inputs, sources, method, past)
            })
            .await?;
            let jurisdiction = crate::log::events::jurisdiction();
            let event = crate::log::events::commitment_event(&dir, &jurisdiction)
                .map_err(state::log_error)?;
            let detail = json!({ "commitment_sha256": prepared.digest, "enterprises": prepared.enterprises });
            let entry = Entry {
                batch: &batch,
                state: "committed",
                actor: &new.actor,
                detail: &detail,
                now: &now,
                commitment: Some(&prepared.digest),
                verification: None,
                log: Some(&event),
            };
            state::record(&mut tx, entry).await?;
            tx.commit().await?;
            Ok(prepared)
        }
    }
}

/// Records `"allow_past_entropy":true` in a prepared commitment (`docs/log.md` §7.3); returns
/// the new commitment digest.
fn mark_past_entropy(b: &Bundle) -> Result<String, StepError> {
    let mut c = b.read_json("commitment.json")?;
    c["allow_past_entropy"] = json!(true);
    let text = super::bundle::json_text(&c);
    b.write("commitment.json", &text)?;
    b.write_manifest("committed", json!({}))?;
    Ok(super::bundle::sha256_hex(text.as_bytes()))
}

fn refuse_existing(b: &Bundle) -> Result<(), StepError> {
    if b.dir.exists() {
        return Err(StepError::Exists(format!(
            "{}: already exists; a batch is prepared once",
            b.dir.display()
        )));
    }
    Ok(())
}

/// With a database, a bundle of `batch` that has no row is what a prepare left when its
/// transaction never committed (nothing of it was ever published): it is moved into the private
/// directory, out of the way. Any other existing path is refused.
fn set_aside_unrecorded(b: &Bundle, batch: &str, _lock: &Lock) -> Result<(), StepError> {
    if !b.dir.exists() {
        return Ok(());
    }
    let ours = b
        .read_json("commitment.json")
        .is_ok_and(|c| c["batch"] == batch);
    if !ours {
        return refuse_existing(b);
    }
    let p = private::Private::of(b);
    let aside = p.dir.join(format!(
        "{}.unrecorded-{}",
        b.dir.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    std::fs::rename(&b.dir, &aside).map_err(|e| super::bundle::io(&aside, e))?;
    tracing::warn!(bundle = %b.dir.display(), aside = %aside.display(), "set aside a bundle its database never recorded");
    Ok(())
}

/// Writes a new bundle in staging, keeps its secret, renames it into place.
fn write_new(
    b: &Bundle,
    lock: &Lock,
    batch: &str,
    inputs: dualdraw_solver::dr1::Inputs,
    sources: Vec<Value>,
    method: Method,
    allow_past_entropy: bool,
) -> Result<Prepared, StepError> {
    let staging = Staging::new(b, lock)?;
    let c: Commitment = match method {
        Method::Dr1 => prepare::write(&staging.bundle, batch, &inputs, sources)?,
        Method::Dr2 { complaints } => {
            let mut annual = dualdraw_solver::dr2::Annual::default();
            if let Some((name, text)) = complaints {
                let periods = inputs.policy.periods.count();
                annual.complaints = super::annual::parse_complaints(&name, &text, periods)
                    .map_err(|e| StepError::Input(e.join("\n")))?;
            }
            annual.normalize();
            super::annual::prepare(&staging.bundle, batch, &inputs, &annual, sources)?
        }
    };
    let digest = if allow_past_entropy {
        mark_past_entropy(&staging.bundle)?
    } else {
        c.digest
    };
    let secret = private::keep_secret(b, &c.secret)?;
    staging.create(b)?;
    Ok(Prepared {
        digest,
        enterprises: inputs.population.len(),
        tasks: inputs.tasks.len(),
        inspectors: inputs.inspectors.len(),
        secret,
    })
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

/// A re-plan of a run `dr2` draw (`docs/plan-model.md`).
pub struct Replan<'a> {
    /// The database, when the replaced draw is recorded in it: the re-plan gets its row too.
    pub db: Option<&'a Db>,
    pub old: Bundle,
    pub out: Bundle,
    pub batch: String,
    pub from: PathBuf,
    pub pinned_through: u32,
    pub complaints: Option<(String, String)>,
    /// The replaced draw's secret (default: its kept secret, or its `secret.txt` once revealed).
    pub secret: Option<PathBuf>,
    pub actor: String,
}

/// Prepares a re-plan: a new bundle that replaces `old`, committed like a prepared one.
pub async fn replan(r: Replan<'_>) -> Result<String, StepError> {
    let lock = lock(&r.out).await?;
    let now = crate::clock::now();
    let mut tx = match r.db {
        Some(db) => {
            let mut tx = db.begin().await?;
            state::claim_new(&mut tx, &r.batch, &now).await?;
            Some(tx)
        }
        None => None,
    };
    let (old, out, batch, from) = (r.old.clone(), r.out.clone(), r.batch.clone(), r.from);
    let (pinned, complaints, secret) = (r.pinned_through, r.complaints, r.secret);
    let digest = blocking(move || {
        refuse_existing(&out)?;
        let secret = secret.unwrap_or_else(|| {
            let kept = old.secret_path();
            if kept.exists() {
                kept
            } else {
                old.path("secret.txt")
            }
        });
        let inputs = prepare::inputs_from_dir(&from)?;
        let complaints = match complaints {
            Some((name, text)) => {
                super::annual::parse_complaints(&name, &text, inputs.policy.periods.count())
                    .map_err(|e| StepError::Input(e.join("\n")))?
            }
            None => Vec::new(),
        };
        let staging = Staging::new(&out, &lock)?;
        let c = super::annual::replan(
            &old,
            &staging.bundle,
            &batch,
            &inputs,
            pinned,
            complaints,
            &secret,
        )?;
        private::keep_secret(&out, &c.secret)?;
        staging.create(&out)?;
        Ok(c.digest)
    })
    .await?;
    if let Some(tx) = tx.as_mut() {
        let event =
            crate::log::events::commitment_event(&r.out, &crate::log::events::jurisdiction())
                .map_err(state::log_error)?;
        let detail =
            json!({ "commitment_sha256": digest, "replaces": r.old.dir.display().to_string() });
        let entry = Entry {
            batch: &r.batch,
            state: "committed",
            actor: &r.actor,
            detail: &detail,
            now: &now,
            commitment: Some(&digest),
            verification: None,
            log: Some(&event),
        };
        state::record(tx, entry).await?;
    }
    if let Some(tx) = tx {
        tx.commit().await?;
    }
    Ok(digest)
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
