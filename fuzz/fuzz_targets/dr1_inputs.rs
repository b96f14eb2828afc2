//! The frozen inputs of a `dr1` bundle (`docs/draw-protocol.md` §2): the seven files parsed as
//! `verify` and `draw run` parse them; the population also fed in small chunks, as it is read
//! from disk, must give the same result. Inputs that parse are in canonical form once
//! re-serialized, and a draw from them keeps every rule.
//!
//! Input: the seven files in the order of `dualdraw_solver::inputs::FILES`, separated by NUL
//! bytes (a file that is not UTF-8, or beyond the end, is missing).
#![no_main]

use dualdraw_solver::inputs::population_csv::PopulationReader;
use dualdraw_solver::inputs::FILES;
use dualdraw_solver::inputs::{self, Inputs};
use dualdraw_solver::plan::check::check_drawn;
use dualdraw_solver::selection;
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

fn chunked(bytes: &[u8], size: usize) -> (usize, inputs::population_csv::FileDigest, usize) {
    let mut r = PopulationReader::new();
    for chunk in bytes.chunks(size) {
        r.feed(chunk);
    }
    let f = r.finish();
    (f.population.len(), f.digest, f.errors.len())
}

fuzz_target!(|data: &[u8]| {
    let mut files = BTreeMap::new();
    for (name, part) in FILES.iter().zip(data.split(|&b| b == 0)) {
        if *name == "population.csv" {
            assert_eq!(chunked(part, part.len().max(1)), chunked(part, 3));
        }
        if let Ok(text) = std::str::from_utf8(part) {
            files.insert(name.to_string(), text.to_string());
        }
    }
    let inputs = match Inputs::parse(&files) {
        Ok(inputs) => inputs,
        Err(errors) => {
            assert!(!errors.is_empty());
            return;
        }
    };
    let mut canonical: BTreeMap<String, String> = inputs
        .small_files()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    canonical.insert("population.csv".into(), inputs.population_text());
    let again = Inputs::parse(&canonical).expect("canonical inputs parse");
    assert_eq!(again.small_files(), inputs.small_files());
    if inputs.population_len() <= 64 && inputs.tasks.len() <= 8 {
        let plan = selection::drawn(&inputs, &[7u8; 32]);
        if let Err(e) = check_drawn(&inputs, &plan) {
            panic!("a draw broke a rule: {e}");
        }
    }
});
