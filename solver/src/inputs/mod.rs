//! The frozen inputs of a batch and their canonical files (`docs/draw-protocol.md`, "Inputs"),
//! common to every method: `population.csv`, `items.csv`, `inspectors.csv`, `conflicts.csv`,
//! `history.csv`, `tasks.csv` and `policy.csv`, UTF-8, LF, sorted. [`Inputs::to_files`] writes exactly the bytes
//! [`Inputs::parse`] reads, so a bundle's inputs are their own canonical form.

pub mod annual;
pub mod key_supervision;
pub mod population;
pub mod population_csv;
pub(crate) mod text;

use crate::{Tier, Uscc};
pub use annual::Annual;
use chrono::{Months, NaiveDate};
pub use key_supervision::KeyDepartments;
pub use population::{Enterprise, Entry, Population};
use population_csv::{write_population, PopulationFile, PopulationReader};
use std::collections::{BTreeMap, BTreeSet};

/// An inspection item: which industries it applies to, which specialty it needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub code: String,
    pub department: String,
    /// Industry code prefixes; empty means every industry.
    pub industries: Vec<String>,
    /// Specialty an inspector needs; empty means none.
    pub specialty: String,
}

/// An enforcement officer who may be drawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inspector {
    pub id: String,
    pub department: String,
    pub region: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub specialties: Vec<String>,
    /// Visits per year.
    pub capacity: u32,
}

/// An inspection before this batch: for exclusion windows and "not the same inspector twice in
/// a row".
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PastVisit {
    pub uscc: Uscc,
    pub department: String,
    pub inspector: String,
    pub visited_on: NaiveDate,
}

/// How many of a stratum a task takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quota {
    /// The tier is not drawn by this task.
    None,
    /// At most this many.
    Count(u64),
    /// An exact fraction `p/q` of the stratum, rounded half up.
    Ratio(u64, u64),
}

impl Quota {
    /// Parses `30` (a count), `5%` or `2.5%` (a percentage), `1/20` (a fraction), or empty.
    pub fn parse(s: &str) -> Result<Quota, String> {
        let bad = || {
            format!("'{s}' is not a quota: write a count (30), a percentage (5%, 2.5%) or a fraction (1/20)")
        };
        if s.is_empty() || s == "0" {
            return Ok(Quota::None);
        }
        if let Some(pct) = s.strip_suffix('%') {
            let (whole, frac) = pct.split_once('.').unwrap_or((pct, ""));
            if whole.is_empty()
                || !whole.bytes().all(|b| b.is_ascii_digit())
                || !frac.bytes().all(|b| b.is_ascii_digit())
                || frac.len() > 4
            {
                return Err(bad());
            }
            let p: u64 = format!("{whole}{frac}").parse().map_err(|_| bad())?;
            let q = 100 * 10u64.pow(frac.len() as u32);
            return Quota::ratio(p, q).ok_or_else(bad);
        }
        if let Some((p, q)) = s.split_once('/') {
            let (p, q): (u64, u64) = (p.parse().map_err(|_| bad())?, q.parse().map_err(|_| bad())?);
            return Quota::ratio(p, q).ok_or_else(bad);
        }
        s.parse().map(Quota::Count).map_err(|_| bad())
    }

    fn ratio(p: u64, q: u64) -> Option<Quota> {
        if q == 0 || p > q {
            return None;
        }
        let g = gcd(p, q);
        Some(if p == 0 {
            Quota::None
        } else {
            Quota::Ratio(p / g, q / g)
        })
    }

    /// How many of `n` eligible enterprises to take: a count capped at `n`, or `⌊p·n/q + 1/2⌋`.
    pub fn take(self, n: u64) -> u64 {
        match self {
            Quota::None => 0,
            Quota::Count(c) => c.min(n),
            Quota::Ratio(p, q) => {
                ((2 * p as u128 * n as u128 + q as u128) / (2 * q as u128)) as u64
            }
        }
    }

    /// The canonical text.
    pub fn render(self) -> String {
        match self {
            Quota::None => String::new(),
            Quota::Count(c) => c.to_string(),
            Quota::Ratio(p, q) => format!("{p}/{q}"),
        }
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a.max(1)
    } else {
        gcd(b, a % b)
    }
}

/// A department's task: check its items on a share of each tier of an eligible population.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    pub id: String,
    pub department: String,
    /// Tasks of one group may share a visit (joint check, 进一次门、查多项事).
    pub group: String,
    pub items: Vec<String>,
    /// Targeted draw (定向): division codes; empty means all.
    pub regions: Vec<String>,
    /// Targeted draw: industry code prefixes; empty means all.
    pub industries: Vec<String>,
    /// Quotas for tiers A, B, C, D.
    pub quotas: [Quota; 4],
    pub period_from: u32,
    pub period_to: u32,
}

/// Quarters or months.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Periods {
    Quarter,
    Month,
}

impl Periods {
    pub fn count(self) -> u32 {
        match self {
            Periods::Quarter => 4,
            Periods::Month => 12,
        }
    }

    /// First and last day of period `p` (1-based) of `year`.
    pub fn dates(self, year: i32, p: u32) -> (NaiveDate, NaiveDate) {
        let months = match self {
            Periods::Quarter => 3,
            Periods::Month => 1,
        };
        let first_month = (p - 1) * months + 1;
        let start = NaiveDate::from_ymd_opt(year, first_month, 1).expect("valid period");
        let end = start + Months::new(months) - chrono::Days::new(1);
        (start, end)
    }
}

/// The year's policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub year: i32,
    /// The date tiers, certificates and exclusion windows are taken on.
    pub as_of: NaiveDate,
    pub periods: Periods,
    /// Visits per enterprise per year by tier A–D (a joint visit counts once).
    pub visit_cap: [u32; 4],
    /// Inspectors per department per visit (at least 2).
    pub inspectors_per_department: u32,
    /// Not the same enterprise by the same department within this many months.
    pub exclusion_months: u32,
}

/// Everything a draw depends on besides the seed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inputs {
    pub policy: Policy,
    /// Sorted by USCC, unique.
    pub population: Population,
    pub items: BTreeMap<String, Item>,
    /// Sorted by id.
    pub inspectors: Vec<Inspector>,
    pub conflicts: BTreeSet<(String, Uscc)>,
    /// Sorted.
    pub history: Vec<PastVisit>,
    /// Sorted by id.
    pub tasks: Vec<Task>,
    /// Key supervision per department (`key-supervision.csv`), for a method whose rule is
    /// `KeySupervision::PerDepartment`; `None` under `EveryTask`, where the population's
    /// `key_supervision` flag is the rule ([`Inputs::read_key_supervision`]).
    pub key_departments: Option<KeyDepartments>,
}

/// One problem in an input file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {column}: {message}")]
pub struct InputError {
    pub file: String,
    pub line: u64,
    pub column: String,
    pub message: String,
}

/// Header of `policy.csv`.
pub const POLICY_HEADER: [&str; 2] = ["key", "value"];
/// Header of `population.csv`.
pub const POPULATION_HEADER: [&str; 5] = ["uscc", "region", "industry", "tier", "key_supervision"];
/// Header of `items.csv`.
pub const ITEMS_HEADER: [&str; 4] = ["code", "department", "industries", "specialty"];
/// Header of `inspectors.csv`.
pub const INSPECTORS_HEADER: [&str; 7] = [
    "id",
    "department",
    "region",
    "valid_from",
    "valid_until",
    "specialties",
    "capacity",
];
/// Header of `conflicts.csv`.
pub const CONFLICTS_HEADER: [&str; 2] = ["inspector", "uscc"];
/// Header of `history.csv`.
pub const HISTORY_HEADER: [&str; 4] = ["uscc", "department", "inspector", "visited_on"];
/// Header of `tasks.csv`.
pub const TASKS_HEADER: [&str; 12] = [
    "id",
    "department",
    "group",
    "items",
    "regions",
    "industries",
    "quota_a",
    "quota_b",
    "quota_c",
    "quota_d",
    "period_from",
    "period_to",
];

/// A `history.csv` without rows: no inspection before this batch is known.
pub fn empty_history() -> String {
    format!("{}\n", HISTORY_HEADER.join(","))
}

/// The input files in the order they are committed.
pub const FILES: [&str; 7] = [
    "policy.csv",
    "population.csv",
    "items.csv",
    "inspectors.csv",
    "conflicts.csv",
    "history.csv",
    "tasks.csv",
];

fn join(list: &[String]) -> String {
    list.join(";")
}

/// A list field (`docs/draw-protocol.md` §2): `;`-separated items, sorted, unique.
pub fn split(s: &str) -> Vec<String> {
    let mut v: Vec<String> = s
        .split(';')
        .filter(|p| !p.is_empty())
        .map(String::from)
        .collect();
    v.sort();
    v.dedup();
    v
}

fn tier_index(t: Tier) -> usize {
    t as usize
}

impl Policy {
    pub fn cap(&self, tier: Tier) -> u32 {
        self.visit_cap[tier_index(tier)]
    }

    /// The earliest visit date that still excludes a department (exclusive window start).
    pub fn exclusion_start(&self) -> NaiveDate {
        self.as_of - Months::new(self.exclusion_months)
    }
}

impl Task {
    pub fn quota(&self, tier: Tier) -> Quota {
        self.quotas[tier_index(tier)]
    }
}

/// CSV text with LF line endings and minimal quoting, as every `dr1` file is written.
pub fn csv_text(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record(header).expect("in memory");
    for r in rows {
        w.write_record(&r).expect("in memory");
    }
    String::from_utf8(w.into_inner().expect("in memory")).expect("UTF-8 in, UTF-8 out")
}

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Read access to the population by index, so code outside `dr1` (the annual plan of `dr2`)
/// does not depend on how an enterprise is stored.
impl Inputs {
    pub fn population_len(&self) -> usize {
        self.population.len()
    }

    pub fn uscc_of(&self, i: usize) -> Uscc {
        self.population[i].uscc
    }

    pub fn region_of(&self, i: usize) -> &str {
        self.population.region(self.population[i].region)
    }

    pub fn industry_of(&self, i: usize) -> &str {
        self.population.industry(self.population[i].industry)
    }

    pub fn tier_of(&self, i: usize) -> Tier {
        self.population[i].tier
    }

    pub fn key_supervision_of(&self, i: usize) -> bool {
        self.population[i].key_supervision
    }

    /// Position of an enterprise in the population, by code.
    pub fn index_of(&self, uscc: &Uscc) -> Option<usize> {
        self.population.index_of(uscc)
    }
}

impl Inputs {
    /// The canonical files, by name.
    pub fn to_files(&self) -> BTreeMap<&'static str, String> {
        let mut files = self.small_files();
        files.insert("population.csv", self.population_text());
        files
    }

    /// The canonical `population.csv` as one text (for small populations; large ones are
    /// written line by line with [`write_population`]).
    pub fn population_text(&self) -> String {
        let mut out = Vec::new();
        write_population(&self.population, |line| {
            out.extend_from_slice(line);
            out.push(b'\n');
        });
        String::from_utf8(out).expect("UTF-8 in, UTF-8 out")
    }

    /// The canonical files other than `population.csv`, by name: they do not grow with the
    /// jurisdiction (`key-supervision.csv` only under key supervision per department).
    pub fn small_files(&self) -> BTreeMap<&'static str, String> {
        let mut files = BTreeMap::new();
        if let Some(k) = &self.key_departments {
            files.insert(
                key_supervision::FILE,
                k.to_text(|i| self.population[i].uscc),
            );
        }
        let p = &self.policy;
        let periods = match p.periods {
            Periods::Quarter => "quarter",
            Periods::Month => "month",
        };
        let policy_rows = vec![
            vec!["year".into(), p.year.to_string()],
            vec!["as_of".into(), date(p.as_of)],
            vec!["periods".into(), periods.into()],
            vec!["visit_cap_a".into(), p.visit_cap[0].to_string()],
            vec!["visit_cap_b".into(), p.visit_cap[1].to_string()],
            vec!["visit_cap_c".into(), p.visit_cap[2].to_string()],
            vec!["visit_cap_d".into(), p.visit_cap[3].to_string()],
            vec![
                "inspectors_per_department".into(),
                p.inspectors_per_department.to_string(),
            ],
            vec!["exclusion_months".into(), p.exclusion_months.to_string()],
        ];
        files.insert(
            "policy.csv",
            csv_text(&POLICY_HEADER, policy_rows.into_iter()),
        );
        files.insert(
            "items.csv",
            csv_text(
                &ITEMS_HEADER,
                self.items.values().map(|i| {
                    vec![
                        i.code.clone(),
                        i.department.clone(),
                        join(&i.industries),
                        i.specialty.clone(),
                    ]
                }),
            ),
        );
        files.insert(
            "inspectors.csv",
            csv_text(
                &INSPECTORS_HEADER,
                self.inspectors.iter().map(|i| {
                    vec![
                        i.id.clone(),
                        i.department.clone(),
                        i.region.clone(),
                        date(i.valid_from),
                        date(i.valid_until),
                        join(&i.specialties),
                        i.capacity.to_string(),
                    ]
                }),
            ),
        );
        files.insert(
            "conflicts.csv",
            csv_text(
                &CONFLICTS_HEADER,
                self.conflicts
                    .iter()
                    .map(|(i, u)| vec![i.clone(), u.to_string()]),
            ),
        );
        files.insert(
            "history.csv",
            csv_text(
                &HISTORY_HEADER,
                self.history.iter().map(|h| {
                    vec![
                        h.uscc.to_string(),
                        h.department.clone(),
                        h.inspector.clone(),
                        date(h.visited_on),
                    ]
                }),
            ),
        );
        files.insert(
            "tasks.csv",
            csv_text(
                &TASKS_HEADER,
                self.tasks.iter().map(|t| {
                    let mut row = vec![
                        t.id.clone(),
                        t.department.clone(),
                        t.group.clone(),
                        join(&t.items),
                        join(&t.regions),
                        join(&t.industries),
                    ];
                    row.extend(t.quotas.iter().map(|q| q.render()));
                    row.push(t.period_from.to_string());
                    row.push(t.period_to.to_string());
                    row
                }),
            ),
        );
        files
    }

    /// Parses the canonical files; every problem is reported.
    pub fn parse(files: &BTreeMap<String, String>) -> Result<Inputs, Vec<InputError>> {
        let population = files.get("population.csv").map(|text| {
            let mut r = PopulationReader::new();
            r.feed(text.as_bytes());
            let f: PopulationFile = r.finish();
            (f.population, f.errors)
        });
        Inputs::parse_with(files, population)
    }

    /// Parses the canonical files with the population already parsed (by a
    /// [`PopulationReader`] as the file was read, with its errors); a `population.csv` among
    /// `files` is ignored, `None` means the file is missing.
    pub fn parse_with(
        files: &BTreeMap<String, String>,
        population: Option<(Population, Vec<InputError>)>,
    ) -> Result<Inputs, Vec<InputError>> {
        let mut errors = Vec::new();
        let mut reader = Reader {
            files,
            errors: &mut errors,
        };
        let policy = reader.policy();
        let population = match population {
            Some((population, errors)) => {
                reader.errors.extend(errors);
                population
            }
            None => {
                reader.missing("population.csv");
                Population::new()
            }
        };
        let items = reader.items();
        let inspectors = reader.inspectors();
        let conflicts = reader.conflicts();
        let history = reader.history();
        let tasks = reader.tasks();
        match (policy, errors.is_empty()) {
            (Some(policy), true) => {
                let inputs = Inputs {
                    policy,
                    population,
                    items,
                    inspectors,
                    conflicts,
                    history,
                    tasks,
                    key_departments: None,
                };
                let problems = inputs.validate();
                if problems.is_empty() {
                    Ok(inputs)
                } else {
                    Err(problems)
                }
            }
            _ => Err(errors),
        }
    }

    /// Cross-file rules: sorted unique keys, known items, task windows within the year, the
    /// same window for every task of a group, at least 2 inspectors per department.
    pub fn validate(&self) -> Vec<InputError> {
        let mut errors = Vec::new();
        let err = |file: &str, line: usize, column: &str, message: String| InputError {
            file: file.into(),
            line: line as u64 + 2,
            column: column.into(),
            message,
        };
        for (i, w) in self.population.entries().windows(2).enumerate() {
            if w[0].uscc >= w[1].uscc {
                errors.push(err(
                    "population.csv",
                    i + 1,
                    "uscc",
                    "not sorted or repeated".into(),
                ));
            }
        }
        if self.policy.inspectors_per_department < 2 {
            errors.push(err(
                "policy.csv",
                7,
                "inspectors_per_department",
                "must be at least 2".into(),
            ));
        }
        let mut windows: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
        for (i, t) in self.tasks.iter().enumerate() {
            if i > 0 && self.tasks[i - 1].id >= t.id {
                errors.push(err("tasks.csv", i, "id", "not sorted or repeated".into()));
            }
            for item in &t.items {
                match self.items.get(item) {
                    None => errors.push(err(
                        "tasks.csv",
                        i,
                        "items",
                        format!("unknown item '{item}'"),
                    )),
                    Some(it) if it.department != t.department => errors.push(err(
                        "tasks.csv",
                        i,
                        "items",
                        format!(
                            "item '{item}' belongs to {}, not {}",
                            it.department, t.department
                        ),
                    )),
                    _ => {}
                }
            }
            if t.items.is_empty() {
                errors.push(err(
                    "tasks.csv",
                    i,
                    "items",
                    "a task needs at least one item".into(),
                ));
            }
            let last = self.policy.periods.count();
            if t.period_from < 1 || t.period_from > t.period_to || t.period_to > last {
                errors.push(err(
                    "tasks.csv",
                    i,
                    "period_to",
                    format!(
                        "window {}..{} is not within 1..{last}",
                        t.period_from, t.period_to
                    ),
                ));
            }
            let window = (t.period_from, t.period_to);
            if let Some(w) = windows.insert(&t.group, window) {
                if w != window {
                    errors.push(err(
                        "tasks.csv",
                        i,
                        "group",
                        format!("tasks of group '{}' must share one period window", t.group),
                    ));
                }
            }
        }
        errors
    }
}

/// Parses the files one by one, collecting errors.
struct Reader<'a> {
    files: &'a BTreeMap<String, String>,
    errors: &'a mut Vec<InputError>,
}

type Record = BTreeMap<String, String>;

impl Reader<'_> {
    fn missing(&mut self, file: &str) {
        self.errors.push(InputError {
            file: file.into(),
            line: 0,
            column: String::new(),
            message: "file is missing".into(),
        });
    }

    fn rows(&mut self, file: &str, header: &[&str]) -> Vec<(u64, Record)> {
        let Some(text) = self.files.get(file) else {
            self.missing(file);
            return Vec::new();
        };
        let mut r = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(text.as_bytes());
        let found: Vec<String> = match r.headers() {
            Ok(h) => h.iter().map(String::from).collect(),
            Err(e) => {
                self.errors.push(InputError {
                    file: file.into(),
                    line: 1,
                    column: String::new(),
                    message: e.to_string(),
                });
                return Vec::new();
            }
        };
        if found != header {
            self.errors.push(InputError {
                file: file.into(),
                line: 1,
                column: String::new(),
                message: format!("header must be {}", header.join(",")),
            });
            return Vec::new();
        }
        let mut out = Vec::new();
        for rec in r.records() {
            match rec {
                Ok(rec) => {
                    let line = rec.position().map_or(0, |p| p.line());
                    out.push((
                        line,
                        header
                            .iter()
                            .map(|h| h.to_string())
                            .zip(rec.iter().map(String::from))
                            .collect(),
                    ));
                }
                Err(e) => self.errors.push(InputError {
                    file: file.into(),
                    line: e.position().map_or(0, |p| p.line()),
                    column: String::new(),
                    message: e.to_string(),
                }),
            }
        }
        out
    }

    fn field<T>(
        &mut self,
        file: &str,
        line: u64,
        rec: &Record,
        column: &str,
        f: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        match f(rec.get(column).map(String::as_str).unwrap_or("")) {
            Ok(v) => Some(v),
            Err(message) => {
                self.errors.push(InputError {
                    file: file.into(),
                    line,
                    column: column.into(),
                    message,
                });
                None
            }
        }
    }

    fn policy(&mut self) -> Option<Policy> {
        let rows = self.rows("policy.csv", &POLICY_HEADER);
        let map: BTreeMap<String, (u64, String)> = rows
            .into_iter()
            .map(|(l, r)| (r["key"].clone(), (l, r["value"].clone())))
            .collect();
        let mut get = |key: &str| -> Option<(u64, String)> {
            let v = map.get(key).cloned();
            if v.is_none() {
                self.errors.push(InputError {
                    file: "policy.csv".into(),
                    line: 0,
                    column: key.into(),
                    message: "missing".into(),
                });
            }
            v
        };
        let (y, a, p, ca, cb, cc, cd, k, x) = (
            get("year")?,
            get("as_of")?,
            get("periods")?,
            get("visit_cap_a")?,
            get("visit_cap_b")?,
            get("visit_cap_c")?,
            get("visit_cap_d")?,
            get("inspectors_per_department")?,
            get("exclusion_months")?,
        );
        let num = |(l, v): &(u64, String)| {
            v.parse::<u32>()
                .map_err(|_| (*l, format!("'{v}' is not a whole number")))
        };
        let parsed = (|| -> Result<Policy, (u64, String)> {
            Ok(Policy {
                year: y
                    .1
                    .parse()
                    .map_err(|_| (y.0, format!("'{}' is not a year", y.1)))?,
                as_of: parse_date(&a.1).map_err(|m| (a.0, m))?,
                periods: match p.1.as_str() {
                    "quarter" => Periods::Quarter,
                    "month" => Periods::Month,
                    other => return Err((p.0, format!("'{other}' is not quarter or month"))),
                },
                visit_cap: [num(&ca)?, num(&cb)?, num(&cc)?, num(&cd)?],
                inspectors_per_department: num(&k)?,
                exclusion_months: num(&x)?,
            })
        })();
        match parsed {
            Ok(p) => Some(p),
            Err((line, message)) => {
                self.errors.push(InputError {
                    file: "policy.csv".into(),
                    line,
                    column: "value".into(),
                    message,
                });
                None
            }
        }
    }

    fn items(&mut self) -> BTreeMap<String, Item> {
        let rows = self.rows("items.csv", &ITEMS_HEADER);
        rows.into_iter()
            .map(|(_, r)| {
                let item = Item {
                    code: r["code"].clone(),
                    department: r["department"].clone(),
                    industries: split(&r["industries"]),
                    specialty: r["specialty"].clone(),
                };
                (item.code.clone(), item)
            })
            .collect()
    }

    fn inspectors(&mut self) -> Vec<Inspector> {
        let f = "inspectors.csv";
        let rows = self.rows(f, &INSPECTORS_HEADER);
        let mut out = Vec::new();
        for (l, r) in rows {
            let from = self.field(f, l, &r, "valid_from", parse_date);
            let until = self.field(f, l, &r, "valid_until", parse_date);
            let cap = self.field(f, l, &r, "capacity", |s| {
                s.parse::<u32>()
                    .map_err(|_| format!("'{s}' is not a whole number"))
            });
            if let (Some(valid_from), Some(valid_until), Some(capacity)) = (from, until, cap) {
                out.push(Inspector {
                    id: r["id"].clone(),
                    department: r["department"].clone(),
                    region: r["region"].clone(),
                    valid_from,
                    valid_until,
                    specialties: split(&r["specialties"]),
                    capacity,
                });
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    fn conflicts(&mut self) -> BTreeSet<(String, Uscc)> {
        let f = "conflicts.csv";
        let rows = self.rows(f, &CONFLICTS_HEADER);
        let mut out = BTreeSet::new();
        for (l, r) in rows {
            if let Some(u) = self.field(f, l, &r, "uscc", |s| {
                Uscc::parse(s).map_err(|e| e.to_string())
            }) {
                out.insert((r["inspector"].clone(), u));
            }
        }
        out
    }

    fn history(&mut self) -> Vec<PastVisit> {
        let f = "history.csv";
        let rows = self.rows(f, &HISTORY_HEADER);
        let mut out = Vec::new();
        for (l, r) in rows {
            let u = self.field(f, l, &r, "uscc", |s| {
                Uscc::parse(s).map_err(|e| e.to_string())
            });
            let d = self.field(f, l, &r, "visited_on", parse_date);
            if let (Some(uscc), Some(visited_on)) = (u, d) {
                out.push(PastVisit {
                    uscc,
                    department: r["department"].clone(),
                    inspector: r["inspector"].clone(),
                    visited_on,
                });
            }
        }
        out.sort();
        out
    }

    fn tasks(&mut self) -> Vec<Task> {
        let f = "tasks.csv";
        let header = TASKS_HEADER;
        let rows = self.rows(f, &header);
        let mut out = Vec::new();
        for (l, r) in rows {
            let quotas: Vec<Option<Quota>> = ["quota_a", "quota_b", "quota_c", "quota_d"]
                .iter()
                .map(|c| self.field(f, l, &r, c, Quota::parse))
                .collect();
            let from = self.field(f, l, &r, "period_from", |s| {
                s.parse::<u32>()
                    .map_err(|_| format!("'{s}' is not a period number"))
            });
            let to = self.field(f, l, &r, "period_to", |s| {
                s.parse::<u32>()
                    .map_err(|_| format!("'{s}' is not a period number"))
            });
            if let ([Some(a), Some(b), Some(c), Some(d)], Some(period_from), Some(period_to)) =
                (<[Option<Quota>; 4]>::try_from(quotas).expect("4"), from, to)
            {
                let group = if r["group"].is_empty() {
                    r["id"].clone()
                } else {
                    r["group"].clone()
                };
                out.push(Task {
                    id: r["id"].clone(),
                    department: r["department"].clone(),
                    group,
                    items: split(&r["items"]),
                    regions: split(&r["regions"]),
                    industries: split(&r["industries"]),
                    quotas: [a, b, c, d],
                    period_from,
                    period_to,
                });
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("'{s}' is not a date YYYY-MM-DD"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quotas_exactly() {
        assert_eq!(Quota::parse("5%"), Ok(Quota::Ratio(1, 20)));
        assert_eq!(Quota::parse("2.5%"), Ok(Quota::Ratio(1, 40)));
        assert_eq!(Quota::parse("1/20"), Ok(Quota::Ratio(1, 20)));
        assert_eq!(Quota::parse("30"), Ok(Quota::Count(30)));
        assert_eq!(Quota::parse(""), Ok(Quota::None));
        assert!(Quota::parse("5.5.5%").is_err());
        assert!(Quota::parse("3/2").is_err());
        assert!(Quota::parse("-1").is_err());
    }

    #[test]
    fn rounds_half_up() {
        assert_eq!(Quota::Ratio(1, 20).take(30), 2); // 1.5 -> 2
        assert_eq!(Quota::Ratio(1, 20).take(29), 1); // 1.45 -> 1
        assert_eq!(Quota::Count(30).take(12), 12);
    }

    #[test]
    fn periods_have_calendar_dates() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(
            Periods::Quarter.dates(2026, 1),
            (d(2026, 1, 1), d(2026, 3, 31))
        );
        assert_eq!(
            Periods::Month.dates(2028, 2),
            (d(2028, 2, 1), d(2028, 2, 29))
        );
        assert_eq!(
            Periods::Quarter.dates(2026, 4),
            (d(2026, 10, 1), d(2026, 12, 31))
        );
    }
}
