//! The optimizer's model of one region (`docs/plan-model.md`, "The model"), built with
//! `good_lp` and solved by its pure-Rust backend (microlp), so the build needs no C++ toolchain.
//!
//! Variables: `m[c]` enterprises of cell c whose checks are merged into joint visits (进一次门、
//! 查多项事), `x[v][p]` visits of kind v in period p, `u[v]` visits of kind v left unplanned,
//! `w[q][p]` visits of inspector class q given to period p, `peak[d]` the busiest period's
//! visits per inspector of department d. The model is solved as a linear program; its answer is
//! rounded to integers at once and every constraint is then re-established in integers
//! (`crate::placement::integer`). Floats never leave this module and the rounding.

use crate::placement::cells::{Frame, Region};
use crate::placement::specialty::Table;
use good_lp::{
    microlp, variable, Constraint, Expression, ProblemVariables, Solution, SolverModel, Variable,
};
use std::collections::BTreeMap;

/// Objective weights, in priority order (`docs/plan-model.md`): checks left unplanned, then
/// visits to enterprises, then the peak inspector load, then late periods for risky visits.
pub const WEIGHT_UNPLANNED_CHECK: f64 = 1000.0;
pub const WEIGHT_VISIT: f64 = 10.0;
pub const WEIGHT_PEAK_LOAD: f64 = 1.0;
pub const WEIGHT_LATE_RISK: f64 = 0.001;

/// The linear program's answer, before rounding.
pub struct Fractional {
    pub merged: Vec<f64>,
    /// Per cell, per partial choice (`dr3`).
    pub partial: Vec<Vec<f64>>,
    /// By kind, then by period offset from the frame's first period; `None` where the period
    /// lies outside the kind's window or lacks certified inspectors.
    pub placed: Vec<Vec<Option<f64>>>,
    pub unplaced: Vec<f64>,
    /// By class, then by period offset: inspector-visits given (`None` where not certified).
    pub allocation: Vec<Vec<Option<f64>>>,
}

/// One region's model.
pub struct Model<'a> {
    region: &'a Region,
    frame: &'a Frame,
    /// Average risk (A 0 … D 3) of each kind's enterprises.
    risk: &'a [f64],
    vars: ProblemVariables,
    m: Vec<Option<Variable>>,
    /// Per cell, per partial choice (`Cell::partial`, `dr3`): enterprises taking it.
    mp: Vec<Vec<Variable>>,
    x: Vec<Vec<Option<Variable>>>,
    u: Vec<Variable>,
    w: Vec<Vec<Option<Variable>>>,
    peak: BTreeMap<u16, Variable>,
    /// Complaint-driven inspector-visits that find no capacity (only where some are held).
    short: BTreeMap<(u16, u32), Variable>,
    /// The specialty structure under [`crate::CapacityModel::Specialty`] (`dr3`).
    table: Option<&'a Table>,
}

impl<'a> Model<'a> {
    pub fn new(
        region: &'a Region,
        frame: &'a Frame,
        risk: &'a [f64],
        table: Option<&'a Table>,
    ) -> Model<'a> {
        let mut vars = ProblemVariables::new();
        let m = region
            .cells
            .iter()
            .map(|c| {
                c.has_choice()
                    .then(|| vars.add(variable().min(0).max(c.enterprises.len() as f64)))
            })
            .collect();
        let mp = region
            .cells
            .iter()
            .map(|c| {
                c.partial
                    .iter()
                    .map(|_| vars.add(variable().min(0).max(c.enterprises.len() as f64)))
                    .collect()
            })
            .collect();
        let periods = frame.first..=frame.last;
        let x = region
            .kinds
            .iter()
            .enumerate()
            .map(|(v, kind)| {
                periods
                    .clone()
                    .map(|p| {
                        let staffed = match table {
                            None => kind
                                .departments
                                .iter()
                                .all(|&d| region.inspectors(d, p) >= frame.k as u64),
                            Some(t) => t.staffable(region, frame, v, p),
                        };
                        let inside = kind.window.0 <= p && p <= kind.window.1;
                        (inside && staffed).then(|| vars.add(variable().min(0)))
                    })
                    .collect()
            })
            .collect();
        let u = region
            .kinds
            .iter()
            .map(|_| vars.add(variable().min(0)))
            .collect();
        let w = region
            .classes
            .iter()
            .map(|q| {
                periods
                    .clone()
                    .map(|p| q.valid(p).then(|| vars.add(variable().min(0))))
                    .collect()
            })
            .collect();
        let peak = region
            .departments()
            .into_iter()
            .map(|d| (d, vars.add(variable().min(0))))
            .collect();
        let short = region
            .reserve
            .keys()
            .map(|&key| (key, vars.add(variable().min(0))))
            .collect();
        Model {
            region,
            frame,
            risk,
            vars,
            m,
            mp,
            x,
            u,
            w,
            peak,
            short,
            table,
        }
    }

    fn offset(&self, p: u32) -> usize {
        (p - self.frame.first) as usize
    }

    /// Every selected check is placed or counted as unplanned: for each kind, the visits
    /// placed plus those left out equal the visits its cells ask for.
    fn every_check_placed_or_counted(&self) -> Vec<Constraint> {
        let mut demand: Vec<(Expression, f64)> = self
            .region
            .kinds
            .iter()
            .map(|_| (Expression::from(0.0), 0.0))
            .collect();
        for (c, cell) in self.region.cells.iter().enumerate() {
            let n = cell.enterprises.len() as f64;
            match self.m[c] {
                Some(m) => {
                    for b in &cell.merged {
                        demand[b.kind].0 += m;
                    }
                    for b in &cell.split {
                        demand[b.kind].0 -= m;
                        demand[b.kind].1 += n;
                    }
                    for ((_, blocks), &mp) in cell.partial.iter().zip(&self.mp[c]) {
                        for b in blocks {
                            demand[b.kind].0 += mp;
                        }
                        for b in &cell.split {
                            demand[b.kind].0 -= mp;
                        }
                    }
                }
                None => {
                    for b in &cell.merged {
                        demand[b.kind].1 += n;
                    }
                }
            }
        }
        demand
            .into_iter()
            .enumerate()
            .map(|(v, (merged, fixed))| {
                let placed: Expression = self.x[v].iter().flatten().sum();
                (placed + self.u[v] - merged).eq(fixed)
            })
            .collect()
    }

    /// A cell's choices share its enterprises: merged plus partial merges ≤ |c| (`dr3`).
    fn one_choice_per_enterprise(&self) -> Vec<Constraint> {
        let mut out = Vec::new();
        for (c, cell) in self.region.cells.iter().enumerate() {
            if let (Some(m), false) = (self.m[c], self.mp[c].is_empty()) {
                let taken: Expression = self.mp[c].iter().copied().sum::<Expression>() + m;
                out.push(taken.leq(cell.enterprises.len() as f64));
            }
        }
        out
    }

    /// Inspectors per department per visit: each visit of a department in a period takes k of
    /// its inspector-visits there, besides those held for complaint-driven checks.
    fn teams_fit_capacity(&self) -> Vec<Constraint> {
        let mut out = Vec::new();
        for &d in self.peak.keys() {
            for p in self.frame.first..=self.frame.last {
                let o = self.offset(p);
                let need = self.demand(d, o);
                let have: Expression = self
                    .region
                    .classes
                    .iter()
                    .zip(&self.w)
                    .filter(|(q, _)| q.department == d)
                    .filter_map(|(_, w)| w[o])
                    .sum();
                let reserve = self.region.reserve.get(&(d, p)).copied().unwrap_or(0) as f64;
                let mut slack = need - have;
                if let Some(&s) = self.short.get(&(d, p)) {
                    slack -= s;
                }
                out.push(slack.leq(-reserve));
            }
        }
        out
    }

    /// Inspector-visits of department d in period offset o: k per visit, or under the
    /// specialty model the kind's team size t(v,d).
    fn demand(&self, d: u16, o: usize) -> Expression {
        let k = self.frame.k as f64;
        self.region
            .kinds
            .iter()
            .zip(&self.x)
            .enumerate()
            .filter(|(_, (kind, _))| kind.departments.contains(&d))
            .filter_map(|(v, (_, x))| x[o].map(|x| (v, x)))
            .map(|(v, x)| match self.table {
                None => k * x,
                Some(t) => t.size.get(&(v, d)).copied().unwrap_or(self.frame.k) as f64 * x,
            })
            .sum()
    }

    /// Visits of department d in period offset o.
    fn visits(&self, d: u16, o: usize) -> Expression {
        self.region
            .kinds
            .iter()
            .zip(&self.x)
            .filter(|(kind, _)| kind.departments.contains(&d))
            .filter_map(|(_, x)| x[o])
            .sum()
    }

    /// Specialists are not used up by visits that do not need them (`dr3`): for each department
    /// d, period p and specialty family S, Σ_v c(v,d,S)·x[v,p] ≤ Σ_{q of d meeting S} w[q,p].
    fn specialists_suffice(&self) -> Vec<Constraint> {
        let Some(table) = self.table else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (&d, families) in &table.families {
            for p in self.frame.first..=self.frame.last {
                let o = self.offset(p);
                for (i, s) in families.iter().enumerate() {
                    let mut need = Expression::from(0.0);
                    let mut any = false;
                    for (v, x) in self.x.iter().enumerate() {
                        let c = table.coefficients.get(&(v, d)).map_or(0, |row| row[i]);
                        if let (Some(x), true) = (x[o], c > 0) {
                            need += c as f64 * x;
                            any = true;
                        }
                    }
                    if !any {
                        continue;
                    }
                    let have: Expression = self
                        .region
                        .classes
                        .iter()
                        .enumerate()
                        .zip(&self.w)
                        .filter(|((q, c), _)| c.department == d && Table::meets(self.region, *q, s))
                        .filter_map(|(_, w)| w[o])
                        .sum();
                    out.push((need - have).leq(0.0));
                }
            }
        }
        out
    }

    /// One place per inspector per visit: a class gives a period at most one inspector-visit
    /// per member and per visit of its department there, so k distinct members can be found
    /// for every visit.
    fn one_place_per_visit(&self) -> Vec<Constraint> {
        let mut out = Vec::new();
        let k = self.frame.k as f64;
        for (q, w) in self.region.classes.iter().zip(&self.w) {
            for p in self.frame.first..=self.frame.last {
                let o = self.offset(p);
                if let Some(w) = w[o] {
                    let reserve = self.region.reserve.get(&(q.department, p)).copied();
                    let visits = match self.table {
                        None => self.demand(q.department, o) * (1.0 / k),
                        Some(_) => self.visits(q.department, o),
                    } + reserve.unwrap_or(0) as f64 / k;
                    out.push((w - visits * q.members.len() as f64).leq(0.0));
                }
            }
        }
        out
    }

    /// No inspector class gives more visits over the year than its members have left.
    fn class_capacity(&self) -> Vec<Constraint> {
        self.region
            .classes
            .iter()
            .zip(&self.w)
            .map(|(q, w)| {
                let given: Expression = w.iter().flatten().sum();
                given.leq(q.total() as f64)
            })
            .collect()
    }

    /// `peak[d]` bounds every period's visits per certified inspector of department d.
    fn balanced_load(&self) -> Vec<Constraint> {
        let mut out = Vec::new();
        for (&d, &peak) in &self.peak {
            for p in self.frame.first..=self.frame.last {
                let n = self.region.inspectors(d, p);
                if n > 0 {
                    out.push((self.demand(d, self.offset(p)) * (1.0 / n as f64) - peak).leq(0.0));
                }
            }
        }
        out
    }

    fn objective(&self) -> Expression {
        let mut obj = Expression::from(0.0);
        for (v, kind) in self.region.kinds.iter().enumerate() {
            obj += WEIGHT_UNPLANNED_CHECK * kind.checks as f64 * self.u[v];
            let span = (self.frame.last - self.frame.first + 1) as f64;
            for p in self.frame.first..=self.frame.last {
                if let Some(x) = self.x[v][self.offset(p)] {
                    let lateness = (p - self.frame.first) as f64 / span;
                    obj += WEIGHT_LATE_RISK * (1.0 + self.risk[v]) * lateness * x;
                }
            }
        }
        for (cell, m) in self.region.cells.iter().zip(&self.m) {
            if let Some(m) = m {
                let saved = (cell.split.len() - cell.merged.len()) as f64;
                obj -= WEIGHT_VISIT * saved * *m;
            }
        }
        for (cell, mp) in self.region.cells.iter().zip(&self.mp) {
            for ((_, blocks), &mp) in cell.partial.iter().zip(mp) {
                let saved = (cell.split.len() - blocks.len()) as f64;
                obj -= WEIGHT_VISIT * saved * mp;
            }
        }
        for &peak in self.peak.values() {
            obj += WEIGHT_PEAK_LOAD * peak;
        }
        for &s in self.short.values() {
            obj += WEIGHT_UNPLANNED_CHECK * s;
        }
        obj
    }

    /// The fewest checks any plan of this model leaves out, by the linear relaxation with the
    /// first objective alone (checks and complaint reserve left out); the optimizer's own
    /// solve weighs visits and load too, so this solve is separate (`dr3`'s `bound.csv`).
    pub fn fewest_left_out(self) -> Result<f64, String> {
        let mut constraints = self.every_check_placed_or_counted();
        constraints.extend(self.teams_fit_capacity());
        constraints.extend(self.class_capacity());
        constraints.extend(self.one_place_per_visit());
        constraints.extend(self.specialists_suffice());
        constraints.extend(self.one_choice_per_enterprise());
        let mut objective = Expression::from(0.0);
        for (v, kind) in self.region.kinds.iter().enumerate() {
            objective += kind.checks as f64 * self.u[v];
        }
        let kinds = &self.region.kinds;
        let Model { vars, u, .. } = self;
        let mut problem = vars.minimise(objective).using(microlp);
        for c in constraints {
            problem.add_constraint(c);
        }
        let solution = problem.solve().map_err(|e| e.to_string())?;
        Ok(u.iter()
            .zip(kinds)
            .map(|(&u, k)| k.checks as f64 * solution.value(u))
            .sum())
    }

    /// Solves the linear program. It is always feasible (anything can be left unplanned) and
    /// bounded, so an error means the backend failed, which is reported as such.
    pub fn solve(self) -> Result<Fractional, String> {
        let mut constraints = self.every_check_placed_or_counted();
        constraints.extend(self.teams_fit_capacity());
        constraints.extend(self.class_capacity());
        constraints.extend(self.one_place_per_visit());
        constraints.extend(self.balanced_load());
        constraints.extend(self.specialists_suffice());
        constraints.extend(self.one_choice_per_enterprise());
        let objective = self.objective();
        let Model {
            vars,
            m,
            mp,
            x,
            u,
            w,
            ..
        } = self;
        let mut problem = vars.minimise(objective).using(microlp);
        for c in constraints {
            problem.add_constraint(c);
        }
        let solution = problem.solve().map_err(|e| e.to_string())?;
        Ok(Fractional {
            merged: m
                .iter()
                .map(|m| m.map_or(0.0, |m| solution.value(m)))
                .collect(),
            partial: mp
                .iter()
                .map(|row| row.iter().map(|&v| solution.value(v)).collect())
                .collect(),
            placed: x
                .iter()
                .map(|row| row.iter().map(|x| x.map(|x| solution.value(x))).collect())
                .collect(),
            unplaced: u.iter().map(|&u| solution.value(u)).collect(),
            allocation: w
                .iter()
                .map(|row| row.iter().map(|w| w.map(|w| solution.value(w))).collect())
                .collect(),
        })
    }
}

/// The backend and its version, recorded in every bundle.
pub const SOLVER: &str = "good_lp 1.15 / microlp (simplex, pure Rust), linear relaxation rounded and repaired in integers";
