//! Verification of a `dr2` annual plan (`docs/plan-model.md` §10): a `dr1` bundle
//! whose inputs add the re-planning files, whose plan is the optimizer's, and which for a
//! re-plan keeps the replaced draw's entropy and seed (`previous/`).

use crate::canonical::sha256_hex;
use crate::committed::{check_committed, Committed};
use crate::difference::Difference;
use crate::entropy::check_entropy;
use crate::files::{self, BundleFiles};
use crate::secret::{revealed_secret, seed_commitment};
use crate::verdict::{Counts, Stage};
use dualdraw_solver::inputs::annual::{self as annual_files, Annual};
use dualdraw_solver::inputs::Inputs;
use dualdraw_solver::placement;
use dualdraw_solver::plan::annual_check::check;
use dualdraw_solver::seed::seed;
use serde_json::{json, Value as Json};
use std::collections::BTreeMap;

/// What an annual (`dr2`, `dr3`) bundle shows, up to its state; `method` is the manifest's, which
/// [`check_committed`] holds equal to the commitment's.
pub(crate) fn verify(
    files: &impl BundleFiles,
    manifest: &Json,
    method: dualdraw_solver::Method,
) -> Result<(Committed, Stage), Difference> {
    let committed = check_committed(files, manifest)?;
    let Committed {
        commitment, inputs, ..
    } = &committed;
    for name in annual_files::FILES {
        let rel = format!("inputs/{name}");
        let text = files::read_text(files, &rel)?;
        if commitment["inputs"][name].as_str() != Some(sha256_hex(text.as_bytes()).as_str()) {
            return Err(Difference::in_file(&rel, "not the file committed to"));
        }
    }
    let annual = read_annual(files, inputs)?;
    let state = manifest["state"].as_str().unwrap_or("");
    if state == "committed" {
        return Ok((committed, Stage::Committed));
    }
    let entropy = files::read_json(files, "entropy.json")?;
    let text = match commitment["replaces"].as_str() {
        Some(replaces) => inherited_entropy(files, commitment, &entropy, replaces)?,
        None => check_entropy(commitment, &entropy)?,
    };
    if state != "revealed" {
        return Ok((committed, Stage::Run));
    }
    let secret = revealed_secret(files, commitment)?;
    let seed = seed(&seed_commitment(files, commitment)?, &text, &secret);
    if manifest["seed"].as_str() != Some(hex::encode(seed).as_str()) {
        return Err(Difference::in_field(
            "manifest.json",
            "seed",
            "seed is not SHA-256 of the committed values",
        ));
    }
    let plan = placement::draw(inputs, &annual, &seed, method);
    for (name, expected) in plan.to_files(inputs) {
        let rel = format!("plan/{name}");
        let found = files::read_text(files, &rel)?;
        if found != expected {
            return Err(Difference::first_line(&rel, &rel, &expected, &found));
        }
    }
    check(inputs, &annual, &plan).map_err(|e| Difference::other(format!("rule broken: {e}")))?;
    let counts = Counts {
        enterprises: inputs.population_len(),
        tasks: inputs.tasks.len(),
        selections: plan.selection.selections.len(),
        visits: plan.visits.len(),
        joint_visits: Some(
            plan.visits
                .iter()
                .filter(|v| v.departments.len() > 1)
                .count(),
        ),
        inspectors_assigned: plan.teams.len(),
        teams_not_formed: plan.failures.len(),
        checks_unplanned: Some(plan.unplanned.len()),
    };
    Ok((committed, Stage::Verified { seed, counts }))
}

/// The bundle's annual files (`inputs/annual.csv` and the re-planning files), parsed.
pub fn read_annual(
    files: &(impl BundleFiles + ?Sized),
    inputs: &Inputs,
) -> Result<Annual, Difference> {
    let mut texts = BTreeMap::new();
    for name in annual_files::FILES {
        texts.insert(
            name.to_string(),
            files::read_text(files, &format!("inputs/{name}"))?,
        );
    }
    Annual::parse(&texts, inputs.policy.periods.count())
        .map_err(|errors| Difference::inputs(&errors))
}

/// A re-plan's entropy: the replaced draw's, checked against its own commitment.
fn inherited_entropy(
    files: &impl BundleFiles,
    commitment: &Json,
    entropy: &Json,
    replaces: &str,
) -> Result<String, Difference> {
    const PREVIOUS: &str = "previous/commitment.json";
    let previous_text = files::read_text(files, PREVIOUS)?;
    if sha256_hex(previous_text.as_bytes()) != replaces {
        return Err(Difference::in_file(
            PREVIOUS,
            "not the commitment named by replaces",
        ));
    }
    let previous: Json =
        serde_json::from_str(&previous_text).map_err(|e| Difference::in_file(PREVIOUS, e))?;
    if previous["secret_commitment"] != commitment["secret_commitment"] {
        return Err(Difference::in_field(
            "commitment.json",
            "secret_commitment",
            "a re-plan keeps the replaced draw's secret commitment",
        ));
    }
    let previous_entropy = files::read_json(files, "previous/entropy.json")?;
    let text = check_entropy(&previous, &previous_entropy).map_err(|d| d.prefixed("previous/"))?;
    let expected = json!({"inherited": replaces, "sources": [], "string": text});
    if entropy != &expected {
        return Err(Difference::in_file(
            "entropy.json",
            "a re-plan's entropy is the replaced draw's",
        ));
    }
    Ok(text)
}
