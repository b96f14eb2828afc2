//! Entropy values as `dualdraw draw run` parses them ([`dualdraw::draw::run::entropy_value`]):
//! lottery numbers and drand signatures. Whatever `draw run` accepts, `verify` accepts.
//!
//! Input: a first line with the declared source as JSON (anything else picks one of three
//! declared sources), then the value as typed on the command line.
#![no_main]

use dualdraw::draw::run::entropy_value;
use dualdraw::draw::verify::check_entropy;
use dualdraw_solver::seed::entropy_string;
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fn declared(head: &str) -> Value {
    match serde_json::from_str::<Value>(head) {
        Ok(v) => v,
        Err(_) => match head.len() % 3 {
            0 => json!({"kind": "lottery", "name": "双色球"}),
            1 => json!({"kind": "drand", "chain": "quicknet", "round": 123}),
            _ => json!({"kind": "drand", "chain": "default", "round": 72785}),
        },
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (head, value) = text.split_once('\n').unwrap_or(("", text));
    let source = declared(head);
    if let Ok((value, record)) = entropy_value(&source, value) {
        let commitment = json!({ "sources": [source] });
        let entropy = json!({ "sources": [record], "string": entropy_string(&[value]) });
        if let Err(e) = check_entropy(&commitment, &entropy) {
            panic!("draw run accepted what verify refuses: {e}");
        }
    }
});
