//! Inspector priorities: ρ of `docs/draw-protocol.md` (§6, "Seed and random numbers") and ρ₂ of
//! `docs/plan-model.md` (§2, "Seed"). Both are
//! u64be(first 8 bytes of SHA-256(tag ‖ seed ‖ v ‖ 0x00 ‖ d ‖ 0x00 ‖ i ‖ 0x00)); the tag is the
//! team rule's ([`TeamRule::priority_tag`]), so each rule's priorities are independent.

use crate::seed::Seed;
use crate::TeamRule;
use sha2::{Digest, Sha256};

/// Inspector `inspector`'s priority for department `department`'s team of visit `visit`.
pub fn priority(
    rule: TeamRule,
    seed: &Seed,
    visit: &str,
    department: &str,
    inspector: &str,
) -> u64 {
    priority_of(&priority_prefix(rule, seed, visit, department), inspector)
}

/// The hash state of [`priority`] before the inspector's id: computed once per team.
pub fn priority_prefix(rule: TeamRule, seed: &Seed, visit: &str, department: &str) -> Sha256 {
    let mut h = Sha256::new();
    h.update(rule.priority_tag());
    h.update(seed);
    for part in [visit, department] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    h
}

/// [`priority`] from its [`priority_prefix`].
pub fn priority_of(prefix: &Sha256, inspector: &str) -> u64 {
    let mut h = prefix.clone();
    h.update(inspector.as_bytes());
    h.update([0u8]);
    u64::from_be_bytes(h.finalize()[..8].try_into().expect("8 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The formulas of the documents, written out.
    fn documented(tag: &[u8], seed: &Seed, parts: [&str; 3]) -> u64 {
        let mut bytes = tag.to_vec();
        bytes.extend_from_slice(seed);
        for p in parts {
            bytes.extend_from_slice(p.as_bytes());
            bytes.push(0);
        }
        u64::from_be_bytes(Sha256::digest(&bytes)[..8].try_into().unwrap())
    }

    #[test]
    fn priorities_are_the_documented_hashes_and_differ_by_rule() {
        let seed = [3u8; 32];
        let parts = ["G1-0001", "SCJG", "I-07"];
        let rho = priority(TeamRule::Capacity, &seed, parts[0], parts[1], parts[2]);
        let rho2 = priority(TeamRule::Budget, &seed, parts[0], parts[1], parts[2]);
        assert_eq!(rho, documented(b"dualdraw-dr1-inspector\0", &seed, parts));
        assert_eq!(rho2, documented(b"dualdraw-dr2-inspector\0", &seed, parts));
        assert_ne!(rho, rho2);
    }
}
