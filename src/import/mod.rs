//! `dualdraw import KIND FILE` and `export KIND`: CSV in, CSV out.
//!
//! An import is one transaction (`docs/architecture.md`): rows are parsed and checked as they stream in and
//! written inside the transaction; if any row is wrong nothing is committed, and every error (the
//! first [`MAX_REPORTED`] by line, and a count) is reported as `FILE:LINE: column: what is
//! wrong`. Re-importing a file changes nothing: rows are upserted on their natural key and only
//! rows whose values differ are written.
//!
//! Two writers, one behaviour: on SQLite (and inside a caller's `Any` transaction) rows are
//! written in chunks (`write`); on PostgreSQL [`import`] streams the file with `COPY` into a
//! staging table and merges it with a few set statements (`copy`).

mod copy;
pub use copy::push_text as push_copy_text;
pub mod export;
pub mod parse;
mod reader;
pub mod source;
pub mod table;
mod write;

use crate::credit::rules::RuleTable;
use crate::db::Db;
use serde::Serialize;
use source::{FieldError, Row};
use sqlx::AnyConnection;
use std::io::Read;
use table::{TableSpec, Value};

/// At most this many errors are listed (those of the first lines); the rest are counted.
pub const MAX_REPORTED: usize = 100;
/// Rows per statement: 2,000 rows of at most 11 columns stay under SQLite's 32,766 and
/// PostgreSQL's 65,535 bound values.
const CHUNK: usize = 2000;

/// What can be imported and exported.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum, Serialize, utoipa::ToSchema,
)]
#[serde(rename_all = "kebab-case")]
#[schema(as = ImportKind)]
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
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
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
    if let Some(conn) = db.pg_connection().await? {
        return copy::import(conn, kind, input, file, ctx).await;
    }
    let mut tx = db.begin().await?;
    sqlx::query(SQLITE_IMPORT_CACHE).execute(&mut *tx).await?;
    let report = import_in(&mut tx, kind, input, file, ctx).await;
    let reset = sqlx::query(SQLITE_DEFAULT_CACHE).execute(&mut *tx).await;
    let report = report?;
    reset?;
    tx.commit().await?;
    Ok(report)
}

/// The page cache of an SQLite import: 64 MiB for the tables and 16 MiB for the keys read so
/// far, whatever the file's size. With the default
/// 2 MiB, a long transaction spills its dirty pages to the log long before it commits.
const SQLITE_IMPORT_CACHE: &str =
    "PRAGMA main.cache_size = -65536; PRAGMA temp.cache_size = -16384";
/// SQLite's default page cache, given back to the pooled connection after the import.
const SQLITE_DEFAULT_CACHE: &str = "PRAGMA main.cache_size = -2000; PRAGMA temp.cache_size = -2000";

/// Collected errors: the [`MAX_REPORTED`] of the first lines and a count. Errors of one line
/// keep the order in which they were found, whichever order the lines were checked in.
#[derive(Default)]
struct Errors {
    listed: Vec<FieldError>,
    total: usize,
}

impl Errors {
    /// `Ok` when nothing was wrong, else every listed error in line order and the count.
    fn finish(mut self, file: &str) -> Result<(), ImportError> {
        if self.total == 0 {
            return Ok(());
        }
        self.keep_first_lines();
        Err(ImportError::Invalid {
            file: file.to_string(),
            errors: self.listed,
            total: self.total,
        })
    }

    fn add(&mut self, errs: impl IntoIterator<Item = FieldError>) {
        for e in errs {
            self.total += 1;
            self.listed.push(e);
            if self.listed.len() == 2 * MAX_REPORTED {
                self.keep_first_lines();
            }
        }
    }

    /// Sorts by line (stable: one line's errors stay in order) and keeps the first.
    fn keep_first_lines(&mut self) {
        self.listed.sort_by_key(|e| e.line);
        self.listed.truncate(MAX_REPORTED);
    }
}

/// The report of an import that wrote `written` rows.
fn report(kind: Kind, file: &str, summary: reader::Summary, written: u64) -> ImportReport {
    ImportReport {
        kind,
        file: file.to_string(),
        encoding: format!("{:?}", summary.encoding),
        rows: summary.rows,
        written,
        unchanged: summary.rows - written,
        ignored_columns: summary.ignored_columns,
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
    let (sender, mut batches) = tokio::sync::mpsc::channel(4);
    let reader = {
        let (file, rules) = (file.to_string(), ctx.rules.clone());
        tokio::task::spawn_blocking(move || {
            reader::read(kind, input, &file, &rules, |b| {
                sender.blocking_send(b).is_ok()
            })
        })
    };
    let departments = write::load_departments(conn).await?;
    write::start_key_log(conn).await?;
    let mut errors = Errors::default();
    let mut written = 0u64;
    while let Some(mut batch) = batches.recv().await {
        errors.add(batch.errors.drain(..));
        written +=
            write::flush(conn, spec, &mut batch.rows, &departments, &mut errors, file).await?;
    }
    let summary = reader.await.map_err(|e| ImportError::Read {
        file: file.to_string(),
        message: format!("reader failed: {e}"),
    })??;
    errors.finish(file)?;
    let report = report(kind, file, summary, written);
    if written > 0 {
        let detail = serde_json::to_value(&report).expect("plain data");
        crate::audit::append(conn, ctx.actor, "import", kind.as_str(), &detail, ctx.at).await?;
    }
    Ok(report)
}

/// Reads a whole file of `kind` without a database, calling `row` for each valid row (values in
/// the kind's column order). Blocking. Errors as for imports.
pub fn read_rows(
    kind: Kind,
    input: impl Read + Send + 'static,
    file: &str,
    rules: &RuleTable,
    mut row: impl FnMut(Vec<Value>),
) -> Result<(), ImportError> {
    let mut errors = Errors::default();
    reader::read(kind, input, file, rules, |batch| {
        errors.add(batch.errors);
        if errors.total == 0 {
            batch.rows.into_iter().for_each(|(_, v)| row(v));
        }
        true
    })?;
    errors.finish(file)
}
