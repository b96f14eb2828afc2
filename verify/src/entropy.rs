//! The public entropy (`docs/draw-protocol.md` §4): each declared source's value parsed and
//! checked — lottery integers, or a drand round verified offline against its pinned chain key —
//! and `entropy.json` checked against the declaration. `dualdraw draw run` parses what the
//! operator types with [`entropy_value`]; verification re-parses what `entropy.json` records
//! with the same function, so whatever a run accepts, verification accepts.

use crate::difference::Difference;
use dualdraw_solver::drand::{self, Beacon, Chain};
use dualdraw_solver::seed::{entropy_string, EntropyValue};
use dualdraw_solver::timing::Source;
use serde_json::{json, Value as Json};

/// The public value of one declared source, checked: lottery integers (separated by spaces or
/// commas), or a drand beacon `SIGNATURE[:PREVIOUS_SIGNATURE]` in hex. Returns the value and the
/// source's record for `entropy.json`; the error is a sentence naming the source.
pub fn entropy_value(source: &Json, value: &str) -> Result<(EntropyValue, Json), String> {
    let mut record = source.clone();
    match source["kind"].as_str() {
        Some("lottery") => {
            let numbers = value
                .split([' ', ','])
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.parse::<u64>().map_err(|_| {
                        format!(
                            "entropy for {}: '{s}' is not a non-negative integer",
                            source["name"]
                        )
                    })
                })
                .collect::<Result<Vec<u64>, _>>()?;
            if numbers.is_empty() {
                return Err(format!("entropy for {}: no numbers given", source["name"]));
            }
            record["values"] = json!(numbers);
            Ok((EntropyValue::Numbers(numbers), record))
        }
        Some("drand") => {
            let chain =
                Chain::parse(source["chain"].as_str().unwrap_or("")).map_err(|e| e.to_string())?;
            let round = source["round"]
                .as_u64()
                .ok_or_else(|| "drand source without a round".to_string())?;
            let (sig, prev) = match value.split_once(':') {
                Some((s, p)) => (s, Some(p)),
                None => (value, None),
            };
            let decode = |h: &str| {
                hex::decode(h.trim()).map_err(|_| format!("drand round {round}: '{h}' is not hex"))
            };
            let beacon = Beacon {
                round,
                signature: decode(sig)?,
                previous_signature: prev.map(decode).transpose()?,
            };
            let randomness =
                drand::verify(chain, &beacon).map_err(|e| format!("drand round {round}: {e}"))?;
            record["signature"] = json!(hex::encode(&beacon.signature));
            if let Some(p) = &beacon.previous_signature {
                record["previous_signature"] = json!(hex::encode(p));
            }
            record["randomness"] = json!(hex::encode(randomness));
            Ok((EntropyValue::Drand(randomness), record))
        }
        _ => Err(format!("unknown entropy source {source}")),
    }
}

/// Checks `entropy.json` against the commitment's declared sources (drand rounds against the
/// pinned keys); returns the canonical entropy string.
pub fn check_entropy(commitment: &Json, entropy: &Json) -> Result<String, Difference> {
    const FILE: &str = "entropy.json";
    let sources = commitment["sources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let records = entropy["sources"].as_array().cloned().unwrap_or_default();
    if records.len() != sources.len() {
        return Err(Difference::in_field(
            FILE,
            "sources",
            "not one value per declared source",
        ));
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
        let (value, recomputed) = entropy_value(declared, &given)
            .map_err(|e| Difference::in_field(FILE, "sources", e))?;
        if &recomputed != record {
            return Err(Difference::in_field(
                FILE,
                "sources",
                format!("source {declared} does not match its declaration or its verified values"),
            ));
        }
        values.push(value);
    }
    let text = entropy_string(&values);
    if entropy["string"].as_str() != Some(text.as_str()) {
        return Err(Difference::in_field(
            FILE,
            "string",
            format!("string is not the canonical `{text}`"),
        ));
    }
    Ok(text)
}

/// The timing view of a commitment's `sources` (`docs/log.md` §7.1): when each may be public.
pub fn sources(declared: &Json) -> Result<Vec<Source>, String> {
    let list = declared.as_array().cloned().unwrap_or_default();
    list.iter()
        .map(|s| match s["kind"].as_str() {
            Some("drand") => {
                let chain =
                    Chain::parse(s["chain"].as_str().unwrap_or("")).map_err(|e| e.to_string())?;
                let round = s["round"]
                    .as_u64()
                    .ok_or("a drand source without a round")?;
                Ok(Source::Drand { chain, round })
            }
            Some("lottery") => {
                let date = s["date"].as_str().unwrap_or("");
                let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
                    .map_err(|_| format!("lottery date '{date}' is not YYYY-MM-DD"))?;
                Ok(Source::Lottery { date })
            }
            _ => Err(format!("unknown source {s}")),
        })
        .collect()
}
