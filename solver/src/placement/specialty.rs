//! Capacity by specialty ([`crate::CapacityModel::Specialty`], method `dr3`;
//! `docs/plan-model.md`, "dr3: capacity, teams, merging, bound").
//!
//! A visit of kind v needs of department d a team of at least k members whose specialties cover
//! the kind's needs R(v,d). Under `dr2` the optimizer counted k inspector-visits of d per visit
//! whatever the specialties, and the team draw then found the specialists used up. Here:
//!
//! - the **team size** t(v,d) is max(k, the fewest class specialty sets of d covering R(v,d));
//! - for every **specialty family** S of d (each specialty needed by a kind of d, and each
//!   distinct R(v,d) of two or more specialties) and period p, the visits' specialist demand
//!   Σ_v c(v,d,S)·x[v,p] is at most the inspector-visits of the classes of d holding some
//!   specialty of S, where c(v,d,S) is the fewest class specialty sets covering R(v,d) ∩ S (a
//!   Hall-type condition: whoever covers S for the visit holds a specialty of S);
//! - the total Σ_v t(v,d)·x[v,p] + reserve is at most the inspector-visits of d.
//!
//! The same inequalities are kept in integers by [`decide`] on the integer allocation, so the
//! budgets the team draw receives satisfy every one of them.

use crate::placement::cells::{Frame, Region};
use crate::placement::integer::{kind_demand, rounded, Decision};
use crate::placement::model::Fractional;
use std::collections::{BTreeMap, BTreeSet};

/// The fewest of `sets` whose union covers `target` (0 for an empty target), or `None`.
pub fn cover(sets: &[Vec<u16>], target: &[u16]) -> Option<u32> {
    if target.is_empty() {
        return Some(0);
    }
    let bit = |s: u16| target.iter().position(|&t| t == s);
    let masks: BTreeSet<u32> = sets
        .iter()
        .map(|set| {
            set.iter()
                .filter_map(|&s| bit(s))
                .fold(0u32, |m, b| m | (1 << b))
        })
        .filter(|&m| m != 0)
        .collect();
    let full = (1u32 << target.len()) - 1;
    // Breadth-first over the covered subsets: the first time `full` is reached is the fewest.
    let mut seen = vec![false; full as usize + 1];
    seen[0] = true;
    let mut layer = vec![0u32];
    for n in 1..=target.len() as u32 {
        let mut next = Vec::new();
        for &m in &layer {
            for &s in &masks {
                let u = m | s;
                if !seen[u as usize] {
                    seen[u as usize] = true;
                    if u == full {
                        return Some(n);
                    }
                    next.push(u);
                }
            }
        }
        if next.is_empty() {
            return None;
        }
        layer = next;
    }
    None
}

/// The specialty structure of one region: families, coefficients and team sizes.
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// Per department: the specialty families S, each sorted; the families in order.
    pub families: BTreeMap<u16, Vec<Vec<u16>>>,
    /// Per (kind, department): c(v,d,S) for each family of d, in the families' order.
    pub coefficients: BTreeMap<(usize, u16), Vec<u32>>,
    /// Per (kind, department): the team size t(v,d); absent where R(v,d) cannot be covered.
    pub size: BTreeMap<(usize, u16), u32>,
}

impl Table {
    /// The table of a region (empty specialty needs give the size k and no family).
    pub fn new(region: &Region, frame: &Frame) -> Table {
        let mut sets: BTreeMap<u16, Vec<Vec<u16>>> = BTreeMap::new();
        for q in &region.classes {
            let list = sets.entry(q.department).or_default();
            if !list.contains(&q.specialties) {
                list.push(q.specialties.clone());
            }
        }
        let mut families: BTreeMap<u16, BTreeSet<Vec<u16>>> = BTreeMap::new();
        for kind in &region.kinds {
            for (d, needs) in &kind.needs {
                let f = families.entry(*d).or_default();
                for &s in needs {
                    f.insert(vec![s]);
                }
                if needs.len() > 1 {
                    f.insert(needs.clone());
                }
            }
        }
        let families: BTreeMap<u16, Vec<Vec<u16>>> = families
            .into_iter()
            .map(|(d, f)| (d, f.into_iter().collect()))
            .collect();
        let none = Vec::new();
        let mut coefficients = BTreeMap::new();
        let mut size = BTreeMap::new();
        for (v, kind) in region.kinds.iter().enumerate() {
            for &d in &kind.departments {
                let have = sets.get(&d).unwrap_or(&none);
                let needs = kind.needs_of(d);
                let Some(full) = cover(have, needs) else {
                    continue;
                };
                size.insert((v, d), full.max(frame.k));
                let row = families
                    .get(&d)
                    .map(|fs| {
                        fs.iter()
                            .map(|s| {
                                let part: Vec<u16> =
                                    needs.iter().copied().filter(|x| s.contains(x)).collect();
                                cover(have, &part).unwrap_or(0)
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                coefficients.insert((v, d), row);
            }
        }
        Table {
            families,
            coefficients,
            size,
        }
    }

    /// Whether a visit of kind v can be staffed in period p at all: every department has a
    /// cover of its needs among the classes certified for p, with at least k inspectors.
    pub fn staffable(&self, region: &Region, frame: &Frame, v: usize, p: u32) -> bool {
        region.kinds[v].departments.iter().all(|&d| {
            if !self.size.contains_key(&(v, d)) {
                return false;
            }
            let sets: Vec<Vec<u16>> = region
                .classes
                .iter()
                .filter(|q| q.department == d && q.valid(p))
                .map(|q| q.specialties.clone())
                .collect();
            cover(&sets, region.kinds[v].needs_of(d)).is_some()
                && region.inspectors(d, p) >= frame.k as u64
        })
    }

    /// Whether class `q`'s specialties meet the family `s`.
    pub fn meets(region: &Region, q: usize, s: &[u16]) -> bool {
        region.classes[q].specialties.iter().any(|x| s.contains(x))
    }
}

/// The integer decisions under the specialty model: the linear program's values rounded as
/// under `dr2` (`docs/plan-model.md` §5 steps 1–3), the allocation w rounded down, then every
/// inequality of the model re-established in integers, department by department and period by
/// period: a violated inequality is first met by one more inspector-visit of a class of d
/// certified for p that meets it and has yearly capacity left (classes in order), else one
/// visit of the kind with the fewest checks (highest kind number on ties) among those that
/// count in it is left unplanned. Then visits left unplanned are re-placed where every
/// inequality still holds (kinds in order, periods in order).
pub fn decide(region: &Region, frame: &Frame, table: &Table, f: &Fractional) -> Decision {
    let mut d = rounded(region, f);
    let periods = (frame.last - frame.first + 1) as usize;
    let mut alloc: Vec<Vec<u64>> = region
        .classes
        .iter()
        .enumerate()
        .map(|(q, _)| {
            (0..periods)
                .map(|o| {
                    f.allocation.get(q).and_then(|row| row[o]).map_or(0, |w| {
                        (w + super::integer::TOLERANCE).max(0.0).floor() as u64
                    })
                })
                .collect()
        })
        .collect();
    for dept in region.departments() {
        for o in 0..periods {
            while let Some(violated) =
                first_violation(region, frame, table, &d.placed, &alloc, dept, o)
            {
                if top_up(
                    region, frame, table, &d.placed, &mut alloc, dept, o, &violated,
                ) {
                    continue;
                }
                let victim = (0..region.kinds.len())
                    .filter(|&v| d.placed[v][o] > 0 && counts_in(region, table, v, dept, &violated))
                    .min_by_key(|&v| (region.kinds[v].checks, std::cmp::Reverse(v)));
                let Some(v) = victim else {
                    break; // only complaint reserve is short: reported as a shortage
                };
                d.placed[v][o] -= 1;
                d.unplaced[v] += 1;
            }
        }
    }
    for v in 0..region.kinds.len() {
        'visit: while d.unplaced[v] > 0 {
            for o in 0..periods {
                let p = frame.first + o as u32;
                if f.placed[v][o].is_none() || !table.staffable(region, frame, v, p) {
                    continue;
                }
                d.placed[v][o] += 1;
                let mut trial = alloc.clone();
                let fits = region.kinds[v].departments.iter().all(|&dept| {
                    while let Some(violated) =
                        first_violation(region, frame, table, &d.placed, &trial, dept, o)
                    {
                        if !top_up(
                            region, frame, table, &d.placed, &mut trial, dept, o, &violated,
                        ) {
                            return false;
                        }
                    }
                    true
                });
                if fits {
                    alloc = trial;
                    d.unplaced[v] -= 1;
                    continue 'visit;
                }
                d.placed[v][o] -= 1;
            }
            break;
        }
    }
    // Never more than one place per member and visit of the department in the period.
    for (q, class) in region.classes.iter().enumerate() {
        for (o, w) in alloc[q].iter_mut().enumerate() {
            let visits = visits_of(region, frame, &d.placed, class.department, o);
            *w = (*w).min(class.members.len() as u64 * visits);
        }
    }
    d.allocation = alloc;
    debug_assert_eq!(
        kind_demand(region, &d.merged, &d.partial),
        (0..region.kinds.len())
            .map(|v| d.placed[v].iter().sum::<u64>() + d.unplaced[v])
            .collect::<Vec<_>>()
    );
    d
}

/// Which inequality of department d in period offset o fails: `None` for the total, `Some(i)`
/// for family i.
type Violation = Option<usize>;

/// Visits of department d in period offset o, complaint-driven ones included.
fn visits_of(region: &Region, frame: &Frame, placed: &[Vec<u64>], d: u16, o: usize) -> u64 {
    let p = frame.first + o as u32;
    let reserve = region.reserve.get(&(d, p)).copied().unwrap_or(0);
    let new: u64 = region
        .kinds
        .iter()
        .zip(placed)
        .filter(|(k, _)| k.departments.contains(&d))
        .map(|(_, row)| row[o])
        .sum();
    new + reserve.div_ceil(frame.k as u64)
}

/// The inspector-visits class q can usefully give in period offset o.
fn usable(
    region: &Region,
    frame: &Frame,
    placed: &[Vec<u64>],
    alloc: &[Vec<u64>],
    q: usize,
    o: usize,
) -> u64 {
    let class = &region.classes[q];
    let visits = visits_of(region, frame, placed, class.department, o);
    alloc[q][o].min(class.members.len() as u64 * visits)
}

/// The first inequality of department d in period offset o that the allocation does not meet:
/// the total first, then the families in order.
#[allow(clippy::too_many_arguments)]
fn first_violation(
    region: &Region,
    frame: &Frame,
    table: &Table,
    placed: &[Vec<u64>],
    alloc: &[Vec<u64>],
    d: u16,
    o: usize,
) -> Option<Violation> {
    let p = frame.first + o as u32;
    let classes: Vec<usize> = (0..region.classes.len())
        .filter(|&q| region.classes[q].department == d)
        .collect();
    let mut need = region.reserve.get(&(d, p)).copied().unwrap_or(0);
    for (v, kind) in region.kinds.iter().enumerate() {
        if kind.departments.contains(&d) && placed[v][o] > 0 {
            let t = table.size.get(&(v, d)).copied().unwrap_or(frame.k) as u64;
            need += t * placed[v][o];
        }
    }
    let have: u64 = classes
        .iter()
        .map(|&q| usable(region, frame, placed, alloc, q, o))
        .sum();
    if need > have {
        return Some(None);
    }
    for (i, s) in table.families.get(&d).into_iter().flatten().enumerate() {
        let mut need = 0u64;
        for (v, kind) in region.kinds.iter().enumerate() {
            if kind.departments.contains(&d) && placed[v][o] > 0 {
                let c = table.coefficients.get(&(v, d)).map_or(0, |row| row[i]);
                need += c as u64 * placed[v][o];
            }
        }
        let have: u64 = classes
            .iter()
            .filter(|&&q| Table::meets(region, q, s))
            .map(|&q| usable(region, frame, placed, alloc, q, o))
            .sum();
        if need > have {
            return Some(Some(i));
        }
    }
    None
}

/// One more inspector-visit for the violated inequality from a class of d certified for the
/// period, meeting it, with yearly capacity left and room under one place per member and visit.
#[allow(clippy::too_many_arguments)]
fn top_up(
    region: &Region,
    frame: &Frame,
    table: &Table,
    placed: &[Vec<u64>],
    alloc: &mut [Vec<u64>],
    d: u16,
    o: usize,
    violated: &Violation,
) -> bool {
    let p = frame.first + o as u32;
    let visits = visits_of(region, frame, placed, d, o);
    for (q, class) in region.classes.iter().enumerate() {
        if class.department != d || !class.valid(p) {
            continue;
        }
        if let Some(i) = violated {
            let s = &table.families[&d][*i];
            if !Table::meets(region, q, s) {
                continue;
            }
        }
        let given: u64 = alloc[q].iter().sum();
        if given >= class.total() || alloc[q][o] >= class.members.len() as u64 * visits {
            continue;
        }
        alloc[q][o] += 1;
        return true;
    }
    false
}

/// Whether kind v counts in the violated inequality of department d.
fn counts_in(region: &Region, table: &Table, v: usize, d: u16, violated: &Violation) -> bool {
    if !region.kinds[v].departments.contains(&d) {
        return false;
    }
    match violated {
        None => true,
        Some(i) => table
            .coefficients
            .get(&(v, d))
            .is_some_and(|row| row[*i] > 0),
    }
}
