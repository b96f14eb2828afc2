//! `dualdraw draw proof BUNDLE USCC`: what one enterprise needs to check its own fate
//! (`DESIGN.md`, rule 3): its row in the committed population with an RFC 6962 inclusion proof
//! against the committed root, and — once the seed is revealed — its random number and, for each
//! stratum it belongs to, the published start and cut-off with its own ξ.

use super::bundle::Bundle;
use super::run::StepError;
use dualdraw_solver::dr1::output::hex64;
use dualdraw_solver::{merkle, Uscc};
use serde_json::{json, Value};

fn input(s: impl Into<String>) -> StepError {
    StepError::Input(s.into())
}

/// The proof as JSON.
pub fn proof(bundle: &Bundle, uscc: &Uscc) -> Result<Value, StepError> {
    let population = bundle.read("inputs/population.csv")?;
    let rows: Vec<&str> = population.lines().skip(1).collect();
    let index = rows
        .iter()
        .position(|r| r.split(',').next() == Some(uscc.as_str()))
        .ok_or_else(|| input(format!("{uscc} is not in the committed population (not operating, or not in this jurisdiction)")))?;
    let leaves: Vec<merkle::Hash> = rows
        .iter()
        .map(|r| merkle::leaf_hash(r.as_bytes()))
        .collect();
    let path = merkle::inclusion_proof(&leaves, index);
    let commitment = bundle.read_json("commitment.json")?;
    let root = commitment["population_root"].as_str().unwrap_or("");
    let root_bytes: merkle::Hash = hex::decode(root)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| input("commitment.json: bad population_root"))?;
    let verified = merkle::verify_inclusion(
        &leaves[index],
        index as u64,
        leaves.len() as u64,
        &path,
        &root_bytes,
    );
    let mut out = json!({
        "uscc": uscc.as_str(),
        "row": rows[index],
        "leaf_index": index,
        "tree_size": leaves.len(),
        "population_root": root,
        "inclusion_proof": path.iter().map(hex::encode).collect::<Vec<_>>(),
        "proof_verifies": verified,
    });
    let manifest = bundle.read_json("manifest.json")?;
    if let Some(seed_hex) = manifest["seed"].as_str() {
        let seed: [u8; 32] = hex::decode(seed_hex)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| input("manifest.json: bad seed"))?;
        let u = dualdraw_solver::dr1::seed::prn(&seed, uscc);
        out["number"] = json!(hex64(u));
        out["strata"] = json!(strata_of(bundle, rows[index], u)?);
    }
    Ok(out)
}

/// The strata of the enterprise's tier with its ξ and whether it falls under the cut-off.
fn strata_of(bundle: &Bundle, row: &str, u: u64) -> Result<Vec<Value>, StepError> {
    let tier = row.split(',').nth(3).unwrap_or("");
    let strata = bundle.read("plan/strata.csv")?;
    let selections = bundle.read("plan/selections.csv")?;
    let uscc = row.split(',').next().unwrap_or("");
    let mut out = Vec::new();
    for line in strata.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() < 9 || f[1] != tier {
            continue;
        }
        let start =
            u64::from_str_radix(f[5], 16).map_err(|_| input("plan/strata.csv: bad start"))?;
        let xi = u.wrapping_sub(start);
        let selected = selections
            .lines()
            .any(|s| s.starts_with(&format!("{},{uscc},", f[0])));
        out.push(json!({
            "task": f[0],
            "start": f[5],
            "cutoff": f[6],
            "xi": hex64(xi),
            "under_cutoff": !f[6].is_empty() && xi <= u64::from_str_radix(f[6], 16).unwrap_or(0),
            "selected": selected,
        }));
    }
    Ok(out)
}
