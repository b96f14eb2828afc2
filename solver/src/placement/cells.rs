//! From the selection to the optimizer's aggregates (`docs/plan-model.md`, "Aggregates").
//!
//! Who is drawn is decided by the `dr1` selection; what is left is not a matter of luck
//! (`docs/architecture.md`, rule 5). Enterprises whose checks look alike are interchangeable for the
//! optimizer: a **cell** is a region and a pattern (the groups that drew the enterprise, each
//! with its departments and window); a **kind** is what one visit asks of the inspectors (its
//! departments, its window, how many checks it carries); a **class** is the inspectors of one
//! department in one region with the same certified periods and remaining capacity.

use crate::inputs::annual::Annual;
use crate::inputs::Inputs;
use crate::selection::Visit;
use std::collections::{BTreeMap, BTreeSet};

/// One group's check of one enterprise, as a pattern entry.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Check {
    pub group: u32,
    /// Department indices, sorted.
    pub departments: Vec<u16>,
    /// Periods the check may fall in, after the re-planning horizon.
    pub window: (u32, u32),
}

/// Checks of the pattern visited together, and the kind of visit that makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub kind: usize,
    /// Positions in the cell's pattern.
    pub checks: Vec<usize>,
}

/// Enterprises of one region drawn by the same groups for the same departments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    pub pattern: Vec<Check>,
    /// Population indices, in population order.
    pub enterprises: Vec<usize>,
    /// The fewest visits: checks whose windows share a period are one joint visit.
    pub merged: Vec<Block>,
    /// One visit per check.
    pub split: Vec<Block>,
}

impl Cell {
    /// Whether merging saves a visit, so the optimizer has a choice to make.
    pub fn has_choice(&self) -> bool {
        self.merged.len() < self.split.len()
    }
}

/// What one visit asks of the inspectors.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Kind {
    pub departments: Vec<u16>,
    pub window: (u32, u32),
    /// Group checks the visit carries.
    pub checks: u32,
}

/// Inspectors of one department in one region alike for the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Class {
    pub department: u16,
    /// Bit p set: certified for the whole of period p, and p is still to plan.
    pub mask: u32,
    /// Visits each member can still make this year.
    pub capacity: u32,
    /// Inspector indices, in id order.
    pub members: Vec<usize>,
}

impl Class {
    pub fn valid(&self, p: u32) -> bool {
        self.mask & (1 << p) != 0
    }

    pub fn total(&self) -> u64 {
        self.capacity as u64 * self.members.len() as u64
    }
}

/// One region's planning problem; regions share no inspector, so each is solved alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    pub name: String,
    pub cells: Vec<Cell>,
    pub kinds: Vec<Kind>,
    pub classes: Vec<Class>,
    /// Inspector-visits held for complaint-driven checks, by (department, period).
    pub reserve: BTreeMap<(u16, u32), u64>,
}

impl Region {
    /// Certified inspectors of department `d` in period `p`.
    pub fn inspectors(&self, d: u16, p: u32) -> u64 {
        self.classes
            .iter()
            .filter(|c| c.department == d && c.valid(p))
            .map(|c| c.members.len() as u64)
            .sum()
    }

    /// The departments with inspectors or checks here, sorted.
    pub fn departments(&self) -> Vec<u16> {
        let mut s: BTreeSet<u16> = self.classes.iter().map(|c| c.department).collect();
        s.extend(
            self.kinds
                .iter()
                .flat_map(|k| k.departments.iter().copied()),
        );
        s.extend(self.reserve.keys().map(|(d, _)| *d));
        s.into_iter().collect()
    }
}

/// Names behind the indices, and the plan's horizon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub groups: Vec<String>,
    pub departments: Vec<String>,
    /// The first period still to plan and the last period of the year.
    pub first: u32,
    pub last: u32,
    /// Inspectors per department per visit.
    pub k: u32,
}

impl Frame {
    pub fn new(inputs: &Inputs, annual: &Annual) -> Frame {
        let groups = crate::selection::groups(inputs)
            .keys()
            .map(|g| g.to_string())
            .collect();
        let mut departments: BTreeSet<String> =
            inputs.tasks.iter().map(|t| t.department.clone()).collect();
        departments.extend(inputs.inspectors.iter().map(|i| i.department.clone()));
        departments.extend(annual.complaints.iter().map(|c| c.department.clone()));
        Frame {
            groups,
            departments: departments.into_iter().collect(),
            first: annual.pinned_through + 1,
            last: inputs.policy.periods.count(),
            k: inputs.policy.inspectors_per_department,
        }
    }

    pub fn group(&self, name: &str) -> u32 {
        self.groups
            .binary_search_by(|g| g.as_str().cmp(name))
            .expect("known group") as u32
    }

    pub fn department(&self, name: &str) -> Option<u16> {
        self.departments
            .binary_search_by(|d| d.as_str().cmp(name))
            .ok()
            .map(|i| i as u16)
    }
}

/// A check that cannot be planned at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dropped {
    pub index: usize,
    pub group: u32,
    pub reason: String,
}

/// Cells of every region from the group visits of the selection; checks already covered by a
/// pinned visit are left out, and checks whose window has passed are dropped with the reason.
pub fn regions(
    inputs: &Inputs,
    annual: &Annual,
    frame: &Frame,
    visits: &[Visit],
    used: &[u32],
) -> (Vec<Region>, Vec<Dropped>) {
    let pinned: BTreeSet<(crate::Uscc, &str)> = annual
        .pinned()
        .flat_map(|v| v.groups.iter().map(move |g| (v.uscc, g.as_str())))
        .collect();
    let windows: BTreeMap<&str, (u32, u32)> = inputs
        .tasks
        .iter()
        .map(|t| (t.group.as_str(), (t.period_from, t.period_to)))
        .collect();
    let mut by_enterprise: BTreeMap<usize, Vec<Check>> = BTreeMap::new();
    let mut dropped = Vec::new();
    for v in visits {
        if pinned.contains(&(inputs.uscc_of(v.index), v.group.as_str())) {
            continue;
        }
        let (from, to) = windows[v.group.as_str()];
        let group = frame.group(&v.group);
        if to < frame.first {
            dropped.push(Dropped {
                index: v.index,
                group,
                reason: format!(
                    "window {from}-{to} ended before the re-plan (periods through {} are pinned)",
                    frame.first - 1
                ),
            });
            continue;
        }
        let departments = v
            .departments
            .iter()
            .map(|d| frame.department(d).expect("task department"))
            .collect();
        by_enterprise.entry(v.index).or_default().push(Check {
            group,
            departments,
            window: (from.max(frame.first), to),
        });
    }
    let mut cells: BTreeMap<&str, BTreeMap<Vec<Check>, Vec<usize>>> = BTreeMap::new();
    for (i, mut checks) in by_enterprise {
        checks.sort();
        cells
            .entry(inputs.region_of(i))
            .or_default()
            .entry(checks)
            .or_default()
            .push(i);
    }
    let mut names: BTreeSet<&str> = cells.keys().copied().collect();
    names.extend(inputs.inspectors.iter().map(|i| i.region.as_str()));
    let complaints = complaint_reserve(inputs, annual, frame);
    let regions = names
        .into_iter()
        .map(|name| {
            let mut kinds: BTreeMap<Kind, usize> = BTreeMap::new();
            let cells = cells
                .remove(name)
                .unwrap_or_default()
                .into_iter()
                .map(|(pattern, enterprises)| cell(pattern, enterprises, &mut kinds))
                .collect();
            let mut kind_list: Vec<(usize, Kind)> =
                kinds.into_iter().map(|(k, i)| (i, k)).collect();
            kind_list.sort();
            Region {
                name: name.to_string(),
                cells,
                kinds: kind_list.into_iter().map(|(_, k)| k).collect(),
                classes: classes(inputs, frame, name, used),
                reserve: complaints.get(name).cloned().unwrap_or_default(),
            }
        })
        .collect();
    (regions, dropped)
}

/// The merged and the split blocks of a pattern. Merging is the greedy stabbing of intervals:
/// take the check whose window ends first, and with it every check whose window contains that
/// end; the fewest visits that give every check a period in its window.
fn cell(pattern: Vec<Check>, enterprises: Vec<usize>, kinds: &mut BTreeMap<Kind, usize>) -> Cell {
    let mut kind_of = |positions: &[usize]| -> usize {
        let mut departments: Vec<u16> = positions
            .iter()
            .flat_map(|&p| pattern[p].departments.iter().copied())
            .collect();
        departments.sort();
        departments.dedup();
        let from = positions.iter().map(|&p| pattern[p].window.0).max();
        let to = positions.iter().map(|&p| pattern[p].window.1).min();
        let kind = Kind {
            departments,
            window: (from.expect("a block"), to.expect("a block")),
            checks: positions.len() as u32,
        };
        let next = kinds.len();
        *kinds.entry(kind).or_insert(next)
    };
    let split: Vec<Block> = (0..pattern.len())
        .map(|p| Block {
            kind: kind_of(&[p]),
            checks: vec![p],
        })
        .collect();
    let mut order: Vec<usize> = (0..pattern.len()).collect();
    order.sort_by_key(|&p| (pattern[p].window.1, pattern[p].window.0, p));
    let mut done = vec![false; pattern.len()];
    let mut merged = Vec::new();
    for &p in &order {
        if done[p] {
            continue;
        }
        let point = pattern[p].window.1;
        let mut block: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&q| !done[q] && pattern[q].window.0 <= point)
            .collect();
        block.sort();
        for &q in &block {
            done[q] = true;
        }
        merged.push(Block {
            kind: kind_of(&block),
            checks: block,
        });
    }
    Cell {
        pattern,
        enterprises,
        merged,
        split,
    }
}

/// Inspector classes of one region: certified periods still to plan, capacity left after the
/// pinned visits (`used`).
fn classes(inputs: &Inputs, frame: &Frame, region: &str, used: &[u32]) -> Vec<Class> {
    let mut by_key: BTreeMap<(u16, u32, u32), Vec<usize>> = BTreeMap::new();
    for (i, insp) in inputs.inspectors.iter().enumerate() {
        if insp.region != region {
            continue;
        }
        let mut mask = 0u32;
        for p in frame.first..=frame.last {
            let (start, end) = inputs.policy.periods.dates(inputs.policy.year, p);
            if insp.valid_from <= start && end <= insp.valid_until {
                mask |= 1 << p;
            }
        }
        let left = insp.capacity.saturating_sub(used[i]);
        if mask == 0 || left == 0 {
            continue;
        }
        let d = frame
            .department(&insp.department)
            .expect("known department");
        by_key.entry((d, mask, left)).or_default().push(i);
    }
    by_key
        .into_iter()
        .map(|((department, mask, capacity), members)| Class {
            department,
            mask,
            capacity,
            members,
        })
        .collect()
}

/// Inspector-visits held for complaint-driven checks, by region, department and period.
fn complaint_reserve(
    inputs: &Inputs,
    annual: &Annual,
    frame: &Frame,
) -> BTreeMap<String, BTreeMap<(u16, u32), u64>> {
    let mut out: BTreeMap<String, BTreeMap<(u16, u32), u64>> = BTreeMap::new();
    for c in &annual.complaints {
        let (Some(i), Some(d)) = (inputs.index_of(&c.uscc), frame.department(&c.department)) else {
            continue;
        };
        if c.period < frame.first {
            continue;
        }
        *out.entry(inputs.region_of(i).to_string())
            .or_default()
            .entry((d, c.period))
            .or_default() += frame.k as u64;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(group: u32, d: u16, from: u32, to: u32) -> Check {
        Check {
            group,
            departments: vec![d],
            window: (from, to),
        }
    }

    #[test]
    fn merges_checks_whose_windows_meet() {
        let mut kinds = BTreeMap::new();
        let c = cell(
            vec![check(0, 0, 1, 6), check(1, 1, 4, 12), check(2, 2, 8, 12)],
            vec![7],
            &mut kinds,
        );
        assert_eq!(c.split.len(), 3);
        assert_eq!(c.merged.len(), 2);
        assert_eq!(c.merged[0].checks, vec![0, 1]);
        let first: Vec<&Kind> = kinds
            .iter()
            .filter(|(_, &i)| i == c.merged[0].kind)
            .map(|(k, _)| k)
            .collect();
        assert_eq!(first[0].window, (4, 6));
        assert_eq!(first[0].departments, vec![0, 1]);
        assert!(c.has_choice());
    }

    #[test]
    fn disjoint_windows_leave_no_choice() {
        let mut kinds = BTreeMap::new();
        let c = cell(
            vec![check(0, 0, 1, 3), check(1, 0, 4, 6)],
            vec![1],
            &mut kinds,
        );
        assert_eq!(c.merged.len(), 2);
        assert!(!c.has_choice());
    }
}
