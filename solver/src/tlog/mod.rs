//! The public draw log (`docs/log.md`): leaves, the RFC 6962 tree served as C2SP tiles, signed
//! checkpoints (C2SP `tlog-checkpoint` as `signed-note`), witness cosignatures (C2SP
//! `tlog-cosignature`), proofs, and the batches a monitor reads back. Pure: bytes and hashes in,
//! typed results out; the service (`src/log/`) stores and serves, the CLI fetches.

pub mod checkpoint;
pub mod cosignature;
pub mod evidence;
pub mod history;
pub mod leaf;
pub mod note;
pub mod proof;
pub mod tiles;

#[cfg(test)]
mod tests;
