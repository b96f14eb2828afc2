//! Signing the checkpoint of the current size and gathering its cosignatures
//! (`docs/log.md` §6.2): after each commit that appended, and at start, so that a crash between
//! a commit and a signature loses nothing. A size is signed once; the tree of the last signed
//! size is recomputed from the entries first, so an edited entry stops the log.

use super::cosigning::{self, Outcome};
use super::store::{self, StoredCheckpoint, TileCache};
use super::{hex32, LogConfig, LogError};
use crate::db::Db;
use dualdraw_solver::merkle::leaf_hash;
use dualdraw_solver::tlog::checkpoint::Checkpoint;
use dualdraw_solver::tlog::note::PrivateKey;
use dualdraw_solver::tlog::proof;
use dualdraw_solver::tlog::tiles::WIDTH;

/// The checkpoint of the current size, and what the witnesses answered.
#[derive(Debug, Clone)]
pub struct Published {
    pub checkpoint: StoredCheckpoint,
    pub witnesses: Vec<(String, Outcome)>,
}

/// Signs (once) and stores the checkpoint of the log's current size; returns the stored one.
pub async fn sign_checkpoint(db: &Db, key: &PrivateKey) -> Result<StoredCheckpoint, LogError> {
    let mut tx = db.begin().await?;
    store::lock_head(&mut tx).await?;
    let size = store::size(&mut tx).await?;
    let latest = store::latest_checkpoint(&mut tx).await?;
    if let Some(cp) = latest.as_ref().filter(|c| c.size == size) {
        return Ok(cp.clone());
    }
    let signed = latest.as_ref().map_or(0, |c| c.size);
    check_entries(&mut tx, signed - signed % WIDTH, size).await?;
    let mut cache = TileCache::default();
    if let Some(cp) = &latest {
        let root = cache
            .compute(&mut tx, cp.size, |r| proof::root(r, cp.size))
            .await?;
        if root != cp.root {
            return Err(LogError::Tampered(format!(
                "the first {} entries no longer give the root of their signed checkpoint",
                cp.size
            )));
        }
    }
    let root = TileCache::default()
        .compute(&mut tx, size, |r| proof::root(r, size))
        .await?;
    let note = Checkpoint {
        origin: key.name.clone(),
        size,
        root,
    }
    .sign(key)?;
    sqlx::query(
        "INSERT INTO log_checkpoints (size, root, note, signed_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (size) DO NOTHING",
    )
    .bind(size as i64)
    .bind(hex32(&root))
    .bind(&note)
    .bind(crate::clock::now())
    .execute(&mut *tx)
    .await?;
    let stored = store::latest_checkpoint(&mut tx)
        .await?
        .expect("just stored");
    tx.commit().await?;
    super::head::reload_after_commit(db).await;
    Ok(stored)
}

/// Checks that entries `[from, to)` hash to their stored leaf hashes.
async fn check_entries(conn: &mut sqlx::AnyConnection, from: u64, to: u64) -> Result<(), LogError> {
    for (i, leaf, h) in store::entries(conn, from, to).await? {
        if hex32(&leaf_hash(leaf.as_bytes())) != h {
            return Err(LogError::Tampered(format!(
                "entry {i} does not hash to its stored leaf hash"
            )));
        }
    }
    Ok(())
}

/// Signs the current checkpoint and asks the witnesses for their cosignatures.
pub async fn publish(db: &Db, config: &LogConfig) -> Result<Published, LogError> {
    let checkpoint = sign_checkpoint(db, &config.key).await?;
    let witnesses = cosigning::collect(db, &config.policy, &checkpoint).await?;
    Ok(Published {
        checkpoint,
        witnesses,
    })
}

/// At start: records the log's verifier key (refusing another key for the same database) and
/// its witness policy, then publishes the current checkpoint.
pub async fn start(db: &Db, config: &LogConfig) -> Result<Published, LogError> {
    let vkey = config.key.verifier().to_string();
    let mut tx = db.begin().await?;
    store::lock_head(&mut tx).await?;
    match store::meta(&mut tx, "verifier_key").await? {
        Some(k) if k != vkey => {
            return Err(LogError::Key(format!(
                "this database's log was signed by {k}, not by the key given ({vkey})"
            )))
        }
        Some(_) => {}
        None => store::set_meta(&mut tx, "verifier_key", &vkey).await?,
    }
    store::set_meta(&mut tx, "witnesses", &config.policy.text()).await?;
    tx.commit().await?;
    publish(db, config).await
}
