//! The plan files of a `dr2` bundle (`docs/plan-model.md`, "Bundle files"): CSV, UTF-8, LF, in a
//! fixed order. The selection files are those of `dr1`, byte for byte; the others record the
//! optimizer's aggregate decisions, the placed visits and their teams, and what could not be
//! planned and why. Verification recomputes these bytes and compares them.

use crate::inputs::csv_text;
use crate::inputs::Inputs;
use crate::placement::model::{
    SOLVER, WEIGHT_LATE_RISK, WEIGHT_PEAK_LOAD, WEIGHT_UNPLANNED_CHECK, WEIGHT_VISIT,
};
use crate::placement::shortage::label;
use crate::placement::Plan;
use crate::plan::files::hex64;
use crate::CapacityModel;
use std::collections::BTreeMap;

/// Every plan file, by name (under `plan/`).
pub const FILES: [&str; 14] = [
    "allocation.csv",
    "changes.csv",
    "classes.csv",
    "failures.csv",
    "merges.csv",
    "passed-over.csv",
    "regions.csv",
    "selections.csv",
    "shortages.csv",
    "solver.csv",
    "strata.csv",
    "teams.csv",
    "unplanned.csv",
    "visits.csv",
];

/// Header of `visits.csv`: one row per visit.
pub const VISITS_HEADER: [&str; 10] = [
    "visit",
    "uscc",
    "region",
    "tier",
    "period",
    "groups",
    "departments",
    "tasks",
    "place",
    "pinned",
];
/// Header of `unplanned.csv`: selected checks that got no visit.
pub const UNPLANNED_HEADER: [&str; 5] = ["uscc", "group", "tasks", "departments", "reason"];
/// Header of `shortages.csv`: where inspectors fall short.
pub const SHORTAGES_HEADER: [&str; 8] = [
    "region",
    "department",
    "from",
    "to",
    "needed",
    "available",
    "unplanned",
    "message",
];
/// Header of `classes.csv`: interchangeable inspectors and what the optimizer gave them.
pub const CLASSES_HEADER: [&str; 6] = [
    "region",
    "department",
    "inspectors",
    "capacity",
    "certified",
    "allocation",
];

fn list<T: ToString>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(";")
}

impl Plan {
    /// The plan files by name: exactly [`FILES`], and `bound.csv` under the specialty
    /// capacity model (`dr3`).
    pub fn to_files(&self, inputs: &Inputs) -> BTreeMap<&'static str, String> {
        let mut files = self.selection.selection_files(inputs);
        files.insert("visits.csv", self.visits_csv(inputs));
        files.insert("teams.csv", self.teams_csv());
        files.insert(
            "failures.csv",
            csv_text(
                &["visit", "department", "needed", "found", "reason"],
                self.failures.iter().map(|f| {
                    vec![
                        f.visit.clone(),
                        f.department.clone(),
                        f.needed.to_string(),
                        f.found.to_string(),
                        f.reason.clone(),
                    ]
                }),
            ),
        );
        files.insert(
            "unplanned.csv",
            csv_text(
                &UNPLANNED_HEADER,
                self.unplanned.iter().map(|u| {
                    vec![
                        inputs.uscc_of(u.index).to_string(),
                        u.group.clone(),
                        u.tasks.join(";"),
                        u.departments.join(";"),
                        u.reason.clone(),
                    ]
                }),
            ),
        );
        let periods = inputs.policy.periods;
        files.insert(
            "shortages.csv",
            csv_text(
                &SHORTAGES_HEADER,
                self.shortages.iter().map(|s| {
                    vec![
                        s.region.clone(),
                        s.department.clone(),
                        label(periods, s.from),
                        label(periods, s.to),
                        s.needed.to_string(),
                        s.available.to_string(),
                        s.unplanned.to_string(),
                        s.message(periods),
                    ]
                }),
            ),
        );
        files.insert("merges.csv", self.merges_csv());
        files.insert("allocation.csv", self.allocation_csv());
        files.insert("classes.csv", self.classes_csv(inputs));
        files.insert("regions.csv", self.regions_csv());
        files.insert("solver.csv", self.solver_csv());
        files.insert("changes.csv", self.changes_csv());
        if self.frame.capacity == CapacityModel::Specialty {
            files.insert("bound.csv", crate::plan::bound::bound_csv(self, inputs));
        }
        files
    }

    fn visits_csv(&self, inputs: &Inputs) -> String {
        csv_text(
            &VISITS_HEADER,
            self.visits.iter().map(|v| {
                let (region, tier) = match v.index {
                    Some(i) => (
                        inputs.region_of(i).to_string(),
                        inputs.tier_of(i).to_string(),
                    ),
                    None => (String::new(), String::new()),
                };
                vec![
                    v.id.clone(),
                    v.uscc.to_string(),
                    region,
                    tier,
                    v.period.to_string(),
                    v.groups.join(";"),
                    v.departments.join(";"),
                    v.tasks.join(";"),
                    hex64(v.place),
                    v.pinned.to_string(),
                ]
            }),
        )
    }

    fn teams_csv(&self) -> String {
        let mut rows: Vec<Vec<String>> = self
            .teams
            .iter()
            .map(|m| {
                vec![
                    m.visit.clone(),
                    m.department.clone(),
                    m.inspector.clone(),
                    hex64(m.priority),
                ]
            })
            .chain(self.pinned_teams.iter().map(|m| {
                vec![
                    m.visit.clone(),
                    m.department.clone(),
                    m.inspector.clone(),
                    "pinned".to_string(),
                ]
            }))
            .collect();
        rows.sort();
        csv_text(
            &["visit", "department", "inspector", "priority"],
            rows.into_iter(),
        )
    }

    fn pattern(&self, r: usize, c: usize) -> String {
        let cell = &self.regions[r].region.cells[c];
        cell.pattern
            .iter()
            .map(|ch| {
                format!(
                    "{}[{}-{}]",
                    self.frame.groups[ch.group as usize], ch.window.0, ch.window.1
                )
            })
            .collect::<Vec<_>>()
            .join("+")
    }

    fn merges_csv(&self) -> String {
        let mut rows = Vec::new();
        for (r, plan) in self.regions.iter().enumerate() {
            for (c, cell) in plan.region.cells.iter().enumerate() {
                if cell.has_choice() {
                    rows.push(vec![
                        plan.region.name.clone(),
                        self.pattern(r, c),
                        cell.enterprises.len().to_string(),
                        cell.merged.len().to_string(),
                        cell.split.len().to_string(),
                        plan.decision.merged[c].to_string(),
                    ]);
                    if self.frame.capacity == CapacityModel::Specialty {
                        let taken = cell.partial.iter().zip(&plan.decision.partial[c]);
                        let row = rows.last_mut().expect("pushed");
                        row.push(list(
                            taken
                                .filter(|(_, &n)| n > 0)
                                .map(|((j, _), n)| format!("{}:{n}", j + 1)),
                        ));
                    }
                }
            }
        }
        let mut header = vec![
            "region",
            "pattern",
            "enterprises",
            "visits_merged",
            "visits_split",
            "merged",
        ];
        if self.frame.capacity == CapacityModel::Specialty {
            header.push("partial");
        }
        csv_text(&header, rows.into_iter())
    }

    fn departments(&self, ds: &[u16]) -> String {
        list(ds.iter().map(|&d| &self.frame.departments[d as usize]))
    }

    /// A kind's specialty needs: `DEPARTMENT=S+S;…` in department order, specialties in
    /// byte order.
    fn needs(&self, needs: &crate::placement::cells::Needs) -> String {
        list(needs.iter().map(|(d, s)| {
            let names: Vec<&str> = s
                .iter()
                .map(|&x| self.frame.specialties[x as usize].as_str())
                .collect();
            format!(
                "{}={}",
                self.frame.departments[*d as usize],
                names.join("+")
            )
        }))
    }

    fn allocation_csv(&self) -> String {
        let mut rows = Vec::new();
        for plan in &self.regions {
            for (v, kind) in plan.region.kinds.iter().enumerate() {
                let mut base = vec![
                    plan.region.name.clone(),
                    self.departments(&kind.departments),
                    kind.window.0.to_string(),
                    kind.window.1.to_string(),
                    kind.checks.to_string(),
                ];
                if self.frame.capacity == CapacityModel::Specialty {
                    base.push(self.needs(&kind.needs));
                }
                for (o, &n) in plan.decision.placed[v].iter().enumerate() {
                    if n > 0 {
                        let mut row = base.clone();
                        row.push((self.frame.first + o as u32).to_string());
                        row.push(n.to_string());
                        rows.push(row);
                    }
                }
                if plan.decision.unplaced[v] > 0 {
                    let mut row = base;
                    row.push(String::new());
                    row.push(plan.decision.unplaced[v].to_string());
                    rows.push(row);
                }
            }
        }
        let mut header = vec!["region", "departments", "from", "to", "checks"];
        if self.frame.capacity == CapacityModel::Specialty {
            header.push("specialties");
        }
        header.extend(["period", "visits"]);
        csv_text(&header, rows.into_iter())
    }

    fn classes_csv(&self, inputs: &Inputs) -> String {
        let mut rows = Vec::new();
        for plan in &self.regions {
            for (q, class) in plan.region.classes.iter().enumerate() {
                let certified = (self.frame.first..=self.frame.last).filter(|&p| class.valid(p));
                let given = plan.decision.allocation[q]
                    .iter()
                    .enumerate()
                    .filter(|(_, &n)| n > 0)
                    .map(|(o, n)| format!("{}:{n}", self.frame.first + o as u32));
                rows.push(vec![
                    plan.region.name.clone(),
                    self.frame.departments[class.department as usize].clone(),
                    list(class.members.iter().map(|&i| &inputs.inspectors[i].id)),
                    class.capacity.to_string(),
                    list(certified),
                    list(given),
                ]);
            }
        }
        csv_text(&CLASSES_HEADER, rows.into_iter())
    }

    fn regions_csv(&self) -> String {
        csv_text(
            &[
                "region",
                "cells",
                "kinds",
                "classes",
                "placed",
                "unplanned",
                "status",
            ],
            self.regions.iter().map(|plan| {
                let placed: u64 = plan.decision.placed.iter().flatten().sum();
                let unplaced: u64 = plan.decision.unplaced.iter().sum();
                vec![
                    plan.region.name.clone(),
                    plan.region.cells.len().to_string(),
                    plan.region.kinds.len().to_string(),
                    plan.region.classes.len().to_string(),
                    placed.to_string(),
                    unplaced.to_string(),
                    plan.status.clone(),
                ]
            }),
        )
    }

    fn solver_csv(&self) -> String {
        let rows = [
            ("backend", SOLVER.to_string()),
            ("first_period", self.frame.first.to_string()),
            ("last_period", self.frame.last.to_string()),
            ("weight_unplanned_check", WEIGHT_UNPLANNED_CHECK.to_string()),
            ("weight_visit", WEIGHT_VISIT.to_string()),
            ("weight_peak_load", WEIGHT_PEAK_LOAD.to_string()),
            ("weight_late_risk", WEIGHT_LATE_RISK.to_string()),
        ];
        csv_text(
            &["key", "value"],
            rows.into_iter().map(|(k, v)| vec![k.to_string(), v]),
        )
    }

    fn changes_csv(&self) -> String {
        let opt = |x: &Option<(String, u32)>| match x {
            Some((id, p)) => (id.clone(), p.to_string()),
            None => (String::new(), String::new()),
        };
        csv_text(
            &[
                "uscc",
                "change",
                "previous_visit",
                "previous_period",
                "visit",
                "period",
                "groups",
            ],
            self.changes.iter().map(|c| {
                let (pv, pp) = opt(&c.previous);
                let (nv, np) = opt(&c.current);
                vec![
                    c.uscc.to_string(),
                    c.change.to_string(),
                    pv,
                    pp,
                    nv,
                    np,
                    c.groups.join(";"),
                ]
            }),
        )
    }
}
