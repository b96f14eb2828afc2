//! Tests of the whole `dr2` draw on small jurisdictions written as canonical input files.

use crate::inputs::annual::{Annual, PreviousMember, PreviousVisit};
use crate::inputs::Inputs;
use crate::placement::draw;
use crate::plan::annual_check::check;
use crate::{Method, Uscc};
use std::collections::BTreeMap;

const SEED: [u8; 32] = [7; 32];

/// `n` enterprises over two regions, three departments with `per` inspectors per region of
/// capacity `capacity`; tasks: a joint check of SCJG and STHJ in months 1–6, a XFJY check in
/// months 4–12, a key SCJG check all year.
fn city(n: usize, per: usize, capacity: u32) -> Inputs {
    let mut f: BTreeMap<String, String> = BTreeMap::new();
    f.insert(
        "policy.csv".into(),
        "key,value\nyear,2026\nas_of,2026-01-01\nperiods,month\nvisit_cap_a,1\nvisit_cap_b,1\nvisit_cap_c,2\nvisit_cap_d,4\ninspectors_per_department,2\nexclusion_months,12\n".into(),
    );
    let tiers = ["A", "A", "B", "C", "D"];
    let mut rows: Vec<String> = (0..n)
        .map(|i| {
            let u = Uscc::with_check(&format!("91440305MA{i:07}")).unwrap();
            let region = if i % 2 == 0 { "440305" } else { "440306" };
            format!("{u},{region},C1391,{},{}", tiers[i % 5], i % 97 == 0)
        })
        .collect();
    rows.sort();
    f.insert(
        "population.csv".into(),
        format!(
            "uscc,region,industry,tier,key_supervision\n{}\n",
            rows.join("\n")
        ),
    );
    f.insert(
        "items.csv".into(),
        "code,department,industries,specialty\nSCJG-1,SCJG,,\nSCJG-2,SCJG,,\nSTHJ-1,STHJ,,\nXFJY-1,XFJY,,\n".into(),
    );
    let mut inspectors = Vec::new();
    for d in ["SCJG", "STHJ", "XFJY"] {
        for r in ["440305", "440306"] {
            for k in 0..per {
                inspectors.push(format!(
                    "{d}-{r}-{k},{d},{r},2024-01-01,2028-12-31,,{capacity}"
                ));
            }
        }
    }
    inspectors.sort();
    f.insert(
        "inspectors.csv".into(),
        format!(
            "id,department,region,valid_from,valid_until,specialties,capacity\n{}\n",
            inspectors.join("\n")
        ),
    );
    f.insert("conflicts.csv".into(), "inspector,uscc\n".into());
    f.insert("history.csv".into(), crate::inputs::empty_history());
    f.insert(
        "tasks.csv".into(),
        "id,department,group,items,regions,industries,quota_a,quota_b,quota_c,quota_d,period_from,period_to\n\
         SCJG-G,SCJG,joint,SCJG-1,,,1/20,1/10,3/10,6/10,1,6\n\
         SCJG-K,SCJG,SCJG-K,SCJG-2,,,,1/10,3/10,6/10,1,12\n\
         STHJ-G,STHJ,joint,STHJ-1,,,1/20,1/10,3/10,6/10,1,6\n\
         XFJY-G,XFJY,XFJY-G,XFJY-1,,,1/20,1/10,3/10,6/10,4,12\n"
            .into(),
    );
    Inputs::parse(&f).expect("valid city")
}

#[test]
fn plan_keeps_every_rule_and_is_reproducible() {
    let inputs = city(600, 4, 200);
    let annual = Annual::default();
    let plan = draw(&inputs, &annual, &SEED, Method::Dr2);
    check(&inputs, &annual, &plan).unwrap();
    assert!(plan.unplanned.is_empty(), "{:?}", plan.unplanned.first());
    assert!(plan.failures.is_empty(), "{:?}", plan.failures.first());
    let again = draw(&inputs, &annual, &SEED, Method::Dr2);
    assert_eq!(plan.to_files(&inputs), again.to_files(&inputs));
    let other = draw(&inputs, &annual, &[8; 32], Method::Dr2);
    assert_ne!(
        plan.to_files(&inputs)["visits.csv"],
        other.to_files(&inputs)["visits.csv"]
    );
}

#[test]
fn checks_of_different_groups_share_a_visit_where_windows_meet() {
    let inputs = city(600, 4, 200);
    let plan = draw(&inputs, &Annual::default(), &SEED, Method::Dr2);
    let joint_groups = plan.visits.iter().filter(|v| v.groups.len() > 1).count();
    assert!(joint_groups > 0, "no visit merged checks of two groups");
    for v in plan
        .visits
        .iter()
        .filter(|v| v.groups.contains(&"XFJY-G".to_string()))
    {
        assert!((4..=12).contains(&v.period));
        if v.groups.contains(&"joint".to_string()) {
            assert!((4..=6).contains(&v.period), "{v:?}");
        }
    }
    let checks = plan.selection.visits.len();
    assert!(plan.visits.len() < checks, "merging saved no visit");
}

#[test]
fn a_shortage_is_stated_and_the_rest_still_planned() {
    let inputs = city(600, 2, 12);
    let annual = Annual::default();
    let plan = draw(&inputs, &annual, &SEED, Method::Dr2);
    check(&inputs, &annual, &plan).unwrap();
    assert!(!plan.unplanned.is_empty());
    assert!(!plan.shortages.is_empty());
    let s = &plan.shortages[0];
    assert!(s.needed > s.available, "{s:?}");
    assert!(s
        .message(inputs.policy.periods)
        .contains("inspector-visits in"));
    assert!(!plan.visits.is_empty());
}

#[test]
fn broken_plans_fail_the_checks() {
    let inputs = city(600, 4, 200);
    let annual = Annual::default();
    let plan = draw(&inputs, &annual, &SEED, Method::Dr2);
    let mut late = plan.clone();
    let v = late
        .visits
        .iter_mut()
        .find(|v| v.groups == ["joint"])
        .unwrap();
    v.period = 9;
    assert!(check(&inputs, &annual, &late)
        .unwrap_err()
        .contains("outside"));
    let mut lost = plan.clone();
    lost.visits.remove(0);
    assert!(check(&inputs, &annual, &lost).is_err());
    let mut swapped = plan.clone();
    swapped.teams[0].inspector = swapped.teams[1].inspector.clone();
    if swapped.teams[0].visit != swapped.teams[1].visit {
        assert!(check(&inputs, &annual, &swapped).is_err());
    }
}

#[test]
fn a_replan_keeps_pinned_visits_and_lists_the_changes() {
    let inputs = city(600, 4, 200);
    let first = draw(&inputs, &Annual::default(), &SEED, Method::Dr2);
    let files = first.to_files(&inputs);
    let mut annual = Annual {
        pinned_through: 3,
        ..Annual::default()
    };
    annual.previous_visits = first
        .visits
        .iter()
        .map(|v| PreviousVisit {
            visit: v.id.clone(),
            uscc: v.uscc,
            period: v.period,
            groups: v.groups.clone(),
            departments: v.departments.clone(),
            tasks: v.tasks.clone(),
        })
        .collect();
    annual.previous_teams = first
        .teams
        .iter()
        .map(|m| PreviousMember {
            visit: m.visit.clone(),
            department: m.department.clone(),
            inspector: m.inspector.clone(),
        })
        .collect();
    // An inspector leaves: their later visits must be re-staffed.
    let mut smaller = inputs.clone();
    let gone = first
        .teams
        .iter()
        .find(|m| m.visit.ends_with("/5"))
        .unwrap()
        .inspector
        .clone();
    smaller.inspectors.retain(|i| i.id != gone);
    let second = draw(&smaller, &annual, &SEED, Method::Dr2);
    check(&smaller, &annual, &second).unwrap();
    let pinned: Vec<_> = second.visits.iter().filter(|v| v.pinned).collect();
    assert_eq!(
        pinned.len(),
        first.visits.iter().filter(|v| v.period <= 3).count()
    );
    assert!(second.visits.iter().all(|v| v.pinned || v.period > 3));
    assert!(second.teams.iter().all(|m| m.inspector != gone));
    assert!(second.changes.iter().any(|c| c.change == "pinned"));
    assert!(second
        .changes
        .iter()
        .any(|c| c.change == "kept" || c.change == "moved"));
    assert!(files.contains_key("changes.csv"));
}
