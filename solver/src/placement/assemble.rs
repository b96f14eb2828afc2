//! The `dr2` draw from end to end: the `dr1` selection, the regions' models solved side by
//! side, the integer decisions, placement, caps, teams, shortages and, for a re-plan, the
//! changes against the replaced plan. Regions are independent, so they are solved on all cores;
//! each region's result depends on its inputs only, never on thread timing.

use crate::inputs::annual::{Annual, PreviousMember};
use crate::inputs::Inputs;
use crate::placement::cells::{self, Frame, Region};
use crate::placement::integer::{self, Decision};
use crate::placement::model::{Fractional, Model};
use crate::placement::place::{place, place_number, Placed};
use crate::placement::shortage::{shortages, Shortage};
use crate::placement::specialty::{self, Table};
use crate::selection;
use crate::teams::budget::{budgets, Failure, Member, Staffing, TeamDraw};
use crate::{CapacityModel, Method, Uscc};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// One visit of the annual plan: one enterprise, one period, every check placed there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Visit {
    /// `USCC/PERIOD`; pinned visits keep the id they had.
    pub id: String,
    pub uscc: Uscc,
    pub index: Option<usize>,
    pub period: u32,
    pub place: u64,
    pub groups: Vec<String>,
    pub departments: Vec<String>,
    pub tasks: Vec<String>,
    /// Carried unchanged from the replaced plan.
    pub pinned: bool,
}

/// A selected check the plan does not place, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unplanned {
    pub index: usize,
    pub group: String,
    pub tasks: Vec<String>,
    pub departments: Vec<String>,
    pub reason: String,
}

/// How a visit of the replaced plan fared in the re-plan.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    pub uscc: Uscc,
    /// `pinned`, `kept`, `moved`, `dropped` or `added`.
    pub change: &'static str,
    pub previous: Option<(String, u32)>,
    pub current: Option<(String, u32)>,
    pub groups: Vec<String>,
}

/// One region's aggregates and decisions, as recorded in the bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionPlan {
    pub region: Region,
    pub decision: Decision,
    /// `optimal`, or what went wrong with the backend (then only the integer repair ran).
    pub status: String,
    /// Under [`CapacityModel::Specialty`]: the fewest checks any plan of the model leaves out,
    /// by the linear relaxation rounded up (`None` when not computed or the backend failed).
    pub left_out_bound: Option<u64>,
}

/// Everything `dr2` (or `dr3`) decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The method whose rules made the plan.
    pub method: Method,
    /// The `dr1` selection: strata, selections, passed over, and the groups' checks.
    pub selection: selection::Plan,
    pub frame: Frame,
    pub regions: Vec<RegionPlan>,
    /// In visit order: period, then placement number, then code.
    pub visits: Vec<Visit>,
    pub teams: Vec<Member>,
    /// Teams of pinned visits, carried from the replaced plan.
    pub pinned_teams: Vec<PreviousMember>,
    pub failures: Vec<Failure>,
    pub unplanned: Vec<Unplanned>,
    pub shortages: Vec<Shortage>,
    pub changes: Vec<Change>,
}

/// The annual plan from the inputs, the re-planning inputs and the seed, regions solved on all
/// cores.
pub fn draw(inputs: &Inputs, annual: &Annual, seed: &[u8; 32], method: Method) -> Plan {
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    draw_on(inputs, annual, seed, method, threads)
}

/// [`draw`] with the regions solved on `threads` threads: the same bytes for any number.
pub fn draw_on(
    inputs: &Inputs,
    annual: &Annual,
    seed: &[u8; 32],
    method: Method,
    threads: usize,
) -> Plan {
    let selection = selection::select(inputs, seed);
    let frame = Frame::new(inputs, annual, method);
    let position: BTreeMap<&str, usize> = inputs
        .inspectors
        .iter()
        .enumerate()
        .map(|(i, x)| (x.id.as_str(), i))
        .collect();
    let pinned_ids: BTreeSet<&str> = annual.pinned().map(|v| v.visit.as_str()).collect();
    let pinned_teams: Vec<PreviousMember> = annual
        .previous_teams
        .iter()
        .filter(|m| pinned_ids.contains(m.visit.as_str()))
        .cloned()
        .collect();
    let mut used = vec![0u32; inputs.inspectors.len()];
    for m in &pinned_teams {
        if let Some(&i) = position.get(m.inspector.as_str()) {
            used[i] += 1;
        }
    }
    let (regions, dropped) = cells::regions(inputs, annual, &frame, &selection.visits, &used);
    let numbers = |i: usize| place_number(seed, &inputs.uscc_of(i));
    let solved = solve_all(inputs, &frame, regions, &numbers, threads);
    let checks: BTreeMap<(usize, &str), &selection::Visit> = selection
        .visits
        .iter()
        .map(|v| ((v.index, v.group.as_str()), v))
        .collect();
    let mut unplanned: Vec<Unplanned> = dropped
        .iter()
        .map(|d| unplanned_check(&checks, d.index, &frame.groups[d.group as usize], &d.reason))
        .collect();
    let mut visits = new_visits(inputs, &frame, &solved, &checks, &numbers, &mut unplanned);
    let pinned = pinned_visits(inputs, annual, &numbers);
    enforce_caps(
        inputs,
        annual,
        &pinned,
        &mut visits,
        &checks,
        &mut unplanned,
    );
    visits.extend(pinned);
    visits.sort_by_key(|v| (v.period, v.place, v.uscc));
    unplanned.sort_by(|a, b| {
        (inputs.uscc_of(a.index), &a.group).cmp(&(inputs.uscc_of(b.index), &b.group))
    });
    let (teams, failures) = staff(inputs, annual, &frame, seed, &solved, &visits, &position);
    let changes = changes(annual, &visits);
    let regions: Vec<RegionPlan> = solved.into_iter().map(|(r, _)| r).collect();
    let shortages = regions
        .iter()
        .flat_map(|r| shortages(&r.region, &frame, &r.decision))
        .collect();
    Plan {
        method,
        selection,
        frame,
        regions,
        visits,
        teams,
        pinned_teams,
        failures,
        unplanned,
        shortages,
        changes,
    }
}

/// A region's plan and its placed blocks.
type Solved = (RegionPlan, Vec<Placed>);

/// Solves every region on every core; results are stored by region, so their order does not
/// depend on which thread finished first.
fn solve_all(
    inputs: &Inputs,
    frame: &Frame,
    regions: Vec<Region>,
    numbers: &(dyn Fn(usize) -> u64 + Sync),
    threads: usize,
) -> Vec<(RegionPlan, Vec<Placed>)> {
    let n = regions.len();
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<Solved>>> = (0..n).map(|_| Mutex::new(None)).collect();
    let regions: Vec<Mutex<Option<Region>>> =
        regions.into_iter().map(|r| Mutex::new(Some(r))).collect();
    std::thread::scope(|s| {
        for _ in 0..threads.max(1).min(n.max(1)) {
            s.spawn(|| loop {
                let r = next.fetch_add(1, Ordering::Relaxed);
                if r >= n {
                    break;
                }
                let region = regions[r].lock().expect("unpoisoned").take().expect("once");
                let out = solve_region(inputs, frame, region, numbers);
                *results[r].lock().expect("unpoisoned") = Some(out);
            });
        }
    });
    results
        .into_iter()
        .map(|m| m.into_inner().expect("unpoisoned").expect("solved"))
        .collect()
}

fn solve_region(
    inputs: &Inputs,
    frame: &Frame,
    region: Region,
    numbers: &dyn Fn(usize) -> u64,
) -> (RegionPlan, Vec<Placed>) {
    let risk = kind_risk(inputs, &region);
    let table = match frame.capacity {
        CapacityModel::Department => None,
        CapacityModel::Specialty => Some(Table::new(&region, frame)),
    };
    let (fractional, status) = match Model::new(&region, frame, &risk, table.as_ref()).solve() {
        Ok(f) => (f, "optimal".to_string()),
        Err(e) => (
            zero(&region, frame),
            format!("solver failed ({e}); integer repair only"),
        ),
    };
    let (decision, left_out_bound) = match &table {
        None => (integer::decide(&region, frame, &fractional), None),
        Some(t) => {
            let bound = Model::new(&region, frame, &risk, Some(t))
                .fewest_left_out()
                .ok()
                .map(|x| (x - super::integer::TOLERANCE).max(0.0).ceil() as u64);
            (specialty::decide(&region, frame, t, &fractional), bound)
        }
    };
    let placed = place(inputs, &region, frame, &decision, numbers);
    (
        RegionPlan {
            region,
            decision,
            status,
            left_out_bound,
        },
        placed,
    )
}

/// A neutral starting point when the backend fails: everything in the earliest periods.
fn zero(region: &Region, frame: &Frame) -> Fractional {
    let periods = (frame.first..=frame.last).collect::<Vec<u32>>();
    Fractional {
        merged: vec![0.0; region.cells.len()],
        partial: region
            .cells
            .iter()
            .map(|c| vec![0.0; c.partial.len()])
            .collect(),
        placed: region
            .kinds
            .iter()
            .map(|k| {
                periods
                    .iter()
                    .map(|&p| (k.window.0 <= p && p <= k.window.1).then_some(0.0))
                    .collect()
            })
            .collect(),
        unplaced: vec![0.0; region.kinds.len()],
        allocation: region
            .classes
            .iter()
            .map(|q| periods.iter().map(|&p| q.valid(p).then_some(0.0)).collect())
            .collect(),
    }
}

/// Mean risk (A 0, B 1, C 2, D 3) of the enterprises each kind may serve.
fn kind_risk(inputs: &Inputs, region: &Region) -> Vec<f64> {
    let mut sum = vec![0u64; region.kinds.len()];
    let mut count = vec![0u64; region.kinds.len()];
    for cell in &region.cells {
        let tiers: u64 = cell
            .enterprises
            .iter()
            .map(|&i| inputs.tier_of(i) as u64)
            .sum();
        let n = cell.enterprises.len() as u64;
        let partial = cell.partial.iter().flat_map(|(_, blocks)| blocks);
        for b in cell.merged.iter().chain(&cell.split).chain(partial) {
            sum[b.kind] += tiers;
            count[b.kind] += n;
        }
    }
    sum.iter()
        .zip(&count)
        .map(|(&s, &c)| if c == 0 { 0.0 } else { s as f64 / c as f64 })
        .collect()
}

type Checks<'a> = BTreeMap<(usize, &'a str), &'a selection::Visit>;

fn unplanned_check(checks: &Checks, index: usize, group: &str, reason: &str) -> Unplanned {
    let v = checks[&(index, group)];
    Unplanned {
        index,
        group: group.to_string(),
        tasks: v.tasks.clone(),
        departments: v.departments.clone(),
        reason: reason.to_string(),
    }
}

/// Visits from the placed blocks: blocks of one enterprise in one period are one visit.
fn new_visits(
    inputs: &Inputs,
    frame: &Frame,
    solved: &[(RegionPlan, Vec<Placed>)],
    checks: &Checks,
    numbers: &dyn Fn(usize) -> u64,
    unplanned: &mut Vec<Unplanned>,
) -> Vec<Visit> {
    let mut by_key: BTreeMap<(usize, u32), BTreeSet<&str>> = BTreeMap::new();
    for (plan, placed) in solved {
        for b in placed {
            let cell = &plan.region.cells[b.cell];
            let groups = b
                .checks
                .iter()
                .map(|&c| frame.groups[cell.pattern[c].group as usize].as_str());
            match b.period {
                Some(p) => by_key.entry((b.index, p)).or_default().extend(groups),
                None => {
                    let kind = &plan.region.kinds[b.kind];
                    let departments: Vec<&str> = kind
                        .departments
                        .iter()
                        .map(|&d| frame.departments[d as usize].as_str())
                        .collect();
                    let reason = format!(
                        "no inspector capacity for {} in {} within periods {}-{} (see shortages.csv)",
                        departments.join(";"),
                        plan.region.name,
                        kind.window.0,
                        kind.window.1
                    );
                    for g in groups {
                        unplanned.push(unplanned_check(checks, b.index, g, &reason));
                    }
                }
            }
        }
    }
    by_key
        .into_iter()
        .map(|((i, period), groups)| {
            let (mut tasks, mut departments) = (BTreeSet::new(), BTreeSet::new());
            for g in &groups {
                let v = checks[&(i, *g)];
                tasks.extend(v.tasks.iter().cloned());
                departments.extend(v.departments.iter().cloned());
            }
            let uscc = inputs.uscc_of(i);
            Visit {
                id: format!("{uscc}/{period}"),
                uscc,
                index: Some(i),
                period,
                place: numbers(i),
                groups: groups.iter().map(|g| g.to_string()).collect(),
                departments: departments.into_iter().collect(),
                tasks: tasks.into_iter().collect(),
                pinned: false,
            }
        })
        .collect()
}

fn pinned_visits(inputs: &Inputs, annual: &Annual, numbers: &dyn Fn(usize) -> u64) -> Vec<Visit> {
    annual
        .pinned()
        .map(|v| {
            let index = inputs.index_of(&v.uscc);
            Visit {
                id: v.visit.clone(),
                uscc: v.uscc,
                index,
                period: v.period,
                place: index.map_or(0, numbers),
                groups: v.groups.clone(),
                departments: v.departments.clone(),
                tasks: v.tasks.clone(),
                pinned: true,
            }
        })
        .collect()
}

/// Visits per enterprise stay within the tier's cap (key supervision excepted): pinned and
/// complaint-driven visits count first, then new visits in period order; the rest are unplanned.
fn enforce_caps(
    inputs: &Inputs,
    annual: &Annual,
    pinned: &[Visit],
    visits: &mut Vec<Visit>,
    checks: &Checks,
    unplanned: &mut Vec<Unplanned>,
) {
    let mut fixed: BTreeMap<usize, (u32, u32)> = BTreeMap::new();
    for v in pinned {
        if let Some(i) = v.index {
            fixed.entry(i).or_default().0 += 1;
        }
    }
    let complaint_visits: BTreeSet<(Uscc, u32)> = annual
        .complaints
        .iter()
        .map(|c| (c.uscc, c.period))
        .collect();
    for (u, _) in complaint_visits {
        if let Some(i) = inputs.index_of(&u) {
            fixed.entry(i).or_default().1 += 1;
        }
    }
    let mut count: BTreeMap<usize, u32> = BTreeMap::new();
    let mut kept = Vec::with_capacity(visits.len());
    for v in visits.drain(..) {
        let i = v.index.expect("new visits have an enterprise");
        let (p, c) = fixed.get(&i).copied().unwrap_or((0, 0));
        let cap = inputs.policy.cap(inputs.tier_of(i));
        let n = count.entry(i).or_insert(p + c);
        if inputs.cap_exempt(i, v.departments.iter().map(String::as_str)) {
            kept.push(v);
        } else if *n < cap {
            *n += 1;
            kept.push(v);
        } else {
            let reason = format!(
                "visit cap {cap} of tier {} reached with {p} pinned and {c} complaint-driven visits",
                inputs.tier_of(i)
            );
            for g in &v.groups {
                unplanned.push(unplanned_check(checks, i, g, &reason));
            }
        }
    }
    *visits = kept;
}

/// Draws the teams of every new visit, region by region, in visit order.
fn staff(
    inputs: &Inputs,
    annual: &Annual,
    frame: &Frame,
    seed: &[u8; 32],
    solved: &[(RegionPlan, Vec<Placed>)],
    visits: &[Visit],
    position: &BTreeMap<&str, usize>,
) -> (Vec<Member>, Vec<Failure>) {
    let conflicts: BTreeSet<(usize, Uscc)> = inputs
        .conflicts
        .iter()
        .filter_map(|(id, u)| position.get(id.as_str()).map(|&i| (i, *u)))
        .collect();
    let mut last = last_teams(inputs, annual, position);
    // Inspectors and new visits by region, in id order and visit order.
    let mut inspectors: BTreeMap<&str, BTreeMap<&str, Vec<usize>>> = BTreeMap::new();
    for (i, insp) in inputs.inspectors.iter().enumerate() {
        inspectors
            .entry(insp.region.as_str())
            .or_default()
            .entry(insp.department.as_str())
            .or_default()
            .push(i);
    }
    let mut by_region: BTreeMap<&str, Vec<Staffing>> = BTreeMap::new();
    for v in visits.iter().filter(|v| !v.pinned) {
        let i = v.index.expect("new visits have an enterprise");
        by_region
            .entry(inputs.region_of(i))
            .or_default()
            .push(Staffing {
                id: &v.id,
                index: i,
                period: v.period,
                departments: &v.departments,
                specialties: specialties(inputs, v, frame.capacity),
            });
    }
    let (mut members, mut failures) = (Vec::new(), Vec::new());
    for (plan, _) in solved {
        let region = plan.region.name.as_str();
        let mut draw = TeamDraw {
            inputs,
            frame,
            seed,
            by_department: inspectors.remove(region).unwrap_or_default(),
            conflicts: &conflicts,
            last: &mut last,
            budget: budgets(&plan.region, &plan.decision),
            complete: frame.capacity == CapacityModel::Specialty,
        };
        let list = by_region.remove(region).unwrap_or_default();
        let (m, f) = draw.staff(&list);
        members.extend(m);
        failures.extend(f);
    }
    members.sort_by(|a, b| {
        (&a.visit, &a.department, &a.inspector).cmp(&(&b.visit, &b.department, &b.inspector))
    });
    failures.sort_by(|a, b| (&a.visit, &a.department).cmp(&(&b.visit, &b.department)));
    (members, failures)
}

/// Specialties the visit's items need, per department; under the specialty model only the
/// items that apply to the enterprise's industry.
fn specialties<'a>(
    inputs: &Inputs,
    v: &'a Visit,
    model: CapacityModel,
) -> BTreeMap<&'a str, Vec<String>> {
    let industry = v.index.map_or("", |i| inputs.industry_of(i));
    let applies = |item: &crate::inputs::Item| match model {
        CapacityModel::Department => true,
        CapacityModel::Specialty => {
            item.industries.is_empty()
                || item
                    .industries
                    .iter()
                    .any(|p| industry.starts_with(p.as_str()))
        }
    };
    v.departments
        .iter()
        .map(|d| {
            let s: BTreeSet<String> = inputs
                .tasks
                .iter()
                .filter(|t| t.department == *d && v.tasks.contains(&t.id))
                .flat_map(|t| t.items.iter())
                .filter_map(|code| inputs.items.get(code))
                .filter(|item| !item.specialty.is_empty() && applies(item))
                .map(|item| item.specialty.clone())
                .collect();
            (d.as_str(), s.into_iter().collect())
        })
        .collect()
}

/// The team that last inspected each (enterprise, department): the latest `history.csv` date,
/// then the pinned visits of this year in period order.
fn last_teams(
    inputs: &Inputs,
    annual: &Annual,
    position: &BTreeMap<&str, usize>,
) -> BTreeMap<(usize, String), BTreeSet<usize>> {
    let mut latest: BTreeMap<(usize, String), (chrono::NaiveDate, BTreeSet<usize>)> =
        BTreeMap::new();
    for h in &inputs.history {
        let (Some(e), Some(&i)) = (inputs.index_of(&h.uscc), position.get(h.inspector.as_str()))
        else {
            continue;
        };
        let slot = latest
            .entry((e, h.department.clone()))
            .or_insert((h.visited_on, BTreeSet::new()));
        if h.visited_on > slot.0 {
            *slot = (h.visited_on, BTreeSet::new());
        }
        if h.visited_on == slot.0 {
            slot.1.insert(i);
        }
    }
    let mut last: BTreeMap<(usize, String), BTreeSet<usize>> =
        latest.into_iter().map(|(k, (_, t))| (k, t)).collect();
    let mut pinned: Vec<_> = annual.pinned().collect();
    pinned.sort_by_key(|v| v.period);
    for v in pinned {
        let Some(e) = inputs.index_of(&v.uscc) else {
            continue;
        };
        for d in &v.departments {
            let team: BTreeSet<usize> = annual
                .previous_teams
                .iter()
                .filter(|m| m.visit == v.visit && &m.department == d)
                .filter_map(|m| position.get(m.inspector.as_str()).copied())
                .collect();
            if !team.is_empty() {
                last.insert((e, d.clone()), team);
            }
        }
    }
    last
}

/// The replaced plan's visits against the new ones, matched by enterprise and groups.
fn changes(annual: &Annual, visits: &[Visit]) -> Vec<Change> {
    if annual.previous_visits.is_empty() {
        return Vec::new();
    }
    let mut unmatched: BTreeMap<(Uscc, Vec<String>), Vec<&Visit>> = BTreeMap::new();
    for v in visits.iter().filter(|v| !v.pinned) {
        unmatched
            .entry((v.uscc, v.groups.clone()))
            .or_default()
            .push(v);
    }
    let mut out = Vec::new();
    for pv in &annual.previous_visits {
        let previous = Some((pv.visit.clone(), pv.period));
        if pv.period <= annual.pinned_through {
            out.push(Change {
                uscc: pv.uscc,
                change: "pinned",
                previous: previous.clone(),
                current: previous,
                groups: pv.groups.clone(),
            });
            continue;
        }
        let found = unmatched
            .get_mut(&(pv.uscc, pv.groups.clone()))
            .and_then(|list| (!list.is_empty()).then(|| list.remove(0)));
        out.push(match found {
            Some(v) => Change {
                uscc: pv.uscc,
                change: if v.period == pv.period {
                    "kept"
                } else {
                    "moved"
                },
                previous,
                current: Some((v.id.clone(), v.period)),
                groups: pv.groups.clone(),
            },
            None => Change {
                uscc: pv.uscc,
                change: "dropped",
                previous,
                current: None,
                groups: pv.groups.clone(),
            },
        });
    }
    for list in unmatched.into_values() {
        for v in list {
            out.push(Change {
                uscc: v.uscc,
                change: "added",
                previous: None,
                current: Some((v.id.clone(), v.period)),
                groups: v.groups.clone(),
            });
        }
    }
    out.sort();
    out
}
