//! The service's public draw log (`docs/log.md` §6): entries appended in the caller's
//! transaction, checkpoints signed after it commits, cosignatures gathered from the configured
//! witnesses, and the tiles served under `/log/`. The formats and proofs are the solver's
//! (`dualdraw_solver::tlog`); this module stores, signs, sends and serves.

pub mod config;
pub mod cosigning;
pub mod events;
pub mod evidence;
pub mod gate;
pub mod head;
pub mod hooks;
pub mod http;
pub mod key;
pub mod monitor;
pub mod publish;
pub mod store;
pub mod tile_cache;
pub mod witness;

pub use config::LogConfig;
pub use publish::{publish, Published};

/// What went wrong with the log.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error("batch '{batch}' of jurisdiction '{jurisdiction}' is already in the log (a batch name is used once, abandoned ones too)")]
    BatchUsed { jurisdiction: String, batch: String },
    #[error("batch '{batch}' of jurisdiction '{jurisdiction}' was never prepared in the log")]
    BatchUnknown { jurisdiction: String, batch: String },
    #[error("log entry edited: {0}")]
    Tampered(String),
    #[error("log key: {0}")]
    Key(String),
    #[error("log configuration: {0}")]
    Config(String),
    #[error("{0}")]
    Leaf(#[from] dualdraw_solver::tlog::leaf::LeafError),
    #[error("{0}")]
    Note(#[from] dualdraw_solver::tlog::note::NoteError),
    #[error("{0}")]
    Evidence(String),
}

/// Hex of a hash.
pub(crate) fn hex32(h: &[u8; 32]) -> String {
    hex::encode(h)
}

/// A hash from its hex, or a `Tampered` error naming where it was read.
pub(crate) fn unhex32(s: &str, what: &str) -> Result<[u8; 32], LogError> {
    hex::decode(s)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| LogError::Tampered(format!("{what}: '{s}' is not a SHA-256 hash")))
}
