//! `dualdraw pick`, the ceremonial list draw, run as the real binary on the RFC 3797 vectors in
//! `seeds/vectors/rfc3797/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/vectors/rfc3797");

fn vector(name: &str) -> PathBuf {
    Path::new(VECTORS).join(name)
}

fn read(name: &str) -> String {
    std::fs::read_to_string(vector(name)).unwrap()
}

/// Rows of a vector file: fields split on spaces, `#` comments skipped.
fn rows(name: &str) -> Vec<Vec<String>> {
    read(name)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split(' ').map(str::to_owned).collect())
        .collect()
}

/// `--entropy` once per line of `sources.txt`: the published sources of the RFC example.
fn rfc_entropy() -> Vec<String> {
    read("sources.txt")
        .lines()
        .flat_map(|s| ["--entropy".to_owned(), s.to_owned()])
        .collect()
}

fn pick(file: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dualdraw"))
        .arg("pick")
        .arg(file)
        .args(args)
        .output()
        .unwrap()
}

fn pick_rfc(file: &Path, args: &[&str]) -> Output {
    let entropy = rfc_entropy();
    let mut all: Vec<&str> = entropy.iter().map(String::as_str).collect();
    all.extend_from_slice(args);
    pick(file, &all)
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

fn lines(out: &Output) -> Vec<String> {
    stdout(out).lines().map(str::to_owned).collect()
}

/// The last field of each row: the entry.
fn expected_names(name: &str) -> Vec<String> {
    rows(name).into_iter().map(|r| r[4].clone()).collect()
}

fn temp_pool(contents: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pool.txt");
    std::fs::write(&path, contents).unwrap();
    (dir, path)
}

#[test]
fn rfc3797_reproduces_the_rfc_example() {
    let out = pick(
        &vector("pool.txt"),
        &[
            "--method",
            "rfc3797",
            "--entropy",
            "9319",
            "--entropy",
            "2 5 12 8 10",
            "--entropy",
            "9 18 26 34 41 45",
            "--count",
            "10",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        lines(&out),
        [
            "Lee",
            "Doc",
            "Mary",
            "Charity",
            "Kasczynski",
            "Envy",
            "Sneazy",
            "Anger",
            "Chastity",
            "Pandora"
        ]
    );
    assert_eq!(lines(&out), expected_names("expected.txt"));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("key: {}", read("key.txt").trim_end())),
        "{err}"
    );
    assert!(!err.contains("warning"), "{err}");
}

#[test]
fn rfc3797_verbose_prints_the_rfc_table() {
    let out = pick_rfc(
        &vector("pool.txt"),
        &["--method", "rfc3797", "--count", "10", "--verbose"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    for row in rows("expected.txt") {
        let printed = err
            .lines()
            .find(|l| l.contains(&row[1]))
            .unwrap_or_else(|| panic!("no line with {} in\n{err}", row[1]));
        let fields: Vec<&str> = printed.split_whitespace().collect();
        assert_eq!(fields, row, "{printed}");
    }
}

#[test]
fn dr1_is_the_default_and_matches_its_vector() {
    let out = pick_rfc(&vector("pool.txt"), &["--count", "25", "--verbose"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(lines(&out), expected_names("dr1-expected.txt"));
    let err = stderr(&out);
    assert!(err.contains("method: dr1"), "{err}");
    for row in rows("dr1-expected.txt") {
        assert!(
            err.contains(&row[1]),
            "sha256 of step {} missing:\n{err}",
            row[0]
        );
    }
}

#[test]
fn dr1_is_stable_and_asking_for_more_keeps_the_first_picks() {
    let three = pick_rfc(&vector("pool.txt"), &["--count", "3"]);
    let five = pick_rfc(&vector("pool.txt"), &["--count", "5"]);
    let five_again = pick_rfc(&vector("pool.txt"), &["--count", "5"]);
    assert_eq!(five.status.code(), Some(0), "{}", stderr(&five));
    assert_eq!(lines(&five).len(), 5);
    assert_eq!(lines(&five), lines(&five_again));
    assert_eq!(lines(&five)[..3], lines(&three));
}

#[test]
fn dr1_ignores_the_order_of_the_list() {
    let mut names: Vec<String> = read("pool.txt").lines().map(str::to_owned).collect();
    names.reverse();
    let (_dir, reversed) = temp_pool((names.join("\r\n") + "\r\n").as_bytes());
    let there = pick_rfc(&vector("pool.txt"), &["--count", "5"]);
    let here = pick_rfc(&reversed, &["--count", "5"]);
    assert_eq!(here.status.code(), Some(0), "{}", stderr(&here));
    assert_eq!(lines(&here), lines(&there));
}

#[test]
fn refuses_an_entropy_value_that_is_not_an_integer() {
    let out = pick(
        &vector("pool.txt"),
        &["--entropy", "9319", "--entropy", "10601.70", "--count", "3"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("'10601.70' is not a whole number"), "{err}");
    assert!(stdout(&out).is_empty());
}

#[test]
fn refuses_a_count_larger_than_the_pool() {
    let out = pick_rfc(&vector("pool.txt"), &["--count", "26"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("--count 26 is more than the 25 entries"),
        "{err}"
    );
    let out = pick_rfc(&vector("pool.txt"), &["--count", "0"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn refuses_a_blank_line_naming_it() {
    let (_dir, path) = temp_pool(b"Ann\nBob\n\nCy\n");
    let out = pick_rfc(&path, &["--count", "1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{}:3: blank entry", path.display())),
        "{err}"
    );
    assert!(stdout(&out).is_empty());
}

#[test]
fn refuses_repeated_entries_naming_both_lines() {
    let (_dir, path) = temp_pool("张伟\n李娜\n张伟".as_bytes());
    let out = pick_rfc(&path, &["--count", "1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains(":3: same entry as line 1"), "{err}");
}

#[test]
fn missing_entropy_is_a_usage_error() {
    let out = pick(&vector("pool.txt"), &["--count", "3"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--entropy"), "{}", stderr(&out));
}

#[test]
fn warns_when_the_sources_are_too_weak() {
    let out = pick(
        &vector("pool.txt"),
        &["--entropy", "7", "--count", "10", "--method", "rfc3797"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("warning: the sources carry about 3 bits"),
        "{err}"
    );
    assert!(err.contains("needs 22 bits"), "{err}");
    assert_eq!(lines(&out).len(), 10);
}
