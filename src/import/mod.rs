//! `dualdraw import KIND FILE` and `export KIND`: CSV in, CSV out.
//!
//! An import is one transaction (`DESIGN.md`): rows are parsed and checked as they stream in and
//! written in chunks inside the transaction; if any row is wrong nothing is committed, and every
//! error (the first [`MAX_REPORTED`], and a count) is reported as `FILE:LINE: column: what is
//! wrong`. Re-importing a file changes nothing: rows are upserted on their natural key and only
//! rows whose values differ are written.

pub mod export;
pub mod parse;
pub mod source;
pub mod table;

use crate::credit::rules::RuleTable;
use crate::db::{Db, Sql};
use csv::StringRecord;
use serde::Serialize;
use source::{FieldError, Header, Row};
use sqlx::{AnyConnection, Row as _};
use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use table::{ColType, TableSpec, Target, Value};

/// At most this many errors are listed; the rest are counted.
pub const MAX_REPORTED: usize = 100;
/// Rows per INSERT statement.
const CHUNK: usize = 500;

/// What can be imported and exported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Enterprises,
    CreditRecords,
    Departments,
    Items,
    Inspectors,
    Conflicts,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Departments,
        Kind::Enterprises,
        Kind::Items,
        Kind::Inspectors,
        Kind::Conflicts,
        Kind::CreditRecords,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Enterprises => "enterprises",
            Kind::CreditRecords => "credit-records",
            Kind::Departments => "departments",
            Kind::Items => "items",
            Kind::Inspectors => "inspectors",
            Kind::Conflicts => "conflicts",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn spec(self) -> &'static TableSpec {
        match self {
            Kind::Enterprises => &table::ENTERPRISES,
            Kind::CreditRecords => &table::CREDIT_RECORDS,
            Kind::Departments => &table::DEPARTMENTS,
            Kind::Items => &table::ITEMS,
            Kind::Inspectors => &table::INSPECTORS,
            Kind::Conflicts => &table::CONFLICTS,
        }
    }

    fn parse_row(self, row: &mut Row, rules: &RuleTable) -> Option<Vec<Value>> {
        match self {
            Kind::Enterprises => parse::enterprise(row),
            Kind::CreditRecords => parse::credit_record(row, rules),
            Kind::Departments => parse::department(row),
            Kind::Items => parse::item(row),
            Kind::Inspectors => parse::inspector(row),
            Kind::Conflicts => parse::conflict(row),
        }
    }
}

/// The outcome of a successful import.
#[derive(Clone, Debug, Serialize)]
pub struct ImportReport {
    pub kind: Kind,
    pub file: String,
    pub encoding: String,
    pub rows: u64,
    /// Rows inserted or whose values changed.
    pub written: u64,
    pub unchanged: u64,
    pub ignored_columns: Vec<String>,
}

/// Why an import did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{} error(s) in {file}; nothing was imported", total)]
    Invalid {
        file: String,
        errors: Vec<FieldError>,
        total: usize,
    },
    #[error("cannot read {file}: {message}")]
    Read { file: String, message: String },
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Who imports, when, and with which rule table.
pub struct Context<'a> {
    pub actor: &'a str,
    pub at: &'a str,
    pub rules: &'a RuleTable,
}

/// Imports a whole file in one transaction.
pub async fn import(
    db: &Db,
    kind: Kind,
    input: impl Read + Send + 'static,
    file: &str,
    ctx: &Context<'_>,
) -> Result<ImportReport, ImportError> {
    let mut tx = db.begin().await?;
    let report = import_in(&mut tx, kind, input, file, ctx).await?;
    tx.commit().await?;
    Ok(report)
}

/// Collected errors: the first [`MAX_REPORTED`] and a count.
#[derive(Default)]
struct Errors {
    listed: Vec<FieldError>,
    total: usize,
}

impl Errors {
    fn add(&mut self, errs: impl IntoIterator<Item = FieldError>) {
        for e in errs {
            self.total += 1;
            if self.listed.len() < MAX_REPORTED {
                self.listed.push(e);
            }
        }
    }
}

/// Imports inside the caller's transaction; the caller commits.
pub async fn import_in(
    conn: &mut AnyConnection,
    kind: Kind,
    input: impl Read + Send + 'static,
    file: &str,
    ctx: &Context<'_>,
) -> Result<ImportReport, ImportError> {
    let spec = kind.spec();
    let read_error = |e: std::io::Error| ImportError::Read {
        file: file.to_string(),
        message: e.to_string(),
    };
    let (encoding, reader) = source::decode(input).map_err(read_error)?;
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut records = csv.records();
    let header_record = match records.next() {
        Some(Ok(r)) => r,
        Some(Err(e)) => return Err(invalid(file, vec![csv_error(file, &e)])),
        None => {
            return Err(invalid(
                file,
                vec![located(
                    file,
                    1,
                    "",
                    "the file is empty; expected a header row",
                )],
            ))
        }
    };
    let header =
        Header::map(file, &header_record, spec.columns).map_err(|errs| invalid(file, errs))?;
    let departments = load_departments(conn).await?;
    let mut errors = Errors::default();
    let mut seen: HashMap<u64, u64> = HashMap::new();
    let mut chunk: Vec<(u64, Vec<Value>)> = Vec::with_capacity(CHUNK);
    let (mut rows, mut written) = (0u64, 0u64);
    for result in records {
        let record = match result {
            Ok(r) => r,
            Err(e) => {
                errors.add([csv_error(file, &e)]);
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if is_blank(&record) {
            continue;
        }
        rows += 1;
        if record.len() != header.width {
            errors.add([located(
                file,
                line,
                "",
                &format!(
                    "has {} fields, the header has {}",
                    record.len(),
                    header.width
                ),
            )]);
            continue;
        }
        let mut row = Row::new(file, line, &header, spec.columns, &record);
        let values = kind.parse_row(&mut row, ctx.rules);
        errors.add(row.errors.drain(..));
        let Some(values) = values else { continue };
        if let Some(first) = seen.insert(key_hash(spec, &values), line) {
            let key = spec.key.join(", ");
            errors.add([located(
                file,
                line,
                spec.key[0],
                &format!("same {key} as line {first}"),
            )]);
            continue;
        }
        chunk.push((line, values));
        if chunk.len() == CHUNK {
            written += flush(conn, spec, &mut chunk, &departments, &mut errors, file).await?;
        }
    }
    written += flush(conn, spec, &mut chunk, &departments, &mut errors, file).await?;
    if errors.total > 0 {
        return Err(ImportError::Invalid {
            file: file.to_string(),
            errors: errors.listed,
            total: errors.total,
        });
    }
    let report = ImportReport {
        kind,
        file: file.to_string(),
        encoding: format!("{encoding:?}"),
        rows,
        written,
        unchanged: rows - written,
        ignored_columns: header.ignored.clone(),
    };
    if written > 0 {
        let detail = serde_json::to_value(&report).expect("plain data");
        crate::audit::append(conn, ctx.actor, "import", kind.as_str(), &detail, ctx.at).await?;
    }
    Ok(report)
}

fn invalid(file: &str, errors: Vec<FieldError>) -> ImportError {
    let total = errors.len();
    ImportError::Invalid {
        file: file.to_string(),
        errors,
        total,
    }
}

fn located(file: &str, line: u64, column: &str, message: &str) -> FieldError {
    FieldError {
        file: file.to_string(),
        line,
        column: column.to_string(),
        message: message.to_string(),
    }
}

fn csv_error(file: &str, e: &csv::Error) -> FieldError {
    let line = e.position().map_or(0, |p| p.line());
    let message = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => {
            "not valid UTF-8 (and the file did not look like GB18030)".to_string()
        }
        _ => format!("malformed CSV: {e}"),
    };
    located(file, line, "", &message)
}

fn is_blank(record: &StringRecord) -> bool {
    record.iter().all(|f| f.trim().is_empty())
}

fn key_hash(spec: &TableSpec, values: &[Value]) -> u64 {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for k in spec.key {
        let i = spec
            .columns
            .iter()
            .position(|c| c.name == *k)
            .expect("key column");
        if let Value::Text(s) = &values[i] {
            h.update(s.as_bytes());
        }
        h.update([0u8]);
    }
    u64::from_be_bytes(h.finalize()[..8].try_into().expect("8 bytes"))
}

async fn load_departments(conn: &mut AnyConnection) -> Result<BTreeSet<String>, sqlx::Error> {
    let rows = sqlx::query("SELECT code FROM departments")
        .fetch_all(conn)
        .await?;
    rows.iter().map(|r| r.try_get::<String, _>(0)).collect()
}

/// Checks the chunk's references, then writes it unless any error was seen so far.
async fn flush(
    conn: &mut AnyConnection,
    spec: &TableSpec,
    chunk: &mut Vec<(u64, Vec<Value>)>,
    departments: &BTreeSet<String>,
    errors: &mut Errors,
    file: &str,
) -> Result<u64, sqlx::Error> {
    if chunk.is_empty() {
        return Ok(0);
    }
    for (column, target) in spec.refs {
        let i = spec
            .columns
            .iter()
            .position(|c| c.name == *column)
            .expect("ref column");
        let existing = match target {
            Target::Department => departments.clone(),
            _ => existing_keys(conn, *target, chunk.iter().map(|(_, v)| &v[i])).await?,
        };
        for (line, values) in chunk.iter() {
            if let Value::Text(key) = &values[i] {
                if !existing.contains(key) {
                    let (_, _, kind) = target.table();
                    errors.add([located(
                        file,
                        *line,
                        column,
                        &format!("'{key}' is not in the {kind} directory; import {kind} first"),
                    )]);
                }
            }
        }
    }
    let written = if errors.total == 0 {
        upsert(conn, spec, chunk).await?
    } else {
        0
    };
    chunk.clear();
    Ok(written)
}

async fn existing_keys<'v>(
    conn: &mut AnyConnection,
    target: Target,
    keys: impl Iterator<Item = &'v Value>,
) -> Result<BTreeSet<String>, sqlx::Error> {
    let wanted: BTreeSet<&str> = keys
        .filter_map(|v| match v {
            Value::Text(s) => Some(s.as_str()),
            _ => None,
        })
        .collect();
    let (table, key, _) = target.table();
    let mut q = Sql::new(format!("SELECT {key} FROM {table} WHERE {key} IN ("));
    for (i, k) in wanted.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.bind_text(*k);
    }
    q.push(")");
    let rows = q.query().fetch_all(conn).await?;
    rows.iter().map(|r| r.try_get::<String, _>(0)).collect()
}

/// Inserts new rows and updates changed ones; returns how many were written.
async fn upsert(
    conn: &mut AnyConnection,
    spec: &TableSpec,
    chunk: &[(u64, Vec<Value>)],
) -> Result<u64, sqlx::Error> {
    let names: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
    let mut q = Sql::new(format!(
        "INSERT INTO {} ({}) VALUES ",
        spec.table,
        names.join(", ")
    ));
    for (r, (_, values)) in chunk.iter().enumerate() {
        q.push(if r == 0 { "(" } else { ", (" });
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.bind(v.clone());
        }
        q.push(")");
    }
    let others: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !spec.key.contains(n))
        .collect();
    let set: Vec<String> = others
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    let changed: Vec<String> = others
        .iter()
        .map(|c| format!("{t}.{c} IS DISTINCT FROM excluded.{c}", t = spec.table))
        .collect();
    q.push(&format!(
        " ON CONFLICT ({}) DO UPDATE SET {} WHERE {}",
        spec.key.join(", "),
        set.join(", "),
        changed.join(" OR ")
    ));
    Ok(q.query().execute(conn).await?.rows_affected())
}

/// The column types of a spec, by name (for export).
pub fn column_type(spec: &TableSpec, name: &str) -> ColType {
    let i = spec
        .columns
        .iter()
        .position(|c| c.name == name)
        .expect("column");
    spec.types[i]
}
