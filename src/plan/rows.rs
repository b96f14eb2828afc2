//! The files of a `dr2` bundle that the plan report reads (`docs/plan-model.md`, "Bundle
//! files"), each CSV row parsed once into a typed row. The header must be the solver's own
//! (the constants of `dualdraw_solver::plan::annual_files` and `dualdraw_solver::plan::files::PLAN_FILES`); a column
//! missing or unknown, a row of the wrong width, text that is not UTF-8 or a number that does
//! not parse is an error `FILE:LINE: column: what is wrong`, never a default value.

use crate::draw::bundle::{io, Bundle, BundleError};
use csv::StringRecord;
use dualdraw_solver::inputs::annual::{PreviousMember, PreviousVisit};
use dualdraw_solver::inputs::population_csv::PopulationReader;
use dualdraw_solver::inputs::POLICY_HEADER;
use dualdraw_solver::plan::annual_files::{
    CLASSES_HEADER, SHORTAGES_HEADER, UNPLANNED_HEADER, VISITS_HEADER,
};
use dualdraw_solver::plan::bound::{BoundRow, BOUND_HEADER};
use dualdraw_solver::plan::files::PLAN_FILES;
use dualdraw_solver::Uscc;
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

/// One row of `plan/visits.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Visit {
    pub visit: String,
    pub uscc: Uscc,
    pub tier: String,
    pub period: u32,
    pub groups: Vec<String>,
    pub departments: Vec<String>,
    pub tasks: Vec<String>,
}

/// One place on a team, from `plan/teams.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seat {
    pub visit: String,
    pub department: String,
    pub inspector: String,
}

/// One class of interchangeable inspectors, from `plan/classes.csv`: what the optimizer gave
/// it, as (period, inspector-visits).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Class {
    pub department: String,
    pub allocation: Vec<(u32, u64)>,
}

/// One selected check, from `plan/selections.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    pub task: String,
    pub uscc: String,
    pub tier: String,
}

/// One stratum, from `plan/strata.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stratum {
    pub task: String,
    pub tier: String,
    pub eligible: u64,
    pub quota: u64,
    pub key: u64,
    pub taken: u64,
}

/// One CSV row with where it is, so that every problem names file, line and column.
pub struct Fields<'a> {
    file: &'a str,
    line: u64,
    header: &'a [&'a str],
    record: &'a StringRecord,
}

fn invalid(file: &str, line: u64, what: impl std::fmt::Display) -> BundleError {
    BundleError::Invalid(format!("{file}:{line}: {what}"))
}

impl Fields<'_> {
    /// The field of a column of the header (the header was checked: it is there).
    pub fn text(&self, column: &str) -> &str {
        let i = self
            .header
            .iter()
            .position(|c| *c == column)
            .unwrap_or_else(|| panic!("{column} is not a column of {}", self.file));
        &self.record[i]
    }

    pub fn error(&self, column: &str, message: impl std::fmt::Display) -> BundleError {
        invalid(self.file, self.line, format!("{column}: {message}"))
    }

    /// A whole number.
    pub fn number<T: FromStr>(&self, column: &str) -> Result<T, BundleError> {
        let s = self.text(column);
        s.parse()
            .map_err(|_| self.error(column, format!("'{s}' is not a whole number")))
    }

    /// A `;`-separated list (empty items dropped).
    pub fn list(&self, column: &str) -> Vec<String> {
        self.text(column)
            .split(';')
            .filter(|x| !x.is_empty())
            .map(String::from)
            .collect()
    }
}

/// What a header lacks or has too many of, or that its order is not the solver's.
fn check_header(file: &str, header: &[&str], found: &StringRecord) -> Result<(), BundleError> {
    if found.iter().eq(header.iter().copied()) {
        return Ok(());
    }
    let mut problems = Vec::new();
    for column in header.iter().filter(|c| !found.iter().any(|f| f == **c)) {
        problems.push(invalid(file, 1, format!("{column}: missing")).to_string());
    }
    for column in found.iter().filter(|f| !header.contains(f)) {
        let what = format!("{column}: not a column of this file");
        problems.push(invalid(file, 1, what).to_string());
    }
    if problems.is_empty() {
        let what = format!("the header must be {}", header.join(","));
        problems.push(invalid(file, 1, what).to_string());
    }
    Err(BundleError::Invalid(problems.join("\n")))
}

fn csv_error(file: &str, e: &csv::Error) -> BundleError {
    let line = e.position().map_or(1, |p| p.line());
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => invalid(file, line, "not valid UTF-8"),
        _ => invalid(file, line, e),
    }
}

/// Reads the bundle file `rel` (header `header`) into rows of `T`.
pub fn read<T>(
    bundle: &Bundle,
    rel: &str,
    header: &[&str],
    row: impl Fn(&Fields) -> Result<T, BundleError>,
) -> Result<Vec<T>, BundleError> {
    let path = bundle.path(rel);
    let bytes = std::fs::read(&path).map_err(|e| io(&path, e))?;
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes.as_slice());
    let mut records = csv.records();
    let found = match records.next() {
        None => {
            let what = format!("empty; expected the header {}", header.join(","));
            return Err(invalid(rel, 1, what));
        }
        Some(found) => found.map_err(|e| csv_error(rel, &e))?,
    };
    check_header(rel, header, &found)?;
    let mut out = Vec::new();
    for record in records {
        let record = record.map_err(|e| csv_error(rel, &e))?;
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != header.len() {
            let what = format!(
                "the row has {} fields, the header has {}",
                record.len(),
                header.len()
            );
            return Err(invalid(rel, line, what));
        }
        out.push(row(&Fields {
            file: rel,
            line,
            header,
            record: &record,
        })?);
    }
    Ok(out)
}

/// The header of a plan file that `dr2` shares with `dr1`.
fn shared_header(name: &str) -> &'static [&'static str] {
    PLAN_FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, h)| *h)
        .unwrap_or_else(|| panic!("{name} is not a dr1 plan file"))
}

pub fn visits(bundle: &Bundle) -> Result<Vec<Visit>, BundleError> {
    read(bundle, "plan/visits.csv", &VISITS_HEADER, |f| {
        Ok(Visit {
            visit: f.text("visit").to_string(),
            uscc: Uscc::parse(f.text("uscc")).map_err(|e| f.error("uscc", e))?,
            tier: f.text("tier").to_string(),
            period: f.number("period")?,
            groups: f.list("groups"),
            departments: f.list("departments"),
            tasks: f.list("tasks"),
        })
    })
}

/// A list as the solver keeps it: sorted, unique (`dualdraw_solver::inputs::split`).
fn sorted(mut list: Vec<String>) -> Vec<String> {
    list.sort();
    list.dedup();
    list
}

/// The replaced plan's visits and team members, as a re-plan keeps them.
pub fn previous(bundle: &Bundle) -> Result<(Vec<PreviousVisit>, Vec<PreviousMember>), BundleError> {
    let visits = visits(bundle)?
        .into_iter()
        .map(|v| PreviousVisit {
            visit: v.visit,
            uscc: v.uscc,
            period: v.period,
            groups: sorted(v.groups),
            departments: sorted(v.departments),
            tasks: sorted(v.tasks),
        })
        .collect();
    let members = seats(bundle)?
        .into_iter()
        .map(|s| PreviousMember {
            visit: s.visit,
            department: s.department,
            inspector: s.inspector,
        })
        .collect();
    Ok((visits, members))
}

pub fn seats(bundle: &Bundle) -> Result<Vec<Seat>, BundleError> {
    read(bundle, "plan/teams.csv", shared_header("teams.csv"), |f| {
        Ok(Seat {
            visit: f.text("visit").to_string(),
            department: f.text("department").to_string(),
            inspector: f.text("inspector").to_string(),
        })
    })
}

pub fn classes(bundle: &Bundle) -> Result<Vec<Class>, BundleError> {
    read(bundle, "plan/classes.csv", &CLASSES_HEADER, |f| {
        let allocation = f
            .list("allocation")
            .iter()
            .map(|given| {
                let bad = || f.error("allocation", format!("'{given}' is not PERIOD:VISITS"));
                let (p, n) = given.split_once(':').ok_or_else(bad)?;
                Ok((p.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?))
            })
            .collect::<Result<_, BundleError>>()?;
        Ok(Class {
            department: f.text("department").to_string(),
            allocation,
        })
    })
}

pub fn selections(bundle: &Bundle) -> Result<Vec<Selection>, BundleError> {
    let header = shared_header("selections.csv");
    read(bundle, "plan/selections.csv", header, |f| {
        Ok(Selection {
            task: f.text("task").to_string(),
            uscc: f.text("uscc").to_string(),
            tier: f.text("tier").to_string(),
        })
    })
}

pub fn strata(bundle: &Bundle) -> Result<Vec<Stratum>, BundleError> {
    read(
        bundle,
        "plan/strata.csv",
        shared_header("strata.csv"),
        |f| {
            Ok(Stratum {
                task: f.text("task").to_string(),
                tier: f.text("tier").to_string(),
                eligible: f.number("eligible")?,
                quota: f.number("quota")?,
                key: f.number("key")?,
                taken: f.number("taken")?,
            })
        },
    )
}

/// The message of every shortage.
pub fn shortages(bundle: &Bundle) -> Result<Vec<String>, BundleError> {
    read(bundle, "plan/shortages.csv", &SHORTAGES_HEADER, |f| {
        Ok(f.text("message").to_string())
    })
}

/// One region's row of `plan/bound.csv` (`dr3`), as in
/// [`dualdraw_solver::plan::bound::BoundRow`].
pub fn bound(bundle: &Bundle) -> Result<Option<Vec<BoundRow>>, BundleError> {
    if !bundle.path("plan/bound.csv").exists() {
        return Ok(None);
    }
    let rows = read(bundle, "plan/bound.csv", &BOUND_HEADER, |f| {
        let planned_bound = match f.text("planned_bound") {
            "" => None,
            _ => Some(f.number("planned_bound")?),
        };
        Ok(BoundRow {
            region: f.text("region").to_string(),
            checks: f.number("checks")?,
            planned: f.number("planned")?,
            staffed: f.number("staffed")?,
            planned_bound,
            visits: f.number("visits")?,
            visits_bound: f.number("visits_bound")?,
        })
    })?;
    Ok(Some(rows))
}

/// The number of rows of `unplanned.csv` and of `failures.csv`.
pub fn unplanned_and_failures(bundle: &Bundle) -> Result<(u64, u64), BundleError> {
    let unplanned = read(bundle, "plan/unplanned.csv", &UNPLANNED_HEADER, |_| Ok(()))?;
    let failures = read(
        bundle,
        "plan/failures.csv",
        shared_header("failures.csv"),
        |_| Ok(()),
    )?;
    Ok((unplanned.len() as u64, failures.len() as u64))
}

/// The visit caps of `inputs/policy.csv` by tier (`visit_cap_a` → `A`); each of A to D must be
/// there.
pub fn caps(bundle: &Bundle) -> Result<BTreeMap<String, u32>, BundleError> {
    let rel = "inputs/policy.csv";
    let rows = read(bundle, rel, &POLICY_HEADER, |f| {
        let key = f.text("key");
        match key.strip_prefix("visit_cap_") {
            Some(tier) => Ok(Some((tier.to_uppercase(), f.number("value")?))),
            None => Ok(None),
        }
    })?;
    let caps: BTreeMap<String, u32> = rows.into_iter().flatten().collect();
    for tier in ["A", "B", "C", "D"] {
        if !caps.contains_key(tier) {
            let key = format!("visit_cap_{}", tier.to_lowercase());
            return Err(BundleError::Invalid(format!("{rel}: {key}: missing")));
        }
    }
    Ok(caps)
}

/// Codes of the population's key-supervision enterprises (重点监管: not capped), read by the
/// solver's own population reader, a block at a time.
pub fn key_supervised(bundle: &Bundle) -> Result<BTreeSet<String>, BundleError> {
    let mut reader = PopulationReader::parse_only();
    bundle.read_blocks("inputs/population.csv", |b| reader.feed(b))?;
    let file = reader.finish();
    if !file.errors.is_empty() {
        let mut errors: Vec<String> = file
            .errors
            .iter()
            .take(20)
            .map(|e| format!("inputs/{e}"))
            .collect();
        if file.errors.len() > 20 {
            errors.push(format!("and {} more", file.errors.len() - 20));
        }
        return Err(BundleError::Invalid(errors.join("\n")));
    }
    Ok(file
        .population
        .entries()
        .iter()
        .filter(|e| e.key_supervision)
        .map(|e| e.uscc.to_string())
        .collect())
}
