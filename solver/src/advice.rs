//! What a jurisdiction can afford (`docs/advice.md`): given a range of ratios per task and tier
//! (a legal or local minimum, a wished-for maximum) and the inspectors, the largest ratios the
//! inspector capacity can staff, department by department, with the constraint that binds.
//!
//! Integers only. The demand of a ratio is the number the draw takes from each stratum
//! (`docs/draw-protocol.md` §2.1, §7), shared over regions in proportion to their eligible
//! enterprises and rounded up, plus every key-supervision enterprise; each check asks for
//! `inspectors_per_department` inspector-visits of its department in its region within its
//! window, and one inspector-visit of a holder of each specialty its items need. A department
//! can staff a step when, in every region and every range of periods, what the checks whose
//! windows lie in the range need is at most what the inspectors certified for some period of the
//! range can give (the shortage rule of `docs/plan-model.md` §8), in all and per specialty.

use crate::inputs::{InputError, Inputs, Quota, Task};
use crate::Tier;
use std::collections::{BTreeMap, BTreeSet};

/// Steps between a range's minimum (step 0) and maximum (step [`STEPS`]).
pub const STEPS: u32 = 100;

/// A task's range for one tier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Range {
    pub task: String,
    pub tier: Tier,
    pub min: Quota,
    pub max: Quota,
}

/// The header of `ranges.csv`.
pub const RANGES_HEADER: &str = "task,tier,min,max";

/// Parses `ranges.csv` against the tasks: every row names a task and a tier once; min and max
/// are both fractions (or percentages) or both counts, the minimum not above the maximum.
pub fn parse_ranges(text: &str, tasks: &[Task]) -> Result<Vec<Range>, Vec<InputError>> {
    let file = "ranges.csv";
    let err = |line: u64, column: &str, message: String| InputError {
        file: file.into(),
        line,
        column: column.into(),
        message,
    };
    let mut errors = Vec::new();
    let mut lines = text.lines();
    match lines.next() {
        Some(h) if h.trim_start_matches('\u{feff}') == RANGES_HEADER => {}
        _ => return Err(vec![err(1, "", format!("header must be {RANGES_HEADER}"))]),
    }
    let known: BTreeSet<&str> = tasks.iter().map(|t| t.id.as_str()).collect();
    let mut seen = BTreeSet::new();
    let mut ranges = Vec::new();
    for (n, line) in lines.enumerate() {
        let line_no = n as u64 + 2;
        if line.is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != 4 {
            errors.push(err(
                line_no,
                "",
                format!("expected 4 fields, found {}", f.len()),
            ));
            continue;
        }
        if !known.contains(f[0]) {
            errors.push(err(
                line_no,
                "task",
                format!("'{}' is not a task of tasks.csv", f[0]),
            ));
            continue;
        }
        let tier = match f[1] {
            "A" => Tier::A,
            "B" => Tier::B,
            "C" => Tier::C,
            "D" => Tier::D,
            other => {
                errors.push(err(
                    line_no,
                    "tier",
                    format!("'{other}' is not A, B, C or D"),
                ));
                continue;
            }
        };
        let quota = |column: &str, s: &str| match Quota::parse(s) {
            Ok(Quota::None) => Err(err(
                line_no,
                column,
                "must not be empty or 0: a range is between two quotas".into(),
            )),
            Ok(q) => Ok(q),
            Err(m) => Err(err(line_no, column, m)),
        };
        let (min, max) = match (quota("min", f[2]), quota("max", f[3])) {
            (Ok(a), Ok(b)) => (a, b),
            (a, b) => {
                errors.extend(a.err());
                errors.extend(b.err());
                continue;
            }
        };
        let ordered = match (min, max) {
            (Quota::Ratio(p1, q1), Quota::Ratio(p2, q2)) => {
                Some(p1 as u128 * q2 as u128 <= p2 as u128 * q1 as u128)
            }
            (Quota::Count(a), Quota::Count(b)) => Some(a <= b),
            _ => None,
        };
        match ordered {
            None => errors.push(err(
                line_no,
                "max",
                "min and max must both be fractions (or percentages) or both counts".into(),
            )),
            Some(false) => errors.push(err(
                line_no,
                "max",
                format!("the maximum {} is below the minimum {}", f[3], f[2]),
            )),
            Some(true) if !seen.insert((f[0], f[1])) => errors.push(err(
                line_no,
                "tier",
                format!("task {} tier {} has a range already", f[0], f[1]),
            )),
            Some(true) => ranges.push(Range {
                task: f[0].to_string(),
                tier,
                min,
                max,
            }),
        }
    }
    if errors.is_empty() {
        Ok(ranges)
    } else {
        Err(errors)
    }
}

/// The quota at step `j` of a range: `min + (max − min)·j/STEPS`, exactly for fractions (in
/// lowest terms), rounded down for counts.
pub fn quota_at(min: Quota, max: Quota, j: u32) -> Quota {
    let (j, s) = (j as u128, STEPS as u128);
    match (min, max) {
        (Quota::Ratio(p1, q1), Quota::Ratio(p2, q2)) => {
            let (p1, q1, p2, q2) = (p1 as u128, q1 as u128, p2 as u128, q2 as u128);
            let num = p1 * q2 * (s - j) + p2 * q1 * j;
            let den = q1 * q2 * s;
            let g = gcd(num, den);
            Quota::Ratio((num / g) as u64, (den / g) as u64)
        }
        (Quota::Count(a), Quota::Count(b)) => Quota::Count(a + ((b - a) as u128 * j / s) as u64),
        _ => min,
    }
}

fn gcd(a: u128, b: u128) -> u128 {
    if b == 0 {
        a.max(1)
    } else {
        gcd(b, a % b)
    }
}

/// One row of `advice.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdviceRow {
    pub task: String,
    pub department: String,
    pub tier: Tier,
    pub min: Quota,
    pub max: Quota,
    pub advised: Quota,
    /// Sampled enterprises eligible (the stratum's N).
    pub eligible: u64,
    /// Enterprises the advised quota takes from them (n), key supervision not counted.
    pub drawn: u64,
}

/// What limits a department.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub region: String,
    /// Empty: all inspectors of the department; else the specialty.
    pub specialty: String,
    pub from: u32,
    pub to: u32,
    pub needed: u64,
    pub available: u64,
}

/// How far a department's ranges can go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Every range at its maximum can be staffed.
    Maximum,
    /// The advised step is the last one that can be staffed; the binding constraint is what the
    /// next step would break.
    Limited(Binding),
    /// Not even the minimum can be staffed; the minimum is advised (it is the law) and the
    /// constraint named is the one it breaks most.
    MinimumShort(Binding),
}

/// One row of `binding.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepartmentAdvice {
    pub department: String,
    pub step: u32,
    pub status: Status,
}

/// The advice: the tasks with their advised quotas, one row per range, one per department.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Advice {
    pub tasks: Vec<Task>,
    pub rows: Vec<AdviceRow>,
    pub departments: Vec<DepartmentAdvice>,
}

/// Per task, tier and region: eligible sampled enterprises and key-supervision ones.
struct Counts {
    /// (sampled, key) per region index.
    by_region: Vec<[(u64, u64); 4]>,
    sampled: [u64; 4],
}

/// Advises the largest steps of `ranges` that each department's inspectors can staff.
pub fn advise(inputs: &Inputs, ranges: &[Range]) -> Advice {
    let regions: Vec<String> = {
        let mut r: BTreeSet<String> = inputs.inspectors.iter().map(|i| i.region.clone()).collect();
        for e in &inputs.population {
            r.insert(inputs.population.region(e.region).to_string());
        }
        r.into_iter().collect()
    };
    let region_index: BTreeMap<&str, usize> = regions
        .iter()
        .enumerate()
        .map(|(i, r)| (r.as_str(), i))
        .collect();
    let counts: Vec<Counts> = inputs
        .tasks
        .iter()
        .map(|t| count(inputs, t, &region_index))
        .collect();
    let range_of: BTreeMap<(&str, Tier), &Range> = ranges
        .iter()
        .map(|r| ((r.task.as_str(), r.tier), r))
        .collect();
    let departments: BTreeSet<&str> = ranges
        .iter()
        .filter_map(|r| inputs.tasks.iter().find(|t| t.id == r.task))
        .map(|t| t.department.as_str())
        .collect();
    let mut steps: BTreeMap<&str, u32> = BTreeMap::new();
    let mut advice_departments = Vec::new();
    for d in departments {
        let model = Department::new(inputs, d, &regions, &counts, &range_of);
        let (step, status) = match model.violation(0) {
            Some(b) => (0, Status::MinimumShort(b)),
            None if model.violation(STEPS).is_none() => (STEPS, Status::Maximum),
            None => {
                // Demand grows with the step: the last step without a violation.
                let (mut ok, mut bad) = (0, STEPS);
                while bad - ok > 1 {
                    let mid = (ok + bad) / 2;
                    if model.violation(mid).is_none() {
                        ok = mid;
                    } else {
                        bad = mid;
                    }
                }
                let b = model
                    .violation(bad)
                    .expect("the step after the last one that fits");
                (ok, Status::Limited(b))
            }
        };
        steps.insert(d, step);
        advice_departments.push(DepartmentAdvice {
            department: d.to_string(),
            step,
            status,
        });
    }
    let mut tasks = inputs.tasks.clone();
    let mut rows = Vec::new();
    for (t, c) in tasks.iter_mut().zip(&counts) {
        for tier in Tier::ALL {
            let Some(r) = range_of.get(&(t.id.as_str(), tier)) else {
                continue;
            };
            let j = steps[t.department.as_str()];
            let advised = quota_at(r.min, r.max, j);
            t.quotas[tier as usize] = advised;
            let eligible = c.sampled[tier as usize];
            rows.push(AdviceRow {
                task: t.id.clone(),
                department: t.department.clone(),
                tier,
                min: r.min,
                max: r.max,
                advised,
                eligible,
                drawn: advised.take(eligible),
            });
        }
    }
    rows.sort_by(|a, b| (&a.task, a.tier).cmp(&(&b.task, b.tier)));
    Advice {
        tasks,
        rows,
        departments: advice_departments,
    }
}

/// The eligible enterprises of a task (`docs/draw-protocol.md` §7, "Eligibility"), by tier and
/// region.
fn count(inputs: &Inputs, t: &Task, region_index: &BTreeMap<&str, usize>) -> Counts {
    let start = inputs.policy.exclusion_start();
    let excluded: BTreeSet<_> = inputs
        .history
        .iter()
        .filter(|v| v.department == t.department)
        .filter(|v| start <= v.visited_on && v.visited_on < inputs.policy.as_of)
        .map(|v| v.uscc)
        .collect();
    let starts = |industry: &str, prefixes: &[String]| {
        prefixes.is_empty() || prefixes.iter().any(|p| industry.starts_with(p.as_str()))
    };
    let items: Vec<&[String]> = t
        .items
        .iter()
        .filter_map(|code| inputs.items.get(code))
        .map(|i| i.industries.as_slice())
        .collect();
    let mut c = Counts {
        by_region: vec![[(0, 0); 4]; region_index.len()],
        sampled: [0; 4],
    };
    // Eligibility depends on (region, industry, tier) only, and on the exclusions: decide it
    // once per distinct (region, industry).
    let mut decided: BTreeMap<(u32, u32), bool> = BTreeMap::new();
    let region_of: Vec<usize> = inputs
        .population
        .regions()
        .iter()
        .map(|r| region_index[r.as_str()])
        .collect();
    for (i, e) in inputs.population.into_iter().enumerate() {
        let tier = e.tier as usize;
        if t.quotas[tier] == Quota::None {
            continue;
        }
        let ok = *decided.entry((e.region, e.industry)).or_insert_with(|| {
            let region = inputs.population.region(e.region);
            let industry = inputs.population.industry(e.industry);
            (t.regions.is_empty() || t.regions.iter().any(|r| r == region))
                && starts(industry, &t.industries)
                && items.iter().any(|i| starts(industry, i))
        });
        if !ok || excluded.contains(&e.uscc) {
            continue;
        }
        let r = region_of[e.region as usize];
        if inputs.key_for(i, &t.department) {
            c.by_region[r][tier].1 += 1;
        } else {
            c.by_region[r][tier].0 += 1;
            c.sampled[tier] += 1;
        }
    }
    c
}

/// One department's demand and capacity.
struct Department<'a> {
    k: u64,
    periods: u32,
    regions: &'a [String],
    /// The department's tasks: (index, window, specialties).
    tasks: Vec<(usize, u32, u32, Vec<String>)>,
    counts: &'a [Counts],
    ranges: Vec<[Option<(Quota, Quota)>; 4]>,
    fixed: Vec<[Quota; 4]>,
    specialties: Vec<String>,
    /// Per region: per inspector, (certified periods as bits, capacity, specialties).
    inspectors: Vec<Vec<(u32, u64, Vec<String>)>>,
}

impl<'a> Department<'a> {
    fn new(
        inputs: &'a Inputs,
        d: &str,
        regions: &'a [String],
        counts: &'a [Counts],
        range_of: &BTreeMap<(&str, Tier), &Range>,
    ) -> Department<'a> {
        let mut tasks = Vec::new();
        let mut ranges = Vec::new();
        let mut fixed = Vec::new();
        let mut specialties = BTreeSet::new();
        for (i, t) in inputs.tasks.iter().enumerate() {
            if t.department != d {
                continue;
            }
            let specs: BTreeSet<String> = t
                .items
                .iter()
                .filter_map(|c| inputs.items.get(c))
                .filter(|i| !i.specialty.is_empty())
                .map(|i| i.specialty.clone())
                .collect();
            specialties.extend(specs.iter().cloned());
            tasks.push((i, t.period_from, t.period_to, specs.into_iter().collect()));
            ranges.push(
                Tier::ALL.map(|tier| range_of.get(&(t.id.as_str(), tier)).map(|r| (r.min, r.max))),
            );
            fixed.push(t.quotas);
        }
        let p = &inputs.policy;
        let mut inspectors = vec![Vec::new(); regions.len()];
        for i in inputs.inspectors.iter().filter(|i| i.department == d) {
            let Ok(r) = regions.binary_search(&i.region) else {
                continue;
            };
            let mut bits = 0u32;
            for period in 1..=p.periods.count() {
                let (first, last) = p.periods.dates(p.year, period);
                if i.valid_from <= first && last <= i.valid_until {
                    bits |= 1 << period;
                }
            }
            inspectors[r].push((bits, i.capacity as u64, i.specialties.clone()));
        }
        Department {
            k: p.inspectors_per_department as u64,
            periods: p.periods.count(),
            regions,
            tasks,
            counts,
            ranges,
            fixed,
            specialties: specialties.into_iter().collect(),
            inspectors,
        }
    }

    /// The department's checks of each task in each region at step `j`.
    fn checks(&self, j: u32) -> Vec<Vec<u64>> {
        self.tasks
            .iter()
            .enumerate()
            .map(|(n, (t, ..))| {
                let c = &self.counts[*t];
                let mut per_region = vec![0u64; self.regions.len()];
                for tier in 0..4 {
                    let quota = match self.ranges[n][tier] {
                        Some((min, max)) => quota_at(min, max, j),
                        None => self.fixed[n][tier],
                    };
                    if quota == Quota::None {
                        continue;
                    }
                    let total = c.sampled[tier];
                    let drawn = quota.take(total) as u128;
                    for (r, slot) in per_region.iter_mut().enumerate() {
                        let (sampled, key) = c.by_region[r][tier];
                        // This region's share of the stratum, rounded up.
                        let share = if total == 0 {
                            0
                        } else {
                            (drawn * sampled as u128).div_ceil(total as u128) as u64
                        };
                        *slot += share + key;
                    }
                }
                per_region
            })
            .collect()
    }

    /// The constraint step `j` breaks most (largest needed − available; on ties the first
    /// region, then the shortest and earliest range, all inspectors before a specialty), if any.
    fn violation(&self, j: u32) -> Option<Binding> {
        let checks = self.checks(j);
        let mut worst: Option<(u64, Binding)> = None;
        let lists: Vec<&str> = std::iter::once("")
            .chain(self.specialties.iter().map(String::as_str))
            .collect();
        for (r, region) in self.regions.iter().enumerate() {
            for len in 0..self.periods {
                for from in 1..=self.periods - len {
                    let to = from + len;
                    let range_bits: u32 = (from..=to).map(|p| 1u32 << p).sum();
                    for specialty in &lists {
                        let mut needed = 0u64;
                        for (n, (_, a, b, specs)) in self.tasks.iter().enumerate() {
                            if from <= *a && *b <= to {
                                if specialty.is_empty() {
                                    needed += self.k * checks[n][r];
                                } else if specs.iter().any(|s| s == specialty) {
                                    needed += checks[n][r];
                                }
                            }
                        }
                        if needed == 0 {
                            continue;
                        }
                        let available: u64 = self.inspectors[r]
                            .iter()
                            .filter(|(bits, _, specs)| {
                                bits & range_bits != 0
                                    && (specialty.is_empty()
                                        || specs.iter().any(|s| s == specialty))
                            })
                            .map(|(_, cap, _)| cap)
                            .sum();
                        if needed > available {
                            let excess = needed - available;
                            if worst.as_ref().is_none_or(|(w, _)| excess > *w) {
                                worst = Some((
                                    excess,
                                    Binding {
                                        region: region.clone(),
                                        specialty: specialty.to_string(),
                                        from,
                                        to,
                                        needed,
                                        available,
                                    },
                                ));
                            }
                        }
                    }
                }
            }
        }
        worst.map(|(_, b)| b)
    }
}

/// The canonical `ranges.csv`: rows sorted by (task, tier), quotas in canonical form.
pub fn ranges_text(ranges: &[Range]) -> String {
    let mut rows: Vec<&Range> = ranges.iter().collect();
    rows.sort_by(|a, b| (&a.task, a.tier).cmp(&(&b.task, b.tier)));
    let mut out = format!("{RANGES_HEADER}\n");
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{}\n",
            r.task,
            r.tier.as_str(),
            r.min.render(),
            r.max.render()
        ));
    }
    out
}

/// The header of `advice.csv`.
pub const ADVICE_HEADER: &str = "task,department,tier,min,max,advised,eligible,drawn";
/// The header of `binding.csv`.
pub const BINDING_HEADER: &str = "department,step,status,region,specialty,from,to,needed,available";

/// The published files of an advice (`docs/advice.md`, "Files"): `ranges.csv`, `advice.csv`,
/// `binding.csv`, by name.
pub fn files(ranges: &[Range], advice: &Advice) -> BTreeMap<&'static str, String> {
    let mut a = format!("{ADVICE_HEADER}\n");
    for r in &advice.rows {
        a.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            r.task,
            r.department,
            r.tier.as_str(),
            r.min.render(),
            r.max.render(),
            r.advised.render(),
            r.eligible,
            r.drawn
        ));
    }
    let mut b = format!("{BINDING_HEADER}\n");
    for d in &advice.departments {
        let (status, binding) = match &d.status {
            Status::Maximum => ("maximum", None),
            Status::Limited(x) => ("limited", Some(x)),
            Status::MinimumShort(x) => ("minimum-short", Some(x)),
        };
        let rest = binding.map_or_else(
            || ",,,,,".to_string(),
            |x| {
                format!(
                    "{},{},{},{},{},{}",
                    x.region, x.specialty, x.from, x.to, x.needed, x.available
                )
            },
        );
        b.push_str(&format!("{},{},{status},{rest}\n", d.department, d.step));
    }
    BTreeMap::from([
        ("ranges.csv", ranges_text(ranges)),
        ("advice.csv", a),
        ("binding.csv", b),
    ])
}

/// Checks that `inputs` follow the advice of `ranges_csv`: the advice recomputed from the
/// inputs (whose ranged quotas it replaces) gives every ranged quota the inputs have. Returns
/// the advice's files, or what differs.
pub fn check(inputs: &Inputs, ranges_csv: &str) -> Result<BTreeMap<&'static str, String>, String> {
    let ranges = parse_ranges(ranges_csv, &inputs.tasks).map_err(|errors| {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let advice = advise(inputs, &ranges);
    for (t, advised) in inputs.tasks.iter().zip(&advice.tasks) {
        for tier in Tier::ALL {
            let (has, should) = (t.quotas[tier as usize], advised.quotas[tier as usize]);
            if has != should {
                return Err(format!(
                    "task {} tier {}: tasks.csv has quota '{}', the advice gives '{}'",
                    t.id,
                    tier.as_str(),
                    has.render(),
                    should.render()
                ));
            }
        }
    }
    Ok(files(&ranges, &advice))
}

#[cfg(test)]
mod tests;
