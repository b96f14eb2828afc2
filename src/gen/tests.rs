//! Whole-jurisdiction tests: determinism, referential integrity, and the committed demo seed.

use super::*;
use crate::registry::model::RegionCode;
use dualdraw_solver::Uscc;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

/// A fresh folder under the system's temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "dualdraw-gen-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The rows of a CSV file as maps from header to value.
fn rows(dir: &Path, file: &str) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(dir.join(file)).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .map(str::to_string)
                .zip(r.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

fn small() -> GenParams {
    GenParams {
        enterprises: 3_000,
        ..GenParams::scaled(3_000, 42)
    }
}

const FILES: [&str; 7] = [
    "enterprises.csv",
    "departments.csv",
    "items.csv",
    "inspectors.csv",
    "conflicts.csv",
    "credit-records.csv",
    "repairs.csv",
];

#[test]
fn same_parameters_give_identical_bytes() {
    let (a, b) = (TempDir::new(), TempDir::new());
    let params = GenParams {
        repairs: true,
        ..small()
    };
    assert_eq!(
        generate(&params, &a.0).unwrap(),
        generate(&params, &b.0).unwrap()
    );
    for file in FILES {
        assert_eq!(
            fs::read(a.0.join(file)).unwrap(),
            fs::read(b.0.join(file)).unwrap(),
            "{file}"
        );
    }
    let other = TempDir::new();
    generate(&GenParams { seed: 43, ..params }, &other.0).unwrap();
    assert_ne!(
        fs::read(a.0.join(ENTERPRISES)).unwrap(),
        fs::read(other.0.join(ENTERPRISES)).unwrap()
    );
    assert!(!a.0.join(".credit-records.spool").exists());
}

#[test]
fn files_are_sorted_by_their_keys_and_codes_are_valid_and_unique() {
    let dir = TempDir::new();
    let summary = generate(&small(), &dir.0).unwrap();
    let enterprises = rows(&dir.0, ENTERPRISES);
    assert_eq!(enterprises.len() as u64, summary.enterprises);
    let codes: Vec<&str> = enterprises.iter().map(|e| e["uscc"].as_str()).collect();
    for code in &codes {
        Uscc::parse(code).unwrap();
    }
    assert!(
        codes.windows(2).all(|w| w[0] < w[1]),
        "enterprises sorted and unique"
    );
    for e in &enterprises {
        RegionCode::parse(&e["region"]).unwrap();
        assert!(["operating", "revoked", "deregistered"].contains(&e["status"].as_str()));
    }

    let key = |file: &str, columns: &[&str]| -> Vec<Vec<String>> {
        rows(&dir.0, file)
            .iter()
            .map(|r| columns.iter().map(|c| r[*c].clone()).collect())
            .collect()
    };
    for (file, columns) in [
        (DEPARTMENTS_FILE, &["code"][..]),
        (ITEMS, &["code"][..]),
        (INSPECTORS, &["id"][..]),
        (CONFLICTS, &["inspector", "uscc"][..]),
        (CREDIT_RECORDS, &["department", "document_no"][..]),
    ] {
        let keys = key(file, columns);
        assert!(
            keys.windows(2).all(|w| w[0] < w[1]),
            "{file} sorted by unique {columns:?}"
        );
    }
}

#[test]
fn every_department_has_two_certified_inspectors_in_every_region() {
    let dir = TempDir::new();
    generate(
        &GenParams {
            inspectors: 400,
            ..small()
        },
        &dir.0,
    )
    .unwrap();
    let regions: BTreeSet<String> = rows(&dir.0, ENTERPRISES)
        .iter()
        .map(|e| e["region"].clone())
        .collect();
    let departments: Vec<String> = rows(&dir.0, DEPARTMENTS_FILE)
        .iter()
        .map(|d| d["code"].clone())
        .collect();
    assert_eq!(departments.len(), 20);
    let mut certified: BTreeMap<(String, String), u32> = BTreeMap::new();
    let mut expired = 0;
    let inspectors = rows(&dir.0, INSPECTORS);
    for i in &inspectors {
        let until = &i["certificate_valid_until"];
        if until.as_str() >= "2026-12-31" && i["certificate_valid_from"].as_str() <= "2026-01-01" {
            *certified
                .entry((i["department"].clone(), i["region"].clone()))
                .or_default() += 1;
        }
        expired += u32::from(until.as_str() < "2026-06-30");
        let capacity: u32 = i["capacity"].parse().unwrap();
        assert!((40..=120).contains(&capacity));
    }
    for d in &departments {
        for r in &regions {
            let n = certified.get(&(d.clone(), r.clone())).copied().unwrap_or(0);
            assert!(n >= 2, "{d} has {n} certified inspectors in {r}");
        }
    }
    assert!(expired > 0);
}

#[test]
fn conflicts_records_and_repairs_reference_what_exists() {
    let dir = TempDir::new();
    let summary = generate(&GenParams::demo(), &dir.0).unwrap();
    let codes: BTreeSet<String> = rows(&dir.0, ENTERPRISES)
        .iter()
        .map(|e| e["uscc"].clone())
        .collect();
    let inspectors: BTreeSet<String> = rows(&dir.0, INSPECTORS)
        .iter()
        .map(|i| i["id"].clone())
        .collect();
    assert_eq!(inspectors.len(), 150);
    let conflicts = rows(&dir.0, CONFLICTS);
    assert_eq!(conflicts.len(), 30);
    for c in &conflicts {
        assert!(
            inspectors.contains(&c["inspector"]) && codes.contains(&c["uscc"]),
            "{c:?}"
        );
    }
    let records = rows(&dir.0, CREDIT_RECORDS);
    let by_document: BTreeMap<(String, String), &BTreeMap<String, String>> = records
        .iter()
        .map(|r| ((r["department"].clone(), r["document_no"].clone()), r))
        .collect();
    for r in &records {
        assert!(codes.contains(&r["uscc"]), "{r:?}");
        assert!(
            r["decided_on"].as_str() >= "2024-01-01" && r["decided_on"].as_str() <= "2026-10-31"
        );
        assert_eq!(r["ended_on"].is_empty(), r["status"] == "active", "{r:?}");
    }
    let repairs = rows(&dir.0, "repairs.csv");
    assert_eq!(repairs.len() as u64, summary.repairs);
    assert_eq!(repairs.len(), 14);
    for q in &repairs {
        let record = by_document[&(q["department"].clone(), q["document_no"].clone())];
        assert_eq!(record["status"], "active", "{q:?}");
        assert_eq!(q["intake_on"].is_empty(), q["state"] == "submitted");
        let decided = ["approved", "denied"].contains(&q["state"].as_str());
        assert_eq!(!q["decided_on"].is_empty(), decided);
        assert!(q["filed_on"].as_str() >= "2026-09-01" && q["decided_on"].as_str() <= "2026-11-30");
    }
}

#[test]
fn credit_records_follow_the_base_tiers() {
    let dir = TempDir::new();
    generate(&GenParams::scaled(20_000, 7), &dir.0).unwrap();
    let tiers: BTreeMap<String, String> = rows(&dir.0, ENTERPRISES)
        .iter()
        .map(|e| (e["uscc"].clone(), e["base_tier"].clone()))
        .collect();
    let mut heavy: BTreeSet<&str> = BTreeSet::new();
    for r in &rows(&dir.0, CREDIT_RECORDS) {
        let tier = tiers[&r["uscc"]].as_str();
        match r["kind"].as_str() {
            "serious-list" | "penalty-serious" => {
                assert_eq!(tier, "D", "{r:?}");
                heavy.insert(tiers.get_key_value(&r["uscc"]).unwrap().0);
            }
            "commendation" => assert_eq!(tier, "A"),
            _ => assert_ne!(tier, "A"),
        }
    }
    let d = tiers.values().filter(|t| *t == "D").count();
    let share = heavy.len() * 100 / d;
    assert!(
        (50..=70).contains(&share),
        "{share} % of D enterprises have a serious record"
    );
}

#[test]
fn handles_empty_and_tiny_jurisdictions() {
    for (enterprises, departments) in [(0, 20), (1, 1), (7, 8)] {
        let dir = TempDir::new();
        let params = GenParams {
            departments,
            repairs: true,
            ..GenParams::scaled(enterprises, 1)
        };
        let summary = generate(&params, &dir.0).unwrap();
        assert_eq!(summary.enterprises, enterprises);
        assert_eq!(summary.departments, departments as u64);
        assert_eq!(summary.inspectors, 2 * 6 * departments as u64);
        assert!(summary.conflicts <= enterprises);
    }
}

/// The demo files in `seeds/demo/` are what `GenParams::demo()` generates. After a deliberate
/// change to the generator, run with `DUALDRAW_BLESS=1` to rewrite them.
#[test]
fn demo_seed_files_are_up_to_date() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join("demo");
    let fresh = TempDir::new();
    generate(&GenParams::demo(), &fresh.0).unwrap();
    let bless = std::env::var("DUALDRAW_BLESS").is_ok_and(|v| v == "1");
    for file in FILES {
        let generated = fs::read(fresh.0.join(file)).unwrap();
        let committed = fs::read(seeds.join(file)).unwrap_or_default();
        if generated == committed {
            continue;
        }
        if bless {
            fs::create_dir_all(&seeds).unwrap();
            fs::write(seeds.join(file), &generated).unwrap();
            continue;
        }
        let line = String::from_utf8_lossy(&generated)
            .lines()
            .zip(String::from_utf8_lossy(&committed).lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || "past the end of the shorter".to_string(),
                |i| (i + 1).to_string(),
            );
        panic!(
            "seeds/demo/{file} differs from the generator's output (first at line {line}); \
             rerun with DUALDRAW_BLESS=1 if the change is intended"
        );
    }
}
