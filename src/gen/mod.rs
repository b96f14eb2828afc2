//! Synthetic jurisdictions for demos and benchmarks (`dualdraw gen`; `docs/architecture.md`, "Scale").
//!
//! [`generate`] writes the CSV files of one jurisdiction — enterprises, departments, inspection
//! items, inspectors, conflicts, credit records and, for the demo, repair requests — in the
//! columns the importer reads (UTF-8, LF, English headers, rows sorted by their key).
//!
//! The same parameters give byte-identical files on every machine: every draw comes from a
//! seeded ChaCha8 stream through integer arithmetic (`rng.rs`), no hash-map order or floating
//! point reaches a file. Enterprises are generated one at a time in sorted code order
//! (`codes.rs`), so memory stays flat for tens of millions of them; credit records are sorted
//! through spool files, one document-number head in memory at a time (`spool.rs`).

#![warn(missing_docs)]

mod codes;
mod credit;
mod departments;
mod enterprises;
mod industries;
mod inspectors;
mod names;
mod repairs;
mod rng;
mod spool;
mod staffing;
mod tasks;

pub use codes::City;

use crate::registry::model::{EnterpriseStatus, Inspector};
use departments::{DepartmentSpec, DEPARTMENTS};
use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::Path;

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenParams {
    /// Number of enterprises (all entity types).
    pub enterprises: u64,
    /// Seed of every random choice.
    pub seed: u64,
    /// The divisions enterprises and inspectors belong to.
    pub city: City,
    /// Number of inspectors asked for; raised to two per department and division if lower.
    pub inspectors: u64,
    /// Number of participating departments, 1–20; the first eight are the demo city's.
    pub departments: usize,
    /// Whether to write `repairs.csv` with requests in every state.
    pub repairs: bool,
    /// Quarters (task windows the whole year) or months (task windows spread over the year,
    /// for the annual plan of method `dr2`).
    pub periods: dualdraw_solver::inputs::Periods,
}

impl GenParams {
    /// The demo city: 5,000 enterprises of six Shenzhen districts, eight departments,
    /// 150 inspectors and repair requests; what `seeds/demo/` holds.
    pub fn demo() -> GenParams {
        GenParams {
            enterprises: 5_000,
            seed: 20260101,
            city: City::Shenzhen,
            inspectors: 150,
            departments: 8,
            repairs: true,
            periods: dualdraw_solver::inputs::Periods::Quarter,
        }
    }

    /// A Guangdong jurisdiction of `enterprises`: one division per 50,000 enterprises (at least
    /// 6), 20 departments, one inspector per 300 enterprises.
    pub fn scaled(enterprises: u64, seed: u64) -> GenParams {
        GenParams {
            enterprises,
            seed,
            city: City::Guangdong,
            inspectors: enterprises / 300,
            departments: DEPARTMENTS.len(),
            repairs: false,
            periods: dualdraw_solver::inputs::Periods::Quarter,
        }
    }
}

/// Rows written to each file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GenSummary {
    /// Rows of `enterprises.csv`.
    pub enterprises: u64,
    /// Rows of `departments.csv`.
    pub departments: u64,
    /// Rows of `items.csv`.
    pub items: u64,
    /// Rows of `inspectors.csv`.
    pub inspectors: u64,
    /// Rows of `conflicts.csv`.
    pub conflicts: u64,
    /// Rows of `credit-records.csv`.
    pub credit_records: u64,
    /// Rows of `repairs.csv`; zero when it was not asked for.
    pub repairs: u64,
    /// Rows of `tasks.csv`.
    pub tasks: u64,
}

impl GenSummary {
    /// (file name, rows) of every file written.
    pub fn files(&self) -> Vec<(&'static str, u64)> {
        let mut files = vec![
            (ENTERPRISES, self.enterprises),
            (DEPARTMENTS_FILE, self.departments),
            (ITEMS, self.items),
            (INSPECTORS, self.inspectors),
            (CONFLICTS, self.conflicts),
            (CREDIT_RECORDS, self.credit_records),
        ];
        if self.repairs > 0 {
            files.push((REPAIRS, self.repairs));
        }
        files
    }
}

const ENTERPRISES: &str = "enterprises.csv";
const DEPARTMENTS_FILE: &str = "departments.csv";
const ITEMS: &str = "items.csv";
const INSPECTORS: &str = "inspectors.csv";
const CONFLICTS: &str = "conflicts.csv";
const CREDIT_RECORDS: &str = "credit-records.csv";
const REPAIRS: &str = "repairs.csv";

/// Writes the files of the jurisdiction described by `params` into `out` (created if missing;
/// files of the same names are replaced).
pub fn generate(params: &GenParams, out: &Path) -> io::Result<GenSummary> {
    fs::create_dir_all(out)?;
    let departments: Vec<&'static DepartmentSpec> = DEPARTMENTS
        [..params.departments.clamp(1, DEPARTMENTS.len())]
        .iter()
        .collect();
    let mut summary = GenSummary {
        departments: write_departments(&out.join(DEPARTMENTS_FILE), &departments)?,
        items: write_items(&out.join(ITEMS), &departments)?,
        ..GenSummary::default()
    };
    let monthly = params.periods == dualdraw_solver::inputs::Periods::Month;
    if !monthly {
        summary.tasks = tasks::write(out, &departments, params.periods, None)?;
    }
    let mut staffing = staffing::Staffing::new(&departments);

    let stream = enterprises::Enterprises::new(params.city, params.enterprises, params.seed);
    let regions = stream.regions().to_vec();
    let officers = inspectors::inspectors(
        params.seed,
        params.inspectors,
        &departments,
        &regions,
        &stream.region_counts(),
    );
    summary.inspectors = write_inspectors(&out.join(INSPECTORS), &officers)?;

    let mut conflicts =
        inspectors::Conflicts::new(params.seed, params.enterprises, &officers, &regions);
    let mut credit = credit::CreditGenerator::new(params.seed, departments.clone());
    let mut spools = spool::Spools::create(
        out,
        params.city.document_abbreviation(),
        departments.clone(),
    )?;
    let mut w = writer(&out.join(ENTERPRISES))?;
    w.write_record([
        "uscc",
        "name",
        "region",
        "industry",
        "registered_on",
        "status",
        "base_tier",
        "key_supervision",
        "key_departments",
    ])?;
    let bar = crate::progress::global().items("generating enterprises", Some(params.enterprises));
    for (index, mut g) in stream.enumerate() {
        bar.inc(1);
        let (drafts, revokes_licence) = credit.records(&g);
        for draft in &drafts {
            spools.push(draft)?;
        }
        if revokes_licence {
            g.enterprise.status = EnterpriseStatus::Revoked;
        }
        conflicts.observe(index as u64, g.region, g.enterprise.uscc, &officers);
        if g.enterprise.key_supervision {
            g.enterprise.key_departments = staffing::holders(&g.enterprise.industry, &departments)
                .into_iter()
                .map(String::from)
                .collect();
        }
        let e = &g.enterprise;
        if monthly && e.status == EnterpriseStatus::Operating {
            staffing.observe(&e.industry, e.base_tier, &e.key_departments);
        }
        w.write_record([
            e.uscc.as_str(),
            &e.name,
            e.region.as_str(),
            e.industry.as_str(),
            &e.registered_on.to_string(),
            e.status.as_str(),
            e.base_tier.as_str(),
            if e.key_supervision { "true" } else { "false" },
            &e.key_departments.join(";"),
        ])?;
        summary.enterprises += 1;
    }
    w.flush()?;
    if monthly {
        let quotas = staffing.quotas(&officers, tasks::YEAR, tasks::INSPECTORS_PER_DEPARTMENT);
        summary.tasks = tasks::write(out, &departments, params.periods, Some(&quotas))?;
    }
    summary.conflicts = write_conflicts(&out.join(CONFLICTS), conflicts)?;

    spools.flush()?;
    let (records, repairs) = write_credit_records(out, params, &spools)?;
    summary.credit_records = records;
    summary.repairs = repairs;
    spools.remove()?;
    Ok(summary)
}

fn writer(path: &Path) -> io::Result<csv::Writer<BufWriter<File>>> {
    Ok(csv::Writer::from_writer(BufWriter::with_capacity(
        1 << 16,
        File::create(path)?,
    )))
}

fn write_departments(path: &Path, departments: &[&DepartmentSpec]) -> io::Result<u64> {
    let mut sorted = departments.to_vec();
    sorted.sort_by_key(|d| d.code);
    let mut w = writer(path)?;
    w.write_record(["code", "name"])?;
    for d in &sorted {
        w.write_record([d.code, d.name])?;
    }
    w.flush()?;
    Ok(sorted.len() as u64)
}

fn write_items(path: &Path, departments: &[&DepartmentSpec]) -> io::Result<u64> {
    let mut rows: Vec<[String; 7]> = departments
        .iter()
        .flat_map(|d| {
            d.items.iter().enumerate().map(move |(i, item)| {
                [
                    format!("{}-{:03}", d.code, i + 1),
                    d.code.to_string(),
                    item.name.to_string(),
                    item.kind.as_str().to_string(),
                    item.legal_basis.to_string(),
                    sorted_list(item.industries),
                    item.specialty.to_string(),
                ]
            })
        })
        .collect();
    rows.sort();
    let mut w = writer(path)?;
    w.write_record([
        "code",
        "department",
        "name",
        "kind",
        "legal_basis",
        "industries",
        "specialty",
    ])?;
    for row in &rows {
        w.write_record(row)?;
    }
    w.flush()?;
    Ok(rows.len() as u64)
}

/// A `;`-separated list sorted, the importer's normal form.
fn sorted_list(list: &str) -> String {
    let mut parts: Vec<&str> = list.split(';').filter(|p| !p.is_empty()).collect();
    parts.sort_unstable();
    parts.join(";")
}

fn write_inspectors(path: &Path, officers: &[Inspector]) -> io::Result<u64> {
    let mut w = writer(path)?;
    w.write_record([
        "id",
        "name",
        "department",
        "region",
        "certificate_no",
        "certificate_valid_from",
        "certificate_valid_until",
        "specialties",
        "capacity",
    ])?;
    for i in officers {
        w.write_record([
            i.id.as_str(),
            &i.name,
            &i.department,
            i.region.as_str(),
            &i.certificate_no,
            &i.certificate_valid_from.to_string(),
            &i.certificate_valid_until.to_string(),
            &i.specialties.join(";"),
            &i.capacity.to_string(),
        ])?;
    }
    w.flush()?;
    Ok(officers.len() as u64)
}

fn write_conflicts(path: &Path, conflicts: inspectors::Conflicts) -> io::Result<u64> {
    let mut w = writer(path)?;
    w.write_record(["inspector", "uscc", "reason", "declared_on"])?;
    let sorted = conflicts.into_sorted();
    for c in &sorted {
        w.write_record([
            c.inspector.as_str(),
            c.uscc.as_str(),
            &c.reason,
            &c.declared_on.to_string(),
        ])?;
    }
    w.flush()?;
    Ok(sorted.len() as u64)
}

/// Writes `credit-records.csv` and, if asked, `repairs.csv`.
fn write_credit_records(
    out: &Path,
    params: &GenParams,
    spools: &spool::Spools,
) -> io::Result<(u64, u64)> {
    let mut plan = match params.repairs {
        true => Some(repairs::RepairPlan::new(
            spools,
            params.seed,
            &out.join(REPAIRS),
        )?),
        false => None,
    };
    let mut w = writer(&out.join(CREDIT_RECORDS))?;
    w.write_record(spool::HEADER)?;
    let mut records = 0;
    spools.visit(params.seed, |row, document_no| {
        if let Some(plan) = &mut plan {
            plan.visit(row, document_no)?;
        }
        w.write_record(row.fields(document_no))?;
        records += 1;
        Ok(())
    })?;
    w.flush()?;
    let repairs = match plan {
        Some(plan) => plan.finish()?,
        None => 0,
    };
    Ok((records, repairs))
}

#[cfg(test)]
mod tests;
