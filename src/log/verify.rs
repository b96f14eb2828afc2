//! The log evidence of a bundle checked offline (`docs/log.md` §8.1): the sentence `dualdraw
//! verify` adds to its summary — the same as the Python verifier's (`docs/verifiers.md`).

use super::gate;
use crate::draw::bundle::{sha256_hex, Bundle};
use dualdraw_solver::timing;
use dualdraw_solver::tlog::evidence::{self, Checked, Evidence, Keys};
use dualdraw_solver::tlog::leaf::plan_commitment;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const PAST: &str =
    "prepared with --allow-past-entropy: the order of commitment and entropy is NOT proven";

/// The bundle's facts the evidence is compared with.
struct Facts {
    commitment: Value,
    digest: String,
    files: BTreeMap<String, String>,
    state: String,
}

fn facts(bundle: &Bundle) -> Result<Facts, String> {
    let manifest = bundle
        .read_json("manifest.json")
        .map_err(|e| e.to_string())?;
    let text = bundle.read("commitment.json").map_err(|e| e.to_string())?;
    Ok(Facts {
        commitment: serde_json::from_str(&text).map_err(|e| format!("commitment.json: {e}"))?,
        digest: sha256_hex(text.as_bytes()),
        files: manifest["files"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default(),
        state: manifest["state"].as_str().unwrap_or("").to_string(),
    })
}

/// What the log shows about the bundle, or the first failure. `keys`: those given by the user,
/// else `log/keys.json`.
pub fn statement(bundle: &Bundle, keys: Option<Keys>) -> Result<String, String> {
    let f = facts(bundle)?;
    let past = f.commitment["allow_past_entropy"] == json!(true);
    if !f.files.keys().any(|k| k.starts_with("log/")) {
        return Ok(if past {
            format!("{PAST}; no log evidence")
        } else {
            "no log evidence".into()
        });
    }
    let (keys, from_file) = match keys {
        Some(k) => (k, false),
        None => {
            let text = bundle
                .read("log/keys.json")
                .map_err(|_| "log/keys.json: missing, and no --log-key given".to_string())?;
            (
                evidence::Keys::parse(&text).map_err(|e| format!("log/keys.json: {e}"))?,
                true,
            )
        }
    };
    let replan = f.commitment.get("replaces").is_some();
    let (event, other) = if replan {
        ("replan", "prepare")
    } else {
        ("prepare", "replan")
    };
    if f.files.contains_key(&format!("log/{other}.json")) {
        return Err(format!(
            "log/{other}.json: does not match the commitment (expected log/{event}.json)"
        ));
    }
    let opening = format!("log/{event}.json");
    if !f.files.contains_key(&opening) {
        return Err(format!(
            "{opening}: missing: the log evidence must include the commitment's leaf"
        ));
    }
    let c = check_file(bundle, &opening, event, &f, &keys)?;
    check_opening(&opening, &c, &f)?;
    let mut head = format!(
        "logged in jurisdiction {}: {event} leaf {} in checkpoint {} cosigned by {} witnesses (quorum {})",
        c.checked.event.jurisdiction, c.index, c.checked.size, c.checked.cosigned.len(), keys.quorum
    );
    if f.files.contains_key("log/run.json") {
        head.push_str(&check_run(bundle, &f, &keys, &c)?);
    }
    let order = order(&f.commitment, keys.quorum, c.checked.quorum_time, past)?;
    let note = if from_file {
        " (from log/keys.json: compare it with the log's published key)"
    } else {
        ""
    };
    Ok(format!("{head}; {order}; log key {}{note}", keys.log))
}

struct FileCheck {
    index: u64,
    checked: Checked,
    evidence: Evidence,
}

fn check_file(
    bundle: &Bundle,
    rel: &str,
    event: &str,
    f: &Facts,
    keys: &Keys,
) -> Result<FileCheck, String> {
    let text = bundle.read(rel).map_err(|e| e.to_string())?;
    let ev = Evidence::parse(&text).map_err(|e| format!("{rel}: {e}"))?;
    let checked = evidence::check(&ev, keys).map_err(|e| format!("{rel}: {e}"))?;
    let e = &checked.event;
    if e.kind.name() != event {
        return Err(format!(
            "{rel}: the leaf is a {} event, not {event}",
            e.kind
        ));
    }
    if e.batch != f.commitment["batch"].as_str().unwrap_or("") || e.commitment_sha256 != f.digest {
        return Err(format!("{rel}: the leaf is of another batch or commitment"));
    }
    Ok(FileCheck {
        index: ev.index,
        checked,
        evidence: ev,
    })
}

fn check_opening(rel: &str, c: &FileCheck, f: &Facts) -> Result<(), String> {
    let e = &c.checked.event;
    let want = |k: &str, default: Value| f.commitment.get(k).cloned().unwrap_or(default);
    let same = e.fields.get("method") == Some(&want("method", json!("")))
        && e.fields.get("sources") == Some(&want("sources", json!([])))
        && e.fields.get("allow_past_entropy") == Some(&want("allow_past_entropy", json!(false)))
        && e.fields.get("replaces") == f.commitment.get("replaces");
    if !same {
        return Err(format!("{rel}: the leaf's method, sources, allow_past_entropy or replaces differ from the commitment's"));
    }
    Ok(())
}

fn check_run(
    bundle: &Bundle,
    f: &Facts,
    keys: &Keys,
    opening: &FileCheck,
) -> Result<String, String> {
    let rel = "log/run.json";
    if f.state != "revealed" && f.state != "run" {
        return Err(format!("{rel}: run evidence in a bundle that is not run"));
    }
    let c = check_file(bundle, rel, "run", f, keys)?;
    let e = &c.checked.event;
    if e.jurisdiction != opening.checked.event.jurisdiction || c.index <= opening.index {
        return Err(format!(
            "{rel}: the run leaf is not after the commitment's leaf of the same jurisdiction"
        ));
    }
    let entropy = bundle.read("entropy.json").map_err(|e| e.to_string())?;
    if e.str("entropy_sha256") != Some(sha256_hex(entropy.as_bytes()).as_str()) {
        return Err(format!(
            "{rel}: entropy_sha256 is not the SHA-256 of entropy.json"
        ));
    }
    if f.state == "revealed" {
        let secret = bundle.read("secret.txt").map_err(|e| e.to_string())?;
        let secret: [u8; 32] = hex::decode(secret.trim())
            .ok()
            .and_then(|s| s.try_into().ok())
            .ok_or("secret.txt: not 64 hex digits")?;
        if e.str("plan_commitment") != Some(plan_commitment(&secret, &f.files).as_str()) {
            return Err(format!(
                "{rel}: plan_commitment does not match the plan's files and the secret"
            ));
        }
    }
    let consistent = evidence::check_consistency(&opening.evidence, &c.evidence, keys)
        .map_err(|e| format!("{rel}: {e}"))?
        .map(|m| format!(" (consistent with checkpoint {m})"))
        .unwrap_or_default();
    Ok(format!(
        ", run leaf {} in checkpoint {}{consistent}",
        c.index, c.checked.size
    ))
}

fn describe(s: &Value) -> String {
    match s["kind"].as_str() {
        Some("drand") => format!(
            "drand {} round {}",
            s["chain"].as_str().unwrap_or(""),
            s["round"]
        ),
        _ => format!(
            "lottery {} {} of {}",
            s["name"].as_str().unwrap_or(""),
            s["issue"].as_str().unwrap_or(""),
            s["date"].as_str().unwrap_or("")
        ),
    }
}

/// The commitment time, the sources' times and whether the commitment came first (§7.4).
fn order(
    commitment: &Value,
    quorum: usize,
    time: Option<u64>,
    past: bool,
) -> Result<String, String> {
    let declared = commitment.get("sources").cloned().unwrap_or(json!([]));
    let times: Vec<i64> = gate::sources(&declared)?
        .iter()
        .map(timing::public_from)
        .collect();
    let listed: Vec<String> = declared
        .as_array()
        .into_iter()
        .flatten()
        .zip(&times)
        .map(|(s, t)| format!("{} {}", describe(s), timing::utc(*t)))
        .collect();
    let committed = match (quorum, time) {
        (0, _) | (_, None) => "commitment time unattested (no witnesses)".to_string(),
        (_, Some(t)) => format!("commitment time {}", timing::utc(t as i64)),
    };
    let Some(first) = times.iter().min().copied() else {
        return Ok(format!(
            "{committed}; no sources of its own (entropy of the replaced draw)"
        ));
    };
    let listed = listed.join(", ");
    if past {
        return Ok(format!("{committed}; sources: {listed}; {PAST}"));
    }
    match time.filter(|_| quorum > 0) {
        None => Ok(format!("{committed}; sources: {listed}; the order is not attested")),
        Some(t) if t as i64 >= first => Err(format!(
            "log/prepare.json: commitment time {} is not before the first source time {}: the entropy may have been known when the commitment was made",
            timing::utc(t as i64),
            timing::utc(first)
        )),
        Some(_) => Ok(format!("{committed}, before the first source time {}; sources: {listed}", timing::utc(first))),
    }
}
