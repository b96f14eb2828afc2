//! `dualdraw plan advise` end to end through the CLI (`docs/advice.md`): the advice on a
//! generated city, a batch prepared from the advised directory publishing it, `verify`
//! recomputing it, and what is refused.

mod common;
use common::cli::{dualdraw, ok, s, text};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// SCJG's general task may go up to every enterprise of every tier (its 12 inspectors cannot
/// staff that), STHJ's up to all of tier C (they can).
const RANGES: &str = "task,tier,min,max\nSCJG-G,A,1%,100%\nSCJG-G,B,1%,100%\nSCJG-G,C,1%,100%\nSCJG-G,D,1%,100%\nSTHJ-G,C,3%,100%\n";

/// A generated city and its advised copy.
fn advised(dir: &Path) -> (PathBuf, PathBuf, String) {
    let city = dir.join("city");
    ok(&[
        "gen",
        "--enterprises",
        "2000",
        "--seed",
        "5",
        "--out",
        s(&city),
    ]);
    let ranges = dir.join("ranges.csv");
    std::fs::write(&ranges, RANGES).unwrap();
    let out = dir.join("advised");
    let said = ok(&[
        "plan",
        "advise",
        "--from",
        s(&city),
        "--ranges",
        s(&ranges),
        "--out",
        s(&out),
    ]);
    (city, out, said)
}

fn prepare(from: &Path, out: &Path) -> Output {
    dualdraw(&[
        "draw",
        "prepare",
        "--from",
        s(from),
        "--out",
        s(out),
        "--batch",
        "2026-Q1",
        "--allow-past-entropy",
        "--source",
        "lottery:x:1:2026-01-01",
    ])
}

#[test]
fn the_advice_names_what_binds_and_a_batch_publishes_it_for_verify_to_recompute() {
    let dir = tempfile::tempdir().unwrap();
    let (city, out, said) = advised(dir.path());
    // SCJG is held back by its inspectors in one region; STHJ reaches its maximum.
    let lines: Vec<&str> = said.lines().collect();
    assert_eq!(lines.len(), 2, "{said}");
    assert!(
        lines[0].starts_with("SCJG: step ") && lines[0].contains("inspector-visits in 4403"),
        "{said}"
    );
    assert_eq!(lines[1], "STHJ: every range at its maximum can be staffed");
    let binding = std::fs::read_to_string(out.join("advice/binding.csv")).unwrap();
    let scjg: Vec<&str> = binding.lines().nth(1).unwrap().split(',').collect();
    assert_eq!((scjg[0], scjg[2]), ("SCJG", "limited"), "{binding}");
    let (needed, available): (u64, u64) = (scjg[7].parse().unwrap(), scjg[8].parse().unwrap());
    assert!(needed > available, "{binding}");
    // The advised tasks.csv has the advised quotas; every other file is the city's.
    let advice = std::fs::read_to_string(out.join("advice/advice.csv")).unwrap();
    let tasks = std::fs::read_to_string(out.join("tasks.csv")).unwrap();
    for row in advice.lines().skip(1) {
        let f: Vec<&str> = row.split(',').collect();
        let task = tasks
            .lines()
            .find(|l| l.starts_with(&format!("{},", f[0])))
            .unwrap();
        let column = 6 + "ABCD".find(f[2]).unwrap();
        assert_eq!(task.split(',').nth(column), Some(f[5]), "{row} / {task}");
    }
    assert!(advice.contains("STHJ-G,STHJ,C,3/100,1/1,1/1,"), "{advice}");
    for name in [
        "enterprises.csv",
        "inspectors.csv",
        "policy.csv",
        "items.csv",
    ] {
        assert_eq!(
            std::fs::read(city.join(name)).unwrap(),
            std::fs::read(out.join(name)).unwrap(),
            "{name}"
        );
    }
    // Prepared from the advised directory, the bundle publishes the advice, committed.
    let bundle = dir.path().join("bundle");
    let p = prepare(&out, &bundle);
    assert_eq!(p.status.code(), Some(0), "{}", text(&p));
    let commitment: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bundle.join("commitment.json")).unwrap())
            .unwrap();
    let listed: Vec<&String> = commitment["advice"].as_object().unwrap().keys().collect();
    assert_eq!(listed, ["advice.csv", "binding.csv", "ranges.csv"]);
    assert_eq!(
        std::fs::read(bundle.join("advice/binding.csv")).unwrap(),
        binding.as_bytes()
    );
    ok(&["draw", "run", s(&bundle), "--entropy", "3 7 1"]);
    ok(&["draw", "reveal", s(&bundle)]);
    let verified = ok(&["verify", s(&bundle)]);
    assert!(
        verified.contains("; the published advice recomputes from the committed inputs"),
        "{verified}"
    );
    // A bundle prepared from the city itself says nothing of an advice.
    let plain = dir.path().join("plain");
    assert_eq!(prepare(&city, &plain).status.code(), Some(0));
    assert!(!plain.join("advice").exists());
}

#[test]
fn an_advice_changed_after_the_fact_fails_verify_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (_, out, _) = advised(dir.path());
    let bundle = dir.path().join("bundle");
    assert_eq!(prepare(&out, &bundle).status.code(), Some(0));
    let path = bundle.join("advice/binding.csv");
    let changed = std::fs::read_to_string(&path)
        .unwrap()
        .replace(",limited,", ",maximum,");
    std::fs::write(&path, changed).unwrap();
    let v = dualdraw(&["verify", s(&bundle)]);
    assert_ne!(v.status.code(), Some(0));
    assert!(text(&v).contains("advice/binding.csv"), "{}", text(&v));
}

#[test]
fn a_directory_that_does_not_follow_its_advice_is_not_prepared() {
    let dir = tempfile::tempdir().unwrap();
    let (_, out, _) = advised(dir.path());
    let tasks = std::fs::read_to_string(out.join("tasks.csv")).unwrap();
    let edited: String = tasks
        .lines()
        .map(|l| {
            if l.starts_with("STHJ-G,") {
                l.replace(",1/1,", ",1/2,")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(out.join("tasks.csv"), edited + "\n").unwrap();
    let bundle = dir.path().join("bundle");
    let p = prepare(&out, &bundle);
    assert_eq!(p.status.code(), Some(2), "{}", text(&p));
    let said = text(&p);
    assert!(said.contains("does not follow its advice"), "{said}");
    assert!(
        said.contains("task STHJ-G tier C: tasks.csv has quota '1/2', the advice gives '1/1'"),
        "{said}"
    );
    assert!(!bundle.exists());
}

#[test]
fn bad_ranges_are_named_by_file_line_and_column_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let city = dir.path().join("city");
    ok(&[
        "gen",
        "--enterprises",
        "500",
        "--seed",
        "5",
        "--out",
        s(&city),
    ]);
    let ranges = dir.path().join("ranges.csv");
    std::fs::write(
        &ranges,
        "task,tier,min,max\nNOPE,C,1%,5%\nSCJG-G,C,9%,5%\nSCJG-G,D,1%,half\n",
    )
    .unwrap();
    let out = dir.path().join("advised");
    let a = dualdraw(&[
        "plan",
        "advise",
        "--from",
        s(&city),
        "--ranges",
        s(&ranges),
        "--out",
        s(&out),
    ]);
    assert_eq!(a.status.code(), Some(2), "{}", text(&a));
    let said = text(&a);
    let r = s(&ranges);
    assert!(
        said.contains(&format!("{r}:2: task: 'NOPE' is not a task of tasks.csv")),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "{r}:3: max: the maximum 5% is below the minimum 9%"
        )),
        "{said}"
    );
    assert!(
        said.contains(&format!("{r}:4: max: 'half' is not a quota")),
        "{said}"
    );
    assert!(!out.exists());
    // An existing output directory is refused, and left as it was.
    std::fs::create_dir(&out).unwrap();
    std::fs::write(&ranges, "task,tier,min,max\nSCJG-G,C,1%,5%\n").unwrap();
    let a = dualdraw(&[
        "plan",
        "advise",
        "--from",
        s(&city),
        "--ranges",
        s(&ranges),
        "--out",
        s(&out),
    ]);
    assert_eq!(a.status.code(), Some(2), "{}", text(&a));
    assert!(text(&a).contains("already exists"), "{}", text(&a));
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
}

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Runs an independent verifier (`python3 verifiers/python/verify_dr1.py` or `node
/// web/verifier/cli.mjs`) on a bundle; `None` when its interpreter is missing outside CI.
fn independent(program: &str, script: &str, bundle: &Path) -> Option<Output> {
    match Command::new(program).arg("--version").output() {
        Ok(o) if o.status.success() => {}
        _ if std::env::var("CI").as_deref() == Ok("true") => panic!("{program} is missing in CI"),
        _ => {
            eprintln!("SKIPPED: {program} is not installed");
            return None;
        }
    }
    Some(
        Command::new(program)
            .arg(script)
            .arg(bundle)
            .current_dir(ROOT)
            .output()
            .unwrap(),
    )
}

#[test]
fn every_verifier_accepts_a_published_advice_and_refuses_one_not_committed() {
    let dir = tempfile::tempdir().unwrap();
    let (city, out, _) = advised(dir.path());
    let bundle = dir.path().join("bundle");
    assert_eq!(prepare(&out, &bundle).status.code(), Some(0));
    ok(&["draw", "run", s(&bundle), "--entropy", "3 7 1"]);
    ok(&["draw", "reveal", s(&bundle)]);
    // A bundle without advice, then given the same advice files, listed in its manifest but
    // not in its commitment.
    let plain = dir.path().join("plain");
    assert_eq!(prepare(&city, &plain).status.code(), Some(0));
    std::fs::create_dir(plain.join("advice")).unwrap();
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(plain.join("manifest.json")).unwrap())
            .unwrap();
    for name in ["advice.csv", "binding.csv", "ranges.csv"] {
        let bytes = std::fs::read(bundle.join("advice").join(name)).unwrap();
        std::fs::write(plain.join("advice").join(name), &bytes).unwrap();
        use sha2::Digest;
        manifest["files"][format!("advice/{name}")] =
            hex::encode(sha2::Sha256::digest(&bytes)).into();
    }
    std::fs::write(plain.join("manifest.json"), format!("{manifest}\n")).unwrap();
    let v = dualdraw(&["verify", s(&plain)]);
    assert_eq!(v.status.code(), Some(1), "{}", text(&v));
    assert!(
        text(&v)
            .contains("advice/advice.csv: an advice file that commitment.json does not commit to"),
        "{}",
        text(&v)
    );
    for (program, script, name) in [
        ("python3", "verifiers/python/verify_dr1.py", "python"),
        ("node", "web/verifier/cli.mjs", "javascript"),
    ] {
        let Some(good) = independent(program, script, &bundle) else {
            continue;
        };
        assert!(
            String::from_utf8_lossy(&good.stdout)
                .starts_with(&format!("dr1 bundle verified ({name})")),
            "{}",
            text(&good)
        );
        let stray = independent(program, script, &plain).unwrap();
        assert_ne!(stray.status.code(), Some(0), "{}", text(&stray));
        assert!(
            text(&stray).contains("advice/: present but not committed in commitment.json"),
            "{name}: {}",
            text(&stray)
        );
    }
}

#[test]
fn a_dr3_plan_publishes_an_advice_made_with_key_supervision_per_department() {
    let dir = tempfile::tempdir().unwrap();
    let city = dir.path().join("city");
    ok(&[
        "gen",
        "--enterprises",
        "2000",
        "--seed",
        "5",
        "--out",
        s(&city),
    ]);
    let ranges = dir.path().join("ranges.csv");
    std::fs::write(&ranges, RANGES).unwrap();
    let out = dir.path().join("advised");
    ok(&[
        "plan",
        "advise",
        "--from",
        s(&city),
        "--method",
        "dr3",
        "--ranges",
        s(&ranges),
        "--out",
        s(&out),
    ]);
    let bundle = dir.path().join("plan");
    let p = dualdraw(&[
        "draw",
        "prepare",
        "--from",
        s(&out),
        "--out",
        s(&bundle),
        "--batch",
        "2026",
        "--method",
        "dr3",
        "--allow-past-entropy",
        "--source",
        "lottery:x:1:2026-01-01",
    ]);
    assert_eq!(p.status.code(), Some(0), "{}", text(&p));
    assert!(bundle.join("advice/binding.csv").is_file());
    assert!(bundle.join("inputs/key-supervision.csv").is_file());
    ok(&["draw", "run", s(&bundle), "--entropy", "3 7 1"]);
    ok(&["draw", "reveal", s(&bundle)]);
    let verified = ok(&["verify", s(&bundle)]);
    assert!(verified.starts_with("dr3 bundle verified"), "{verified}");
    assert!(
        verified.contains("; the published advice recomputes from the committed inputs"),
        "{verified}"
    );
    if let Some(o) = independent("python3", "verifiers/python/verify_dr3.py", &bundle) {
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
}
