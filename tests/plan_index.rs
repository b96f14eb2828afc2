//! The plan index of a revealed draw (`src/draw/plan_index.rs`, `docs/portal.md`, "The plan
//! index"): the proof it answers is the proof read from the bundle's files, for every enterprise
//! of every revealed test vector; its rows are the files' rows byte for byte; an index of other
//! files, a damaged one or none is not used.

use dualdraw::draw::bundle::Bundle;
use dualdraw::draw::plan_index::{self, PlanFile, PlanIndex};
use dualdraw::draw::population_index::PopulationIndex;
use dualdraw::draw::proof::{self, DrawFacts, TaskRules};
use dualdraw_solver::Uscc;
use std::path::Path;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/vectors/dr1");

/// A copy of a vector's bundle in a fresh directory (its index goes beside it).
fn copy_of(vector: &str) -> (tempfile::TempDir, Bundle) {
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join(vector);
    copy_dir(&Path::new(VECTORS).join(vector), &to);
    (dir, Bundle::new(to))
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

fn vectors() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(VECTORS)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("manifest.json").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    assert!(out.len() >= 5, "the dr1 vectors are there: {out:?}");
    out
}

fn population(bundle: &Bundle) -> Vec<String> {
    bundle
        .read("inputs/population.csv")
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect()
}

/// Every line of a plan file (header aside) whose `uscc` column is `uscc`, in file order.
fn rows_in_file(bundle: &Bundle, rel: &str, uscc: &str) -> Vec<String> {
    bundle
        .read(rel)
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(1) == Some(uscc))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_indexed_proof_is_the_proof_read_from_the_files_for_every_enterprise() {
    let mut compared = 0;
    let mut with_plan_rows = 0;
    for vector in vectors() {
        let (_dir, bundle) = copy_of(&vector);
        let manifest = bundle.read_json("manifest.json").unwrap();
        assert!(
            PlanIndex::open(&bundle, &manifest).unwrap().is_none(),
            "{vector}: no index before it is written"
        );
        assert!(plan_index::ensure(&bundle).unwrap(), "{vector}: written");
        assert!(!plan_index::ensure(&bundle).unwrap(), "{vector}: kept");
        let index = PlanIndex::open(&bundle, &manifest)
            .unwrap()
            .expect("the index of these files");
        let people = PopulationIndex::build(&bundle).unwrap();
        let rules = TaskRules::build(&bundle).unwrap();
        let facts = DrawFacts::read(&bundle).unwrap();
        // Every enterprise the plan names, and every 16th of the others (a debug build hashes
        // slowly).
        let named: std::collections::BTreeSet<String> =
            ["plan/selections.csv", "plan/passed-over.csv"]
                .iter()
                .flat_map(|rel| {
                    bundle
                        .read(rel)
                        .unwrap()
                        .lines()
                        .skip(1)
                        .map(|l| l.split(',').nth(1).unwrap().to_string())
                        .collect::<Vec<_>>()
                })
                .collect();
        let everyone = population(&bundle);
        let chosen = everyone
            .iter()
            .enumerate()
            .filter(|(i, c)| named.contains(*c) || i % 16 == 0)
            .map(|(_, c)| c.clone());
        for code in chosen {
            let uscc: Uscc = code.parse().unwrap();
            let read = proof::proof_with(&bundle, &people, &rules, &facts, None, &uscc).unwrap();
            let indexed =
                proof::proof_with(&bundle, &people, &rules, &facts, Some(&index), &uscc).unwrap();
            assert_eq!(indexed, read, "{vector}: {code}");
            // What the service keeps changes nothing: the CLI's proof reads every file again (for
            // every 64th, as it indexes the population each time).
            if compared % 64 == 0 {
                assert_eq!(
                    proof::proof(&bundle, &uscc).unwrap(),
                    read,
                    "{vector}: {code}"
                );
            }
            // The rows it points to are the files' rows, byte for byte and in file order.
            let rows = index.rows_of(&code).unwrap();
            let of = |file: PlanFile| -> Vec<String> {
                rows.iter()
                    .filter(|(f, _)| *f == file)
                    .map(|(_, r)| r.clone())
                    .collect()
            };
            assert_eq!(
                of(PlanFile::Selections),
                rows_in_file(&bundle, "plan/selections.csv", &code),
                "{vector}: {code}"
            );
            assert_eq!(
                of(PlanFile::PassedOver),
                rows_in_file(&bundle, "plan/passed-over.csv", &code),
                "{vector}: {code}"
            );
            with_plan_rows += !rows.is_empty() as usize;
            compared += 1;
        }
        // Codes outside the population have no rows.
        assert!(index.rows_of("000000000000000000").unwrap().is_empty());
        assert!(index.rows_of("ZZZZZZZZZZZZZZZZZZ").unwrap().is_empty());
        assert!(index.rows_of("short").unwrap().is_empty());
    }
    assert!(compared > 500, "{compared} enterprises compared");
    assert!(with_plan_rows > 100, "{with_plan_rows} with selections");
}

#[test]
fn an_index_of_other_files_is_not_used() {
    let (_dir, bundle) = copy_of("demo-drand-history");
    plan_index::write(&bundle).unwrap();
    let mut manifest = bundle.read_json("manifest.json").unwrap();
    assert!(PlanIndex::open(&bundle, &manifest).unwrap().is_some());
    // The manifest names other selections: the index is of other files.
    manifest["files"]["plan/selections.csv"] = "00".repeat(32).into();
    assert!(PlanIndex::open(&bundle, &manifest).unwrap().is_none());
    // A truncated index is not read.
    let manifest = bundle.read_json("manifest.json").unwrap();
    let path = plan_index::path(&bundle);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 5]).unwrap();
    assert!(PlanIndex::open(&bundle, &manifest).unwrap().is_none());
    // Another format is not read.
    let mut other = bytes.clone();
    other[0] = b'X';
    std::fs::write(&path, &other).unwrap();
    assert!(PlanIndex::open(&bundle, &manifest).unwrap().is_none());
    // `ensure` replaces what it cannot use.
    assert!(plan_index::ensure(&bundle).unwrap());
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[test]
fn an_index_that_points_elsewhere_is_an_error_not_a_wrong_answer() {
    let (_dir, bundle) = copy_of("demo-drand-history");
    plan_index::write(&bundle).unwrap();
    let manifest = bundle.read_json("manifest.json").unwrap();
    let path = plan_index::path(&bundle);
    let mut bytes = std::fs::read(&path).unwrap();
    // The first record points at the header line instead of its row.
    let first = 8 + 4 + 4 + 8 + 32 + 32;
    let uscc = String::from_utf8(bytes[first..first + 18].to_vec()).unwrap();
    bytes[first + 20..first + 28].copy_from_slice(&0u64.to_be_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let index = PlanIndex::open(&bundle, &manifest).unwrap().unwrap();
    let e = index
        .rows_of(&uscc)
        .expect_err("a damaged index is refused");
    assert!(
        e.to_string()
            .contains("does not match the bundle's plan files"),
        "{e}"
    );
}

#[test]
fn a_plan_file_that_is_not_the_solvers_is_refused_with_its_line() {
    let (_dir, bundle) = copy_of("demo-drand-history");
    let text = bundle.read("plan/passed-over.csv").unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(2, "SCJG-G,914403,C,00,2");
    bundle
        .write("plan/passed-over.csv", &(lines.join("\n") + "\n"))
        .unwrap();
    let e = plan_index::write(&bundle).unwrap_err().to_string();
    assert!(
        e.contains("plan/passed-over.csv:3: uscc: '914403' is not an 18-character code"),
        "{e}"
    );
    assert!(!plan_index::path(&bundle).exists(), "nothing written");
    bundle.write("plan/selections.csv", "task,uscc\n").unwrap();
    let e = plan_index::write(&bundle).unwrap_err().to_string();
    assert!(
        e.contains("plan/selections.csv:1: the header must be"),
        "{e}"
    );
}
