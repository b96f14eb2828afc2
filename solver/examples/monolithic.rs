//! The straightforward alternative to `dr2`'s structure (README, "Figures"): the same year
//! written as one monolithic integer program over individual checks, enterprises and
//! inspectors, solved by the same backend (microlp), with a time limit.
//!
//! Usage: cargo run --release -p dualdraw-solver --example monolithic -- BUNDLE [SECONDS]
//! BUNDLE is a revealed dr2 bundle (its seed gives the same selection); SECONDS defaults to 1800.

use dualdraw_solver::inputs::{self, Inputs};
use dualdraw_solver::selection;
use good_lp::{
    microlp, variable, Expression, ProblemVariables, Solution, SolverModel, Variable, WithTimeLimit,
};
use std::collections::BTreeMap;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::Path::new(&args[1]);
    let limit: f64 = args.get(2).map_or(1800.0, |s| s.parse().expect("seconds"));
    let mut files = BTreeMap::new();
    for name in inputs::FILES {
        let text = std::fs::read_to_string(dir.join("inputs").join(name)).expect("input file");
        files.insert(name.to_string(), text);
    }
    let inputs = Inputs::parse(&files).expect("valid inputs");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let seed: [u8; 32] = hex::decode(manifest["seed"].as_str().expect("a revealed bundle"))
        .unwrap()
        .try_into()
        .unwrap();
    let start = Instant::now();
    let selection = selection::select(&inputs, &seed);
    let checks = &selection.visits;
    let k = inputs.policy.inspectors_per_department as f64;
    let periods = 1..=inputs.policy.periods.count();
    let windows: BTreeMap<&str, (u32, u32)> = inputs
        .tasks
        .iter()
        .map(|t| (t.group.as_str(), (t.period_from, t.period_to)))
        .collect();
    let mut vars = ProblemVariables::new();
    let mut y: Vec<Vec<(u32, Variable)>> = Vec::new();
    let mut u = Vec::new();
    let mut z: BTreeMap<(usize, u32), Variable> = BTreeMap::new();
    for c in checks {
        let (from, to) = windows[c.group.as_str()];
        y.push(
            (from..=to)
                .map(|p| (p, vars.add(variable().binary())))
                .collect(),
        );
        u.push(vars.add(variable().binary()));
        for p in from..=to {
            z.entry((c.index, p))
                .or_insert_with(|| vars.add(variable().binary()));
        }
    }
    let mut a: BTreeMap<(usize, u32), Variable> = BTreeMap::new();
    for (i, insp) in inputs.inspectors.iter().enumerate() {
        for p in periods.clone() {
            let (s, e) = inputs.policy.periods.dates(inputs.policy.year, p);
            if insp.valid_from <= s && e <= insp.valid_until {
                a.insert((i, p), vars.add(variable().integer().min(0)));
            }
        }
    }
    let mut objective = Expression::from(0.0);
    for (c, &uc) in checks.iter().zip(&u) {
        objective += 1000.0 * c.departments.len() as f64 * uc;
    }
    for &zv in z.values() {
        objective += 10.0 * zv;
    }
    let mut constraints = Vec::new();
    for (c, ys) in y.iter().enumerate() {
        let placed: Expression = ys.iter().map(|(_, v)| *v).sum();
        constraints.push((placed + u[c]).eq(1.0));
        for &(p, v) in ys {
            constraints.push((v - z[&(checks[c].index, p)]).leq(0.0));
        }
    }
    let mut per_enterprise: BTreeMap<usize, Expression> = BTreeMap::new();
    for (&(e, _), &v) in &z {
        *per_enterprise.entry(e).or_default() += v;
    }
    for (e, visits) in per_enterprise {
        let cap = inputs.policy.cap(inputs.tier_of(e)) as f64;
        if !inputs.key_supervision_of(e) {
            constraints.push(visits.leq(cap));
        }
    }
    let mut need: BTreeMap<(&str, &str, u32), Expression> = BTreeMap::new();
    for (c, ys) in checks.iter().zip(&y) {
        for d in &c.departments {
            for &(p, v) in ys {
                *need
                    .entry((d.as_str(), inputs.region_of(c.index), p))
                    .or_default() += k * v;
            }
        }
    }
    let mut have: BTreeMap<(&str, &str, u32), Expression> = BTreeMap::new();
    for (&(i, p), &v) in &a {
        let insp = &inputs.inspectors[i];
        *have
            .entry((insp.department.as_str(), insp.region.as_str(), p))
            .or_default() += v;
    }
    for (key, n) in need {
        let h = have.remove(&key).unwrap_or_default();
        constraints.push((n - h).leq(0.0));
    }
    for (i, insp) in inputs.inspectors.iter().enumerate() {
        let total: Expression = periods
            .clone()
            .filter_map(|p| a.get(&(i, p)).copied())
            .sum();
        constraints.push(total.leq(insp.capacity as f64));
    }
    let n_vars = y.iter().map(Vec::len).sum::<usize>() + u.len() + z.len() + a.len();
    eprintln!(
        "monolithic program: {} checks, {n_vars} variables, {} constraints, built in {:.1} s; solving with a {limit} s limit",
        checks.len(),
        constraints.len(),
        start.elapsed().as_secs_f64()
    );
    let mut problem = vars
        .minimise(objective.clone())
        .using(microlp)
        .with_time_limit(limit);
    for c in constraints {
        problem.add_constraint(c);
    }
    match problem.solve() {
        Ok(solution) => {
            let visits: f64 = z.values().map(|&v| solution.value(v)).sum();
            let unplanned: f64 = u.iter().map(|&v| solution.value(v)).sum();
            println!(
                "monolithic: solved in {:.1} s; objective {:.1}; {visits:.0} visits, {unplanned:.0} checks unplanned",
                start.elapsed().as_secs_f64(),
                solution.eval(&objective)
            );
        }
        Err(e) => println!(
            "monolithic: no solution after {:.1} s ({e})",
            start.elapsed().as_secs_f64()
        ),
    }
}
