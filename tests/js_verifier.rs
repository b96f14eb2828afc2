//! The JavaScript verifier (`web/verifier/cli.mjs`, written from `docs/draw-protocol.md`; see
//! `docs/js-verifier.md`) on FRESH bundles made by the real CLI: the demo jurisdiction with both
//! drand chains and a lottery, at each step (committed, run, revealed), and a generated city of
//! a few thousand enterprises; its summary must equal `dualdraw verify`'s, and tampered copies
//! must be rejected with the first difference named.
//!
//! Without `node` on PATH the tests print `SKIPPED: node not found` and pass, unless the
//! environment variable `CI` is `true`, where a missing interpreter is a failure.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/demo");

fn dualdraw(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_dualdraw"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "dualdraw {args:?}: {}",
        describe(&out)
    );
    out
}

/// Whether `node` can be run; panics instead of skipping when `CI=true`.
fn node_available() -> bool {
    match Command::new("node").arg("--version").output() {
        Ok(o) if o.status.success() => true,
        _ => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!(
                    "node not found on PATH, and CI=true: the JavaScript verifier must run in CI"
                );
            }
            println!("SKIPPED: node not found");
            false
        }
    }
}

fn js_verify(bundle: &Path) -> Output {
    Command::new("node")
        .arg(Path::new(ROOT).join("web/verifier/cli.mjs"))
        .arg(bundle)
        .output()
        .expect("run node")
}

fn describe(o: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim_end().to_string()
}

fn drand_round(chain: &str, field: &str) -> String {
    let path = Path::new(ROOT).join(format!("seeds/vectors/drand/{chain}.json"));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["rounds"][0][field].as_str().unwrap().to_string()
}

/// The JavaScript verifier accepts `bundle` with `dualdraw verify`'s summary plus `(javascript)`.
fn assert_same_summary(bundle: &Path) {
    let rust = stdout(&dualdraw(&["verify", bundle.to_str().unwrap()]));
    let js = js_verify(bundle);
    assert_eq!(js.status.code(), Some(0), "{}", describe(&js));
    let tail = rust
        .strip_prefix("dr1 bundle verified: ")
        .unwrap_or_else(|| panic!("rust summary {rust:?}"));
    assert_eq!(
        stdout(&js),
        format!("dr1 bundle verified (javascript): {tail}")
    );
}

/// Changes the last character before the final LF of `rel` and rewrites the manifest's digest
/// to match; returns the number of the changed line.
fn tamper_last_line(bundle: &Path, rel: &str) -> usize {
    let path = bundle.join(rel);
    let before = std::fs::read(&path).unwrap();
    let mut after = before.clone();
    let i = after.len() - 2;
    after[i] = if after[i] == b'0' { b'1' } else { b'0' };
    std::fs::write(&path, &after).unwrap();
    let manifest = bundle.join("manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let (old, new) = (
        hex::encode(Sha256::digest(&before)),
        hex::encode(Sha256::digest(&after)),
    );
    assert!(text.contains(&old));
    std::fs::write(&manifest, text.replace(&old, &new)).unwrap();
    before.iter().filter(|&&b| b == b'\n').count()
}

fn assert_rejected(bundle: &Path, start: &str) {
    let o = js_verify(bundle);
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    let want = format!("dr1 bundle NOT verified (javascript): {start}");
    assert!(stderr.starts_with(&want), "want {want:?}: {}", describe(&o));
}

#[test]
fn fresh_demo_bundle_with_both_drand_chains_at_every_step() {
    if !node_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bundle: PathBuf = dir.path().join("demo");
    let b = bundle.to_str().unwrap();
    dualdraw(&[
        "draw",
        "prepare",
        "--from",
        DEMO,
        "--out",
        b,
        "--batch",
        "2026-Q2 演示",
        "--allow-past-entropy",
        "--source",
        "drand:quicknet:123",
        "--source",
        "drand:default:72785",
        "--source",
        "lottery:福彩3D:2026001:2026-01-02",
    ]);
    let o = js_verify(&bundle);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    assert!(
        stdout(&o).contains("; committed, not yet run"),
        "{}",
        describe(&o)
    );

    let default = format!(
        "{}:{}",
        drand_round("default", "signature"),
        drand_round("default", "previous_signature")
    );
    let quicknet = drand_round("quicknet", "signature");
    dualdraw(&[
        "draw",
        "run",
        b,
        "--entropy",
        &quicknet,
        "--entropy",
        &default,
        "--entropy",
        "3 7 1",
    ]);
    let o = js_verify(&bundle);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    assert!(
        stdout(&o).contains("; run, not yet revealed (plan rules checked, not recomputed)"),
        "{}",
        describe(&o)
    );

    dualdraw(&["draw", "reveal", b]);
    assert_same_summary(&bundle);

    let line = tamper_last_line(&bundle, "plan/visits.csv");
    assert_rejected(&bundle, &format!("plan/visits.csv:{line}: expected "));
}

#[test]
fn fresh_generated_city_matches_dualdraw_verify_and_tampering_is_named() {
    if !node_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let city = dir.path().join("city");
    let bundle = dir.path().join("bundle");
    let b = bundle.to_str().unwrap();
    dualdraw(&[
        "gen",
        "--enterprises",
        "3000",
        "--seed",
        "7",
        "--out",
        city.to_str().unwrap(),
    ]);
    dualdraw(&[
        "draw",
        "prepare",
        "--from",
        city.to_str().unwrap(),
        "--out",
        b,
        "--batch",
        "city",
        "--allow-past-entropy",
        "--source",
        "lottery:bench:1:2026-01-01",
    ]);
    dualdraw(&["draw", "run", b, "--entropy", "5 9 2"]);
    dualdraw(&["draw", "reveal", b]);
    assert_same_summary(&bundle);

    // A changed team row, with the manifest rewritten: only the recomputation finds it.
    let line = tamper_last_line(&bundle, "plan/teams.csv");
    assert_rejected(&bundle, &format!("plan/teams.csv:{line}: expected "));

    // A changed seed in the manifest.
    let manifest = bundle.join("manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let seed = v["seed"].as_str().unwrap();
    std::fs::write(&manifest, text.replace(seed, &"0".repeat(64))).unwrap();
    assert_rejected(&bundle, "manifest.json: seed expected ");

    // A changed byte of the population, found by its digest first.
    std::fs::write(&manifest, &text).unwrap();
    let population = bundle.join("inputs/population.csv");
    let mut bytes = std::fs::read(&population).unwrap();
    let i = bytes.len() / 2;
    bytes[i] ^= 1;
    std::fs::write(&population, bytes).unwrap();
    assert_rejected(&bundle, "inputs/population.csv: SHA-256 expected ");
}
