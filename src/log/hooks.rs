//! The draw steps' side of the log (`docs/log.md` §7.4, §8): the run gate, the events of run and
//! reveal, and the evidence files a run and a reveal add to the bundle. Called by
//! `draw::steps`, which appends the events in its own transaction (`draw::state::record`).

use super::events;
use super::gate::{self, Opened};
use super::store;
use crate::db::Db;
use crate::draw::bundle::Bundle;
use crate::draw::run::StepError;
use dualdraw_solver::tlog::checkpoint::Checkpoint;
use dualdraw_solver::tlog::evidence::{self, Evidence};
use dualdraw_solver::tlog::leaf::Event;

fn log_error(e: super::LogError) -> StepError {
    crate::draw::state::log_error(e)
}

/// Refuses to run a logged draw until its commitment is cosigned in time; returns the evidence
/// to put in the bundle. A draw prepared with `--allow-past-entropy` runs anyway, with the
/// evidence if there is some.
pub async fn open_run_gate(db: &Db, bundle: &Bundle) -> Result<Option<Opened>, StepError> {
    let (_, c) = events::commitment(bundle).map_err(log_error)?;
    let jurisdiction = events::jurisdiction();
    match gate::check_run(db, &jurisdiction, &c).await {
        Ok(o) => Ok(Some(o)),
        Err(_) if c["allow_past_entropy"].as_bool() == Some(true) => Ok(None),
        Err(m) => Err(StepError::State(format!("not run: {m}"))),
    }
}

/// Writes `log/keys.json` and the commitment's evidence into a (staging) bundle.
pub fn write_commitment_evidence(out: &Bundle, o: &Opened) -> Result<(), StepError> {
    out.write("log/keys.json", &o.keys.to_text())?;
    out.write(&format!("log/{}.json", o.event), &o.evidence.to_text())?;
    Ok(())
}

/// The run's event, from the run bundle and its secret.
pub fn run_event(bundle: &Bundle, secret: &[u8; 32]) -> Result<Event, StepError> {
    events::run_event(bundle, &events::jurisdiction(), secret).map_err(log_error)
}

/// The reveal's event, from the revealed bundle.
pub fn reveal_event(bundle: &Bundle) -> Result<Event, StepError> {
    events::reveal_event(bundle, &events::jurisdiction()).map_err(log_error)
}

/// The evidence of the run's leaf, when a checkpoint the quorum cosigned contains it.
pub async fn run_evidence(db: &Db, bundle: &Bundle) -> Result<Option<Evidence>, StepError> {
    if !bundle.path("log/keys.json").exists() {
        return Ok(None);
    }
    let (_, c) = events::commitment(bundle).map_err(log_error)?;
    let batch = c["batch"].as_str().unwrap_or("");
    let keys = gate::declared_keys(db).await.map_err(log_error)?;
    let mut conn = db.pool.acquire().await?;
    let index = store::event_index(&mut conn, &events::jurisdiction(), batch, "run")
        .await
        .map_err(log_error)?;
    drop(conn);
    let Some(index) = index else { return Ok(None) };
    let ev = super::evidence::for_leaf(db, index, keys.quorum)
        .await
        .map_err(log_error)?;
    let Some(mut ev) = ev else { return Ok(None) };
    let size = match evidence::check(&ev, &keys) {
        Ok(c) => c.size,
        Err(why) => {
            tracing::warn!(%batch, "run evidence not added yet: {why}");
            return Ok(None);
        }
    };
    // The consistency proof from the commitment's checkpoint to the run's (§8): one
    // append-only tree holds both events. Evidence that does not say its size (it was checked
    // when the run wrote it) gets none: the proof is additive.
    for rel in ["log/prepare.json", "log/replan.json"] {
        if !bundle.path(rel).exists() {
            continue;
        }
        match checkpoint_size(&bundle.read(rel)?) {
            Some(from) if from <= size => {
                let proof = super::evidence::consistency(db, from, size)
                    .await
                    .map_err(log_error)?;
                ev.consistency = Some(proof);
            }
            _ => tracing::warn!(%batch, "{rel}: no checkpoint size; no consistency proof added"),
        }
    }
    Ok(Some(ev))
}

/// The tree size of an evidence file's checkpoint, read without checking it.
fn checkpoint_size(text: &str) -> Option<u64> {
    let ev = Evidence::parse(text).ok()?;
    let note = dualdraw_solver::tlog::note::Note::parse(&ev.checkpoint).ok()?;
    Checkpoint::parse_text(&note.text).ok().map(|c| c.size)
}

/// Writes `log/run.json` into a (staging) bundle beside copies of the evidence already there
/// (a step replaces the whole `log/` directory).
pub fn write_run_evidence(bundle: &Bundle, out: &Bundle, e: &Evidence) -> Result<(), StepError> {
    for name in ["keys.json", "prepare.json", "replan.json"] {
        let rel = format!("log/{name}");
        if bundle.path(&rel).exists() {
            out.write(&rel, &bundle.read(&rel)?)?;
        }
    }
    out.write("log/run.json", &e.to_text())?;
    Ok(())
}
