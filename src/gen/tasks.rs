//! The year's tasks and policy of a synthetic jurisdiction, as `draw prepare --from DIR` reads
//! them: per department a task over its general items and one over its key items, some
//! departments' general tasks joined into joint checks (进一次门、查多项事). Key tasks use the
//! lower bounds of the local tier ratios of `DOMAIN.md` (A 5 %, B 5 %, C 21 %, D 61 %); general
//! tasks, which often apply to every industry, use smaller ratios so that the inspectors (about
//! one per 300 enterprises) can carry the year.

use super::departments::DepartmentSpec;
use crate::registry::model::ItemKind;
use dualdraw_solver::dr1::inputs::{empty_history, TASKS_HEADER};
use std::io::{self, Write};
use std::path::Path;

/// Departments whose general checks are joint, by group.
const JOINT: [(&str, &[&str]); 2] = [
    ("joint-1", &["SCJG", "WSJK", "XFJY"]),
    ("joint-2", &["STHJ", "YJGL"]),
];

/// Quotas A–D of general and of key tasks.
const GENERAL: [&str; 4] = ["0.5%", "1%", "3%", "10%"];
const KEY: [&str; 4] = ["5%", "5%", "21%", "61%"];

fn group_of(department: &str) -> &'static str {
    JOINT
        .iter()
        .find(|(_, members)| members.contains(&department))
        .map_or("", |(g, _)| g)
}

/// Writes `tasks.csv`, `policy.csv` and an empty `history.csv`; returns the number of tasks.
pub fn write(out: &Path, departments: &[&DepartmentSpec]) -> io::Result<u64> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_path(out.join("tasks.csv"))?;
    w.write_record(TASKS_HEADER)?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    for d in departments {
        for (suffix, kind, quotas, group) in [
            ("G", ItemKind::General, GENERAL, group_of(d.code)),
            ("K", ItemKind::Key, KEY, ""),
        ] {
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
            row.extend(["1".to_string(), "4".to_string()]);
            rows.push(row);
        }
    }
    rows.sort();
    for r in &rows {
        w.write_record(r)?;
    }
    w.flush()?;
    let mut p = std::fs::File::create(out.join("policy.csv"))?;
    p.write_all(
        b"key,value\nyear,2026\nas_of,2026-01-01\nperiods,quarter\nvisit_cap_a,1\nvisit_cap_b,1\nvisit_cap_c,2\nvisit_cap_d,4\ninspectors_per_department,2\nexclusion_months,12\n",
    )?;
    std::fs::write(out.join("history.csv"), empty_history())?;
    Ok(rows.len() as u64)
}
