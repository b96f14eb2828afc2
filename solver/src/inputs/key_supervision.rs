//! Key supervision per department (`docs/domain.md`, "Key supervision"; `docs/plan-model.md`,
//! "dr3: key supervision"): the committed file `key-supervision.csv` of a method whose
//! [`KeySupervision`] rule is `PerDepartment`, and the predicates the selection, the placement
//! and the independent checks ask — each rule once, chosen by the method.
//!
//! `key-supervision.csv` has the header `uscc,department`; rows are sorted by (uscc, department)
//! and unique; every USCC is one of `population.csv`, every department is the department of a
//! task, and the population's `key_supervision` column is `true` exactly for the enterprises
//! that have a row (so `population.csv` keeps one format for every method).

use crate::inputs::{csv_text, InputError, Inputs};
use crate::{KeySupervision, Method, Uscc};
use std::collections::{BTreeMap, BTreeSet};

/// The file's name among the inputs.
pub const FILE: &str = "key-supervision.csv";
/// Its header.
pub const HEADER: [&str; 2] = ["uscc", "department"];

/// The input files a method commits for key supervision besides the seven of every method.
pub const fn files(method: Method) -> &'static [&'static str] {
    match method.key_supervision() {
        KeySupervision::EveryTask => &[],
        KeySupervision::PerDepartment => &[FILE],
    }
}

/// Which departments hold which enterprises under key supervision.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyDepartments {
    /// For each department, the population indices it holds, ascending.
    held: BTreeMap<String, Vec<u32>>,
}

impl KeyDepartments {
    /// From (population index, department) pairs, in any order.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (usize, &'a str)>) -> KeyDepartments {
        let mut held: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for (i, d) in pairs {
            held.entry(d.to_string()).or_default().push(i as u32);
        }
        for v in held.values_mut() {
            v.sort_unstable();
            v.dedup();
        }
        KeyDepartments { held }
    }

    /// Whether `department` holds enterprise `i`.
    pub fn holds(&self, i: usize, department: &str) -> bool {
        self.held
            .get(department)
            .is_some_and(|v| v.binary_search(&(i as u32)).is_ok())
    }

    /// The enterprises `department` holds, ascending (empty if none).
    pub fn held_by(&self, department: &str) -> &[u32] {
        self.held.get(department).map_or(&[], Vec::as_slice)
    }

    /// Every (index, department), sorted by index then department.
    pub fn pairs(&self) -> Vec<(u32, &str)> {
        let mut v: Vec<(u32, &str)> = self
            .held
            .iter()
            .flat_map(|(d, is)| is.iter().map(move |&i| (i, d.as_str())))
            .collect();
        v.sort_unstable();
        v
    }

    /// Number of (enterprise, department) rows.
    pub fn len(&self) -> usize {
        self.held.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The canonical `key-supervision.csv` (USCCs from the population `uscc` gives).
    pub fn to_text(&self, uscc: impl Fn(usize) -> Uscc) -> String {
        csv_text(
            &HEADER,
            self.pairs()
                .into_iter()
                .map(|(i, d)| vec![uscc(i as usize).to_string(), d.to_string()]),
        )
    }
}

impl Inputs {
    /// Whether a task of `department` takes enterprise `i` in full instead of sampling it: under
    /// `EveryTask` (`dr1`, `dr2`) the enterprise's `key_supervision` flag, whatever the
    /// department; under `PerDepartment` (`dr3`) whether `department` holds it.
    pub fn key_for(&self, i: usize, department: &str) -> bool {
        match &self.key_departments {
            None => self.population[i].key_supervision,
            Some(k) => k.holds(i, department),
        }
    }

    /// Whether a visit of enterprise `i` by `departments` is exempt from the tier's visit cap:
    /// under `EveryTask` any visit of a key-supervision enterprise; under `PerDepartment` a
    /// visit with a key-supervision check, i.e. one of `departments` holds the enterprise
    /// (the visit must be made anyway; sampled checks joined to it cost no extra visit).
    pub fn cap_exempt<'a>(&self, i: usize, departments: impl IntoIterator<Item = &'a str>) -> bool {
        match &self.key_departments {
            None => self.population[i].key_supervision,
            Some(k) => departments.into_iter().any(|d| k.holds(i, d)),
        }
    }

    /// Whether enterprise `i`'s visits that are not [`Inputs::cap_exempt`] are held to its
    /// tier's cap: under `EveryTask` not for a key-supervision enterprise (every visit of it is
    /// exempt, complaint-driven ones too); under `PerDepartment` always.
    pub fn cap_applies(&self, i: usize) -> bool {
        match &self.key_departments {
            None => !self.population[i].key_supervision,
            Some(_) => true,
        }
    }

    /// The rule these inputs follow (what [`Method::key_supervision`] chose when they were read).
    pub fn key_rule(&self) -> KeySupervision {
        match self.key_departments {
            None => KeySupervision::EveryTask,
            Some(_) => KeySupervision::PerDepartment,
        }
    }

    /// Reads what `method` commits besides the seven files for key supervision: nothing under
    /// `EveryTask`, `key-supervision.csv` under `PerDepartment`. Every problem is reported as
    /// `FILE:LINE: column: what`.
    pub fn read_key_supervision(
        &mut self,
        method: Method,
        files: &BTreeMap<String, String>,
    ) -> Result<(), Vec<InputError>> {
        self.key_departments = match method.key_supervision() {
            KeySupervision::EveryTask => None,
            KeySupervision::PerDepartment => Some(self.parse_key_departments(files)?),
        };
        Ok(())
    }

    fn parse_key_departments(
        &self,
        files: &BTreeMap<String, String>,
    ) -> Result<KeyDepartments, Vec<InputError>> {
        let err = |line: u64, column: &str, message: String| InputError {
            file: FILE.into(),
            line,
            column: column.into(),
            message,
        };
        let Some(text) = files.get(FILE) else {
            return Err(vec![err(0, "", "file is missing".into())]);
        };
        let mut errors = Vec::new();
        let mut r = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(text.as_bytes());
        match r.headers() {
            Ok(h) if h.iter().eq(HEADER) => {}
            _ => {
                return Err(vec![err(
                    1,
                    "",
                    format!("header must be {}", HEADER.join(",")),
                )])
            }
        }
        let departments: BTreeSet<&str> =
            self.tasks.iter().map(|t| t.department.as_str()).collect();
        let mut pairs: Vec<(usize, String)> = Vec::new();
        let mut last: Option<(Uscc, String)> = None;
        for rec in r.records() {
            let rec = match rec {
                Ok(rec) if rec.len() == 2 => rec,
                Ok(rec) => {
                    let line = rec.position().map_or(0, |p| p.line());
                    errors.push(err(line, "", format!("{} fields, expected 2", rec.len())));
                    continue;
                }
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    errors.push(err(line, "", e.to_string()));
                    continue;
                }
            };
            let line = rec.position().map_or(0, |p| p.line());
            let uscc = match Uscc::parse(&rec[0]) {
                Ok(u) => u,
                Err(e) => {
                    errors.push(err(line, "uscc", format!("'{}': {e}", &rec[0])));
                    continue;
                }
            };
            let department = rec[1].to_string();
            let key = (uscc, department);
            if last.as_ref().is_some_and(|l| *l >= key) {
                errors.push(err(line, "uscc", "not sorted or repeated".into()));
            }
            let (uscc, department) = &key;
            match self.population.index_of(uscc) {
                None => errors.push(err(
                    line,
                    "uscc",
                    format!("'{uscc}' is not in population.csv"),
                )),
                Some(_) if !departments.contains(department.as_str()) => errors.push(err(
                    line,
                    "department",
                    format!("'{department}' is not the department of any task"),
                )),
                Some(i) => {
                    if !self.population[i].key_supervision {
                        errors.push(err(
                            line,
                            "uscc",
                            format!("'{uscc}' has key_supervision false in population.csv"),
                        ));
                    }
                    pairs.push((i, department.clone()));
                }
            }
            last = Some(key);
        }
        let held: BTreeSet<usize> = pairs.iter().map(|(i, _)| *i).collect();
        if let Some((i, e)) = self
            .population
            .iter()
            .enumerate()
            .find(|(i, e)| e.key_supervision && !held.contains(i))
        {
            errors.push(InputError {
                file: "population.csv".into(),
                line: i as u64 + 2,
                column: "key_supervision".into(),
                message: format!("'{}' is true but {FILE} has no row for it", e.uscc),
            });
        }
        if errors.is_empty() {
            Ok(KeyDepartments::from_pairs(
                pairs.iter().map(|(i, d)| (*i, d.as_str())),
            ))
        } else {
            Err(errors)
        }
    }
}

impl Inputs {
    /// Sets the key supervision of a batch being prepared under `method` from the registry's
    /// departments per enterprise (`listed`, the `key_departments` of the enterprises) and the
    /// `key_supervision` flags already in the population (`docs/import-formats.md`):
    ///
    /// - `EveryTask`: an enterprise is flagged if it was, or if any department holds it.
    /// - `PerDepartment`: an enterprise is held by the listed departments that have a task in
    ///   this batch (others have nothing to check in it); one flagged with no department listed
    ///   is held by every department of the tasks, as the flag meant before departments were
    ///   recorded; the flag is then true exactly for the enterprises held.
    pub fn set_key_supervision(&mut self, method: Method, listed: &BTreeMap<Uscc, Vec<String>>) {
        let tasks: BTreeSet<String> = self.tasks.iter().map(|t| t.department.clone()).collect();
        let mut pairs: Vec<(usize, String)> = Vec::new();
        for i in 0..self.population.len() {
            let e = self.population[i];
            let departments = listed.get(&e.uscc).map_or(&[][..], Vec::as_slice);
            match method.key_supervision() {
                KeySupervision::EveryTask => {
                    let flag = e.key_supervision || !departments.is_empty();
                    self.population.set_key_supervision(i, flag);
                }
                KeySupervision::PerDepartment => {
                    let before = pairs.len();
                    if departments.is_empty() && e.key_supervision {
                        pairs.extend(tasks.iter().map(|d| (i, d.clone())));
                    } else {
                        pairs.extend(
                            departments
                                .iter()
                                .filter(|d| tasks.contains(*d))
                                .map(|d| (i, d.clone())),
                        );
                    }
                    self.population.set_key_supervision(i, pairs.len() > before);
                }
            }
        }
        self.key_departments = match method.key_supervision() {
            KeySupervision::EveryTask => None,
            KeySupervision::PerDepartment => Some(KeyDepartments::from_pairs(
                pairs.iter().map(|(i, d)| (*i, d.as_str())),
            )),
        };
    }
}

#[cfg(test)]
#[path = "key_supervision_tests.rs"]
mod tests;
