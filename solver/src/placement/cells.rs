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
use crate::{CapacityModel, Method};
use std::collections::{BTreeMap, BTreeSet};

/// One group's check of one enterprise, as a pattern entry.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Check {
    pub group: u32,
    /// Department indices, sorted.
    pub departments: Vec<u16>,
    /// Periods the check may fall in, after the re-planning horizon.
    pub window: (u32, u32),
    /// Specialty indices the check's items need, per department index (only under
    /// [`CapacityModel::Specialty`]; empty otherwise).
    pub needs: Needs,
}

/// Specialty indices needed per department index: sorted by department, each list sorted.
pub type Needs = Vec<(u16, Vec<u16>)>;

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
    /// Under [`CapacityModel::Specialty`] (`dr3`): for a check position j, the merged blocks of
    /// the pattern without j, and j alone — so a check that cannot be planned does not take its
    /// whole joint visit with it. Only positions where that differs from `merged` (and from
    /// `split`), in position order; empty for a cell without a choice.
    pub partial: Vec<(usize, Vec<Block>)>,
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
    /// Specialties the visit's items need per department (empty unless
    /// [`CapacityModel::Specialty`]).
    pub needs: Needs,
}

impl Kind {
    /// Specialty indices the visit needs of department `d`.
    pub fn needs_of(&self, d: u16) -> &[u16] {
        self.needs
            .iter()
            .find(|(x, _)| *x == d)
            .map_or(&[], |(_, s)| s.as_slice())
    }
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
    /// Specialty indices the members hold (only under [`CapacityModel::Specialty`]).
    pub specialties: Vec<u16>,
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
    /// The method's capacity model.
    pub capacity: CapacityModel,
    /// Specialties of items and inspectors, in byte order (only under
    /// [`CapacityModel::Specialty`]; empty otherwise).
    pub specialties: Vec<String>,
}

impl Frame {
    pub fn new(inputs: &Inputs, annual: &Annual, method: Method) -> Frame {
        let capacity = method.capacity_model();
        let specialties = match capacity {
            CapacityModel::Department => Vec::new(),
            CapacityModel::Specialty => {
                let mut s: BTreeSet<String> =
                    inputs.items.values().map(|i| i.specialty.clone()).collect();
                s.extend(inputs.inspectors.iter().flat_map(|i| i.specialties.clone()));
                s.remove("");
                s.into_iter().collect()
            }
        };
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
            capacity,
            specialties,
        }
    }

    pub fn specialty(&self, name: &str) -> Option<u16> {
        self.specialties
            .binary_search_by(|s| s.as_str().cmp(name))
            .ok()
            .map(|i| i as u16)
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
        let needs = match frame.capacity {
            CapacityModel::Department => Vec::new(),
            CapacityModel::Specialty => check_needs(inputs, frame, v),
        };
        by_enterprise.entry(v.index).or_default().push(Check {
            group,
            departments,
            window: (from.max(frame.first), to),
            needs,
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
                .map(|(pattern, enterprises)| {
                    cell(pattern, enterprises, &mut kinds, frame.capacity)
                })
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

/// The specialties a check needs of each department under [`CapacityModel::Specialty`]: the
/// non-empty specialties of the items of the check's tasks of that department that apply to the
/// enterprise's industry (`docs/plan-model.md`, "dr3: capacity, teams, merging, bound").
fn check_needs(inputs: &Inputs, frame: &Frame, v: &Visit) -> Needs {
    let industry = inputs.industry_of(v.index);
    let mut out: BTreeMap<u16, BTreeSet<u16>> = BTreeMap::new();
    for t in inputs.tasks.iter().filter(|t| v.tasks.contains(&t.id)) {
        let d = frame.department(&t.department).expect("task department");
        let entry = out.entry(d).or_default();
        for item in t.items.iter().filter_map(|c| inputs.items.get(c)) {
            let applies = item.industries.is_empty()
                || item
                    .industries
                    .iter()
                    .any(|p| industry.starts_with(p.as_str()));
            if applies {
                if let Some(s) = frame.specialty(&item.specialty) {
                    entry.insert(s);
                }
            }
        }
    }
    out.into_iter()
        .filter(|(_, s)| !s.is_empty())
        .map(|(d, s)| (d, s.into_iter().collect()))
        .collect()
}

/// The union of the needs of several checks.
fn union_needs<'a>(needs: impl Iterator<Item = &'a Needs>) -> Needs {
    let mut out: BTreeMap<u16, BTreeSet<u16>> = BTreeMap::new();
    for n in needs {
        for (d, s) in n {
            out.entry(*d).or_default().extend(s.iter().copied());
        }
    }
    out.into_iter()
        .map(|(d, s)| (d, s.into_iter().collect()))
        .collect()
}

/// The merged and the split blocks of a pattern. Merging is the greedy stabbing of intervals:
/// take the check whose window ends first, and with it every check whose window contains that
/// end; the fewest visits that give every check a period in its window.
fn cell(
    pattern: Vec<Check>,
    enterprises: Vec<usize>,
    kinds: &mut BTreeMap<Kind, usize>,
    capacity: CapacityModel,
) -> Cell {
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
            needs: union_needs(positions.iter().map(|&p| &pattern[p].needs)),
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
    let all: Vec<usize> = (0..pattern.len()).collect();
    let merged: Vec<Block> = stab(&pattern, &all)
        .into_iter()
        .map(|block| Block {
            kind: kind_of(&block),
            checks: block,
        })
        .collect();
    let mut partial = Vec::new();
    if capacity == CapacityModel::Specialty && merged.len() < split.len() {
        for j in 0..pattern.len() {
            let rest: Vec<usize> = all.iter().copied().filter(|&p| p != j).collect();
            let mut blocks = stab(&pattern, &rest);
            if blocks.len() + 1 >= split.len() || merged.iter().any(|b| b.checks == [j]) {
                continue; // no saving over split, or the same as merged
            }
            blocks.push(vec![j]);
            blocks.sort();
            partial.push((
                j,
                blocks
                    .into_iter()
                    .map(|block| Block {
                        kind: kind_of(&block),
                        checks: block,
                    })
                    .collect(),
            ));
        }
    }
    Cell {
        pattern,
        enterprises,
        merged,
        split,
        partial,
    }
}

/// The greedy stabbing of the windows of the checks at `positions`: take the check whose
/// window ends first, and with it every check not yet in a block whose window starts by that
/// end; blocks in that order, each in position order.
fn stab(pattern: &[Check], positions: &[usize]) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = positions.to_vec();
    order.sort_by_key(|&p| (pattern[p].window.1, pattern[p].window.0, p));
    let mut done = vec![false; pattern.len()];
    let mut out = Vec::new();
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
        out.push(block);
    }
    out
}

/// Inspector classes of one region: certified periods still to plan, capacity left after the
/// pinned visits (`used`).
fn classes(inputs: &Inputs, frame: &Frame, region: &str, used: &[u32]) -> Vec<Class> {
    let mut by_key: BTreeMap<(u16, u32, u32, Vec<u16>), Vec<usize>> = BTreeMap::new();
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
        let specialties: Vec<u16> = match frame.capacity {
            CapacityModel::Department => Vec::new(),
            CapacityModel::Specialty => {
                let s: BTreeSet<u16> = insp
                    .specialties
                    .iter()
                    .filter_map(|s| frame.specialty(s))
                    .collect();
                s.into_iter().collect()
            }
        };
        by_key
            .entry((d, mask, left, specialties))
            .or_default()
            .push(i);
    }
    by_key
        .into_iter()
        .map(
            |((department, mask, capacity, specialties), members)| Class {
                department,
                mask,
                capacity,
                members,
                specialties,
            },
        )
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
            needs: Vec::new(),
        }
    }

    #[test]
    fn merges_checks_whose_windows_meet() {
        let mut kinds = BTreeMap::new();
        let c = cell(
            vec![check(0, 0, 1, 6), check(1, 1, 4, 12), check(2, 2, 8, 12)],
            vec![7],
            &mut kinds,
            CapacityModel::Department,
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

    /// The fewest visits by brute force: every assignment of a period of its window to each
    /// check, counting the distinct periods.
    fn fewest_visits(pattern: &[Check]) -> usize {
        fn go(pattern: &[Check], at: usize, used: &mut Vec<u32>) -> usize {
            if at == pattern.len() {
                let set: BTreeSet<u32> = used.iter().copied().collect();
                return set.len();
            }
            let (from, to) = pattern[at].window;
            (from..=to)
                .map(|p| {
                    used.push(p);
                    let n = go(pattern, at + 1, used);
                    used.pop();
                    n
                })
                .min()
                .expect("a period")
        }
        go(pattern, 0, &mut Vec::new())
    }

    #[test]
    fn merging_makes_the_fewest_visits_on_every_small_pattern() {
        // A fixed pseudo-random stream of patterns of one to six checks over five periods.
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        for _ in 0..400 {
            let n = 1 + next(6) as usize;
            let mut pattern: Vec<Check> = (0..n)
                .map(|g| {
                    let a = 1 + next(5) as u32;
                    let b = 1 + next(5) as u32;
                    check(g as u32, (g % 3) as u16, a.min(b), a.max(b))
                })
                .collect();
            pattern.sort();
            let mut kinds = BTreeMap::new();
            let c = cell(
                pattern.clone(),
                vec![0],
                &mut kinds,
                CapacityModel::Department,
            );
            assert_eq!(c.merged.len(), fewest_visits(&pattern), "{pattern:?}");
            // Every merged block has a period inside every window of its checks.
            for b in &c.merged {
                let from = b.checks.iter().map(|&p| pattern[p].window.0).max().unwrap();
                let to = b.checks.iter().map(|&p| pattern[p].window.1).min().unwrap();
                assert!(from <= to, "{pattern:?}");
            }
        }
    }

    #[test]
    fn disjoint_windows_leave_no_choice() {
        let mut kinds = BTreeMap::new();
        let c = cell(
            vec![check(0, 0, 1, 3), check(1, 0, 4, 6)],
            vec![1],
            &mut kinds,
            CapacityModel::Department,
        );
        assert_eq!(c.merged.len(), 2);
        assert!(!c.has_choice());
    }
}
