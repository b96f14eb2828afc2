//! Building a bundle's log evidence (`docs/log.md` §8) from the stored log: the leaf, the first
//! checkpoint containing it that the quorum cosigned, and the inclusion proof; and the
//! consistency proof between the checkpoints of two evidence files.

use super::store::{self, TileCache};
use super::{LogConfig, LogError};
use crate::db::Db;
use dualdraw_solver::merkle::Hash;
use dualdraw_solver::tlog::evidence::{Evidence, Keys};
use dualdraw_solver::tlog::proof;

/// The evidence of leaf `index`, or `None` when no checkpoint contains it yet.
pub async fn for_leaf(db: &Db, index: u64, quorum: usize) -> Result<Option<Evidence>, LogError> {
    let mut conn = db.pool.acquire().await?;
    let Some(cp) = store::checkpoint_for(&mut conn, index, quorum).await? else {
        return Ok(None);
    };
    let leaf = store::entries(&mut conn, index, index + 1)
        .await?
        .pop()
        .map(|(_, leaf, _)| leaf)
        .ok_or_else(|| LogError::Tampered(format!("entry {index} is missing")))?;
    let proof = TileCache::default()
        .compute(&mut conn, cp.size, |r| proof::inclusion(r, index, cp.size))
        .await?;
    let checkpoint = store::cosigned(&mut conn, &cp).await?;
    Ok(Some(Evidence {
        checkpoint,
        index,
        leaf,
        proof,
        consistency: None,
    }))
}

/// RFC 6962 `PROOF(from, D[to])`: the consistency proof from the tree of `from` leaves to the
/// tree of `to` leaves, from the stored hashes (`docs/log.md` §8).
pub async fn consistency(db: &Db, from: u64, to: u64) -> Result<Vec<Hash>, LogError> {
    if from > to {
        return Err(LogError::Evidence(format!(
            "no consistency proof from a tree of {from} leaves to a smaller one of {to}"
        )));
    }
    let mut conn = db.pool.acquire().await?;
    TileCache::default()
        .compute(&mut conn, to, |r| proof::consistency(r, from, to))
        .await
}

/// The keys the operator declares in `log/keys.json`.
pub fn keys(config: &LogConfig) -> Keys {
    Keys {
        log: config.key.verifier(),
        witnesses: config.policy.keys(),
        quorum: config.policy.quorum,
    }
}
