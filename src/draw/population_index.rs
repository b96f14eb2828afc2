//! An index of a bundle's committed population (`inputs/population.csv`) that answers one
//! enterprise's row and RFC 6962 inclusion proof (`docs/draw-protocol.md` §3) without hashing
//! the whole file again: the roots of aligned chunks of [`CHUNK`] leaves, the byte offset and
//! first USCC of each chunk. A proof hashes one chunk and walks the tree of chunk roots.
//!
//! Why this is the same tree: RFC 6962 splits n leaves at the largest power of two below n. For
//! n > CHUNK that split is a multiple of CHUNK, so every split above the chunks falls on a chunk
//! boundary and each aligned chunk (the last one possibly short) is a subtree; the tree over
//! the chunk roots, split by the same rule on their count, is the tree over the leaves.
//!
//! The path of each chunk's root in the tree of chunk roots is computed once, when the index is
//! built ([`all_paths`], linear in the number of chunks): computing it per proof hashed the
//! whole tree of chunk roots (about 7,600 SHA-256 blocks for the 3,789 chunks of 969,853 rows) on
//! every request (`docs/portal.md`, "What the service keeps in memory").

use super::bundle::{io, Bundle, BundleError};
use dualdraw_solver::merkle::{self, Hash};
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;

/// Leaves per chunk: a power of two. The index keeps a code, an offset and a path per chunk.
pub const CHUNK: usize = 256;

/// Leaves per group: a power of two that divides [`CHUNK`]. The index keeps the root of each
/// aligned group of a chunk (32 bytes per group); a proof reads its chunk and hashes one group
/// (about 2 × GROUP hashes) and the tree of its chunk's group roots (CHUNK / GROUP), instead of
/// the whole chunk (2 × CHUNK). The same argument as for chunks makes each aligned group (the
/// last one of the last chunk possibly short) a subtree of its chunk.
pub const GROUP: usize = 16;

/// One enterprise's row and its proof.
pub struct RowProof {
    pub row: String,
    pub index: usize,
    pub path: Vec<Hash>,
    pub leaf: Hash,
}

pub struct PopulationIndex {
    path: PathBuf,
    /// Byte offset of each chunk's first line, and the end of the file.
    offsets: Vec<u64>,
    /// The USCC of each chunk's first row.
    firsts: Vec<String>,
    /// The inclusion proof of each chunk's root in the tree of chunk roots.
    paths: Vec<Vec<Hash>>,
    /// The roots of each chunk's groups of [`GROUP`] leaves, chunk after chunk (CHUNK / GROUP
    /// per chunk, fewer for the last).
    groups: Vec<Hash>,
    pub size: usize,
    pub root: Hash,
}

impl PopulationIndex {
    /// Reads the population once.
    pub fn build(bundle: &Bundle) -> Result<PopulationIndex, BundleError> {
        let path = bundle.path("inputs/population.csv");
        let text = bundle.read("inputs/population.csv")?;
        let mut offset = text.find('\n').map_or(text.len(), |i| i + 1) as u64;
        let (mut offsets, mut firsts, mut roots) = (Vec::new(), Vec::new(), Vec::new());
        let mut groups = Vec::new();
        let mut leaves = Vec::with_capacity(CHUNK);
        let mut size = 0;
        for line in text[offset as usize..].lines() {
            if leaves.is_empty() {
                offsets.push(offset);
                firsts.push(line.split(',').next().unwrap_or("").to_string());
            }
            leaves.push(merkle::leaf_hash(line.as_bytes()));
            size += 1;
            offset += line.len() as u64 + 1;
            if leaves.len() == CHUNK {
                roots.push(chunk_root(&leaves, &mut groups));
                leaves.clear();
            }
        }
        if !leaves.is_empty() {
            roots.push(chunk_root(&leaves, &mut groups));
        }
        offsets.push(offset);
        let (root, paths) = all_paths(&roots);
        Ok(PopulationIndex {
            path,
            offsets,
            firsts,
            paths,
            groups,
            size,
            root,
        })
    }

    /// The row of `uscc` with its inclusion proof, or `None` if it is not in the population.
    pub fn find(&self, uscc: &str) -> Result<Option<RowProof>, BundleError> {
        let chunk = self.firsts.partition_point(|f| f.as_str() <= uscc);
        let Some(c) = chunk.checked_sub(1) else {
            return Ok(None);
        };
        let (from, to) = (self.offsets[c], self.offsets[c + 1]);
        let mut bytes = vec![0; (to - from) as usize];
        let mut f = std::fs::File::open(&self.path).map_err(|e| io(&self.path, e))?;
        f.seek(SeekFrom::Start(from))
            .and_then(|_| f.read_exact(&mut bytes))
            .map_err(|e| io(&self.path, e))?;
        let text = String::from_utf8(bytes).map_err(|e| io(&self.path, e))?;
        let rows: Vec<&str> = text.lines().collect();
        let Some(j) = rows.iter().position(|r| r.split(',').next() == Some(uscc)) else {
            return Ok(None);
        };
        // The row's group: its leaves, then the tree of the chunk's group roots, then the
        // tree of chunk roots.
        let g = j / GROUP;
        let leaves: Vec<Hash> = rows[g * GROUP..rows.len().min((g + 1) * GROUP)]
            .iter()
            .map(|r| merkle::leaf_hash(r.as_bytes()))
            .collect();
        let first_group = c * (CHUNK / GROUP);
        let chunk_groups =
            &self.groups[first_group..self.groups.len().min(first_group + CHUNK / GROUP)];
        let mut path = merkle::inclusion_proof(&leaves, j % GROUP);
        path.extend(merkle::inclusion_proof(chunk_groups, g));
        path.extend_from_slice(&self.paths[c]);
        Ok(Some(RowProof {
            row: rows[j].to_string(),
            index: c * CHUNK + j,
            path,
            leaf: leaves[j % GROUP],
        }))
    }
}

/// The root of a chunk's `leaves`, from the roots of its groups, which it appends to `groups`.
fn chunk_root(leaves: &[Hash], groups: &mut Vec<Hash>) -> Hash {
    let from = groups.len();
    groups.extend(leaves.chunks(GROUP).map(merkle::root));
    merkle::root(&groups[from..])
}

/// The RFC 6962 root of `hashes` and the inclusion proof of every one of them, hashing each
/// node once: at the split k of RFC 6962 the paths of the left leaves go on with the right
/// subtree's root, those of the right leaves with the left one's (bottom-up, as `PATH` lists
/// them). The empty list has the empty tree's root and no paths.
fn all_paths(hashes: &[Hash]) -> (Hash, Vec<Vec<Hash>>) {
    match hashes.len() {
        0 => (merkle::empty_root(), Vec::new()),
        1 => (hashes[0], vec![Vec::new()]),
        n => {
            let (left, right) = hashes.split_at(merkle::split_point(n));
            let (left_root, mut paths) = all_paths(left);
            let (right_root, right_paths) = all_paths(right);
            for p in &mut paths {
                p.push(right_root);
            }
            paths.extend(right_paths.into_iter().map(|mut p| {
                p.push(left_root);
                p
            }));
            (merkle::node_hash(&left_root, &right_root), paths)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_paths_are_the_inclusion_proofs_and_the_root() {
        for n in 0..70usize {
            let hashes: Vec<Hash> = (0..n as u64)
                .map(|i| merkle::leaf_hash(&i.to_be_bytes()))
                .collect();
            let (root, paths) = all_paths(&hashes);
            assert_eq!(root, merkle::root(&hashes), "n = {n}");
            assert_eq!(paths.len(), n);
            for (i, p) in paths.iter().enumerate() {
                assert_eq!(*p, merkle::inclusion_proof(&hashes, i), "n = {n}, i = {i}");
            }
        }
    }

    /// A population of `n` made-up rows in USCC order (codes need not be valid here).
    fn bundle(n: usize) -> (tempfile::TempDir, Bundle, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let rows: Vec<String> = (0..n)
            .map(|i| format!("9144{i:014},440305,C1391,B,false"))
            .collect();
        let b = Bundle::new(dir.path());
        let mut text = "uscc,region,industry,tier,key_supervision\n".to_string();
        for r in &rows {
            text.push_str(r);
            text.push('\n');
        }
        b.write("inputs/population.csv", &text).unwrap();
        (dir, b, rows)
    }

    #[test]
    fn chunked_proofs_are_the_proofs_of_the_whole_tree() {
        for n in [1, 2, 15, 17, 255, 256, 257, 300, 1025, 1300] {
            let (_dir, b, rows) = bundle(n);
            let index = PopulationIndex::build(&b).unwrap();
            let leaves: Vec<Hash> = rows
                .iter()
                .map(|r| merkle::leaf_hash(r.as_bytes()))
                .collect();
            assert_eq!(index.root, merkle::root(&leaves), "n = {n}");
            assert_eq!(index.size, n);
            // Every row of the first chunk and of the last (which may end in a short group).
            let last_chunk = (n - 1) / CHUNK * CHUNK;
            let every = (0..n.min(CHUNK)).chain(last_chunk..n);
            for i in every.chain([n / 2, 1024.min(n - 1)]) {
                let code = rows[i].split(',').next().unwrap();
                let p = index.find(code).unwrap().expect("a row of the population");
                assert_eq!((p.index, p.row.as_str()), (i, rows[i].as_str()));
                assert_eq!(
                    p.path,
                    merkle::inclusion_proof(&leaves, i),
                    "n = {n}, i = {i}"
                );
            }
            assert!(index.find("0").unwrap().is_none());
            assert!(index.find("9144999").unwrap().is_none());
        }
    }
}
