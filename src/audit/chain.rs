//! The hash chain of the audit log checked one entry at a time, so [`super::verify`] reads the
//! log in pages and never holds it whole (`docs/http-limits.md`).

use super::{entry_hash, Entry, Problem, GENESIS};

/// Where the check has got to: the next seq expected and the hash it must link to.
pub struct Chain {
    expected_seq: i64,
    prev_hash: String,
}

impl Default for Chain {
    fn default() -> Chain {
        Chain {
            expected_seq: 1,
            prev_hash: GENESIS.to_string(),
        }
    }
}

/// What stopped the check.
pub enum Flaw {
    Found(Problem),
    /// Entry `seq` does not link to the one before; where `prev_hash` points tells whether
    /// the log was reordered or an entry replaced ([`linked_to`]).
    Link {
        seq: i64,
        prev_hash: String,
    },
}

impl Chain {
    /// The seq of the last entry checked (0 before the first).
    pub fn last_seq(&self) -> i64 {
        self.expected_seq - 1
    }

    /// Checks the next entry.
    pub fn feed(&mut self, e: &Entry) -> Result<(), Flaw> {
        if e.seq != self.expected_seq {
            return Err(Flaw::Found(Problem::Deleted {
                from: self.expected_seq,
                to: e.seq - 1,
            }));
        }
        if e.prev_hash != self.prev_hash {
            return Err(Flaw::Link {
                seq: e.seq,
                prev_hash: e.prev_hash.clone(),
            });
        }
        let recomputed = entry_hash(
            e.seq,
            &e.at,
            &e.actor,
            &e.action,
            &e.subject,
            &e.detail,
            &e.prev_hash,
        );
        if recomputed != e.hash {
            return Err(Flaw::Found(Problem::Edited { seq: e.seq }));
        }
        self.prev_hash.clone_from(&e.hash);
        self.expected_seq += 1;
        Ok(())
    }

    /// After the last entry: does the head agree?
    pub fn finish(&self, head_seq: i64, head_hash: &str) -> Option<Problem> {
        let last = self.last_seq();
        if head_seq > last {
            return Some(Problem::TailDeleted {
                from: last + 1,
                to: head_seq,
            });
        }
        if head_seq == last && head_hash != self.prev_hash {
            return Some(Problem::HeadMismatch { seq: last });
        }
        None
    }
}

/// The problem of entry `seq` whose prev_hash is the hash of entry `other` (if any).
pub fn linked_to(seq: i64, other: Option<i64>) -> Problem {
    match other {
        Some(other) if other != seq - 1 => Problem::Reordered {
            seq,
            chained_after: other,
        },
        _ => Problem::BrokenLink { seq },
    }
}
