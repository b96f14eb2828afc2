//! The budget team rule ([`crate::TeamRule::Budget`], method `dr2`; `docs/plan-model.md`, "Teams"):
//! as in the capacity rule, for each visit and each department in it the policy's number of
//! inspectors of that department and region, certified for the whole period, without a declared
//! conflict, not the team that inspected the enterprise last time, covering the items' specialties
//! first — but each inspector's visits per period are bounded by the share of the optimizer's class
//! allocation (its **budget**), so the capacity the optimizer planned is the capacity used.
//! Candidates are taken by remaining budget, then by seeded priority ρ₂
//! ([`crate::teams::priority`]); when no valid team exists the plan says which constraint fails.

use crate::inputs::Inputs;
use crate::placement::cells::{Frame, Region};
use crate::placement::integer::Decision;
use crate::teams::priority;
use crate::TeamRule;
use crate::Uscc;
use std::collections::{BTreeMap, BTreeSet};

/// Each inspector's visits per period offset: class q's allocation dealt evenly over its
/// members in id order, the remainders rotating so no member gets more than its share.
pub fn budgets(region: &Region, decision: &Decision) -> BTreeMap<usize, Vec<u64>> {
    let mut out = BTreeMap::new();
    for (q, class) in region.classes.iter().enumerate() {
        let s = class.members.len() as u64;
        let mut offset = 0u64;
        let rows: Vec<Vec<u64>> = decision.allocation[q]
            .iter()
            .map(|&w| {
                let row: Vec<u64> = (0..s)
                    .map(|j| w / s + u64::from((j + s - offset % s) % s < w % s))
                    .collect();
                offset = (offset + w % s) % s;
                row
            })
            .collect();
        for (j, &i) in class.members.iter().enumerate() {
            out.insert(i, rows.iter().map(|r| r[j]).collect());
        }
    }
    out
}

/// A visit to staff.
pub struct Staffing<'a> {
    pub id: &'a str,
    pub index: usize,
    pub period: u32,
    pub departments: &'a [String],
    /// Required specialties per department.
    pub specialties: BTreeMap<&'a str, Vec<String>>,
}

/// Team members and failures are the same records as the capacity rule's.
pub use crate::teams::{Failure, Member};

/// Why inspectors of the department were not candidates.
#[derive(Default)]
struct Counts {
    region: u32,
    certificate: u32,
    conflict: u32,
    last_time: u32,
    budget: u32,
}

/// The context teams of one region are drawn in.
pub struct TeamDraw<'a> {
    pub inputs: &'a Inputs,
    pub frame: &'a Frame,
    pub seed: &'a [u8; 32],
    /// Inspectors of each department in this region, in id order.
    pub by_department: BTreeMap<&'a str, Vec<usize>>,
    pub conflicts: &'a BTreeSet<(usize, Uscc)>,
    /// Last team of (enterprise, department): updated as visits are staffed.
    pub last: &'a mut BTreeMap<(usize, String), BTreeSet<usize>>,
    pub budget: BTreeMap<usize, Vec<u64>>,
    /// Complete teams the greedy draw failed by swaps with other visits (`dr3`;
    /// [`crate::teams::completion`]).
    pub complete: bool,
}

/// A team drawn: the visit (position in the list), the department, the members with their
/// priorities, and the last team of (enterprise, department) before it.
pub struct Drawn {
    pub visit: usize,
    pub department: String,
    pub members: Vec<(u64, usize)>,
    pub before: BTreeSet<usize>,
}

impl TeamDraw<'_> {
    /// Staffs the visits in order; returns members and failures.
    pub fn staff(&mut self, visits: &[Staffing]) -> (Vec<Member>, Vec<Failure>) {
        let mut failures = Vec::new();
        let mut drawn: Vec<Drawn> = Vec::new();
        // Teams by (department, period), in the order they were drawn.
        let mut by_slot: BTreeMap<(String, u32), Vec<usize>> = BTreeMap::new();
        for (n, v) in visits.iter().enumerate() {
            for d in v.departments {
                let o = (v.period - self.frame.first) as usize;
                let before = self
                    .last
                    .get(&(v.index, d.clone()))
                    .cloned()
                    .unwrap_or_default();
                let team = match self.team(v, d) {
                    Ok(team) => Some(team),
                    Err((partial, f)) if self.complete => {
                        let slot = by_slot
                            .get(&(d.clone(), v.period))
                            .cloned()
                            .unwrap_or_default();
                        match crate::teams::completion::complete(
                            self, visits, &mut drawn, &slot, n, d, partial, &before,
                        ) {
                            Some(team) => Some(team),
                            None => {
                                failures.push(Failure {
                                    reason: format!(
                                        "{}; {}",
                                        f.reason,
                                        crate::teams::completion::NO_ASSIGNMENT
                                    ),
                                    ..f
                                });
                                None
                            }
                        }
                    }
                    Err((_, f)) => {
                        failures.push(f);
                        None
                    }
                };
                let Some(team) = team else { continue };
                for &(_, i) in &team {
                    if let Some(b) = self.budget.get_mut(&i) {
                        b[o] -= 1;
                    }
                }
                self.last
                    .insert((v.index, d.clone()), team.iter().map(|t| t.1).collect());
                by_slot
                    .entry((d.clone(), v.period))
                    .or_default()
                    .push(drawn.len());
                drawn.push(Drawn {
                    visit: n,
                    department: d.clone(),
                    members: team,
                    before,
                });
            }
        }
        let mut members = Vec::new();
        for t in drawn {
            for (rho, i) in t.members {
                members.push(Member {
                    visit: visits[t.visit].id.to_string(),
                    department: t.department.clone(),
                    inspector: self.inputs.inspectors[i].id.clone(),
                    priority: rho,
                });
            }
        }
        (members, failures)
    }

    /// Whether inspector i may serve visit v for department d at all, budget aside:
    /// certified for the whole period, no declared conflict, not in the last team `before`.
    pub fn eligible(&self, v: &Staffing, i: usize, before: &BTreeSet<usize>) -> bool {
        let insp = &self.inputs.inspectors[i];
        let (start, end) = self
            .inputs
            .policy
            .periods
            .dates(self.inputs.policy.year, v.period);
        insp.valid_from <= start
            && end <= insp.valid_until
            && !self.conflicts.contains(&(i, self.inputs.uscc_of(v.index)))
            && !before.contains(&i)
    }

    /// Budget left of inspector i in period p.
    pub fn left(&self, i: usize, p: u32) -> u64 {
        let o = (p - self.frame.first) as usize;
        self.budget.get(&i).map_or(0, |b| b[o])
    }

    /// The greedy team, or the members gathered and the failure.
    #[allow(clippy::type_complexity)]
    fn team(
        &self,
        v: &Staffing,
        d: &str,
    ) -> Result<Vec<(u64, usize)>, (Vec<(u64, usize)>, Failure)> {
        let k = self.frame.k;
        let (start, end) = self
            .inputs
            .policy
            .periods
            .dates(self.inputs.policy.year, v.period);
        let o = (v.period - self.frame.first) as usize;
        let none = BTreeSet::new();
        let last = self.last.get(&(v.index, d.to_string())).unwrap_or(&none);
        let uscc = self.inputs.uscc_of(v.index);
        let mut counts = Counts::default();
        let mut candidates: Vec<(u64, u64, usize)> = Vec::new();
        for &i in self.by_department.get(d).map(Vec::as_slice).unwrap_or(&[]) {
            let insp = &self.inputs.inspectors[i];
            counts.region += 1;
            let left = self.budget.get(&i).map_or(0, |b| b[o]);
            if !(insp.valid_from <= start && end <= insp.valid_until) {
                counts.certificate += 1;
            } else if self.conflicts.contains(&(i, uscc)) {
                counts.conflict += 1;
            } else if last.contains(&i) {
                counts.last_time += 1;
            } else if left == 0 {
                counts.budget += 1;
            } else {
                candidates.push((
                    left,
                    priority(TeamRule::Budget, self.seed, v.id, d, &insp.id),
                    i,
                ));
            }
        }
        candidates.sort_by(|a, b| {
            (std::cmp::Reverse(a.0), a.1, &self.inputs.inspectors[a.2].id).cmp(&(
                std::cmp::Reverse(b.0),
                b.1,
                &self.inputs.inspectors[b.2].id,
            ))
        });
        let needed = v.specialties.get(d).map(Vec::as_slice).unwrap_or(&[]);
        let has = |i: usize, s: &String| self.inputs.inspectors[i].specialties.contains(s);
        let mut team: Vec<(u64, usize)> = Vec::new();
        let mut missing = Vec::new();
        for s in needed {
            if team.iter().any(|&(_, i)| has(i, s)) {
                continue;
            }
            match candidates
                .iter()
                .find(|c| has(c.2, s) && !team.iter().any(|t| t.1 == c.2))
            {
                Some(c) => team.push((c.1, c.2)),
                None => missing.push(s.as_str()),
            }
        }
        if missing.is_empty() {
            for c in &candidates {
                if team.len() as u32 >= k {
                    break;
                }
                if !team.iter().any(|t| t.1 == c.2) {
                    team.push((c.1, c.2));
                }
            }
        }
        if missing.is_empty() && team.len() as u32 >= k {
            return Ok(team);
        }
        let region = self.inputs.region_of(v.index);
        let mut reason = format!(
            "{k} needed, {} assignable: {} in department in {region}, {} certificate not valid for all of period {}, {} declared conflict, {} inspected it last time, {} without budget left in period {}, {} available",
            team.len(), counts.region, counts.certificate, v.period, counts.conflict, counts.last_time, counts.budget, v.period, candidates.len()
        );
        if !missing.is_empty() {
            reason.push_str(&format!(
                "; no available inspector has specialty {}",
                missing.join(", ")
            ));
        }
        let failure = Failure {
            visit: v.id.to_string(),
            department: d.to_string(),
            needed: k,
            found: team.len() as u32,
            reason,
        };
        Err((team, failure))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::placement::cells::Class;

    #[test]
    fn budgets_deal_remainders_in_turn() {
        let region = Region {
            name: "440305".into(),
            cells: vec![],
            kinds: vec![],
            classes: vec![Class {
                department: 0,
                mask: 0b1110,
                capacity: 3,
                members: vec![4, 5],
                specialties: vec![],
            }],
            reserve: BTreeMap::new(),
        };
        let decision = Decision {
            allocation: vec![vec![1, 1, 3]],
            ..Decision::default()
        };
        let b = budgets(&region, &decision);
        assert_eq!(b[&4], vec![1, 0, 2]);
        assert_eq!(b[&5], vec![0, 1, 1]);
        let total: u64 = b.values().flatten().sum();
        assert_eq!(total, 5);
    }
}
