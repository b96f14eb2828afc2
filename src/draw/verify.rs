//! `dualdraw verify BUNDLE`: recompute everything a bundle states and check every rule
//! (`docs/draw-protocol.md`, "Verification"). The first difference is the answer.

use super::bundle::{sha256_hex, Bundle};
use super::prepare::population_root;
use super::run::{entropy_value, read_inputs, StepError};
use dualdraw_solver::dr1::seed::{entropy_string, secret_commitment, seed};
use dualdraw_solver::dr1::{self, check::check};
use serde_json::Value as Json;

/// The first difference found, as a sentence.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Difference(pub String);

pub(crate) fn differ(s: impl Into<String>) -> Difference {
    Difference(s.into())
}

impl From<StepError> for Difference {
    fn from(e: StepError) -> Self {
        Difference(e.to_string())
    }
}

impl From<super::bundle::BundleError> for Difference {
    fn from(e: super::bundle::BundleError) -> Self {
        Difference(e.to_string())
    }
}

/// The first line where two texts differ.
pub(crate) fn first_line_difference(name: &str, expected: &str, found: &str) -> Difference {
    let (e, f): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), found.lines().collect());
    for i in 0..e.len().max(f.len()) {
        let (a, b) = (e.get(i).copied(), f.get(i).copied());
        if a != b {
            return differ(format!(
                "{name}:{}: expected `{}`, found `{}`",
                i + 1,
                a.unwrap_or("<end of file>"),
                b.unwrap_or("<end of file>")
            ));
        }
    }
    differ(format!("{name}: differs (line endings or final newline)"))
}

/// Checks the manifest's list of files against the directory.
pub(crate) fn check_files(bundle: &Bundle, manifest: &Json) -> Result<(), Difference> {
    let listed = manifest["files"]
        .as_object()
        .ok_or_else(|| differ("manifest.json: no files"))?;
    let present = bundle.files()?;
    for (name, digest) in listed {
        let bytes = present
            .get(name)
            .ok_or_else(|| differ(format!("{name}: listed in the manifest but missing")))?;
        if Some(sha256_hex(bytes).as_str()) != digest.as_str() {
            return Err(differ(format!(
                "{name}: its SHA-256 is not the one in the manifest (the file was changed)"
            )));
        }
    }
    if let Some(extra) = present.keys().find(|k| !listed.contains_key(*k)) {
        return Err(differ(format!("{extra}: not listed in the manifest")));
    }
    Ok(())
}

/// Verifies a bundle; returns the one-line summary.
pub fn verify(bundle: &Bundle) -> Result<String, Difference> {
    let manifest = bundle.read_json("manifest.json")?;
    if manifest["method"] == dualdraw_solver::dr2::METHOD {
        return super::annual::verify(bundle, &manifest);
    }
    if manifest["method"] != dr1::METHOD {
        return Err(differ(format!(
            "manifest.json: method {} is not {}",
            manifest["method"],
            dr1::METHOD
        )));
    }
    let Committed {
        commitment_text,
        commitment,
        inputs,
        size,
        root,
    } = check_committed(bundle, &manifest)?;
    let state = manifest["state"].as_str().unwrap_or("");
    if state == "committed" {
        return Ok(format!("dr1 bundle committed: inputs match the commitment ({size} enterprises, root {}…); not drawn yet", &root[..16]));
    }
    let entropy = bundle.read_json("entropy.json")?;
    let text = check_entropy(&commitment, &entropy)?;
    if state != "revealed" {
        return Ok("dr1 bundle run: inputs and entropy check; the plan is verifiable once the secret is revealed".into());
    }
    let secret = revealed_secret(bundle, &commitment)?;
    let seed = seed(
        &dr1::seed::sha256(commitment_text.as_bytes()),
        &text,
        &secret,
    );
    if manifest["seed"].as_str() != Some(hex::encode(seed).as_str()) {
        return Err(differ(
            "manifest.json: seed is not SHA-256 of the committed values",
        ));
    }
    let plan = dr1::draw(&inputs, &seed);
    for (name, expected) in plan.to_files(&inputs) {
        let found = bundle.read(&format!("plan/{name}"))?;
        if found != expected {
            return Err(first_line_difference(
                &format!("plan/{name}"),
                &expected,
                &found,
            ));
        }
    }
    check(&inputs, &plan).map_err(|e| differ(format!("rule broken: {e}")))?;
    Ok(format!(
        "dr1 bundle verified: {} enterprises, {} tasks, {} selections, {} visits, {} inspectors assigned, {} teams not formed; seed {}",
        inputs.population.len(),
        inputs.tasks.len(),
        plan.selections.len(),
        plan.visits.len(),
        plan.teams.len(),
        plan.failures.len(),
        hex::encode(seed)
    ))
}

/// Checks `entropy.json` against the declared sources (drand rounds against the pinned keys);
/// returns the canonical entropy string.
pub(crate) fn check_entropy(commitment: &Json, entropy: &Json) -> Result<String, Difference> {
    let sources = commitment["sources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let records = entropy["sources"].as_array().cloned().unwrap_or_default();
    if records.len() != sources.len() {
        return Err(differ("entropy.json: not one value per declared source"));
    }
    let mut values = Vec::new();
    for (declared, record) in sources.iter().zip(&records) {
        let given = match declared["kind"].as_str() {
            Some("lottery") => record["values"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|v| v.to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default(),
            _ => match record["previous_signature"].as_str() {
                Some(p) => format!("{}:{p}", record["signature"].as_str().unwrap_or("")),
                None => record["signature"].as_str().unwrap_or("").to_string(),
            },
        };
        let (value, recomputed) =
            entropy_value(declared, &given).map_err(|e| differ(format!("entropy.json: {e}")))?;
        if &recomputed != record {
            return Err(differ(format!("entropy.json: source {declared} does not match its declaration or its verified values")));
        }
        values.push(value);
    }
    let text = entropy_string(&values);
    if entropy["string"].as_str() != Some(text.as_str()) {
        return Err(differ(format!(
            "entropy.json: string is not the canonical `{text}`"
        )));
    }
    Ok(text)
}

/// What steps 1 and 2 of verification establish: the files are the manifest's, the inputs are
/// the committed ones, in canonical form, with the committed population root.
pub(crate) struct Committed {
    pub commitment_text: String,
    pub commitment: Json,
    pub inputs: dr1::Inputs,
    pub size: u64,
    pub root: String,
}

/// Steps 1 and 2 of verification (`docs/draw-protocol.md` §11).
pub(crate) fn check_committed(bundle: &Bundle, manifest: &Json) -> Result<Committed, Difference> {
    check_files(bundle, manifest)?;
    let commitment_text = bundle.read("commitment.json")?;
    if manifest["commitment_sha256"].as_str()
        != Some(sha256_hex(commitment_text.as_bytes()).as_str())
    {
        return Err(differ(
            "manifest.json: commitment_sha256 is not the SHA-256 of commitment.json",
        ));
    }
    let commitment: Json = serde_json::from_str(&commitment_text)
        .map_err(|e| differ(format!("commitment.json: {e}")))?;
    for name in dr1::inputs::FILES {
        let text = bundle.read(&format!("inputs/{name}"))?;
        if commitment["inputs"][name].as_str() != Some(sha256_hex(text.as_bytes()).as_str()) {
            return Err(differ(format!("inputs/{name}: not the file committed to")));
        }
    }
    let population = bundle.read("inputs/population.csv")?;
    let (size, root) = population_root(&population);
    if commitment["population_root"].as_str() != Some(root.as_str())
        || commitment["population_size"].as_u64() != Some(size)
    {
        return Err(differ(
            "inputs/population.csv: its Merkle root is not the committed population_root",
        ));
    }
    let inputs = read_inputs(bundle)?;
    for (name, text) in inputs.to_files() {
        let stored = bundle.read(&format!("inputs/{name}"))?;
        if stored != text {
            return Err(first_line_difference(
                &format!("inputs/{name} (canonical form)"),
                &text,
                &stored,
            ));
        }
    }
    Ok(Committed {
        commitment_text,
        commitment,
        inputs,
        size,
        root,
    })
}

/// The revealed secret, checked against the commitment.
pub(crate) fn revealed_secret(bundle: &Bundle, commitment: &Json) -> Result<[u8; 32], Difference> {
    let secret_hex = bundle.read("secret.txt")?;
    let secret: [u8; 32] = hex::decode(secret_hex.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| differ("secret.txt: not 32 bytes of hex"))?;
    if commitment["secret_commitment"].as_str()
        != Some(hex::encode(secret_commitment(&secret)).as_str())
    {
        return Err(differ(
            "secret.txt: does not match the committed secret_commitment",
        ));
    }
    Ok(secret)
}
