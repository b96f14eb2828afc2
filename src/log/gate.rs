//! The order rules of `docs/log.md` §7: `draw prepare` refuses a source whose value is or may
//! be public; `draw run` waits until the commitment is in a checkpoint cosigned by the quorum
//! before the first source could be known. The times are the solver's (`timing`).

use super::evidence as build;
use super::store;
use super::LogError;
use crate::db::Db;
use dualdraw_solver::timing;
use dualdraw_solver::tlog::evidence::{self, Evidence, Keys};
use dualdraw_solver::tlog::note::VerifierKey;
use dualdraw_verify::entropy::sources;
use serde_json::Value;

/// Now, in Unix seconds.
pub fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Refuses a declaration any of whose sources may already be public (`docs/log.md` §7.2).
pub fn check_prepare(declared: &Value, now: i64, margin: u64) -> Result<(), String> {
    for s in sources(declared)? {
        timing::may_be_public(&s, now, margin).map_err(|e| {
            format!("{e}: its value may already be known, so it cannot make the draw unpredictable; declare a later one (or, for tests and demos only, --allow-past-entropy)")
        })?;
    }
    Ok(())
}

/// The keys the log declares (recorded at start): the log's, its witnesses', the quorum.
pub async fn declared_keys(db: &Db) -> Result<Keys, LogError> {
    let mut conn = db.pool.acquire().await?;
    let vkey = store::meta(&mut conn, "verifier_key")
        .await?
        .ok_or_else(|| {
            LogError::Config(
                "the log has no key yet: start the service once (or run `dualdraw log publish`)"
                    .into(),
            )
        })?;
    let policy = store::meta(&mut conn, "witnesses")
        .await?
        .unwrap_or_else(|| "quorum 0\n".into());
    let mut lines = policy.lines();
    let quorum = lines
        .next()
        .and_then(|l| l.strip_prefix("quorum "))
        .and_then(|q| q.parse().ok())
        .unwrap_or(0);
    let witnesses = lines
        .filter_map(|l| l.split_whitespace().nth(1))
        .map(VerifierKey::parse)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Keys {
        log: VerifierKey::parse(&vkey)?,
        witnesses,
        quorum,
    })
}

/// What `draw run` writes into the bundle once the gate opens.
pub struct Opened {
    pub keys: Keys,
    pub evidence: Evidence,
    pub event: &'static str,
}

/// Opens the run gate (`docs/log.md` §7.4), or says why it stays shut.
pub async fn check_run(db: &Db, jurisdiction: &str, commitment: &Value) -> Result<Opened, String> {
    let batch = commitment["batch"].as_str().unwrap_or("");
    let event = if commitment.get("replaces").is_some() {
        "replan"
    } else {
        "prepare"
    };
    let keys = declared_keys(db).await.map_err(|e| e.to_string())?;
    let mut conn = db.pool.acquire().await.map_err(|e| e.to_string())?;
    let index = store::first_index(&mut conn, jurisdiction, batch)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("batch '{batch}' of jurisdiction '{jurisdiction}' is not in the public log: its commitment was never logged"))?;
    drop(conn);
    let ev = build::for_leaf(db, index, keys.quorum)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the commitment is not in a signed checkpoint yet; the service signs one within seconds")?;
    let checked = evidence::check(&ev, &keys)
        .map_err(|e| format!("the commitment's checkpoint is not cosigned by the quorum yet ({e}); wait for the witnesses"))?;
    let allow_past = commitment["allow_past_entropy"].as_bool().unwrap_or(false);
    let first = sources(&commitment["sources"])?
        .iter()
        .map(timing::public_from)
        .min();
    if let (Some(t), Some(first), false) = (checked.quorum_time, first, allow_past) {
        if t as i64 >= first {
            return Err(format!(
                "the quorum cosigned the commitment at {}, not before the first source could be known ({}): this draw cannot prove its commitment came first; abandon it (`dualdraw draw abandon {batch} --reason …`) and prepare another batch",
                timing::utc(t as i64),
                timing::utc(first)
            ));
        }
    }
    Ok(Opened {
        keys,
        evidence: ev,
        event,
    })
}
