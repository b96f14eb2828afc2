//! dualdraw-solver: the pure core of dualdraw.
//!
//! No I/O, no async, no database, no clock (`docs/architecture.md`, "Shape"): everything a third party
//! needs to re-run a draw takes plain values and returns plain values. Checking a whole bundle
//! (its files, commitment, entropy, plan and log evidence) is the crate `dualdraw-verify`, built
//! on this one (`docs/verifiers.md`, "The Rust library").

pub mod advice;
pub mod drand;
pub mod inputs;
pub mod merkle;
pub mod method;
pub mod placement;
pub mod plan;
pub mod rfc3797;
pub mod seed;
pub mod selection;
pub mod teams;
pub mod tier;
pub mod timing;
pub mod tlog;
pub mod uscc;

pub use method::{CapacityModel, KeySupervision, Method, TeamRule};
pub use tier::Tier;
pub use uscc::{Uscc, UsccError};
