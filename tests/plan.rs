//! The annual plan (method dr2) end to end through the CLI: prepare, run, reveal, verify, the
//! report, re-planning, the test vector, tampering and bad input.

mod common;
use common::cli::{copy_dir, dualdraw, ok, s, text};
use std::path::{Path, PathBuf};

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/vectors/dr2");

/// A generated city planned by month, and a revealed dr2 bundle of it.
fn planned(dir: &Path) -> (PathBuf, PathBuf) {
    let city = dir.join("city");
    ok(&[
        "gen",
        "--enterprises",
        "6000",
        "--seed",
        "3",
        "--periods",
        "month",
        "--out",
        s(&city),
    ]);
    let complaints = dir.join("complaints.csv");
    let first = std::fs::read_to_string(city.join("enterprises.csv")).unwrap();
    let uscc = first
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_string();
    std::fs::write(
        &complaints,
        format!("uscc,department,period\n{uscc},SCJG,2\n"),
    )
    .unwrap();
    let bundle = dir.join("plan");
    ok(&[
        "draw",
        "prepare",
        "--from",
        s(&city),
        "--out",
        s(&bundle),
        "--batch",
        "2026",
        "--method",
        "dr2",
        "--complaints",
        s(&complaints),
        "--allow-past-entropy",
        "--source",
        "lottery:x:1:2026-01-01",
    ]);
    ok(&["draw", "run", s(&bundle), "--entropy", "4 5 6"]);
    ok(&["draw", "reveal", s(&bundle)]);
    (city, bundle)
}

#[test]
fn an_annual_plan_verifies_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let (_, bundle) = planned(dir.path());
    let summary = ok(&["verify", s(&bundle)]);
    assert!(summary.starts_with("dr2 bundle verified: "), "{summary}");
    let commitment = std::fs::read_to_string(bundle.join("commitment.json")).unwrap();
    assert!(commitment.contains("\"complaints.csv\":"), "{commitment}");
    let out = dir.path().join("report");
    let report = ok(&[
        "plan",
        "report",
        s(&bundle),
        "--csv",
        s(&out),
        "--svg",
        s(&out),
    ]);
    assert!(
        report.contains("department checks in joint visits"),
        "{report}"
    );
    assert!(
        report.contains("against separate draws per task"),
        "{report}"
    );
    for f in [
        "summary.csv",
        "tiers.csv",
        "load.csv",
        "inclusion.csv",
        "coordination.svg",
        "tiers.svg",
        "load.svg",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let json: serde_json::Value =
        serde_json::from_str(&ok(&["plan", "report", s(&bundle), "--json"])).unwrap();
    assert!(json["visits"].as_u64().unwrap() < json["uncoordinated_visits"].as_u64().unwrap());
    for tier in json["tiers"].as_array().unwrap() {
        assert_eq!(tier["over_cap"], 0, "{tier}");
    }
}

#[test]
fn a_replan_pins_the_past_and_keeps_the_seed() {
    let dir = tempfile::tempdir().unwrap();
    let (city, old) = planned(dir.path());
    // An inspector with visits after June leaves.
    let visits = std::fs::read_to_string(old.join("plan/visits.csv")).unwrap();
    let later: Vec<&str> = visits
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(4).unwrap().parse::<u32>().unwrap() > 6)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    let teams = std::fs::read_to_string(old.join("plan/teams.csv")).unwrap();
    let gone = teams
        .lines()
        .find(|l| later.contains(&l.split(',').next().unwrap()))
        .unwrap()
        .split(',')
        .nth(2)
        .unwrap()
        .to_string();
    let inspectors = std::fs::read_to_string(city.join("inspectors.csv")).unwrap();
    let kept: Vec<&str> = inspectors
        .lines()
        .filter(|l| !l.starts_with(&format!("{gone},")))
        .collect();
    std::fs::write(city.join("inspectors.csv"), kept.join("\n") + "\n").unwrap();
    let new = dir.path().join("replan");
    ok(&[
        "plan",
        "replan",
        s(&old),
        "--from",
        s(&city),
        "--out",
        s(&new),
        "--batch",
        "2026-r1",
        "--pinned-through",
        "6",
    ]);
    let refused = dualdraw(&["draw", "run", s(&new), "--entropy", "1 2 3"]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(text(&refused).contains("keeps the replaced draw's entropy"));
    ok(&["draw", "run", s(&new)]);
    let seed_old = ok(&["verify", s(&old)]);
    let seed_new = ok(&["draw", "reveal", s(&new)]);
    assert!(
        seed_old.contains(seed_new.trim()),
        "same seed: {seed_old} / {seed_new}"
    );
    let summary = ok(&["verify", s(&new)]);
    assert!(summary.starts_with("dr2 bundle verified"), "{summary}");
    let new_visits = std::fs::read_to_string(new.join("plan/visits.csv")).unwrap();
    for line in visits.lines().skip(1) {
        if line.split(',').nth(4).unwrap().parse::<u32>().unwrap() <= 6 {
            let pinned = line.replace(",false", ",true");
            assert!(new_visits.contains(&pinned), "pinned visit lost: {line}");
        }
    }
    let new_teams = std::fs::read_to_string(new.join("plan/teams.csv")).unwrap();
    for line in new_teams.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f[2] == gone {
            assert_eq!(
                f[3], "pinned",
                "the inspector who left is only on pinned visits: {line}"
            );
        }
    }
    let changes = std::fs::read_to_string(new.join("plan/changes.csv")).unwrap();
    assert!(changes.contains(",pinned,"), "{changes}");
    assert!(
        changes.contains(",kept,") || changes.contains(",moved,"),
        "{changes}"
    );
}

#[test]
fn the_dr2_vector_recomputes_to_the_byte() {
    let bundle = format!("{VECTORS}/gen-month");
    let out = dualdraw(&["verify", &bundle]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let expected = std::fs::read_to_string(format!("{VECTORS}/gen-month.expected")).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        expected,
        "the output of dr2 changed; that needs a new method"
    );
}

/// Rewrites one line of a plan file and the manifest's digest of it.
fn rewrite(bundle: &Path, rel: &str, edit: impl Fn(&str) -> String) {
    let path = bundle.join(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[1] = edit(&lines[1]);
    let bytes = lines.join("\n") + "\n";
    std::fs::write(&path, &bytes).unwrap();
    let manifest_path = bundle.join("manifest.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
    use sha2::Digest;
    m["files"][rel] = serde_json::json!(hex::encode(sha2::Sha256::digest(bytes.as_bytes())));
    std::fs::write(
        &manifest_path,
        format!("{}\n", serde_json::to_string(&m).unwrap()),
    )
    .unwrap();
}

#[test]
fn a_changed_optimizer_decision_or_visit_fails_verification() {
    let dir = tempfile::tempdir().unwrap();
    for (rel, needle) in [
        ("plan/allocation.csv", "plan/allocation.csv:2"),
        ("plan/visits.csv", "plan/visits.csv:2"),
        ("plan/classes.csv", "plan/classes.csv:2"),
    ] {
        let bundle = dir.path().join(rel.replace('/', "_"));
        copy_dir(Path::new(&format!("{VECTORS}/gen-month")), &bundle);
        rewrite(&bundle, rel, |l| {
            let mut f: Vec<String> = l.split(',').map(String::from).collect();
            let last = f.len() - 1;
            let i = if rel.ends_with("visits.csv") { 4 } else { last };
            f[i] = if f[i] == "1" { "2".into() } else { "1".into() };
            f.join(",")
        });
        let out = dualdraw(&["verify", s(&bundle)]);
        assert_eq!(out.status.code(), Some(1), "{rel}: {}", text(&out));
        assert!(text(&out).contains(needle), "{rel}: {}", text(&out));
    }
}

#[test]
fn bad_plan_input_is_refused_with_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let city = dir.path().join("city");
    ok(&[
        "gen",
        "--enterprises",
        "2000",
        "--seed",
        "4",
        "--periods",
        "month",
        "--out",
        s(&city),
    ]);
    let complaints = dir.path().join("complaints.csv");
    std::fs::write(
        &complaints,
        "uscc,department,period\n91440300708461136t,SCJG,2\n91440300708461136T,SCJG,13\n",
    )
    .unwrap();
    let args = |method: &str, out: &str| -> Vec<String> {
        [
            "draw",
            "prepare",
            "--from",
            s(&city),
            "--out",
            out,
            "--batch",
            "b",
            "--method",
            method,
            "--complaints",
            s(&complaints),
            "--allow-past-entropy",
            "--source",
            "lottery:x:1:2026-01-01",
        ]
        .iter()
        .map(|x| x.to_string())
        .collect()
    };
    let out_dir = dir.path().join("b1");
    let a = args("dr2", s(&out_dir));
    let out = dualdraw(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let msg = text(&out);
    assert!(msg.contains("complaints.csv:2: uscc:"), "{msg}");
    assert!(
        msg.contains("complaints.csv:3: period: '13' is not a period 1..12"),
        "{msg}"
    );
    assert!(!out_dir.exists(), "nothing written on bad input");
    let a = args("dr1", s(&dir.path().join("b2")));
    let out = dualdraw(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("--complaints needs --method dr2"));
    let out = dualdraw(&[
        "plan",
        "report",
        &format!("{}/../dr1/demo-lottery", VECTORS),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("needs a dr2 or dr3 bundle"),
        "{}",
        text(&out)
    );
}
