//! Log evidence carried by a bundle (`docs/log.md` §8): a leaf, its index, a cosigned checkpoint
//! and the inclusion proof, checked offline against the log's and the witnesses' keys.

use super::checkpoint;
use super::cosignature::{self, Cosigned};
use super::leaf::Event;
use super::note::VerifierKey;
use crate::merkle::{leaf_hash, verify_inclusion, Hash};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Value};

/// Why evidence does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EvidenceError(pub String);

fn err(m: impl Into<String>) -> EvidenceError {
    EvidenceError(m.into())
}

/// One evidence file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    pub checkpoint: String,
    pub index: u64,
    pub leaf: String,
    pub proof: Vec<Hash>,
    /// Additive (`docs/log.md` §8): the RFC 6962 consistency proof from the checkpoint of the
    /// bundle's previous evidence file to this one's. Absent in evidence written before it.
    pub consistency: Option<Vec<Hash>>,
}

impl Evidence {
    /// The file's text: canonical JSON and a final LF.
    pub fn to_text(&self) -> String {
        let b64 = |hashes: &[Hash]| hashes.iter().map(|h| B64.encode(h)).collect::<Vec<_>>();
        let mut v = json!({"checkpoint": self.checkpoint, "index": self.index, "leaf": self.leaf, "proof": b64(&self.proof)});
        if let Some(c) = &self.consistency {
            v["consistency"] = json!(b64(c));
        }
        format!(
            "{}\n",
            serde_json::to_string(&v).expect("JSON values serialize")
        )
    }

    /// Parses an evidence file.
    pub fn parse(text: &str) -> Result<Evidence, EvidenceError> {
        let v: Value = serde_json::from_str(text).map_err(|e| err(format!("not JSON: {e}")))?;
        let s = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| err(format!("'{k}' is missing or not a string")))
        };
        let hashes = |k: &str, list: &Value| {
            list.as_array()
                .ok_or_else(|| err(format!("'{k}' is not a list")))?
                .iter()
                .map(|p| {
                    p.as_str()
                        .and_then(|p| B64.decode(p).ok())
                        .and_then(|b| Hash::try_from(b).ok())
                        .ok_or_else(|| err(format!("a '{k}' hash is not 32 bytes of base64")))
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let proof = hashes(
            "proof",
            v.get("proof")
                .ok_or_else(|| err("'proof' is missing or not a list"))?,
        )?;
        let consistency = v
            .get("consistency")
            .map(|c| hashes("consistency", c))
            .transpose()?;
        let e = Evidence {
            checkpoint: s("checkpoint")?,
            index: v
                .get("index")
                .and_then(Value::as_u64)
                .ok_or_else(|| err("'index' is missing or not a number"))?,
            leaf: s("leaf")?,
            proof,
            consistency,
        };
        if e.to_text() != text {
            return Err(err("not in canonical form"));
        }
        Ok(e)
    }
}

/// The keys a verifier trusts: the log's, the witnesses', and the quorum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keys {
    pub log: VerifierKey,
    pub witnesses: Vec<VerifierKey>,
    pub quorum: usize,
}

impl Keys {
    /// `log/keys.json`: `{"log":VKEY,"quorum":Q,"witnesses":[VKEY,…]}`.
    pub fn to_text(&self) -> String {
        let w: Vec<String> = self.witnesses.iter().map(|k| k.to_string()).collect();
        let v = json!({"log": self.log.to_string(), "quorum": self.quorum, "witnesses": w});
        format!(
            "{}\n",
            serde_json::to_string(&v).expect("JSON values serialize")
        )
    }

    /// Parses `log/keys.json`.
    pub fn parse(text: &str) -> Result<Keys, EvidenceError> {
        let v: Value = serde_json::from_str(text).map_err(|e| err(format!("not JSON: {e}")))?;
        let key = |s: Option<&str>| {
            VerifierKey::parse(s.ok_or_else(|| err("a key is not a string"))?)
                .map_err(|e| err(e.to_string()))
        };
        let log = key(v.get("log").and_then(Value::as_str))?;
        let witnesses = v
            .get("witnesses")
            .and_then(Value::as_array)
            .ok_or_else(|| err("'witnesses' is missing or not a list"))?
            .iter()
            .map(|w| key(w.as_str()))
            .collect::<Result<Vec<_>, _>>()?;
        let quorum =
            v.get("quorum")
                .and_then(Value::as_u64)
                .ok_or_else(|| err("'quorum' is missing or not a number"))? as usize;
        if quorum > witnesses.len() {
            return Err(err(format!(
                "quorum {quorum} exceeds the {} witnesses",
                witnesses.len()
            )));
        }
        Ok(Keys {
            log,
            witnesses,
            quorum,
        })
    }
}

/// What valid evidence establishes.
#[derive(Clone, Debug, PartialEq)]
pub struct Checked {
    pub event: Event,
    pub size: u64,
    pub cosigned: Vec<Cosigned>,
    /// The time by which the quorum had cosigned (`docs/log.md` §7.4); `None` if quorum is 0.
    pub quorum_time: Option<u64>,
}

/// Checks the `consistency` proof of `later` (`docs/log.md` §8.1 step 5): the tree of the
/// checkpoint of `earlier` is a prefix of the tree of the checkpoint of `later`. Both
/// checkpoints must have been checked (signature, quorum) by [`check`] already. `Ok(None)` when
/// `later` carries no proof (evidence written before it existed); otherwise the earlier size.
pub fn check_consistency(
    earlier: &Evidence,
    later: &Evidence,
    keys: &Keys,
) -> Result<Option<u64>, EvidenceError> {
    let Some(proof) = &later.consistency else {
        return Ok(None);
    };
    let open = |e: &Evidence| {
        checkpoint::open(&e.checkpoint, &keys.log)
            .map(|o| o.checkpoint)
            .map_err(|x| err(format!("checkpoint: {x}")))
    };
    let (first, second) = (open(earlier)?, open(later)?);
    if first.size > second.size {
        return Err(err(format!(
            "consistency proof: the earlier checkpoint's tree ({} leaves) is larger than this one's ({})",
            first.size, second.size
        )));
    }
    if !super::proof::verify_consistency(first.size, second.size, &first.root, &second.root, proof)
    {
        return Err(err(format!(
            "consistency proof from checkpoint {} to checkpoint {} does not verify: the two checkpoints are not of one append-only tree",
            first.size, second.size
        )));
    }
    Ok(Some(first.size))
}

/// Checks evidence: the leaf, the log's signature, the inclusion proof and the quorum of
/// cosignatures (`docs/log.md` §8.1, steps 1–4 except the comparison with the bundle).
pub fn check(e: &Evidence, keys: &Keys) -> Result<Checked, EvidenceError> {
    let event = Event::parse(e.leaf.as_bytes()).map_err(|x| err(x.to_string()))?;
    let opened =
        checkpoint::open(&e.checkpoint, &keys.log).map_err(|x| err(format!("checkpoint: {x}")))?;
    let cp = &opened.checkpoint;
    if e.index >= cp.size {
        return Err(err(format!(
            "leaf {} is not in a tree of {} leaves",
            e.index, cp.size
        )));
    }
    if !verify_inclusion(
        &leaf_hash(e.leaf.as_bytes()),
        e.index,
        cp.size,
        &e.proof,
        &cp.root,
    ) {
        return Err(err(format!(
            "the inclusion proof of leaf {} does not lead to the checkpoint's root",
            e.index
        )));
    }
    let cosigned = cosignature::verify_all(&opened.note, &keys.witnesses)
        .map_err(|x| err(format!("cosignature: {x}")))?;
    if cosigned.len() < keys.quorum {
        return Err(err(format!(
            "{} of the {} required witnesses cosigned the checkpoint",
            cosigned.len(),
            keys.quorum
        )));
    }
    Ok(Checked {
        event,
        size: cp.size,
        quorum_time: cosignature::quorum_time(&cosigned, keys.quorum),
        cosigned,
    })
}
