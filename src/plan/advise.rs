//! `dualdraw plan advise`: what a jurisdiction can afford (`docs/advice.md`). Reads a
//! directory of inputs as `draw prepare --from` does and a `ranges.csv`, and writes a copy of the
//! directory whose `tasks.csv` has the advised quotas, with the advice under `advice/`. A batch
//! prepared from that directory publishes the advice in its bundle, committed, and `verify`
//! recomputes it.

use crate::draw::bundle::Bundle;
use crate::draw::prepare::{inputs_from_dir, PrepareError};
use dualdraw_solver::advice::{self, Advice, Status};
use dualdraw_solver::inputs::{Inputs, Periods};
use dualdraw_solver::Method;
use serde_json::json;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

/// Where a directory keeps its advice.
pub const DIR: &str = "advice";

/// Reads a CSV file as users have it (UTF-8 with or without BOM, or GB18030).
fn read_text(path: &Path) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (_, mut reader) =
        crate::import::source::decode(file).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut text = String::new();
    reader
        .read_to_string(&mut text)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text.replace("\r\n", "\n"))
}

/// The advice for the inputs of `from` and the ranges of `ranges`, written into `out` (a new
/// directory): `from`'s files with the advised `tasks.csv`, and `advice/ranges.csv`,
/// `advice/advice.csv`, `advice/binding.csv`. `method` decides which enterprises are taken in
/// full (key supervision), as `draw prepare` with that method reads them.
pub fn advise_dir(
    from: &Path,
    method: Method,
    ranges: &Path,
    out: &Path,
) -> Result<(Advice, Periods), String> {
    if out.exists() {
        return Err(format!(
            "{}: already exists; advice is written into a new directory",
            out.display()
        ));
    }
    let inputs = inputs_from_dir(from, method).map_err(|e| e.to_string())?;
    let text = read_text(ranges)?;
    let parsed = advice::parse_ranges(&text, &inputs.tasks).map_err(|errors| {
        errors
            .iter()
            .map(|e| {
                let mut e = e.clone();
                e.file = ranges.display().to_string();
                e.to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let result = advice::advise(&inputs, &parsed);
    let staging = out.with_extension("advising");
    let _ = std::fs::remove_dir_all(&staging);
    let io = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    std::fs::create_dir_all(staging.join(DIR)).map_err(|e| io(&staging, e))?;
    for entry in std::fs::read_dir(from).map_err(|e| io(from, e))? {
        let entry = entry.map_err(|e| io(from, e))?;
        let name = entry.file_name();
        if entry.path().is_file() && name != "tasks.csv" {
            std::fs::copy(entry.path(), staging.join(&name)).map_err(|e| io(&entry.path(), e))?;
        }
    }
    let periods = inputs.policy.periods;
    let mut advised = inputs;
    advised.tasks = result.tasks.clone();
    let tasks = advised.small_files()["tasks.csv"].clone();
    std::fs::write(staging.join("tasks.csv"), tasks).map_err(|e| io(&staging, e))?;
    for (name, text) in advice::files(&parsed, &result) {
        let p = staging.join(DIR).join(name);
        std::fs::write(&p, text).map_err(|e| io(&p, e))?;
    }
    std::fs::rename(&staging, out).map_err(|e| io(out, e))?;
    Ok((result, periods))
}

/// The advice files of a directory being prepared, checked against its inputs: `None` when it
/// has no `advice/ranges.csv`.
pub fn of_dir(
    dir: &Path,
    inputs: &Inputs,
) -> Result<Option<BTreeMap<&'static str, String>>, PrepareError> {
    let path = dir.join(DIR).join("ranges.csv");
    if !path.exists() {
        return Ok(None);
    }
    let text = read_text(&path).map_err(|e| PrepareError::Input(vec![e]))?;
    advice::check(inputs, &text).map(Some).map_err(|e| {
        PrepareError::Input(vec![format!(
            "{}: the directory does not follow its advice: {e}; run `dualdraw plan advise` again or remove {}",
            path.display(),
            dir.join(DIR).display()
        )])
    })
}

/// Writes the advice into a prepared bundle and commits to it (`"advice"` in
/// `commitment.json`: each file's SHA-256); returns the new commitment digest.
pub fn attach(b: &Bundle, files: &BTreeMap<&'static str, String>) -> Result<String, PrepareError> {
    let mut digests = serde_json::Map::new();
    for (name, text) in files {
        b.write(&format!("{DIR}/{name}"), text)?;
        digests.insert(
            name.to_string(),
            json!(crate::draw::bundle::sha256_hex(text.as_bytes())),
        );
    }
    let mut c = b.read_json("commitment.json")?;
    c["advice"] = serde_json::Value::Object(digests);
    let text = crate::draw::bundle::json_text(&c);
    b.write("commitment.json", &text)?;
    b.write_manifest("committed", json!({}))?;
    Ok(crate::draw::bundle::sha256_hex(text.as_bytes()))
}

/// The advice in words, one line per department.
pub fn summary(a: &Advice, periods: Periods) -> String {
    let letter = match periods {
        Periods::Quarter => "Q",
        Periods::Month => "M",
    };
    let range = |from: u32, to: u32| {
        if from == to {
            format!("{letter}{from}")
        } else {
            format!("{letter}{from}–{letter}{to}")
        }
    };
    let mut out = String::new();
    for d in &a.departments {
        let line = match &d.status {
            Status::Maximum => format!("{}: every range at its maximum can be staffed", d.department),
            Status::Limited(b) => format!(
                "{}: step {}/{} of its ranges; the next step would need {} {} in {} in {}, and {} are available",
                d.department,
                d.step,
                advice::STEPS,
                b.needed,
                what(&b.specialty),
                b.region,
                range(b.from, b.to),
                b.available
            ),
            Status::MinimumShort(b) => format!(
                "{}: even the minimum cannot be staffed: it needs {} {} in {} in {}, and {} are available; the minimum is kept",
                d.department,
                b.needed,
                what(&b.specialty),
                b.region,
                range(b.from, b.to),
                b.available
            ),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn what(specialty: &str) -> String {
    if specialty.is_empty() {
        "inspector-visits".into()
    } else {
        format!("visits of inspectors with specialty {specialty}")
    }
}
