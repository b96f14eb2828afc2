//! The hand-made dr1 test vectors (`seeds/vectors/dr1/README.md`): each recomputes to the byte
//! with `dualdraw verify`, and its plan still shows the rule it exists for (conflicts, the
//! last-team rule, both ends of the exclusion window, count quotas, region and industry filters,
//! monthly periods), so a change that stops exercising a rule fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/vectors/dr1");
const HAND_MADE: [&str; 4] = [
    "conflicts-last-team",
    "exclusion-window",
    "quotas-filters",
    "monthly-periods",
];

type Row = BTreeMap<String, String>;

fn path(vector: &str, rel: &str) -> PathBuf {
    PathBuf::from(VECTORS).join(vector).join(rel)
}

/// The rows of a bundle's CSV file, by column name.
fn rows(vector: &str, rel: &str) -> Vec<Row> {
    let mut reader = csv::Reader::from_path(path(vector, rel)).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            header
                .iter()
                .cloned()
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect()
}

fn policy(vector: &str, key: &str) -> String {
    rows(vector, "inputs/policy.csv")
        .into_iter()
        .find(|r| r["key"] == key)
        .map(|r| r["value"].clone())
        .unwrap()
}

/// The team of (visit, department), sorted by inspector id.
fn team(vector: &str, visit: &str, department: &str) -> Vec<String> {
    rows(vector, "plan/teams.csv")
        .into_iter()
        .filter(|r| r["visit"] == visit && r["department"] == department)
        .map(|r| r["inspector"].clone())
        .collect()
}

fn failure(vector: &str, visit: &str) -> String {
    rows(vector, "plan/failures.csv")
        .into_iter()
        .find(|r| r["visit"] == visit)
        .map(|r| r["reason"].clone())
        .unwrap_or_else(|| panic!("{vector}: no failure for {visit}"))
}

fn selected(vector: &str, task: &str) -> BTreeSet<String> {
    rows(vector, "plan/selections.csv")
        .into_iter()
        .filter(|r| r["task"] == task)
        .map(|r| r["uscc"].clone())
        .collect()
}

fn stratum(vector: &str, task: &str, tier: &str) -> Option<Row> {
    rows(vector, "plan/strata.csv")
        .into_iter()
        .find(|r| r["task"] == task && r["tier"] == tier)
}

#[test]
fn hand_made_vectors_recompute_to_the_byte() {
    for name in HAND_MADE {
        let out = Command::new(env!("CARGO_BIN_EXE_dualdraw"))
            .args(["verify", &format!("{VECTORS}/{name}")])
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        let expected = std::fs::read_to_string(format!("{VECTORS}/{name}.expected")).unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), expected, "{name}");
    }
}

#[test]
fn conflicts_and_the_last_team_rule_decide_teams() {
    let v = "conflicts-last-team";
    let (e1, e2, e4, e5) = (
        "9144030370000001X4",
        "9144030470000002XK",
        "9144030570000003X3",
        "9144030570000004X4",
    );
    let conflicts: BTreeSet<(String, String)> = rows(v, "inputs/conflicts.csv")
        .into_iter()
        .map(|r| (r["inspector"].clone(), r["uscc"].clone()))
        .collect();
    assert!(conflicts.contains(&("A3".into(), e1.into())));
    assert!(conflicts.contains(&("C2".into(), e4.into())));
    // A1–A3 serve e1's region; A3 declared a conflict, so the team is the other two.
    let region_a: Vec<String> = rows(v, "inputs/inspectors.csv")
        .into_iter()
        .filter(|r| r["region"] == "440303")
        .map(|r| r["id"].clone())
        .collect();
    assert_eq!(region_a, ["A1", "A2", "A3"]);
    assert_eq!(team(v, &format!("SCJG-B/{e1}"), "SCJG"), ["A1", "A2"]);
    // e2's latest earlier visit was by B1 and B2 (2025-06-01); B3 visited before that.
    let history: Vec<(String, String)> = rows(v, "inputs/history.csv")
        .into_iter()
        .filter(|r| r["uscc"] == e2)
        .map(|r| (r["inspector"].clone(), r["visited_on"].clone()))
        .collect();
    assert_eq!(
        history,
        [
            ("B1".into(), "2025-06-01".into()),
            ("B2".into(), "2025-06-01".into()),
            ("B3".into(), "2024-03-01".into())
        ]
    );
    assert_eq!(team(v, &format!("SCJG-B/{e2}"), "SCJG"), ["B3", "B4"]);
    // Two inspectors in e4's and e5's region: a conflict and a last team leave one each.
    assert!(failure(v, &format!("SCJG-B/{e4}")).contains(", 1 declared conflict, 0 inspected"));
    assert!(failure(v, &format!("SCJG-B/{e5}")).contains(", 0 declared conflict, 1 inspected"));
}

#[test]
fn exclusion_window_is_closed_at_its_start_and_open_at_as_of() {
    let v = "exclusion-window";
    assert_eq!(policy(v, "as_of"), "2027-05-31");
    assert_eq!(policy(v, "exclusion_months"), "3");
    // as_of − 3 months = 2027-02-31, clamped to 2027-02-28.
    let visited: BTreeMap<String, (String, String)> = rows(v, "inputs/history.csv")
        .into_iter()
        .map(|r| {
            let date = r["visited_on"].clone();
            (date, (r["uscc"].clone(), r["department"].clone()))
        })
        .collect();
    let chosen = selected(v, "SCJG-C");
    let on = |date: &str| visited[date].0.clone();
    for date in ["2027-02-27", "2027-05-31"] {
        assert!(
            chosen.contains(&on(date)),
            "a visit on {date} does not exclude"
        );
    }
    for date in ["2027-02-28", "2027-03-01", "2027-05-30"] {
        assert!(!chosen.contains(&on(date)), "a visit on {date} excludes");
    }
    assert_eq!(visited["2027-03-15"].1, "ZJJ");
    assert!(
        chosen.contains(&on("2027-03-15")),
        "another department's visit"
    );
    let population = rows(v, "inputs/population.csv").len();
    assert_eq!(population, 7);
    assert_eq!(stratum(v, "SCJG-C", "C").unwrap()["eligible"], "4");
    assert_eq!(chosen.len(), 4);
}

#[test]
fn count_quotas_and_region_and_industry_filters() {
    let v = "quotas-filters";
    let population: BTreeMap<String, Row> = rows(v, "inputs/population.csv")
        .into_iter()
        .map(|r| (r["uscc"].clone(), r))
        .collect();
    let task = rows(v, "inputs/tasks.csv")
        .into_iter()
        .find(|r| r["id"] == "SCJG-R")
        .unwrap();
    assert_eq!(
        [
            &task["quota_a"],
            &task["quota_b"],
            &task["quota_c"],
            &task["quota_d"]
        ],
        ["", "2", "10", "1/2"]
    );
    let quota = |tier| {
        let s = stratum(v, "SCJG-R", tier).unwrap();
        (
            s["eligible"].clone(),
            s["quota"].clone(),
            s["taken"].clone(),
        )
    };
    assert_eq!(
        quota("B"),
        ("4".into(), "2".into(), "2".into()),
        "a count below N"
    );
    assert_eq!(
        quota("C"),
        ("4".into(), "4".into(), "4".into()),
        "a count above N"
    );
    assert_eq!(
        quota("D"),
        ("4".into(), "2".into(), "2".into()),
        "a fraction"
    );
    assert!(
        stratum(v, "SCJG-R", "A").is_none(),
        "an empty quota draws no stratum"
    );
    // Region filter of SCJG-R, industry filter of WSJK-I, item industry filter (F52) of ZJJ-T.
    let all = |task: &str, test: &dyn Fn(&Row) -> bool| {
        let s = selected(v, task);
        !s.is_empty() && s.iter().all(|u| test(&population[u]))
    };
    assert!(all("SCJG-R", &|e| e["region"] == "440303"));
    assert!(all("WSJK-I", &|e| e["industry"].starts_with("C13")));
    assert!(all("ZJJ-T", &|e| e["region"] == "440304"
        && e["industry"].starts_with("F52")));
    assert!(population.values().any(|e| e["region"] == "440304"));
    assert!(population
        .values()
        .any(|e| !e["industry"].starts_with("C13") && !e["industry"].starts_with("F52")));
    let items = rows(v, "inputs/items.csv");
    let zjj = items.iter().find(|r| r["code"] == "ZJJ-001").unwrap();
    assert_eq!(zjj["industries"], "F52");
    assert_eq!(stratum(v, "ZJJ-T", "A").unwrap()["eligible"], "1");
}

#[test]
fn monthly_periods_spread_joint_visits_over_their_months() {
    let v = "monthly-periods";
    assert_eq!(policy(v, "periods"), "month");
    let visits = rows(v, "plan/visits.csv");
    let mut joint_periods = BTreeMap::<String, usize>::new();
    for r in &visits {
        if r["group"] == "joint" {
            assert_eq!(
                r["departments"], "SCJG;WSJK",
                "every visit of the group is joint"
            );
            *joint_periods.entry(r["period"].clone()).or_default() += 1;
        } else {
            assert_eq!(r["period"], "12");
        }
    }
    // 7 visits over months 3–5, by rank: 3, 2, 2.
    let counts: Vec<(&str, usize)> = joint_periods
        .iter()
        .map(|(p, n)| (p.as_str(), *n))
        .collect();
    assert_eq!(counts, [("3", 3), ("4", 2), ("5", 2)]);
    // S3's certificate starts on 2027-04-01: never in a team of month 3, but used later.
    let s3 = rows(v, "inputs/inspectors.csv")
        .into_iter()
        .find(|r| r["id"] == "S3")
        .unwrap();
    assert_eq!(s3["valid_from"], "2027-04-01");
    let period: BTreeMap<String, String> = visits
        .iter()
        .map(|r| (r["visit"].clone(), r["period"].clone()))
        .collect();
    let s3_periods: BTreeSet<String> = rows(v, "plan/teams.csv")
        .into_iter()
        .filter(|r| r["inspector"] == "S3")
        .map(|r| period[&r["visit"]].clone())
        .collect();
    assert!(
        !s3_periods.is_empty() && !s3_periods.contains("3"),
        "{s3_periods:?}"
    );
}

/// `demo-logged` is a record of a real draw with two witnesses on loopback: its summary states
/// the log evidence, and the commitment was cosigned before the lottery date began in China.
#[test]
fn logged_vector_states_its_evidence() {
    let v = "demo-logged";
    let out = Command::new(env!("CARGO_BIN_EXE_dualdraw"))
        .args(["verify", &format!("{VECTORS}/{v}")])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let expected = std::fs::read_to_string(format!("{VECTORS}/{v}.expected")).unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
    for part in [
        "prepare leaf 0 in checkpoint 1 cosigned by 2 witnesses (quorum 2), run leaf 1 in checkpoint 2",
        "before the first source time 2026-12-02T16:00:00Z",
    ] {
        assert!(expected.contains(part), "{part}");
    }
    for rel in ["log/keys.json", "log/prepare.json", "log/run.json"] {
        assert!(path(v, rel).is_file(), "{rel}");
    }
}
