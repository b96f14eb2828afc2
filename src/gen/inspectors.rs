//! The directory of inspectors (执法检查人员名录库) and their declared conflicts of interest (回避).
//!
//! Every check needs at least two officers with a valid enforcement certificate (`docs/domain.md`),
//! so every department gets two certified officers in every division, who hold all of the
//! department's specialties; the rest are shared out by department weight and by the number of
//! enterprises of each division. About 5 % of all certificates expired before July 2026.

use super::codes::{apportion, Region};
use super::departments::DepartmentSpec;
use super::names;
use super::rng::{add_months, ymd, Rng, Stream};
use crate::registry::model::{Conflict, Inspector};
use chrono::{Days, NaiveDate};
use dualdraw_solver::Uscc;

/// Certified officers every department has in every division.
pub const MINIMUM_PER_REGION: u64 = 2;

/// Share of all certificates that have expired, out of 10,000.
const EXPIRED_PER_10000: u64 = 500;

/// Reasons an officer must step aside.
const CONFLICT_REASONS: &[&str] = &[
    "近亲属在该企业任职",
    "曾在该企业任职，离职未满三年",
    "本人或近亲属持有该企业股份",
    "与该企业负责人存在其他利害关系",
    "曾为该企业提供有偿咨询服务",
];

/// The inspectors of a jurisdiction, sorted by id (`SCJG-440305-0007`).
///
/// `wanted` is the total asked for; there are at least two per department and division.
pub fn inspectors(
    seed: u64,
    wanted: u64,
    departments: &[&'static DepartmentSpec],
    regions: &[Region],
    region_counts: &[u64],
) -> Vec<Inspector> {
    let mut rng = Rng::new(seed, Stream::Inspectors);
    let mut departments = departments.to_vec();
    departments.sort_by_key(|d| d.code);
    let groups = departments.len() as u64 * regions.len() as u64;
    let mandatory = MINIMUM_PER_REGION * groups;
    let extras = wanted.saturating_sub(mandatory);
    let weights: Vec<u64> = departments
        .iter()
        .flat_map(|d| {
            region_counts
                .iter()
                .map(move |&n| d.inspector_weight * (n + 1))
        })
        .collect();
    let extra_counts = apportion(extras, &weights);
    let expired_per_10000 = (EXPIRED_PER_10000 * (mandatory + extras))
        .checked_div(extras)
        .map_or(0, |p| p.min(5_000));

    let mut certificate_counters = vec![0u64; regions.len()];
    let mut out = Vec::with_capacity((mandatory + extras) as usize);
    for (g, &extra) in extra_counts.iter().enumerate() {
        let department = departments[g / regions.len()];
        let r = g % regions.len();
        let specialties = department.specialties();
        for seq in 1..=MINIMUM_PER_REGION + extra {
            let senior = seq <= MINIMUM_PER_REGION;
            let counter = &mut certificate_counters[r];
            *counter += if *counter == 0 {
                rng.between(1, 50)
            } else {
                rng.between(1, 9)
            };
            let expired = !senior && rng.chance(expired_per_10000);
            let (from, until) = certificate_validity(&mut rng, expired);
            let chosen = if senior {
                specialties.clone()
            } else {
                some_of(&mut rng, &specialties)
            };
            out.push(Inspector {
                id: format!("{}-{}-{seq:04}", department.code, regions[r].code),
                name: names::person(&mut rng),
                department: department.code.to_string(),
                region: regions[r].code.clone(),
                certificate_no: format!("{}{:05}", regions[r].code, *counter),
                certificate_valid_from: from,
                certificate_valid_until: until,
                specialties: chosen.into_iter().map(str::to_string).collect(),
                capacity: rng.between(40, 120) as u32,
            });
        }
    }
    out
}

/// Valid: issued 2024 – mid 2025, valid into 2027–2028. Expired: issued 2020 – mid 2021 for
/// five years, so ended before 2026-06-30.
fn certificate_validity(rng: &mut Rng, expired: bool) -> (NaiveDate, NaiveDate) {
    if expired {
        let from = rng.date(ymd(2020, 1, 1), ymd(2021, 6, 30));
        (from, add_months(from, 60) - Days::new(1))
    } else {
        let from = rng.date(ymd(2024, 1, 1), ymd(2025, 6, 30));
        (from, rng.date(ymd(2027, 7, 1), ymd(2028, 12, 31)))
    }
}

/// One to three of `all`, sorted.
fn some_of(rng: &mut Rng, all: &[&'static str]) -> Vec<&'static str> {
    let mut pool = all.to_vec();
    rng.shuffle(&mut pool);
    let k = rng.between(1, pool.len().min(3) as u64) as usize;
    let mut chosen = pool[..k].to_vec();
    chosen.sort_unstable();
    chosen
}

/// Declares conflicts during the enterprise pass: picks the enterprises up front, then an
/// officer of the same division for each as it goes by.
pub struct Conflicts {
    rng: Rng,
    targets: Vec<u64>,
    next: usize,
    by_region: Vec<Vec<usize>>,
    found: Vec<Conflict>,
}

impl Conflicts {
    /// About one conflict per five inspectors, among `enterprises`.
    pub fn new(
        seed: u64,
        enterprises: u64,
        inspectors: &[Inspector],
        regions: &[Region],
    ) -> Conflicts {
        let mut rng = Rng::new(seed, Stream::Conflicts);
        let targets = rng.sample(enterprises, inspectors.len() as u64 / 5);
        let mut by_region = vec![Vec::new(); regions.len()];
        for (i, inspector) in inspectors.iter().enumerate() {
            let r = regions
                .binary_search_by(|region| region.code.cmp(&inspector.region))
                .expect("inspectors work in the jurisdiction's divisions");
            by_region[r].push(i);
        }
        Conflicts {
            rng,
            targets,
            next: 0,
            by_region,
            found: Vec::new(),
        }
    }

    /// Sees enterprise `index` of division `region` go by.
    pub fn observe(&mut self, index: u64, region: usize, uscc: Uscc, inspectors: &[Inspector]) {
        if self.targets.get(self.next) != Some(&index) {
            return;
        }
        self.next += 1;
        let officer = *self.rng.pick(&self.by_region[region]);
        self.found.push(Conflict {
            inspector: inspectors[officer].id.clone(),
            uscc,
            reason: self.rng.pick(CONFLICT_REASONS).to_string(),
            declared_on: self.rng.date(ymd(2025, 1, 1), ymd(2026, 10, 31)),
        });
    }

    /// The conflicts, sorted by (inspector, code).
    pub fn into_sorted(mut self) -> Vec<Conflict> {
        self.found
            .sort_by(|a, b| a.inspector.cmp(&b.inspector).then(a.uscc.cmp(&b.uscc)));
        self.found
    }
}
