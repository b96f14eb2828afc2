//! `dualdraw verify BUNDLE`: the library `dualdraw_verify` on the bundle directory, with the
//! progress bars of large files (`docs/verifiers.md`, "The Rust library"). The first
//! difference is the answer.

use super::bundle::Bundle;
pub use dualdraw_verify::entropy::check_entropy;
pub use dualdraw_verify::Difference;

/// Verifies the draw (`docs/draw-protocol.md` §11) and then its log evidence
/// (`docs/log.md` §8.1); returns the one-line summary, which ends with what the log shows (and,
/// for a bundle that publishes an advice, that it recomputes).
pub fn verify(bundle: &Bundle) -> Result<String, Difference> {
    verify_with(bundle, None)
}

/// As [`verify`], with the log keys the user gives (else the bundle's `log/keys.json`).
pub fn verify_with(
    bundle: &Bundle,
    keys: Option<dualdraw_solver::tlog::evidence::Keys>,
) -> Result<String, Difference> {
    dualdraw_verify::verify_with_keys(bundle, keys).map(|verdict| {
        if verdict.advice {
            // Not part of the summary the other verifiers print (`docs/advice.md`).
            format!("{verdict}; the published advice recomputes from the committed inputs")
        } else {
            verdict.to_string()
        }
    })
}
