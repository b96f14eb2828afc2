//! The year's tasks and policy of a synthetic jurisdiction, as `draw prepare --from DIR` reads
//! them: per department a task over its general items and one over its key items, some
//! departments' general tasks joined into joint checks (进一次门、查多项事). Key tasks use the
//! lower bounds of the local tier ratios of `docs/domain.md` (A 5 %, B 5 %, C 21 %, D 61 %); general
//! tasks, which often apply to every industry, use smaller ratios so that the inspectors (about
//! one per 300 enterprises) can carry the year.

use super::departments::DepartmentSpec;
use crate::registry::model::ItemKind;
use dualdraw_solver::inputs::{empty_history, Periods, TASKS_HEADER};
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

/// The year of the generated policy.
pub const YEAR: i32 = 2026;
/// Inspectors per department per visit of the generated policy.
pub const INSPECTORS_PER_DEPARTMENT: u64 = 2;

/// Departments whose general checks are joint, by group.
const JOINT: [(&str, &[&str]); 2] = [
    ("joint-1", &["SCJG", "WSJK", "XFJY"]),
    ("joint-2", &["STHJ", "YJGL"]),
];

/// Quotas A–D of general and of key tasks.
const GENERAL: [&str; 4] = ["0.5%", "1%", "3%", "10%"];
const KEY: [&str; 4] = ["5%", "5%", "21%", "61%"];
/// The same for a year planned by month (`dr2`): per department, so that the twenty
/// departments together stay near the tier ratios of `docs/domain.md` per enterprise (A ≤ 5 %, D
/// most often) and the inspectors (one per 300 enterprises) can carry the year.
const GENERAL_YEAR: [&str; 4] = ["0.1%", "0.3%", "1%", "4%"];
const KEY_YEAR: [&str; 4] = ["0.2%", "0.3%", "1.5%", "8%"];

fn group_of(department: &str) -> &'static str {
    JOINT
        .iter()
        .find(|(_, members)| members.contains(&department))
        .map_or("", |(g, _)| g)
}

/// Month windows of general and key tasks, dealt to departments in turn (joint groups take the
/// window of their first department), so that windows overlap in part, as a year's plan does.
const GENERAL_MONTHS: [(u32, u32); 4] = [(1, 6), (4, 9), (7, 12), (1, 12)];
const KEY_MONTHS: [(u32, u32); 4] = [(1, 12), (3, 8), (1, 4), (6, 12)];

/// The window of the task of department number `d` (in the list's order).
fn window(
    periods: Periods,
    group: &str,
    d: usize,
    key: bool,
    departments: &[&DepartmentSpec],
) -> (u32, u32) {
    match periods {
        Periods::Quarter => (1, 4),
        Periods::Month if key => KEY_MONTHS[d % 4],
        Periods::Month => {
            let first = departments
                .iter()
                .position(|x| !group.is_empty() && group_of(x.code) == group)
                .unwrap_or(d);
            GENERAL_MONTHS[first % 4]
        }
    }
}

/// Quotas A–D of a year planned by month, by (department, kind of items), set from the staff
/// (`super::staffing`); a quarter's tasks use the constant ratios above.
pub type Quotas = BTreeMap<(&'static str, ItemKind), [String; 4]>;

/// Writes `tasks.csv`, `policy.csv` and an empty `history.csv`; returns the number of tasks.
pub fn write(
    out: &Path,
    departments: &[&DepartmentSpec],
    periods: Periods,
    staffed: Option<&Quotas>,
) -> io::Result<u64> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_path(out.join("tasks.csv"))?;
    w.write_record(TASKS_HEADER)?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (n, d) in departments.iter().enumerate() {
        let (general, key) = match periods {
            Periods::Quarter => (GENERAL, KEY),
            Periods::Month => (GENERAL_YEAR, KEY_YEAR),
        };
        for (suffix, kind, quotas, group) in [
            ("G", ItemKind::General, general, group_of(d.code)),
            ("K", ItemKind::Key, key, ""),
        ] {
            let quotas: [String; 4] = match staffed.and_then(|s| s.get(&(d.code, kind))) {
                Some(q) => q.clone(),
                None => quotas.map(String::from),
            };
            let items: Vec<String> = d
                .items
                .iter()
                .enumerate()
                .filter(|(_, item)| item.kind == kind)
                .map(|(i, _)| format!("{}-{:03}", d.code, i + 1))
                .collect();
            if items.is_empty() {
                continue;
            }
            let mut row = vec![
                format!("{}-{suffix}", d.code),
                d.code.to_string(),
                group.to_string(),
                items.join(";"),
                String::new(),
                String::new(),
            ];
            row.extend(quotas.iter().map(|q| q.to_string()));
            let (from, to) = window(periods, group, n, kind == ItemKind::Key, departments);
            row.extend([from.to_string(), to.to_string()]);
            rows.push(row);
        }
    }
    rows.sort();
    for r in &rows {
        w.write_record(r)?;
    }
    w.flush()?;
    let mut p = std::fs::File::create(out.join("policy.csv"))?;
    let periods = match periods {
        Periods::Quarter => "quarter",
        Periods::Month => "month",
    };
    p.write_all(
        format!("key,value\nyear,{YEAR}\nas_of,{YEAR}-01-01\nperiods,{periods}\nvisit_cap_a,1\nvisit_cap_b,1\nvisit_cap_c,2\nvisit_cap_d,4\ninspectors_per_department,{INSPECTORS_PER_DEPARTMENT}\nexclusion_months,12\n").as_bytes(),
    )?;
    std::fs::write(out.join("history.csv"), empty_history())?;
    Ok(rows.len() as u64)
}
