//! The batches of a log read back from its leaves, with what a monitor flags
//! (`docs/log.md` §1.1 and §9): abandoned batches, duplicate names, events out of order.

use super::leaf::{Event, Kind};
use std::collections::BTreeMap;

/// What a monitor reports about a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Flag {
    /// Abandoned, with the operator's reason.
    Abandoned(String),
    /// Prepared again under the same name (leaf index of the second prepare).
    DuplicateName(u64),
    /// An event not allowed where it is (leaf index, why).
    OutOfOrder(u64, String),
}

/// One batch: its events (leaf index, kind) in log order, and its flags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    pub jurisdiction: String,
    pub batch: String,
    pub method: Option<String>,
    pub commitment_sha256: String,
    pub events: Vec<(u64, Kind)>,
    pub flags: Vec<Flag>,
}

/// Groups events (with their leaf indexes, in log order) by (jurisdiction, batch), in order of
/// first appearance, and flags every departure from §1.1.
pub fn batches(events: &[(u64, Event)]) -> Vec<Batch> {
    let mut order: Vec<(String, String)> = Vec::new();
    let mut by_name: BTreeMap<(String, String), Batch> = BTreeMap::new();
    for (index, e) in events {
        let key = (e.jurisdiction.clone(), e.batch.clone());
        let b = by_name.entry(key.clone()).or_insert_with(|| {
            order.push(key.clone());
            Batch {
                jurisdiction: e.jurisdiction.clone(),
                batch: e.batch.clone(),
                method: e.str("method").map(str::to_string),
                commitment_sha256: e.commitment_sha256.clone(),
                events: Vec::new(),
                flags: Vec::new(),
            }
        });
        if let Some(flag) = judge(b, *index, e) {
            b.flags.push(flag);
        }
        b.events.push((*index, e.kind));
        if let (Kind::Abandon, Some(reason)) = (e.kind, e.str("reason")) {
            b.flags.push(Flag::Abandoned(reason.to_string()));
        }
    }
    order
        .into_iter()
        .map(|k| by_name.remove(&k).expect("every name was recorded"))
        .collect()
}

/// The flag an event earns given the batch's earlier events, if any.
fn judge(b: &Batch, index: u64, e: &Event) -> Option<Flag> {
    let seen = |k: Kind| b.events.iter().any(|(_, x)| *x == k);
    let opened = b.events.iter().any(|(_, x)| x.opens());
    if e.kind.opens() {
        return opened.then_some(Flag::DuplicateName(index));
    }
    let why = if !opened {
        format!("{} before the batch was prepared", e.kind)
    } else if seen(Kind::Abandon) {
        format!("{} after the batch was abandoned", e.kind)
    } else if e.commitment_sha256 != b.commitment_sha256 {
        format!("{} names another commitment", e.kind)
    } else {
        match e.kind {
            Kind::Run if seen(Kind::Run) => "a second run".to_string(),
            Kind::Reveal if !seen(Kind::Run) => "reveal before run".to_string(),
            Kind::Reveal if seen(Kind::Reveal) => "a second reveal".to_string(),
            Kind::Publish if !seen(Kind::Reveal) => "publish before reveal".to_string(),
            _ => return None,
        }
    };
    Some(Flag::OutOfOrder(index, why))
}
