//! The seed's two private-until-revealed parts (`docs/draw-protocol.md` §5, §6): the operator's
//! secret, checked against its commitment, and the commitment digest that enters the seed — the
//! bundle's own, or for a `dr2` re-plan the replaced draw's (`docs/plan-model.md` §2).

use crate::canonical::sha256_hex;
use crate::difference::Difference;
use crate::files::{self, BundleFiles};
use dualdraw_solver::seed::{secret_commitment, sha256};
use serde_json::Value as Json;

/// The revealed secret (`secret.txt`), checked against the committed `secret_commitment`.
pub(crate) fn revealed_secret(
    files: &impl BundleFiles,
    commitment: &Json,
) -> Result<[u8; 32], Difference> {
    let secret_hex = files::read_text(files, "secret.txt")?;
    let secret: [u8; 32] = hex::decode(secret_hex.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Difference::in_file("secret.txt", "not 32 bytes of hex"))?;
    if commitment["secret_commitment"].as_str()
        != Some(hex::encode(secret_commitment(&secret)).as_str())
    {
        return Err(Difference::in_file(
            "secret.txt",
            "does not match the committed secret_commitment",
        ));
    }
    Ok(secret)
}

/// The commitment digest that enters the seed: SHA-256 of `commitment.json`, or for a re-plan
/// (`replaces` in the commitment) of `previous/commitment.json`, whose digest `replaces` names.
pub fn seed_commitment(
    files: &(impl BundleFiles + ?Sized),
    commitment: &Json,
) -> Result<[u8; 32], Difference> {
    match commitment["replaces"].as_str() {
        None => Ok(sha256(
            files::read_text(files, "commitment.json")?.as_bytes(),
        )),
        Some(digest) => {
            let text = files::read_text(files, "previous/commitment.json")?;
            if sha256_hex(text.as_bytes()) != digest {
                return Err(Difference::in_file(
                    "previous/commitment.json",
                    "not the commitment it replaces",
                ));
            }
            Ok(sha256(text.as_bytes()))
        }
    }
}
