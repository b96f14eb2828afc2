//! The `dr1` draw (`docs/draw-protocol.md`, "Selection", "Visits"): coordinated order sampling
//! with permanent random numbers, by task and credit tier.
//!
//! Within a stratum a task takes the enterprises with the smallest shifted numbers
//! ξ = (u − s) mod 2⁶⁴. Tasks of one group share the start s (positive coordination: their
//! selections overlap and become joint visits, 进一次门、查多项事); each next group starts just
//! after the previous group's extent (negative coordination: checks that must not pile up are
//! packed end to end). An enterprise already at its tier's visit cap is passed over and the next
//! number takes its place.

use super::inputs::{Enterprise, Inputs, Quota, Task};
use super::seed::{prn, Seed};
use super::teams::{self, Failure, Member};
use crate::Tier;
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

/// Whether `e` may be drawn by `task` (status is already operating: the population holds only
/// operating enterprises).
pub fn eligible(
    inputs: &Inputs,
    excluded: &BTreeSet<(usize, &str)>,
    task: &Task,
    index: usize,
    e: &Enterprise,
) -> bool {
    let targeted_region = task.regions.is_empty() || task.regions.contains(&e.region);
    let targeted_industry = task.industries.is_empty()
        || task
            .industries
            .iter()
            .any(|p| e.industry.starts_with(p.as_str()));
    let applicable = task.items.iter().any(|code| {
        inputs.items.get(code).is_some_and(|item| {
            item.industries.is_empty()
                || item
                    .industries
                    .iter()
                    .any(|p| e.industry.starts_with(p.as_str()))
        })
    });
    targeted_region
        && targeted_industry
        && applicable
        && task.quota(e.tier) != Quota::None
        && !excluded.contains(&(index, task.department.as_str()))
}

/// Eligibility of one task decided once per distinct region and industry instead of once per
/// enterprise: the same rule as [`eligible`], which the independent checks use.
struct TaskFilter {
    region_ok: Vec<bool>,
    industry_ok: Vec<bool>,
    excluded: BTreeSet<usize>,
}

/// Each enterprise's region and industry as an index into the distinct values.
struct Codes<'a> {
    region: Vec<u32>,
    industry: Vec<u32>,
    regions: Vec<&'a str>,
    industries: Vec<&'a str>,
}

impl<'a> Codes<'a> {
    fn new(inputs: &'a Inputs) -> Codes<'a> {
        let distinct = |f: fn(&Enterprise) -> &str| -> Vec<&'a str> {
            let set: BTreeSet<&str> = inputs.population.iter().map(f).collect();
            set.into_iter().collect()
        };
        let regions = distinct(|e| e.region.as_str());
        let industries = distinct(|e| e.industry.as_str());
        let id = |list: &[&str], v: &str| list.binary_search(&v).expect("listed") as u32;
        Codes {
            region: inputs
                .population
                .iter()
                .map(|e| id(&regions, &e.region))
                .collect(),
            industry: inputs
                .population
                .iter()
                .map(|e| id(&industries, &e.industry))
                .collect(),
            regions,
            industries,
        }
    }
}

impl TaskFilter {
    fn new(
        inputs: &Inputs,
        codes: &Codes,
        excluded: &BTreeSet<(usize, &str)>,
        task: &Task,
    ) -> TaskFilter {
        let region_ok = codes
            .regions
            .iter()
            .map(|r| task.regions.is_empty() || task.regions.iter().any(|x| x == r))
            .collect();
        let industry_ok = codes
            .industries
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
        let excluded = excluded
            .iter()
            .filter(|(_, d)| *d == task.department)
            .map(|(i, _)| *i)
            .collect();
        TaskFilter {
            region_ok,
            industry_ok,
            excluded,
        }
    }

    fn eligible(&self, codes: &Codes, task: &Task, i: usize, e: &Enterprise) -> bool {
        self.region_ok[codes.region[i] as usize]
            && self.industry_ok[codes.industry[i] as usize]
            && task.quota(e.tier) != Quota::None
            && !self.excluded.contains(&i)
    }
}

/// (population index, department) pairs inside the exclusion window.
pub fn exclusions(inputs: &Inputs) -> BTreeSet<(usize, &str)> {
    let start = inputs.policy.exclusion_start();
    inputs
        .history
        .iter()
        .filter(|h| h.visited_on >= start && h.visited_on < inputs.policy.as_of)
        .filter_map(|h| {
            let i = inputs
                .population
                .binary_search_by(|e| e.uscc.cmp(&h.uscc))
                .ok()?;
            Some((i, h.department.as_str()))
        })
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
    let mut plan = select(inputs, seed);
    let (teams, failures) = teams::draw_teams(inputs, seed, &plan.visits);
    plan.teams = teams;
    plan.failures = failures;
    plan
}

/// The enterprise selection alone (§7–§8): strata, selections, passed-over enterprises and the
/// groups' visits with `dr1` periods, no teams. Method `dr2` plans visits from its output.
pub fn select(inputs: &Inputs, seed: &Seed) -> Plan {
    let numbers: Vec<u64> = inputs
        .population
        .iter()
        .map(|e| prn(seed, &e.uscc))
        .collect();
    let excluded = exclusions(inputs);
    let codes = Codes::new(inputs);
    let mut visits_of: Vec<u32> = vec![0; inputs.population.len()];
    let mut starts = [0u64; 4];
    let mut plan = Plan::default();
    for (group, tasks) in groups(inputs) {
        let group_starts = starts;
        let mut members: BTreeMap<usize, Vec<&Task>> = BTreeMap::new();
        let mut extent: [Option<u64>; 4] = [None; 4];
        for task in &tasks {
            let mut by_tier: [Vec<usize>; 4] = Default::default();
            let filter = TaskFilter::new(inputs, &codes, &excluded, task);
            for (i, e) in inputs.population.iter().enumerate() {
                if filter.eligible(&codes, task, i, e) {
                    by_tier[e.tier as usize].push(i);
                }
            }
            for tier in Tier::ALL {
                let t = tier as usize;
                if task.quota(tier) == Quota::None {
                    continue;
                }
                let ctx = StratumDraw {
                    inputs,
                    numbers: &numbers,
                    task,
                    tier,
                    start: group_starts[t],
                };
                let stratum = ctx.run(&by_tier[t], &mut members, &mut visits_of, &mut plan);
                if let Some(c) = stratum.cutoff {
                    extent[t] = Some(extent[t].map_or(c, |x: u64| x.max(c)));
                }
                plan.strata.push(stratum);
            }
        }
        for t in 0..4 {
            if let Some(x) = extent[t] {
                starts[t] = group_starts[t].wrapping_add(x).wrapping_add(1);
            }
        }
        plan.visits.extend(group_visits(
            inputs,
            &numbers,
            group,
            &tasks,
            &group_starts,
            members,
        ));
    }
    plan.visits.sort_by(|a, b| {
        (a.period, &a.group, a.xi, a.index).cmp(&(b.period, &b.group, b.xi, b.index))
    });
    plan.selections
        .sort_by(|a, b| (&a.task, a.xi, a.index).cmp(&(&b.task, b.xi, b.index)));
    plan.passed_over
        .sort_by(|a, b| (&a.task, a.xi, a.index).cmp(&(&b.task, b.xi, b.index)));
    plan
}

/// One task in one tier.
struct StratumDraw<'a> {
    inputs: &'a Inputs,
    numbers: &'a [u64],
    task: &'a Task,
    tier: Tier,
    start: u64,
}

impl<'a> StratumDraw<'a> {
    fn xi(&self, i: usize) -> u64 {
        self.numbers[i].wrapping_sub(self.start)
    }

    /// Candidates in order of (ξ, code), at least `need` of them when the stratum has them.
    fn ordered(&self, indices: &[usize], need: u64) -> Vec<usize> {
        let n = indices.len() as u128;
        // ξ is uniform: keep the numbers below a generous threshold, sort only those, and fall
        // back to the whole stratum if that is not enough. The order is the same either way.
        let want = need as u128 + need as u128 / 4 + 64;
        let threshold = if n == 0 || want >= n {
            u64::MAX
        } else {
            ((want << 64) / n).min(u64::MAX as u128) as u64
        };
        let mut c: Vec<usize> = indices
            .iter()
            .copied()
            .filter(|&i| self.xi(i) <= threshold)
            .collect();
        c.sort_by_key(|&i| (self.xi(i), i));
        c
    }

    fn run(
        &self,
        indices: &[usize],
        members: &mut BTreeMap<usize, Vec<&'a Task>>,
        visits_of: &mut [u32],
        plan: &mut Plan,
    ) -> Stratum {
        let (keys, sampled): (Vec<usize>, Vec<usize>) = indices
            .iter()
            .partition(|&&i| self.inputs.population[i].key_supervision);
        for &i in &keys {
            self.take(i, Basis::Key, (1, 1), members, visits_of, plan);
        }
        let eligible = sampled.len() as u64;
        let quota = self.task.quota(self.tier).take(eligible);
        let cap = self.inputs.policy.cap(self.tier);
        let (mut taken, mut passed, mut cutoff) = (0u64, 0u64, None);
        let mut order = self.ordered(&sampled, quota);
        let mut position = 0;
        while taken < quota {
            if position == order.len() {
                if order.len() == sampled.len() {
                    break;
                }
                order = self.ordered(&sampled, u64::MAX / 4);
                position = 0;
                taken = 0;
                passed = 0;
                cutoff = None;
                continue;
            }
            let i = order[position];
            position += 1;
            let joint = members.contains_key(&i);
            if !joint && visits_of[i] >= cap {
                passed += 1;
                continue;
            }
            taken += 1;
            cutoff = Some(self.xi(i));
        }
        // Record only now, so a fallback to the whole stratum leaves no trace of the first try.
        for &i in &order[..position] {
            let joint = members.contains_key(&i);
            if !joint && visits_of[i] >= cap {
                plan.passed_over.push(PassedOver {
                    task: self.task.id.clone(),
                    index: i,
                    tier: self.tier,
                    xi: self.xi(i),
                    visits: visits_of[i],
                });
            } else {
                self.take(
                    i,
                    Basis::Sample,
                    (quota, eligible),
                    members,
                    visits_of,
                    plan,
                );
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
        i: usize,
        basis: Basis,
        inclusion: (u64, u64),
        members: &mut BTreeMap<usize, Vec<&'a Task>>,
        visits_of: &mut [u32],
        plan: &mut Plan,
    ) {
        let entry = members.entry(i).or_default();
        if entry.is_empty() {
            visits_of[i] += 1;
        }
        entry.push(self.task);
        plan.selections.push(Selection {
            task: self.task.id.clone(),
            index: i,
            tier: self.tier,
            xi: self.xi(i),
            basis,
            inclusion,
        });
    }
}

/// A group's visits, with periods dealt round-robin in order of (ξ, code).
fn group_visits(
    inputs: &Inputs,
    numbers: &[u64],
    group: &str,
    tasks: &[&Task],
    starts: &[u64; 4],
    members: BTreeMap<usize, Vec<&Task>>,
) -> Vec<Visit> {
    let (from, to) = (tasks[0].period_from, tasks[0].period_to);
    let len = to - from + 1;
    let mut visits: Vec<Visit> = members
        .into_iter()
        .map(|(i, ts)| {
            let e = &inputs.population[i];
            let mut task_ids: Vec<String> = ts.iter().map(|t| t.id.clone()).collect();
            task_ids.sort();
            task_ids.dedup();
            let mut departments: Vec<String> = ts.iter().map(|t| t.department.clone()).collect();
            departments.sort();
            departments.dedup();
            Visit {
                id: format!("{group}/{}", e.uscc),
                index: i,
                group: group.to_string(),
                period: 0,
                xi: numbers[i].wrapping_sub(starts[e.tier as usize]),
                tasks: task_ids,
                departments,
            }
        })
        .collect();
    visits.sort_by_key(|v| (v.xi, v.index));
    for (rank, v) in visits.iter_mut().enumerate() {
        v.period = from + (rank as u32 % len);
    }
    visits
}
