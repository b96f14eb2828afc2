//! Canonical JSON and digests as bundles write them (`docs/draw-protocol.md`, "Bundle"): JSON
//! with sorted keys (serde_json's map is ordered), compact, a final LF; SHA-256 in lower-case
//! hex.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// Canonical JSON text: sorted keys, compact, final LF.
pub fn json_text(v: &Value) -> String {
    format!(
        "{}\n",
        serde_json::to_string(v).expect("JSON values serialize")
    )
}

/// The SHA-256 of `bytes`, as 64 lower-case hex digits.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
