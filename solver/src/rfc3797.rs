//! Ceremonial draws from a published list: RFC 3797 byte for byte, and dualdraw's `dr1`.
//!
//! RFC 3797 ("Publicly Verifiable Nominations Committee (NomCom) Random Selection",
//! D. Eastlake, June 2004) is the selection procedure the IETF has run every year since 2004.
//! `docs/architecture.md` ("The draw protocol") offers it for small draws in front of witnesses, so that a
//! draw can be checked with any existing RFC 3797 implementation: [`key_string`] is its
//! section 4 key and [`select`] its section 4 selection, reproducing the section 6 example.
//!
//! [`select_dr1`] is the default method of `dualdraw pick`: every entry's number comes from the
//! key and the entry's own text, so an entry's fate does not depend on its place in the list or
//! on the other entries (rule 3), whereas RFC 3797 selects by position.
//!
//! Sources are integers only. RFC 3797 also allows other values (prices with decimals, text);
//! we refuse them rather than guess how they were meant to be written ([`parse_source`]).
//! Everything that decides a selection is integers and fixed-width hashes (rule 4); the entropy
//! estimate ([`required_bits`], [`source_bits`]) only decides whether to warn.

use md5::{Digest, Md5};
use sha2::Sha256;

/// The most selections RFC 3797 can make: the step counter is two bytes.
pub const MAX_SELECTIONS: usize = 1 << 16;

/// Domain tag of `dr1` numbers, so they never coincide with a hash made for another purpose.
pub const DR1_TAG: &[u8] = b"dualdraw-dr1-pick";

/// Why a published source is not a list of non-negative integers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error("no values")]
    Empty,
    #[error("'{0}' is not a whole number; only non-negative integers are accepted")]
    NotAnInteger(String),
    #[error("'{0}' is too large (at most {max})", max = u64::MAX)]
    TooLarge(String),
}

/// Parses one source as published: integers separated by spaces and/or commas (`,` or `，`).
///
/// Leading zeros are accepted and dropped, as the canonical form has none.
pub fn parse_source(text: &str) -> Result<Vec<u64>, SourceError> {
    let values = text
        .split(|c: char| c == ',' || c == '，' || c.is_whitespace())
        .filter(|token| !token.is_empty())
        .map(parse_value)
        .collect::<Result<Vec<_>, _>>()?;
    if values.is_empty() {
        return Err(SourceError::Empty);
    }
    Ok(values)
}

fn parse_value(token: &str) -> Result<u64, SourceError> {
    if !token.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SourceError::NotAnInteger(token.to_owned()));
    }
    token
        .parse()
        .map_err(|_| SourceError::TooLarge(token.to_owned()))
}

/// The RFC 3797 key string: for each source in published order, its values sorted ascending,
/// each in plain decimal followed by `.`, then `/`.
///
/// `[[9319], [2, 5, 12, 8, 10]]` gives `9319./2.5.8.10.12./`. The key is the string's ASCII bytes.
pub fn key_string(sources: &[Vec<u64>]) -> String {
    let mut key = String::new();
    for source in sources {
        let mut values = source.clone();
        values.sort_unstable();
        for value in values {
            key += &value.to_string();
            key.push('.');
        }
        key.push('/');
    }
    key
}

/// MD5(c ‖ key ‖ c) for selection `step`, c being the step as two bytes big-endian.
pub fn selection_digest(key: &[u8], step: u16) -> [u8; 16] {
    let c = step.to_be_bytes();
    Md5::new()
        .chain_update(c)
        .chain_update(key)
        .chain_update(c)
        .finalize()
        .into()
}

/// One RFC 3797 selection, with what a witness compares against a published table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// [`selection_digest`] of this step.
    pub digest: [u8; 16],
    /// Entries still in the pool before this selection.
    pub remaining: usize,
    /// 0-based position of the chosen entry in the original pool.
    pub index: usize,
}

/// The RFC 3797 selections from a pool of `pool` entries, in order of selection.
///
/// Step i reads [`selection_digest`] as a 128-bit big-endian number, takes it modulo the entries
/// left and removes the entry at that 0-based position from the remaining ones, which keep
/// their original order. At most `count` steps; fewer when the pool runs out.
///
/// # Panics
///
/// When more than [`MAX_SELECTIONS`] selections would be made.
pub fn steps(key: &[u8], pool: usize, count: usize) -> Vec<Step> {
    let count = count.min(pool);
    assert!(
        count <= MAX_SELECTIONS,
        "RFC 3797 makes at most {MAX_SELECTIONS} selections"
    );
    let mut left: Vec<usize> = (0..pool).collect();
    (0..count)
        .map(|i| {
            let step = u16::try_from(i).expect("count is at most MAX_SELECTIONS");
            let digest = selection_digest(key, step);
            let remaining = left.len();
            let at = u128::from_be_bytes(digest) % remaining as u128;
            let index = left.remove(usize::try_from(at).expect("less than the pool size"));
            Step {
                digest,
                remaining,
                index,
            }
        })
        .collect()
}

/// 0-based indices into the pool in RFC 3797 order of selection (see [`steps`]).
///
/// Asking for more never changes the earlier selections: alternates are the next ones.
pub fn select(key: &[u8], pool: usize, count: usize) -> Vec<usize> {
    steps(key, pool, count)
        .into_iter()
        .map(|s| s.index)
        .collect()
}

/// An entry's `dr1` number: SHA-256([`DR1_TAG`] ‖ 0x00 ‖ key ‖ 0x00 ‖ entry), a 256-bit
/// big-endian number. The key holds no zero byte, so the input splits one way only.
pub fn dr1_number(key: &[u8], entry: &str) -> [u8; 32] {
    Sha256::new()
        .chain_update(DR1_TAG)
        .chain_update([0])
        .chain_update(key)
        .chain_update([0])
        .chain_update(entry.as_bytes())
        .finalize()
        .into()
}

/// 0-based indices of the `count` entries with the smallest [`dr1_number`]s, smallest first;
/// equal numbers (identical entries) go by position. Fewer when the list runs out.
///
/// An entry's number depends on the key and its own text only, so reordering the list or
/// adding entries never changes how two entries compare; asking for more never changes the
/// earlier picks.
pub fn select_dr1(key: &[u8], entries: &[&str], count: usize) -> Vec<usize> {
    let mut numbered: Vec<([u8; 32], usize)> = entries
        .iter()
        .enumerate()
        .map(|(i, entry)| (dr1_number(key, entry), i))
        .collect();
    if count < numbered.len() {
        // The first `count` after this are the smallest, in some order.
        numbered.select_nth_unstable(count);
        numbered.truncate(count);
    }
    numbered.sort_unstable();
    numbered.into_iter().map(|(_, i)| i).collect()
}

/// Bits of entropy a draw of `count` from `pool` needs: ⌈log2 C(pool, count)⌉, the measure of
/// RFC 3797 section 3.3 (0 when `count > pool`).
///
/// Exact while C(pool, count) fits in 128 bits; beyond, a sum of fixed-point logarithms good
/// to well under a bit. Only a warning depends on it.
pub fn required_bits(pool: usize, count: usize) -> u64 {
    if count > pool {
        return 0;
    }
    let k = count.min(pool - count);
    match binomial(pool as u128, k as u128) {
        Some(c) => u64::from(u128::BITS - (c - 1).leading_zeros()),
        None => {
            let fixed = log2_binomial_fixed(pool as u64, k as u64);
            u64::try_from(fixed.div_ceil(1 << FRAC_BITS)).unwrap_or(u64::MAX)
        }
    }
}

/// Estimated bits of entropy in the sources: log2 10 ≈ 3.321 bits per decimal digit of every
/// value, rounded down.
///
/// Generous: values drawn from a small range carry less (six numbers of 49 carry
/// log2 C(49, 6) ≈ 23.7 bits; their eleven or so digits are counted as 36), and leading zeros
/// are not counted. It catches gross shortfalls; the published analysis of each source
/// (RFC 3797 section 3) is the real check.
pub fn source_bits(sources: &[Vec<u64>]) -> u64 {
    let digits: u64 = sources
        .iter()
        .flatten()
        .map(|v| u64::from(v.checked_ilog10().unwrap_or(0) + 1))
        .sum();
    digits * 3321 / 1000
}

/// C(n, k) if it and every intermediate C(n, i)·(n − i) fit in 128 bits.
fn binomial(n: u128, k: u128) -> Option<u128> {
    // C(n, i + 1) = C(n, i)·(n − i)/(i + 1), and the division is exact.
    (0..k).try_fold(1u128, |c, i| Some(c.checked_mul(n - i)? / (i + 1)))
}

/// Fractional bits of the fixed-point logarithms below.
const FRAC_BITS: u32 = 32;

/// log2 C(n, k) in fixed point with [`FRAC_BITS`] fractional bits, for k ≤ n/2.
fn log2_binomial_fixed(n: u64, k: u64) -> u128 {
    let (num, den) = (0..k).fold((0u128, 0u128), |(num, den), i| {
        (num + log2_fixed(n - i), den + log2_fixed(i + 1))
    });
    num.saturating_sub(den)
}

/// log2 n (n ≥ 1) in fixed point with [`FRAC_BITS`] fractional bits, rounded down: the integer
/// part is the bit length; each fractional bit comes from squaring the mantissa.
fn log2_fixed(n: u64) -> u128 {
    let int = n.ilog2();
    // Mantissa n / 2^int in [1, 2), with 63 fractional bits.
    let mut x = u128::from(n) << (63 - int);
    let mut frac = 0u128;
    for _ in 0..FRAC_BITS {
        x = (x * x) >> 63;
        frac <<= 1;
        if x >= 2 << 63 {
            x >>= 1;
            frac |= 1;
        }
    }
    (u128::from(int) << FRAC_BITS) | frac
}

#[cfg(test)]
mod tests {
    use super::*;

    const POOL: &str = include_str!("../../seeds/vectors/rfc3797/pool.txt");
    const SOURCES: &str = include_str!("../../seeds/vectors/rfc3797/sources.txt");
    const KEY: &str = include_str!("../../seeds/vectors/rfc3797/key.txt");
    const EXPECTED: &str = include_str!("../../seeds/vectors/rfc3797/expected.txt");
    const DR1_EXPECTED: &str = include_str!("../../seeds/vectors/rfc3797/dr1-expected.txt");
    const ENTROPY: &str = include_str!("../../seeds/vectors/rfc3797/entropy.txt");

    fn pool() -> Vec<&'static str> {
        POOL.lines().collect()
    }

    fn sources() -> Vec<Vec<u64>> {
        SOURCES.lines().map(|l| parse_source(l).unwrap()).collect()
    }

    fn key() -> String {
        key_string(&sources())
    }

    /// Rows of a vector file: fields split on spaces, `#` comments skipped.
    fn rows(text: &str) -> Vec<Vec<&str>> {
        text.lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| l.split(' ').collect())
            .collect()
    }

    fn num(field: &str) -> usize {
        field.parse().unwrap()
    }

    #[test]
    fn key_string_of_the_rfc_example() {
        assert_eq!(key(), KEY.trim_end());
    }

    #[test]
    fn reproduces_the_rfc_section_6_example() {
        let pool = pool();
        assert_eq!(pool.len(), 25);
        let expected = rows(EXPECTED);
        let steps = steps(key().as_bytes(), pool.len(), expected.len());
        assert_eq!(steps.len(), 10);
        for (step, row) in steps.iter().zip(&expected) {
            assert_eq!(hex::encode_upper(step.digest), row[1], "step {}", row[0]);
            assert_eq!(step.remaining, num(row[2]), "step {}", row[0]);
            assert_eq!(step.index + 1, num(row[3]), "step {}", row[0]);
            assert_eq!(pool[step.index], row[4], "step {}", row[0]);
        }
    }

    #[test]
    fn asking_for_more_keeps_the_earlier_selections() {
        let key = key();
        let all = select(key.as_bytes(), 25, 25);
        for count in 0..=25 {
            assert_eq!(select(key.as_bytes(), 25, count), all[..count]);
        }
        let mut sorted = all.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..25).collect::<Vec<_>>(), "a permutation");
        assert_eq!(
            select(key.as_bytes(), 25, 40),
            all,
            "stops when the pool runs out"
        );
    }

    #[test]
    fn dr1_reproduces_its_vector() {
        let pool = pool();
        let expected = rows(DR1_EXPECTED);
        let key = key();
        let picks = select_dr1(key.as_bytes(), &pool, pool.len());
        assert_eq!(picks.len(), expected.len());
        for (&index, row) in picks.iter().zip(&expected) {
            let number = dr1_number(key.as_bytes(), pool[index]);
            assert_eq!(hex::encode(number), row[1], "step {}", row[0]);
            assert_eq!(index + 1, num(row[3]), "step {}", row[0]);
            assert_eq!(pool[index], row[4], "step {}", row[0]);
        }
    }

    #[test]
    fn dr1_does_not_depend_on_the_list_order() {
        let key = key();
        let pool = pool();
        let names = |list: &[&'static str], count| -> Vec<&'static str> {
            select_dr1(key.as_bytes(), list, count)
                .into_iter()
                .map(|i| list[i])
                .collect()
        };
        let reference = names(&pool, 10);
        let mut reversed = pool.clone();
        reversed.reverse();
        assert_eq!(names(&reversed, 10), reference);
        for shift in 1..pool.len() {
            let mut rotated = pool.clone();
            rotated.rotate_left(shift);
            assert_eq!(names(&rotated, 10), reference, "rotated by {shift}");
        }
    }

    #[test]
    fn dr1_asking_for_more_keeps_the_earlier_picks() {
        let pool = pool();
        for seed in 0..50u64 {
            let key = key_string(&[vec![seed, seed * 7919]]);
            let all = select_dr1(key.as_bytes(), &pool, pool.len());
            for count in 0..=pool.len() {
                assert_eq!(select_dr1(key.as_bytes(), &pool, count), all[..count]);
            }
        }
    }

    #[test]
    fn dr1_breaks_ties_by_position() {
        let list = ["b", "a", "b", "a"];
        let picks = select_dr1(b"1./", &list, 4);
        let a_first = picks[0] == 1;
        let expected = if a_first { [1, 3, 0, 2] } else { [0, 2, 1, 3] };
        assert_eq!(picks, expected);
    }

    #[test]
    fn different_keys_give_different_draws() {
        let pool = pool();
        let a = select_dr1(b"1./", &pool, 10);
        let b = select_dr1(b"2./", &pool, 10);
        assert_ne!(a, b);
        assert_ne!(select(b"1./", 25, 10), select(b"2./", 25, 10));
    }

    #[test]
    fn parses_sources_as_published() {
        assert_eq!(parse_source("2, 5, 12, 8, 10"), Ok(vec![2, 5, 12, 8, 10]));
        assert_eq!(parse_source(" 9319 "), Ok(vec![9319]));
        assert_eq!(parse_source("1,2 3\t4"), Ok(vec![1, 2, 3, 4]));
        assert_eq!(parse_source("7，8"), Ok(vec![7, 8]));
        assert_eq!(key_string(&[parse_source("007 10").unwrap()]), "7.10./");
    }

    #[test]
    fn refuses_sources_that_are_not_integers() {
        let not = |s: &str| Err(SourceError::NotAnInteger(s.into()));
        assert_eq!(parse_source("10601.70"), not("10601.70"));
        assert_eq!(parse_source("3 -5"), not("-5"));
        assert_eq!(parse_source("3 +5"), not("+5"));
        assert_eq!(parse_source("12 abc"), not("abc"));
        assert_eq!(parse_source(" , "), Err(SourceError::Empty));
        let big = "18446744073709551616";
        assert_eq!(parse_source(big), Err(SourceError::TooLarge(big.into())));
        assert_eq!(parse_source("18446744073709551615"), Ok(vec![u64::MAX]));
    }

    #[test]
    fn required_bits_match_the_vectors() {
        for row in rows(ENTROPY) {
            let (pool, count, bits) = (num(row[0]), num(row[1]), num(row[2]));
            assert_eq!(
                required_bits(pool, count),
                bits as u64,
                "C({pool}, {count})"
            );
        }
    }

    #[test]
    fn required_bits_edge_cases() {
        assert_eq!(required_bits(25, 0), 0);
        assert_eq!(required_bits(25, 25), 0);
        assert_eq!(required_bits(25, 26), 0);
        assert_eq!(required_bits(2, 1), 1);
        assert_eq!(required_bits(1024, 1), 10);
        assert_eq!(required_bits(1025, 1), 11);
        assert_eq!(required_bits(1025, 1024), 11);
    }

    #[test]
    fn fixed_point_logarithm_is_exact_on_powers_of_two_and_close_elsewhere() {
        assert_eq!(log2_fixed(1), 0);
        assert_eq!(log2_fixed(1 << 40), 40 << FRAC_BITS);
        // log2 3 = 1.584962500721156…; 0.584962500721156 × 2^32 = 2512394809.98…
        assert_eq!(log2_fixed(3), (1 << FRAC_BITS) + 2_512_394_809);
        assert_eq!(log2_binomial_fixed(25, 10).div_ceil(1 << FRAC_BITS), 22);
    }

    #[test]
    fn source_bits_count_digits() {
        // 22 digits × 3.321.
        assert_eq!(source_bits(&sources()), 73);
        assert_eq!(source_bits(&[vec![0]]), 3);
        assert_eq!(source_bits(&[vec![u64::MAX]]), 66);
    }
}
