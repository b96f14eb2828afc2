//! Checkpoints (C2SP `tlog-checkpoint`, `docs/log.md` §3.2): the signed tree head of the log,
//! the three lines origin, size and base64 root hash.

use super::note::{self, Note, NoteError, PrivateKey, VerifierKey};
use crate::merkle::Hash;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;

/// A tree head: the log's origin, its size and its RFC 6962 root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

impl Checkpoint {
    /// The note text: `origin\nsize\nbase64(root)\n`.
    pub fn text(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        )
    }

    /// Parses a checkpoint's note text; extension lines are refused (`docs/log.md` §3.2).
    pub fn parse_text(text: &str) -> Result<Checkpoint, NoteError> {
        let bad = |m: &str| NoteError::Malformed(format!("checkpoint: {m}"));
        let lines: Vec<&str> = text
            .strip_suffix('\n')
            .ok_or_else(|| bad("no final newline"))?
            .split('\n')
            .collect();
        let [origin, size, root] = lines[..] else {
            return Err(bad(
                "expected exactly three lines (origin, size, root hash)",
            ));
        };
        if origin.is_empty() {
            return Err(bad("empty origin line"));
        }
        let size_ok = !size.is_empty()
            && size.bytes().all(|b| b.is_ascii_digit())
            && (size == "0" || !size.starts_with('0'));
        let size: u64 = size
            .parse()
            .ok()
            .filter(|_| size_ok)
            .ok_or_else(|| bad(&format!("size '{size}' is not a decimal number")))?;
        let root: Hash = B64
            .decode(root)
            .ok()
            .and_then(|r| r.try_into().ok())
            .ok_or_else(|| bad("root hash is not 32 bytes of base64"))?;
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root,
        })
    }

    /// The checkpoint signed by the log's key: a note with one signature line.
    pub fn sign(&self, key: &PrivateKey) -> Result<String, NoteError> {
        let text = self.text();
        let sig = note::sign(&text, key)?;
        Ok(Note {
            text,
            signatures: vec![sig],
        }
        .to_string())
    }
}

/// A checkpoint opened with the log's key: its tree head and the note (with every signature).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opened {
    pub checkpoint: Checkpoint,
    pub note: Note,
}

/// Parses a signed checkpoint and verifies the log's signature; the origin must be the key's name.
pub fn open(signed: &str, log_key: &VerifierKey) -> Result<Opened, NoteError> {
    let note = Note::parse(signed)?;
    note::open(&note, std::slice::from_ref(log_key))?;
    let checkpoint = Checkpoint::parse_text(&note.text)?;
    if checkpoint.origin != log_key.name {
        return Err(NoteError::Malformed(format!(
            "checkpoint origin '{}' is not the log key's name '{}'",
            checkpoint.origin, log_key.name
        )));
    }
    Ok(Opened { checkpoint, note })
}
