//! The log evidence of a bundle checked offline (`docs/log.md` §8.1): the commitment's leaf in a
//! checkpoint signed by the log and cosigned by the quorum of witnesses, the run's leaf after it
//! with a consistency proof between the two checkpoints, and the commitment before the entropy.

use crate::canonical::sha256_hex;
use crate::difference::Difference;
use crate::entropy;
use crate::files::{self, BundleFiles};
use crate::verdict::{LogEvidence, Logged, Order, RunLeaf, SourceTime};
use dualdraw_solver::timing;
use dualdraw_solver::tlog::evidence::{self, Checked, Evidence, Keys};
use dualdraw_solver::tlog::leaf::plan_commitment;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The bundle's facts the evidence is compared with.
struct Facts {
    commitment: Value,
    digest: String,
    files: BTreeMap<String, String>,
    state: String,
}

fn facts(files: &impl BundleFiles) -> Result<Facts, Difference> {
    let manifest = files::read_json(files, "manifest.json")?;
    let text = files::read_text(files, "commitment.json")?;
    Ok(Facts {
        commitment: serde_json::from_str(&text)
            .map_err(|e| Difference::in_file("commitment.json", e))?,
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
pub(crate) fn check(
    files: &impl BundleFiles,
    keys: Option<Keys>,
) -> Result<LogEvidence, Difference> {
    let f = facts(files)?;
    let past = f.commitment["allow_past_entropy"] == json!(true);
    if !f.files.keys().any(|k| k.starts_with("log/")) {
        return Ok(LogEvidence::None { past_entropy: past });
    }
    let (keys, from_file) = match keys {
        Some(k) => (k, false),
        None => {
            const KEYS: &str = "log/keys.json";
            let text = files::read_text(files, KEYS)
                .map_err(|_| Difference::in_file(KEYS, "missing, and no --log-key given"))?;
            (
                Keys::parse(&text).map_err(|e| Difference::in_file(KEYS, e))?,
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
    let wrong = format!("log/{other}.json");
    if f.files.contains_key(&wrong) {
        return Err(Difference::in_file(
            &wrong,
            format!("does not match the commitment (expected log/{event}.json)"),
        ));
    }
    let opening = format!("log/{event}.json");
    if !f.files.contains_key(&opening) {
        return Err(Difference::in_file(
            &opening,
            "missing: the log evidence must include the commitment's leaf",
        ));
    }
    let c = check_file(files, &opening, event, &f, &keys)?;
    check_opening(&opening, &c, &f)?;
    let run = if f.files.contains_key("log/run.json") {
        Some(check_run(files, &f, &keys, &c)?)
    } else {
        None
    };
    let order = order(&f.commitment, keys.quorum, c.checked.quorum_time, past)?;
    Ok(LogEvidence::Logged(Logged {
        jurisdiction: c.checked.event.jurisdiction.clone(),
        event: event.to_string(),
        leaf: c.index,
        checkpoint: c.checked.size,
        cosigned: c.checked.cosigned.len(),
        quorum: keys.quorum,
        run,
        order,
        log_key: keys.log.to_string(),
        keys_from_bundle: from_file,
    }))
}

struct FileCheck {
    index: u64,
    checked: Checked,
    evidence: Evidence,
}

fn check_file(
    files: &impl BundleFiles,
    rel: &str,
    event: &str,
    f: &Facts,
    keys: &Keys,
) -> Result<FileCheck, Difference> {
    let text = files::read_text(files, rel)?;
    let ev = Evidence::parse(&text).map_err(|e| Difference::in_file(rel, e))?;
    let checked = evidence::check(&ev, keys).map_err(|e| Difference::in_file(rel, e))?;
    let e = &checked.event;
    if e.kind.name() != event {
        return Err(Difference::in_file(
            rel,
            format!("the leaf is a {} event, not {event}", e.kind),
        ));
    }
    if e.batch != f.commitment["batch"].as_str().unwrap_or("") || e.commitment_sha256 != f.digest {
        return Err(Difference::in_file(
            rel,
            "the leaf is of another batch or commitment",
        ));
    }
    Ok(FileCheck {
        index: ev.index,
        checked,
        evidence: ev,
    })
}

fn check_opening(rel: &str, c: &FileCheck, f: &Facts) -> Result<(), Difference> {
    let e = &c.checked.event;
    let want = |k: &str, default: Value| f.commitment.get(k).cloned().unwrap_or(default);
    let same = e.fields.get("method") == Some(&want("method", json!("")))
        && e.fields.get("sources") == Some(&want("sources", json!([])))
        && e.fields.get("allow_past_entropy") == Some(&want("allow_past_entropy", json!(false)))
        && e.fields.get("replaces") == f.commitment.get("replaces");
    if !same {
        return Err(Difference::in_file(rel, "the leaf's method, sources, allow_past_entropy or replaces differ from the commitment's"));
    }
    Ok(())
}

fn check_run(
    files: &impl BundleFiles,
    f: &Facts,
    keys: &Keys,
    opening: &FileCheck,
) -> Result<RunLeaf, Difference> {
    let rel = "log/run.json";
    if f.state != "revealed" && f.state != "run" {
        return Err(Difference::in_file(
            rel,
            "run evidence in a bundle that is not run",
        ));
    }
    let c = check_file(files, rel, "run", f, keys)?;
    let e = &c.checked.event;
    if e.jurisdiction != opening.checked.event.jurisdiction || c.index <= opening.index {
        return Err(Difference::in_file(
            rel,
            "the run leaf is not after the commitment's leaf of the same jurisdiction",
        ));
    }
    let entropy = files::read_text(files, "entropy.json")?;
    if e.str("entropy_sha256") != Some(sha256_hex(entropy.as_bytes()).as_str()) {
        return Err(Difference::in_field(
            rel,
            "entropy_sha256",
            "entropy_sha256 is not the SHA-256 of entropy.json",
        ));
    }
    if f.state == "revealed" {
        let secret = files::read_text(files, "secret.txt")?;
        let secret: [u8; 32] = hex::decode(secret.trim())
            .ok()
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| Difference::in_file("secret.txt", "not 64 hex digits"))?;
        if e.str("plan_commitment") != Some(plan_commitment(&secret, &f.files).as_str()) {
            return Err(Difference::in_field(
                rel,
                "plan_commitment",
                "plan_commitment does not match the plan's files and the secret",
            ));
        }
    }
    let consistent_with = evidence::check_consistency(&opening.evidence, &c.evidence, keys)
        .map_err(|e| Difference::in_file(rel, e))?;
    Ok(RunLeaf {
        leaf: c.index,
        checkpoint: c.checked.size,
        consistent_with,
    })
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

/// The commitment time, the sources' times and whether the commitment came first (§7.4): a
/// commitment attested at or after the first source time fails.
fn order(
    commitment: &Value,
    quorum: usize,
    time: Option<u64>,
    past: bool,
) -> Result<Order, Difference> {
    let declared = commitment.get("sources").cloned().unwrap_or(json!([]));
    let times: Vec<i64> = entropy::sources(&declared)
        .map_err(Difference::other)?
        .iter()
        .map(timing::public_from)
        .collect();
    let sources = declared
        .as_array()
        .into_iter()
        .flatten()
        .zip(&times)
        .map(|(s, t)| SourceTime {
            source: describe(s),
            public_from: *t,
        })
        .collect();
    let order = Order {
        commitment_time: time.filter(|_| quorum > 0).map(|t| t as i64),
        sources,
        past_entropy: past,
    };
    if let (Some(t), Some(first), false) = (order.commitment_time, order.first_source_time(), past)
    {
        if t >= first {
            return Err(Difference::in_file("log/prepare.json", format!(
                "commitment time {} is not before the first source time {}: the entropy may have been known when the commitment was made",
                timing::utc(t),
                timing::utc(first)
            )));
        }
    }
    Ok(order)
}
