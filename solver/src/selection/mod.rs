//! The selection of every method (`docs/draw-protocol.md`, "Selection", "Visits"): coordinated
//! order sampling with permanent random numbers, by task and credit tier.
//!
//! Within a stratum a task takes the enterprises with the smallest shifted numbers
//! ξ = (u − s) mod 2⁶⁴. Tasks of one group share the start s (positive coordination: their
//! selections overlap and become joint visits, 进一次门、查多项事); each next group starts just
//! after the previous group's extent (negative coordination: checks that must not pile up are
//! packed end to end). An enterprise already at its tier's visit cap is passed over and the next
//! number takes its place.

pub mod drawn;
mod scan;

pub use drawn::Drawn;

use crate::inputs::{Entry, Inputs, Quota, Task};
use crate::seed::{prn, Seed};
use crate::teams::{self, Failure, Member};
use crate::{KeySupervision, Tier};
use drawn::{group_tasks, Call, Pass, Pick};
use scan::{excluded_by_department, threshold, Classes, Found, Held, TaskScan};
use std::collections::{BTreeMap, BTreeSet};

/// How an enterprise came to be selected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Basis {
    /// 重点监管: full coverage, not sampled.
    Key,
    Sample,
}

/// One task's outcome in one tier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stratum {
    pub task: String,
    pub tier: Tier,
    /// Eligible enterprises that are sampled (key-supervision ones excluded).
    pub eligible: u64,
    /// How many the quota asks for.
    pub quota: u64,
    pub start: u64,
    /// ξ of the last enterprise taken; an enterprise of the stratum was taken iff its ξ is at most
    /// this and it is not listed as passed over.
    pub cutoff: Option<u64>,
    pub taken: u64,
    pub passed_over: u64,
    pub key: u64,
}

/// One enterprise selected by one task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    pub task: String,
    pub index: usize,
    pub tier: Tier,
    pub xi: u64,
    pub basis: Basis,
    /// Inclusion probability as `numerator/denominator` (`1/1` for key supervision).
    pub inclusion: (u64, u64),
}

/// An enterprise passed over because it had reached its cap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PassedOver {
    pub task: String,
    pub index: usize,
    pub tier: Tier,
    pub xi: u64,
    pub visits: u32,
}

/// One visit: one enterprise, one period, the tasks of one group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Visit {
    pub id: String,
    pub index: usize,
    pub group: String,
    pub period: u32,
    /// ξ within the group, which orders the group's visits.
    pub xi: u64,
    pub tasks: Vec<String>,
    pub departments: Vec<String>,
}

/// A plan: everything the draw decided.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Plan {
    pub strata: Vec<Stratum>,
    pub selections: Vec<Selection>,
    pub passed_over: Vec<PassedOver>,
    pub visits: Vec<Visit>,
    pub teams: Vec<Member>,
    pub failures: Vec<Failure>,
}

/// Whether enterprise `index` may be drawn by `task` (status is already operating: the
/// population holds only operating enterprises).
pub fn eligible(
    inputs: &Inputs,
    excluded: &BTreeSet<(usize, &str)>,
    task: &Task,
    index: usize,
    e: &Entry,
) -> bool {
    targets(
        inputs,
        task,
        inputs.population.region(e.region),
        inputs.population.industry(e.industry),
    ) && task.quota(e.tier) != Quota::None
        && !excluded.contains(&(index, task.department.as_str()))
}

/// The part of [`eligible`] that depends on the region and industry only: the task targets
/// them and one of its items applies.
pub fn targets(inputs: &Inputs, task: &Task, region: &str, industry: &str) -> bool {
    let targeted_region = task.regions.is_empty() || task.regions.iter().any(|r| r == region);
    let targeted_industry = task.industries.is_empty()
        || task
            .industries
            .iter()
            .any(|p| industry.starts_with(p.as_str()));
    let applicable = task.items.iter().any(|code| {
        inputs.items.get(code).is_some_and(|item| {
            item.industries.is_empty()
                || item
                    .industries
                    .iter()
                    .any(|p| industry.starts_with(p.as_str()))
        })
    });
    targeted_region && targeted_industry && applicable
}

/// Eligibility of one task decided once per distinct region and industry instead of once per
/// enterprise: the same rule as [`eligible`], which the independent checks use (exclusions are
/// looked up by the scan).
struct TaskFilter {
    region_ok: Vec<bool>,
    industry_ok: Vec<bool>,
    tier_ok: [bool; 4],
}

impl TaskFilter {
    fn new(inputs: &Inputs, task: &Task) -> TaskFilter {
        let region_ok = inputs
            .population
            .regions()
            .iter()
            .map(|r| task.regions.is_empty() || task.regions.iter().any(|x| x == r))
            .collect();
        let industry_ok = inputs
            .population
            .industries()
            .iter()
            .map(|ind| {
                let targeted = task.industries.is_empty()
                    || task.industries.iter().any(|p| ind.starts_with(p.as_str()));
                let applicable = task.items.iter().any(|code| {
                    inputs.items.get(code).is_some_and(|item| {
                        item.industries.is_empty()
                            || item.industries.iter().any(|p| ind.starts_with(p.as_str()))
                    })
                });
                targeted && applicable
            })
            .collect();
        TaskFilter {
            region_ok,
            industry_ok,
            tier_ok: Tier::ALL.map(|t| task.quota(t) != Quota::None),
        }
    }
}

/// (population index, department) pairs inside the exclusion window.
pub fn exclusions(inputs: &Inputs) -> BTreeSet<(usize, &str)> {
    let start = inputs.policy.exclusion_start();
    inputs
        .history
        .iter()
        .filter(|h| h.visited_on >= start && h.visited_on < inputs.policy.as_of)
        .filter_map(|h| Some((inputs.population.index_of(&h.uscc)?, h.department.as_str())))
        .collect()
}

/// Tasks by group, groups in byte order of their names, tasks by id.
pub fn groups(inputs: &Inputs) -> BTreeMap<&str, Vec<&Task>> {
    let mut g: BTreeMap<&str, Vec<&Task>> = BTreeMap::new();
    for t in &inputs.tasks {
        g.entry(t.group.as_str()).or_default().push(t);
    }
    g
}

/// The draw: selections, visits and teams, from the inputs and the seed.
pub fn draw(inputs: &Inputs, seed: &Seed) -> Plan {
    drawn(inputs, seed).to_plan(inputs)
}

/// The enterprise selection alone (§7–§8): strata, selections, passed-over enterprises and the
/// groups' visits with `dr1` periods, no teams. Method `dr2` plans visits from its output.
pub fn select(inputs: &Inputs, seed: &Seed) -> Plan {
    drawn_selection(inputs, seed).to_plan(inputs)
}

/// The whole draw by positions (what [`draw`] names).
pub fn drawn(inputs: &Inputs, seed: &Seed) -> Drawn {
    let mut d = drawn_selection(inputs, seed);
    teams::draw_seats(inputs, seed, &mut d);
    d
}

/// Every enterprise's permanent random number, computed on all cores: each thread writes its
/// own slice, so the result does not depend on their timing.
pub fn numbers(inputs: &Inputs, seed: &Seed) -> Vec<u64> {
    let entries = inputs.population.entries();
    let mut out = vec![0u64; entries.len()];
    let threads = if entries.len() < 50_000 {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
    };
    let chunk = entries.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        for (o, e) in out.chunks_mut(chunk).zip(entries.chunks(chunk)) {
            s.spawn(move || {
                for (x, e) in o.iter_mut().zip(e) {
                    *x = prn(seed, &e.uscc);
                }
            });
        }
    });
    out
}

/// The enterprises a group has taken so far (`M` of §7) and the tasks that took each.
struct Members {
    /// For each enterprise, its position in `order`, or `u32::MAX`.
    slot: Vec<u32>,
    order: Vec<u32>,
    /// (slot, task position) for every taking.
    takings: Vec<(u32, u32)>,
    /// By slot: whether the group's visit holds a key-supervision check and so is exempt from
    /// the cap (under `KeySupervision::PerDepartment` only).
    exempt: Vec<bool>,
}

impl Members {
    fn contains(&self, i: u32) -> bool {
        self.slot[i as usize] != u32::MAX
    }

    /// Adds a taking; true if the enterprise is new to the group.
    fn take(&mut self, i: u32, task: u32) -> bool {
        let slot = &mut self.slot[i as usize];
        let new = *slot == u32::MAX;
        if new {
            *slot = self.order.len() as u32;
            self.order.push(i);
            self.exempt.push(false);
        }
        self.takings.push((*slot, task));
        new
    }

    /// Empties the map for the next group.
    fn clear(&mut self) {
        for &i in &self.order {
            self.slot[i as usize] = u32::MAX;
        }
        self.order.clear();
        self.takings.clear();
        self.exempt.clear();
    }

    /// Marks the group's visit of `i` (a member) exempt from the cap; true if it was not yet.
    fn exempt(&mut self, i: u32) -> bool {
        let e = &mut self.exempt[self.slot[i as usize] as usize];
        !std::mem::replace(e, true)
    }
}

/// The enterprise selection by positions.
pub fn drawn_selection(inputs: &Inputs, seed: &Seed) -> Drawn {
    let numbers = numbers(inputs, seed);
    let excluded = exclusions(inputs);
    let excluded = excluded_by_department(inputs, &excluded);
    let classes = Classes::new(&inputs.population);
    let n = inputs.population_len();
    let mut d = Drawn::frame(inputs);
    let mut visits_of: Vec<u32> = vec![0; n];
    let mut members = Members {
        slot: vec![u32::MAX; n],
        order: Vec::new(),
        takings: Vec::new(),
        exempt: Vec::new(),
    };
    let mut starts = [0u64; 4];
    for group in 0..d.groups.len() {
        let tasks = group_tasks(inputs, &d, group);
        let positions = d.group_tasks[group].clone();
        let group_starts = starts;
        let mut extent: [Option<u64>; 4] = [None; 4];
        for (task, &position) in tasks.iter().zip(&positions) {
            let filter = TaskFilter::new(inputs, task);
            let scan = TaskScan::new(
                &classes,
                &numbers,
                (&filter.region_ok, &filter.industry_ok, filter.tier_ok),
                &excluded[task.department.as_str()],
                match &inputs.key_departments {
                    None => Held::Flagged,
                    Some(k) => Held::Listed(k.held_by(&task.department)),
                },
            );
            let counts = scan.sampled_counts();
            let quotas = Tier::ALL.map(|t| task.quota(t));
            let thresholds: [Option<u64>; 4] = std::array::from_fn(|t| {
                (quotas[t] != Quota::None).then(|| threshold(counts[t], quotas[t].take(counts[t])))
            });
            let found = scan.collect(&group_starts, thresholds);
            for (tier, found) in Tier::ALL.into_iter().zip(found) {
                let t = tier as usize;
                if task.quota(tier) == Quota::None {
                    continue;
                }
                let ctx = StratumDraw {
                    scan: &scan,
                    starts: &group_starts,
                    inputs,
                    numbers: &numbers,
                    task,
                    position,
                    tier,
                    start: group_starts[t],
                };
                let stratum = ctx.run(found, counts[t], &mut members, &mut visits_of, &mut d);
                if let Some(c) = stratum.cutoff {
                    extent[t] = Some(extent[t].map_or(c, |x: u64| x.max(c)));
                }
                d.strata.push(stratum);
            }
        }
        for t in 0..4 {
            if let Some(x) = extent[t] {
                starts[t] = group_starts[t].wrapping_add(x).wrapping_add(1);
            }
        }
        group_visits(
            inputs,
            &numbers,
            group,
            &tasks,
            &group_starts,
            &mut members,
            &mut d,
        );
        members.clear();
    }
    d.calls
        .sort_unstable_by_key(|c| (c.period, c.group, c.xi, c.index));
    d.picks.sort_unstable_by_key(|p| (p.task, p.xi, p.index));
    d.passes.sort_unstable_by_key(|p| (p.task, p.xi, p.index));
    d
}

/// One task in one tier.
struct StratumDraw<'a> {
    scan: &'a TaskScan<'a>,
    starts: &'a [u64; 4],
    inputs: &'a Inputs,
    numbers: &'a [u64],
    task: &'a Task,
    position: u32,
    tier: Tier,
    start: u64,
}

impl StratumDraw<'_> {
    fn xi(&self, i: u32) -> u64 {
        self.numbers[i as usize].wrapping_sub(self.start)
    }

    /// The whole sampled stratum in order of (ξ, code), when the threshold kept too few.
    fn all_ordered(&self) -> Vec<u32> {
        let mut wanted = [None; 4];
        wanted[self.tier as usize] = Some(u64::MAX);
        let mut found = self.scan.collect(self.starts, wanted);
        ordered(std::mem::take(&mut found[self.tier as usize].sampled))
    }

    fn run(
        &self,
        found: Found,
        eligible: u64,
        members: &mut Members,
        visits_of: &mut [u32],
        d: &mut Drawn,
    ) -> Stratum {
        let keys = found.keys;
        for &i in &keys {
            self.take(i, Basis::Key, (1, 1), members, visits_of, d);
        }
        let quota = self.task.quota(self.tier).take(eligible);
        let cap = self.inputs.policy.cap(self.tier);
        let (mut taken, mut passed, mut cutoff) = (0u64, 0u64, None);
        let mut order = ordered(found.sampled);
        let mut position = 0;
        while taken < quota {
            if position == order.len() {
                if order.len() as u64 == eligible {
                    break;
                }
                order = self.all_ordered();
                position = 0;
                taken = 0;
                passed = 0;
                cutoff = None;
                continue;
            }
            let i = order[position];
            position += 1;
            if !members.contains(i) && visits_of[i as usize] >= cap {
                passed += 1;
                continue;
            }
            taken += 1;
            cutoff = Some(self.xi(i));
        }
        // Record only now, so a fallback to the whole stratum leaves no trace of the first try.
        for &i in &order[..position] {
            if !members.contains(i) && visits_of[i as usize] >= cap {
                d.passes.push(Pass {
                    task: self.position,
                    index: i,
                    tier: self.tier,
                    visits: visits_of[i as usize],
                    xi: self.xi(i),
                });
            } else {
                self.take(i, Basis::Sample, (quota, eligible), members, visits_of, d);
            }
        }
        Stratum {
            task: self.task.id.clone(),
            tier: self.tier,
            eligible,
            quota,
            start: self.start,
            cutoff,
            taken,
            passed_over: passed,
            key: keys.len() as u64,
        }
    }

    fn take(
        &self,
        i: u32,
        basis: Basis,
        inclusion: (u64, u64),
        members: &mut Members,
        visits_of: &mut [u32],
        d: &mut Drawn,
    ) {
        let new = members.take(i, self.position);
        // Under `PerDepartment` a visit holding a key-supervision check is exempt from the cap
        // (`docs/plan-model.md`, "dr3: key supervision"): it is not counted, and if a sampled
        // check of the group counted it already, it stops counting.
        let exempt = basis == Basis::Key && self.inputs.key_rule() == KeySupervision::PerDepartment;
        if exempt {
            if members.exempt(i) && !new {
                visits_of[i as usize] -= 1;
            }
        } else if new {
            visits_of[i as usize] += 1;
        }
        d.picks.push(Pick {
            task: self.position,
            index: i,
            tier: self.tier,
            basis,
            xi: self.xi(i),
            inclusion,
        });
    }
}

/// Candidates in order of (ξ, code).
fn ordered(mut c: Vec<(u64, u32)>) -> Vec<u32> {
    c.sort_unstable();
    c.into_iter().map(|(_, i)| i).collect()
}

/// A group's visits, with periods dealt round-robin in order of (ξ, code).
fn group_visits(
    inputs: &Inputs,
    numbers: &[u64],
    group: usize,
    tasks: &[&Task],
    starts: &[u64; 4],
    members: &mut Members,
    d: &mut Drawn,
) {
    let (from, to) = (tasks[0].period_from, tasks[0].period_to);
    let len = to - from + 1;
    members.takings.sort_unstable();
    members.takings.dedup();
    let mut calls: Vec<Call> = Vec::with_capacity(members.order.len());
    let mut rest = &members.takings[..];
    for (slot, &i) in members.order.iter().enumerate() {
        let n = rest.iter().take_while(|(s, _)| *s == slot as u32).count();
        let start = d.call_tasks.len() as u32;
        d.call_tasks.extend(rest[..n].iter().map(|&(_, t)| t));
        rest = &rest[n..];
        let tier = inputs.population[i as usize].tier;
        calls.push(Call {
            index: i,
            group: group as u32,
            period: 0,
            tasks: (start, n as u32),
            xi: numbers[i as usize].wrapping_sub(starts[tier as usize]),
        });
    }
    calls.sort_unstable_by_key(|c| (c.xi, c.index));
    for (rank, c) in calls.iter_mut().enumerate() {
        c.period = from + (rank as u32 % len);
    }
    d.calls.extend(calls);
}

#[cfg(test)]
mod key_supervision_tests;
#[cfg(test)]
pub(crate) mod tests;
