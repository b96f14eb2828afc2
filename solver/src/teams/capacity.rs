//! The capacity team rule ([`crate::TeamRule::Capacity`], method `dr1`; `docs/draw-protocol.md`,
//! "Inspectors"): for each visit and each department in it, a team of the policy's size from that department — certified for the whole
//! period, of the enterprise's region, without a declared conflict, not the team that inspected
//! the enterprise last time, within capacity — chosen by seeded priority, covering the items'
//! specialties first. When no valid team exists the plan says which constraint fails.
//!
//! Inspectors are indexed by (department, region), so a visit looks only at the officers of
//! its own department and region; the others are counted, not scanned.

use crate::inputs::Inputs;
use crate::seed::Seed;
use crate::selection::drawn::{Counts, Drawn, Gap, Seat};
use crate::selection::{Plan, Visit};
use crate::teams::{last_teams, priority_of, priority_prefix, Failure, Member};
use crate::TeamRule;
use crate::Uscc;
use std::collections::{BTreeMap, BTreeSet};

/// Teams for the given visits, in their order (which decides who uses capacity first).
pub fn draw_teams(inputs: &Inputs, seed: &Seed, visits: &[Visit]) -> (Vec<Member>, Vec<Failure>) {
    let only_visits = Plan {
        visits: visits.to_vec(),
        ..Plan::default()
    };
    let mut d = Drawn::from_plan(inputs, &only_visits).expect("visits of these inputs");
    draw_seats(inputs, seed, &mut d);
    let plan = d.to_plan(inputs);
    (plan.teams, plan.failures)
}

/// The inspectors of one department and one region (a place), in id order.
struct Place {
    all: Vec<u32>,
    /// For each period (index `p − 1`), those certified for all of it and below their
    /// capacity, in id order; an inspector leaves every list when it reaches its capacity.
    open: Vec<Vec<u32>>,
    /// For each period (index `p − 1`), how many hold a certificate valid for all of it.
    valid: Vec<u32>,
}

/// What the team draw knows about the inspectors, by position.
struct Officers<'a> {
    places: BTreeMap<(u32, u32), Place>,
    /// Inspectors of each department.
    in_department: Vec<u32>,
    /// Each inspector's department.
    department: Vec<u32>,
    /// Each inspector's region id in the population, if some enterprise has it.
    region: Vec<Option<u32>>,
    /// Bit `p − 1` set: certificate valid for all of period `p`.
    valid: Vec<u32>,
    /// Each inspector's specialties, ascending positions in `Drawn::specialties`.
    specialties: Vec<Vec<u32>>,
    /// Declared conflicts as (enterprise, inspector) positions, ascending.
    conflicts: Vec<(u32, u32)>,
    last: BTreeMap<(Uscc, &'a str), BTreeSet<&'a str>>,
}

impl<'a> Officers<'a> {
    fn new(inputs: &'a Inputs, d: &Drawn) -> Officers<'a> {
        let periods = inputs.policy.periods.count();
        let year = inputs.policy.year;
        let valid: Vec<u32> = inputs
            .inspectors
            .iter()
            .map(|insp| {
                (1..=periods)
                    .filter(|&p| {
                        let (start, end) = inputs.policy.periods.dates(year, p);
                        insp.valid_from <= start && end <= insp.valid_until
                    })
                    .fold(0, |bits, p| bits | 1 << (p - 1))
            })
            .collect();
        let department: Vec<u32> = inputs
            .inspectors
            .iter()
            .map(|i| d.department_id(&i.department).expect("listed"))
            .collect();
        let region: Vec<Option<u32>> = inputs
            .inspectors
            .iter()
            .map(|i| inputs.population.region_id(&i.region))
            .collect();
        let mut places: BTreeMap<(u32, u32), Place> = BTreeMap::new();
        let mut in_department = vec![0u32; d.departments.len()];
        for (i, insp) in inputs.inspectors.iter().enumerate() {
            in_department[department[i] as usize] += 1;
            // An inspector of a region no enterprise has never serves a visit.
            let Some(r) = region[i] else { continue };
            let place = places.entry((department[i], r)).or_insert_with(|| Place {
                all: Vec::new(),
                open: vec![Vec::new(); periods as usize],
                valid: vec![0; periods as usize],
            });
            place.all.push(i as u32);
            for p in 0..periods as usize {
                if valid[i] & 1 << p != 0 {
                    place.valid[p] += 1;
                    if insp.capacity > 0 {
                        place.open[p].push(i as u32);
                    }
                }
            }
        }
        let specialties = inputs
            .inspectors
            .iter()
            .map(|i| {
                let mut s: Vec<u32> = i
                    .specialties
                    .iter()
                    .map(|s| d.specialty_id(s).expect("listed"))
                    .collect();
                s.sort_unstable();
                s
            })
            .collect();
        // As before: an id listed twice has its conflicts on its last position.
        let position: BTreeMap<&str, u32> = inputs
            .inspectors
            .iter()
            .enumerate()
            .map(|(i, x)| (x.id.as_str(), i as u32))
            .collect();
        let mut conflicts: Vec<(u32, u32)> = inputs
            .conflicts
            .iter()
            .filter_map(|(id, u)| {
                let i = *position.get(id.as_str())?;
                Some((inputs.population.index_of(u)? as u32, i))
            })
            .collect();
        conflicts.sort_unstable();
        conflicts.dedup();
        Officers {
            places,
            in_department,
            department,
            region,
            valid,
            specialties,
            conflicts,
            last: last_teams(inputs),
        }
    }

    fn has(&self, i: u32, specialty: u32) -> bool {
        self.specialties[i as usize]
            .binary_search(&specialty)
            .is_ok()
    }

    /// Whether inspector `i` belongs to `place` and holds a certificate valid for period `p`.
    fn serves(&self, i: u32, (dep, region): (u32, u32), p: u32) -> bool {
        self.department[i as usize] == dep
            && self.region[i as usize] == Some(region)
            && self.valid[i as usize] & 1 << (p - 1) != 0
    }
}

/// The specialties each task's items need, ascending positions in `Drawn::specialties`.
fn task_specialties(inputs: &Inputs, d: &Drawn) -> Vec<Vec<u32>> {
    inputs
        .tasks
        .iter()
        .map(|t| {
            let mut s: Vec<u32> = t
                .items
                .iter()
                .filter_map(|code| inputs.items.get(code))
                .filter(|item| !item.specialty.is_empty())
                .map(|item| d.specialty_id(&item.specialty).expect("listed"))
                .collect();
            s.sort_unstable();
            s.dedup();
            s
        })
        .collect()
}

/// Draws the teams of every visit of `d` into its seats and gaps.
///
/// A department's teams depend only on its own inspectors, so departments are drawn apart,
/// each in visit order, on all cores; the results are merged and sorted, so they do not depend
/// on which thread drew what.
pub fn draw_seats(inputs: &Inputs, seed: &Seed, d: &mut Drawn) {
    let officers = Officers::new(inputs, d);
    let needs = task_specialties(inputs, d);
    // The visits of each department, in visit order.
    let mut calls_of: Vec<Vec<u32>> = vec![Vec::new(); d.departments.len()];
    let mut departments = Vec::new();
    for (c, call) in d.calls.iter().enumerate() {
        d.departments_of(call, &mut departments);
        for &dep in &departments {
            calls_of[dep as usize].push(c as u32);
        }
    }
    let threads = if d.calls.len() < 10_000 {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
    };
    // Departments dealt to threads by size, largest first, each to the least loaded thread.
    let mut by_size: Vec<usize> = (0..d.departments.len()).collect();
    by_size.sort_by_key(|&dep| std::cmp::Reverse(calls_of[dep].len()));
    let mut shares: Vec<(usize, Vec<usize>)> = vec![(0, Vec::new()); threads];
    for dep in by_size {
        let least = (0..threads).min_by_key(|&t| shares[t].0).expect("a thread");
        shares[least].0 += calls_of[dep].len();
        shares[least].1.push(dep);
    }
    let drawn: &Drawn = d;
    let results: Vec<(Vec<Seat>, Vec<Gap>)> = std::thread::scope(|s| {
        let handles: Vec<_> = shares
            .iter()
            .map(|(_, deps)| {
                let (officers, needs, calls_of) = (&officers, &needs, &calls_of);
                s.spawn(move || {
                    let mut out = (Vec::new(), Vec::new());
                    for &dep in deps {
                        let mut team = TeamDraw {
                            inputs,
                            seed,
                            d: drawn,
                            officers,
                            needs,
                            dep: dep as u32,
                        };
                        team.run(&calls_of[dep], &mut out.0, &mut out.1);
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("team draw"))
            .collect()
    });
    let (mut seats, mut gaps) = (Vec::new(), Vec::new());
    for (s, g) in results {
        seats.extend(s);
        gaps.extend(g);
    }
    let ranks = d.id_ranks(inputs);
    let ids = |i: u32| inputs.inspectors[i as usize].id.as_str();
    seats.sort_by(|a, b| {
        (
            ranks[a.call as usize],
            a.department,
            ids(a.inspector),
            a.inspector,
        )
            .cmp(&(
                ranks[b.call as usize],
                b.department,
                ids(b.inspector),
                b.inspector,
            ))
    });
    gaps.sort_by_key(|g| (ranks[g.call as usize], g.department));
    d.seats = seats;
    d.gaps = gaps;
}

/// The teams of one department.
struct TeamDraw<'a> {
    inputs: &'a Inputs,
    seed: &'a Seed,
    d: &'a Drawn,
    officers: &'a Officers<'a>,
    needs: &'a [Vec<u32>],
    dep: u32,
}

impl TeamDraw<'_> {
    fn run(&mut self, calls: &[u32], seats: &mut Vec<Seat>, gaps: &mut Vec<Gap>) {
        let (inputs, d, officers, dep) = (self.inputs, self.d, self.officers, self.dep);
        let k = inputs.policy.inspectors_per_department;
        let name = d.departments[dep as usize].as_str();
        let mut used: Vec<u32> = vec![0; inputs.inspectors.len()];
        // The department's places by region id, with their open lists.
        let regions = inputs.population.regions().len();
        let mut places: Vec<Option<&Place>> = vec![None; regions];
        let mut open: Vec<Vec<Vec<u32>>> = vec![Vec::new(); regions];
        for ((pd, r), place) in &officers.places {
            if *pd == dep {
                places[*r as usize] = Some(place);
                open[*r as usize] = place.open.clone();
            }
        }
        let no_place = Place {
            all: Vec::new(),
            open: Vec::new(),
            valid: vec![0; inputs.policy.periods.count() as usize],
        };
        let no_last = BTreeSet::new();
        let (mut id, mut needed, mut conflict, mut last) =
            (String::new(), Vec::new(), Vec::new(), Vec::new());
        let mut candidates: Vec<(u64, u32)> = Vec::new();
        for &call_no in calls {
            let call = &d.calls[call_no as usize];
            let e = inputs.population[call.index as usize];
            let p = call.period;
            let key = (dep, e.region);
            let place = places[e.region as usize].unwrap_or(&no_place);
            needed.clear();
            for &t in d.tasks_of(call) {
                if d.task_department[t as usize] == dep {
                    needed.extend_from_slice(&self.needs[t as usize]);
                }
            }
            needed.sort_unstable();
            needed.dedup();
            // Declared conflicts of the enterprise among the place's certified inspectors.
            conflict.clear();
            let from = officers.conflicts.partition_point(|&(x, _)| x < call.index);
            conflict.extend(
                officers.conflicts[from..]
                    .iter()
                    .take_while(|&&(x, _)| x == call.index)
                    .map(|&(_, i)| i)
                    .filter(|&i| officers.serves(i, key, p)),
            );
            // The last team, among the same but for those conflicts.
            last.clear();
            for inspector in officers.last.get(&(e.uscc, name)).unwrap_or(&no_last) {
                let lo = inputs
                    .inspectors
                    .partition_point(|x| x.id.as_str() < *inspector);
                let hi = inputs
                    .inspectors
                    .partition_point(|x| x.id.as_str() <= *inspector);
                last.extend(
                    (lo as u32..hi as u32)
                        .filter(|&i| officers.serves(i, key, p) && !conflict.contains(&i)),
                );
            }
            candidates.clear();
            let open_here = open[e.region as usize]
                .get(p as usize - 1)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            candidates.extend(
                open_here
                    .iter()
                    .filter(|i| !conflict.contains(i) && !last.contains(i))
                    .map(|&i| (0, i)),
            );
            // Priorities only matter when a team can form or specialties decide who is found.
            if candidates.len() as u32 >= k || !needed.is_empty() {
                d.visit_id(inputs, call, &mut id);
                let prefix = priority_prefix(TeamRule::Capacity, self.seed, &id, name);
                for c in candidates.iter_mut() {
                    c.0 = priority_of(&prefix, &inputs.inspectors[c.1 as usize].id);
                }
            }
            candidates.sort_by(|a, b| {
                (a.0, &inputs.inspectors[a.1 as usize].id)
                    .cmp(&(b.0, &inputs.inspectors[b.1 as usize].id))
            });
            let valid = place.valid[p as usize - 1];
            let excluded = (conflict.len() + last.len() + candidates.len()) as u32;
            let counts = Counts {
                department: officers.in_department[dep as usize],
                other_region: officers.in_department[dep as usize] - place.all.len() as u32,
                certificate: place.all.len() as u32 - valid,
                conflict: conflict.len() as u32,
                last_time: last.len() as u32,
                capacity: valid - excluded,
                available: candidates.len() as u32,
            };
            match pick(officers, &candidates, &needed, k) {
                Ok(team) => {
                    for (priority, i) in team {
                        used[i as usize] += 1;
                        if used[i as usize] >= inputs.inspectors[i as usize].capacity {
                            for list in &mut open[e.region as usize] {
                                if let Ok(at) = list.binary_search(&i) {
                                    list.remove(at);
                                }
                            }
                        }
                        seats.push(Seat {
                            call: call_no,
                            department: dep,
                            inspector: i,
                            priority,
                        });
                    }
                }
                Err(found) => gaps.push(Gap {
                    call: call_no,
                    department: dep,
                    needed: k,
                    found,
                    counts,
                    missing: needed
                        .iter()
                        .copied()
                        .filter(|&s| !candidates.iter().any(|&(_, i)| officers.has(i, s)))
                        .collect(),
                }),
            }
        }
    }
}

/// Covers each specialty with the first candidate having it, then fills by priority. `Err`
/// carries how many could be found.
fn pick(
    officers: &Officers,
    candidates: &[(u64, u32)],
    needed: &[u32],
    k: u32,
) -> Result<Vec<(u64, u32)>, u32> {
    let mut team: Vec<(u64, u32)> = Vec::new();
    for &s in needed {
        if team.iter().any(|&(_, i)| officers.has(i, s)) {
            continue;
        }
        match candidates
            .iter()
            .find(|&&(_, i)| officers.has(i, s) && !team.iter().any(|&(_, j)| j == i))
        {
            Some(c) => team.push(*c),
            None => return Err(team.len() as u32),
        }
    }
    for c in candidates {
        if team.len() as u32 >= k {
            break;
        }
        if !team.iter().any(|&(_, j)| j == c.1) {
            team.push(*c);
        }
    }
    if team.len() as u32 >= k {
        Ok(team)
    } else {
        Err(team.len() as u32)
    }
}
