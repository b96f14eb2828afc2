//! Row parsers: text of one CSV row into the typed values of one table row, every problem
//! reported against its column. Values are normalized (lists sorted, dates ISO) so that
//! export followed by import changes nothing.

use super::source::{parse_date, parse_flag, split_list, Row};
use super::table::Value;
use crate::credit::record::{RecordKind, RecordStatus};
use crate::credit::rules::RuleTable;
use crate::registry::model::{EnterpriseStatus, IndustryCode, ItemKind, RegionCode};
use dualdraw_solver::{Tier, Uscc};

fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

fn date(d: chrono::NaiveDate) -> Value {
    Value::Text(super::source::iso_date(d))
}

fn flag(b: bool) -> Value {
    Value::Int(b as i64)
}

fn uscc(s: &str) -> Result<Uscc, String> {
    Uscc::parse(s).map_err(|e| e.to_string())
}

/// A short identifier: letters, digits, `-` and `_`, at most 64 characters.
fn code(s: &str) -> Result<String, String> {
    if s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        Ok(s.to_string())
    } else {
        Err(format!(
            "'{s}' is not a code: use letters, digits, '-' and '_' (at most 64)"
        ))
    }
}

fn industries(s: &str) -> Result<String, String> {
    let mut codes = split_list(s)
        .iter()
        .map(|c| IndustryCode::parse(c).map(|c| c.as_str().to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    codes.sort();
    codes.dedup();
    Ok(codes.join(";"))
}

/// Department codes, `;`-joined, sorted and unique (`key_departments`).
fn departments(s: &str) -> Result<String, String> {
    let mut codes = split_list(s)
        .iter()
        .map(|c| code(c))
        .collect::<Result<Vec<_>, _>>()?;
    codes.sort();
    codes.dedup();
    Ok(codes.join(";"))
}

fn normalized_list(s: &str) -> String {
    let mut parts = split_list(s);
    parts.sort();
    parts.dedup();
    parts.join(";")
}

/// Collects the values if every column parsed.
fn all(values: Vec<Option<Value>>) -> Option<Vec<Value>> {
    values.into_iter().collect()
}

pub fn enterprise(row: &mut Row) -> Option<Vec<Value>> {
    let values = vec![
        row.parse("uscc", uscc).map(|u| text(u.as_str())),
        row.required("name").map(text),
        row.parse("region", RegionCode::parse)
            .map(|r| text(r.as_str())),
        row.parse("industry", IndustryCode::parse)
            .map(|i| text(i.as_str())),
        row.parse("registered_on", parse_date).map(date),
        row.optional("status", EnterpriseStatus::parse)
            .map(|s| text(s.unwrap_or(EnterpriseStatus::Operating).as_str())),
        row.parse("base_tier", |s| Tier::parse(s).map_err(|e| e.to_string()))
            .map(|t| text(t.as_str())),
        row.optional("key_supervision", parse_flag)
            .map(|f| flag(f.unwrap_or(false))),
        row.optional("key_departments", departments)
            .map(|d| text(d.unwrap_or_default())),
    ];
    all(values)
}

pub fn department(row: &mut Row) -> Option<Vec<Value>> {
    all(vec![
        row.parse("code", code).map(text),
        row.required("name").map(text),
    ])
}

pub fn item(row: &mut Row) -> Option<Vec<Value>> {
    all(vec![
        row.parse("code", code).map(text),
        row.parse("department", code).map(text),
        row.required("name").map(text),
        row.parse("kind", ItemKind::parse).map(|k| text(k.as_str())),
        row.required("legal_basis").map(text),
        row.optional("industries", industries)
            .map(|i| text(i.unwrap_or_default())),
        Some(text(row.text("specialty"))),
    ])
}

pub fn inspector(row: &mut Row) -> Option<Vec<Value>> {
    let from = row.parse("certificate_valid_from", parse_date);
    let until = row.parse("certificate_valid_until", parse_date);
    if let (Some(f), Some(u)) = (from, until) {
        if u < f {
            row.error(
                "certificate_valid_until",
                format!("{u} is before the start of validity {f}"),
            );
        }
    }
    let capacity = row.parse("capacity", |s| {
        s.parse::<u32>()
            .ok()
            .filter(|c| *c <= 10_000)
            .ok_or_else(|| format!("'{s}' is not a number of inspections per year (0 to 10000)"))
    });
    let values = vec![
        row.parse("id", code).map(text),
        row.required("name").map(text),
        row.parse("department", code).map(text),
        row.parse("region", RegionCode::parse)
            .map(|r| text(r.as_str())),
        row.required("certificate_no").map(text),
        from.map(date),
        until.map(date),
        Some(text(normalized_list(row.text("specialties")))),
        capacity.map(|c| Value::Int(c as i64)),
    ];
    if !row.errors.is_empty() {
        return None;
    }
    all(values)
}

pub fn conflict(row: &mut Row) -> Option<Vec<Value>> {
    all(vec![
        row.parse("inspector", code).map(text),
        row.parse("uscc", uscc).map(|u| text(u.as_str())),
        row.required("reason").map(text),
        row.parse("declared_on", parse_date).map(date),
    ])
}

pub fn credit_record(row: &mut Row, rules: &RuleTable) -> Option<Vec<Value>> {
    let kind = row.parse("kind", RecordKind::parse);
    let decided = row.parse("decided_on", parse_date);
    let min = row.optional("publicity_min_until", parse_date);
    let max = row.optional("publicity_max_until", parse_date);
    let status = row
        .optional("status", RecordStatus::parse)
        .map(|s| s.unwrap_or(RecordStatus::Active));
    let ended = row.optional("ended_on", parse_date);
    let (kind, decided, min, max, status, ended) = (kind?, decided?, min?, max?, status?, ended?);
    let (default_min, default_max) = rules.default_window(kind, decided);
    let (min, max) = (min.unwrap_or(default_min), max.unwrap_or(default_max));
    if min < decided {
        row.error(
            "publicity_min_until",
            format!("{min} is before the decision date {decided}"),
        );
    }
    if max < min {
        row.error(
            "publicity_max_until",
            format!("{max} is before the minimum publicity date {min}"),
        );
    }
    match (status, ended) {
        (RecordStatus::Active, Some(_)) => {
            row.error("ended_on", "must be empty for an active record")
        }
        (RecordStatus::Repaired | RecordStatus::Revoked, None) => row.error(
            "ended_on",
            format!("is required when the status is {}", status.as_str()),
        ),
        (_, Some(e)) if e < decided => row.error(
            "ended_on",
            format!("{e} is before the decision date {decided}"),
        ),
        _ => {}
    }
    let values = vec![
        row.parse("uscc", uscc).map(|u| text(u.as_str())),
        Some(text(kind.as_str())),
        row.parse("department", code).map(text),
        row.required("document_no").map(text),
        Some(date(decided)),
        Some(date(min)),
        Some(date(max)),
        row.optional("early_end_allowed", parse_flag)
            .map(|f| flag(f.unwrap_or(true))),
        Some(text(status.as_str())),
        Some(ended.map_or(Value::Null, date)),
        Some(text(row.text("summary"))),
    ];
    if !row.errors.is_empty() {
        return None;
    }
    all(values)
}
