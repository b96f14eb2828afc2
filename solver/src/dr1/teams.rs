//! The inspector draw of `dr1` (`docs/draw-protocol.md`, "Inspectors"): for each visit and each
//! department in it, a team of the policy's size from that department — certified for the whole
//! period, of the enterprise's region, without a declared conflict, not the team that inspected
//! the enterprise last time, within capacity — chosen by seeded priority, covering the items'
//! specialties first. When no valid team exists the plan says which constraint fails.

use super::inputs::{Inputs, Inspector};
use super::seed::{inspector_priority, Seed};
use super::select::Visit;
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

/// Why candidates of a department were not eligible, counted for the failure message.
#[derive(Default)]
struct Counts {
    department: u32,
    other_region: u32,
    certificate: u32,
    conflict: u32,
    last_time: u32,
    capacity: u32,
}

/// The inspectors of the most recent earlier visit of each (enterprise, department).
fn last_teams(inputs: &Inputs) -> BTreeMap<(Uscc, &str), BTreeSet<&str>> {
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

/// Teams for every visit, in the visits' order (which decides who uses capacity first).
pub fn draw_teams(inputs: &Inputs, seed: &Seed, visits: &[Visit]) -> (Vec<Member>, Vec<Failure>) {
    let mut by_department: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, insp) in inputs.inspectors.iter().enumerate() {
        by_department
            .entry(insp.department.as_str())
            .or_default()
            .push(i);
    }
    let last = last_teams(inputs);
    // Conflicts by inspector position, so a check needs no allocation.
    let position: BTreeMap<&str, usize> = inputs
        .inspectors
        .iter()
        .enumerate()
        .map(|(i, x)| (x.id.as_str(), i))
        .collect();
    let conflicts: BTreeSet<(usize, Uscc)> = inputs
        .conflicts
        .iter()
        .filter_map(|(id, u)| position.get(id.as_str()).map(|&i| (i, *u)))
        .collect();
    let mut used: Vec<u32> = vec![0; inputs.inspectors.len()];
    let (mut members, mut failures) = (Vec::new(), Vec::new());
    let k = inputs.policy.inspectors_per_department;
    for v in visits {
        let e = &inputs.population[v.index];
        let (start, end) = inputs.policy.periods.dates(inputs.policy.year, v.period);
        for d in &v.departments {
            let needed = required_specialties(inputs, v, d);
            let mut counts = Counts::default();
            let no_last = BTreeSet::new();
            let last_team = last.get(&(e.uscc, d.as_str())).unwrap_or(&no_last);
            let mut candidates: Vec<(u64, usize)> = Vec::new();
            for &i in by_department
                .get(d.as_str())
                .map(Vec::as_slice)
                .unwrap_or(&[])
            {
                let insp: &Inspector = &inputs.inspectors[i];
                counts.department += 1;
                if insp.region != e.region {
                    counts.other_region += 1;
                } else if !(insp.valid_from <= start && end <= insp.valid_until) {
                    counts.certificate += 1;
                } else if conflicts.contains(&(i, e.uscc)) {
                    counts.conflict += 1;
                } else if last_team.contains(insp.id.as_str()) {
                    counts.last_time += 1;
                } else if used[i] >= insp.capacity {
                    counts.capacity += 1;
                } else {
                    candidates.push((inspector_priority(seed, &v.id, d, &insp.id), i));
                }
            }
            candidates.sort_by(|a, b| {
                (a.0, &inputs.inspectors[a.1].id).cmp(&(b.0, &inputs.inspectors[b.1].id))
            });
            match pick(inputs, &candidates, &needed, k) {
                Ok(team) => {
                    for (priority, i) in team {
                        used[i] += 1;
                        members.push(Member {
                            visit: v.id.clone(),
                            department: d.clone(),
                            inspector: inputs.inspectors[i].id.clone(),
                            priority,
                        });
                    }
                }
                Err(found) => failures.push(Failure {
                    visit: v.id.clone(),
                    department: d.clone(),
                    needed: k,
                    found,
                    reason: reason(
                        &counts,
                        candidates.len(),
                        &needed,
                        &e.region,
                        v.period,
                        found,
                        k,
                        &candidates,
                        inputs,
                    ),
                }),
            }
        }
    }
    members.sort_by(|a, b| {
        (&a.visit, &a.department, &a.inspector).cmp(&(&b.visit, &b.department, &b.inspector))
    });
    failures.sort_by(|a, b| (&a.visit, &a.department).cmp(&(&b.visit, &b.department)));
    (members, failures)
}

/// The specialties of the visit's items of department `d` (non-empty, sorted, unique).
fn required_specialties(inputs: &Inputs, v: &Visit, d: &str) -> Vec<String> {
    let mut s: BTreeSet<String> = BTreeSet::new();
    for t in inputs
        .tasks
        .iter()
        .filter(|t| v.tasks.contains(&t.id) && t.department == d)
    {
        for code in &t.items {
            if let Some(item) = inputs.items.get(code) {
                if !item.specialty.is_empty() {
                    s.insert(item.specialty.clone());
                }
            }
        }
    }
    s.into_iter().collect()
}

/// Covers each specialty with the first candidate having it, then fills by priority. `Err`
/// carries how many could be found.
fn pick(
    inputs: &Inputs,
    candidates: &[(u64, usize)],
    needed: &[String],
    k: u32,
) -> Result<Vec<(u64, usize)>, u32> {
    let mut team: Vec<(u64, usize)> = Vec::new();
    for s in needed {
        let covered = team
            .iter()
            .any(|(_, i)| inputs.inspectors[*i].specialties.contains(s));
        if covered {
            continue;
        }
        match candidates.iter().find(|(_, i)| {
            inputs.inspectors[*i].specialties.contains(s) && !team.iter().any(|(_, j)| j == i)
        }) {
            Some(c) => team.push(*c),
            None => return Err(team.len() as u32),
        }
    }
    for c in candidates {
        if team.len() as u32 >= k {
            break;
        }
        if !team.iter().any(|(_, j)| *j == c.1) {
            team.push(*c);
        }
    }
    if team.len() as u32 >= k {
        Ok(team)
    } else {
        Err(team.len() as u32)
    }
}

#[allow(clippy::too_many_arguments)]
fn reason(
    c: &Counts,
    available: usize,
    needed: &[String],
    region: &str,
    period: u32,
    found: u32,
    k: u32,
    candidates: &[(u64, usize)],
    inputs: &Inputs,
) -> String {
    let missing: Vec<&String> = needed
        .iter()
        .filter(|s| {
            !candidates
                .iter()
                .any(|(_, i)| inputs.inspectors[*i].specialties.contains(s))
        })
        .collect();
    let mut text = format!(
        "{k} needed, {found} assignable: {} in department, {} in other regions than {region}, {} certificate not valid for all of period {period}, {} declared conflict, {} inspected it last time, {} at capacity, {available} available",
        c.department, c.other_region, c.certificate, c.conflict, c.last_time, c.capacity
    );
    if !missing.is_empty() {
        let list: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
        text.push_str(&format!(
            "; no available inspector has specialty {}",
            list.join(", ")
        ));
    }
    text
}
