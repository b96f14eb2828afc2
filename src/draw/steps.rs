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
    let lock = lock(&new.bundle).await?;
    let (b, batch, method) = (new.bundle, new.batch, new.method);
    match new.from {
        Directories::Dir(dir) => {
            blocking(move || {
                refuse_existing(&b)?;
                let inputs = prepare::inputs_from_dir(&dir)?;
                write_new(&b, &lock, &batch, inputs, sources, method)
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
            let (rules, name) = (rules.clone(), batch.clone());
            let prepared = blocking(move || {
                let inputs = snapshot.inputs(&rules, policy, tasks, history)?;
                set_aside_unrecorded(&b, &name, &lock)?;
                write_new(&b, &lock, &name, inputs, sources, method)
            })
            .await?;
            let detail = json!({ "commitment_sha256": prepared.digest, "enterprises": prepared.enterprises });
            let entry = Entry {
                batch: &batch,
                state: "committed",
                actor: &new.actor,
                detail: &detail,
                now: &now,
                commitment: Some(&prepared.digest),
                verification: None,
            };
            state::record(&mut tx, entry).await?;
            tx.commit().await?;
            Ok(prepared)
        }
    }
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
    let secret = private::keep_secret(b, &c.secret)?;
    staging.create(b)?;
    Ok(Prepared {
        digest: c.digest,
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
    let claim = claim(&step, ("committed", "run")).await?;
    let secret = secret.unwrap_or_else(|| step.bundle.secret_path());
    let (b, l) = (step.bundle.clone(), claim.lock.clone());
    let summary = blocking(move || {
        let staging = Staging::new(&b, &l)?;
        let summary = run::run(&b, &staging.bundle, &entropy, &secret)?;
        staging.publish(&b, "run", json!({}))?;
        Ok(summary)
    })
    .await?;
    let detail = json!({ "visits": summary.visits, "inspectors_assigned": summary.members, "teams_not_formed": summary.failures });
    finish(claim, &step, ("run", &detail, None)).await?;
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
    let (b, l, check) = (step.bundle.clone(), claim.lock.clone(), claim.tx.is_some());
    let revealed = blocking(move || {
        let staging = Staging::new(&b, &l)?;
        let seed = run::reveal(&b, &staging.bundle, &secret)?;
        staging.publish(&b, "revealed", json!({ "seed": seed }))?;
        let verification = check.then(|| {
            super::verify::verify(&b).unwrap_or_else(|d| format!("verification failed: {d}"))
        });
        Ok(Revealed { seed, verification })
    })
    .await?;
    let detail = json!({ "seed": revealed.seed, "verification": revealed.verification });
    let verification = revealed.verification.as_deref();
    finish(claim, &step, ("revealed", &detail, verification)).await?;
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
