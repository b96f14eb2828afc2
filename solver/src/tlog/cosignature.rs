//! Witness cosignatures (C2SP `tlog-cosignature`, `cosignature/v1`, `docs/log.md` §3.3): a
//! timestamped Ed25519 signature (key type 0x04) on a checkpoint.

use super::note::{self, Note, NoteError, PrivateKey, Signature, VerifierKey, TYPE_COSIGNATURE};

/// The signed message: `cosignature/v1\ntime T\n` followed by the checkpoint's note text.
pub fn message(checkpoint_text: &str, timestamp: u64) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{checkpoint_text}")
}

/// The cosignature line of `key` on a checkpoint text at `timestamp` (POSIX seconds).
pub fn cosign(
    checkpoint_text: &str,
    key: &PrivateKey,
    timestamp: u64,
) -> Result<Signature, NoteError> {
    note::check_text(checkpoint_text)?;
    if key.sig_type != TYPE_COSIGNATURE {
        return Err(NoteError::BadKey(format!(
            "{} is not a cosigning key",
            key.name
        )));
    }
    if timestamp > i64::MAX as u64 {
        return Err(NoteError::BadKey("timestamp above 2^63 - 1".into()));
    }
    let mut bytes = timestamp.to_be_bytes().to_vec();
    bytes.extend_from_slice(&key.sign_bytes(message(checkpoint_text, timestamp).as_bytes()));
    Ok(Signature {
        name: key.name.clone(),
        id: key.verifier().id,
        bytes,
    })
}

/// A verified cosignature: which witness and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cosigned {
    pub witness: VerifierKey,
    pub timestamp: u64,
}

/// The cosignatures of `witnesses` on a note, one per witness; unknown signers are ignored and a
/// bad cosignature of a known witness is an error (forged, or replayed on another tree or time).
pub fn verify_all(note: &Note, witnesses: &[VerifierKey]) -> Result<Vec<Cosigned>, NoteError> {
    let known: Vec<VerifierKey> = witnesses
        .iter()
        .filter(|k| k.sig_type == TYPE_COSIGNATURE)
        .cloned()
        .collect();
    let signed_by_known = note
        .signatures
        .iter()
        .any(|s| known.iter().any(|k| k.name == s.name && k.id == s.id));
    if !signed_by_known {
        return Ok(Vec::new());
    }
    Ok(note::open(note, &known)?
        .into_iter()
        .map(|v| Cosigned {
            timestamp: v.timestamp.expect("type 0x04 signatures carry a time"),
            witness: v.key,
        })
        .collect())
}

/// The time by which `quorum` distinct witnesses had cosigned: the quorum-th smallest timestamp
/// (`docs/log.md` §7.4). `None` if fewer cosigned, or if the quorum is 0 (nothing attested).
pub fn quorum_time(cosigned: &[Cosigned], quorum: usize) -> Option<u64> {
    if quorum == 0 || cosigned.len() < quorum {
        return None;
    }
    let mut times: Vec<u64> = cosigned.iter().map(|c| c.timestamp).collect();
    times.sort_unstable();
    Some(times[quorum - 1])
}
