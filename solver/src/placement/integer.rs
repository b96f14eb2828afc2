//! The optimizer's answer in integers (`docs/plan-model.md`, "Rounding"): the linear program's
//! values are rounded at once, then every constraint is re-established exactly — visits that
//! would overload a department's inspectors move to a period with room or are left unplanned,
//! and each inspector class's visits per period come from an integer max-flow.

use crate::placement::cells::{Frame, Region};
use crate::placement::model::Fractional;
use std::collections::BTreeMap;

/// The integer decisions for one region.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Decision {
    /// Per cell: enterprises whose checks are merged (for cells without a choice, all).
    pub merged: Vec<u64>,
    /// Per cell, per partial choice (`Cell::partial`, `dr3`): enterprises that take it.
    pub partial: Vec<Vec<u64>>,
    /// Per kind, per period offset: visits placed.
    pub placed: Vec<Vec<u64>>,
    /// Per kind: visits left unplanned.
    pub unplaced: Vec<u64>,
    /// Per class, per period offset: inspector-visits given.
    pub allocation: Vec<Vec<u64>>,
}

pub(crate) const TOLERANCE: f64 = 1e-6;

/// Rounds the fractional answer and repairs it until every constraint holds in integers.
pub fn decide(region: &Region, frame: &Frame, f: &Fractional) -> Decision {
    let mut decision = rounded(region, f);
    repair(region, frame, &f.placed, &mut decision);
    decision.allocation = allocate(region, frame, &decision.placed);
    decision
}

/// Steps 1–3 of the rounding (`docs/plan-model.md` §5): merges, demand, visits left out and
/// visits spread over the periods, before any repair; no allocation yet.
pub fn rounded(region: &Region, f: &Fractional) -> Decision {
    let merged: Vec<u64> = region
        .cells
        .iter()
        .zip(&f.merged)
        .map(|(c, &m)| {
            let n = c.enterprises.len() as u64;
            if c.has_choice() {
                (m.max(0.0).round() as u64).min(n)
            } else {
                n
            }
        })
        .collect();
    // Partial merges (`dr3`): rounded in order, never more than the cell's enterprises left.
    let partial: Vec<Vec<u64>> = region
        .cells
        .iter()
        .enumerate()
        .map(|(c, cell)| {
            let mut left = cell.enterprises.len() as u64 - merged[c];
            cell.partial
                .iter()
                .enumerate()
                .map(|(j, _)| {
                    let x = f.partial.get(c).and_then(|row| row.get(j)).copied();
                    let n = (x.unwrap_or(0.0).max(0.0).round() as u64).min(left);
                    left -= n;
                    n
                })
                .collect()
        })
        .collect();
    let demand = kind_demand(region, &merged, &partial);
    let mut placed: Vec<Vec<u64>> = Vec::new();
    let mut unplaced = Vec::new();
    for (v, &d) in demand.iter().enumerate() {
        let left_out = (f.unplaced[v].max(0.0).round() as u64).min(d);
        let row = spread(&f.placed[v], d - left_out);
        unplaced.push(d - row.iter().sum::<u64>());
        placed.push(row);
    }
    Decision {
        merged,
        partial,
        placed,
        unplaced,
        allocation: Vec::new(),
    }
}

/// Visits each kind asks for, given the merge decisions (`partial` may be empty: none).
pub fn kind_demand(region: &Region, merged: &[u64], partial: &[Vec<u64>]) -> Vec<u64> {
    let mut demand = vec![0u64; region.kinds.len()];
    for (c, (cell, &m)) in region.cells.iter().zip(merged).enumerate() {
        let n = cell.enterprises.len() as u64;
        for b in &cell.merged {
            demand[b.kind] += m;
        }
        let mut taken = m;
        for (j, (_, blocks)) in cell.partial.iter().enumerate() {
            let k = partial
                .get(c)
                .and_then(|row| row.get(j))
                .copied()
                .unwrap_or(0);
            taken += k;
            for b in blocks {
                demand[b.kind] += k;
            }
        }
        if cell.has_choice() {
            for b in &cell.split {
                demand[b.kind] += n - taken;
            }
        }
    }
    demand
}

/// `total` visits over the allowed periods: the floors of the fractional values, then one
/// more to the periods with the largest fractional parts (earlier first on ties).
fn spread(values: &[Option<f64>], total: u64) -> Vec<u64> {
    let mut row: Vec<u64> = values
        .iter()
        .map(|x| x.map_or(0, |x| (x + TOLERANCE).max(0.0).floor() as u64))
        .collect();
    let mut sum: u64 = row.iter().sum();
    for o in (0..row.len()).rev() {
        while sum > total && row[o] > 0 {
            row[o] -= 1;
            sum -= 1;
        }
    }
    let mut order: Vec<usize> = (0..values.len()).filter(|&o| values[o].is_some()).collect();
    order.sort_by(|&a, &b| {
        let frac = |o: usize| {
            let x = values[o].unwrap_or(0.0);
            x - (x + TOLERANCE).floor()
        };
        frac(b).total_cmp(&frac(a)).then(a.cmp(&b))
    });
    let mut i = 0;
    while sum < total && !order.is_empty() {
        row[order[i % order.len()]] += 1;
        sum += 1;
        i += 1;
    }
    row
}

/// Inspector-visits department d needs in each period offset, complaint reserve included.
fn needs(region: &Region, frame: &Frame, placed: &[Vec<u64>], d: u16) -> Vec<u64> {
    (frame.first..=frame.last)
        .map(|p| {
            let o = (p - frame.first) as usize;
            let visits: u64 = region
                .kinds
                .iter()
                .zip(placed)
                .filter(|(kind, _)| kind.departments.contains(&d))
                .map(|(_, row)| row[o])
                .sum();
            visits * frame.k as u64 + region.reserve.get(&(d, p)).copied().unwrap_or(0)
        })
        .collect()
}

/// Moves or leaves out visits until every department's needs can be met by its classes.
fn repair(region: &Region, frame: &Frame, allowed: &[Vec<Option<f64>>], d: &mut Decision) {
    for dept in region.departments() {
        loop {
            let need = needs(region, frame, &d.placed, dept);
            let flow = max_flow(region, frame, dept, &need);
            let Some(o) = (0..need.len()).find(|&o| flow.delivered[o] < need[o]) else {
                break;
            };
            // The lowest-priority kind of this department placed in the short period: fewest
            // checks per visit, then the last kind.
            let victim = (0..region.kinds.len())
                .filter(|&v| region.kinds[v].departments.contains(&dept) && d.placed[v][o] > 0)
                .min_by_key(|&v| (region.kinds[v].checks, std::cmp::Reverse(v)));
            let Some(v) = victim else {
                break; // only complaint reserve is short: reported as a shortage
            };
            d.placed[v][o] -= 1;
            d.unplaced[v] += 1;
        }
    }
    replace_unplaced(region, frame, allowed, d);
}

/// Gives visits left out a period that still has room for every department of the visit.
fn replace_unplaced(
    region: &Region,
    frame: &Frame,
    allowed: &[Vec<Option<f64>>],
    d: &mut Decision,
) {
    for (v, periods) in allowed.iter().enumerate() {
        'visit: while d.unplaced[v] > 0 {
            for (o, allowed) in periods.iter().enumerate() {
                if allowed.is_none() {
                    continue;
                }
                d.placed[v][o] += 1;
                let fits = region.kinds[v].departments.iter().all(|&dept| {
                    let need = needs(region, frame, &d.placed, dept);
                    let flow = max_flow(region, frame, dept, &need);
                    flow.delivered == need
                });
                if fits {
                    d.unplaced[v] -= 1;
                    continue 'visit;
                }
                d.placed[v][o] -= 1;
            }
            break;
        }
    }
}

/// Each class's inspector-visits per period, from the max-flow of every department.
fn allocate(region: &Region, frame: &Frame, placed: &[Vec<u64>]) -> Vec<Vec<u64>> {
    let periods = (frame.last - frame.first + 1) as usize;
    let mut allocation = vec![vec![0u64; periods]; region.classes.len()];
    for dept in region.departments() {
        let need = needs(region, frame, placed, dept);
        let flow = max_flow(region, frame, dept, &need);
        for (q, row) in flow.given {
            allocation[q] = row;
        }
    }
    allocation
}

/// An integer flow from a department's classes to the periods.
pub struct Flow {
    /// Inspector-visits arriving in each period offset.
    pub delivered: Vec<u64>,
    /// Class index → inspector-visits given to each period offset.
    pub given: BTreeMap<usize, Vec<u64>>,
}

/// Maximum flow source → class (its capacity) → period (if certified; at most one place per
/// member and visit) → sink (the need), by
/// shortest augmenting paths in a fixed order, so the same inputs give the same flow.
pub fn max_flow(region: &Region, frame: &Frame, dept: u16, need: &[u64]) -> Flow {
    let k = frame.k as u64;
    // Visits of the department per period, complaint-driven ones included (k places each).
    let visits: Vec<u64> = need.iter().map(|n| n.div_ceil(k)).collect();
    let classes: Vec<usize> = (0..region.classes.len())
        .filter(|&q| region.classes[q].department == dept)
        .collect();
    let n_periods = need.len();
    // Nodes: 0 source, 1..=C classes, then periods, then the sink.
    let c = classes.len();
    let sink = 1 + c + n_periods;
    let mut cap: BTreeMap<(usize, usize), u64> = BTreeMap::new();
    for (j, &q) in classes.iter().enumerate() {
        cap.insert((0, 1 + j), region.classes[q].total());
        // One place per member and visit.
        let members = region.classes[q].members.len() as u64;
        for (o, visits) in visits.iter().enumerate() {
            if region.classes[q].valid(frame.first + o as u32) {
                cap.insert((1 + j, 1 + c + o), members * visits);
            }
        }
    }
    for (o, &n) in need.iter().enumerate() {
        cap.insert((1 + c + o, sink), n);
    }
    let mut flow: BTreeMap<(usize, usize), u64> = BTreeMap::new();
    let residual = |cap: &BTreeMap<(usize, usize), u64>,
                    flow: &BTreeMap<(usize, usize), u64>,
                    a: usize,
                    b: usize| {
        cap.get(&(a, b)).copied().unwrap_or(0) - flow.get(&(a, b)).copied().unwrap_or(0)
            + flow.get(&(b, a)).copied().unwrap_or(0)
    };
    loop {
        let mut prev = vec![usize::MAX; sink + 1];
        prev[0] = 0;
        let mut queue = std::collections::VecDeque::from([0usize]);
        while let Some(a) = queue.pop_front() {
            for (b, from) in prev.iter_mut().enumerate() {
                if *from == usize::MAX && residual(&cap, &flow, a, b) > 0 {
                    *from = a;
                    queue.push_back(b);
                }
            }
        }
        if prev[sink] == usize::MAX {
            break;
        }
        let mut push = u64::MAX;
        let mut b = sink;
        while b != 0 {
            let a = prev[b];
            push = push.min(residual(&cap, &flow, a, b));
            b = a;
        }
        let mut b = sink;
        while b != 0 {
            let a = prev[b];
            let back = flow.get(&(b, a)).copied().unwrap_or(0);
            let cancel = back.min(push);
            if cancel > 0 {
                *flow.entry((b, a)).or_default() -= cancel;
            }
            if push > cancel {
                *flow.entry((a, b)).or_default() += push - cancel;
            }
            b = a;
        }
    }
    let f = |a: usize, b: usize| flow.get(&(a, b)).copied().unwrap_or(0);
    Flow {
        delivered: (0..n_periods).map(|o| f(1 + c + o, sink)).collect(),
        given: classes
            .iter()
            .enumerate()
            .map(|(j, &q)| (q, (0..n_periods).map(|o| f(1 + j, 1 + c + o)).collect()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads_exact_totals_by_fractional_part() {
        let row = spread(&[Some(1.5), None, Some(2.7), Some(0.0)], 5);
        assert_eq!(row.iter().sum::<u64>(), 5);
        assert_eq!(row, vec![2, 0, 3, 0]);
        assert_eq!(spread(&[Some(3.0), Some(3.0)], 4), vec![3, 1]);
    }
}
