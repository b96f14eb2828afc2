//! Properties of `dr1` on small made-up jurisdictions.

use crate::inputs::{Enterprise, Inputs, Inspector, Item, Periods, Policy, Quota, Task};
use crate::plan::check::check;
use crate::selection::{draw, drawn, Basis};
use crate::{Tier, Uscc};
use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub(crate) fn task(id: &str, department: &str, group: &str, quotas: [Quota; 4]) -> Task {
    Task {
        id: id.into(),
        department: department.into(),
        group: group.into(),
        items: vec![format!("{department}-1")],
        regions: vec![],
        industries: vec![],
        quotas,
        period_from: 1,
        period_to: 4,
    }
}

/// `n` enterprises over two regions and all tiers, three departments with inspectors.
pub(crate) fn city(n: usize, tasks: Vec<Task>, cap: [u32; 4]) -> Inputs {
    let tiers = [Tier::A, Tier::A, Tier::B, Tier::C, Tier::D];
    let population: Vec<Enterprise> = (0..n)
        .map(|i| Enterprise {
            uscc: Uscc::with_check(&format!("91440305MA{i:07}")).unwrap(),
            region: if i % 2 == 0 { "440305" } else { "440306" }.into(),
            industry: "C1391".into(),
            tier: tiers[i % 5],
            key_supervision: i % 97 == 0,
        })
        .collect();
    let mut items = BTreeMap::new();
    let mut inspectors = Vec::new();
    for d in ["SCJG", "STHJ", "XFJY"] {
        items.insert(
            format!("{d}-1"),
            Item {
                code: format!("{d}-1"),
                department: d.into(),
                industries: vec![],
                specialty: String::new(),
            },
        );
        for r in ["440305", "440306"] {
            for k in 0..6 {
                inspectors.push(Inspector {
                    id: format!("{d}-{r}-{k}"),
                    department: d.into(),
                    region: r.into(),
                    valid_from: day(2024, 1, 1),
                    valid_until: day(2028, 12, 31),
                    specialties: vec![],
                    capacity: 400,
                });
            }
        }
    }
    inspectors.sort_by(|a, b| a.id.cmp(&b.id));
    let mut tasks = tasks;
    tasks.sort_by(|a, b| a.id.cmp(&b.id));
    Inputs {
        policy: Policy {
            year: 2026,
            as_of: day(2026, 1, 1),
            periods: Periods::Quarter,
            visit_cap: cap,
            inspectors_per_department: 2,
            exclusion_months: 12,
        },
        population: population.into(),
        items,
        inspectors,
        conflicts: BTreeSet::new(),
        history: vec![],
        tasks,
        key_departments: None,
    }
}

fn chosen(plan: &crate::selection::Plan, task: &str) -> BTreeSet<usize> {
    plan.selections
        .iter()
        .filter(|s| s.task == task && s.basis == Basis::Sample)
        .map(|s| s.index)
        .collect()
}

pub(crate) const TEN: [Quota; 4] = [Quota::Ratio(1, 10); 4];
const TWENTY: [Quota; 4] = [Quota::Ratio(1, 5); 4];

#[test]
fn tasks_of_one_group_overlap_into_joint_visits() {
    let inputs = city(
        2000,
        vec![
            task("a", "SCJG", "joint", TEN),
            task("b", "XFJY", "joint", TWENTY),
        ],
        [3; 4],
    );
    let plan = draw(&inputs, &[7; 32]);
    let (a, b) = (chosen(&plan, "a"), chosen(&plan, "b"));
    assert!(
        a.is_subset(&b),
        "the smaller selection lies inside the larger one"
    );
    let joint = plan
        .visits
        .iter()
        .filter(|v| v.departments.len() == 2)
        .count();
    assert!(
        joint >= a.len(),
        "every check of the smaller task is a joint visit"
    );
    assert_eq!(check(&inputs, &plan), Ok(()));
}

#[test]
fn separate_groups_are_packed_end_to_end() {
    let inputs = city(
        2000,
        vec![task("a", "SCJG", "a", TEN), task("b", "STHJ", "b", TEN)],
        [3; 4],
    );
    let plan = draw(&inputs, &[9; 32]);
    let (a, b) = (chosen(&plan, "a"), chosen(&plan, "b"));
    assert!(
        a.is_disjoint(&b),
        "two 10 % draws share no enterprise: {:?}",
        a.intersection(&b).count()
    );
}

#[test]
fn caps_are_never_exceeded() {
    let tasks: Vec<Task> = (0..6)
        .map(|i| {
            task(
                &format!("t{i}"),
                ["SCJG", "STHJ", "XFJY"][i % 3],
                &format!("g{i}"),
                [Quota::Ratio(1, 2); 4],
            )
        })
        .collect();
    for seed in 0..8u8 {
        let inputs = city(600, tasks_clone(&tasks), [1, 1, 2, 2]);
        let plan = draw(&inputs, &[seed; 32]);
        let mut visits: BTreeMap<usize, u32> = BTreeMap::new();
        for v in &plan.visits {
            *visits.entry(v.index).or_default() += 1;
        }
        for (i, n) in visits {
            let e = &inputs.population[i];
            assert!(
                n <= inputs.policy.cap(e.tier) || e.key_supervision,
                "seed {seed}: {} has {n} visits",
                e.uscc
            );
        }
        assert!(!plan.passed_over.is_empty(), "the caps bind in this city");
        assert_eq!(check(&inputs, &plan), Ok(()), "seed {seed}");
    }
}

fn tasks_clone(t: &[Task]) -> Vec<Task> {
    t.to_vec()
}

#[test]
fn an_enterprises_number_does_not_depend_on_the_list() {
    let full = city(300, vec![task("a", "SCJG", "a", TEN)], [3; 4]);
    let mut smaller = full.clone();
    smaller
        .population
        .retain(|e| e.uscc.as_str().ends_with(['1', '3', '5', '7', '9']) || e.key_supervision);
    let seed = [3; 32];
    let xi = |inputs: &Inputs| -> BTreeMap<Uscc, u64> {
        draw(inputs, &seed)
            .selections
            .iter()
            .map(|s| (inputs.population[s.index].uscc, s.xi))
            .collect()
    };
    let (a, b) = (xi(&full), xi(&smaller));
    for (u, x) in &b {
        if let Some(y) = a.get(u) {
            assert_eq!(x, y, "{u}");
        }
    }
}

#[test]
fn quotas_are_met_exactly_and_key_supervision_is_always_taken() {
    let inputs = city(
        1000,
        vec![task(
            "a",
            "SCJG",
            "a",
            [
                Quota::Count(7),
                Quota::Ratio(1, 20),
                Quota::None,
                Quota::Ratio(1, 1),
            ],
        )],
        [3; 4],
    );
    let plan = draw(&inputs, &[5; 32]);
    for s in &plan.strata {
        assert_eq!(s.taken, s.quota, "{s:?}");
    }
    assert!(
        !plan.strata.iter().any(|s| s.tier == Tier::C),
        "no quota, no stratum"
    );
    let keys = plan
        .selections
        .iter()
        .filter(|s| s.basis == Basis::Key)
        .count();
    let expected = inputs
        .population
        .iter()
        .filter(|e| e.key_supervision && e.tier != Tier::C)
        .count();
    assert_eq!(keys, expected);
}

#[test]
fn same_inputs_same_plan() {
    let inputs = city(
        500,
        vec![task("a", "SCJG", "j", TEN), task("b", "STHJ", "j", TEN)],
        [2; 4],
    );
    assert_eq!(
        drawn(&inputs, &[1; 32]).to_files(&inputs),
        drawn(&inputs, &[1; 32]).to_files(&inputs)
    );
    assert_ne!(
        drawn(&inputs, &[1; 32]).to_files(&inputs),
        drawn(&inputs, &[2; 32]).to_files(&inputs)
    );
}

#[test]
fn missing_inspectors_are_stated_not_bent() {
    let mut inputs = city(200, vec![task("a", "SCJG", "a", TWENTY)], [3; 4]);
    inputs
        .inspectors
        .retain(|i| !(i.department == "SCJG" && i.region == "440306" && !i.id.ends_with("-0")));
    let plan = draw(&inputs, &[4; 32]);
    assert!(!plan.failures.is_empty());
    let f = &plan.failures[0];
    assert_eq!((f.needed, f.found), (2, 1));
    assert!(
        f.reason
            .starts_with("2 needed, 1 assignable: 7 in department, 6 in other regions than 440306"),
        "{}",
        f.reason
    );
    assert_eq!(check(&inputs, &plan), Ok(()));
}

#[test]
fn inputs_round_trip_through_their_files() {
    let inputs = city(50, vec![task("a", "SCJG", "a", TEN)], [3; 4]);
    let files: BTreeMap<String, String> = inputs
        .to_files()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    assert_eq!(Inputs::parse(&files), Ok(inputs));
}

#[test]
fn exclusion_window_includes_its_first_day() {
    let mut inputs = city(
        100,
        vec![task("a", "SCJG", "a", [Quota::Ratio(1, 1); 4])],
        [3; 4],
    );
    let (inside, outside) = (inputs.population[3].uscc, inputs.population[4].uscc);
    for (uscc, on) in [(inside, day(2025, 1, 1)), (outside, day(2024, 12, 31))] {
        inputs.history.push(crate::inputs::PastVisit {
            uscc,
            department: "SCJG".into(),
            inspector: "SCJG-440305-0".into(),
            visited_on: on,
        });
    }
    inputs.history.sort();
    let plan = draw(&inputs, &[6; 32]);
    let drawn: BTreeSet<Uscc> = plan
        .selections
        .iter()
        .map(|s| inputs.population[s.index].uscc)
        .collect();
    assert!(
        !drawn.contains(&inside),
        "visited on as_of − 12 months: still excluded"
    );
    assert!(
        drawn.contains(&outside),
        "visited the day before the window: eligible again"
    );
}

#[test]
fn conflicts_and_last_teams_are_never_drawn() {
    let mut inputs = city(
        60,
        vec![task("a", "SCJG", "a", [Quota::Ratio(1, 1); 4])],
        [3; 4],
    );
    let seed = [8; 32];
    let first = draw(&inputs, &seed);
    // Forbid, for every visit, the members drawn the first time: half as conflicts, half as
    // the last team of an earlier visit outside the exclusion window.
    for (n, m) in first.teams.iter().enumerate() {
        let v = first.visits.iter().find(|v| v.id == m.visit).unwrap();
        let uscc = inputs.population[v.index].uscc;
        if n % 2 == 0 {
            inputs.conflicts.insert((m.inspector.clone(), uscc));
        } else {
            inputs.history.push(crate::inputs::PastVisit {
                uscc,
                department: m.department.clone(),
                inspector: m.inspector.clone(),
                visited_on: day(2023, 6, 1),
            });
        }
    }
    inputs.history.sort();
    let second = draw(&inputs, &seed);
    for m in &second.teams {
        let v = second.visits.iter().find(|v| v.id == m.visit).unwrap();
        let uscc = inputs.population[v.index].uscc;
        assert!(
            !inputs.conflicts.contains(&(m.inspector.clone(), uscc)),
            "{} drawn despite a conflict",
            m.inspector
        );
        assert!(
            !inputs
                .history
                .iter()
                .any(|h| h.uscc == uscc && h.inspector == m.inspector),
            "{} drawn twice in a row",
            m.inspector
        );
    }
    assert_eq!(check(&inputs, &second), Ok(()));
}

#[test]
fn independent_checks_catch_broken_rules() {
    let inputs = city(
        400,
        vec![task("a", "SCJG", "j", TEN), task("b", "XFJY", "j", TWENTY)],
        [1; 4],
    );
    let plan = draw(&inputs, &[2; 32]);
    assert_eq!(check(&inputs, &plan), Ok(()));

    let mut conflict = inputs.clone();
    let m = &plan.teams[0];
    let v = plan.visits.iter().find(|v| v.id == m.visit).unwrap();
    conflict
        .conflicts
        .insert((m.inspector.clone(), inputs.population[v.index].uscc));
    assert!(check(&conflict, &plan)
        .unwrap_err()
        .contains("declared conflict"));

    let mut short = plan.clone();
    let gone = short.teams.remove(0);
    assert!(check(&inputs, &short).unwrap_err().contains(&gone.visit));

    let mut over_cap = plan.clone();
    let extra = over_cap
        .visits
        .iter()
        .find(|v| !inputs.population[v.index].key_supervision)
        .unwrap()
        .clone();
    over_cap.visits.push(crate::selection::Visit {
        id: format!("other/{}", extra.id),
        ..extra
    });
    assert!(check(&inputs, &over_cap).unwrap_err().contains("cap"));

    let mut expired = inputs.clone();
    for i in &mut expired.inspectors {
        i.valid_until = day(2026, 2, 1);
    }
    assert!(check(&expired, &plan).unwrap_err().contains("certificate"));
}
