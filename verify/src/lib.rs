//! dualdraw-verify: re-checks a dualdraw bundle — a `dr1` draw or a `dr2`/`dr3` annual plan — and its
//! log evidence, as `dualdraw verify` does (`docs/verifiers.md`, "The Rust library";
//! `docs/draw-protocol.md` §11; `docs/log.md` §8.1).
//!
//! The core does no I/O: the bundle's files come in as bytes through [`BundleFiles`] (an
//! in-memory map implements it), and a typed [`Verdict`] or the first [`Difference`] comes out.
//! [`Directory`] is the thin adapter for a bundle on disk.
//!
//! ```no_run
//! let verdict = dualdraw_verify::verify(&dualdraw_verify::Directory::new("bundle"))?;
//! println!("{verdict}");
//! # Ok::<(), dualdraw_verify::Difference>(())
//! ```

mod advice;
mod annual;
pub mod canonical;
mod committed;
mod difference;
mod directory;
mod draw;
pub mod entropy;
pub mod files;
mod log_evidence;
mod secret;
mod verdict;

pub use annual::read_annual;
pub use committed::parse_inputs;
pub use difference::Difference;
pub use directory::Directory;
pub use draw::for_plan_files;
pub use dualdraw_solver::tlog::evidence::Keys;
pub use files::{BundleFiles, FileError};
pub use secret::seed_commitment;
pub use verdict::{
    Counts, LogEvidence, Logged, Method, Order, RunLeaf, SourceTime, Stage, Verdict,
};

use serde_json::Value as Json;

/// Verifies a bundle: the draw (`docs/draw-protocol.md` §11), then its log evidence
/// (`docs/log.md` §8.1) with the keys of the bundle's own `log/keys.json`.
pub fn verify(files: &impl BundleFiles) -> Result<Verdict, Difference> {
    verify_with_keys(files, None)
}

/// As [`verify`], with the log keys the user gives (`None`: the bundle's `log/keys.json`).
pub fn verify_with_keys(
    files: &impl BundleFiles,
    keys: Option<Keys>,
) -> Result<Verdict, Difference> {
    let manifest = files::read_json(files, "manifest.json")?;
    let Some(method) = manifest["method"].as_str().and_then(Method::parse) else {
        return Err(Difference::in_field(
            "manifest.json",
            "method",
            format!(
                "method {} is not one of {}",
                manifest["method"],
                Method::ALL.map(Method::id).join(", ")
            ),
        ));
    };
    // The rules that differ by method (`docs/architecture.md`, "Adding a method").
    let (committed, stage) = if method.places_annually() {
        annual::verify(files, &manifest, method)?
    } else {
        draw::verify(files, &manifest)?
    };
    let advice = advice::check(files, &committed)?;
    let log = log_evidence::check(files, keys)?;
    Ok(Verdict {
        advice,
        method,
        batch: batch(&committed.commitment),
        population_size: committed.size,
        population_root: committed.root,
        stage,
        log,
    })
}

fn batch(commitment: &Json) -> String {
    commitment["batch"].as_str().unwrap_or("").to_string()
}
