//! Offline verification of drand beacons on the pinned League of Entropy mainnet chains
//! (`docs/architecture.md`, "The draw protocol", rules 1 and 2: "a drand round number on a pinned chain …
//! A drand round is verified offline against its pinned chain key").
//!
//! A beacon is a BLS12-381 threshold signature over a message derived from the round number.
//! Two chains are supported, with the parameters their relays publish at `/{chain hash}/info`
//! (<https://drand.love/developer/http-api/>) and that the drand-verify crate and the official
//! drand clients pin:
//!
//! | chain      | scheme                       | signature  | message                                | hash to curve DST                             |
//! |------------|------------------------------|------------|----------------------------------------|-----------------------------------------------|
//! | `default`  | `pedersen-bls-chained`       | G2, 96 B   | `SHA-256(previous_signature ‖ round)`  | `BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_` |
//! | `quicknet` | `bls-unchained-g1-rfc9380`   | G1, 48 B   | `SHA-256(round)`                       | `BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_` |
//!
//! where `round` is 8 bytes big-endian. The randomness of a round is `SHA-256(signature)`
//! (drand docs, "Cryptography": <https://drand.love/docs/cryptography/>). Each chain hash is
//! the SHA-256 of the chain's period, genesis time, public key and genesis seed (drand
//! `common/chain/info.go`), so pinning the hash pins the key; a test checks this.
//!
//! The pairing check itself is done by the pure-Rust `drand-verify` crate (zkcrypto
//! `bls12_381`); this module adds the pinned chains, typed errors and round arithmetic. No
//! network, no clock: the caller supplies the beacon and the time.

use std::fmt;
use std::str::FromStr;

use drand_verify::{G1Pubkey, G2PubkeyRfc, Pubkey};
use sha2::{Digest, Sha256};

/// A pinned drand chain of the League of Entropy mainnet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Chain {
    /// The original 30-second chain (`pedersen-bls-chained`, beacon ID `default`), running since
    /// 2020-07-22.
    Default,
    /// The 3-second unchained chain with signatures on G1 (`bls-unchained-g1-rfc9380`, beacon ID
    /// `quicknet`), running since 2023-08-23.
    Quicknet,
}

/// Why a chain name could not be parsed or a beacon did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrandError {
    /// The name is neither `default`, `quicknet` nor the hex chain hash of one of them.
    #[error(
        "unknown drand chain '{0}': expected 'default', 'quicknet' or one of their chain hashes"
    )]
    UnknownChain(String),
    /// The signature has the wrong number of bytes for the chain's scheme.
    #[error("{chain} signature must be {expected} bytes, got {actual}")]
    SignatureLength {
        chain: Chain,
        expected: usize,
        actual: usize,
    },
    /// The signature bytes are not the compressed encoding of a point of the prime-order subgroup.
    #[error("{chain} signature is not a valid compressed point on the curve")]
    SignatureNotOnCurve { chain: Chain },
    /// A round of a chained scheme needs the previous round's signature to be checked.
    #[error("round {round} of the chained '{chain}' chain needs the previous signature")]
    MissingPreviousSignature { chain: Chain, round: u64 },
    /// An unchained scheme signs the round alone; a previous signature means the beacon is not
    /// from this chain.
    #[error("round {round} of the unchained '{chain}' chain has no previous signature")]
    UnexpectedPreviousSignature { chain: Chain, round: u64 },
    /// The signature is well formed but is not the chain's signature of this round.
    #[error("signature of round {round} does not verify against the pinned '{chain}' public key")]
    InvalidSignature { chain: Chain, round: u64 },
}

/// One beacon as published by a drand relay (`/{chain hash}/public/{round}`), hex decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Beacon {
    /// The round number (round 1 is at the genesis time).
    pub round: u64,
    /// The group signature: 96 bytes (G2) on `default`, 48 bytes (G1) on `quicknet`.
    pub signature: Vec<u8>,
    /// The signature of the previous round (for round 1, the chain's genesis seed). Required on
    /// `default`, absent on `quicknet`.
    pub previous_signature: Option<Vec<u8>>,
}

/// Decodes a hex string at compile time; invalid input is a build error.
const fn hex_array<const N: usize>(s: &str) -> [u8; N] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("lower-case hex expected"),
        }
    }
    let bytes = s.as_bytes();
    assert!(bytes.len() == 2 * N, "hex string of the wrong length");
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = nibble(bytes[2 * i]) << 4 | nibble(bytes[2 * i + 1]);
        i += 1;
    }
    out
}

const DEFAULT_HASH: [u8; 32] =
    hex_array("8990e7a9aaed2ffed73dbd7092123d6f289930540d7651336225dc172e51b2ce");
const DEFAULT_PUBLIC_KEY: [u8; 48] = hex_array(
    "868f005eb8e6e4ca0a47c8a77ceaa5309a47978a7c71bc5cce96366b5d7a569937c529eeda66c7293784a9402801af31",
);
const QUICKNET_HASH: [u8; 32] =
    hex_array("52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971");
const QUICKNET_PUBLIC_KEY: [u8; 96] = hex_array(
    "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a",
);

impl Chain {
    /// Every supported chain.
    pub const ALL: [Chain; 2] = [Chain::Default, Chain::Quicknet];

    /// The beacon ID, as in the chain's `/info` (`default`, `quicknet`).
    pub fn name(self) -> &'static str {
        match self {
            Chain::Default => "default",
            Chain::Quicknet => "quicknet",
        }
    }

    /// The drand scheme ID.
    pub fn scheme_id(self) -> &'static str {
        match self {
            Chain::Default => "pedersen-bls-chained",
            Chain::Quicknet => "bls-unchained-g1-rfc9380",
        }
    }

    /// The chain hash that names the chain on the relays.
    pub fn hash(self) -> [u8; 32] {
        match self {
            Chain::Default => DEFAULT_HASH,
            Chain::Quicknet => QUICKNET_HASH,
        }
    }

    /// The group public key, compressed: 48 bytes (G1) on `default`, 96 bytes (G2) on `quicknet`.
    pub fn public_key(self) -> &'static [u8] {
        match self {
            Chain::Default => &DEFAULT_PUBLIC_KEY,
            Chain::Quicknet => &QUICKNET_PUBLIC_KEY,
        }
    }

    /// Seconds between two rounds.
    pub fn period_seconds(self) -> u64 {
        match self {
            Chain::Default => 30,
            Chain::Quicknet => 3,
        }
    }

    /// Unix time of round 1.
    pub fn genesis_time(self) -> u64 {
        match self {
            Chain::Default => 1_595_431_050,
            Chain::Quicknet => 1_692_803_367,
        }
    }

    /// Whether each round signs the previous round's signature.
    pub fn is_chained(self) -> bool {
        matches!(self, Chain::Default)
    }

    /// Length in bytes of a signature.
    pub fn signature_len(self) -> usize {
        match self {
            Chain::Default => 96,
            Chain::Quicknet => 48,
        }
    }

    /// Parses a beacon ID (`default`, `quicknet`) or a chain hash in hex, ignoring ASCII case.
    pub fn parse(name_or_hash: &str) -> Result<Chain, DrandError> {
        Chain::ALL
            .into_iter()
            .find(|c| {
                name_or_hash.eq_ignore_ascii_case(c.name())
                    || name_or_hash.eq_ignore_ascii_case(&hex::encode(c.hash()))
            })
            .ok_or_else(|| DrandError::UnknownChain(name_or_hash.to_string()))
    }
}

impl fmt::Display for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Chain {
    type Err = DrandError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Chain::parse(s)
    }
}

/// The randomness of a beacon: `SHA-256(signature)`.
pub fn randomness(signature: &[u8]) -> [u8; 32] {
    Sha256::digest(signature).into()
}

/// Verifies a beacon against the chain's pinned public key and returns its randomness.
pub fn verify(chain: Chain, beacon: &Beacon) -> Result<[u8; 32], DrandError> {
    let expected = chain.signature_len();
    if beacon.signature.len() != expected {
        return Err(DrandError::SignatureLength {
            chain,
            expected,
            actual: beacon.signature.len(),
        });
    }
    let round = beacon.round;
    let previous: &[u8] = match (chain.is_chained(), &beacon.previous_signature) {
        (true, Some(previous)) => previous,
        (true, None) => return Err(DrandError::MissingPreviousSignature { chain, round }),
        (false, None) => &[],
        (false, Some(_)) => return Err(DrandError::UnexpectedPreviousSignature { chain, round }),
    };
    // The pinned keys are constants checked by the tests, so decoding them cannot fail.
    let checked = match chain {
        Chain::Default => G1Pubkey::from_fixed(DEFAULT_PUBLIC_KEY)
            .expect("pinned default public key is a G1 point")
            .verify(round, previous, &beacon.signature),
        Chain::Quicknet => G2PubkeyRfc::from_fixed(QUICKNET_PUBLIC_KEY)
            .expect("pinned quicknet public key is a G2 point")
            .verify(round, previous, &beacon.signature),
    };
    match checked {
        Ok(true) => Ok(randomness(&beacon.signature)),
        Ok(false) => Err(DrandError::InvalidSignature { chain, round }),
        // The length was checked above, so the only remaining point error is the encoding.
        Err(_) => Err(DrandError::SignatureNotOnCurve { chain }),
    }
}

/// The latest round published at `unix_seconds` (round 1 at the genesis time, then one every
/// period); 0 before the genesis time, when no round exists yet.
///
/// Equal to drand's `CurrentRound` from the genesis time on (drand `chain/time.go`).
pub fn round_at(chain: Chain, unix_seconds: u64) -> u64 {
    match unix_seconds.checked_sub(chain.genesis_time()) {
        None => 0,
        Some(since_genesis) => since_genesis / chain.period_seconds() + 1,
    }
}

/// The Unix time at which `round` is published: `genesis + (round − 1) × period`, as drand's
/// `TimeOfRound`; round 0 maps to the genesis time. Saturates at `u64::MAX` for rounds too large
/// to happen.
pub fn time_of(chain: Chain, round: u64) -> u64 {
    round
        .saturating_sub(1)
        .saturating_mul(chain.period_seconds())
        .saturating_add(chain.genesis_time())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const CHAINS: &str = include_str!("../../seeds/vectors/drand/chains.json");
    const DEFAULT_ROUNDS: &str = include_str!("../../seeds/vectors/drand/default.json");
    const QUICKNET_ROUNDS: &str = include_str!("../../seeds/vectors/drand/quicknet.json");

    fn bytes(v: &Value) -> Vec<u8> {
        hex::decode(v.as_str().expect("hex string")).expect("valid hex")
    }

    /// The published rounds of a vector file, with their expected randomness.
    fn rounds(file: &str) -> Vec<(Beacon, [u8; 32])> {
        let v: Value = serde_json::from_str(file).expect("vector file is JSON");
        v["rounds"]
            .as_array()
            .expect("rounds")
            .iter()
            .map(|r| {
                let beacon = Beacon {
                    round: r["round"].as_u64().expect("round"),
                    signature: bytes(&r["signature"]),
                    previous_signature: r.get("previous_signature").map(bytes),
                };
                let randomness = bytes(&r["randomness"]).try_into().expect("32 bytes");
                (beacon, randomness)
            })
            .collect()
    }

    fn published() -> Vec<(Chain, Beacon, [u8; 32])> {
        let default = rounds(DEFAULT_ROUNDS).into_iter();
        let quicknet = rounds(QUICKNET_ROUNDS).into_iter();
        default
            .map(|(b, r)| (Chain::Default, b, r))
            .chain(quicknet.map(|(b, r)| (Chain::Quicknet, b, r)))
            .collect()
    }

    #[test]
    fn pinned_parameters_match_published_chain_info() {
        let v: Value = serde_json::from_str(CHAINS).unwrap();
        for chain in Chain::ALL {
            let info = &v[chain.name()];
            assert_eq!(hex::encode(chain.hash()), info["hash"].as_str().unwrap());
            assert_eq!(chain.public_key(), bytes(&info["public_key"]));
            assert_eq!(chain.period_seconds(), info["period"].as_u64().unwrap());
            assert_eq!(chain.genesis_time(), info["genesis_time"].as_u64().unwrap());
            assert_eq!(chain.scheme_id(), info["schemeID"].as_str().unwrap());
            assert_eq!(chain.name(), info["metadata"]["beaconID"].as_str().unwrap());
        }
    }

    /// drand `common/chain/info.go`, `Info.Hash`: SHA-256 of period (u32 BE), genesis time
    /// (i64 BE), public key, genesis seed, and the beacon ID unless it is `default`.
    #[test]
    fn chain_hash_commits_to_pinned_key_period_and_genesis() {
        let v: Value = serde_json::from_str(CHAINS).unwrap();
        for chain in Chain::ALL {
            let mut h = Sha256::new();
            h.update((chain.period_seconds() as u32).to_be_bytes());
            h.update((chain.genesis_time() as i64).to_be_bytes());
            h.update(chain.public_key());
            h.update(bytes(&v[chain.name()]["groupHash"]));
            if chain != Chain::Default {
                h.update(chain.name());
            }
            assert_eq!(<[u8; 32]>::from(h.finalize()), chain.hash(), "{chain}");
        }
    }

    #[test]
    fn parses_names_and_hashes() {
        for chain in Chain::ALL {
            assert_eq!(Chain::parse(chain.name()), Ok(chain));
            assert_eq!(chain.to_string().parse::<Chain>(), Ok(chain));
            let hash = hex::encode(chain.hash());
            assert_eq!(Chain::parse(&hash), Ok(chain));
            assert_eq!(Chain::parse(&hash.to_uppercase()), Ok(chain));
        }
        assert_eq!(Chain::parse("QuickNet"), Ok(Chain::Quicknet));
        for bad in ["", "mainnet", "fastnet", "8990e7a9", " default"] {
            assert_eq!(
                Chain::parse(bad),
                Err(DrandError::UnknownChain(bad.to_string()))
            );
        }
    }

    #[test]
    fn published_rounds_verify_and_give_published_randomness() {
        let all = published();
        assert!(all.iter().any(|(c, ..)| *c == Chain::Default));
        assert!(all.iter().any(|(c, ..)| *c == Chain::Quicknet));
        for (chain, beacon, expected) in &all {
            assert_eq!(verify(*chain, beacon), Ok(*expected), "{chain} {beacon:?}");
            assert_eq!(randomness(&beacon.signature), *expected);
        }
    }

    #[test]
    fn tampered_signature_fails() {
        for (chain, beacon, _) in published() {
            let mut results = Vec::new();
            for i in [0, 1, 20, beacon.signature.len() - 1] {
                let mut bad = beacon.clone();
                bad.signature[i] ^= 0x01;
                results.push(verify(chain, &bad));
            }
            // A changed byte gives either bytes that are not a point, or another point whose
            // pairing does not match; never a verified beacon.
            for result in results {
                assert!(
                    matches!(
                        result,
                        Err(DrandError::SignatureNotOnCurve { .. })
                            | Err(DrandError::InvalidSignature { .. })
                    ),
                    "{chain}: {result:?}"
                );
            }
        }
    }

    #[test]
    fn valid_point_that_is_not_this_rounds_signature_fails() {
        let all = published();
        for (chain, beacon, _) in &all {
            for (other_chain, other, _) in &all {
                if other_chain == chain && other.round != beacon.round {
                    let swapped = Beacon {
                        signature: other.signature.clone(),
                        ..beacon.clone()
                    };
                    assert_eq!(
                        verify(*chain, &swapped),
                        Err(DrandError::InvalidSignature {
                            chain: *chain,
                            round: beacon.round
                        })
                    );
                }
            }
        }
    }

    #[test]
    fn wrong_round_fails() {
        for (chain, beacon, _) in published() {
            for round in [beacon.round + 1, beacon.round - 1, 0] {
                let moved = Beacon {
                    round,
                    ..beacon.clone()
                };
                assert_eq!(
                    verify(chain, &moved),
                    Err(DrandError::InvalidSignature { chain, round })
                );
            }
        }
    }

    #[test]
    fn wrong_previous_signature_fails() {
        for (beacon, _) in rounds(DEFAULT_ROUNDS) {
            let mut bad = beacon.clone();
            bad.previous_signature.as_mut().unwrap()[0] ^= 0x80;
            let round = beacon.round;
            let chain = Chain::Default;
            assert_eq!(
                verify(chain, &bad),
                Err(DrandError::InvalidSignature { chain, round })
            );
            bad.previous_signature = Some(Vec::new());
            assert_eq!(
                verify(chain, &bad),
                Err(DrandError::InvalidSignature { chain, round })
            );
            bad.previous_signature = None;
            assert_eq!(
                verify(chain, &bad),
                Err(DrandError::MissingPreviousSignature { chain, round })
            );
        }
    }

    #[test]
    fn unchained_round_with_previous_signature_is_refused() {
        for (beacon, _) in rounds(QUICKNET_ROUNDS) {
            let chain = Chain::Quicknet;
            let with_previous = Beacon {
                previous_signature: Some(vec![0; 48]),
                ..beacon.clone()
            };
            assert_eq!(
                verify(chain, &with_previous),
                Err(DrandError::UnexpectedPreviousSignature {
                    chain,
                    round: beacon.round
                })
            );
        }
    }

    #[test]
    fn signature_of_wrong_length_or_off_curve_is_refused() {
        for (chain, beacon, _) in published() {
            for len in [0, 47, 48, 95, 96, 97] {
                if len == chain.signature_len() {
                    continue;
                }
                let mut bad = beacon.clone();
                bad.signature.resize(len, 0);
                assert_eq!(
                    verify(chain, &bad),
                    Err(DrandError::SignatureLength {
                        chain,
                        expected: chain.signature_len(),
                        actual: len
                    })
                );
            }
            // Compression flag set, infinity flag clear, x = 0: not on the curve.
            let mut off_curve = vec![0u8; chain.signature_len()];
            off_curve[0] = 0x80;
            let bad = Beacon {
                signature: off_curve,
                ..beacon.clone()
            };
            assert_eq!(
                verify(chain, &bad),
                Err(DrandError::SignatureNotOnCurve { chain })
            );
        }
    }

    #[test]
    fn round_arithmetic_matches_drand() {
        for chain in Chain::ALL {
            let genesis = chain.genesis_time();
            let period = chain.period_seconds();
            assert_eq!(round_at(chain, 0), 0);
            assert_eq!(round_at(chain, genesis - 1), 0);
            assert_eq!(round_at(chain, genesis), 1);
            assert_eq!(round_at(chain, genesis + period - 1), 1);
            assert_eq!(round_at(chain, genesis + period), 2);
            assert_eq!(time_of(chain, 0), genesis);
            assert_eq!(time_of(chain, 1), genesis);
            assert_eq!(time_of(chain, u64::MAX), u64::MAX);
            for round in [1, 2, 123, 72_785, 5_000_000, 27_946_612] {
                let t = time_of(chain, round);
                assert_eq!(round_at(chain, t), round);
                assert_eq!(round_at(chain, t + period - 1), round);
                assert_eq!(round_at(chain, t - 1), round - 1);
            }
        }
        // 2026-04-20T00:00:00Z is quicknet round 27946612 (drand Ruby client README example).
        assert_eq!(round_at(Chain::Quicknet, 1_776_643_200), 27_946_612);
        assert_eq!(time_of(Chain::Quicknet, 27_946_612), 1_776_643_200);
    }
}
