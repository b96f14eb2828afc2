//! The inputs `dr2` adds to the seven of `dr1` (`docs/plan-model.md`, "Inputs"): the re-planning
//! horizon, complaint-driven checks and the plan a re-plan replaces. A first plan has
//! `pinned_through` 0 and empty files; a re-plan pins the replaced plan's visits of periods up to
//! `pinned_through` (done or under way) and plans the rest.

use crate::inputs::{csv_text, split as list, InputError};
use crate::Uscc;
use std::collections::BTreeMap;

/// Header of `annual.csv`.
pub const ANNUAL_HEADER: [&str; 2] = ["key", "value"];
/// Header of `complaints.csv`.
pub const COMPLAINTS_HEADER: [&str; 3] = ["uscc", "department", "period"];
/// Header of `previous-visits.csv`: the replaced plan's visits (columns of its `plan/visits.csv`).
pub const PREVIOUS_VISITS_HEADER: [&str; 6] =
    ["visit", "uscc", "period", "groups", "departments", "tasks"];
/// Header of `previous-teams.csv`: the replaced plan's teams (columns of its `plan/teams.csv`).
pub const PREVIOUS_TEAMS_HEADER: [&str; 3] = ["visit", "department", "inspector"];

/// The files `dr2` commits besides the seven of `dr1`.
pub const FILES: [&str; 4] = [
    "annual.csv",
    "complaints.csv",
    "previous-visits.csv",
    "previous-teams.csv",
];

/// A check ordered by a complaint, a referral or the enterprise itself: it counts toward the
/// enterprise's visit cap and uses its department's inspectors, but not toward random quotas
/// (国办发〔2024〕54号 Q&A).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Complaint {
    pub uscc: Uscc,
    pub department: String,
    pub period: u32,
}

/// A visit of the replaced plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreviousVisit {
    pub visit: String,
    pub uscc: Uscc,
    pub period: u32,
    pub groups: Vec<String>,
    pub departments: Vec<String>,
    pub tasks: Vec<String>,
}

/// One inspector of the replaced plan's team of one visit.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PreviousMember {
    pub visit: String,
    pub department: String,
    pub inspector: String,
}

/// Everything `dr2` reads besides the `dr1` inputs.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Annual {
    /// Periods up to this one are done or under way: the replaced plan's visits in them are
    /// kept as they are, and nothing new is planned in them. 0 for a first plan.
    pub pinned_through: u32,
    /// Sorted by (uscc, department, period), unique.
    pub complaints: Vec<Complaint>,
    /// In the replaced plan's order.
    pub previous_visits: Vec<PreviousVisit>,
    /// Sorted by (visit, department, inspector).
    pub previous_teams: Vec<PreviousMember>,
}

impl Annual {
    /// The visits of the replaced plan that stay as they are.
    pub fn pinned(&self) -> impl Iterator<Item = &PreviousVisit> {
        self.previous_visits
            .iter()
            .filter(|v| v.period <= self.pinned_through)
    }

    /// The canonical files, by name.
    pub fn to_files(&self) -> BTreeMap<&'static str, String> {
        let mut files = BTreeMap::new();
        files.insert(
            "annual.csv",
            csv_text(
                &ANNUAL_HEADER,
                std::iter::once(vec![
                    "pinned_through".to_string(),
                    self.pinned_through.to_string(),
                ]),
            ),
        );
        files.insert(
            "complaints.csv",
            csv_text(
                &COMPLAINTS_HEADER,
                self.complaints.iter().map(|c| {
                    vec![
                        c.uscc.to_string(),
                        c.department.clone(),
                        c.period.to_string(),
                    ]
                }),
            ),
        );
        files.insert("previous-visits.csv", self.previous_visits_text());
        files.insert(
            "previous-teams.csv",
            csv_text(
                &PREVIOUS_TEAMS_HEADER,
                self.previous_teams
                    .iter()
                    .map(|m| vec![m.visit.clone(), m.department.clone(), m.inspector.clone()]),
            ),
        );
        files
    }

    fn previous_visits_text(&self) -> String {
        csv_text(
            &PREVIOUS_VISITS_HEADER,
            self.previous_visits.iter().map(|v| {
                vec![
                    v.visit.clone(),
                    v.uscc.to_string(),
                    v.period.to_string(),
                    v.groups.join(";"),
                    v.departments.join(";"),
                    v.tasks.join(";"),
                ]
            }),
        )
    }

    /// Parses the four files; every problem is reported as `FILE:LINE: column: what`.
    pub fn parse(
        files: &BTreeMap<String, String>,
        periods: u32,
    ) -> Result<Annual, Vec<InputError>> {
        let mut errors = Vec::new();
        let mut annual = Annual::default();
        let mut err = |file: &str, line: u64, column: &str, message: String| {
            errors.push(InputError {
                file: file.into(),
                line,
                column: column.into(),
                message,
            })
        };
        let period = |s: &str| -> Result<u32, String> {
            match s.parse::<u32>() {
                Ok(p) if (1..=periods).contains(&p) => Ok(p),
                _ => Err(format!("'{s}' is not a period 1..{periods}")),
            }
        };
        let uscc = |s: &str| Uscc::parse(s).map_err(|e| format!("'{s}': {e}"));
        for (line, rec) in records(files, "annual.csv", &ANNUAL_HEADER, &mut err) {
            match rec[0].as_str() {
                "pinned_through" => match rec[1].parse::<u32>() {
                    Ok(p) if p <= periods => annual.pinned_through = p,
                    _ => err(
                        "annual.csv",
                        line,
                        "value",
                        format!("pinned_through '{}' is not a period 0..{periods}", rec[1]),
                    ),
                },
                other => err(
                    "annual.csv",
                    line,
                    "key",
                    format!("unknown key '{other}' (expected pinned_through)"),
                ),
            }
        }
        for (line, rec) in records(files, "complaints.csv", &COMPLAINTS_HEADER, &mut err) {
            match (uscc(&rec[0]), period(&rec[2])) {
                (Ok(u), Ok(p)) => annual.complaints.push(Complaint {
                    uscc: u,
                    department: rec[1].clone(),
                    period: p,
                }),
                (Err(m), _) => err("complaints.csv", line, "uscc", m),
                (_, Err(m)) => err("complaints.csv", line, "period", m),
            }
        }
        let header = PREVIOUS_VISITS_HEADER;
        for (line, rec) in records(files, "previous-visits.csv", &header, &mut err) {
            match (uscc(&rec[1]), period(&rec[2])) {
                (Ok(u), Ok(p)) => annual.previous_visits.push(PreviousVisit {
                    visit: rec[0].clone(),
                    uscc: u,
                    period: p,
                    groups: list(&rec[3]),
                    departments: list(&rec[4]),
                    tasks: list(&rec[5]),
                }),
                (Err(m), _) => err("previous-visits.csv", line, "uscc", m),
                (_, Err(m)) => err("previous-visits.csv", line, "period", m),
            }
        }
        let header = PREVIOUS_TEAMS_HEADER;
        for (_, rec) in records(files, "previous-teams.csv", &header, &mut err) {
            annual.previous_teams.push(PreviousMember {
                visit: rec[0].clone(),
                department: rec[1].clone(),
                inspector: rec[2].clone(),
            });
        }
        if errors.is_empty() {
            let canonical = annual.to_files();
            for name in FILES {
                if files.get(name) != canonical.get(name) {
                    errors.push(InputError {
                        file: name.into(),
                        line: 0,
                        column: String::new(),
                        message: "not in canonical form (sorted rows, sorted lists, LF)".into(),
                    });
                }
            }
        }
        if errors.is_empty() {
            Ok(annual)
        } else {
            Err(errors)
        }
    }

    /// Puts rows in canonical order (complaints and teams sorted, duplicates removed).
    pub fn normalize(&mut self) {
        self.complaints.sort();
        self.complaints.dedup();
        self.previous_teams.sort();
        self.previous_teams.dedup();
    }
}

/// The records of one CSV file with its header checked, each with its line number.
fn records(
    files: &BTreeMap<String, String>,
    file: &str,
    header: &[&str],
    err: &mut impl FnMut(&str, u64, &str, String),
) -> Vec<(u64, Vec<String>)> {
    let Some(text) = files.get(file) else {
        err(file, 0, "", "file is missing".into());
        return Vec::new();
    };
    let mut r = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    match r.headers() {
        Ok(h) if h.iter().eq(header.iter().copied()) => {}
        _ => {
            err(file, 1, "", format!("header must be {}", header.join(",")));
            return Vec::new();
        }
    }
    let mut out = Vec::new();
    for rec in r.records() {
        match rec {
            Ok(rec) => out.push((
                rec.position().map_or(0, |p| p.line()),
                rec.iter().map(String::from).collect(),
            )),
            Err(e) => err(
                file,
                e.position().map_or(0, |p| p.line()),
                "",
                e.to_string(),
            ),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(annual: &str, complaints: &str) -> BTreeMap<String, String> {
        let mut f: BTreeMap<String, String> = Annual::default()
            .to_files()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        f.insert("annual.csv".into(), annual.into());
        f.insert("complaints.csv".into(), complaints.into());
        f
    }

    #[test]
    fn round_trips_canonical_files() {
        let mut a = Annual {
            pinned_through: 3,
            ..Annual::default()
        };
        a.complaints.push(Complaint {
            uscc: Uscc::parse("91440300708461136T").unwrap(),
            department: "SCJG".into(),
            period: 5,
        });
        let f: BTreeMap<String, String> = a
            .to_files()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        assert_eq!(Annual::parse(&f, 12).unwrap(), a);
    }

    #[test]
    fn names_line_and_column_of_a_bad_period() {
        let f = files(
            "key,value\npinned_through,0\n",
            "uscc,department,period\n91440300708461136T,SCJG,13\n",
        );
        let e = Annual::parse(&f, 12).unwrap_err();
        assert_eq!(
            e[0].to_string(),
            "complaints.csv:2: period: '13' is not a period 1..12"
        );
    }

    #[test]
    fn refuses_a_horizon_beyond_the_year() {
        let f = files("key,value\npinned_through,5\n", "uscc,department,period\n");
        let e = Annual::parse(&f, 4).unwrap_err();
        assert!(
            e[0].to_string().starts_with("annual.csv:2: value:"),
            "{e:?}"
        );
    }
}
