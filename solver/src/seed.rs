//! Seeds and random numbers of every method (`docs/draw-protocol.md`, "Seed" and "Random
//! numbers"); the inspectors' priorities are the teams' (`crate::teams::priority`).
//!
//! seed = SHA-256("dualdraw-dr1-seed" ‖ 0x00 ‖ commitment digest ‖ entropy string ‖ 0x00 ‖
//! secret). Each enterprise's number depends on the seed and its own code only (rule 3), so it
//! does not change with the order or the content of the list.

use crate::Uscc;
use sha2::{Digest, Sha256};

/// A 32-byte seed.
pub type Seed = [u8; 32];

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// The commitment of an operator secret, published before any entropy exists.
pub fn secret_commitment(secret: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"dualdraw-dr1-secret\0");
    h.update(secret);
    h.finalize().into()
}

/// The seed of a draw.
pub fn seed(commitment_digest: &[u8; 32], entropy: &str, secret: &[u8; 32]) -> Seed {
    let mut h = Sha256::new();
    h.update(b"dualdraw-dr1-seed\0");
    h.update(commitment_digest);
    h.update(entropy.as_bytes());
    h.update([0u8]);
    h.update(secret);
    h.finalize().into()
}

/// The first 8 bytes of a digest as a big-endian integer.
fn first_u64(digest: &[u8]) -> u64 {
    u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
}

/// An enterprise's permanent random number for this seed.
pub fn prn(seed: &Seed, uscc: &Uscc) -> u64 {
    let mut h = Sha256::new();
    h.update(b"dualdraw-dr1-prn\0");
    h.update(seed);
    h.update(uscc.as_bytes());
    first_u64(&h.finalize())
}

/// One source of public entropy with its published values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntropyValue {
    /// Lottery numbers (or any published integers), in any order.
    Numbers(Vec<u64>),
    /// A verified drand round's randomness.
    Drand([u8; 32]),
}

/// The canonical entropy string: per source in declared order, a lottery's integers ascending
/// each followed by `.` (as RFC 3797), a drand randomness as lower-case hex followed by `.`; each
/// source ends with `/`.
pub fn entropy_string(values: &[EntropyValue]) -> String {
    let mut out = String::new();
    for v in values {
        match v {
            EntropyValue::Numbers(ns) => {
                let mut sorted = ns.clone();
                sorted.sort_unstable();
                for n in sorted {
                    out.push_str(&n.to_string());
                    out.push('.');
                }
            }
            EntropyValue::Drand(r) => {
                out.push_str(&hex::encode(r));
                out.push('.');
            }
        }
        out.push('/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_string_follows_rfc_3797_for_numbers() {
        let v = [
            EntropyValue::Numbers(vec![9319]),
            EntropyValue::Numbers(vec![2, 5, 12, 8, 10]),
            EntropyValue::Numbers(vec![9, 18, 26, 34, 41, 45]),
        ];
        assert_eq!(entropy_string(&v), "9319./2.5.8.10.12./9.18.26.34.41.45./");
    }

    #[test]
    fn prn_depends_on_seed_and_code_only() {
        let a = Uscc::parse("91440300708461136T").unwrap();
        let b = Uscc::parse("914403001922038216").unwrap();
        let s1 = [1u8; 32];
        let s2 = [2u8; 32];
        assert_eq!(prn(&s1, &a), prn(&s1, &a));
        assert_ne!(prn(&s1, &a), prn(&s1, &b));
        assert_ne!(prn(&s1, &a), prn(&s2, &a));
    }

    #[test]
    fn seed_changes_with_every_input() {
        let (d, s) = ([7u8; 32], [9u8; 32]);
        let base = seed(&d, "1./", &s);
        assert_ne!(base, seed(&[8u8; 32], "1./", &s));
        assert_ne!(base, seed(&d, "2./", &s));
        assert_ne!(base, seed(&d, "1./", &[8u8; 32]));
    }
}
