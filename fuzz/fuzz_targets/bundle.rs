//! Bundle files through the commands that read a bundle: `plan report`, `draw proof` and
//! `verify`, on a bundle written from the input into a scratch directory. None may panic.
//!
//! Input: entries separated by NUL bytes, each `PATH\nCONTENT`; PATH is a bundle's file name
//! (others are ignored). The first enterprise of the population is the one proved.
#![no_main]

use dualdraw::draw::bundle::Bundle;
use dualdraw::draw::{proof, verify};
use dualdraw::plan::report;
use dualdraw_solver::Uscc;
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

static DIR: OnceLock<PathBuf> = OnceLock::new();

/// A bundle's file name: a top-level file, or one under `inputs/` or `plan/`, in plain
/// lower-case letters, digits, `.`, `-` and `_` (never `..`).
fn known(path: &str) -> bool {
    let plain = |s: &str| {
        !s.is_empty()
            && !s.starts_with('.')
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
    };
    match path.split_once('/') {
        None => plain(path) && !matches!(path, "inputs" | "plan"),
        Some((dir, name)) => matches!(dir, "inputs" | "plan") && plain(name),
    }
}

fuzz_target!(|data: &[u8]| {
    let dir = DIR.get_or_init(|| {
        std::env::temp_dir().join(format!("dualdraw-fuzz-bundle-{}", std::process::id()))
    });
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("inputs")).unwrap();
    std::fs::create_dir_all(dir.join("plan")).unwrap();
    let mut first_uscc = None;
    for entry in data.split(|&b| b == 0) {
        let Some(p) = entry.iter().position(|&b| b == b'\n') else {
            continue;
        };
        let (path, content) = (&entry[..p], &entry[p + 1..]);
        let Ok(path) = std::str::from_utf8(path) else {
            continue;
        };
        if !known(path) {
            continue;
        }
        if path == "inputs/population.csv" {
            first_uscc = content.split(|&b| b == b'\n').nth(1).and_then(|row| {
                let code = row.split(|&b| b == b',').next()?;
                Uscc::parse(std::str::from_utf8(code).ok()?).ok()
            });
        }
        std::fs::write(dir.join(path), content).expect("a bundle file");
    }
    let bundle = Bundle::new(dir.clone());
    let _ = report::report(&bundle).map(|r| (r.text(), r.csv_files()));
    let uscc = first_uscc.unwrap_or_else(|| Uscc::parse("91440303117300541X").unwrap());
    let _ = proof::proof(&bundle, &uscc);
    let _ = verify::verify(&bundle);
});
