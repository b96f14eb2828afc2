//! `dualdraw draw proof BUNDLE USCC`: what one enterprise needs to check its own fate
//! (`docs/architecture.md`, rule 3): its row in the committed population with an RFC 6962 inclusion proof
//! against the committed root, and — once the seed is revealed — its random number and, for each
//! stratum it belongs to, the published start and cut-off with its own ξ.

use super::bundle::{Bundle, BundleError};
use super::plan_index::{PlanFile, PlanIndex};
use super::population_index::PopulationIndex;
use super::run::StepError;
use crate::plan::rows;
use dualdraw_solver::inputs::population_csv::PopulationReader;
use dualdraw_solver::inputs::{Inputs, Quota, FILES, POPULATION_HEADER};
use dualdraw_solver::plan::files::{hex64, PLAN_FILES};
use dualdraw_solver::selection;
use dualdraw_solver::Tier;
use dualdraw_solver::{merkle, Uscc};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

fn input(s: impl Into<String>) -> StepError {
    StepError::Input(s.into())
}

/// One enterprise's proof. Its fields are declared in byte order, so that it serializes as the
/// JSON object with sorted keys that `docs/portal.md` ("`GET /public/draws/{batch}/proof/{uscc}`")
/// shows; absent
/// fields are left out.
#[derive(Debug, PartialEq, Serialize)]
pub struct Proof {
    /// The draw's batch (the public endpoint's answer only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<String>,
    /// RFC 6962 audit path of the row, hex, leaf to root.
    pub inclusion_proof: Vec<String>,
    pub leaf_index: usize,
    /// u(e) as 16 hex digits, once revealed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    pub population_root: String,
    pub proof_verifies: bool,
    /// The committed `population.csv` row.
    pub row: String,
    /// The revealed seed (the public endpoint's answer only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<String>,
    /// The draw's state (the public endpoint's answer only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The strata of the enterprise's tier, once revealed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strata: Option<Vec<StratumFate>>,
    pub tree_size: usize,
    pub uscc: String,
}

/// Where the enterprise fell in one stratum of its tier, and what the plan did with it there
/// (fields in byte order, as [`Proof`]'s).
#[derive(Debug, PartialEq, Serialize)]
pub struct StratumFate {
    /// `key` or `sample`, if selected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
    pub cutoff: String,
    /// N of the stratum.
    pub eligible: u64,
    /// Whether the task may draw the enterprise at all.
    pub eligible_for_task: bool,
    /// `1/1` or `n/N`, if selected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inclusion: Option<String>,
    pub key: u64,
    /// Its visits when it was passed over (the tier's cap was reached).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passed_over_visits: Option<String>,
    pub quota: u64,
    pub selected: bool,
    pub start: String,
    pub taken: u64,
    pub task: String,
    pub under_cutoff: bool,
    pub xi: String,
}

/// The proof, reading every file it needs.
pub fn proof(bundle: &Bundle, uscc: &Uscc) -> Result<Proof, StepError> {
    let rules = TaskRules::build(bundle)?;
    let facts = DrawFacts::read(bundle)?;
    proof_with(
        bundle,
        &PopulationIndex::build(bundle)?,
        &rules,
        &facts,
        None,
        uscc,
    )
}

/// What a proof reads of a draw's files besides the population: the committed root, and once
/// revealed the seed and `plan/strata.csv` parsed. A draw's files never change while it stays in
/// a state (`docs/draw-state.md`), so the service reads them once per draw and state
/// (`docs/portal.md`, "What the service keeps in memory").
pub struct DrawFacts {
    /// `population_root` of `commitment.json`: hex, and its bytes.
    root: (String, merkle::Hash),
    /// The revealed seed and the strata, if `manifest.json` has a seed.
    revealed: Option<([u8; 32], Vec<Stratum>)>,
    /// `manifest.json`, against which the plan index is opened (`PlanIndex::open`).
    pub manifest: Value,
}

impl DrawFacts {
    /// Reads `commitment.json`, `manifest.json` and, once revealed, `plan/strata.csv`.
    pub fn read(bundle: &Bundle) -> Result<DrawFacts, StepError> {
        let commitment = bundle.read_json("commitment.json")?;
        let root = commitment["population_root"].as_str().unwrap_or("");
        let root_bytes: merkle::Hash = hex::decode(root)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| input("commitment.json: bad population_root"))?;
        let manifest = bundle.read_json("manifest.json")?;
        let revealed = match manifest["seed"].as_str() {
            Some(seed_hex) => {
                let seed: [u8; 32] = hex::decode(seed_hex)
                    .ok()
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| input("manifest.json: bad seed"))?;
                Some((seed, read_strata(bundle)?))
            }
            None => None,
        };
        Ok(DrawFacts {
            root: (root.to_string(), root_bytes),
            revealed,
            manifest,
        })
    }
}

/// The proof, with the population's index, the task rules and the draw's facts already
/// read (the service keeps them per draw: `crate::web::proof_cache`).
///
/// With `plan`, the plan index of the bundle (`super::plan_index`), the enterprise's rows of
/// `plan/selections.csv` and `plan/passed-over.csv` are found by a binary search; without it
/// both files are read. The answer is the same (tested).
pub fn proof_with(
    bundle: &Bundle,
    population: &PopulationIndex,
    rules: &TaskRules,
    facts: &DrawFacts,
    plan: Option<&PlanIndex>,
    uscc: &Uscc,
) -> Result<Proof, StepError> {
    let found = population.find(uscc.as_str())?.ok_or_else(|| {
        input(format!(
            "{uscc} is not in the committed population (not operating, or not in this jurisdiction)"
        ))
    })?;
    let (root, root_bytes) = &facts.root;
    let verified = merkle::verify_inclusion(
        &found.leaf,
        found.index as u64,
        population.size as u64,
        &found.path,
        root_bytes,
    );
    let (number, strata) = match &facts.revealed {
        Some((seed, strata)) => {
            let u = dualdraw_solver::seed::prn(seed, uscc);
            let fates = strata_of(bundle, rules, strata, plan, &found.row, u)?;
            (Some(hex64(u)), Some(fates))
        }
        None => (None, None),
    };
    Ok(Proof {
        batch: None,
        inclusion_proof: found.path.iter().map(hex::encode).collect(),
        leaf_index: found.index,
        number,
        population_root: root.clone(),
        proof_verifies: verified,
        row: found.row,
        seed: None,
        state: None,
        strata,
        tree_size: population.size,
        uscc: uscc.as_str().to_string(),
    })
}

/// `plan/strata.csv` parsed.
fn read_strata(bundle: &Bundle) -> Result<Vec<Stratum>, StepError> {
    let strata = rows::read(bundle, "plan/strata.csv", header("strata.csv"), |f| {
        let hex = |column: &str| -> Result<Option<u64>, BundleError> {
            match f.text(column) {
                "" => Ok(None),
                s => u64::from_str_radix(s, 16)
                    .map(Some)
                    .map_err(|_| f.error(column, format!("'{s}' is not 16 hex digits"))),
            }
        };
        let count = |column: &str| -> Result<u64, BundleError> {
            f.text(column)
                .parse()
                .map_err(|_| f.error(column, format!("'{}' is not a count", f.text(column))))
        };
        let start = hex("start")?.ok_or_else(|| f.error("start", "empty"))?;
        Ok(Stratum {
            task: f.text("task").to_string(),
            tier: f.text("tier").to_string(),
            start: (start, f.text("start").to_string()),
            cutoff: (hex("cutoff")?, f.text("cutoff").to_string()),
            counts: [
                count("eligible")?,
                count("quota")?,
                count("key")?,
                count("taken")?,
            ],
        })
    })?;
    Ok(strata)
}

/// The strata of the enterprise's tier with its ξ, whether it falls under the cut-off, and what
/// the plan did with it there: `selected` with its `basis` and `inclusion` (`key` 1/1, `sample`
/// n/N), or `passed_over` with its visits so far (the tier's cap was reached), or neither (under
/// the cut-off but not eligible for the task, or above it). `eligible` (N), `quota` (n), `key`
/// and `taken` are the stratum's row of `plan/strata.csv`.
fn strata_of(
    bundle: &Bundle,
    rules: &TaskRules,
    strata: &[Stratum],
    plan: Option<&PlanIndex>,
    row: &str,
    u: u64,
) -> Result<Vec<StratumFate>, StepError> {
    let tier = row.split(',').nth(3).unwrap_or("");
    let uscc = row.split(',').next().unwrap_or("");
    let (selected, passed) = match plan {
        Some(index) => plan_rows_indexed(index, uscc)?,
        None => plan_rows_read(bundle, uscc)?,
    };
    let eligible_for = rules.eligibility(row);
    let mut out = Vec::new();
    for s in strata.iter().filter(|s| s.tier == tier) {
        let xi = u.wrapping_sub(s.start.0);
        let [eligible, quota, key, taken] = s.counts;
        let (basis, inclusion) = selected.get(&s.task).cloned().unzip();
        out.push(StratumFate {
            selected: basis.is_some(),
            basis,
            cutoff: s.cutoff.1.clone(),
            eligible,
            eligible_for_task: rules.task(&s.task).is_some_and(|t| eligible_for[t]),
            inclusion,
            key,
            passed_over_visits: passed.get(&s.task).cloned(),
            quota,
            start: s.start.1.clone(),
            taken,
            task: s.task.clone(),
            under_cutoff: s.cutoff.0.is_some_and(|c| xi <= c),
            xi: hex64(xi),
        });
    }
    Ok(out)
}

/// What the plan did with one enterprise: task → (basis, inclusion) of its selections, and
/// task → visits of its passed-over rows.
type PlanRows = (BTreeMap<String, (String, String)>, BTreeMap<String, String>);

/// [`PlanRows`] by reading `plan/selections.csv` and `plan/passed-over.csv` whole.
fn plan_rows_read(bundle: &Bundle, uscc: &str) -> Result<PlanRows, StepError> {
    let selected = rows::read(
        bundle,
        "plan/selections.csv",
        header("selections.csv"),
        |f| {
            Ok((f.text("uscc") == uscc).then(|| {
                (
                    f.text("task").to_string(),
                    (f.text("basis").to_string(), f.text("inclusion").to_string()),
                )
            }))
        },
    )?
    .into_iter()
    .flatten()
    .collect();
    let passed = rows::read(
        bundle,
        "plan/passed-over.csv",
        header("passed-over.csv"),
        |f| {
            Ok((f.text("uscc") == uscc)
                .then(|| (f.text("task").to_string(), f.text("visits").to_string())))
        },
    )?
    .into_iter()
    .flatten()
    .collect();
    Ok((selected, passed))
}

/// [`PlanRows`] from the rows the plan index points to (`super::plan_index`), each read from its
/// file.
fn plan_rows_indexed(index: &PlanIndex, uscc: &str) -> Result<PlanRows, StepError> {
    let (mut selected, mut passed) = (BTreeMap::new(), BTreeMap::new());
    for (file, row) in index.rows_of(uscc)? {
        let fields: Vec<&str> = row.split(',').collect();
        let column = |name: &str| {
            let i = file.header().iter().position(|c| *c == name);
            i.and_then(|i| fields.get(i))
                .copied()
                .unwrap_or("")
                .to_string()
        };
        match file {
            PlanFile::Selections => {
                selected.insert(column("task"), (column("basis"), column("inclusion")));
            }
            PlanFile::PassedOver => {
                passed.insert(column("task"), column("visits"));
            }
        }
    }
    Ok((selected, passed))
}

/// The committed inputs without the population, parsed once, to say for one enterprise at a time
/// which tasks may draw it (`docs/draw-protocol.md` §7, "Eligibility"), with the solver's own
/// rule for regions, industries and items.
pub struct TaskRules {
    inputs: Inputs,
    /// Task id → its index in `inputs.tasks`.
    tasks: BTreeMap<String, usize>,
    /// USCC → the departments that visited it in the exclusion window.
    excluded: BTreeMap<String, Vec<String>>,
}

impl TaskRules {
    pub fn build(bundle: &Bundle) -> Result<TaskRules, StepError> {
        let mut files = BTreeMap::new();
        for name in FILES.iter().filter(|n| **n != "population.csv") {
            files.insert(name.to_string(), bundle.read(&format!("inputs/{name}"))?);
        }
        let mut reader = PopulationReader::new();
        reader.feed(format!("{}\n", POPULATION_HEADER.join(",")).as_bytes());
        let none = reader.finish();
        let inputs =
            Inputs::parse_with(&files, Some((none.population, none.errors))).map_err(|e| {
                let first = e.first().map(ToString::to_string).unwrap_or_default();
                input(format!("inputs/{first}"))
            })?;
        let (from, to) = (inputs.policy.exclusion_start(), inputs.policy.as_of);
        let mut excluded: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for h in inputs
            .history
            .iter()
            .filter(|h| h.visited_on >= from && h.visited_on < to)
        {
            excluded
                .entry(h.uscc.as_str().to_string())
                .or_default()
                .push(h.department.clone());
        }
        let tasks = inputs
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.clone(), i))
            .collect();
        Ok(TaskRules {
            inputs,
            tasks,
            excluded,
        })
    }

    /// The index of task `id` in the committed `tasks.csv` order.
    pub fn task(&self, id: &str) -> Option<usize> {
        self.tasks.get(id).copied()
    }

    /// For each task in `tasks.csv` order, whether the enterprise of population row `row` may
    /// be drawn by it: the task targets its region and industry and one of its items applies,
    /// the task has a quota for its tier, and its department did not visit it in the exclusion
    /// window.
    pub fn eligibility(&self, row: &str) -> Vec<bool> {
        let f: Vec<&str> = row.split(',').collect();
        let (uscc, region, industry) = (
            f[0],
            f.get(1).copied().unwrap_or(""),
            f.get(2).copied().unwrap_or(""),
        );
        let tier = f.get(3).and_then(|t| t.parse::<Tier>().ok());
        let visited = self.excluded.get(uscc).map_or(&[][..], Vec::as_slice);
        self.inputs
            .tasks
            .iter()
            .map(|t| {
                tier.is_some_and(|tier| t.quota(tier) != Quota::None)
                    && selection::targets(&self.inputs, t, region, industry)
                    && !visited.contains(&t.department)
            })
            .collect()
    }
}

/// One row of `plan/strata.csv`: start and cut-off as (value, text); eligible, quota, key, taken.
struct Stratum {
    task: String,
    tier: String,
    start: (u64, String),
    cutoff: (Option<u64>, String),
    counts: [u64; 4],
}

/// The header of a plan file as the solver writes it.
fn header(name: &str) -> &'static [&'static str] {
    PLAN_FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, h)| *h)
        .unwrap_or_else(|| panic!("{name} is not a plan file"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The proof JSON's bytes, keys, key order and absent keys included, are those that
    /// `dualdraw draw proof` printed before the proof was a struct
    /// (`tests/fixtures/proofs-demo-drand-history.txt`: enterprises passed over at the cap,
    /// taken as key supervision, sampled, and the first of the population).
    #[test]
    fn the_proof_json_is_the_recorded_one() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let bundle = Bundle::new(root.join("seeds/vectors/dr1/demo-drand-history"));
        let recorded =
            std::fs::read_to_string(root.join("tests/fixtures/proofs-demo-drand-history.txt"))
                .unwrap();
        let mut ours = String::new();
        for value in serde_json::Deserializer::from_str(&recorded).into_iter::<Value>() {
            let uscc = value.unwrap()["uscc"].as_str().unwrap().parse().unwrap();
            let p = proof(&bundle, &uscc).unwrap();
            ours += &serde_json::to_string_pretty(&p).unwrap();
            ours.push('\n');
        }
        assert!(ours.matches("\"uscc\"").count() >= 12);
        assert_eq!(ours, recorded);
    }

    /// [`TaskRules`] says what the solver's own eligibility says, for every enterprise and task
    /// of the vectors that exercise exclusions, filters and key supervision.
    #[test]
    fn task_rules_agree_with_the_solver_for_every_enterprise() {
        for vector in ["demo-drand-history", "exclusion-window", "quotas-filters"] {
            let bundle = Bundle::new(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("seeds/vectors/dr1")
                    .join(vector),
            );
            let rules = TaskRules::build(&bundle).unwrap();
            let mut files = BTreeMap::new();
            for name in FILES {
                files.insert(
                    name.to_string(),
                    bundle.read(&format!("inputs/{name}")).unwrap(),
                );
            }
            let inputs = Inputs::parse(&files).unwrap();
            let excluded = selection::exclusions(&inputs);
            let rows: Vec<&str> = files["population.csv"].lines().skip(1).collect();
            let mut eligible = 0;
            for (i, (entry, row)) in inputs.population.entries().iter().zip(&rows).enumerate() {
                let ours = rules.eligibility(row);
                for (j, t) in inputs.tasks.iter().enumerate() {
                    let solver = selection::eligible(&inputs, &excluded, t, i, entry);
                    assert_eq!(ours[j], solver, "{vector}: {row}, task {}", t.id);
                    assert_eq!(rules.task(&t.id), Some(j));
                    eligible += solver as usize;
                }
            }
            assert!(eligible > 0, "{vector}: someone is eligible");
        }
    }
}
