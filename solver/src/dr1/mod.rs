//! Method `dr1`: the verifiable double-random draw (`docs/draw-protocol.md`).
//!
//! Everything that decides who is drawn and by whom is computed here from plain values, in
//! integers and SHA-256 (`docs/architecture.md`, rules 3–5): permanent random numbers per enterprise,
//! coordinated order sampling per task and credit tier, caps by tier, deterministic periods and
//! seeded inspector teams. [`draw`] makes a plan; [`check`] re-checks a plan's rules on its own.

pub mod check;
pub mod drawn;
pub mod inputs;
pub mod output;
pub mod population;
pub mod population_csv;
mod scan;
pub mod seed;
pub mod select;
pub mod teams;
mod text;

pub use drawn::Drawn;
pub use inputs::{InputError, Inputs};
pub use select::{draw, drawn, Plan};

/// The method identifier written in every bundle.
pub const METHOD: &str = crate::Method::Dr1.id();

#[cfg(test)]
mod tests;
