//! Signed notes (C2SP `signed-note`, `docs/log.md` §3.1): a text signed by one or more keys.
//!
//! Written here rather than taken from the `signed_note` crate because two signature types are
//! needed (Ed25519 `0x01` for the log, timestamped cosignatures `0x04` for witnesses) and the
//! checks must return this project's typed errors; the format is a few dozen lines. Keys use
//! the string forms of Go's `golang.org/x/mod/sumdb/note`, whose test vectors the tests run.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};
use std::fmt;

/// Signature type of plain Ed25519 note signatures (the log's checkpoints).
pub const TYPE_ED25519: u8 = 0x01;
/// Signature type of timestamped Ed25519 cosignatures (C2SP `tlog-cosignature`).
pub const TYPE_COSIGNATURE: u8 = 0x04;
/// The most signature lines a note may carry (as Go's `note.Open`).
pub const MAX_SIGNATURES: usize = 100;
/// The prefix of a signature line: U+2014 em dash and a space.
pub const SIG_PREFIX: &str = "\u{2014} ";

/// What is wrong with a note or a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("malformed note: {0}")]
    Malformed(String),
    #[error("malformed key: {0}")]
    BadKey(String),
    #[error("signature of {0} does not verify")]
    BadSignature(String),
    #[error("no signature of a known key ({0})")]
    NoKnownSignature(String),
}

fn malformed(m: impl Into<String>) -> NoteError {
    NoteError::Malformed(m.into())
}

/// `SHA-256(name ‖ 0x0A ‖ type ‖ public key)[0:4]` as a big-endian integer.
pub fn key_id(name: &str, sig_type: u8, public_key: &[u8]) -> u32 {
    let h = Sha256::new()
        .chain_update(name.as_bytes())
        .chain_update([b'\n', sig_type])
        .chain_update(public_key)
        .finalize();
    u32::from_be_bytes([h[0], h[1], h[2], h[3]])
}

/// Whether `name` may name a key: non-empty, no Unicode space, no `+`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// A public key with its name and type: `name+HEX8+BASE64(type ‖ key)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierKey {
    pub name: String,
    pub id: u32,
    pub sig_type: u8,
    pub key: VerifyingKey,
}

impl VerifierKey {
    /// The verifier key of `key` under `name` for signatures of `sig_type`.
    pub fn new(name: &str, sig_type: u8, key: VerifyingKey) -> VerifierKey {
        VerifierKey {
            name: name.to_string(),
            id: key_id(name, sig_type, key.as_bytes()),
            sig_type,
            key,
        }
    }

    /// Parses a verifier key string, checking its key ID.
    pub fn parse(s: &str) -> Result<VerifierKey, NoteError> {
        let bad = |m: &str| NoteError::BadKey(format!("'{s}': {m}"));
        let mut parts = s.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected name+keyid+base64key"));
        };
        if !valid_name(name) {
            return Err(bad("invalid key name"));
        }
        let id = parse_id(id).ok_or_else(|| bad("key ID is not 8 hex digits"))?;
        let raw = B64.decode(key).map_err(|_| bad("key is not base64"))?;
        let (sig_type, pk) = split_key(&raw).ok_or_else(|| bad("not an Ed25519 key"))?;
        let key = VerifyingKey::from_bytes(&pk).map_err(|_| bad("not an Ed25519 point"))?;
        if key_id(name, sig_type, &pk) != id {
            return Err(bad("key ID does not match the key"));
        }
        Ok(VerifierKey {
            name: name.to_string(),
            id,
            sig_type,
            key,
        })
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = vec![self.sig_type];
        raw.extend_from_slice(self.key.as_bytes());
        write!(f, "{}+{:08x}+{}", self.name, self.id, B64.encode(raw))
    }
}

fn parse_id(s: &str) -> Option<u32> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

/// Splits `type ‖ 32 bytes` for the two Ed25519 types.
fn split_key(raw: &[u8]) -> Option<(u8, [u8; 32])> {
    let (&t, rest) = raw.split_first()?;
    if !(t == TYPE_ED25519 || t == TYPE_COSIGNATURE) {
        return None;
    }
    Some((t, rest.try_into().ok()?))
}

/// A private key: `PRIVATE+KEY+name+HEX8+BASE64(type ‖ 32-byte seed)`.
#[derive(Clone)]
pub struct PrivateKey {
    pub name: String,
    pub sig_type: u8,
    signing: SigningKey,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey({})", self.verifier())
    }
}

impl PrivateKey {
    /// The key of Ed25519 seed `seed` (RFC 8032 §5.1.5) under `name`.
    pub fn from_seed(name: &str, sig_type: u8, seed: [u8; 32]) -> Result<PrivateKey, NoteError> {
        if !valid_name(name) {
            return Err(NoteError::BadKey(format!("'{name}': invalid key name")));
        }
        if !(sig_type == TYPE_ED25519 || sig_type == TYPE_COSIGNATURE) {
            return Err(NoteError::BadKey(format!(
                "unknown signature type {sig_type}"
            )));
        }
        Ok(PrivateKey {
            name: name.to_string(),
            sig_type,
            signing: SigningKey::from_bytes(&seed),
        })
    }

    /// Parses a private key string, checking its key ID.
    pub fn parse(s: &str) -> Result<PrivateKey, NoteError> {
        let bad = |m: &str| NoteError::BadKey(format!("private key: {m}"));
        let rest = s
            .trim_end_matches('\n')
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| bad("does not start with PRIVATE+KEY+"))?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected PRIVATE+KEY+name+keyid+base64key"));
        };
        let id = parse_id(id).ok_or_else(|| bad("key ID is not 8 hex digits"))?;
        let raw = B64.decode(key).map_err(|_| bad("key is not base64"))?;
        let (sig_type, seed) = split_key(&raw).ok_or_else(|| bad("not an Ed25519 key"))?;
        let k = PrivateKey::from_seed(name, sig_type, seed)?;
        if k.verifier().id != id {
            return Err(bad("key ID does not match the key"));
        }
        Ok(k)
    }

    /// The private key string (keep it secret).
    pub fn encode(&self) -> String {
        let mut raw = vec![self.sig_type];
        raw.extend_from_slice(self.signing.as_bytes());
        let id = self.verifier().id;
        format!("PRIVATE+KEY+{}+{id:08x}+{}", self.name, B64.encode(raw))
    }

    /// The matching verifier key.
    pub fn verifier(&self) -> VerifierKey {
        VerifierKey::new(&self.name, self.sig_type, self.signing.verifying_key())
    }

    /// The Ed25519 signature of `msg` (deterministic, RFC 8032).
    pub fn sign_bytes(&self, msg: &[u8]) -> [u8; 64] {
        self.signing.sign(msg).to_bytes()
    }
}

/// One signature line: `— name BASE64(key ID ‖ signature)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    pub name: String,
    pub id: u32,
    /// The bytes after the key ID.
    pub bytes: Vec<u8>,
}

impl Signature {
    /// The line, with its final LF.
    pub fn line(&self) -> String {
        let mut raw = self.id.to_be_bytes().to_vec();
        raw.extend_from_slice(&self.bytes);
        format!("{SIG_PREFIX}{} {}\n", self.name, B64.encode(raw))
    }

    /// Parses one line (without its LF).
    pub fn parse_line(line: &str) -> Result<Signature, NoteError> {
        let rest = line.strip_prefix(SIG_PREFIX).ok_or_else(|| {
            malformed(format!("signature line '{line}' does not start with '— '"))
        })?;
        let (name, b64) = rest
            .split_once(' ')
            .ok_or_else(|| malformed(format!("signature line '{line}' has no signature")))?;
        if !valid_name(name) {
            return Err(malformed(format!("invalid key name '{name}'")));
        }
        let raw = B64
            .decode(b64)
            .map_err(|_| malformed(format!("signature of {name} is not base64")))?;
        if raw.len() < 5 {
            return Err(malformed(format!("signature of {name} is too short")));
        }
        Ok(Signature {
            name: name.to_string(),
            id: u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]),
            bytes: raw[4..].to_vec(),
        })
    }
}

/// A note: its text (ending in LF) and its signature lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub text: String,
    pub signatures: Vec<Signature>,
}

/// Checks the text of a note: non-empty, ends in LF, no control character but LF.
pub fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') {
        return Err(malformed("text does not end with a newline"));
    }
    if text.chars().any(|c| c < ' ' && c != '\n') {
        return Err(malformed("text contains a control character"));
    }
    Ok(())
}

impl Note {
    /// Parses a signed note: the text is separated from the signatures by its last empty line.
    pub fn parse(s: &str) -> Result<Note, NoteError> {
        if s.chars().any(|c| c < ' ' && c != '\n') {
            return Err(malformed("note contains a control character"));
        }
        let split = s
            .rfind("\n\n")
            .ok_or_else(|| malformed("no empty line before the signatures"))?;
        let text = &s[..split + 1];
        let sigs = &s[split + 2..];
        let Some(sigs) = sigs.strip_suffix('\n') else {
            return Err(malformed(
                "the last signature line does not end with a newline",
            ));
        };
        let signatures = sigs
            .split('\n')
            .map(Signature::parse_line)
            .collect::<Result<Vec<_>, _>>()?;
        if signatures.len() > MAX_SIGNATURES {
            return Err(malformed(format!("more than {MAX_SIGNATURES} signatures")));
        }
        Ok(Note {
            text: text.to_string(),
            signatures,
        })
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.text)?;
        self.signatures
            .iter()
            .try_for_each(|s| f.write_str(&s.line()))
    }
}

/// Signs `text` with an Ed25519 (type 0x01) key: the signature line to append.
pub fn sign(text: &str, key: &PrivateKey) -> Result<Signature, NoteError> {
    check_text(text)?;
    if key.sig_type != TYPE_ED25519 {
        return Err(NoteError::BadKey(format!(
            "{} is not a note-signing key",
            key.name
        )));
    }
    Ok(Signature {
        name: key.name.clone(),
        id: key.verifier().id,
        bytes: key.sign_bytes(text.as_bytes()).to_vec(),
    })
}

/// A signature of a known key that verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    pub key: VerifierKey,
    /// The cosignature's time (type 0x04 only).
    pub timestamp: Option<u64>,
}

/// Verifies the signatures of `note` made by `known` keys; unknown ones are ignored. Fails if a
/// known key's signature does not verify or if none of the known keys signed.
pub fn open(note: &Note, known: &[VerifierKey]) -> Result<Vec<Verified>, NoteError> {
    let mut out: Vec<Verified> = Vec::new();
    for sig in &note.signatures {
        let Some(key) = known.iter().find(|k| k.name == sig.name && k.id == sig.id) else {
            continue;
        };
        let timestamp = verify_one(&note.text, key, &sig.bytes)?;
        if !out.iter().any(|v| v.key == *key) {
            out.push(Verified {
                key: key.clone(),
                timestamp,
            });
        }
    }
    if out.is_empty() {
        let names: Vec<String> = known.iter().map(|k| k.name.clone()).collect();
        return Err(NoteError::NoKnownSignature(names.join(", ")));
    }
    Ok(out)
}

fn verify_one(text: &str, key: &VerifierKey, bytes: &[u8]) -> Result<Option<u64>, NoteError> {
    let bad = || NoteError::BadSignature(format!("{}+{:08x}", key.name, key.id));
    let (msg, sig, timestamp) = match key.sig_type {
        TYPE_ED25519 => (text.as_bytes().to_vec(), bytes, None),
        _ => {
            if bytes.len() != 72 {
                return Err(bad());
            }
            let t = u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes"));
            let msg = super::cosignature::message(text, t);
            (msg.into_bytes(), &bytes[8..], Some(t))
        }
    };
    let sig: [u8; 64] = sig.try_into().map_err(|_| bad())?;
    key.key
        .verify(&msg, &ed25519_dalek::Signature::from_bytes(&sig))
        .map_err(|_| bad())?;
    Ok(timestamp)
}
