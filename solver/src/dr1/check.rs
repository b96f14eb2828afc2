//! Independent checks of a `dr1` plan against the rules (`docs/draw-protocol.md`,
//! "Verification"): eligibility, quotas, caps, periods, team sizes, certificates, regions,
//! conflicts, "not the same inspector twice in a row" and capacity. They read the plan as it
//! stands and re-derive nothing from the seed, so a bug in the draw cannot hide from them.

use super::inputs::Inputs;
use super::select::{eligible, exclusions, Basis, Plan};
use std::collections::{BTreeMap, BTreeSet};

/// The first rule the plan breaks, if any.
pub fn check(inputs: &Inputs, plan: &Plan) -> Result<(), String> {
    let tasks: BTreeMap<&str, &super::inputs::Task> =
        inputs.tasks.iter().map(|t| (t.id.as_str(), t)).collect();
    let excluded = exclusions(inputs);
    for s in &plan.selections {
        let task = tasks
            .get(s.task.as_str())
            .ok_or(format!("selection for unknown task {}", s.task))?;
        let e = &inputs.population[s.index];
        if !eligible(inputs, &excluded, task, s.index, e) {
            return Err(format!("task {}: {} is not eligible (targeting, item applicability, quota or exclusion window)", s.task, e.uscc));
        }
    }
    for st in &plan.strata {
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
    let mut visits_of: BTreeMap<usize, u32> = BTreeMap::new();
    for v in &plan.visits {
        *visits_of.entry(v.index).or_default() += 1;
        let task = tasks
            .get(v.tasks[0].as_str())
            .ok_or(format!("visit {} names unknown task", v.id))?;
        if v.period < task.period_from || v.period > task.period_to {
            return Err(format!(
                "visit {}: period {} outside the window {}..{}",
                v.id, v.period, task.period_from, task.period_to
            ));
        }
    }
    let key: BTreeSet<usize> = plan
        .selections
        .iter()
        .filter(|s| s.basis == Basis::Key)
        .map(|s| s.index)
        .collect();
    for (&i, &n) in &visits_of {
        let e = &inputs.population[i];
        let cap = inputs.policy.cap(e.tier);
        if n > cap && !key.contains(&i) {
            return Err(format!(
                "{} (tier {}) has {n} visits; the cap is {cap}",
                e.uscc, e.tier
            ));
        }
    }
    check_teams(inputs, plan)
}

fn check_teams(inputs: &Inputs, plan: &Plan) -> Result<(), String> {
    let inspectors: BTreeMap<&str, &super::inputs::Inspector> = inputs
        .inspectors
        .iter()
        .map(|i| (i.id.as_str(), i))
        .collect();
    let visits: BTreeMap<&str, &super::select::Visit> =
        plan.visits.iter().map(|v| (v.id.as_str(), v)).collect();
    let failed: BTreeSet<(&str, &str)> = plan
        .failures
        .iter()
        .map(|f| (f.visit.as_str(), f.department.as_str()))
        .collect();
    let mut team_size: BTreeMap<(&str, &str), u32> = BTreeMap::new();
    let mut used: BTreeMap<&str, u32> = BTreeMap::new();
    let mut last: BTreeMap<(String, &str), (chrono::NaiveDate, BTreeSet<&str>)> = BTreeMap::new();
    for h in &inputs.history {
        let slot = last
            .entry((h.uscc.to_string(), h.department.as_str()))
            .or_insert((h.visited_on, BTreeSet::new()));
        if h.visited_on > slot.0 {
            *slot = (h.visited_on, BTreeSet::new());
        }
        if h.visited_on == slot.0 {
            slot.1.insert(h.inspector.as_str());
        }
    }
    for m in &plan.teams {
        let v = visits
            .get(m.visit.as_str())
            .ok_or(format!("team member for unknown visit {}", m.visit))?;
        let i = inspectors
            .get(m.inspector.as_str())
            .ok_or(format!("unknown inspector {}", m.inspector))?;
        let e = &inputs.population[v.index];
        let (start, end) = inputs.policy.periods.dates(inputs.policy.year, v.period);
        let what = format!("visit {} {}: inspector {}", v.id, m.department, i.id);
        if i.department != m.department {
            return Err(format!("{what} belongs to {}", i.department));
        }
        if i.region != e.region {
            return Err(format!(
                "{what} is of region {}, the enterprise of {}",
                i.region, e.region
            ));
        }
        if !(i.valid_from <= start && end <= i.valid_until) {
            return Err(format!(
                "{what}: certificate {}..{} does not cover {start}..{end}",
                i.valid_from, i.valid_until
            ));
        }
        if inputs.conflicts.contains(&(i.id.clone(), e.uscc)) {
            return Err(format!("{what} has a declared conflict with {}", e.uscc));
        }
        if last
            .get(&(e.uscc.to_string(), m.department.as_str()))
            .is_some_and(|(_, t)| t.contains(i.id.as_str()))
        {
            return Err(format!("{what} inspected {} last time", e.uscc));
        }
        *team_size
            .entry((m.visit.as_str(), m.department.as_str()))
            .or_default() += 1;
        let u = used.entry(i.id.as_str()).or_default();
        *u += 1;
        if *u > i.capacity {
            return Err(format!(
                "inspector {} is assigned more than the capacity {}",
                i.id, i.capacity
            ));
        }
    }
    let k = inputs.policy.inspectors_per_department;
    for v in &plan.visits {
        for d in &v.departments {
            let n = team_size
                .get(&(v.id.as_str(), d.as_str()))
                .copied()
                .unwrap_or(0);
            if n < k && !failed.contains(&(v.id.as_str(), d.as_str())) {
                return Err(format!(
                    "visit {} {d}: {n} inspectors, at least {k} required and no failure stated",
                    v.id
                ));
            }
        }
    }
    Ok(())
}
