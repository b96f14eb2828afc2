//! What a verification established (`docs/verifiers.md`, "The Rust library"). Its text
//! (`Display`) is the one-line summary `dualdraw verify` prints, byte for byte, which the Python
//! and JavaScript verifiers print too.

use dualdraw_solver::timing;
use std::fmt;

/// The method a bundle names (`docs/draw-protocol.md`; `docs/plan-model.md`).
pub use dualdraw_solver::Method;

/// How far the draw has gone, and so how much could be checked (`docs/draw-state.md`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Committed: the inputs match the commitment; nothing drawn yet.
    Committed,
    /// Run: the inputs and the entropy check; the plan waits for the secret.
    Run,
    /// Revealed: the seed is recomputed, every plan file is the one recomputed byte for byte,
    /// and every rule of the method holds.
    Verified { seed: [u8; 32], counts: Counts },
}

/// The counts of a verified plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counts {
    pub enterprises: usize,
    pub tasks: usize,
    pub selections: usize,
    pub visits: usize,
    /// `dr2` only: visits by more than one department.
    pub joint_visits: Option<usize>,
    pub inspectors_assigned: usize,
    pub teams_not_formed: usize,
    /// `dr2` only: checks selected but not planned.
    pub checks_unplanned: Option<usize>,
}

/// A bundle that verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub method: Method,
    /// The commitment's `batch`.
    pub batch: String,
    /// The committed population: number of enterprises and Merkle root (hex).
    pub population_size: u64,
    pub population_root: String,
    pub stage: Stage,
    /// Whether the bundle publishes an advice (`docs/advice.md`), recomputed and found equal.
    /// Not in the summary text, which the other verifiers print too.
    pub advice: bool,
    /// What the bundle's log evidence shows (`docs/log.md` §8.1).
    pub log: LogEvidence,
}

impl Verdict {
    /// The seed, once revealed and recomputed.
    pub fn seed(&self) -> Option<[u8; 32]> {
        match &self.stage {
            Stage::Verified { seed, .. } => Some(*seed),
            _ => None,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.method.id();
        match &self.stage {
            Stage::Committed => write!(
                f,
                "{m} bundle committed: inputs match the commitment ({} enterprises, root {}…); not drawn yet",
                self.population_size,
                &self.population_root[..16]
            )?,
            Stage::Run => write!(
                f,
                "{m} bundle run: inputs and entropy check; the plan is verifiable once the secret is revealed"
            )?,
            Stage::Verified { seed, counts: c } => {
                write!(
                    f,
                    "{m} bundle verified: {} enterprises, {} tasks, {} selections, {} visits",
                    c.enterprises, c.tasks, c.selections, c.visits
                )?;
                if let Some(joint) = c.joint_visits {
                    write!(f, " ({joint} joint)")?;
                }
                write!(
                    f,
                    ", {} inspectors assigned, {} teams not formed",
                    c.inspectors_assigned, c.teams_not_formed
                )?;
                if let Some(unplanned) = c.checks_unplanned {
                    write!(f, ", {unplanned} checks unplanned")?;
                }
                write!(f, "; seed {}", hex::encode(seed))?;
            }
        }
        write!(f, "; {}", self.log)
    }
}

/// Said when the operator prepared with `--allow-past-entropy` (`docs/log.md` §7.3).
pub(crate) const PAST: &str =
    "prepared with --allow-past-entropy: the order of commitment and entropy is NOT proven";

/// What the log shows about the bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogEvidence {
    /// No `log/` files.
    None {
        /// The commitment says `allow_past_entropy`.
        past_entropy: bool,
    },
    /// Evidence that checked.
    Logged(Logged),
}

/// Log evidence that checked: the commitment's leaf (and the run's) in cosigned checkpoints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logged {
    pub jurisdiction: String,
    /// `prepare`, or `replan` for a re-plan.
    pub event: String,
    pub leaf: u64,
    /// The size of the checkpoint the leaf is proven in.
    pub checkpoint: u64,
    pub cosigned: usize,
    pub quorum: usize,
    /// `log/run.json`, when the bundle has it.
    pub run: Option<RunLeaf>,
    pub order: Order,
    /// The log's verifier key.
    pub log_key: String,
    /// The keys came from the bundle's own `log/keys.json`, not from the user.
    pub keys_from_bundle: bool,
}

/// The run's leaf, after the commitment's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunLeaf {
    pub leaf: u64,
    pub checkpoint: u64,
    /// The commitment's checkpoint, when a consistency proof from it to the run's verified.
    pub consistent_with: Option<u64>,
}

/// The order of the commitment and the entropy (`docs/log.md` §7.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    /// When the quorum of witnesses attests the commitment was logged (Unix seconds); `None`
    /// without witnesses.
    pub commitment_time: Option<i64>,
    /// Each declared source with the time its value may first be public.
    pub sources: Vec<SourceTime>,
    pub past_entropy: bool,
}

/// A declared source and when its value may first be public (Unix seconds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceTime {
    pub source: String,
    pub public_from: i64,
}

impl Order {
    /// The first time a source's value may be public.
    pub fn first_source_time(&self) -> Option<i64> {
        self.sources.iter().map(|s| s.public_from).min()
    }
}

impl fmt::Display for Order {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let committed = match self.commitment_time {
            None => "commitment time unattested (no witnesses)".to_string(),
            Some(t) => format!("commitment time {}", timing::utc(t)),
        };
        let Some(first) = self.first_source_time() else {
            return write!(
                f,
                "{committed}; no sources of its own (entropy of the replaced draw)"
            );
        };
        let listed = self
            .sources
            .iter()
            .map(|s| format!("{} {}", s.source, timing::utc(s.public_from)))
            .collect::<Vec<_>>()
            .join(", ");
        match (self.past_entropy, self.commitment_time) {
            (true, _) => write!(f, "{committed}; sources: {listed}; {PAST}"),
            (false, None) => write!(
                f,
                "{committed}; sources: {listed}; the order is not attested"
            ),
            (false, Some(_)) => write!(
                f,
                "{committed}, before the first source time {}; sources: {listed}",
                timing::utc(first)
            ),
        }
    }
}

impl fmt::Display for LogEvidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogEvidence::None { past_entropy: true } => write!(f, "{PAST}; no log evidence"),
            LogEvidence::None {
                past_entropy: false,
            } => write!(f, "no log evidence"),
            LogEvidence::Logged(l) => {
                write!(
                    f,
                    "logged in jurisdiction {}: {} leaf {} in checkpoint {} cosigned by {} witnesses (quorum {})",
                    l.jurisdiction, l.event, l.leaf, l.checkpoint, l.cosigned, l.quorum
                )?;
                if let Some(r) = &l.run {
                    write!(f, ", run leaf {} in checkpoint {}", r.leaf, r.checkpoint)?;
                    if let Some(m) = r.consistent_with {
                        write!(f, " (consistent with checkpoint {m})")?;
                    }
                }
                write!(f, "; {}; log key {}", l.order, l.log_key)?;
                if l.keys_from_bundle {
                    write!(
                        f,
                        " (from log/keys.json: compare it with the log's published key)"
                    )?;
                }
                Ok(())
            }
        }
    }
}
