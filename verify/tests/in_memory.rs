//! The library verifies bundles held in memory (no file system in the verification) and names
//! the first difference of a tampered one: file, line, field and the text `dualdraw verify`
//! prints (`docs/verifiers.md`, "The Rust library").

use dualdraw_verify::canonical::{json_text, sha256_hex};
use dualdraw_verify::{verify, Directory, LogEvidence, Method, Stage};
use std::collections::BTreeMap;
use std::path::Path;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../seeds/vectors");

/// A vector bundle's files, read once into memory: relative path → bytes.
fn in_memory(vector: &str) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let root = Path::new(VECTORS).join(vector);
    let mut out = BTreeMap::new();
    walk(&root, &root, &mut out);
    out
}

fn expected(vector: &str) -> String {
    std::fs::read_to_string(Path::new(VECTORS).join(format!("{vector}.expected"))).unwrap()
}

/// Replaces one line of a file and, when `relist`, gives the manifest the file's new digest
/// (as someone who rewrites a bundle consistently would).
fn tamper(
    files: &mut BTreeMap<String, Vec<u8>>,
    rel: &str,
    line: usize,
    relist: bool,
) -> (String, String) {
    let text = String::from_utf8(files[rel].clone()).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let old = lines[line - 1].clone();
    // One byte: the last character of the line, a hex digit or a letter, changed.
    let mut new = old.clone();
    let last = new.pop().unwrap();
    new.push(if last == '0' { '1' } else { '0' });
    lines[line - 1] = new.clone();
    let tampered = lines.join("\n") + "\n";
    if relist {
        let manifest = String::from_utf8(files["manifest.json"].clone()).unwrap();
        let manifest = manifest.replace(
            &sha256_hex(text.as_bytes()),
            &sha256_hex(tampered.as_bytes()),
        );
        files.insert("manifest.json".into(), manifest.into_bytes());
    }
    files.insert(rel.into(), tampered.into_bytes());
    (old, new)
}

#[test]
fn a_dr1_vector_verifies_from_memory_with_its_log_evidence() {
    let files = in_memory("dr1/demo-logged");
    let verdict = verify(&files).unwrap();
    assert_eq!(format!("{verdict}\n"), expected("dr1/demo-logged"));
    assert_eq!(verdict.method, Method::Dr1);
    assert_eq!(verdict.population_size, 4844);
    let Stage::Verified { seed, counts } = &verdict.stage else {
        panic!("not verified: {verdict:?}");
    };
    assert_eq!(
        hex::encode(seed),
        "44d1be1bd11d2c4a3e077b41ad84f0e461159e8966d255f970633777bd5140a0"
    );
    assert_eq!((counts.selections, counts.visits), (455, 318));
    assert_eq!(counts.joint_visits, None);
    let LogEvidence::Logged(log) = &verdict.log else {
        panic!("no log evidence: {verdict:?}");
    };
    assert_eq!(
        (log.event.as_str(), log.leaf, log.checkpoint),
        ("prepare", 0, 1)
    );
    assert_eq!((log.cosigned, log.quorum), (2, 2));
    assert!(log.keys_from_bundle);
    let run = log.run.as_ref().unwrap();
    assert_eq!((run.leaf, run.checkpoint), (1, 2));
    assert!(log.order.commitment_time.unwrap() < log.order.first_source_time().unwrap());
}

#[test]
fn a_dr2_vector_verifies_from_memory() {
    let files = in_memory("dr2/gen-month");
    let verdict = verify(&files).unwrap();
    assert_eq!(format!("{verdict}\n"), expected("dr2/gen-month"));
    assert_eq!(verdict.method, Method::Dr2);
    let Stage::Verified { counts, .. } = &verdict.stage else {
        panic!("not verified: {verdict:?}");
    };
    assert_eq!(counts.joint_visits, Some(51));
    assert_eq!(counts.checks_unplanned, Some(0));
    assert_eq!(
        verdict.log,
        LogEvidence::None {
            past_entropy: false
        }
    );
}

#[test]
fn memory_and_directory_give_the_same_verdict() {
    for vector in ["dr1/demo-lottery", "dr1/monthly-periods", "dr2/gen-month"] {
        let from_memory = verify(&in_memory(vector)).unwrap();
        let from_disk = verify(&Directory::new(Path::new(VECTORS).join(vector))).unwrap();
        assert_eq!(from_memory, from_disk, "{vector}");
        assert_eq!(format!("{from_disk}\n"), expected(vector), "{vector}");
    }
}

#[test]
fn a_tampered_plan_byte_is_named_by_file_and_line() {
    let mut files = in_memory("dr1/demo-lottery");
    let (old, new) = tamper(&mut files, "plan/teams.csv", 3, true);
    let d = verify(&files).unwrap_err();
    assert_eq!(d.file.as_deref(), Some("plan/teams.csv"));
    assert_eq!(d.line, Some(3));
    assert_eq!(
        d.to_string(),
        format!("plan/teams.csv:3: expected `{old}`, found `{new}`")
    );
}

#[test]
fn a_tampered_byte_not_relisted_is_caught_by_its_digest() {
    let mut files = in_memory("dr2/gen-month");
    tamper(&mut files, "plan/visits.csv", 2, false);
    let d = verify(&files).unwrap_err();
    assert_eq!(d.file.as_deref(), Some("plan/visits.csv"));
    assert_eq!(d.line, None);
    assert_eq!(
        d.to_string(),
        "plan/visits.csv: its SHA-256 is not the one in the manifest (the file was changed)"
    );
}

#[test]
fn a_tampered_seed_is_named_by_its_field() {
    let mut files = in_memory("dr1/demo-lottery");
    let manifest = String::from_utf8(files["manifest.json"].clone()).unwrap();
    let seed = "51ae8cc8fdba5aff668f48f7cc8b9e5c0485f29f8a7b3256427d997b7a582503";
    assert!(manifest.contains(seed));
    let manifest = manifest.replace(seed, &format!("61{}", &seed[2..]));
    files.insert("manifest.json".into(), manifest.into_bytes());
    let d = verify(&files).unwrap_err();
    assert_eq!(
        (d.file.as_deref(), d.field.as_deref()),
        (Some("manifest.json"), Some("seed"))
    );
    assert_eq!(
        d.to_string(),
        "manifest.json: seed is not SHA-256 of the committed values"
    );
}

#[test]
fn an_input_that_does_not_parse_is_named_by_file_line_and_column() {
    // Someone rewrites a committed bundle consistently (the input, its digests in the
    // commitment and the manifest): only parsing the inputs can tell.
    let mut files = in_memory("dr1/quotas-filters");
    let rel = "inputs/inspectors.csv";
    let text = String::from_utf8(files[rel].clone()).unwrap();
    let bad = text.replacen(
        "S32,SCJG,440303,2025-01-01,2029-12-31,,50",
        "S32,SCJG,440303,2025-01-01,2029-12-31,,fifty",
        1,
    );
    assert_ne!(bad, text);
    files.insert(rel.into(), bad.clone().into_bytes());
    let json = |files: &BTreeMap<String, Vec<u8>>, f: &str| -> serde_json::Value {
        serde_json::from_slice(&files[f]).unwrap()
    };
    let mut commitment = json(&files, "commitment.json");
    commitment["inputs"]["inspectors.csv"] = sha256_hex(bad.as_bytes()).into();
    let commitment = json_text(&commitment);
    let mut manifest = json(&files, "manifest.json");
    manifest["files"][rel] = sha256_hex(bad.as_bytes()).into();
    manifest["files"]["commitment.json"] = sha256_hex(commitment.as_bytes()).into();
    manifest["commitment_sha256"] = sha256_hex(commitment.as_bytes()).into();
    files.insert("commitment.json".into(), commitment.into_bytes());
    files.insert("manifest.json".into(), json_text(&manifest).into_bytes());
    let d = verify(&files).unwrap_err();
    assert_eq!(
        (d.file.as_deref(), d.line, d.field.as_deref()),
        (Some(rel), Some(3), Some("capacity")),
        "{d}"
    );
    assert!(
        d.to_string()
            .starts_with("inputs/inspectors.csv:3: capacity: "),
        "{d}"
    );
}

#[test]
fn a_missing_file_is_named() {
    let mut files = in_memory("dr1/demo-lottery");
    files.remove("secret.txt");
    let d = verify(&files).unwrap_err();
    assert_eq!(d.file.as_deref(), Some("secret.txt"));
    assert_eq!(
        d.to_string(),
        "secret.txt: listed in the manifest but missing"
    );
}
