//! How far a `dr3` plan is from the best possible (`docs/plan-model.md`, "dr3: capacity,
//! teams, merging, bound", file `plan/bound.csv`): per region, the checks to plan, those planned,
//! those planned with a complete team, an upper bound on the checks any plan of the model can
//! place (from the linear relaxation, rounded conservatively), the new visits, and a lower bound
//! on the visits that can carry the checks planned (the fewest periods stabbing their windows,
//! per enterprise, which no plan can beat).

use crate::inputs::csv_text;
use crate::inputs::Inputs;
use crate::placement::Plan;
use std::collections::{BTreeMap, BTreeSet};

/// Header of `bound.csv`.
pub const BOUND_HEADER: [&str; 7] = [
    "region",
    "checks",
    "planned",
    "staffed",
    "planned_bound",
    "visits",
    "visits_bound",
];

/// One region's row of `bound.csv`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BoundRow {
    pub region: String,
    /// Group checks of the region's enterprises to plan (not pinned, window not over).
    pub checks: u64,
    /// Checks in new visits.
    pub planned: u64,
    /// Checks in new visits whose every department has a complete team.
    pub staffed: u64,
    /// No plan of the model places more checks; empty when the relaxation was not solved.
    pub planned_bound: Option<u64>,
    /// New visits.
    pub visits: u64,
    /// No plan carrying the planned checks makes fewer visits.
    pub visits_bound: u64,
}

/// The fewest periods that stab every window (greedy by window end: exact for intervals).
pub fn stabbing(mut windows: Vec<(u32, u32)>) -> u64 {
    windows.sort_by_key(|w| (w.1, w.0));
    let mut count = 0;
    let mut point: Option<u32> = None;
    for (from, to) in windows {
        if point.is_some_and(|p| from <= p) {
            continue;
        }
        point = Some(to);
        count += 1;
    }
    count
}

/// The rows of `bound.csv`, by region.
pub fn bounds(plan: &Plan, inputs: &Inputs) -> Vec<BoundRow> {
    let first = plan.frame.first;
    let windows: BTreeMap<&str, (u32, u32)> = inputs
        .tasks
        .iter()
        .map(|t| (t.group.as_str(), (t.period_from.max(first), t.period_to)))
        .collect();
    let departments: BTreeMap<(usize, &str), &[String]> = plan
        .selection
        .visits
        .iter()
        .map(|v| ((v.index, v.group.as_str()), v.departments.as_slice()))
        .collect();
    let failed: BTreeSet<(&str, &str)> = plan
        .failures
        .iter()
        .map(|f| (f.visit.as_str(), f.department.as_str()))
        .collect();
    let mut rows: BTreeMap<&str, BoundRow> = BTreeMap::new();
    for r in &plan.regions {
        let checks: u64 = r
            .region
            .cells
            .iter()
            .map(|c| (c.enterprises.len() * c.pattern.len()) as u64)
            .sum();
        rows.insert(
            r.region.name.as_str(),
            BoundRow {
                region: r.region.name.clone(),
                checks,
                planned_bound: r.left_out_bound.map(|b| checks.saturating_sub(b)),
                ..BoundRow::default()
            },
        );
    }
    let mut planned: BTreeMap<usize, Vec<(u32, u32)>> = BTreeMap::new();
    for v in plan.visits.iter().filter(|v| !v.pinned) {
        let Some(i) = v.index else { continue };
        let Some(row) = rows.get_mut(inputs.region_of(i)) else {
            continue;
        };
        row.visits += 1;
        for g in &v.groups {
            row.planned += 1;
            let ds = departments.get(&(i, g.as_str())).copied().unwrap_or(&[]);
            if ds
                .iter()
                .all(|d| !failed.contains(&(v.id.as_str(), d.as_str())))
            {
                row.staffed += 1;
            }
            planned.entry(i).or_default().push(windows[g.as_str()]);
        }
    }
    for (i, w) in planned {
        if let Some(row) = rows.get_mut(inputs.region_of(i)) {
            row.visits_bound += stabbing(w);
        }
    }
    rows.into_values().collect()
}

/// `bound.csv`.
pub fn bound_csv(plan: &Plan, inputs: &Inputs) -> String {
    csv_text(
        &BOUND_HEADER,
        bounds(plan, inputs).into_iter().map(|r| {
            vec![
                r.region,
                r.checks.to_string(),
                r.planned.to_string(),
                r.staffed.to_string(),
                r.planned_bound.map_or(String::new(), |b| b.to_string()),
                r.visits.to_string(),
                r.visits_bound.to_string(),
            ]
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stabbing_counts_the_fewest_periods() {
        assert_eq!(stabbing(vec![]), 0);
        assert_eq!(stabbing(vec![(1, 6), (4, 12), (8, 12)]), 2);
        assert_eq!(stabbing(vec![(1, 3), (4, 6)]), 2);
        assert_eq!(stabbing(vec![(1, 12), (5, 5), (5, 9), (2, 5)]), 1);
    }
}
