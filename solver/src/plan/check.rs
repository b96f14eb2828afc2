//! Independent checks of a `dr1` plan against the rules (`docs/draw-protocol.md`,
//! "Verification"): eligibility, quotas, caps, periods, team sizes, certificates, regions,
//! conflicts, "not the same inspector twice in a row" and capacity. They read the plan as it
//! stands and re-derive nothing from the seed, so a bug in the draw cannot hide from them.

use crate::inputs::Inputs;
use crate::inputs::Quota;
use crate::selection::drawn::Drawn;
use crate::selection::{eligible, exclusions, targets, Basis, Plan};
use crate::teams::last_teams;
use crate::{KeySupervision, Uscc};
use std::collections::{BTreeSet, HashMap};

/// The first rule the plan breaks, if any.
pub fn check(inputs: &Inputs, plan: &Plan) -> Result<(), String> {
    check_drawn(inputs, &Drawn::from_plan(inputs, plan)?)
}

/// [`check`] of a plan by positions.
pub fn check_drawn(inputs: &Inputs, d: &Drawn) -> Result<(), String> {
    let excluded = exclusions(inputs);
    // The rule of `eligible`, its region and industry part remembered per (task, region,
    // industry): selections repeat few combinations.
    let mut seen: HashMap<(u32, u32, u32), bool> = HashMap::new();
    for s in &d.picks {
        let task = &inputs.tasks[s.task as usize];
        let e = &inputs.population[s.index as usize];
        let targeted = *seen
            .entry((s.task, e.region, e.industry))
            .or_insert_with(|| {
                targets(
                    inputs,
                    task,
                    inputs.population.region(e.region),
                    inputs.population.industry(e.industry),
                )
            });
        let ok = targeted
            && task.quota(e.tier) != Quota::None
            && !excluded.contains(&(s.index as usize, task.department.as_str()));
        debug_assert_eq!(ok, eligible(inputs, &excluded, task, s.index as usize, e));
        if !ok {
            return Err(format!("task {}: {} is not eligible (targeting, item applicability, quota or exclusion window)", task.id, e.uscc));
        }
        let key = inputs.key_for(s.index as usize, &task.department);
        if key != (s.basis == Basis::Key) {
            return Err(format!(
                "task {}: {} is {} but was {}",
                task.id,
                e.uscc,
                if key {
                    "under key supervision of the task's department"
                } else {
                    "not under key supervision of the task's department"
                },
                if s.basis == Basis::Key {
                    "taken in full"
                } else {
                    "sampled"
                }
            ));
        }
    }
    let key_picks: BTreeSet<(u32, u32)> = d
        .picks
        .iter()
        .filter(|s| s.basis == Basis::Key)
        .map(|s| (s.task, s.index))
        .collect();
    every_key_check_taken(inputs, &key_picks, &excluded)?;
    for st in &d.strata {
        if st.taken > st.quota {
            return Err(format!(
                "task {} tier {}: took {} of a quota of {}",
                st.task, st.tier, st.taken, st.quota
            ));
        }
        if st.taken < st.quota && st.taken + st.passed_over < st.eligible {
            return Err(format!(
                "task {} tier {}: took {} of {} while eligible enterprises were left",
                st.task, st.tier, st.taken, st.quota
            ));
        }
    }
    let mut id = String::new();
    for v in &d.calls {
        let task = &inputs.tasks[d.tasks_of(v)[0] as usize];
        if v.period < task.period_from || v.period > task.period_to {
            d.visit_id(inputs, v, &mut id);
            return Err(format!(
                "visit {id}: period {} outside the window {}..{}",
                v.period, task.period_from, task.period_to
            ));
        }
    }
    let per_department = inputs.key_rule() == KeySupervision::PerDepartment;
    // Under `PerDepartment` a visit holding a key check of its enterprise does not count; under
    // `EveryTask` a key-supervision enterprise has no cap at all.
    let mut visited: Vec<u32> = d
        .calls
        .iter()
        .filter(|v| {
            !per_department
                || !d
                    .tasks_of(v)
                    .iter()
                    .any(|&t| key_picks.contains(&(t, v.index)))
        })
        .map(|v| v.index)
        .collect();
    visited.sort_unstable();
    let mut key: Vec<u32> = key_picks.iter().map(|&(_, i)| i).collect();
    key.sort_unstable();
    for run in visited.chunk_by(|a, b| a == b) {
        let (i, n) = (run[0], run.len() as u32);
        let e = &inputs.population[i as usize];
        let cap = inputs.policy.cap(e.tier);
        if n > cap && (per_department || key.binary_search(&i).is_err()) {
            return Err(format!(
                "{} (tier {}) has {n} visits; the cap is {cap}",
                e.uscc, e.tier
            ));
        }
    }
    check_teams(inputs, d)
}

/// Under key supervision per department, every eligible enterprise a task's department holds is
/// taken by the task (`docs/plan-model.md`, "dr3: key supervision"). (Under `EveryTask` the
/// strata's own counts and the basis of every pick already bind the key-supervision checks.)
fn every_key_check_taken(
    inputs: &Inputs,
    taken: &BTreeSet<(u32, u32)>,
    excluded: &BTreeSet<(usize, &str)>,
) -> Result<(), String> {
    let Some(k) = &inputs.key_departments else {
        return Ok(());
    };
    for (t, task) in inputs.tasks.iter().enumerate() {
        for &i in k.held_by(&task.department) {
            let e = &inputs.population[i as usize];
            if eligible(inputs, excluded, task, i as usize, e) && !taken.contains(&(t as u32, i)) {
                return Err(format!(
                    "task {}: {} is under key supervision of {} and eligible, but not taken",
                    task.id, e.uscc, task.department
                ));
            }
        }
    }
    Ok(())
}

fn check_teams(inputs: &Inputs, d: &Drawn) -> Result<(), String> {
    let mut failed: Vec<(u32, u32)> = d.gaps.iter().map(|g| (g.call, g.department)).collect();
    failed.sort_unstable();
    let conflicts: BTreeSet<(&str, Uscc)> = inputs
        .conflicts
        .iter()
        .map(|(i, u)| (i.as_str(), *u))
        .collect();
    let last = last_teams(inputs);
    let mut used: Vec<u32> = vec![0; inputs.inspectors.len()];
    let mut id = String::new();
    for m in &d.seats {
        let v = &d.calls[m.call as usize];
        let i = &inputs.inspectors[m.inspector as usize];
        let department = d.departments[m.department as usize].as_str();
        let e = &inputs.population[v.index as usize];
        let region = inputs.population.region(e.region);
        let (start, end) = inputs.policy.periods.dates(inputs.policy.year, v.period);
        let what = || {
            let mut id = String::new();
            d.visit_id(inputs, v, &mut id);
            format!("visit {id} {department}: inspector {}", i.id)
        };
        if i.department != department {
            return Err(format!("{} belongs to {}", what(), i.department));
        }
        if i.region != region {
            return Err(format!(
                "{} is of region {}, the enterprise of {region}",
                what(),
                i.region
            ));
        }
        if !(i.valid_from <= start && end <= i.valid_until) {
            return Err(format!(
                "{}: certificate {}..{} does not cover {start}..{end}",
                what(),
                i.valid_from,
                i.valid_until
            ));
        }
        if conflicts.contains(&(i.id.as_str(), e.uscc)) {
            return Err(format!(
                "{} has a declared conflict with {}",
                what(),
                e.uscc
            ));
        }
        if last
            .get(&(e.uscc, department))
            .is_some_and(|t| t.contains(i.id.as_str()))
        {
            return Err(format!("{} inspected {} last time", what(), e.uscc));
        }
        let u = &mut used[m.inspector as usize];
        *u += 1;
        if *u > i.capacity {
            return Err(format!(
                "inspector {} is assigned more than the capacity {}",
                i.id, i.capacity
            ));
        }
    }
    let mut team: Vec<(u32, u32)> = d.seats.iter().map(|s| (s.call, s.department)).collect();
    team.sort_unstable();
    let k = inputs.policy.inspectors_per_department;
    let mut departments = Vec::new();
    // Visits and their departments come in ascending (visit, department) order, as `team`.
    let mut rest = &team[..];
    for (c, v) in d.calls.iter().enumerate() {
        d.departments_of(v, &mut departments);
        for &dep in &departments {
            let key = (c as u32, dep);
            rest = &rest[rest.partition_point(|x| *x < key)..];
            let n = rest.partition_point(|x| *x <= key);
            if (n as u32) < k && failed.binary_search(&key).is_err() {
                d.visit_id(inputs, v, &mut id);
                return Err(format!(
                    "visit {id} {}: {n} inspectors, at least {k} required and no failure stated",
                    d.departments[dep as usize]
                ));
            }
        }
    }
    Ok(())
}
