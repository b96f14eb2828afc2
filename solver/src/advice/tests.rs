//! Tests of the advice on a small city written as canonical input files.

use super::*;
use crate::inputs::Inputs;
use crate::Uscc;

/// 1,000 enterprises over two regions (all tier C, none under key supervision); SCJG has
/// `scjg` inspectors of capacity 10 per region, the first two food specialists; STHJ
/// has 4 per region. Tasks: SCJG food checks (specialty 食品) in months 1–6, a general SCJG
/// check all year, an STHJ check all year.
fn city(scjg: usize) -> Inputs {
    let mut f: BTreeMap<String, String> = BTreeMap::new();
    f.insert(
        "policy.csv".into(),
        "key,value\nyear,2026\nas_of,2026-01-01\nperiods,month\nvisit_cap_a,1\nvisit_cap_b,1\nvisit_cap_c,2\nvisit_cap_d,4\ninspectors_per_department,2\nexclusion_months,12\n".into(),
    );
    let mut rows: Vec<String> = (0..1000)
        .map(|i| {
            let u = Uscc::with_check(&format!("91440305MA{i:07}")).unwrap();
            let region = if i % 2 == 0 { "440305" } else { "440306" };
            format!("{u},{region},C1391,C,false")
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
        "code,department,industries,specialty\nSCJG-1,SCJG,,食品\nSCJG-2,SCJG,,\nSTHJ-1,STHJ,,\n"
            .into(),
    );
    let mut inspectors = Vec::new();
    for r in ["440305", "440306"] {
        for k in 0..scjg {
            let specialty = if k < 2 { "食品" } else { "" };
            inspectors.push(format!(
                "SCJG-{r}-{k:02},SCJG,{r},2024-01-01,2028-12-31,{specialty},10"
            ));
        }
        for k in 0..4 {
            inspectors.push(format!(
                "STHJ-{r}-{k:02},STHJ,{r},2024-01-01,2028-12-31,,10"
            ));
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
         SCJG-F,SCJG,SCJG-F,SCJG-1,,,,,1/100,,1,6\n\
         SCJG-G,SCJG,SCJG-G,SCJG-2,,,,,1/100,,1,12\n\
         STHJ-G,STHJ,STHJ-G,STHJ-1,,,,,1/100,,1,12\n"
            .into(),
    );
    Inputs::parse(&f).expect("valid city")
}

fn ranges(inputs: &Inputs, text: &str) -> Vec<Range> {
    parse_ranges(&format!("{RANGES_HEADER}\n{text}"), &inputs.tasks).expect("valid ranges")
}

#[test]
fn steps_interpolate_exactly() {
    let (a, b) = (Quota::Ratio(1, 100), Quota::Ratio(1, 20));
    assert_eq!(quota_at(a, b, 0), Quota::Ratio(1, 100));
    assert_eq!(quota_at(a, b, STEPS), Quota::Ratio(1, 20));
    assert_eq!(quota_at(a, b, 50), Quota::Ratio(3, 100));
    assert_eq!(quota_at(a, b, 1), Quota::Ratio(13, 1250));
    assert_eq!(
        quota_at(Quota::Count(10), Quota::Count(20), 55),
        Quota::Count(15)
    );
    for j in 0..STEPS {
        let (n0, n1) = (
            quota_at(a, b, j).take(10_000),
            quota_at(a, b, j + 1).take(10_000),
        );
        assert!(n0 <= n1, "step {j}: {n0} > {n1}");
    }
}

#[test]
fn bad_ranges_name_line_column_and_what_is_wrong() {
    let inputs = city(6);
    let text = format!(
        "{RANGES_HEADER}\nSCJG-X,C,1%,5%\nSCJG-G,E,1%,5%\nSCJG-G,C,5%,1%\nSCJG-G,C,1%,5%\nSCJG-G,C,2%,5%\nSTHJ-G,C,1%,5\nSTHJ-G,C,0,5%\nSTHJ-G,C\n"
    );
    let errors: Vec<String> = parse_ranges(&text, &inputs.tasks)
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        errors,
        [
            "ranges.csv:2: task: 'SCJG-X' is not a task of tasks.csv",
            "ranges.csv:3: tier: 'E' is not A, B, C or D",
            "ranges.csv:4: max: the maximum 1% is below the minimum 5%",
            "ranges.csv:6: tier: task SCJG-G tier C has a range already",
            "ranges.csv:7: max: min and max must both be fractions (or percentages) or both counts",
            "ranges.csv:8: min: must not be empty or 0: a range is between two quotas",
            "ranges.csv:9: : expected 4 fields, found 2",
        ]
    );
    let bad_header = parse_ranges("task,tier,low,high\n", &inputs.tasks).unwrap_err();
    assert_eq!(
        bad_header[0].to_string(),
        "ranges.csv:1: : header must be task,tier,min,max"
    );
}

#[test]
fn ample_capacity_advises_every_maximum() {
    let inputs = city(20);
    let r = ranges(&inputs, "SCJG-G,C,1%,5%\nSTHJ-G,C,1%,4%\n");
    let advice = advise(&inputs, &r);
    assert_eq!(advice.departments.len(), 2);
    for d in &advice.departments {
        assert_eq!((d.step, &d.status), (STEPS, &Status::Maximum), "{d:?}");
    }
    let sthj = advice.tasks.iter().find(|t| t.id == "STHJ-G").unwrap();
    assert_eq!(sthj.quotas[Tier::C as usize], Quota::Ratio(1, 25));
    let row = advice.rows.iter().find(|r| r.task == "STHJ-G").unwrap();
    assert_eq!((row.eligible, row.drawn), (1000, 40));
}

#[test]
fn inspectors_limit_the_step_and_the_binding_constraint_is_named() {
    // STHJ: 4 inspectors × 10 per region = 40 inspector-visits; each check needs 2, so 20
    // checks per region, 40 in all: 4 % of 1,000. 5 % needs 25 per region (50 > 40).
    let inputs = city(20);
    let r = ranges(&inputs, "STHJ-G,C,1%,5%\n");
    let advice = advise(&inputs, &r);
    let d = &advice.departments[0];
    assert_eq!(d.department, "STHJ");
    let Status::Limited(b) = &d.status else {
        panic!("{d:?}")
    };
    // Step j is (25 + j)/2500: step 76 draws round(40.4) = 40, 20 per region, 40
    // inspector-visits: it fits; step 77 draws 41, 21 in 440305, 42 inspector-visits.
    assert_eq!(d.step, 76);
    let sthj = advice.tasks.iter().find(|t| t.id == "STHJ-G").unwrap();
    assert_eq!(sthj.quotas[Tier::C as usize], Quota::Ratio(101, 2500));
    assert_eq!(
        (b.region.as_str(), b.specialty.as_str(), b.from, b.to),
        ("440305", "", 1, 12)
    );
    assert_eq!((b.needed, b.available), (42, 40));
    // The advice is what the capacity allows: one step more breaks it, this one does not.
    let regions = ["440305".to_string(), "440306".to_string()];
    let counts = advice_counts(&inputs);
    let model = Department::new(
        &inputs,
        "STHJ",
        &regions,
        &counts,
        &r.iter().map(|x| ((x.task.as_str(), x.tier), x)).collect(),
    );
    assert!(model.violation(d.step).is_none());
    assert!(model.violation(d.step + 1).is_some());
}

fn advice_counts(inputs: &Inputs) -> Vec<Counts> {
    let regions = ["440305".to_string(), "440306".to_string()];
    let index: BTreeMap<&str, usize> = regions
        .iter()
        .enumerate()
        .map(|(i, r)| (r.as_str(), i))
        .collect();
    inputs
        .tasks
        .iter()
        .map(|t| count(inputs, t, &index))
        .collect()
}

#[test]
fn specialists_bind_before_the_department_does() {
    // SCJG food checks need one of the two food specialists of each region (20
    // inspector-visits), in months 1–6; the department as a whole (20 × 10 per region) is far
    // from full.
    let inputs = city(20);
    let r = ranges(&inputs, "SCJG-F,C,1%,10%\n");
    let advice = advise(&inputs, &r);
    let d = &advice.departments[0];
    let Status::Limited(b) = &d.status else {
        panic!("{d:?}")
    };
    // Step j is (100 + 9j)/10000: step 33 draws round(39.7) = 40 food checks, 20 per region,
    // exactly the specialists' capacity; step 34 draws 41.
    assert_eq!(d.step, 33);
    let food = advice.tasks.iter().find(|t| t.id == "SCJG-F").unwrap();
    assert_eq!(food.quotas[Tier::C as usize], Quota::Ratio(397, 10000));
    assert_eq!(
        (
            b.region.as_str(),
            b.specialty.as_str(),
            b.from,
            b.to,
            b.needed,
            b.available
        ),
        ("440305", "食品", 1, 6, 21, 20)
    );
    assert!(advice.rows.iter().all(|r| r.task == "SCJG-F"));
}

#[test]
fn a_minimum_that_cannot_be_staffed_is_kept_and_said() {
    // One SCJG inspector per region (10 inspector-visits) cannot staff 5 %: 25 general and 5
    // food checks per region need 60.
    let inputs = city(1);
    let r = ranges(&inputs, "SCJG-G,C,5%,10%\n");
    let advice = advise(&inputs, &r);
    let d = &advice.departments[0];
    assert_eq!(d.step, 0);
    let Status::MinimumShort(b) = &d.status else {
        panic!("{d:?}")
    };
    assert_eq!(
        (
            b.region.as_str(),
            b.specialty.as_str(),
            b.from,
            b.to,
            b.needed,
            b.available
        ),
        ("440305", "", 1, 12, 60, 10)
    );
    let g = advice.tasks.iter().find(|t| t.id == "SCJG-G").unwrap();
    assert_eq!(g.quotas[Tier::C as usize], Quota::Ratio(1, 20));
}

#[test]
fn files_are_canonical_and_the_check_recomputes_them() {
    let inputs = city(20);
    let r = ranges(&inputs, "STHJ-G,C,1%,5%\nSCJG-G,C,1/100,1/20\n");
    let advice = advise(&inputs, &r);
    let f = files(&r, &advice);
    assert_eq!(
        f["ranges.csv"],
        "task,tier,min,max\nSCJG-G,C,1/100,1/20\nSTHJ-G,C,1/100,1/20\n"
    );
    assert_eq!(
        f["advice.csv"],
        "task,department,tier,min,max,advised,eligible,drawn\n\
         SCJG-G,SCJG,C,1/100,1/20,1/20,1000,50\n\
         STHJ-G,STHJ,C,1/100,1/20,101/2500,1000,40\n"
    );
    assert_eq!(
        f["binding.csv"],
        "department,step,status,region,specialty,from,to,needed,available\n\
         SCJG,100,maximum,,,,,,\n\
         STHJ,76,limited,440305,,1,12,42,40\n"
    );
    // Inputs that follow the advice pass, and give the same files; any other quota is named.
    let mut followed = inputs.clone();
    followed.tasks = advice.tasks.clone();
    assert_eq!(check(&followed, &f["ranges.csv"]).unwrap(), f);
    let err = check(&inputs, &f["ranges.csv"]).unwrap_err();
    assert_eq!(
        err,
        "task SCJG-G tier C: tasks.csv has quota '1/100', the advice gives '1/20'"
    );
}
