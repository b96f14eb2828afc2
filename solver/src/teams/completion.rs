//! Teams that complete whenever a swap allows it (method `dr3`; `docs/plan-model.md`, "dr3:
//! capacity, teams, merging, bound", "Team completion").
//!
//! The budget rule's greedy draw ([`crate::teams::budget`]) takes candidates by budget left and
//! seeded priority ρ₂; it can fail a team because the inspectors it needs were spent on earlier
//! visits of the same period that could have done with others. For a team that failed, the
//! missing places are filled one at a time (first the missing specialties in byte order, then
//! the places up to k) by an **augmenting path**: an inspector who fits the place and has
//! budget left; or one who fits but whose budget went to another team of the same department
//! and period, where another inspector can take their place (keeping that team valid), who has
//! budget left or is freed the same way. Breadth first, inspectors in id order, teams in the
//! order drawn; each team is changed at most once per search. Everything else the greedy draw
//! chose stays.

use crate::teams::budget::{Drawn, Staffing, TeamDraw};
use crate::teams::priority;
use crate::TeamRule;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// The failure reason's last clause when the search finds no completion.
pub const NO_ASSIGNMENT: &str =
    "no swap with the period's other teams of the department completes it (augmenting search)";

/// Whether `members` is a valid team for visit `w` and department `d`: at least k members
/// whose specialties cover the visit's needs.
fn valid(draw: &TeamDraw, w: &Staffing, d: &str, members: &[(u64, usize)]) -> bool {
    let needs = w.specialties.get(d).map(Vec::as_slice).unwrap_or(&[]);
    members.len() as u32 >= draw.frame.k
        && needs.iter().all(|s| {
            members
                .iter()
                .any(|&(_, i)| draw.inputs.inspectors[i].specialties.contains(s))
        })
}

/// Completes the team of visit `n` for department `d` from the greedy draw's `team`, changing
/// teams of `slot` (the department's teams of the period, by position in `drawn`) along
/// augmenting paths. On success the budgets are those the caller's usual deduction of one per
/// member of the returned team leaves right; on failure nothing has changed.
#[allow(clippy::too_many_arguments)]
pub fn complete(
    draw: &mut TeamDraw,
    visits: &[Staffing],
    drawn: &mut [Drawn],
    slot: &[usize],
    n: usize,
    d: &str,
    mut team: Vec<(u64, usize)>,
    before: &BTreeSet<usize>,
) -> Option<Vec<(u64, usize)>> {
    let v = &visits[n];
    let p = v.period;
    let o = (p - draw.frame.first) as usize;
    let k = draw.frame.k as usize;
    let needs: Vec<String> = v.specialties.get(d).cloned().unwrap_or_default();
    let inspectors: Vec<usize> = draw.by_department.get(d).cloned().unwrap_or_default();
    let mut journal: Vec<(usize, Vec<(u64, usize)>)> = Vec::new();
    let mut moved: Vec<(usize, usize)> = Vec::new(); // (spent, freed)
    let has =
        |draw: &TeamDraw, i: usize, s: &String| draw.inputs.inspectors[i].specialties.contains(s);
    let rho = |draw: &TeamDraw, id: &str, i: usize| {
        priority(
            TeamRule::Budget,
            draw.seed,
            id,
            d,
            &draw.inputs.inspectors[i].id,
        )
    };
    loop {
        let missing = needs
            .iter()
            .find(|s| !team.iter().any(|&(_, i)| has(draw, i, s)))
            .cloned();
        if missing.is_none() && team.len() >= k {
            break;
        }
        let fits = |draw: &TeamDraw, i: usize, team: &[(u64, usize)]| {
            !team.iter().any(|t| t.1 == i) && missing.as_ref().is_none_or(|s| has(draw, i, s))
        };
        let mut seen: BTreeSet<usize> = team.iter().map(|t| t.1).collect();
        let mut used: BTreeSet<usize> = BTreeSet::new();
        let mut parent: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
        let mut queue = VecDeque::new();
        let mut found = None;
        for &i in &inspectors {
            if fits(draw, i, &team) && draw.eligible(v, i, before) {
                seen.insert(i);
                if draw.left(i, p) > 0 {
                    found = Some(i);
                    break;
                }
                queue.push_back(i);
            }
        }
        'search: while found.is_none() {
            let Some(i) = queue.pop_front() else { break };
            for &t in slot {
                if used.contains(&t) || !drawn[t].members.iter().any(|m| m.1 == i) {
                    continue;
                }
                let w = &visits[drawn[t].visit];
                for &j in &inspectors {
                    if seen.contains(&j)
                        || drawn[t].members.iter().any(|m| m.1 == j)
                        || !draw.eligible(w, j, &drawn[t].before)
                    {
                        continue;
                    }
                    let swapped: Vec<(u64, usize)> = drawn[t]
                        .members
                        .iter()
                        .map(|&m| if m.1 == i { (0, j) } else { m })
                        .collect();
                    if !valid(draw, w, d, &swapped) {
                        continue;
                    }
                    seen.insert(j);
                    parent.insert(j, (i, t));
                    if draw.left(j, p) > 0 {
                        found = Some(j);
                        break 'search;
                    }
                    queue.push_back(j);
                }
                used.insert(t);
            }
        }
        let Some(end) = found else {
            // Undo: the teams changed and the budgets moved.
            for (t, members) in journal.into_iter().rev() {
                drawn[t].members = members;
            }
            for (spent, freed) in moved.into_iter().rev() {
                if let Some(b) = draw.budget.get_mut(&spent) {
                    b[o] += 1;
                }
                if let Some(b) = draw.budget.get_mut(&freed) {
                    b[o] -= 1;
                }
            }
            return None;
        };
        let mut cur = end;
        while let Some(&(i, t)) = parent.get(&cur) {
            journal.push((t, drawn[t].members.clone()));
            let id = visits[drawn[t].visit].id;
            let r = rho(draw, id, cur);
            for m in drawn[t].members.iter_mut() {
                if m.1 == i {
                    *m = (r, cur);
                }
            }
            cur = i;
        }
        if cur != end {
            // `end` spends a place; `cur` (the start) gets back the one it had given.
            if let Some(b) = draw.budget.get_mut(&end) {
                b[o] -= 1;
            }
            if let Some(b) = draw.budget.get_mut(&cur) {
                b[o] += 1;
            }
            moved.push((end, cur));
        }
        team.push((rho(draw, v.id, cur), cur));
    }
    // The changed teams are the last teams of their enterprises now.
    let changed: BTreeSet<usize> = journal.iter().map(|(t, _)| *t).collect();
    for t in changed {
        let w = &visits[drawn[t].visit];
        draw.last.insert(
            (w.index, d.to_string()),
            drawn[t].members.iter().map(|m| m.1).collect(),
        );
    }
    Some(team)
}
