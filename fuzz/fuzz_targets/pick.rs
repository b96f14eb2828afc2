//! `dualdraw pick`: the published list file and the `--entropy` values, parsed as the command
//! does, then both selection methods on what was accepted.
//!
//! Input: a count byte, a first line of sources separated by `|`, then the list file.
#![no_main]

use dualdraw::cli::pick::{check_count, parse_pool, parse_sources, Method};
use dualdraw_solver::rfc3797;
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeSet;

fuzz_target!(|data: &[u8]| {
    let Some((&count, rest)) = data.split_first() else {
        return;
    };
    let count = count as usize % 16;
    let (first, list) = match rest.iter().position(|&b| b == b'\n') {
        Some(p) => (&rest[..p], &rest[p + 1..]),
        None => (rest, &[][..]),
    };
    let Ok(first) = std::str::from_utf8(first) else {
        return;
    };
    let sources: Vec<String> = first.split('|').map(String::from).collect();
    let (Ok(entries), Ok(sources)) = (parse_pool(list, "list.txt"), parse_sources(&sources)) else {
        return;
    };
    let key = rfc3797::key_string(&sources);
    let _ = (
        rfc3797::source_bits(&sources),
        rfc3797::required_bits(entries.len(), count),
    );
    for method in [Method::Dr1, Method::Rfc3797] {
        if check_count(count, entries.len(), method, "list.txt").is_err() {
            continue;
        }
        let picks = match method {
            Method::Dr1 => rfc3797::select_dr1(key.as_bytes(), &entries, count),
            Method::Rfc3797 => rfc3797::select(key.as_bytes(), entries.len(), count),
        };
        assert_eq!(picks.len(), count);
        assert!(picks.iter().all(|&i| i < entries.len()));
        assert_eq!(picks.iter().collect::<BTreeSet<_>>().len(), count);
    }
});
