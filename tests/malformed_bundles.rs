//! A malformed bundle never panics a command (`docs/fuzzing.md`, "Malformed bundles"): a table
//! of broken bundles, each run through every command that reads what was broken, as the real
//! binary. Each answers exit 2 (bad input) or 1 (failed verification) with a message naming
//! the file (and the line, where the command parses the file), never exit 101 or "panicked".

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const DR2: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/vectors/dr2/gen-month");
const DR1: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/seeds/vectors/dr1/demo-lottery"
);
const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/demo");
/// An enterprise of the dr2 vector's population.
const USCC: &str = "91440303182859931P";

fn dualdraw(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dualdraw"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Rewrites every line of a file.
fn edit_lines(path: &Path, mut edit: impl FnMut(usize, &str) -> String) {
    let text = std::fs::read_to_string(path).unwrap();
    let out: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| edit(i + 1, l) + "\n")
        .collect();
    std::fs::write(path, out).unwrap();
}

/// Drops the field at `column` (0-based) of every line (the files edited have no quotes).
fn drop_column(path: &Path, column: usize) {
    edit_lines(path, |_, l| {
        let mut f: Vec<&str> = l.split(',').collect();
        f.remove(column);
        f.join(",")
    });
}

/// Replaces the field at `column` of line `line` (1-based).
fn set_field(path: &Path, line: usize, column: usize, value: &str) {
    edit_lines(path, |n, l| {
        let mut f: Vec<&str> = l.split(',').collect();
        if n == line {
            f[column] = value;
        }
        f.join(",")
    });
}

/// What one command must answer for a broken bundle: exit code and the text the message names.
struct Expect {
    command: &'static str,
    code: i32,
    names: &'static str,
}

const fn expect(command: &'static str, code: i32, names: &'static str) -> Expect {
    Expect {
        command,
        code,
        names,
    }
}

struct Case {
    name: &'static str,
    /// Breaks a copy of the dr2 vector bundle.
    damage: fn(&Path),
    expect: Vec<Expect>,
}

fn args<'a>(command: &str, bundle: &'a str, scratch: &'a str) -> Vec<&'a str> {
    match command {
        "report" => vec!["plan", "report", bundle],
        "verify" => vec!["verify", bundle],
        "proof" => vec!["draw", "proof", bundle, USCC],
        "replan" => vec![
            "plan",
            "replan",
            bundle,
            "--from",
            DEMO,
            "--out",
            scratch,
            "--batch",
            "R1",
            "--pinned-through",
            "1",
        ],
        other => panic!("unknown command {other}"),
    }
}

fn check(case: &str, bundle: &Path, expect: &Expect) {
    let scratch = bundle.with_extension("replan");
    let args = args(
        expect.command,
        bundle.to_str().unwrap(),
        scratch.to_str().unwrap(),
    );
    let out = dualdraw(&args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let what = format!("{case}: dualdraw {}: {text}", expect.command);
    assert!(!text.contains("panicked"), "{what}");
    assert_eq!(out.status.code(), Some(expect.code), "{what}");
    assert!(
        text.contains(expect.names),
        "{what}\n(expected it to name {})",
        expect.names
    );
}

fn run_table(base: &Path, cases: &[Case]) {
    let tmp = tempfile::tempdir().unwrap();
    for (i, case) in cases.iter().enumerate() {
        let bundle = tmp.path().join(format!("case-{i}"));
        copy_dir(base, &bundle);
        (case.damage)(&bundle);
        for e in &case.expect {
            check(case.name, &bundle, e);
        }
    }
}

const LISTED_BUT_CHANGED: &str = "its SHA-256 is not the one in the manifest";

#[test]
fn malformed_dr2_bundles_are_errors_naming_file_and_line() {
    let cases = [
        Case {
            name: "visits.csv without its period column",
            damage: |b| drop_column(&b.join("plan/visits.csv"), 4),
            expect: vec![
                expect("report", 2, "plan/visits.csv:1: period: missing"),
                expect("replan", 2, "plan/visits.csv:1: period: missing"),
                expect("verify", 1, "plan/visits.csv"),
            ],
        },
        Case {
            name: "strata.csv without its eligible column",
            damage: |b| drop_column(&b.join("plan/strata.csv"), 2),
            expect: vec![
                expect("report", 2, "plan/strata.csv:1: eligible: missing"),
                expect("proof", 2, "plan/strata.csv:1: eligible: missing"),
                expect("verify", 1, LISTED_BUT_CHANGED),
            ],
        },
        Case {
            name: "teams.csv with an extra column",
            damage: |b| {
                edit_lines(&b.join("plan/teams.csv"), |n, l| {
                    format!("{l},{}", if n == 1 { "note" } else { "x" })
                })
            },
            expect: vec![
                expect("report", 2, "plan/teams.csv:1: note: not a column"),
                expect("replan", 2, "plan/teams.csv:1: note: not a column"),
                expect("verify", 1, "plan/teams.csv"),
            ],
        },
        Case {
            name: "a period that is not a number",
            damage: |b| set_field(&b.join("plan/visits.csv"), 3, 4, "3x"),
            expect: vec![
                expect(
                    "report",
                    2,
                    "plan/visits.csv:3: period: '3x' is not a whole number",
                ),
                expect(
                    "replan",
                    2,
                    "plan/visits.csv:3: period: '3x' is not a whole number",
                ),
                expect("verify", 1, "plan/visits.csv"),
            ],
        },
        Case {
            name: "a stratum size that is not a number",
            damage: |b| set_field(&b.join("plan/strata.csv"), 2, 2, "-5"),
            expect: vec![
                expect(
                    "report",
                    2,
                    "plan/strata.csv:2: eligible: '-5' is not a whole number",
                ),
                expect("verify", 1, "plan/strata.csv"),
            ],
        },
        Case {
            name: "a stratum start that is not hex",
            damage: |b| set_field(&b.join("plan/strata.csv"), 2, 5, "start"),
            expect: vec![
                expect(
                    "proof",
                    2,
                    "plan/strata.csv:2: start: 'start' is not 16 hex digits",
                ),
                expect("verify", 1, "plan/strata.csv"),
            ],
        },
        Case {
            name: "an allocation that is not PERIOD:VISITS",
            damage: |b| set_field(&b.join("plan/classes.csv"), 2, 5, "1:1;3"),
            expect: vec![
                expect(
                    "report",
                    2,
                    "plan/classes.csv:2: allocation: '3' is not PERIOD:VISITS",
                ),
                expect("verify", 1, "plan/classes.csv"),
            ],
        },
        Case {
            name: "a visit cap that is not a number",
            damage: |b| set_field(&b.join("inputs/policy.csv"), 6, 1, "two"),
            expect: vec![
                expect(
                    "report",
                    2,
                    "inputs/policy.csv:6: value: 'two' is not a whole number",
                ),
                expect("verify", 1, "inputs/policy.csv"),
            ],
        },
        Case {
            name: "visits.csv cut in the middle of a row",
            damage: |b| {
                let p = b.join("plan/visits.csv");
                let bytes = std::fs::read(&p).unwrap();
                std::fs::write(&p, &bytes[..300]).unwrap();
            },
            expect: vec![
                expect("report", 2, "plan/visits.csv:3: the row has"),
                expect("replan", 2, "plan/visits.csv:3: the row has"),
                expect("verify", 1, "plan/visits.csv"),
            ],
        },
        Case {
            name: "strata.csv missing",
            damage: |b| std::fs::remove_file(b.join("plan/strata.csv")).unwrap(),
            expect: vec![
                expect("report", 2, "plan/strata.csv"),
                expect("proof", 2, "plan/strata.csv"),
                expect(
                    "verify",
                    1,
                    "plan/strata.csv: listed in the manifest but missing",
                ),
            ],
        },
        Case {
            name: "visits.csv not UTF-8",
            damage: |b| {
                let p = b.join("plan/visits.csv");
                let mut bytes = std::fs::read(&p).unwrap();
                let second_line = bytes.iter().position(|&c| c == b'\n').unwrap() + 1;
                bytes[second_line + 2] = 0xff;
                std::fs::write(&p, bytes).unwrap();
            },
            expect: vec![
                expect("report", 2, "plan/visits.csv:2: not valid UTF-8"),
                expect("replan", 2, "plan/visits.csv:2: not valid UTF-8"),
                expect("verify", 1, "plan/visits.csv"),
            ],
        },
        Case {
            name: "the population with a bad flag",
            damage: |b| set_field(&b.join("inputs/population.csv"), 4, 4, "maybe"),
            expect: vec![
                expect("report", 2, "inputs/population.csv:4: key_supervision"),
                expect("verify", 1, "inputs/population.csv"),
            ],
        },
        Case {
            name: "an empty manifest",
            damage: |b| std::fs::write(b.join("manifest.json"), "").unwrap(),
            expect: vec![
                expect("report", 2, "manifest.json: not valid JSON"),
                expect("replan", 2, "manifest.json: not valid JSON"),
                expect("verify", 1, "manifest.json: not valid JSON"),
            ],
        },
        Case {
            name: "a manifest of the wrong JSON types",
            damage: |b| {
                let m = r#"{"method":["dr2"],"state":7,"files":"all","seed":5}"#;
                std::fs::write(b.join("manifest.json"), m).unwrap()
            },
            expect: vec![
                expect("report", 2, "plan report needs a dr2 or dr3 bundle"),
                expect("replan", 2, "only a run or revealed dr2 or dr3 bundle"),
                expect("verify", 1, "manifest.json: method"),
            ],
        },
        Case {
            name: "a commitment of the wrong JSON types",
            damage: |b| {
                let c = r#"{"batch":7,"population_root":[1],"sources":{}}"#;
                std::fs::write(b.join("commitment.json"), c).unwrap()
            },
            expect: vec![
                expect("report", 2, "commitment.json: batch: not a string"),
                expect("proof", 2, "commitment.json: bad population_root"),
                expect("verify", 1, "commitment.json"),
            ],
        },
    ];
    run_table(Path::new(DR2), &cases);
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Re-seals a dr1 bundle after an input file was changed, as a forger would: the commitment
/// names the new digests and the manifest the new commitment, so `verify` gets as far as
/// parsing the inputs.
fn reseal(bundle: &Path) {
    let read_json = |p: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    };
    let mut commitment = read_json(&bundle.join("commitment.json"));
    let names: Vec<String> = commitment["inputs"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    for name in names {
        let bytes = std::fs::read(bundle.join("inputs").join(&name)).unwrap();
        commitment["inputs"][&name] = sha256_hex(&bytes).into();
    }
    let text = format!("{}\n", serde_json::to_string(&commitment).unwrap());
    std::fs::write(bundle.join("commitment.json"), &text).unwrap();
    let mut manifest = read_json(&bundle.join("manifest.json"));
    manifest["commitment_sha256"] = sha256_hex(text.as_bytes()).into();
    let files: Vec<String> = manifest["files"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    for rel in files {
        let bytes = std::fs::read(bundle.join(&rel)).unwrap();
        manifest["files"][&rel] = sha256_hex(&bytes).into();
    }
    let text = format!("{}\n", serde_json::to_string(&manifest).unwrap());
    std::fs::write(bundle.join("manifest.json"), text).unwrap();
}

fn resealed(bundle: &Path, name: &str, edit: impl FnOnce(&Path)) -> PathBuf {
    edit(&bundle.join("inputs").join(name));
    reseal(bundle);
    bundle.to_path_buf()
}

#[test]
fn resealed_dr1_bundles_with_malformed_inputs_fail_verification_naming_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    type Edit = fn(&Path);
    let cases: [(&str, Edit, &str); 5] = [
        (
            "tasks.csv",
            |p| set_field(p, 2, 10, "one"),
            "inputs/tasks.csv:2: period_from: 'one' is not a period number",
        ),
        (
            "policy.csv",
            |p| drop_column(p, 1),
            "inputs/policy.csv:1: : header must be key,value",
        ),
        (
            "inspectors.csv",
            |p| edit_lines(p, |_, l| format!("{l},extra")),
            "inputs/inspectors.csv:1: : header must be",
        ),
        (
            "history.csv",
            |p| {
                let mut bytes = std::fs::read(p).unwrap();
                bytes.extend_from_slice(b"\xff\xfe,x\n");
                std::fs::write(p, bytes).unwrap();
            },
            "inputs/history.csv",
        ),
        (
            "items.csv",
            |p| {
                // Cut in the middle of the last row: it lacks its last field.
                let text = std::fs::read_to_string(p).unwrap();
                let (kept, _) = text.trim_end().rsplit_once(',').unwrap();
                std::fs::write(p, kept).unwrap();
            },
            "inputs/items.csv:",
        ),
    ];
    for (i, (name, edit, names)) in cases.into_iter().enumerate() {
        let bundle = tmp.path().join(format!("case-{i}"));
        copy_dir(Path::new(DR1), &bundle);
        let bundle = resealed(&bundle, name, edit);
        check(
            name,
            &bundle,
            &Expect {
                command: "verify",
                code: 1,
                names,
            },
        );
    }
}
