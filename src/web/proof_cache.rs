//! What the fairness check (`/fair`, `GET /public/draws/{batch}/proof/{uscc}`) keeps in memory
//! per draw, so that a request does only the work that depends on its enterprise — one chunk of
//! the population read and hashed, the plan index searched (`docs/portal.md`, "What the service
//! keeps in memory"):
//!
//! - by (bundle directory, commitment digest): the population index and the parsed task rules
//!   (`crate::draw::population_index`, `crate::draw::proof::TaskRules`). The committed inputs
//!   never change, and indexing a million rows takes a second;
//! - by (bundle directory, commitment digest, state): the draw's facts
//!   (`crate::draw::proof::DrawFacts`: the committed root, once revealed the seed and the parsed
//!   `plan/strata.csv`, the manifest). A draw's files change only with its state, so a draw
//!   that changes state (committed → run → revealed) is read again under its new key; another
//!   draw, or the same batch prepared again, has another digest.
//!
//! Each entry is built once: requests that find it being built wait for that build instead of
//! starting their own (a failed build leaves the entry empty for the next request). At most
//! [`KEPT`] entries of each kind; a further one replaces the one with the smallest key.

use super::draws::Draw;
use crate::draw::bundle::Bundle;
use crate::draw::plan_index::{self, PlanIndex};
use crate::draw::population_index::PopulationIndex;
use crate::draw::proof::{DrawFacts, Proof, TaskRules};
use crate::draw::run::StepError;
use crate::http::AppState;
use dualdraw_solver::Uscc;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// Entries kept of each kind.
pub const KEPT: usize = 8;

/// Values built once per key, at most `limit` keys.
pub struct Kept<K, V> {
    entries: Mutex<BTreeMap<K, Arc<Slot<V>>>>,
    limit: usize,
}

/// One key's value once built, and the lock its builder holds meanwhile.
struct Slot<V> {
    value: OnceLock<V>,
    building: Mutex<()>,
}

impl<K: Ord + Clone, V: Clone> Kept<K, V> {
    pub const fn new(limit: usize) -> Kept<K, V> {
        Kept {
            entries: Mutex::new(BTreeMap::new()),
            limit,
        }
    }

    /// The value of `key` if it is built.
    pub fn kept(&self, key: &K) -> Option<V> {
        let all = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        all.get(key).and_then(|slot| slot.value.get().cloned())
    }

    /// The value of `key`, built by `build` unless it is there; a request that finds it being
    /// built waits for that build. `build` runs at most once at a time per key and, once it
    /// succeeded, never again while the key is kept.
    pub fn get_or_build<E>(&self, key: &K, build: impl FnOnce() -> Result<V, E>) -> Result<V, E> {
        let slot = {
            let mut all = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            match all.get(key) {
                Some(slot) => slot.clone(),
                None => {
                    if all.len() >= self.limit {
                        all.pop_first();
                    }
                    let slot = Arc::new(Slot {
                        value: OnceLock::new(),
                        building: Mutex::new(()),
                    });
                    all.insert(key.clone(), slot.clone());
                    slot
                }
            }
        };
        if let Some(v) = slot.value.get() {
            return Ok(v.clone());
        }
        let _one_at_a_time = slot.building.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(v) = slot.value.get() {
            return Ok(v.clone());
        }
        let v = build()?;
        Ok(slot.value.get_or_init(|| v).clone())
    }
}

/// Population indexes and task rules, by (bundle directory, commitment digest).
static POPULATIONS: Kept<(PathBuf, String), Arc<(PopulationIndex, TaskRules)>> = Kept::new(KEPT);

/// Facts of draws, by (bundle directory, commitment digest, state).
static FACTS: Kept<(PathBuf, String, String), Arc<DrawFacts>> = Kept::new(KEPT);

/// Builds done per bundle directory: (population indexes, facts). For tests and the log; one
/// entry per directory the service ever proved from (one per draw).
static BUILDS: Mutex<BTreeMap<PathBuf, (usize, usize)>> = Mutex::new(BTreeMap::new());

fn count_build(dir: &Path, facts: bool) {
    let mut all = BUILDS.lock().unwrap_or_else(PoisonError::into_inner);
    let n = all.entry(dir.to_path_buf()).or_default();
    if facts {
        n.1 += 1;
    } else {
        n.0 += 1;
    }
}

/// How many times this process built the population index and the facts of draws in `dir`
/// (`bundles/BATCH`).
pub fn builds(dir: &Path) -> (usize, usize) {
    BUILDS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(dir)
        .copied()
        .unwrap_or_default()
}

/// The population index and task rules of `bundle` with commitment `digest`, built once.
fn population(
    bundle: &Bundle,
    digest: &str,
) -> Result<Arc<(PopulationIndex, TaskRules)>, StepError> {
    POPULATIONS.get_or_build(&(bundle.dir.clone(), digest.to_string()), || {
        count_build(&bundle.dir, false);
        let started = std::time::Instant::now();
        let built = Arc::new((PopulationIndex::build(bundle)?, TaskRules::build(bundle)?));
        tracing::info!(bundle = %bundle.dir.display(), ms = started.elapsed().as_millis() as u64, "population index built");
        Ok(built)
    })
}

/// The facts of `draw`, read once per state.
fn facts(bundle: &Bundle, draw: &Draw) -> Result<Arc<DrawFacts>, StepError> {
    let key = (
        bundle.dir.clone(),
        draw.commitment_sha256.clone(),
        draw.state.clone(),
    );
    FACTS.get_or_build(&key, || {
        count_build(&bundle.dir, true);
        Ok(Arc::new(DrawFacts::read(bundle)?))
    })
}

/// Bundles whose plan index is being written in the background.
static PLAN_INDEXING: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// Writes the plan index of a revealed bundle in the background unless it is there or being
/// written (a bundle revealed before the index existed, or whose index was lost).
fn index_plan_later(bundle: &Bundle) {
    if !PLAN_INDEXING
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(bundle.dir.clone())
    {
        return;
    }
    let b = bundle.clone();
    std::thread::spawn(move || {
        match plan_index::ensure(&b) {
            Ok(true) => tracing::info!(bundle = %b.dir.display(), "plan index written"),
            Ok(false) => {}
            Err(e) => tracing::warn!(bundle = %b.dir.display(), "plan index not written: {e}"),
        }
        PLAN_INDEXING
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&b.dir);
    });
}

/// The proof of `uscc` in `draw` (blocking: it may index the population).
pub fn proof_of(s: &AppState, draw: &Draw, uscc: &Uscc) -> Result<Proof, StepError> {
    let bundle = Bundle::new(s.bundles.join(&draw.batch));
    let index = population(&bundle, &draw.commitment_sha256)?;
    let facts = facts(&bundle, draw)?;
    proof_from(&bundle, draw, &index, &facts, uscc)
}

/// The proof of `uscc` in `draw` if the draw's population index and facts are kept, else
/// `None` (then [`proof_of`], on a blocking thread, builds them). What is left is about 0.1 ms
/// of work — one chunk read from the page cache and hashed, a few reads of the plan index — so
/// the pages do it on their own task: handing it to a blocking thread and back cost more
/// (`docs/benchmarks.md`, "Portal figures").
pub fn kept_proof(s: &AppState, draw: &Draw, uscc: &Uscc) -> Option<Result<Proof, StepError>> {
    let bundle = Bundle::new(s.bundles.join(&draw.batch));
    let index = POPULATIONS.kept(&(bundle.dir.clone(), draw.commitment_sha256.clone()))?;
    let facts = FACTS.kept(&(
        bundle.dir.clone(),
        draw.commitment_sha256.clone(),
        draw.state.clone(),
    ))?;
    Some(proof_from(&bundle, draw, &index, &facts, uscc))
}

/// The enterprise's proof in `draw`: from what is kept when it is, else built on a blocking
/// thread (reading the bundle's files), as the fairness page and the proof JSON both need it.
pub async fn proof(
    s: &AppState,
    draw: &Draw,
    uscc: &Uscc,
) -> anyhow::Result<Result<Proof, StepError>> {
    if let Some(kept) = kept_proof(s, draw, uscc) {
        return Ok(kept);
    }
    let (state, found, uscc) = (s.clone(), draw.clone(), *uscc);
    tokio::task::spawn_blocking(move || proof_of(&state, &found, &uscc))
        .await
        .map_err(|e| anyhow::anyhow!("proof task: {e}"))
}

/// The proof from the kept index and facts. The plan index is opened per request (a few system
/// calls), so that one deleted meanwhile is noticed and written again.
fn proof_from(
    bundle: &Bundle,
    draw: &Draw,
    index: &(PopulationIndex, TaskRules),
    facts: &DrawFacts,
    uscc: &Uscc,
) -> Result<Proof, StepError> {
    let plan = if draw.revealed() {
        let plan = PlanIndex::open(bundle, &facts.manifest)?;
        if plan.is_none() {
            index_plan_later(bundle);
        }
        plan
    } else {
        None
    };
    crate::draw::proof::proof_with(bundle, &index.0, &index.1, facts, plan.as_ref(), uscc)
}

/// Prepares what the fairness check reads for every revealed draw: writes the plan indexes
/// that are missing and builds the population indexes and facts (`dualdraw serve` calls it at
/// start, in the background; `docs/portal.md`, "The plan index").
pub async fn warm(s: AppState) {
    let draws = match super::draws::all(&s).await {
        Ok(d) => d,
        Err(e) => return tracing::warn!("portal: draws not read at start: {e}"),
    };
    let newest: Vec<Draw> = draws
        .into_iter()
        .filter(|d| d.revealed())
        .take(KEPT)
        .collect();
    let dir = s.bundles.clone();
    let done = tokio::task::spawn_blocking(move || {
        for d in newest {
            let bundle = Bundle::new(dir.join(&d.batch));
            match plan_index::ensure(&bundle) {
                Ok(true) => tracing::info!(batch = %d.batch, "plan index written"),
                Ok(false) => {}
                Err(e) => tracing::warn!(batch = %d.batch, "plan index not written: {e}"),
            }
            if let Err(e) = population(&bundle, &d.commitment_sha256) {
                tracing::warn!(batch = %d.batch, "population index not built: {e}");
            }
            if let Err(e) = facts(&bundle, &d) {
                tracing::warn!(batch = %d.batch, "draw files not read: {e}");
            }
        }
    })
    .await;
    if let Err(e) = done {
        tracing::warn!("portal: warming failed: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Sixteen threads asking at once for a value that takes a while to build get the one value
    /// that one of them built.
    #[test]
    fn concurrent_first_requests_build_once() {
        let kept: Kept<u32, Arc<u64>> = Kept::new(2);
        let builds = AtomicUsize::new(0);
        let got: Vec<Arc<u64>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..16)
                .map(|_| {
                    scope.spawn(|| {
                        kept.get_or_build(&7, || {
                            let n = builds.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(std::time::Duration::from_millis(50));
                            Ok::<_, ()>(Arc::new(n as u64 + 100))
                        })
                        .unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(builds.load(Ordering::SeqCst), 1);
        assert!(got.iter().all(|v| Arc::ptr_eq(v, &got[0]) && **v == 100));
    }

    /// A failed build leaves nothing behind; a kept key is not built again; a third key
    /// replaces the smallest.
    #[test]
    fn a_failed_build_is_retried_and_the_smallest_key_goes() {
        let kept: Kept<u32, u64> = Kept::new(2);
        assert_eq!(kept.get_or_build(&1, || Err("no file")), Err("no file"));
        assert_eq!(kept.get_or_build(&1, || Ok::<_, ()>(10)), Ok(10));
        assert_eq!(kept.get_or_build(&1, || Ok::<_, ()>(11)), Ok(10));
        assert_eq!(kept.get_or_build(&2, || Ok::<_, ()>(20)), Ok(20));
        assert_eq!(kept.get_or_build(&3, || Ok::<_, ()>(30)), Ok(30));
        assert_eq!(kept.get_or_build(&2, || Ok::<_, ()>(21)), Ok(20));
        assert_eq!(
            kept.get_or_build(&1, || Ok::<_, ()>(12)),
            Ok(12),
            "1 was replaced"
        );
    }
}
