//! Full tiles in memory (`docs/log.md` §4): a full tile (width 256) of a log never changes once
//! it is in a signed tree, so the service keeps the bytes it served and answers the next request
//! for that path without the database. Bounded by total bytes; the oldest tile goes first.

use bytes::Bytes;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// What the cache may hold at most, in bytes of tile bodies.
pub const DEFAULT_BUDGET: usize = 64 << 20;

/// The full tiles served so far, by tile path (shared bytes: a hit copies nothing).
#[derive(Clone)]
pub struct TileCache {
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    budget: usize,
    used: usize,
    tiles: HashMap<String, Bytes>,
    order: VecDeque<String>,
}

impl Default for TileCache {
    fn default() -> Self {
        TileCache::with_budget(DEFAULT_BUDGET)
    }
}

impl TileCache {
    pub fn with_budget(budget: usize) -> TileCache {
        TileCache {
            inner: Arc::new(Mutex::new(Inner {
                budget,
                used: 0,
                tiles: HashMap::new(),
                order: VecDeque::new(),
            })),
        }
    }

    /// The bytes of the full tile at `path`, if served before.
    pub fn get(&self, path: &str) -> Option<Bytes> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.tiles.get(path).cloned()
    }

    /// Keeps a full tile; older tiles leave while the budget is exceeded.
    pub fn put(&self, path: &str, bytes: Bytes) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if bytes.len() > inner.budget || inner.tiles.contains_key(path) {
            return;
        }
        inner.used += bytes.len();
        inner.tiles.insert(path.to_string(), bytes);
        inner.order.push_back(path.to_string());
        while inner.used > inner.budget {
            let Some(old) = inner.order.pop_front() else {
                break;
            };
            if let Some(b) = inner.tiles.remove(&old) {
                inner.used -= b.len();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_tiles_within_its_budget_oldest_out_first() {
        let c = TileCache::with_budget(10);
        c.put("0/000", Bytes::from(vec![0; 4]));
        c.put("0/001", Bytes::from(vec![1; 4]));
        assert_eq!(c.get("0/000").unwrap()[0], 0);
        c.put("0/002", Bytes::from(vec![2; 4]));
        assert!(c.get("0/000").is_none(), "the oldest left");
        assert_eq!(c.get("0/001").unwrap()[0], 1);
        assert_eq!(c.get("0/002").unwrap()[0], 2);
        c.put("big", Bytes::from(vec![9; 11]));
        assert!(c.get("big").is_none(), "larger than the budget: not kept");
    }
}
