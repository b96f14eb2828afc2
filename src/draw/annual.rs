//! Method `dr2` in the service (`docs/plan-model.md`): the annual plan. A `dr2` bundle is a `dr1`
//! bundle whose inputs add the re-planning files (`annual.csv`, `complaints.csv`,
//! `previous-visits.csv`, `previous-teams.csv`) and whose plan is the optimizer's. A re-plan is
//! a new `dr2` bundle that names the bundle it replaces (`replaces` in its commitment), carries
//! that bundle's commitment and entropy under `previous/`, pins its visits done or under way and
//! keeps its seed, so enterprises keep their permanent random numbers and a re-plan cannot be
//! used to redraw (`docs/architecture.md`, rule 6).

use super::bundle::{json_text, sha256_hex, Bundle};
use super::prepare::{self, PrepareError};
use super::run::{public_entropy, read_inputs, read_secret, RunSummary, StepError};
use dualdraw_solver::inputs::annual::{Annual, Complaint};
use dualdraw_solver::inputs::Inputs;
use dualdraw_solver::seed::{secret_commitment, seed};
use dualdraw_solver::Uscc;
use dualdraw_solver::{placement, Method};
use serde_json::{json, Value as Json};
use std::path::Path;

fn input(s: impl Into<String>) -> StepError {
    StepError::Input(s.into())
}

/// The replaced draw, for a re-plan.
pub struct Previous {
    pub commitment_text: String,
    pub entropy_text: String,
    pub secret: [u8; 32],
}

/// Freezes an annual batch (`dr2`, `dr3`): the inputs of `dr1` (with `key-supervision.csv`
/// under key supervision per department), the annual files, the commitment.
pub fn prepare(
    bundle: &Bundle,
    batch: &str,
    inputs: &Inputs,
    annual: &Annual,
    method: Method,
    sources: Vec<Json>,
) -> Result<prepare::Commitment, PrepareError> {
    let secret = prepare::write(bundle, batch, inputs, sources)?.secret;
    let digest = commit(bundle, annual, None, method)?;
    Ok(prepare::Commitment { digest, secret })
}

/// The method of a run or revealed annual bundle to re-plan: a re-plan keeps it.
pub fn replanned_method(old: &Bundle) -> Result<Method, StepError> {
    let manifest = old.read_json("manifest.json")?;
    match manifest["method"].as_str().and_then(Method::parse) {
        Some(m) if m.places_annually() => Ok(m),
        _ => Err(input(format!(
            "{}: only a run or revealed dr2 or dr3 bundle can be re-planned",
            old.dir.display()
        ))),
    }
}

/// Adds the annual files to a bundle prepared as `dr1` and commits to them as `method`.
fn commit(
    bundle: &Bundle,
    annual: &Annual,
    previous: Option<&Previous>,
    method: Method,
) -> Result<String, PrepareError> {
    let mut commitment = bundle.read_json("commitment.json")?;
    commitment["method"] = json!(method.id());
    for (name, text) in annual.to_files() {
        bundle.write(&format!("inputs/{name}"), &text)?;
        commitment["inputs"][name] = json!(sha256_hex(text.as_bytes()));
    }
    if let Some(p) = previous {
        let old: Json = serde_json::from_str(&p.commitment_text)
            .map_err(|e| PrepareError::Input(vec![format!("previous commitment.json: {e}")]))?;
        commitment["replaces"] = json!(sha256_hex(p.commitment_text.as_bytes()));
        commitment["sources"] = json!([]);
        commitment["secret_commitment"] = old["secret_commitment"].clone();
        bundle.write("previous/commitment.json", &p.commitment_text)?;
        bundle.write("previous/entropy.json", &p.entropy_text)?;
    }
    let text = json_text(&commitment);
    bundle.write("commitment.json", &text)?;
    bundle.write_manifest("committed", json!({}))?;
    Ok(sha256_hex(text.as_bytes()))
}

/// Prepares a re-plan of `old` (a run `dr2` bundle) with new directories: the visits of periods
/// up to `pinned_through` stay, the rest is planned again.
pub fn replan(
    old: &Bundle,
    out: &Bundle,
    batch: &str,
    inputs: &Inputs,
    pinned_through: u32,
    complaints: Vec<Complaint>,
    secret_file: &Path,
) -> Result<prepare::Commitment, StepError> {
    let manifest = old.read_json("manifest.json")?;
    let method = replanned_method(old)?;
    if !matches!(manifest["state"].as_str(), Some("run" | "revealed")) {
        return Err(input(format!(
            "{}: only a run or revealed dr2 or dr3 bundle can be re-planned",
            old.dir.display()
        )));
    }
    let secret = read_secret(secret_file)?;
    let commitment_text = old.read("commitment.json")?;
    let old_commitment: Json = serde_json::from_str(&commitment_text)
        .map_err(|e| input(format!("{}: commitment.json: {e}", old.dir.display())))?;
    if old_commitment["secret_commitment"].as_str()
        != Some(&hex::encode(secret_commitment(&secret)))
    {
        return Err(input(format!(
            "{}: this secret does not match the replaced draw's commitment",
            secret_file.display()
        )));
    }
    let periods = inputs.policy.periods.count();
    if pinned_through > periods {
        return Err(input(format!(
            "--pinned-through {pinned_through}: the year has {periods} periods"
        )));
    }
    let (previous_visits, previous_teams) = crate::plan::rows::previous(old)?;
    let mut annual = Annual {
        pinned_through,
        complaints,
        previous_visits,
        previous_teams,
    };
    annual.normalize();
    let previous = Previous {
        commitment_text,
        entropy_text: old.read("entropy.json")?,
        secret,
    };
    // prepare::write insists on declared sources; the re-plan inherits the replaced draw's.
    let sources = old_commitment["sources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    prepare::write(out, batch, inputs, sources).map_err(|e| input(e.to_string()))?;
    let digest = commit(out, &annual, Some(&previous), method).map_err(|e| input(e.to_string()))?;
    Ok(prepare::Commitment { digest, secret })
}

/// Complaint-driven checks from a user's CSV: `uscc,department,period` (or 统一社会信用代码,
/// 部门, 期次); errors as `FILE:LINE: column: what is wrong`.
pub fn read_complaints(path: &Path, periods: u32) -> Result<Vec<Complaint>, Vec<String>> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| vec![format!("{name}: {e}")])?;
    parse_complaints(&name, &text, periods)
}

/// [`read_complaints`] of a text, `name` naming it in errors.
pub fn parse_complaints(
    name: &str,
    text: &str,
    periods: u32,
) -> Result<Vec<Complaint>, Vec<String>> {
    let mut r = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = r
        .headers()
        .map_err(|e| vec![format!("{name}:1: {e}")])?
        .iter()
        .map(|h| match h.trim() {
            "统一社会信用代码" => "uscc".to_string(),
            "部门" => "department".to_string(),
            "期次" => "period".to_string(),
            other => other.to_string(),
        })
        .collect();
    if header != ["uscc", "department", "period"] {
        return Err(vec![format!(
            "{name}:1: header must be uscc,department,period (or 统一社会信用代码,部门,期次)"
        )]);
    }
    let (mut out, mut errors) = (Vec::new(), Vec::new());
    for rec in r.records() {
        let rec = match rec {
            Ok(rec) => rec,
            Err(e) => {
                errors.push(format!("{name}: {e}"));
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| p.line());
        let uscc = Uscc::parse(&rec[0]);
        let period = rec[2]
            .parse::<u32>()
            .ok()
            .filter(|p| (1..=periods).contains(p));
        match (uscc, period) {
            (Err(e), _) => errors.push(format!("{name}:{line}: uscc: '{}': {e}", &rec[0])),
            (_, None) => errors.push(format!(
                "{name}:{line}: period: '{}' is not a period 1..{periods}",
                &rec[2]
            )),
            (Ok(uscc), Some(period)) if !rec[1].is_empty() => out.push(Complaint {
                uscc,
                department: rec[1].to_string(),
                period,
            }),
            _ => errors.push(format!("{name}:{line}: department: missing")),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The commitment digest that enters the seed: the bundle's own, or for a re-plan the replaced
/// draw's (carried in `previous/commitment.json`, whose digest the commitment names).
pub fn seed_commitment(bundle: &Bundle, commitment: &Json) -> Result<[u8; 32], StepError> {
    dualdraw_verify::seed_commitment(bundle, commitment).map_err(|d| input(d.to_string()))
}

/// The bundle's annual files.
pub fn read_annual(bundle: &Bundle, inputs: &Inputs) -> Result<Annual, StepError> {
    dualdraw_verify::read_annual(bundle, inputs).map_err(|d| input(d.to_string()))
}

/// `draw run` for `dr2`: the seed, then the annual plan.
pub fn run(
    bundle: &Bundle,
    out: &Bundle,
    commitment: &Json,
    method: Method,
    values: &[String],
    secret_file: &Path,
) -> Result<RunSummary, StepError> {
    let secret = read_secret(secret_file)?;
    if hex::encode(secret_commitment(&secret))
        != commitment["secret_commitment"].as_str().unwrap_or("")
    {
        return Err(input(format!(
            "{}: this secret does not match the commitment",
            secret_file.display()
        )));
    }
    let (text, entropy) = match commitment["replaces"].as_str() {
        Some(replaces) => {
            if !values.is_empty() {
                return Err(input(
                    "a re-plan keeps the replaced draw's entropy and seed: give no --entropy",
                ));
            }
            let previous = bundle.read_json("previous/entropy.json")?;
            let text = previous["string"].as_str().unwrap_or("").to_string();
            let entropy = json!({"inherited": replaces, "sources": [], "string": text});
            (text, entropy)
        }
        None => {
            let (text, records) = public_entropy(commitment, values)?;
            (text.clone(), json!({"sources": records, "string": text}))
        }
    };
    let inputs = read_inputs(bundle)?;
    let annual = read_annual(bundle, &inputs)?;
    let seed = seed(&seed_commitment(bundle, commitment)?, &text, &secret);
    let plan = placement::draw(&inputs, &annual, &seed, method);
    out.write("entropy.json", &json_text(&entropy))?;
    for (name, text) in plan.to_files(&inputs) {
        out.write(&format!("plan/{name}"), &text)?;
    }
    Ok(RunSummary {
        visits: plan.visits.len(),
        members: plan.teams.len(),
        failures: plan.failures.len(),
    })
}
