//! The selection under key supervision per department (`dr3`) against the one of every task
//! (`dr1`, `dr2`).

use super::tests::{city, task};
use crate::inputs::{Inputs, Quota};
use crate::plan::check::check;
use crate::selection::{draw, Basis, Plan};
use crate::{Method, Tier, Uscc};
use std::collections::{BTreeMap, BTreeSet};

const ALL: [Quota; 4] = [Quota::Ratio(1, 1); 4];
const TENTH: [Quota; 4] = [Quota::Ratio(1, 10); 4];

/// Every 31st enterprise held by SCJG, every 37th by STHJ (some by both).
fn listed(inputs: &Inputs) -> BTreeMap<Uscc, Vec<String>> {
    let mut m = BTreeMap::new();
    for i in 0..inputs.population.len() {
        let mut d = Vec::new();
        if i % 31 == 0 {
            d.push("SCJG".to_string());
        }
        if i % 37 == 0 {
            d.push("STHJ".to_string());
        }
        if !d.is_empty() {
            m.insert(inputs.population[i].uscc, d);
        }
    }
    m
}

fn with_method(mut inputs: Inputs, method: Method) -> Inputs {
    for i in 0..inputs.population.len() {
        inputs.population.set_key_supervision(i, false);
    }
    let l = listed(&inputs);
    inputs.set_key_supervision(method, &l);
    inputs
}

fn picks(plan: &Plan, task: &str, basis: Basis) -> BTreeSet<usize> {
    plan.selections
        .iter()
        .filter(|s| s.task == task && s.basis == basis)
        .map(|s| s.index)
        .collect()
}

#[test]
fn a_task_takes_in_full_only_what_its_department_holds() {
    let tasks = vec![task("a", "SCJG", "a", TENTH), task("b", "STHJ", "b", TENTH)];
    let inputs = with_method(city(3000, tasks, [3; 4]), Method::Dr3);
    let plan = draw(&inputs, &[9; 32]);
    let held = |m: usize| -> BTreeSet<usize> { (0..3000).filter(|i| i % m == 0).collect() };
    assert_eq!(picks(&plan, "a", Basis::Key), held(31));
    assert_eq!(picks(&plan, "b", Basis::Key), held(37));
    assert!(picks(&plan, "a", Basis::Sample).is_disjoint(&held(31)));
    for s in plan.strata.iter().filter(|s| s.task == "a") {
        let tier_size = (0..3000)
            .filter(|&i| inputs.population[i].tier == s.tier)
            .count();
        let tier_held = held(31)
            .into_iter()
            .filter(|&i| inputs.population[i].tier == s.tier)
            .count();
        assert_eq!(s.eligible as usize, tier_size - tier_held, "{s:?}");
        assert_eq!(s.key as usize, tier_held);
        assert_eq!(s.taken, s.quota);
    }
    // Held by STHJ only, so sampled by SCJG's task like any other enterprise.
    let others = picks(&plan, "a", Basis::Sample);
    assert!(
        others.iter().any(|i| i % 37 == 0),
        "some of STHJ's key enterprises are in SCJG's sample: {others:?}"
    );
    assert_eq!(check(&inputs, &plan), Ok(()));
}

#[test]
fn every_task_takes_every_flagged_enterprise_under_dr2() {
    let tasks = vec![task("a", "SCJG", "a", TENTH), task("b", "STHJ", "b", TENTH)];
    let inputs = with_method(city(3000, tasks, [3; 4]), Method::Dr2);
    let plan = draw(&inputs, &[9; 32]);
    let flagged: BTreeSet<usize> = (0..3000).filter(|i| i % 31 == 0 || i % 37 == 0).collect();
    assert_eq!(picks(&plan, "a", Basis::Key), flagged);
    assert_eq!(picks(&plan, "b", Basis::Key), flagged);
    assert_eq!(check(&inputs, &plan), Ok(()));
}

#[test]
fn a_visit_with_a_key_check_does_not_count_toward_the_cap() {
    // Cap 1: SCJG's group visits all it holds (exempt) and samples the rest; STHJ's group takes
    // everyone it can: the enterprises SCJG holds (their only counted visit is STHJ's) and
    // none SCJG sampled (their one visit is used).
    let tasks = vec![task("a", "SCJG", "a", TENTH), task("b", "STHJ", "b", ALL)];
    let inputs = with_method(city(3000, tasks, [1; 4]), Method::Dr3);
    let plan = draw(&inputs, &[3; 32]);
    let taken_by_b: BTreeSet<usize> = picks(&plan, "b", Basis::Sample)
        .union(&picks(&plan, "b", Basis::Key))
        .copied()
        .collect();
    for i in picks(&plan, "a", Basis::Key) {
        assert!(
            taken_by_b.contains(&i),
            "{i} is held by SCJG and still sampled by STHJ"
        );
    }
    for i in picks(&plan, "a", Basis::Sample) {
        assert!(
            !picks(&plan, "b", Basis::Sample).contains(&i),
            "{i}: its one counted visit is SCJG's"
        );
    }
    assert!(plan
        .passed_over
        .iter()
        .all(|p| p.task == "b" && p.visits == 1));
    assert_eq!(
        plan.passed_over.len(),
        picks(&plan, "a", Basis::Sample)
            .iter()
            .filter(|&&i| i % 37 != 0)
            .count()
    );
    assert_eq!(check(&inputs, &plan), Ok(()));
}

#[test]
fn the_checks_refuse_a_wrong_basis_and_a_missing_key_check() {
    let tasks = vec![task("a", "SCJG", "a", TENTH), task("b", "STHJ", "b", TENTH)];
    let inputs = with_method(city(1000, tasks, [3; 4]), Method::Dr3);
    let plan = draw(&inputs, &[9; 32]);
    let mut wrong = plan.clone();
    let s = wrong
        .selections
        .iter_mut()
        .find(|s| s.task == "a" && s.basis == Basis::Key)
        .unwrap();
    s.basis = Basis::Sample;
    let u = inputs.population[s.index].uscc;
    assert_eq!(
        check(&inputs, &wrong),
        Err(format!(
            "task a: {u} is under key supervision of the task's department but was sampled"
        ))
    );
    let mut missing = plan.clone();
    let at = missing
        .selections
        .iter()
        .position(|s| s.task == "b" && s.basis == Basis::Key && s.tier == Tier::B)
        .unwrap();
    let gone = missing.selections.remove(at);
    let u = inputs.population[gone.index].uscc;
    let visit = format!("b/{u}");
    missing.visits.retain(|v| v.id != visit);
    missing.teams.retain(|m| m.visit != visit);
    missing.failures.retain(|f| f.visit != visit);
    for st in missing
        .strata
        .iter_mut()
        .filter(|s| s.task == "b" && s.tier == Tier::B)
    {
        st.key -= 1;
    }
    assert_eq!(
        check(&inputs, &missing),
        Err(format!(
            "task b: {u} is under key supervision of STHJ and eligible, but not taken"
        ))
    );
}
