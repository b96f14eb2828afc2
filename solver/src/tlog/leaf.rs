//! Leaves of the draw log (`docs/log.md` §1): one event per leaf, canonical JSON (keys sorted,
//! no whitespace, no final LF).

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;

/// The `format` of every leaf.
pub const FORMAT: &str = "dualdraw-log-1";
/// The largest leaf: entry bundles prefix each leaf with a 16-bit length.
pub const MAX_LEAF: usize = 65_535;

/// The kinds of event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Prepare,
    Replan,
    Run,
    Reveal,
    Abandon,
    Publish,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Prepare,
        Kind::Replan,
        Kind::Run,
        Kind::Reveal,
        Kind::Abandon,
        Kind::Publish,
    ];

    /// The `event` value.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Prepare => "prepare",
            Kind::Replan => "replan",
            Kind::Run => "run",
            Kind::Reveal => "reveal",
            Kind::Abandon => "abandon",
            Kind::Publish => "publish",
        }
    }

    /// The keys an event of this kind has beside the common ones.
    fn keys(self) -> &'static [&'static str] {
        match self {
            Kind::Prepare => &["allow_past_entropy", "method", "sources"],
            Kind::Replan => &["allow_past_entropy", "method", "replaces", "sources"],
            Kind::Run => &["entropy_sha256", "plan_commitment"],
            Kind::Reveal => &["secret"],
            Kind::Abandon => &["reason"],
            Kind::Publish => &["results_sha256"],
        }
    }

    /// Whether this event opens a batch (`prepare` or `replan`).
    pub fn opens(self) -> bool {
        matches!(self, Kind::Prepare | Kind::Replan)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why bytes are not a leaf.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("log leaf: {0}")]
pub struct LeafError(pub String);

/// One parsed event.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub kind: Kind,
    pub jurisdiction: String,
    pub batch: String,
    pub commitment_sha256: String,
    /// Every key of the leaf, the common ones included.
    pub fields: Map<String, Value>,
}

const COMMON: [&str; 5] = [
    "batch",
    "commitment_sha256",
    "event",
    "format",
    "jurisdiction",
];

impl Event {
    /// A new event; `extra` holds exactly the keys of its kind (`docs/log.md` §1).
    pub fn new(
        kind: Kind,
        jurisdiction: &str,
        batch: &str,
        commitment_sha256: &str,
        extra: Map<String, Value>,
    ) -> Result<Event, LeafError> {
        let mut fields = extra;
        fields.insert("batch".into(), json!(batch));
        fields.insert("commitment_sha256".into(), json!(commitment_sha256));
        fields.insert("event".into(), json!(kind.name()));
        fields.insert("format".into(), json!(FORMAT));
        fields.insert("jurisdiction".into(), json!(jurisdiction));
        let e = Event::from_fields(fields)?;
        if e.leaf().len() > MAX_LEAF {
            return Err(LeafError(format!(
                "{} bytes, more than {MAX_LEAF}",
                e.leaf().len()
            )));
        }
        Ok(e)
    }

    /// The leaf bytes.
    pub fn leaf(&self) -> Vec<u8> {
        serde_json::to_vec(&self.fields).expect("JSON values serialize")
    }

    /// Parses leaf bytes, which must be canonical.
    pub fn parse(leaf: &[u8]) -> Result<Event, LeafError> {
        let v: Value =
            serde_json::from_slice(leaf).map_err(|e| LeafError(format!("not JSON: {e}")))?;
        let Value::Object(fields) = v else {
            return Err(LeafError("not a JSON object".into()));
        };
        let e = Event::from_fields(fields)?;
        if e.leaf() != leaf {
            return Err(LeafError("not in canonical form".into()));
        }
        Ok(e)
    }

    fn from_fields(fields: Map<String, Value>) -> Result<Event, LeafError> {
        let s = |k: &str| -> Result<String, LeafError> {
            fields
                .get(k)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| LeafError(format!("'{k}' is missing or not a string")))
        };
        if s("format")? != FORMAT {
            return Err(LeafError(format!("format is not {FORMAT}")));
        }
        let name = s("event")?;
        let kind = Kind::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| LeafError(format!("unknown event '{name}'")))?;
        let mut want: Vec<&str> = COMMON.iter().chain(kind.keys()).copied().collect();
        want.sort_unstable();
        let have: Vec<&str> = fields.keys().map(String::as_str).collect();
        if have != want {
            return Err(LeafError(format!(
                "{name} event has keys {have:?}, expected {want:?}"
            )));
        }
        let commitment_sha256 = s("commitment_sha256")?;
        if !is_hex64(&commitment_sha256) {
            return Err(LeafError("commitment_sha256 is not 64 hex digits".into()));
        }
        Ok(Event {
            kind,
            jurisdiction: s("jurisdiction")?,
            batch: s("batch")?,
            commitment_sha256,
            fields,
        })
    }

    /// A string field, if present.
    pub fn str(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(Value::as_str)
    }
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The extra keys of a `prepare` (or, with `replaces`, a `replan`) event.
pub fn prepare_fields(
    method: &str,
    sources: &Value,
    allow_past_entropy: bool,
    replaces: Option<&str>,
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("allow_past_entropy".into(), json!(allow_past_entropy));
    m.insert("method".into(), json!(method));
    m.insert("sources".into(), sources.clone());
    if let Some(r) = replaces {
        m.insert("replaces".into(), json!(r));
    }
    m
}

/// `plan_commitment` of a `run` event: SHA-256("dualdraw-log-plan" ‖ 0x00 ‖ secret ‖ listing),
/// the listing being `PATH SHA\n` for every file under `plan/` in byte order of its path.
pub fn plan_commitment(secret: &[u8; 32], files: &BTreeMap<String, String>) -> String {
    let mut h = Sha256::new();
    h.update(b"dualdraw-log-plan\0");
    h.update(secret);
    for (path, sha) in files.range("plan/".to_string()..) {
        if !path.starts_with("plan/") {
            break;
        }
        h.update(format!("{path} {sha}\n").as_bytes());
    }
    hex::encode(h.finalize())
}

/// A single-key map, for the events with one extra key.
pub fn one(key: &str, value: Value) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(key.into(), value);
    m
}
