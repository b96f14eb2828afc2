//! Who holds a generated enterprise under key supervision, and task ratios set from the staff a
//! department has (`docs/domain.md`, "Key supervision"; "Generated years").
//!
//! Key supervision belongs to the department responsible for a field (国发〔2019〕5号:
//! full-coverage key supervision of key fields by the departments in charge of them): food and
//! drugs and special equipment to market regulation, hazardous chemicals to emergency
//! management (and, for their carriers, transport), key polluters to ecology and environment,
//! crowded places to fire and rescue, medical institutions to health, construction to housing,
//! and large taxpayers elsewhere to the tax bureau. A holder the jurisdiction does not have
//! falls back to market regulation, the department every jurisdiction has.
//!
//! For a year planned by month, each department's ratios are scaled so that its drawn checks,
//! times the inspectors per department, make a set share of its inspectors' yearly capacity:
//! most departments between 40 % and 90 %, three of the twenty tight (105 %–125 %). The counts
//! are taken during the enterprise pass (operating enterprises, base tier, the department's key
//! supervision taken in full as method `dr3` does), all in integers.

use super::departments::DepartmentSpec;
use crate::registry::model::{IndustryCode, Inspector, ItemKind};
use dualdraw_solver::Tier;
use std::collections::BTreeMap;

/// The departments in charge of an industry's key supervision, by GB/T 4754 prefix (longest
/// first), before the fallback.
const HOLDERS: &[(&str, &[&str])] = &[
    ("C26", &["STHJ", "YJGL"]),
    ("C13", &["SCJG"]),
    ("C14", &["SCJG"]),
    ("C15", &["SCJG"]),
    ("C27", &["SCJG"]),
    ("C34", &["SCJG"]),
    ("C35", &["SCJG"]),
    ("C3", &["STHJ"]),
    ("C", &["YJGL"]),
    ("F5265", &["YJGL"]),
    ("F5", &["SCJG"]),
    ("G5435", &["JTJ", "YJGL"]),
    ("G", &["JTJ"]),
    ("H61", &["XFJY"]),
    ("H62", &["SCJG"]),
    ("O8111", &["JTJ"]),
    ("O", &["WSJK"]),
    ("Q", &["WSJK"]),
    ("R", &["XFJY"]),
    ("E", &["ZJJ"]),
    ("K", &["ZJJ"]),
    ("A", &["NYNC"]),
];

/// The department every jurisdiction has.
const FALLBACK: &str = "SCJG";
/// Holders of industries not listed: large taxpayers.
const OTHERS: &str = "SWJ";

/// The departments of `present` that hold a key-supervision enterprise of `industry`, sorted.
pub fn holders(industry: &IndustryCode, present: &[&DepartmentSpec]) -> Vec<&'static str> {
    let code = industry.as_str();
    let listed = HOLDERS
        .iter()
        .filter(|(p, _)| code.starts_with(p))
        .max_by_key(|(p, _)| p.len())
        .map_or(&[OTHERS][..], |(_, d)| *d);
    let mut out: Vec<&'static str> = present
        .iter()
        .map(|d| d.code)
        .filter(|c| listed.contains(c))
        .collect();
    if out.is_empty() {
        out.push(FALLBACK);
    }
    out.sort_unstable();
    out
}

/// Tier shapes of general and key tasks (per mille of a stratum at scale 1): riskier tiers are
/// checked more often (`docs/domain.md`, "Credit tiers").
const GENERAL_SHAPE: [u64; 4] = [1, 3, 10, 40];
const KEY_SHAPE: [u64; 4] = [2, 3, 15, 80];

/// The share of its capacity department number `d` (in `DEPARTMENTS` order) is planned to need,
/// in percent.
pub fn target_percent(d: usize) -> u64 {
    match d {
        0 => 115,
        2 => 105,
        4 => 125,
        _ => 45 + (d as u64 * 29) % 45,
    }
}

/// The tasks of a department: its general and key items as the generator writes them.
fn kinds(d: &DepartmentSpec) -> Vec<ItemKind> {
    [ItemKind::General, ItemKind::Key]
        .into_iter()
        .filter(|k| d.items.iter().any(|i| i.kind == *k))
        .collect()
}

/// Counts, during the enterprise pass, what each task could draw.
pub struct Staffing<'a> {
    departments: Vec<&'a DepartmentSpec>,
    /// Per (department, kind): sampled eligible enterprises by tier, and those held.
    counts: BTreeMap<(&'static str, ItemKind), ([u64; 4], u64)>,
    /// Per industry: the tasks whose items apply.
    applies: BTreeMap<String, Vec<(&'static str, ItemKind)>>,
}

impl<'a> Staffing<'a> {
    pub fn new(departments: &[&'a DepartmentSpec]) -> Staffing<'a> {
        Staffing {
            departments: departments.to_vec(),
            counts: BTreeMap::new(),
            applies: BTreeMap::new(),
        }
    }

    /// One operating enterprise.
    pub fn observe(&mut self, industry: &IndustryCode, tier: Tier, held: &[String]) {
        let departments = &self.departments;
        let tasks = self
            .applies
            .entry(industry.as_str().to_string())
            .or_insert_with(|| {
                let code = industry.as_str();
                departments
                    .iter()
                    .flat_map(|d| kinds(d).into_iter().map(move |k| (d, k)))
                    .filter(|(d, k)| {
                        d.items.iter().any(|i| {
                            i.kind == *k
                                && (i.industries.is_empty()
                                    || i.industries.split(';').any(|p| code.starts_with(p)))
                        })
                    })
                    .map(|(d, k)| (d.code, k))
                    .collect()
            });
        for &(d, k) in tasks.iter() {
            let c = self.counts.entry((d, k)).or_default();
            if held.iter().any(|h| h == d) {
                c.1 += 1;
            } else {
                c.0[tier as usize] += 1;
            }
        }
    }

    /// The quotas A–D of each (department, kind), as exact fractions `p/1000000`, for the
    /// inspectors `officers` (certificates valid over the whole `year`) and `k` per visit.
    pub fn quotas(
        &self,
        officers: &[Inspector],
        year: i32,
        k: u64,
    ) -> BTreeMap<(&'static str, ItemKind), [String; 4]> {
        let (first, last) = (
            chrono::NaiveDate::from_ymd_opt(year, 1, 1).expect("date"),
            chrono::NaiveDate::from_ymd_opt(year, 12, 31).expect("date"),
        );
        let mut out = BTreeMap::new();
        for (n, d) in super::departments::DEPARTMENTS.iter().enumerate() {
            if !self.departments.iter().any(|x| x.code == d.code) {
                continue;
            }
            let capacity: u64 = officers
                .iter()
                .filter(|o| o.department == d.code)
                .filter(|o| o.certificate_valid_from <= first && last <= o.certificate_valid_until)
                .map(|o| o.capacity as u64)
                .sum();
            let mut held = 0u64;
            let mut weighted = 0u128;
            for kind in kinds(d) {
                let (sampled, h) = self
                    .counts
                    .get(&(d.code, kind))
                    .copied()
                    .unwrap_or_default();
                held += h;
                let shape = shape(kind);
                weighted += (0..4)
                    .map(|t| shape[t] as u128 * sampled[t] as u128)
                    .sum::<u128>();
            }
            // Checks wanted: target × capacity ÷ k, less the key-supervision checks.
            let wanted = (target_percent(n) as u128 * capacity as u128 / (100 * k as u128))
                .saturating_sub(held as u128);
            for kind in kinds(d) {
                let shape = shape(kind);
                let q = std::array::from_fn(|t| {
                    let ppm = (1_000_000u128 * wanted * shape[t] as u128)
                        .checked_div(weighted)
                        .unwrap_or(1_000_000)
                        .clamp(1, 1_000_000);
                    format!("{ppm}/1000000")
                });
                out.insert((d.code, kind), q);
            }
        }
        out
    }
}

fn shape(kind: ItemKind) -> [u64; 4] {
    match kind {
        ItemKind::General => GENERAL_SHAPE,
        ItemKind::Key => KEY_SHAPE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gen::departments::DEPARTMENTS;

    fn code(s: &str) -> IndustryCode {
        IndustryCode::parse(s).unwrap()
    }

    #[test]
    fn fields_go_to_the_department_in_charge() {
        let all: Vec<&DepartmentSpec> = DEPARTMENTS.iter().collect();
        assert_eq!(holders(&code("C1392"), &all), ["SCJG"]);
        assert_eq!(holders(&code("C2641"), &all), ["STHJ", "YJGL"]);
        assert_eq!(holders(&code("G5435"), &all), ["JTJ", "YJGL"]);
        assert_eq!(holders(&code("F5265"), &all), ["YJGL"]);
        assert_eq!(holders(&code("H6110"), &all), ["XFJY"]);
        assert_eq!(holders(&code("I6513"), &all), ["SWJ"]);
        let demo: Vec<&DepartmentSpec> = DEPARTMENTS[..8].iter().collect();
        assert_eq!(
            holders(&code("I6513"), &demo),
            ["SCJG"],
            "no tax bureau: fallback"
        );
    }

    #[test]
    fn most_departments_are_planned_below_capacity_and_three_are_tight() {
        let targets: Vec<u64> = (0..20).map(target_percent).collect();
        assert_eq!(targets.iter().filter(|&&t| t > 100).count(), 3);
        assert!(
            targets.iter().all(|&t| (40..=130).contains(&t)),
            "{targets:?}"
        );
    }
}
