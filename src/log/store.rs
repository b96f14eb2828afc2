//! Storage of the log (`docs/log.md` §6.1, migration 0005): appends in the caller's transaction,
//! and reads of tiles, leaves and checkpoints. Tile hashes above level 0 are written when the
//! tile below them fills, in the same transaction, so every tile can be served by one query.

use super::{hex32, unhex32, LogError};
use dualdraw_solver::merkle::{leaf_hash, Hash};
use dualdraw_solver::tlog::leaf::Event;
use dualdraw_solver::tlog::proof::Missing;
use dualdraw_solver::tlog::tiles::{self, HashReader, WIDTH};
use sqlx::AnyConnection;
use std::collections::BTreeMap;

/// Appends a leaf; returns its index. Takes the log's head row lock, so appends are serial.
pub async fn append(conn: &mut AnyConnection, leaf: &[u8]) -> Result<u64, LogError> {
    let (size,): (i64,) =
        sqlx::query_as("UPDATE log_head SET size = size + 1 WHERE id = 1 RETURNING size")
            .fetch_one(&mut *conn)
            .await?;
    let index = size - 1;
    let text =
        std::str::from_utf8(leaf).map_err(|_| LogError::Evidence("leaf is not UTF-8".into()))?;
    sqlx::query("INSERT INTO log_entries (idx, leaf, leaf_hash) VALUES ($1, $2, $3)")
        .bind(index)
        .bind(text)
        .bind(hex32(&leaf_hash(leaf)))
        .execute(&mut *conn)
        .await?;
    fill_tiles(conn, size as u64).await?;
    Ok(index as u64)
}

/// Appends an event; a `prepare`/`replan` claims its (jurisdiction, batch) name for good, any
/// other event needs the name to have been claimed.
pub async fn append_event(conn: &mut AnyConnection, e: &Event) -> Result<u64, LogError> {
    let index = append(conn, &e.leaf()).await?;
    sqlx::query("INSERT INTO log_events (jurisdiction, batch, event, idx) VALUES ($1, $2, $3, $4)")
        .bind(&e.jurisdiction)
        .bind(&e.batch)
        .bind(e.kind.name())
        .bind(index as i64)
        .execute(&mut *conn)
        .await?;
    if e.kind.opens() {
        let r = sqlx::query(
            "INSERT INTO log_batches (jurisdiction, batch, first_index) VALUES ($1, $2, $3)",
        )
        .bind(&e.jurisdiction)
        .bind(&e.batch)
        .bind(index as i64)
        .execute(&mut *conn)
        .await;
        match r {
            Err(sqlx::Error::Database(d)) if d.is_unique_violation() => {
                return Err(LogError::BatchUsed {
                    jurisdiction: e.jurisdiction.clone(),
                    batch: e.batch.clone(),
                })
            }
            r => {
                r?;
            }
        }
    } else if first_index(conn, &e.jurisdiction, &e.batch)
        .await?
        .is_none()
    {
        return Err(LogError::BatchUnknown {
            jurisdiction: e.jurisdiction.clone(),
            batch: e.batch.clone(),
        });
    }
    Ok(index)
}

/// The index of the leaf that opened a batch, if any.
pub async fn first_index(
    conn: &mut AnyConnection,
    jurisdiction: &str,
    batch: &str,
) -> Result<Option<u64>, LogError> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT first_index FROM log_batches WHERE jurisdiction = $1 AND batch = $2",
    )
    .bind(jurisdiction)
    .bind(batch)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(i,)| i as u64))
}

/// The index of the first `event` of a batch, if logged.
pub async fn event_index(
    conn: &mut AnyConnection,
    jurisdiction: &str,
    batch: &str,
    event: &str,
) -> Result<Option<u64>, LogError> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT idx FROM log_events WHERE jurisdiction = $1 AND batch = $2 AND event = $3 ORDER BY idx LIMIT 1",
    )
    .bind(jurisdiction)
    .bind(batch)
    .bind(event)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(i,)| i as u64))
}

/// Writes the hash of every tile that the tree's growth to `size` has just filled.
async fn fill_tiles(conn: &mut AnyConnection, size: u64) -> Result<(), LogError> {
    let mut count = size; // hashes at `level`
    let mut level = 0u8;
    while count.is_multiple_of(WIDTH) && count > 0 {
        let tile = count / WIDTH - 1;
        let hashes = tile_hashes(conn, level, tile, WIDTH).await?;
        sqlx::query("INSERT INTO log_hashes (level, idx, hash) VALUES ($1, $2, $3)")
            .bind(level as i32 + 1)
            .bind(tile as i64)
            .bind(hex32(&tiles::tile_root(&hashes)))
            .execute(&mut *conn)
            .await?;
        count /= WIDTH;
        level += 1;
    }
    Ok(())
}

/// Takes the log's write lock first thing in a transaction (the head row): appends wait, and on
/// SQLite the transaction writes from its first statement, so it never has to upgrade a stale
/// read snapshot (which fails at once instead of waiting).
pub async fn lock_head(conn: &mut AnyConnection) -> Result<(), LogError> {
    sqlx::query("UPDATE log_head SET size = size WHERE id = 1")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The current number of leaves.
pub async fn size(conn: &mut AnyConnection) -> Result<u64, LogError> {
    let (size,): (i64,) = sqlx::query_as("SELECT size FROM log_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    Ok(size as u64)
}

/// The `width` hashes of tile `index` of `level`; an error if the database has fewer.
pub async fn tile_hashes(
    conn: &mut AnyConnection,
    level: u8,
    index: u64,
    width: u64,
) -> Result<Vec<Hash>, LogError> {
    let (lo, hi) = ((index * WIDTH) as i64, (index * WIDTH + width) as i64);
    let rows: Vec<(String,)> = if level == 0 {
        sqlx::query_as(
            "SELECT leaf_hash FROM log_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx",
        )
        .bind(lo)
        .bind(hi)
        .fetch_all(&mut *conn)
        .await?
    } else {
        sqlx::query_as(
            "SELECT hash FROM log_hashes WHERE level = $1 AND idx >= $2 AND idx < $3 ORDER BY idx",
        )
        .bind(level as i32)
        .bind(lo)
        .bind(hi)
        .fetch_all(&mut *conn)
        .await?
    };
    if rows.len() as u64 != width {
        return Err(LogError::Tampered(format!(
            "tile {level}/{index} has {} of its {width} hashes",
            rows.len()
        )));
    }
    rows.iter()
        .map(|(h,)| unhex32(h, &format!("tile {level}/{index}")))
        .collect()
}

/// The leaves `[from, to)` with their stored hashes.
pub async fn entries(
    conn: &mut AnyConnection,
    from: u64,
    to: u64,
) -> Result<Vec<(u64, String, String)>, LogError> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT idx, leaf, leaf_hash FROM log_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx",
    )
    .bind(from as i64)
    .bind(to as i64)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|(i, l, h)| (i as u64, l, h)).collect())
}

/// Tiles read from the database as a computation asks for them.
#[derive(Default)]
pub struct TileCache {
    tiles: BTreeMap<(u8, u64), Vec<Hash>>,
}

impl HashReader for TileCache {
    fn hash(&self, level: u8, index: u64) -> Option<Hash> {
        let t = self.tiles.get(&(level, index / WIDTH))?;
        t.get((index % WIDTH) as usize).copied()
    }
}

impl TileCache {
    /// Runs a pure computation over the tree of `size` leaves, fetching each tile it misses.
    pub async fn compute<T>(
        &mut self,
        conn: &mut AnyConnection,
        size: u64,
        f: impl Fn(&TileCache) -> Result<T, Missing>,
    ) -> Result<T, LogError> {
        loop {
            match f(self) {
                Ok(v) => return Ok(v),
                Err(Missing { level, index }) => {
                    let tile = index / WIDTH;
                    let width = tiles::width_in(size, level, tile);
                    if width == 0 || self.tiles.contains_key(&(level, tile)) {
                        return Err(LogError::Tampered(format!(
                            "hash {index} of level {level} is missing from a tree of {size} leaves"
                        )));
                    }
                    let hashes = tile_hashes(conn, level, tile, width).await?;
                    self.tiles.insert((level, tile), hashes);
                }
            }
        }
    }
}

/// A stored checkpoint.
#[derive(Clone, Debug)]
pub struct StoredCheckpoint {
    pub size: u64,
    pub root: Hash,
    pub note: String,
}

/// The stored checkpoint of the largest size, if any.
pub async fn latest_checkpoint(
    conn: &mut AnyConnection,
) -> Result<Option<StoredCheckpoint>, LogError> {
    let row: Option<(i64, String, String)> =
        sqlx::query_as("SELECT size, root, note FROM log_checkpoints ORDER BY size DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    row.map(stored).transpose()
}

fn stored((size, root, note): (i64, String, String)) -> Result<StoredCheckpoint, LogError> {
    Ok(StoredCheckpoint {
        size: size as u64,
        root: unhex32(&root, &format!("checkpoint {size}"))?,
        note,
    })
}

/// The cosignature lines stored for the checkpoint of `size`, in witness order.
pub async fn cosignatures(
    conn: &mut AnyConnection,
    size: u64,
) -> Result<Vec<(String, u64, String)>, LogError> {
    let rows: Vec<(String, i64, String)> = sqlx::query_as(
        "SELECT witness, cosigned_at, line FROM log_cosignatures WHERE size = $1 ORDER BY witness",
    )
    .bind(size as i64)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|(w, t, l)| (w, t as u64, l)).collect())
}

/// The checkpoint of `size` with its cosignatures appended: a cosigned checkpoint.
pub async fn cosigned(conn: &mut AnyConnection, cp: &StoredCheckpoint) -> Result<String, LogError> {
    let lines = cosignatures(conn, cp.size).await?;
    Ok(lines.iter().fold(cp.note.clone(), |mut acc, (_, _, l)| {
        acc.push_str(l);
        acc
    }))
}

/// The first stored checkpoint of size > `index` with at least `quorum` cosignatures, else the
/// latest one containing `index`.
pub async fn checkpoint_for(
    conn: &mut AnyConnection,
    index: u64,
    quorum: usize,
) -> Result<Option<StoredCheckpoint>, LogError> {
    let row: Option<(i64, String, String)> = sqlx::query_as(
        "SELECT c.size, c.root, c.note FROM log_checkpoints c WHERE c.size > $1 AND \
         (SELECT COUNT(*) FROM log_cosignatures s WHERE s.size = c.size) >= $2 ORDER BY c.size LIMIT 1",
    )
    .bind(index as i64)
    .bind(quorum as i64)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(r) => Ok(Some(stored(r)?)),
        None => {
            let latest = latest_checkpoint(conn).await?;
            Ok(latest.filter(|c| c.size > index))
        }
    }
}

/// A value of `log_meta`.
pub async fn meta(conn: &mut AnyConnection, name: &str) -> Result<Option<String>, LogError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT value FROM log_meta WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|(v,)| v))
}

/// Sets a value of `log_meta`.
pub async fn set_meta(conn: &mut AnyConnection, name: &str, value: &str) -> Result<(), LogError> {
    sqlx::query(
        "INSERT INTO log_meta (name, value) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    )
    .bind(name)
    .bind(value)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
