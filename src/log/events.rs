//! The log events of a draw's steps, built from its bundle's files (`docs/log.md` §1): the
//! commitment (prepare or re-plan), the run, the reveal, and an abandonment.

use super::LogError;
use crate::draw::bundle::{sha256_hex, Bundle};
use dualdraw_solver::tlog::leaf::{self, Event, Kind};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The jurisdiction written in every leaf: `DUALDRAW_JURISDICTION`, default `default`.
pub fn jurisdiction() -> String {
    std::env::var("DUALDRAW_JURISDICTION")
        .ok()
        .filter(|j| !j.is_empty())
        .unwrap_or_else(|| "default".into())
}

fn bad(e: impl std::fmt::Display) -> LogError {
    LogError::Evidence(format!("bundle: {e}"))
}

/// The bundle's commitment: its text's digest and its JSON.
pub fn commitment(bundle: &Bundle) -> Result<(String, Value), LogError> {
    let text = bundle.read("commitment.json").map_err(bad)?;
    let c: Value = serde_json::from_str(&text).map_err(|e| bad(format!("commitment.json: {e}")))?;
    Ok((sha256_hex(text.as_bytes()), c))
}

/// The `prepare` (or, with `replaces`, `replan`) event of a bundle's commitment.
pub fn commitment_event(bundle: &Bundle, jurisdiction: &str) -> Result<Event, LogError> {
    let (digest, c) = commitment(bundle)?;
    let replaces = c["replaces"].as_str();
    let kind = if replaces.is_some() {
        Kind::Replan
    } else {
        Kind::Prepare
    };
    let fields = leaf::prepare_fields(
        c["method"].as_str().unwrap_or(""),
        &c.get("sources").cloned().unwrap_or(json!([])),
        c["allow_past_entropy"].as_bool().unwrap_or(false),
        replaces,
    );
    Ok(Event::new(
        kind,
        jurisdiction,
        c["batch"].as_str().unwrap_or(""),
        &digest,
        fields,
    )?)
}

/// The `run` event of a run bundle, whose plan is salted with its secret.
pub fn run_event(
    bundle: &Bundle,
    jurisdiction: &str,
    secret: &[u8; 32],
) -> Result<Event, LogError> {
    let (digest, c) = commitment(bundle)?;
    let entropy = bundle.read("entropy.json").map_err(bad)?;
    let manifest = bundle.read_json("manifest.json").map_err(bad)?;
    let files: BTreeMap<String, String> = manifest["files"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default();
    let mut fields = leaf::one("entropy_sha256", json!(sha256_hex(entropy.as_bytes())));
    fields.insert(
        "plan_commitment".into(),
        json!(leaf::plan_commitment(secret, &files)),
    );
    Ok(Event::new(
        Kind::Run,
        jurisdiction,
        c["batch"].as_str().unwrap_or(""),
        &digest,
        fields,
    )?)
}

/// The `reveal` event of a revealed bundle.
pub fn reveal_event(bundle: &Bundle, jurisdiction: &str) -> Result<Event, LogError> {
    let (digest, c) = commitment(bundle)?;
    let secret = bundle.read("secret.txt").map_err(bad)?;
    let fields = leaf::one("secret", json!(secret.trim()));
    Ok(Event::new(
        Kind::Reveal,
        jurisdiction,
        c["batch"].as_str().unwrap_or(""),
        &digest,
        fields,
    )?)
}

/// The `abandon` event of a batch.
pub fn abandon_event(
    jurisdiction: &str,
    batch: &str,
    commitment_sha256: &str,
    reason: &str,
) -> Result<Event, LogError> {
    if reason.trim().is_empty() {
        return Err(LogError::Evidence("an abandonment needs a reason".into()));
    }
    let fields = leaf::one("reason", json!(reason));
    Ok(Event::new(
        Kind::Abandon,
        jurisdiction,
        batch,
        commitment_sha256,
        fields,
    )?)
}
