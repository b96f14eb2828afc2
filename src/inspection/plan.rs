//! A run plan read as inspection work (`docs/results.md` §1): every (visit, department) of
//! `plan/visits.csv` is one job, with the visit's period as dates (`docs/draw-protocol.md` §2.2),
//! the items of the visit's tasks of that department (`inputs/tasks.csv`), and its team from
//! `plan/teams.csv`. Works for `dr1` and `dr2` bundles: columns are found by name.

use crate::draw::bundle::{Bundle, BundleError};
use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet};

/// One job of a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedJob {
    pub visit: String,
    pub department: String,
    pub uscc: String,
    pub region: String,
    pub period: u32,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub tasks: Vec<String>,
    pub items: Vec<String>,
    /// (inspector, priority as written in `teams.csv`), in inspector order.
    pub team: Vec<(String, String)>,
}

/// The jobs of a run bundle.
#[derive(Debug)]
pub struct Plan {
    pub batch: String,
    pub method: String,
    pub jobs: Vec<PlannedJob>,
}

fn bad(m: impl Into<String>) -> BundleError {
    BundleError::Invalid(m.into())
}

/// Rows of a CSV file of the bundle as maps from header to value.
pub fn rows(bundle: &Bundle, rel: &str) -> Result<Vec<BTreeMap<String, String>>, BundleError> {
    let text = bundle.read(rel)?;
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| bad(format!("{rel}: {e}")))?
        .clone();
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| bad(format!("{rel}: {e}")))?;
        out.push(
            header
                .iter()
                .zip(record.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect(),
        );
    }
    Ok(out)
}

fn field<'a>(
    row: &'a BTreeMap<String, String>,
    name: &str,
    rel: &str,
) -> Result<&'a str, BundleError> {
    row.get(name)
        .map(String::as_str)
        .ok_or_else(|| bad(format!("{rel}: no column '{name}'")))
}

fn list(s: &str) -> Vec<String> {
    s.split(';')
        .filter(|p| !p.is_empty())
        .map(String::from)
        .collect()
}

/// The first and last day of period `p` of `year` (`docs/draw-protocol.md` §2.2).
pub fn period_dates(year: i32, months_per_period: u32, p: u32) -> Option<(NaiveDate, NaiveDate)> {
    let first_month = (p - 1) * months_per_period + 1;
    let last_month = p * months_per_period;
    let from = NaiveDate::from_ymd_opt(year, first_month, 1)?;
    let next = if last_month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, last_month + 1, 1)?
    };
    Some((from, next.pred_opt()?))
}

/// Reads the jobs of a run (or revealed) bundle.
pub fn read(bundle: &Bundle) -> Result<Plan, BundleError> {
    let commitment = bundle.read_json("commitment.json")?;
    let batch = commitment["batch"].as_str().unwrap_or("").to_string();
    let method = commitment["method"].as_str().unwrap_or("dr1").to_string();
    let manifest = bundle.read_json("manifest.json")?;
    if !matches!(manifest["state"].as_str(), Some("run" | "revealed")) {
        return Err(bad(format!(
            "batch '{batch}' is {}; only a run plan has inspection jobs",
            manifest["state"].as_str().unwrap_or("unknown")
        )));
    }
    let policy: BTreeMap<String, String> = rows(bundle, "inputs/policy.csv")?
        .into_iter()
        .filter_map(|r| Some((r.get("key")?.clone(), r.get("value")?.clone())))
        .collect();
    let year: i32 = policy
        .get("year")
        .and_then(|y| y.parse().ok())
        .ok_or_else(|| bad("inputs/policy.csv: no year"))?;
    let months = match policy.get("periods").map(String::as_str) {
        Some("month") => 1,
        _ => 3,
    };
    let mut task_items: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for r in rows(bundle, "inputs/tasks.csv")? {
        let rel = "inputs/tasks.csv";
        task_items.insert(
            field(&r, "id", rel)?.to_string(),
            (
                field(&r, "department", rel)?.to_string(),
                list(field(&r, "items", rel)?),
            ),
        );
    }
    let mut teams: BTreeMap<(String, String), Vec<(String, String)>> = BTreeMap::new();
    for r in rows(bundle, "plan/teams.csv")? {
        let rel = "plan/teams.csv";
        teams
            .entry((
                field(&r, "visit", rel)?.into(),
                field(&r, "department", rel)?.into(),
            ))
            .or_default()
            .push((
                field(&r, "inspector", rel)?.into(),
                field(&r, "priority", rel)?.into(),
            ));
    }
    let mut jobs = Vec::new();
    for r in rows(bundle, "plan/visits.csv")? {
        let rel = "plan/visits.csv";
        let visit = field(&r, "visit", rel)?.to_string();
        let period: u32 = field(&r, "period", rel)?
            .parse()
            .map_err(|_| bad(format!("{rel}: visit {visit}: bad period")))?;
        let (period_from, period_to) = period_dates(year, months, period)
            .filter(|_| period >= 1 && period * months <= 12)
            .ok_or_else(|| {
                bad(format!(
                    "{rel}: visit {visit}: period {period} out of range"
                ))
            })?;
        let tasks = list(field(&r, "tasks", rel)?);
        for department in list(field(&r, "departments", rel)?) {
            let mut items = BTreeSet::new();
            let mut own_tasks = Vec::new();
            for t in &tasks {
                if let Some((d, its)) = task_items.get(t) {
                    if *d == department {
                        own_tasks.push(t.clone());
                        items.extend(its.iter().cloned());
                    }
                }
            }
            let team = teams
                .remove(&(visit.clone(), department.clone()))
                .unwrap_or_default();
            jobs.push(PlannedJob {
                visit: visit.clone(),
                department,
                uscc: field(&r, "uscc", rel)?.to_string(),
                region: field(&r, "region", rel)?.to_string(),
                period,
                period_from,
                period_to,
                tasks: own_tasks,
                items: items.into_iter().collect(),
                team,
            });
        }
    }
    Ok(Plan {
        batch,
        method,
        jobs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_calendar_quarters_and_months() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            period_dates(2026, 3, 1),
            Some((d("2026-01-01"), d("2026-03-31")))
        );
        assert_eq!(
            period_dates(2026, 3, 4),
            Some((d("2026-10-01"), d("2026-12-31")))
        );
        assert_eq!(
            period_dates(2028, 1, 2),
            Some((d("2028-02-01"), d("2028-02-29")))
        );
    }
}
