//! Building a bundle's log evidence (`docs/log.md` §8) from the stored log: the leaf, the first
//! checkpoint containing it that the quorum cosigned, and the inclusion proof.

use super::store::{self, TileCache};
use super::{LogConfig, LogError};
use crate::db::Db;
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
    }))
}

/// The keys the operator declares in `log/keys.json`.
pub fn keys(config: &LogConfig) -> Keys {
    Keys {
        log: config.key.verifier(),
        witnesses: config.policy.keys(),
        quorum: config.policy.quorum,
    }
}
