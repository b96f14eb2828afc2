//! The steps that make a new batch — `prepare` and `replan` — as use cases
//! (`docs/draw-state.md`, §2–§5): the bundle's lock, with a database the row inserted first in
//! the step's transaction, the bundle written in staging and renamed into place.

use super::{blocking, lock};
use crate::credit::rules::RuleTable;
use crate::db::Db;
use crate::draw::bundle::Bundle;
use crate::draw::from_db::Snapshot;
use crate::draw::prepare::{self, Commitment};
use crate::draw::private::{self, Lock, Staging};
use crate::draw::run::StepError;
use crate::draw::state::{self, Entry};
use serde_json::{json, Value};
use std::path::PathBuf;

/// The method of a new batch; an annual plan (`dr2`, `dr3`) with its complaint-driven checks
/// as (name, CSV text).
pub enum Method {
    Dr1,
    Annual {
        method: dualdraw_solver::Method,
        complaints: Option<(String, String)>,
    },
}

impl Method {
    /// The method's identifier as the solver knows it.
    pub fn solver(&self) -> dualdraw_solver::Method {
        match self {
            Method::Dr1 => dualdraw_solver::Method::Dr1,
            Method::Annual { method, .. } => *method,
        }
    }
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
                let inputs = prepare::inputs_from_dir(&dir, method.solver())?;
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
                let inputs = snapshot.inputs(&rules, method.solver(), policy, tasks, history)?;
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
    let text = crate::draw::bundle::json_text(&c);
    b.write("commitment.json", &text)?;
    b.write_manifest("committed", json!({}))?;
    Ok(crate::draw::bundle::sha256_hex(text.as_bytes()))
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
    std::fs::rename(&b.dir, &aside).map_err(|e| crate::draw::bundle::io(&aside, e))?;
    tracing::warn!(bundle = %b.dir.display(), aside = %aside.display(), "set aside a bundle its database never recorded");
    Ok(())
}

/// Writes a new bundle in staging, keeps its secret, renames it into place.
fn write_new(
    b: &Bundle,
    lock: &Lock,
    batch: &str,
    inputs: dualdraw_solver::inputs::Inputs,
    sources: Vec<Value>,
    method: Method,
    allow_past_entropy: bool,
) -> Result<Prepared, StepError> {
    let staging = Staging::new(b, lock)?;
    let c: Commitment = match method {
        Method::Dr1 => prepare::write(&staging.bundle, batch, &inputs, sources)?,
        Method::Annual { method, complaints } => {
            let mut annual = dualdraw_solver::inputs::Annual::default();
            if let Some((name, text)) = complaints {
                let periods = inputs.policy.periods.count();
                annual.complaints = crate::draw::annual::parse_complaints(&name, &text, periods)
                    .map_err(|e| StepError::Input(e.join("\n")))?;
            }
            annual.normalize();
            crate::draw::annual::prepare(&staging.bundle, batch, &inputs, &annual, method, sources)?
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
        let method = crate::draw::annual::replanned_method(&old)?;
        let inputs = prepare::inputs_from_dir(&from, method)?;
        let complaints = match complaints {
            Some((name, text)) => {
                crate::draw::annual::parse_complaints(&name, &text, inputs.policy.periods.count())
                    .map_err(|e| StepError::Input(e.join("\n")))?
            }
            None => Vec::new(),
        };
        let staging = Staging::new(&out, &lock)?;
        let c = crate::draw::annual::replan(
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
