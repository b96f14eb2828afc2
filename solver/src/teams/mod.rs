//! Inspector teams (`docs/draw-protocol.md`, "Inspectors"; `docs/plan-model.md`, "Teams"): for
//! each visit and each department in it, a team of the policy's size from that department,
//! chosen by seeded priority. The records and the rules every method shares are here; the two
//! team rules are [`capacity`] (each inspector within a yearly capacity) and [`budget`] (within
//! the annual plan's per-period budgets), and a method's [`crate::TeamRule`] says which applies
//! and which priority ([`priority`]) orders the candidates.

pub mod budget;
pub mod capacity;
pub mod completion;
mod priority;

pub use capacity::{draw_seats, draw_teams};
pub use priority::{priority, priority_of, priority_prefix};

use crate::inputs::Inputs;
use crate::Uscc;
use std::collections::{BTreeMap, BTreeSet};

/// One inspector on one department's team of one visit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub visit: String,
    pub department: String,
    pub inspector: String,
    pub priority: u64,
}

/// A department's team that could not be formed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub visit: String,
    pub department: String,
    pub needed: u32,
    pub found: u32,
    pub reason: String,
}

/// The inspectors of the most recent earlier visit of each (enterprise, department).
pub fn last_teams(inputs: &Inputs) -> BTreeMap<(Uscc, &str), BTreeSet<&str>> {
    let mut latest: BTreeMap<(Uscc, &str), (chrono::NaiveDate, BTreeSet<&str>)> = BTreeMap::new();
    for h in &inputs.history {
        let key = (h.uscc, h.department.as_str());
        let slot = latest.entry(key).or_insert((h.visited_on, BTreeSet::new()));
        if h.visited_on > slot.0 {
            *slot = (h.visited_on, BTreeSet::new());
        }
        if h.visited_on == slot.0 {
            slot.1.insert(h.inspector.as_str());
        }
    }
    latest.into_iter().map(|(k, (_, team))| (k, team)).collect()
}
