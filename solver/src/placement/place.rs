//! Placing individual visits (`docs/plan-model.md`, "Placement"): the optimizer decided counts;
//! which enterprise gets which of them follows from the seed alone. Each enterprise has a
//! placement number π(e) from the seed and its code. In a cell the enterprises with the
//! smallest π are merged; in a kind the visits are ordered by priority (key supervision first,
//! then tier D to A, then π) and take the periods in order; those left at the end are unplanned.

use crate::inputs::Inputs;
use crate::placement::cells::{Frame, Region};
use crate::placement::integer::Decision;
use crate::Tier;
use sha2::{Digest, Sha256};

/// An enterprise's placement number: independent of its selection number, so where it falls in
/// the year says nothing about how it was drawn.
pub fn place_number(seed: &[u8; 32], uscc: &crate::Uscc) -> u64 {
    let mut h = Sha256::new();
    h.update(b"dualdraw-dr2-place\0");
    h.update(seed);
    h.update(uscc.as_bytes());
    u64::from_be_bytes(h.finalize()[..8].try_into().expect("8 bytes"))
}

/// One enterprise's block of checks with the period it was given (or none: unplanned).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
    pub index: usize,
    pub cell: usize,
    /// Positions in the cell's pattern.
    pub checks: Vec<usize>,
    pub kind: usize,
    pub period: Option<u32>,
}

/// Where each block of each enterprise of a region goes.
pub fn place(
    inputs: &Inputs,
    region: &Region,
    frame: &Frame,
    decision: &Decision,
    numbers: &dyn Fn(usize) -> u64,
) -> Vec<Placed> {
    let mut by_kind: Vec<Vec<Placed>> = vec![Vec::new(); region.kinds.len()];
    for (c, cell) in region.cells.iter().enumerate() {
        let mut order = cell.enterprises.clone();
        order.sort_by_cached_key(|&i| (numbers(i), i));
        for (rank, &i) in order.iter().enumerate() {
            let rank = rank as u64;
            let mut bound = decision.merged[c];
            let mut blocks = if rank < bound {
                &cell.merged
            } else {
                &cell.split
            };
            if rank >= bound {
                for (j, (_, partial)) in cell.partial.iter().enumerate() {
                    bound += decision
                        .partial
                        .get(c)
                        .and_then(|r| r.get(j))
                        .copied()
                        .unwrap_or(0);
                    if rank < bound {
                        blocks = partial;
                        break;
                    }
                }
            }
            for b in blocks {
                by_kind[b.kind].push(Placed {
                    index: i,
                    cell: c,
                    checks: b.checks.clone(),
                    kind: b.kind,
                    period: None,
                });
            }
        }
    }
    let mut out = Vec::new();
    for (v, mut visits) in by_kind.into_iter().enumerate() {
        visits.sort_by_cached_key(|b| {
            (
                priority(inputs, b.index),
                numbers(b.index),
                b.index,
                b.checks.clone(),
            )
        });
        let mut next = visits.iter_mut();
        for (o, &count) in decision.placed[v].iter().enumerate() {
            for b in next.by_ref().take(count as usize) {
                b.period = Some(frame.first + o as u32);
            }
        }
        out.extend(visits);
    }
    out
}

/// Sort key of priority: key supervision first, then the riskier tier.
fn priority(inputs: &Inputs, i: usize) -> (bool, std::cmp::Reverse<Tier>) {
    (
        !inputs.key_supervision_of(i),
        std::cmp::Reverse(inputs.tier_of(i)),
    )
}
