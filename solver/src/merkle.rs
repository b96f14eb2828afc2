//! The Merkle tree of the append-only log and of snapshot rows (`docs/architecture.md`, "The draw
//! protocol", rules 3 and 6).
//!
//! This is exactly the Merkle Tree Hash of RFC 6962 section 2.1 (unchanged in RFC 9162
//! section 2.1.1), with SHA-256:
//!
//! - the hash of the empty tree is `SHA-256("")`;
//! - a leaf is hashed as `SHA-256(0x00 ‖ leaf)`;
//! - an interior node is hashed as `SHA-256(0x01 ‖ left ‖ right)`;
//! - a tree of `n > 1` leaves splits at the largest power of two `k < n`: the left subtree holds
//!   the first `k` leaves, the right subtree the rest.
//!
//! Inclusion proofs are RFC 6962 `PATH(m, D[n])` (section 2.1.1) and are checked with the
//! verification algorithm of RFC 9162 section 2.1.3.2, so an enterprise can check its row in a
//! snapshot with any Certificate Transparency tool. Roots of very large trees (tens of millions
//! of rows) are computed by [`RootBuilder`] in one pass with `O(log n)` memory.

use sha2::{Digest, Sha256};

/// A SHA-256 digest: a leaf hash, a node hash or a tree root.
pub type Hash = [u8; 32];

/// Domain-separation prefix of a leaf hash (RFC 6962 section 2.1).
const LEAF_PREFIX: u8 = 0x00;
/// Domain-separation prefix of an interior node hash (RFC 6962 section 2.1).
const NODE_PREFIX: u8 = 0x01;

/// The root of the empty tree: `SHA-256("")`.
pub fn empty_root() -> Hash {
    Sha256::digest(b"").into()
}

/// SHA-256's initial state (FIPS 180-4 §5.3.3).
const H0: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// SHA-256 of messages already padded into blocks: leaves and nodes are hashed in tens of
/// millions, and the padding of their fixed shapes is known in advance.
fn padded(blocks: &[[u8; 64]]) -> Hash {
    use sha2::digest::generic_array::GenericArray;
    let mut state = H0;
    for b in blocks {
        sha2::compress256(&mut state, &[GenericArray::clone_from_slice(b)]);
    }
    let mut out = [0u8; 32];
    for (o, w) in out.chunks_exact_mut(4).zip(state) {
        o.copy_from_slice(&w.to_be_bytes());
    }
    out
}

/// The hash of one leaf: `SHA-256(0x00 ‖ data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    if data.len() <= 54 {
        // One block: 0x00, the data, 0x80, zeros, the length in bits.
        let mut block = [0u8; 64];
        block[1..1 + data.len()].copy_from_slice(data);
        block[1 + data.len()] = 0x80;
        block[56..].copy_from_slice(&((1 + data.len() as u64) * 8).to_be_bytes());
        return padded(&[block]);
    }
    Sha256::new()
        .chain_update([LEAF_PREFIX])
        .chain_update(data)
        .finalize()
        .into()
}

/// The hash of an interior node: `SHA-256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    // 65 bytes in two blocks: 0x01, left, right, then 0x80, zeros and 520 (bits).
    let mut a = [0u8; 64];
    a[0] = NODE_PREFIX;
    a[1..33].copy_from_slice(left);
    a[33..].copy_from_slice(&right[..31]);
    let mut b = [0u8; 64];
    b[0] = right[31];
    b[1] = 0x80;
    b[56..].copy_from_slice(&520u64.to_be_bytes());
    padded(&[a, b])
}

/// The RFC 6962 Merkle Tree Hash of a list of leaf hashes, in linear time and `O(log n)` memory.
///
/// The empty list gives [`empty_root`].
pub fn root(leaf_hashes: &[Hash]) -> Hash {
    let mut builder = RootBuilder::new();
    for h in leaf_hashes {
        builder.push_hash(*h);
    }
    builder.finish().1
}

/// Computes the RFC 6962 root of a stream of leaves without holding them in memory.
///
/// It keeps the roots of the complete subtrees seen so far, one per set bit of the leaf count
/// (so at most 64), and merges two equal-sized ones as soon as both exist. At the end the
/// remaining subtrees, largest on the left, are folded from the right, which is exactly the
/// split at the largest power of two of RFC 6962.
#[derive(Debug, Clone, Default)]
pub struct RootBuilder {
    /// Roots of complete subtrees, sizes strictly decreasing from bottom to top of the stack.
    stack: Vec<Hash>,
    /// Number of leaves pushed so far.
    count: u64,
}

impl RootBuilder {
    /// A builder for an empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a leaf given by its data; it is hashed with [`leaf_hash`].
    pub fn push(&mut self, leaf: &[u8]) {
        self.push_hash(leaf_hash(leaf));
    }

    /// Appends a leaf given by its leaf hash (already `SHA-256(0x00 ‖ data)`).
    pub fn push_hash(&mut self, h: Hash) {
        let mut merged = h;
        // Each trailing one bit of the count is a complete subtree of the same size as the one
        // being carried: merge, like a binary increment.
        let mut n = self.count;
        while n & 1 == 1 {
            let left = self
                .stack
                .pop()
                .expect("one subtree per set bit of the count");
            merged = node_hash(&left, &merged);
            n >>= 1;
        }
        self.stack.push(merged);
        self.count += 1;
    }

    /// Number of leaves pushed so far.
    pub fn len(&self) -> u64 {
        self.count
    }

    /// Whether no leaf has been pushed.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The number of leaves and the RFC 6962 root of the tree.
    pub fn finish(mut self) -> (u64, Hash) {
        let Some(mut acc) = self.stack.pop() else {
            return (0, empty_root());
        };
        while let Some(left) = self.stack.pop() {
            acc = node_hash(&left, &acc);
        }
        (self.count, acc)
    }
}

/// The largest power of two strictly smaller than `n` (`n >= 2`): RFC 6962's `k`.
pub fn split_point(n: usize) -> usize {
    debug_assert!(n >= 2);
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// The inclusion proof (audit path) of leaf `index` in the tree of `leaf_hashes`: RFC 6962
/// `PATH(m, D[n])`, ordered from the leaf's sibling up to the child of the root.
///
/// A tree of one leaf has the empty proof. Linear time in the number of leaves.
///
/// # Panics
///
/// If `index >= leaf_hashes.len()`: there is no such leaf.
pub fn inclusion_proof(leaf_hashes: &[Hash], index: usize) -> Vec<Hash> {
    assert!(
        index < leaf_hashes.len(),
        "leaf index {index} out of range for a tree of {} leaves",
        leaf_hashes.len()
    );
    // Walk down from the root, taking the sibling subtree's root at each split; PATH lists them
    // bottom-up, so reverse at the end.
    let mut path = Vec::new();
    let mut subtree = leaf_hashes;
    let mut m = index;
    while subtree.len() > 1 {
        let k = split_point(subtree.len());
        let (left, right) = subtree.split_at(k);
        if m < k {
            path.push(root(right));
            subtree = left;
        } else {
            path.push(root(left));
            subtree = right;
            m -= k;
        }
    }
    path.reverse();
    path
}

/// Checks that `leaf_hash` is leaf `index` of the tree of `size` leaves whose root is `root`,
/// with the algorithm of RFC 9162 section 2.1.3.2.
///
/// Returns `false` for an index outside the tree, a proof of the wrong length or any hash that
/// does not match. Note that, as in RFC 9162, the proof authenticates the leaf against the root;
/// the tree size itself is authenticated by whoever signs `(size, root)`.
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> bool {
    if index >= size {
        return false;
    }
    let mut f_n = index;
    let mut s_n = size - 1;
    let mut r = *leaf_hash;
    for p in proof {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    s_n == 0 && r == *root
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// Certificate Transparency reference vectors (see the file's `_source`).
    const CT_VECTORS: &str = include_str!("../../seeds/vectors/merkle/rfc6962-ct.json");

    fn vectors() -> Value {
        serde_json::from_str(CT_VECTORS).expect("vector file is JSON")
    }

    fn hash_of(v: &Value) -> Hash {
        let bytes = hex::decode(v.as_str().expect("hex string")).expect("valid hex");
        bytes.try_into().expect("32-byte hash")
    }

    fn hashes_of(v: &Value) -> Vec<Hash> {
        v.as_array().expect("array").iter().map(hash_of).collect()
    }

    fn ct_leaf_hashes(v: &Value) -> Vec<Hash> {
        v["leaves"]
            .as_array()
            .expect("leaves")
            .iter()
            .map(|l| leaf_hash(&hex::decode(l.as_str().unwrap()).unwrap()))
            .collect()
    }

    /// MTH straight from the recursive definition in RFC 6962 section 2.1.
    fn reference_root(d: &[Hash]) -> Hash {
        match d.len() {
            0 => Sha256::digest(b"").into(),
            1 => d[0],
            n => {
                let mut k = 1;
                while k * 2 < n {
                    k *= 2;
                }
                node_hash(&reference_root(&d[..k]), &reference_root(&d[k..]))
            }
        }
    }

    fn synthetic_leaves(n: usize) -> Vec<Hash> {
        (0..n as u64).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    fn flip_bit(h: &Hash, bit: usize) -> Hash {
        let mut out = *h;
        out[bit / 8] ^= 1 << (bit % 8);
        out
    }

    #[test]
    fn hashes_leaves_and_empty_tree_as_published() {
        let v = vectors();
        assert_eq!(empty_root(), hash_of(&v["empty_root"]));
        for case in v["leaf_hashes"].as_array().unwrap() {
            let data = hex::decode(case["data"].as_str().unwrap()).unwrap();
            assert_eq!(leaf_hash(&data), hash_of(&case["hash"]), "{case}");
        }
    }

    #[test]
    fn roots_of_sizes_zero_to_eight_match_ct_vectors() {
        let v = vectors();
        let leaves = ct_leaf_hashes(&v);
        let roots = hashes_of(&v["roots"]);
        assert_eq!(roots.len(), 9);
        for (size, expected) in roots.iter().enumerate() {
            assert_eq!(root(&leaves[..size]), *expected, "size {size}");
        }
    }

    #[test]
    fn complete_subtrees_match_ct_node_hashes() {
        let v = vectors();
        let leaves = ct_leaf_hashes(&v);
        for (level, nodes) in v["node_hashes"].as_array().unwrap().iter().enumerate() {
            let width = 1 << level;
            for (i, expected) in hashes_of(nodes).iter().enumerate() {
                assert_eq!(root(&leaves[i * width..(i + 1) * width]), *expected);
            }
        }
    }

    #[test]
    fn inclusion_proofs_match_ct_vectors_and_verify() {
        let v = vectors();
        let leaves = ct_leaf_hashes(&v);
        let roots = hashes_of(&v["roots"]);
        for case in v["inclusion_proofs"].as_array().unwrap() {
            let index = case["index"].as_u64().unwrap();
            let size = case["size"].as_u64().unwrap();
            let expected = hashes_of(&case["path"]);
            let tree = &leaves[..size as usize];
            assert_eq!(inclusion_proof(tree, index as usize), expected, "{case}");
            let root = roots[size as usize];
            let leaf = leaves[index as usize];
            assert!(verify_inclusion(&leaf, index, size, &expected, &root));
            // The corruptions of transparency-dev/merkle proof/verify_test.go.
            let some_hash = [0xab; 32];
            assert!(!verify_inclusion(
                &leaf,
                index.wrapping_sub(1),
                size,
                &expected,
                &root
            ));
            assert!(!verify_inclusion(&leaf, index + 1, size, &expected, &root));
            assert!(!verify_inclusion(&leaf, index ^ 2, size, &expected, &root));
            assert!(!verify_inclusion(&leaf, index, size * 2, &expected, &root));
            assert!(!verify_inclusion(&leaf, index, size / 2, &expected, &root));
            assert!(!verify_inclusion(&some_hash, index, size, &expected, &root));
            assert!(!verify_inclusion(
                &leaf,
                index,
                size,
                &expected,
                &empty_root()
            ));
            let mut longer = expected.clone();
            longer.push(root);
            assert!(!verify_inclusion(&leaf, index, size, &longer, &root));
            let mut preceded = vec![root];
            preceded.extend_from_slice(&expected);
            assert!(!verify_inclusion(&leaf, index, size, &preceded, &root));
            if !expected.is_empty() {
                let shorter = &expected[..expected.len() - 1];
                assert!(!verify_inclusion(&leaf, index, size, shorter, &root));
            }
        }
    }

    #[test]
    fn root_and_builder_follow_the_rfc_definition_for_sizes_0_to_100() {
        let leaves = synthetic_leaves(100);
        for n in 0..=100 {
            let expected = reference_root(&leaves[..n]);
            assert_eq!(root(&leaves[..n]), expected, "root() size {n}");
            let mut builder = RootBuilder::new();
            for h in &leaves[..n] {
                builder.push_hash(*h);
            }
            assert_eq!(builder.len(), n as u64);
            assert_eq!(builder.finish(), (n as u64, expected), "builder size {n}");
        }
    }

    #[test]
    fn builder_push_hashes_leaf_data() {
        let v = vectors();
        let mut builder = RootBuilder::new();
        assert!(builder.is_empty());
        for l in v["leaves"].as_array().unwrap() {
            builder.push(&hex::decode(l.as_str().unwrap()).unwrap());
        }
        assert_eq!(builder.finish(), (8, hash_of(&v["roots"][8])));
    }

    #[test]
    fn every_leaf_of_trees_up_to_40_verifies_and_any_flipped_bit_fails() {
        let leaves = synthetic_leaves(40);
        for size in 1..=40usize {
            let tree = &leaves[..size];
            let tree_root = root(tree);
            for index in 0..size {
                let proof = inclusion_proof(tree, index);
                let (i, n, leaf) = (index as u64, size as u64, tree[index]);
                assert!(verify_inclusion(&leaf, i, n, &proof, &tree_root));
                assert!(!verify_inclusion(&leaf, n, n, &proof, &tree_root));
                for bit in [0, 7, 100, 255] {
                    let bad_leaf = flip_bit(&leaf, bit);
                    assert!(!verify_inclusion(&bad_leaf, i, n, &proof, &tree_root));
                    let bad_root = flip_bit(&tree_root, bit);
                    assert!(!verify_inclusion(&leaf, i, n, &proof, &bad_root));
                    for k in 0..proof.len() {
                        let mut bad = proof.clone();
                        bad[k] = flip_bit(&bad[k], bit);
                        assert!(!verify_inclusion(&leaf, i, n, &bad, &tree_root));
                    }
                }
                if index ^ 1 < size {
                    assert!(!verify_inclusion(&leaf, i ^ 1, n, &proof, &tree_root));
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "out of range")]
    fn inclusion_proof_of_missing_leaf_panics() {
        inclusion_proof(&synthetic_leaves(3), 3);
    }

    #[test]
    fn padded_hashes_are_sha256() {
        for len in 0..120 {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            let mut m = vec![LEAF_PREFIX];
            m.extend_from_slice(&data);
            assert_eq!(
                leaf_hash(&data),
                <[u8; 32]>::from(Sha256::digest(&m)),
                "{len}"
            );
        }
        let (l, r) = ([3u8; 32], [9u8; 32]);
        let mut m = vec![NODE_PREFIX];
        m.extend_from_slice(&l);
        m.extend_from_slice(&r);
        assert_eq!(node_hash(&l, &r), <[u8; 32]>::from(Sha256::digest(&m)));
    }
}
