//! Every import kind through the reader `dualdraw import` uses ([`dualdraw::import::read_rows`]),
//! as UTF-8 bytes and, re-encoded, as GB18030 (`docs/fuzzing.md`).
//!
//! Input: one tag byte (kind = tag % 6; bit 7 set: the rest is re-encoded to GB18030 when it is
//! UTF-8), then the file.
#![no_main]

use dualdraw::credit::rules::RuleTable;
use dualdraw::import::{read_rows, ImportError, Kind};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static RULES: OnceLock<RuleTable> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Some((&tag, body)) = data.split_first() else {
        return;
    };
    let kind = Kind::ALL[tag as usize % Kind::ALL.len()];
    let bytes = match std::str::from_utf8(body) {
        Ok(text) if tag & 0x80 != 0 => encoding_rs::GB18030.encode(text).0.into_owned(),
        _ => body.to_vec(),
    };
    let rules = RULES.get_or_init(RuleTable::builtin);
    match read_rows(kind, std::io::Cursor::new(bytes), "fuzz.csv", rules, |_| {}) {
        Ok(()) => {}
        // Every error names the file it is about.
        Err(ImportError::Invalid {
            file,
            errors,
            total,
        }) => {
            assert_eq!(file, "fuzz.csv");
            assert!(total >= errors.len() && !errors.is_empty());
            assert!(errors.iter().all(|e| e.file == "fuzz.csv"));
        }
        Err(e) => assert!(e.to_string().contains("fuzz.csv"), "{e}"),
    }
});
