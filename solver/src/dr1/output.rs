//! The plan files of a `dr1` bundle (`docs/draw-protocol.md`, "Plan files"): CSV, UTF-8, LF, in
//! a fixed order, numbers ξ and priorities as 16 lower-case hex digits. Verification recomputes
//! these bytes and compares them.

use super::inputs::{csv_text, Inputs};
use super::select::{Basis, Plan};
use std::collections::BTreeMap;

/// A 64-bit number as 16 hex digits.
pub fn hex64(x: u64) -> String {
    format!("{x:016x}")
}

impl Plan {
    /// The plan files by name (under `plan/` in a bundle).
    pub fn to_files(&self, inputs: &Inputs) -> BTreeMap<&'static str, String> {
        let code = |i: usize| inputs.population[i].uscc.to_string();
        let mut files = BTreeMap::new();
        files.insert(
            "strata.csv",
            csv_text(
                &[
                    "task",
                    "tier",
                    "eligible",
                    "quota",
                    "key",
                    "start",
                    "cutoff",
                    "taken",
                    "passed_over",
                ],
                self.strata.iter().map(|s| {
                    vec![
                        s.task.clone(),
                        s.tier.to_string(),
                        s.eligible.to_string(),
                        s.quota.to_string(),
                        s.key.to_string(),
                        hex64(s.start),
                        s.cutoff.map(hex64).unwrap_or_default(),
                        s.taken.to_string(),
                        s.passed_over.to_string(),
                    ]
                }),
            ),
        );
        files.insert(
            "selections.csv",
            csv_text(
                &["task", "uscc", "tier", "xi", "basis", "inclusion"],
                self.selections.iter().map(|s| {
                    let basis = match s.basis {
                        Basis::Key => "key",
                        Basis::Sample => "sample",
                    };
                    vec![
                        s.task.clone(),
                        code(s.index),
                        s.tier.to_string(),
                        hex64(s.xi),
                        basis.into(),
                        format!("{}/{}", s.inclusion.0, s.inclusion.1),
                    ]
                }),
            ),
        );
        files.insert(
            "passed-over.csv",
            csv_text(
                &["task", "uscc", "tier", "xi", "visits"],
                self.passed_over.iter().map(|p| {
                    vec![
                        p.task.clone(),
                        code(p.index),
                        p.tier.to_string(),
                        hex64(p.xi),
                        p.visits.to_string(),
                    ]
                }),
            ),
        );
        files.insert(
            "visits.csv",
            csv_text(
                &[
                    "visit",
                    "uscc",
                    "region",
                    "tier",
                    "group",
                    "period",
                    "xi",
                    "departments",
                    "tasks",
                ],
                self.visits.iter().map(|v| {
                    let e = &inputs.population[v.index];
                    vec![
                        v.id.clone(),
                        e.uscc.to_string(),
                        e.region.clone(),
                        e.tier.to_string(),
                        v.group.clone(),
                        v.period.to_string(),
                        hex64(v.xi),
                        v.departments.join(";"),
                        v.tasks.join(";"),
                    ]
                }),
            ),
        );
        files.insert(
            "teams.csv",
            csv_text(
                &["visit", "department", "inspector", "priority"],
                self.teams.iter().map(|m| {
                    vec![
                        m.visit.clone(),
                        m.department.clone(),
                        m.inspector.clone(),
                        hex64(m.priority),
                    ]
                }),
            ),
        );
        files.insert(
            "failures.csv",
            csv_text(
                &["visit", "department", "needed", "found", "reason"],
                self.failures.iter().map(|f| {
                    vec![
                        f.visit.clone(),
                        f.department.clone(),
                        f.needed.to_string(),
                        f.found.to_string(),
                        f.reason.clone(),
                    ]
                }),
            ),
        );
        files
    }
}
