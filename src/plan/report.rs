//! `dualdraw plan report BUNDLE` and `GET /api/v1/draws/{batch}/report`: what a `dr2` plan costs
//! the enterprises and asks of the inspectors, read from the bundle's files alone, so anyone
//! holding a published bundle gets the same report.
//!
//! The comparison with uncoordinated draws counts what the same checks would cost if every task
//! were drawn and visited separately (one visit per task and enterprise, the practice before
//! joint checks, 国办发〔2019〕5号 "进一次门、查多项事").

use super::rows::{self, Class, Seat, Selection, Stratum, Visit};
use crate::draw::bundle::{Bundle, BundleError};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Visits per enterprise of one tier against the tier's cap.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct TierRow {
    pub tier: String,
    pub cap: u32,
    /// Enterprises with at least one visit.
    pub enterprises: u64,
    pub visits: u64,
    pub max_visits: u32,
    /// Number of visits → enterprises with that many.
    pub histogram: BTreeMap<u32, u64>,
    /// Enterprises without key supervision over the cap (there should be none).
    pub over_cap: u64,
    /// Key-supervision enterprises over the cap (full coverage: allowed).
    pub key_over_cap: u64,
}

/// Inspector load of one department in one period.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct LoadRow {
    pub department: String,
    pub period: u32,
    /// Team places filled (inspector-visits).
    pub assigned: u64,
    /// Distinct inspectors on those teams.
    pub inspectors: u64,
    /// Inspector-visits the optimizer gave the department there.
    pub allocated: u64,
}

/// One stratum's inclusion probability against its realized selection.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct InclusionRow {
    pub task: String,
    pub tier: String,
    pub eligible: u64,
    /// `n/N`: each sampled enterprise's inclusion probability.
    pub inclusion: String,
    /// Expected number sampled (n) and those taken, plus key-supervision (inclusion 1).
    pub expected: u64,
    pub selected: u64,
    pub key: u64,
    /// Selected checks that got a visit.
    pub planned: u64,
}

/// How far the plan is from the best possible (`dr3`'s `plan/bound.csv`, all regions summed).
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Bound {
    /// Group checks to plan.
    pub checks: u64,
    /// Checks in new visits, and those whose every team is complete.
    pub planned: u64,
    pub staffed: u64,
    /// No plan of the model places more checks (absent if a region's relaxation failed).
    pub planned_bound: Option<u64>,
    /// New visits, and the fewest visits that can carry the planned checks.
    pub visits: u64,
    pub visits_bound: u64,
}

/// The plan report.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = PlanReport)]
pub struct Report {
    pub batch: String,
    pub method: String,
    pub visits: u64,
    pub joint_visits: u64,
    /// Department checks (one per department per visit).
    pub department_checks: u64,
    pub joint_department_checks: u64,
    /// Share of department checks done in joint visits, in per mille.
    pub joint_rate_permille: u64,
    /// Visits the same planned checks would take if every task visited separately.
    pub uncoordinated_visits: u64,
    /// The same, only for enterprises checked by two or more departments.
    pub overlap_enterprises: u64,
    pub overlap_visits: u64,
    pub overlap_uncoordinated_visits: u64,
    pub unplanned_checks: u64,
    pub teams_not_formed: u64,
    pub shortages: Vec<String>,
    pub tiers: Vec<TierRow>,
    pub load: Vec<LoadRow>,
    pub inclusion: Vec<InclusionRow>,
    /// `dr3`: planned checks and visits against their bounds.
    pub bound: Option<Bound>,
}

/// Reads a run or revealed annual (`dr2`, `dr3`) bundle's plan and reports on it.
pub fn report(bundle: &Bundle) -> Result<Report, BundleError> {
    let manifest = bundle.read_json("manifest.json")?;
    let method = manifest["method"]
        .as_str()
        .and_then(dualdraw_solver::Method::parse)
        .filter(|m| m.places_annually());
    let Some(method) = method else {
        return Err(BundleError::Invalid(format!(
            "{}: plan report needs a dr2 or dr3 bundle (this one is {})",
            bundle.dir.display(),
            manifest["method"]
        )));
    };
    if !matches!(manifest["state"].as_str(), Some("run" | "revealed")) {
        return Err(BundleError::Invalid(format!(
            "{}: not run yet; nothing to report",
            bundle.dir.display()
        )));
    }
    let commitment = bundle.read_json("commitment.json")?;
    let batch = commitment["batch"]
        .as_str()
        .ok_or_else(|| BundleError::Invalid("commitment.json: batch: not a string".into()))?;
    let visits = rows::visits(bundle)?;
    let caps = rows::caps(bundle)?;
    let (unplanned_checks, teams_not_formed) = rows::unplanned_and_failures(bundle)?;
    let mut r = Report {
        batch: batch.to_string(),
        method: method.id().to_string(),
        visits: visits.len() as u64,
        joint_visits: 0,
        department_checks: 0,
        joint_department_checks: 0,
        joint_rate_permille: 0,
        uncoordinated_visits: 0,
        overlap_enterprises: 0,
        overlap_visits: 0,
        overlap_uncoordinated_visits: 0,
        unplanned_checks,
        teams_not_formed,
        shortages: rows::shortages(bundle)?,
        tiers: Vec::new(),
        load: Vec::new(),
        inclusion: Vec::new(),
        bound: rows::bound(bundle)?.map(|rows| Bound {
            checks: rows.iter().map(|r| r.checks).sum(),
            planned: rows.iter().map(|r| r.planned).sum(),
            staffed: rows.iter().map(|r| r.staffed).sum(),
            planned_bound: rows.iter().map(|r| r.planned_bound).sum(),
            visits: rows.iter().map(|r| r.visits).sum(),
            visits_bound: rows.iter().map(|r| r.visits_bound).sum(),
        }),
    };
    coordination(&mut r, &visits);
    r.tiers = tiers(&visits, &caps, &rows::key_supervised(bundle)?);
    r.load = load(&visits, &rows::seats(bundle)?, &rows::classes(bundle)?);
    r.inclusion = inclusion(&visits, &rows::selections(bundle)?, rows::strata(bundle)?);
    Ok(r)
}

fn coordination(r: &mut Report, visits: &[Visit]) {
    let mut departments_of: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut visits_of: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for v in visits {
        let ds = &v.departments;
        let tasks = v.tasks.len() as u64;
        r.department_checks += ds.len() as u64;
        if ds.len() > 1 {
            r.joint_visits += 1;
            r.joint_department_checks += ds.len() as u64;
        }
        r.uncoordinated_visits += tasks;
        departments_of
            .entry(v.uscc.as_str())
            .or_default()
            .extend(ds.iter().map(String::as_str));
        let slot = visits_of.entry(v.uscc.as_str()).or_default();
        slot.0 += 1;
        slot.1 += tasks;
    }
    r.joint_rate_permille = (r.joint_department_checks * 1000)
        .checked_div(r.department_checks)
        .unwrap_or(0);
    for (uscc, ds) in departments_of {
        if ds.len() > 1 {
            let (ours, separate) = visits_of[uscc];
            r.overlap_enterprises += 1;
            r.overlap_visits += ours;
            r.overlap_uncoordinated_visits += separate;
        }
    }
}

fn tiers(visits: &[Visit], caps: &BTreeMap<String, u32>, key: &BTreeSet<String>) -> Vec<TierRow> {
    let mut per: BTreeMap<(&str, &str), u32> = BTreeMap::new();
    for v in visits {
        *per.entry((&v.tier, v.uscc.as_str())).or_default() += 1;
    }
    ["A", "B", "C", "D"]
        .iter()
        .map(|&tier| {
            let cap = caps.get(tier).copied().unwrap_or(0);
            let mut row = TierRow {
                tier: tier.to_string(),
                cap,
                enterprises: 0,
                visits: 0,
                max_visits: 0,
                histogram: BTreeMap::new(),
                over_cap: 0,
                key_over_cap: 0,
            };
            for ((_, uscc), &n) in per.iter().filter(|((t, _), _)| *t == tier) {
                row.enterprises += 1;
                row.visits += n as u64;
                row.max_visits = row.max_visits.max(n);
                *row.histogram.entry(n).or_default() += 1;
                if n > cap && key.contains(*uscc) {
                    row.key_over_cap += 1;
                } else if n > cap {
                    row.over_cap += 1;
                }
            }
            row
        })
        .collect()
}

fn load(visits: &[Visit], seats: &[Seat], classes: &[Class]) -> Vec<LoadRow> {
    let period: BTreeMap<&str, u32> = visits
        .iter()
        .map(|v| (v.visit.as_str(), v.period))
        .collect();
    let mut rows: BTreeMap<(String, u32), (u64, BTreeSet<&str>, u64)> = BTreeMap::new();
    for m in seats {
        let Some(&p) = period.get(m.visit.as_str()) else {
            continue;
        };
        let slot = rows.entry((m.department.clone(), p)).or_default();
        slot.0 += 1;
        slot.1.insert(&m.inspector);
    }
    for c in classes {
        for &(p, n) in &c.allocation {
            let slot = rows.entry((c.department.clone(), p)).or_default();
            slot.2 = slot.2.saturating_add(n);
        }
    }
    rows.into_iter()
        .map(
            |((department, period), (assigned, inspectors, allocated))| LoadRow {
                department,
                period,
                assigned,
                inspectors: inspectors.len() as u64,
                allocated,
            },
        )
        .collect()
}

fn inclusion(
    visits: &[Visit],
    selections: &[Selection],
    strata: Vec<Stratum>,
) -> Vec<InclusionRow> {
    let planned: BTreeSet<(&str, &str)> = visits
        .iter()
        .flat_map(|v| v.tasks.iter().map(move |t| (t.as_str(), v.uscc.as_str())))
        .collect();
    let mut planned_by: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for s in selections {
        if planned.contains(&(s.task.as_str(), s.uscc.as_str())) {
            *planned_by.entry((&s.task, &s.tier)).or_default() += 1;
        }
    }
    strata
        .into_iter()
        .map(|st| InclusionRow {
            planned: planned_by
                .get(&(st.task.as_str(), st.tier.as_str()))
                .copied()
                .unwrap_or(0),
            inclusion: format!("{}/{}", st.quota, st.eligible),
            eligible: st.eligible,
            expected: st.quota,
            selected: st.taken,
            key: st.key,
            task: st.task,
            tier: st.tier,
        })
        .collect()
}

fn pct(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "0.0 %".into();
    }
    let tenths = part * 1000 / whole;
    format!("{}.{} %", tenths / 10, tenths % 10)
}

impl Report {
    /// Fewer visits than separate draws, in per mille of the separate draws' visits.
    pub fn saving(ours: u64, separate: u64) -> String {
        pct(separate.saturating_sub(ours), separate)
    }

    /// The report as lines of text.
    pub fn text(&self) -> String {
        let mut out = format!(
            "plan {} ({}): {} visits, {} joint; {} of {} department checks in joint visits ({})\n",
            self.batch,
            self.method,
            self.visits,
            self.joint_visits,
            self.joint_department_checks,
            self.department_checks,
            pct(self.joint_department_checks, self.department_checks)
        );
        out.push_str(&format!(
            "against separate draws per task: {} visits instead of {} ({} fewer); where departments overlap ({} enterprises): {} instead of {} ({} fewer)\n",
            self.visits,
            self.uncoordinated_visits,
            Report::saving(self.visits, self.uncoordinated_visits),
            self.overlap_enterprises,
            self.overlap_visits,
            self.overlap_uncoordinated_visits,
            Report::saving(self.overlap_visits, self.overlap_uncoordinated_visits)
        ));
        out.push_str(&format!(
            "unplanned checks: {}; teams not formed: {}\n",
            self.unplanned_checks, self.teams_not_formed
        ));
        if let Some(b) = &self.bound {
            let bound = b
                .planned_bound
                .map_or("not computed".to_string(), |n| n.to_string());
            out.push_str(&format!(
                "against the bound: {} of {} checks planned ({}), {} with complete teams ({}); at most {} can be planned; {} visits, at least {} for the checks planned\n",
                b.planned,
                b.checks,
                pct(b.planned, b.checks),
                b.staffed,
                pct(b.staffed, b.checks),
                bound,
                b.visits,
                b.visits_bound
            ));
        }
        for s in &self.shortages {
            out.push_str(&format!("  short: {s}\n"));
        }
        out.push_str("visits per enterprise by tier (cap):\n");
        for t in &self.tiers {
            let hist: Vec<String> = t
                .histogram
                .iter()
                .map(|(n, c)| format!("{n}×{c}"))
                .collect();
            out.push_str(&format!(
                "  {} (cap {}): {} enterprises, {} visits, at most {}, over cap {} (key supervision, not capped: {}); {}\n",
                t.tier,
                t.cap,
                t.enterprises,
                t.visits,
                t.max_visits,
                t.over_cap,
                t.key_over_cap,
                hist.join(" ")
            ));
        }
        out.push_str("inspector load (department, period: assigned / allocated inspector-visits, inspectors):\n");
        for l in &self.load {
            out.push_str(&format!(
                "  {} {}: {} / {}, {}\n",
                l.department, l.period, l.assigned, l.allocated, l.inspectors
            ));
        }
        out.push_str(
            "inclusion (task tier: probability n/N, expected n, selected, key, planned):\n",
        );
        for i in &self.inclusion {
            out.push_str(&format!(
                "  {} {}: {}, {}, {}, {}, {}\n",
                i.task, i.tier, i.inclusion, i.expected, i.selected, i.key, i.planned
            ));
        }
        out
    }

    /// The report as CSV files for a spreadsheet, by name.
    pub fn csv_files(&self) -> BTreeMap<&'static str, String> {
        let mut files = BTreeMap::new();
        let write = |header: &[&str], rows: Vec<Vec<String>>| {
            let mut w = csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(Vec::new());
            w.write_record(header).expect("in memory");
            for r in rows {
                w.write_record(&r).expect("in memory");
            }
            String::from_utf8(w.into_inner().expect("in memory")).expect("UTF-8")
        };
        let summary = vec![
            ("visits", self.visits),
            ("joint_visits", self.joint_visits),
            ("department_checks", self.department_checks),
            ("joint_department_checks", self.joint_department_checks),
            ("joint_rate_permille", self.joint_rate_permille),
            ("uncoordinated_visits", self.uncoordinated_visits),
            ("overlap_enterprises", self.overlap_enterprises),
            ("overlap_visits", self.overlap_visits),
            (
                "overlap_uncoordinated_visits",
                self.overlap_uncoordinated_visits,
            ),
            ("unplanned_checks", self.unplanned_checks),
            ("teams_not_formed", self.teams_not_formed),
        ];
        files.insert(
            "summary.csv",
            write(
                &["key", "value"],
                summary
                    .into_iter()
                    .map(|(k, v)| vec![k.to_string(), v.to_string()])
                    .collect(),
            ),
        );
        files.insert(
            "tiers.csv",
            write(
                &["tier", "cap", "visits_per_enterprise", "enterprises"],
                self.tiers
                    .iter()
                    .flat_map(|t| {
                        t.histogram.iter().map(|(n, c)| {
                            vec![
                                t.tier.clone(),
                                t.cap.to_string(),
                                n.to_string(),
                                c.to_string(),
                            ]
                        })
                    })
                    .collect(),
            ),
        );
        files.insert(
            "load.csv",
            write(
                &[
                    "department",
                    "period",
                    "assigned",
                    "allocated",
                    "inspectors",
                ],
                self.load
                    .iter()
                    .map(|l| {
                        vec![
                            l.department.clone(),
                            l.period.to_string(),
                            l.assigned.to_string(),
                            l.allocated.to_string(),
                            l.inspectors.to_string(),
                        ]
                    })
                    .collect(),
            ),
        );
        files.insert(
            "inclusion.csv",
            write(
                &[
                    "task",
                    "tier",
                    "eligible",
                    "inclusion",
                    "expected",
                    "selected",
                    "key",
                    "planned",
                ],
                self.inclusion
                    .iter()
                    .map(|i| {
                        vec![
                            i.task.clone(),
                            i.tier.clone(),
                            i.eligible.to_string(),
                            i.inclusion.clone(),
                            i.expected.to_string(),
                            i.selected.to_string(),
                            i.key.to_string(),
                            i.planned.to_string(),
                        ]
                    })
                    .collect(),
            ),
        );
        files
    }
}
