//! Roots, inclusion proofs and consistency proofs computed from stored hashes (tiles), and the
//! consistency check of RFC 9162 §2.1.4.2 (`docs/log.md` §2). Inclusion proofs are checked with
//! [`crate::merkle::verify_inclusion`].

use super::tiles::{level_of_height, HashReader};
use crate::merkle::{self, node_hash, Hash};

/// A hash the reader does not have: tile level and hash index. The caller fetches the tile that
/// holds it and tries again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("hash {index} of level {level} is not available")]
pub struct Missing {
    pub level: u8,
    pub index: u64,
}

/// The root of the complete subtree of height `height` whose first leaf is `index << height`.
pub fn subtree(r: &impl HashReader, height: u32, index: u64) -> Result<Hash, Missing> {
    let level = level_of_height(height);
    let rem = height % 8;
    let first = index << rem;
    let mut hashes = Vec::with_capacity(1 << rem);
    for i in first..first + (1u64 << rem) {
        hashes.push(r.hash(level, i).ok_or(Missing { level, index: i })?);
    }
    Ok(merkle::root(&hashes))
}

/// The largest power of two smaller than `n` (n ≥ 2), as [`crate::merkle::split_point`].
fn split(n: u64) -> u64 {
    crate::merkle::split_point(n as usize) as u64
}

/// RFC 6962 MTH(D[lo:hi]), reading whole stored subtrees where they are aligned.
pub fn range_hash(r: &impl HashReader, lo: u64, hi: u64) -> Result<Hash, Missing> {
    let n = hi - lo;
    if n == 0 {
        return Ok(merkle::empty_root());
    }
    if n.is_power_of_two() && lo.is_multiple_of(n) {
        return subtree(r, n.trailing_zeros(), lo / n);
    }
    let k = split(n);
    Ok(node_hash(
        &range_hash(r, lo, lo + k)?,
        &range_hash(r, lo + k, hi)?,
    ))
}

/// The root of the tree of the first `size` leaves.
pub fn root(r: &impl HashReader, size: u64) -> Result<Hash, Missing> {
    range_hash(r, 0, size)
}

/// RFC 6962 `PATH(m, D[n])`: the inclusion proof of leaf `m` in the tree of `n` leaves.
pub fn inclusion(r: &impl HashReader, m: u64, n: u64) -> Result<Vec<Hash>, Missing> {
    assert!(m < n, "leaf {m} is not in a tree of {n} leaves");
    let mut out = Vec::new();
    path(r, m, 0, n, &mut out)?;
    Ok(out)
}

fn path(r: &impl HashReader, m: u64, lo: u64, hi: u64, out: &mut Vec<Hash>) -> Result<(), Missing> {
    if hi - lo <= 1 {
        return Ok(());
    }
    let k = split(hi - lo);
    if m < lo + k {
        path(r, m, lo, lo + k, out)?;
        out.push(range_hash(r, lo + k, hi)?);
    } else {
        path(r, m, lo + k, hi, out)?;
        out.push(range_hash(r, lo, lo + k)?);
    }
    Ok(())
}

/// RFC 6962 `PROOF(m, D[n])`: the consistency proof from the tree of `m` leaves to that of `n`
/// (empty when `m` is 0 or `m == n`).
pub fn consistency(r: &impl HashReader, m: u64, n: u64) -> Result<Vec<Hash>, Missing> {
    assert!(m <= n, "size {m} is larger than {n}");
    let mut out = Vec::new();
    if m > 0 && m < n {
        subproof(r, m, 0, n, true, &mut out)?;
    }
    Ok(out)
}

fn subproof(
    r: &impl HashReader,
    m: u64,
    lo: u64,
    hi: u64,
    whole: bool,
    out: &mut Vec<Hash>,
) -> Result<(), Missing> {
    let n = hi - lo;
    if m == n {
        if !whole {
            out.push(range_hash(r, lo, hi)?);
        }
        return Ok(());
    }
    let k = split(n);
    if m <= k {
        subproof(r, m, lo, lo + k, whole, out)?;
        out.push(range_hash(r, lo + k, hi)?);
    } else {
        subproof(r, m - k, lo + k, hi, false, out)?;
        out.push(range_hash(r, lo, lo + k)?);
    }
    Ok(())
}

/// Checks that the tree (`second`, `second_root`) extends (`first`, `first_root`), with the
/// algorithm of RFC 9162 §2.1.4.2. Any tree extends the empty tree (with an empty proof).
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    proof: &[Hash],
) -> bool {
    if first > second {
        return false;
    }
    if first == second {
        return proof.is_empty() && first_root == second_root;
    }
    if first == 0 {
        return proof.is_empty();
    }
    if proof.is_empty() {
        return false;
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    let (mut f_n, mut s_n) = (first - 1, second - 1);
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    fr == *first_root && sr == *second_root && s_n == 0
}
