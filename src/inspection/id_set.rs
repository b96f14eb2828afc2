//! A set of row ids in blocks of bits: the jobs an import has already seen (`docs/results.md`
//! §3, "a second row for the same job in the file"). Job ids are handed out in sequence, so a
//! file of a million results touches a few dozen blocks of 8 KiB (about 128 KiB) where a hash
//! set of the same ids takes tens of megabytes: the import's memory stays flat.

use std::collections::BTreeMap;

/// Ids per block: 2^16 bits, 8 KiB.
const BLOCK_BITS: i64 = 1 << 16;
const WORDS: usize = (BLOCK_BITS / 64) as usize;

#[derive(Default)]
pub struct IdSet {
    blocks: BTreeMap<i64, Box<[u64; WORDS]>>,
}

impl IdSet {
    /// Adds `id`; false if it was already there.
    pub fn insert(&mut self, id: i64) -> bool {
        let (block, bit) = (id.div_euclid(BLOCK_BITS), id.rem_euclid(BLOCK_BITS));
        let words = self
            .blocks
            .entry(block)
            .or_insert_with(|| Box::new([0; WORDS]));
        let (word, mask) = ((bit / 64) as usize, 1u64 << (bit % 64));
        let new = words[word] & mask == 0;
        words[word] |= mask;
        new
    }

    /// Whether `id` is in the set.
    pub fn contains(&self, id: i64) -> bool {
        let (block, bit) = (id.div_euclid(BLOCK_BITS), id.rem_euclid(BLOCK_BITS));
        self.blocks
            .get(&block)
            .is_some_and(|w| w[(bit / 64) as usize] & (1u64 << (bit % 64)) != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_every_id_once_across_blocks_and_signs() {
        let mut s = IdSet::default();
        for id in [0, 1, 63, 64, 65_535, 65_536, 1 << 40, -1, -65_537] {
            assert!(!s.contains(id), "{id} not yet");
            assert!(s.insert(id), "{id} is new");
            assert!(s.contains(id), "{id} now");
            assert!(!s.insert(id), "{id} the second time");
        }
        assert!(!s.contains(2) && !s.contains(65_537) && !s.contains(-2));
        assert_eq!(s.blocks.len(), 5);
    }
}
