//! The log's latest cosigned checkpoint, kept in memory (`docs/log.md` §4, §6.2): what
//! `/log/checkpoint` serves and what bounds the partial tiles, without a database round trip per
//! request.
//!
//! Every writer in this process that changes it — signing a checkpoint
//! (`publish::sign_checkpoint`), storing a cosignature (`cosigning`) — reloads it from the
//! database right after its commit, so a new checkpoint is served at once. Another process
//! writing the same database (a CLI draw step beside a running service) is seen within
//! [`REFRESH`]: the first request after that time starts a reload in the background and is
//! answered, like every other request meanwhile, with the checkpoint already held.

use super::store;
use super::LogError;
use crate::db::Db;
use bytes::Bytes;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// How long a checkpoint read from the database is served before it is read again.
pub const REFRESH: Duration = Duration::from_secs(1);

/// The latest cosigned checkpoint as last read.
#[derive(Debug)]
pub struct Head {
    /// The tree size of the checkpoint.
    pub size: u64,
    /// How many cosignatures it carries.
    pub cosignatures: usize,
    /// The cosigned checkpoint note (`docs/log.md` §3.3), as served.
    pub note: Bytes,
    loaded: Instant,
}

impl Head {
    /// Whether it was read from the database less than [`REFRESH`] ago.
    pub fn fresh(&self) -> bool {
        self.loaded.elapsed() < REFRESH
    }
}

/// The latest cosigned checkpoint of one database's log, shared by every clone of its [`Db`].
#[derive(Default)]
pub struct LogHead {
    slot: RwLock<Option<Arc<Head>>>,
    reloading: AtomicBool,
}

impl LogHead {
    /// The checkpoint held, if any (never the database).
    pub fn current(&self) -> Option<Arc<Head>> {
        self.slot.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Keeps `head` unless the one held is newer (a larger tree, or the same tree with more
    /// cosignatures: both only grow), so a slow reload never brings an older one back.
    fn keep(&self, head: Head) -> Arc<Head> {
        let mut slot = self.slot.write().unwrap_or_else(|e| e.into_inner());
        let newer = |h: &Head| (h.size, h.cosignatures);
        match slot.as_ref() {
            Some(held) if newer(held) > newer(&head) => held.clone(),
            _ => {
                let head = Arc::new(head);
                *slot = Some(head.clone());
                head
            }
        }
    }
}

/// Reads the latest cosigned checkpoint from the database and keeps it; `None` if the log has
/// no checkpoint yet.
pub async fn reload(db: &Db) -> Result<Option<Arc<Head>>, LogError> {
    let mut conn = db.pool.acquire().await?;
    let Some(cp) = store::latest_checkpoint(&mut conn).await? else {
        return Ok(None);
    };
    let lines = store::cosignatures(&mut conn, cp.size).await?;
    drop(conn);
    let mut note = cp.note.clone();
    for (_, _, line) in &lines {
        note.push_str(line);
    }
    Ok(Some(db.log_head.keep(Head {
        size: cp.size,
        cosignatures: lines.len(),
        note: Bytes::from(note),
        loaded: Instant::now(),
    })))
}

/// [`reload`] by a writer whose change has committed: a failure to read it back is logged, not
/// returned (the change stands; the next reload, at most [`REFRESH`] later, serves it).
pub async fn reload_after_commit(db: &Db) {
    if let Err(e) = reload(db).await {
        tracing::warn!("log: checkpoint not reloaded after a change: {e}");
    }
}

/// The checkpoint to serve: the one held, read again in the background when it is older than
/// [`REFRESH`]; read from the database only when none is held yet.
pub async fn latest(db: &Db) -> Result<Option<Arc<Head>>, LogError> {
    let head = &db.log_head;
    match head.current() {
        Some(h) => {
            if !h.fresh() && !head.reloading.swap(true, Ordering::AcqRel) {
                let db = db.clone();
                tokio::spawn(async move {
                    if let Err(e) = reload(&db).await {
                        tracing::warn!("log: checkpoint not reloaded: {e}");
                    }
                    db.log_head.reloading.store(false, Ordering::Release);
                });
            }
            Ok(Some(h))
        }
        None => reload(db).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(size: u64, cosignatures: usize) -> Head {
        Head {
            size,
            cosignatures,
            note: Bytes::from(format!("{size}/{cosignatures}")),
            loaded: Instant::now(),
        }
    }

    #[test]
    fn never_goes_back_to_an_older_checkpoint() {
        let h = LogHead::default();
        assert!(h.current().is_none());
        h.keep(head(5, 1));
        h.keep(head(5, 2));
        assert_eq!(h.keep(head(5, 1)).cosignatures, 2, "fewer cosignatures");
        assert_eq!(h.keep(head(4, 3)).size, 5, "a smaller tree");
        h.keep(head(6, 0));
        assert_eq!(&h.current().unwrap().note[..], b"6/0");
    }
}
