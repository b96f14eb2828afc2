//! The advice a bundle publishes (`docs/advice.md`, "Verification"): when `commitment.json`
//! has `"advice"`, its files are the committed ones, and recomputing the advice from the
//! committed inputs and `advice/ranges.csv` gives them byte for byte, with every ranged quota
//! of `inputs/tasks.csv` the advised one.

use crate::canonical::sha256_hex;
use crate::committed::Committed;
use crate::difference::Difference;
use crate::files::{self, BundleFiles};

/// Whether the bundle publishes an advice; an error names the first difference.
pub(crate) fn check(files: &impl BundleFiles, committed: &Committed) -> Result<bool, Difference> {
    let Some(listed) = committed.commitment.get("advice") else {
        let paths = files.paths().map_err(Difference::from)?;
        if let Some(stray) = paths.iter().find(|p| p.starts_with("advice/")) {
            return Err(Difference::in_file(
                stray,
                "an advice file that commitment.json does not commit to",
            ));
        }
        return Ok(false);
    };
    let listed = listed
        .as_object()
        .ok_or_else(|| Difference::in_field("commitment.json", "advice", "not an object"))?;
    let ranges = files::read_text(files, "advice/ranges.csv")?;
    let expected = dualdraw_solver::advice::check(&committed.inputs, &ranges)
        .map_err(|e| Difference::in_file("advice/ranges.csv", e))?;
    if listed.len() != expected.len() || expected.keys().any(|k| !listed.contains_key(*k)) {
        return Err(Difference::in_field(
            "commitment.json",
            "advice",
            "must list exactly ranges.csv, advice.csv and binding.csv",
        ));
    }
    for (name, text) in expected {
        let rel = format!("advice/{name}");
        let stored = files::read_text(files, &rel)?;
        if listed[name].as_str() != Some(sha256_hex(stored.as_bytes()).as_str()) {
            return Err(Difference::in_file(&rel, "not the file committed to"));
        }
        if stored != text {
            return Err(Difference::first_line(
                &rel,
                &format!("{rel} (recomputed)"),
                &text,
                &stored,
            ));
        }
    }
    Ok(true)
}
