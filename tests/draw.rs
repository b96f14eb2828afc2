//! The verifiable draw end to end through the CLI: prepare, run, reveal, verify; test vectors;
//! tampering with any file is detected; steps happen once and in order.

mod common;
use common::cli::{copy_dir, dualdraw, text};
use std::path::{Path, PathBuf};

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/vectors/dr1");
const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/demo");

fn quicknet_round_123() -> String {
    let v: serde_json::Value =
        serde_json::from_str(include_str!("../seeds/vectors/drand/quicknet.json")).unwrap();
    v["rounds"][0]["signature"].as_str().unwrap().to_string()
}

#[test]
fn test_vectors_recompute_to_the_byte() {
    for name in ["demo-lottery", "demo-drand-history"] {
        let out = dualdraw(&["verify", &format!("{VECTORS}/{name}")]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", text(&out));
        let expected = std::fs::read_to_string(format!("{VECTORS}/{name}.expected")).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            expected,
            "{name}: the output of dr1 changed; that needs a new method"
        );
    }
}

/// Changes one byte of `rel` in a copy of a vector bundle.
fn tampered(dir: &Path, rel: &str, fix_manifest: bool) -> PathBuf {
    let bundle = dir.join(rel.replace('/', "_"));
    copy_dir(Path::new(&format!("{VECTORS}/demo-lottery")), &bundle);
    let path = bundle.join(rel);
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.len() / 2;
    bytes[at] = if bytes[at] == b'1' { b'2' } else { b'1' };
    std::fs::write(&path, &bytes).unwrap();
    if fix_manifest {
        let manifest_path = bundle.join("manifest.json");
        let mut m: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
        use sha2::Digest;
        m["files"][rel] = serde_json::json!(hex::encode(sha2::Sha256::digest(&bytes)));
        std::fs::write(
            &manifest_path,
            format!("{}\n", serde_json::to_string(&m).unwrap()),
        )
        .unwrap();
    }
    bundle
}

#[test]
fn changing_any_byte_of_any_file_fails_verification() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        "commitment.json",
        "entropy.json",
        "secret.txt",
        "inputs/population.csv",
        "inputs/tasks.csv",
        "inputs/inspectors.csv",
        "inputs/policy.csv",
        "plan/strata.csv",
        "plan/selections.csv",
        "plan/visits.csv",
        "plan/teams.csv",
        "plan/failures.csv",
        "plan/passed-over.csv",
    ];
    for rel in files {
        for fix in [false, true] {
            let bundle = tampered(dir.path(), rel, fix);
            let out = dualdraw(&["verify", bundle.to_str().unwrap()]);
            assert_eq!(
                out.status.code(),
                Some(1),
                "{rel} (manifest fixed: {fix}) still verifies: {}",
                text(&out)
            );
            std::fs::remove_dir_all(&bundle).unwrap();
        }
    }
    let bundle = tampered(dir.path(), "plan/visits.csv", true);
    let out = dualdraw(&["verify", bundle.to_str().unwrap()]);
    assert!(
        text(&out).contains("plan/visits.csv:"),
        "names the plan file and line: {}",
        text(&out)
    );
}

#[test]
fn prepare_run_reveal_verify_once_and_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("2026-q1");
    let b = bundle.to_str().unwrap();
    let out = dualdraw(&[
        "draw",
        "prepare",
        "--from",
        DEMO,
        "--out",
        b,
        "--batch",
        "2026-Q1",
        "--allow-past-entropy",
        "--source",
        "drand:quicknet:123",
        "--source",
        "lottery:福彩3D:2026001:2026-01-02",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let kept = dir.path().join(".dualdraw/2026-q1.secret");
    let mode = |p: &Path| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    };
    assert_eq!(
        mode(&kept),
        0o600,
        "the kept secret is the operator's alone"
    );
    assert_eq!(mode(&dir.path().join(".dualdraw")), 0o700);
    assert!(
        !bundle.join("secret.txt").exists(),
        "the secret is not published before the reveal"
    );
    let committed = dualdraw(&["verify", b]);
    assert!(
        String::from_utf8_lossy(&committed.stdout).contains("committed"),
        "{}",
        text(&committed)
    );

    let early = dualdraw(&["draw", "reveal", b]);
    assert_eq!(
        early.status.code(),
        Some(2),
        "reveal before run: {}",
        text(&early)
    );

    let mut bad_sig = quicknet_round_123();
    bad_sig.replace_range(10..12, if &bad_sig[10..12] == "00" { "01" } else { "00" });
    let out = dualdraw(&[
        "draw",
        "run",
        b,
        "--entropy",
        &bad_sig,
        "--entropy",
        "3 7 1",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "tampered drand signature: {}",
        text(&out)
    );
    assert!(text(&out).contains("drand round 123:"), "{}", text(&out));

    let out = dualdraw(&[
        "draw",
        "run",
        b,
        "--entropy",
        &quicknet_round_123(),
        "--entropy",
        "3 x 1",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "non-integer lottery value: {}",
        text(&out)
    );

    let wrong = dir.path().join("wrong.secret");
    std::fs::write(&wrong, format!("{}\n", "ab".repeat(32))).unwrap();
    let out = dualdraw(&[
        "draw",
        "run",
        b,
        "--entropy",
        &quicknet_round_123(),
        "--entropy",
        "3 7 1",
        "--secret",
        wrong.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "wrong secret: {}", text(&out));

    let out = dualdraw(&[
        "draw",
        "run",
        b,
        "--entropy",
        &quicknet_round_123(),
        "--entropy",
        "3 7 1",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let again = dualdraw(&[
        "draw",
        "run",
        b,
        "--entropy",
        &quicknet_round_123(),
        "--entropy",
        "4 7 1",
    ]);
    assert_eq!(
        again.status.code(),
        Some(2),
        "a second draw of the same batch: {}",
        text(&again)
    );
    assert!(text(&again).contains("drawn once"));

    let out = dualdraw(&["draw", "reveal", b]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        !kept.exists(),
        "the kept secret is removed once the bundle publishes it"
    );
    assert!(bundle.join("secret.txt").exists());
    let out = dualdraw(&["verify", b]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout)
        .starts_with("dr1 bundle verified: 4844 enterprises, 14 tasks"));
}

#[test]
fn prepare_reports_bad_input_files() {
    let dir = tempfile::tempdir().unwrap();
    let city = dir.path().join("city");
    copy_dir(Path::new(DEMO), &city);
    let tasks = std::fs::read_to_string(city.join("tasks.csv")).unwrap();
    std::fs::write(
        city.join("tasks.csv"),
        tasks.replacen("SCJG-001", "SCJG-999", 1),
    )
    .unwrap();
    let out = dualdraw(&[
        "draw",
        "prepare",
        "--from",
        city.to_str().unwrap(),
        "--out",
        dir.path().join("b").to_str().unwrap(),
        "--batch",
        "x",
        "--allow-past-entropy",
        "--source",
        "lottery:a:1:2026-01-01",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("tasks.csv") && text(&out).contains("unknown item 'SCJG-999'"),
        "{}",
        text(&out)
    );
    let out = dualdraw(&[
        "draw",
        "prepare",
        "--from",
        DEMO,
        "--out",
        dir.path().join("c").to_str().unwrap(),
        "--batch",
        "x",
        "--allow-past-entropy",
        "--source",
        "dice:6",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("lottery:NAME:ISSUE:YYYY-MM-DD"),
        "{}",
        text(&out)
    );
}

#[test]
fn an_enterprise_can_check_its_own_fate() {
    let bundle = format!("{VECTORS}/demo-lottery");
    let selections = std::fs::read_to_string(format!("{bundle}/plan/selections.csv")).unwrap();
    let row = selections.lines().find(|l| l.contains(",sample,")).unwrap();
    let (task, uscc) = {
        let f: Vec<&str> = row.split(',').collect();
        (f[0].to_string(), f[1].to_string())
    };
    let out = dualdraw(&["draw", "proof", &bundle, &uscc]);
    assert!(out.status.success(), "{}", text(&out));
    let p: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(p["proof_verifies"], true);
    assert!(p["row"].as_str().unwrap().starts_with(&uscc));
    let stratum = p["strata"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["task"] == task.as_str())
        .unwrap();
    assert_eq!(stratum["selected"], true);
    assert_eq!(stratum["under_cutoff"], true);
    let outsider = dualdraw(&["draw", "proof", &bundle, "91440300708461136T"]);
    assert_eq!(outsider.status.code(), Some(2));
    assert!(text(&outsider).contains("not in the committed population"));
}
