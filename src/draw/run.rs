//! `dualdraw draw run` and `draw reveal` (`docs/architecture.md`, rules 2 and 6): take the public values
//! once they exist, verify drand rounds offline against the pinned chain keys, derive the seed,
//! write the plan; later publish the secret so anyone can recompute everything.

use super::bundle::{json_text, Bundle, BundleError};
use dualdraw_solver::inputs::population_csv::{PopulationFile, PopulationReader};
use dualdraw_solver::inputs::Inputs;
use dualdraw_solver::seed::{entropy_string, secret_commitment, seed, EntropyValue};
use dualdraw_solver::selection::{self, Drawn};
use dualdraw_verify::for_plan_files;
use serde_json::{json, Value as Json};
use std::path::Path;

/// Why a step could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// Bad input: an entropy value, a secret, a source, a CSV file.
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Bundle(#[from] BundleError),
    /// Another step on the same draw holds its lock.
    #[error("{0}")]
    Busy(String),
    /// The batch was prepared already.
    #[error("{0}")]
    Exists(String),
    /// The draw is not in the state the step starts from (already run, not yet run, …).
    #[error("{0}")]
    State(String),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl From<super::private::LockError> for StepError {
    fn from(e: super::private::LockError) -> Self {
        match e {
            super::private::LockError::Busy(m) => StepError::Busy(format!(
                "{m}: another step on this draw is in progress; try again when it ends"
            )),
            super::private::LockError::Bundle(b) => StepError::Bundle(b),
        }
    }
}

fn input(s: impl Into<String>) -> StepError {
    StepError::Input(s.into())
}

/// The bundle's state from its manifest.
pub fn state(bundle: &Bundle) -> Result<String, StepError> {
    let m = bundle.read_json("manifest.json")?;
    Ok(m["state"].as_str().unwrap_or("").to_string())
}

/// Reads a 32-byte hex secret from a file.
pub fn read_secret(path: &Path) -> Result<[u8; 32], StepError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| input(format!("{}: {e}", path.display())))?;
    let bytes =
        hex::decode(text.trim()).map_err(|_| input(format!("{}: not hex", path.display())))?;
    bytes
        .try_into()
        .map_err(|_| input(format!("{}: a secret is 32 bytes", path.display())))
}

/// The public value of one declared source, checked: lottery integers, or a drand beacon
/// (`dualdraw_verify::entropy`, which verification uses on `entropy.json`).
pub fn entropy_value(source: &Json, value: &str) -> Result<(EntropyValue, Json), StepError> {
    dualdraw_verify::entropy::entropy_value(source, value).map_err(StepError::Input)
}

/// Reads and parses the bundle's frozen inputs; `population.csv` in one pass, never whole.
pub fn read_inputs(bundle: &Bundle) -> Result<Inputs, StepError> {
    let mut reader = PopulationReader::parse_only();
    bundle.read_blocks("inputs/population.csv", |b| reader.feed(b))?;
    parse_inputs(bundle, reader.finish())
}

/// One pass over `inputs/population.csv`: the population, its digests and whether the file is
/// in canonical form.
pub fn read_population(bundle: &Bundle) -> Result<PopulationFile, StepError> {
    let mut reader = PopulationReader::new();
    bundle.read_blocks("inputs/population.csv", |b| reader.feed(b))?;
    Ok(reader.finish())
}

/// The inputs from the other input files and the population read by [`read_population`].
pub fn parse_inputs(bundle: &Bundle, population: PopulationFile) -> Result<Inputs, StepError> {
    dualdraw_verify::parse_inputs(bundle, population).map_err(|d| input(d.to_string()))
}

/// Writes the plan files under `plan/`, line by line.
pub fn write_plan(bundle: &Bundle, inputs: &Inputs, plan: &Drawn) -> Result<(), StepError> {
    use std::io::Write;
    for_plan_files(|name| -> Result<(), StepError> {
        let rel = format!("plan/{name}");
        let mut out = bundle.create(&rel)?;
        plan.write_file(inputs, name, &mut out)
            .and_then(|_| out.flush())
            .map_err(|e| super::bundle::io(&bundle.path(&rel), e).into())
    })
    .into_iter()
    .collect()
}

pub fn commitment_digest(bundle: &Bundle) -> Result<[u8; 32], StepError> {
    let text = bundle.read("commitment.json")?;
    Ok(dualdraw_solver::seed::sha256(text.as_bytes()))
}

/// What a run produced.
pub struct RunSummary {
    pub visits: usize,
    pub members: usize,
    pub failures: usize,
}

/// Derives the seed from the public values and the kept secret, and writes the entropy and the
/// plan into `out` (a staging directory; `super::steps::run` checks the state and publishes).
pub fn run(
    bundle: &Bundle,
    out: &Bundle,
    values: &[String],
    secret_file: &Path,
) -> Result<RunSummary, StepError> {
    let commitment = bundle.read_json("commitment.json")?;
    let method = commitment["method"]
        .as_str()
        .and_then(dualdraw_solver::Method::parse);
    if let Some(method) = method.filter(|m| m.places_annually()) {
        return super::annual::run(bundle, out, &commitment, method, values, secret_file);
    }
    let (text, records) = public_entropy(&commitment, values)?;
    let secret = read_secret(secret_file)?;
    if hex::encode(secret_commitment(&secret))
        != commitment["secret_commitment"].as_str().unwrap_or("")
    {
        return Err(input(format!(
            "{}: this secret does not match the commitment",
            secret_file.display()
        )));
    }
    let inputs = read_inputs(bundle)?;
    let seed = seed(&commitment_digest(bundle)?, &text, &secret);
    let plan = selection::drawn(&inputs, &seed);
    out.write(
        "entropy.json",
        &json_text(&json!({ "sources": records, "string": text })),
    )?;
    write_plan(out, &inputs, &plan)?;
    Ok(RunSummary {
        visits: plan.calls.len(),
        members: plan.seats.len(),
        failures: plan.gaps.len(),
    })
}

/// The declared sources' public values, checked, and the canonical entropy string.
pub fn public_entropy(
    commitment: &Json,
    values: &[String],
) -> Result<(String, Vec<Json>), StepError> {
    let sources = commitment["sources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if values.len() != sources.len() {
        return Err(input(format!("{} entropy source(s) were declared, {} value(s) given (one --entropy per source, in order)", sources.len(), values.len())));
    }
    let mut entropy = Vec::new();
    let mut records = Vec::new();
    for (source, value) in sources.iter().zip(values) {
        let (v, record) = entropy_value(source, value)?;
        entropy.push(v);
        records.push(record);
    }
    Ok((entropy_string(&entropy), records))
}

/// Writes the secret into `out` (a staging directory) as `secret.txt` and returns the seed, so
/// that once published anyone can recompute the draw.
pub fn reveal(bundle: &Bundle, out: &Bundle, secret_file: &Path) -> Result<String, StepError> {
    let secret = read_secret(secret_file)?;
    let commitment = bundle.read_json("commitment.json")?;
    if hex::encode(secret_commitment(&secret))
        != commitment["secret_commitment"].as_str().unwrap_or("")
    {
        return Err(input(format!(
            "{}: this secret does not match the commitment",
            secret_file.display()
        )));
    }
    let entropy = bundle.read_json("entropy.json")?;
    let seed = seed(
        &super::annual::seed_commitment(bundle, &commitment)?,
        entropy["string"].as_str().unwrap_or(""),
        &secret,
    );
    out.write("secret.txt", &format!("{}\n", hex::encode(secret)))?;
    Ok(hex::encode(seed))
}
