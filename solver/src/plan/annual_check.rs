//! Independent checks of a `dr2` plan (`docs/plan-model.md`, "Verification"): every rule the
//! plan must keep, checked from the inputs and the plan alone, sharing no code with the
//! optimizer or the placement. The selection is checked by `dr1`'s own checks.

use crate::inputs::annual::Annual;
use crate::inputs::Inputs;
use crate::placement::Plan;
use crate::selection;
use crate::teams::budget::budgets;
use crate::CapacityModel;
use std::collections::{BTreeMap, BTreeSet};

/// The first broken rule, as a sentence.
pub fn check(inputs: &Inputs, annual: &Annual, plan: &Plan) -> Result<(), String> {
    // The selection's own rules (eligibility, quotas), by dr1's checks; visits and teams are
    // dr2's and are checked below.
    let selection = selection::Plan {
        strata: plan.selection.strata.clone(),
        selections: plan.selection.selections.clone(),
        ..selection::Plan::default()
    };
    crate::plan::check::check(inputs, &selection)?;
    every_check_once(inputs, annual, plan)?;
    windows_and_caps(inputs, annual, plan)?;
    capacity(inputs, plan)?;
    teams(inputs, plan)
}

/// Each selected check of a group is in exactly one visit, or pinned, or listed unplanned.
fn every_check_once(inputs: &Inputs, annual: &Annual, plan: &Plan) -> Result<(), String> {
    let mut seen: BTreeMap<(crate::Uscc, &str), u32> = BTreeMap::new();
    for v in &plan.visits {
        for g in &v.groups {
            *seen.entry((v.uscc, g.as_str())).or_default() += 1;
        }
    }
    for u in &plan.unplanned {
        *seen
            .entry((inputs.uscc_of(u.index), u.group.as_str()))
            .or_default() += 1;
    }
    let pinned: BTreeSet<(crate::Uscc, &str)> = annual
        .pinned()
        .flat_map(|v| v.groups.iter().map(move |g| (v.uscc, g.as_str())))
        .collect();
    for c in &plan.selection.visits {
        let key = (inputs.uscc_of(c.index), c.group.as_str());
        let n = seen.remove(&key).unwrap_or(0);
        if n != 1 {
            return Err(format!(
                "check of group {} at {} appears {n} times in visits and unplanned, not once",
                key.1, key.0
            ));
        }
    }
    if let Some(((u, g), _)) = seen.into_iter().find(|k| !pinned.contains(&k.0)) {
        return Err(format!(
            "visit of {u} carries group {g}, which did not draw it"
        ));
    }
    Ok(())
}

/// New visits lie in every group's window after the pinned periods; no new visit that is not
/// exempt ([`Inputs::cap_exempt`], [`Inputs::cap_applies`]: key supervision) takes an enterprise
/// over its tier's cap, its pinned and complaint-driven visits counted first. Those alone may
/// pass the cap (complaints are not the plan's to refuse); the plan then adds no such visit
/// (`docs/plan-model.md` §6, §10).
fn windows_and_caps(inputs: &Inputs, annual: &Annual, plan: &Plan) -> Result<(), String> {
    let windows: BTreeMap<&str, (u32, u32)> = inputs
        .tasks
        .iter()
        .map(|t| (t.group.as_str(), (t.period_from, t.period_to)))
        .collect();
    let mut visits: BTreeMap<crate::Uscc, BTreeSet<u32>> = BTreeMap::new();
    // Per enterprise: (pinned and complaint-driven visits, new visits), those not exempt.
    let mut count: BTreeMap<crate::Uscc, (u32, u32)> = BTreeMap::new();
    for v in &plan.visits {
        let exempt = v
            .index
            .is_some_and(|i| inputs.cap_exempt(i, v.departments.iter().map(String::as_str)));
        if !exempt {
            let (counted, new) = count.entry(v.uscc).or_default();
            *(if v.pinned { counted } else { new }) += 1;
        }
        if !visits.entry(v.uscc).or_default().insert(v.period) && !v.pinned {
            return Err(format!("{} has two visits in period {}", v.uscc, v.period));
        }
        if v.pinned {
            continue;
        }
        if v.period <= annual.pinned_through {
            return Err(format!(
                "visit {} falls in pinned period {}",
                v.id, v.period
            ));
        }
        for g in &v.groups {
            let (from, to) = windows[g.as_str()];
            if v.period < from || v.period > to {
                return Err(format!(
                    "visit {} in period {} is outside group {g}'s window {from}-{to}",
                    v.id, v.period
                ));
            }
        }
    }
    let complaints: BTreeSet<(crate::Uscc, u32)> = annual
        .complaints
        .iter()
        .map(|c| (c.uscc, c.period))
        .collect();
    for (u, _) in complaints {
        count.entry(u).or_default().0 += 1;
    }
    for (u, (counted, new)) in count {
        let Some(i) = inputs.index_of(&u) else {
            continue;
        };
        let cap = inputs.policy.cap(inputs.tier_of(i));
        if inputs.cap_applies(i) && new > 0 && counted + new > cap {
            return Err(format!(
                "{u} (tier {}) has {} visits, over its cap {cap}",
                inputs.tier_of(i),
                counted + new
            ));
        }
    }
    Ok(())
}

/// The optimizer's capacity decisions hold in integers: no class gives more than its members
/// have, only in certified periods, and every department's visits in a region and period fit
/// the inspector-visits given there with its complaint reserve — unless the department has no
/// new visit there: a reserve that alone finds no capacity is short, and no plan can mend that
/// (`docs/plan-model.md` §5, §10).
fn capacity(inputs: &Inputs, plan: &Plan) -> Result<(), String> {
    let k = plan.frame.k as u64;
    for r in &plan.regions {
        let mut given: BTreeMap<(u16, u32), u64> = BTreeMap::new();
        for (q, class) in r.region.classes.iter().enumerate() {
            let row = &r.decision.allocation[q];
            if row.iter().sum::<u64>() > class.total() {
                return Err(format!(
                    "a class of {} in {} is given more visits than its inspectors have",
                    plan.frame.departments[class.department as usize], r.region.name
                ));
            }
            for (o, &n) in row.iter().enumerate() {
                let p = plan.frame.first + o as u32;
                if n > 0 && !class.valid(p) {
                    return Err(format!(
                        "inspectors in {} given visits in period {p} without a valid certificate",
                        r.region.name
                    ));
                }
                *given.entry((class.department, p)).or_default() += n;
            }
        }
        let mut need: BTreeMap<(u16, u32), u64> = r.region.reserve.clone();
        let mut visited: BTreeSet<(u16, u32)> = BTreeSet::new();
        for v in plan.visits.iter().filter(|v| !v.pinned) {
            let Some(i) = v.index else { continue };
            if inputs.region_of(i) != r.region.name {
                continue;
            }
            for d in &v.departments {
                let d = plan.frame.department(d).expect("known department");
                *need.entry((d, v.period)).or_default() += k;
                visited.insert((d, v.period));
            }
        }
        for ((d, p), n) in need {
            let have = given.get(&(d, p)).copied().unwrap_or(0);
            if n > have && visited.contains(&(d, p)) {
                return Err(format!(
                    "{} in {} needs {n} inspector-visits in period {p}, {have} were planned",
                    plan.frame.departments[d as usize], r.region.name
                ));
            }
        }
    }
    Ok(())
}

/// Team rules: department, region, certificate, conflicts, not the last team, within each
/// inspector's budget and yearly capacity, k members or a stated failure.
fn teams(inputs: &Inputs, plan: &Plan) -> Result<(), String> {
    let by_id: BTreeMap<&str, usize> = inputs
        .inspectors
        .iter()
        .enumerate()
        .map(|(i, x)| (x.id.as_str(), i))
        .collect();
    let visits: BTreeMap<&str, &crate::placement::Visit> =
        plan.visits.iter().map(|v| (v.id.as_str(), v)).collect();
    let mut budget: BTreeMap<usize, Vec<u64>> = BTreeMap::new();
    for r in &plan.regions {
        budget.extend(budgets(&r.region, &r.decision));
    }
    let mut used: BTreeMap<usize, u32> = BTreeMap::new();
    for m in &plan.pinned_teams {
        if let Some(&i) = by_id.get(m.inspector.as_str()) {
            *used.entry(i).or_default() += 1;
        }
    }
    let mut size: BTreeMap<(&str, &str), u32> = BTreeMap::new();
    for m in &plan.teams {
        let v = visits
            .get(m.visit.as_str())
            .ok_or_else(|| format!("team of unknown visit {}", m.visit))?;
        let i = *by_id
            .get(m.inspector.as_str())
            .ok_or_else(|| format!("unknown inspector {}", m.inspector))?;
        let insp = &inputs.inspectors[i];
        let e = v.index.expect("new visits have an enterprise");
        let (start, end) = inputs.policy.periods.dates(inputs.policy.year, v.period);
        let broken = if insp.department != m.department || !v.departments.contains(&m.department) {
            Some("is not of the visit's department")
        } else if insp.region != inputs.region_of(e) {
            Some("does not serve the enterprise's region")
        } else if !(insp.valid_from <= start && end <= insp.valid_until) {
            Some("has no certificate valid for the whole period")
        } else if inputs.conflicts.contains(&(insp.id.clone(), v.uscc)) {
            Some("has a declared conflict with the enterprise")
        } else {
            None
        };
        if let Some(why) = broken {
            return Err(format!("inspector {} on visit {} {why}", insp.id, v.id));
        }
        let o = (v.period - plan.frame.first) as usize;
        let b = budget.get_mut(&i).map(|b| &mut b[o]);
        match b {
            Some(b) if *b > 0 => *b -= 1,
            _ => {
                return Err(format!(
                    "inspector {} exceeds the visits planned for them in period {}",
                    insp.id, v.period
                ))
            }
        }
        let u = used.entry(i).or_default();
        *u += 1;
        if *u > insp.capacity {
            return Err(format!(
                "inspector {} exceeds their yearly capacity",
                insp.id
            ));
        }
        *size
            .entry((m.visit.as_str(), m.department.as_str()))
            .or_default() += 1;
    }
    let failed: BTreeSet<(&str, &str)> = plan
        .failures
        .iter()
        .map(|f| (f.visit.as_str(), f.department.as_str()))
        .collect();
    let by_visit_department = team_specialties(inputs, plan, &by_id);
    for v in plan.visits.iter().filter(|v| !v.pinned) {
        for d in &v.departments {
            let n = size.get(&(v.id.as_str(), d.as_str())).copied().unwrap_or(0);
            let stated = failed.contains(&(v.id.as_str(), d.as_str()));
            if plan.frame.capacity == CapacityModel::Specialty && n > 0 {
                let needed = needed_specialties(inputs, v, d);
                let held = by_visit_department.get(&(v.id.as_str(), d.as_str()));
                if let Some(s) = needed
                    .iter()
                    .find(|s| !held.is_some_and(|h| h.contains(s.as_str())))
                {
                    return Err(format!(
                        "the team of {d} on visit {} has no member with specialty {s}",
                        v.id
                    ));
                }
            }
            if (n < plan.frame.k) != stated || (stated && n > 0) {
                return Err(format!(
                    "visit {} has {n} inspectors of {d} and {} failure",
                    v.id,
                    if stated { "a" } else { "no" }
                ));
            }
        }
    }
    not_twice_in_a_row(inputs, plan, &by_id)
}

/// The specialties held by each (visit, department) team.
fn team_specialties<'a>(
    inputs: &'a Inputs,
    plan: &'a Plan,
    by_id: &BTreeMap<&str, usize>,
) -> BTreeMap<(&'a str, &'a str), BTreeSet<&'a str>> {
    let mut out: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    for m in &plan.teams {
        let held = out
            .entry((m.visit.as_str(), m.department.as_str()))
            .or_default();
        if let Some(&i) = by_id.get(m.inspector.as_str()) {
            held.extend(inputs.inspectors[i].specialties.iter().map(String::as_str));
        }
    }
    out
}

/// Under the specialty model (`dr3`): the specialties department d needs on a visit — those of
/// the items of the visit's tasks of d that apply to the enterprise's industry.
fn needed_specialties(inputs: &Inputs, v: &crate::placement::Visit, d: &str) -> BTreeSet<String> {
    let industry = v.index.map_or("", |i| inputs.industry_of(i));
    let mut out = BTreeSet::new();
    for t in &inputs.tasks {
        if t.department != d || !v.tasks.contains(&t.id) {
            continue;
        }
        for code in &t.items {
            let Some(item) = inputs.items.get(code) else {
                continue;
            };
            let applies = item.industries.is_empty()
                || item.industries.iter().any(|p| industry.starts_with(p));
            if applies && !item.specialty.is_empty() {
                out.insert(item.specialty.clone());
            }
        }
    }
    out
}

/// No inspector inspects the same enterprise for the same department twice in a row: not the
/// last team of `history.csv`, and not the team of the enterprise's previous visit in the plan.
fn not_twice_in_a_row(
    inputs: &Inputs,
    plan: &Plan,
    by_id: &BTreeMap<&str, usize>,
) -> Result<(), String> {
    let mut last: BTreeMap<(crate::Uscc, String), (chrono::NaiveDate, BTreeSet<&str>)> =
        BTreeMap::new();
    for h in &inputs.history {
        let slot = last
            .entry((h.uscc, h.department.clone()))
            .or_insert((h.visited_on, BTreeSet::new()));
        if h.visited_on > slot.0 {
            *slot = (h.visited_on, BTreeSet::new());
        }
        if h.visited_on == slot.0 {
            slot.1.insert(h.inspector.as_str());
        }
    }
    let mut team: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    for m in &plan.teams {
        team.entry((m.visit.as_str(), m.department.as_str()))
            .or_default()
            .insert(m.inspector.as_str());
    }
    for m in &plan.pinned_teams {
        team.entry((m.visit.as_str(), m.department.as_str()))
            .or_default()
            .insert(m.inspector.as_str());
    }
    let mut previous: BTreeMap<(crate::Uscc, &str), BTreeSet<&str>> = last
        .iter()
        .map(|((u, d), (_, t))| ((*u, d.as_str()), t.clone()))
        .collect();
    let _ = by_id;
    for v in &plan.visits {
        for d in &v.departments {
            let Some(members) = team.get(&(v.id.as_str(), d.as_str())) else {
                continue;
            };
            if let Some(before) = previous.get(&(v.uscc, d.as_str())) {
                if !v.pinned {
                    if let Some(i) = members.intersection(before).next() {
                        return Err(format!(
                            "inspector {i} inspects {} for {d} twice in a row (visit {})",
                            v.uscc, v.id
                        ));
                    }
                }
            }
            previous.insert((v.uscc, d.as_str()), members.clone());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::inputs::annual::{Annual, Complaint};
    use crate::inputs::Quota;
    use crate::selection::tests::{city, task};
    use crate::{placement, Method, Uscc};
    use std::collections::BTreeMap;

    /// Under dr3 the cap counts the visits without a key-supervision check of one of their
    /// departments: with every cap at 0, the first enterprise named is one with such a visit,
    /// and an enterprise whose every visit holds a key check is never named.
    #[test]
    fn visits_holding_a_key_check_are_exempt_from_the_cap() {
        let all = [Quota::Ratio(1, 4); 4];
        let tasks = vec![task("a", "SCJG", "a", all), task("b", "STHJ", "b", all)];
        let mut inputs = city(400, tasks, [3; 4]);
        for i in 0..400 {
            inputs.population.set_key_supervision(i, false);
        }
        let listed: BTreeMap<Uscc, Vec<String>> = (0..400)
            .filter(|i| i % 7 == 0)
            .map(|i| (inputs.population[i].uscc, vec!["SCJG".to_string()]))
            .collect();
        inputs.set_key_supervision(Method::Dr3, &listed);
        let annual = Annual::default();
        let plan = placement::draw(&inputs, &annual, &[6; 32], Method::Dr3);
        assert_eq!(check(&inputs, &annual, &plan), Ok(()));
        let exempt = |v: &placement::Visit| {
            inputs.cap_exempt(v.index.unwrap(), v.departments.iter().map(String::as_str))
        };
        assert!(
            plan.visits.iter().any(exempt),
            "some visits hold a key check"
        );
        let mut capped = inputs.clone();
        capped.policy.visit_cap = [0; 4];
        let err = check(&capped, &annual, &plan).unwrap_err();
        let named = plan
            .visits
            .iter()
            .find(|v| err.starts_with(&v.uscc.to_string()))
            .expect("names a visited enterprise");
        assert!(
            plan.visits
                .iter()
                .filter(|v| v.uscc == named.uscc)
                .any(|v| !exempt(v)),
            "{err}"
        );
        assert!(err.ends_with("over its cap 0"), "{err}");
        // Under dr2 (every task, the flag) a key-supervision enterprise has no cap at all.
        let mut dr2 = inputs.clone();
        dr2.set_key_supervision(Method::Dr2, &listed);
        let plan = placement::draw(&dr2, &annual, &[6; 32], Method::Dr2);
        assert_eq!(check(&dr2, &annual, &plan), Ok(()));
        dr2.policy.visit_cap = [0; 4];
        let err = check(&dr2, &annual, &plan).unwrap_err();
        assert!(
            !listed.contains_key(&Uscc::parse(&err[..18]).unwrap()),
            "a key-supervision enterprise has no cap under dr2: {err}"
        );
    }

    /// Complaint-driven visits count first toward the cap and may pass it alone (they are not
    /// the plan's to refuse); a new visit on top of them is refused.
    #[test]
    fn complaints_alone_may_pass_the_cap_a_new_visit_may_not() {
        let all = [Quota::Ratio(1, 4); 4];
        let inputs = city(400, vec![task("a", "SCJG", "a", all)], [2; 4]);
        let plan = placement::draw(&inputs, &Annual::default(), &[6; 32], Method::Dr2);
        assert_eq!(check(&inputs, &Annual::default(), &plan), Ok(()));
        let visited: std::collections::BTreeSet<Uscc> =
            plan.visits.iter().map(|v| v.uscc).collect();
        let idle = (0..400)
            .map(|i| inputs.population[i].uscc)
            .find(|u| !visited.contains(u) && inputs.cap_applies(inputs.index_of(u).unwrap()))
            .expect("an enterprise without a visit");
        let busy = plan.visits[0].uscc;
        let complaints = |u: Uscc, periods: std::ops::RangeInclusive<u32>| {
            periods.map(move |period| Complaint {
                uscc: u,
                department: "SCJG".into(),
                period,
            })
        };
        let mut annual = Annual {
            complaints: complaints(idle, 1..=3).collect(),
            ..Annual::default()
        };
        assert_eq!(
            check(&inputs, &annual, &plan),
            Ok(()),
            "three complaints, cap 2"
        );
        let p = plan.visits[0].period;
        annual
            .complaints
            .extend(complaints(busy, 1..=3).filter(|c| c.period != p).take(1));
        annual.complaints.sort_by_key(|c| (c.uscc, c.period));
        assert_eq!(
            check(&inputs, &annual, &plan),
            Ok(()),
            "one complaint and a visit, cap 2"
        );
        annual.complaints.extend(
            complaints(busy, 1..=4)
                .filter(|c| c.period != p)
                .skip(1)
                .take(1),
        );
        annual.complaints.sort_by_key(|c| (c.uscc, c.period));
        let err = check(&inputs, &annual, &plan).unwrap_err();
        assert!(err.starts_with(&format!("{busy} ")), "{err}");
        assert!(err.ends_with("has 3 visits, over its cap 2"), "{err}");
    }

    /// A complaint reserve that alone finds no capacity is short, not an error of the plan; a
    /// visit of the department in that period is.
    #[test]
    fn a_reserve_short_alone_is_not_an_error_with_a_visit_it_is() {
        let all = [Quota::Ratio(1, 4); 4];
        // Visits in periods 1-2 only, of four.
        let mut early = task("a", "SCJG", "a", all);
        early.period_to = 2;
        let inputs = city(400, vec![early, task("b", "STHJ", "b", all)], [3; 4]);
        let annual = Annual::default();
        let plan = placement::draw(&inputs, &annual, &[6; 32], Method::Dr2);
        assert_eq!(check(&inputs, &annual, &plan), Ok(()));
        let region = &plan.regions[0].region;
        let scjg = plan.frame.department("SCJG").unwrap();
        let busy: std::collections::BTreeSet<u32> = plan
            .visits
            .iter()
            .filter(|v| inputs.region_of(v.index.unwrap()) == region.name)
            .filter(|v| v.departments.iter().any(|d| d == "SCJG"))
            .map(|v| v.period)
            .collect();
        let idle = (plan.frame.first..=plan.frame.last)
            .find(|p| !busy.contains(p))
            .expect("a period without visits");
        let mut short = plan.clone();
        short.regions[0]
            .region
            .reserve
            .insert((scjg, idle), 1_000_000);
        assert_eq!(check(&inputs, &annual, &short), Ok(()), "reserve alone");
        let p = *busy.iter().next().expect("a period with visits");
        short.regions[0].region.reserve.insert((scjg, p), 1_000_000);
        let err = check(&inputs, &annual, &short).unwrap_err();
        assert!(
            err.starts_with(&format!("SCJG in {} needs ", region.name)),
            "{err}"
        );
        assert!(err.contains(&format!("in period {p}, ")), "{err}");
    }
}
