//! The writing side of an import, chunk by chunk inside the import's transaction.
//!
//! For each chunk one lookup tells, per row, whether an earlier row of the file had the same key
//! (the keys read so far live in a temporary table, so memory stays flat however long the file
//! is) and whether the key is already stored. New rows are then inserted and stored rows whose
//! values differ are updated, with plain statements: cheaper than `ON CONFLICT` upserts on both
//! databases. Nothing is written once an error has been seen; reading goes on to report them all.
//!
//! Statements carry many rows as `VALUES (?, ?), …` on SQLite (anonymous placeholders: numbered
//! ones cost SQLite time quadratic in their number) and `VALUES ($1, $2), …` on PostgreSQL.

use super::reader::located;
use super::table::{TableSpec, Target, Value};
use super::Errors;
use crate::db::{Backend, Bind, Sql};
use sqlx::{AnyConnection, Row as _};
use std::collections::{BTreeMap, BTreeSet};

/// Appends `VALUES (…), (…)`, with the placeholders `q` uses.
fn push_rows<'a>(q: &mut Sql, rows: impl Iterator<Item = &'a [Bind]>) {
    q.push("VALUES ");
    for (r, row) in rows.enumerate() {
        q.push(if r == 0 { "(" } else { ", (" });
        for (i, v) in row.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.bind(v.clone());
        }
        q.push(")");
    }
}

fn column_index(spec: &TableSpec, name: &str) -> usize {
    spec.columns
        .iter()
        .position(|c| c.name == name)
        .unwrap_or_else(|| panic!("{} has no column {name}", spec.table))
}

/// The natural key of a row as one string (parts joined by U+001F).
fn key_text(spec: &TableSpec, values: &[Value]) -> String {
    let parts: Vec<&str> = spec
        .key
        .iter()
        .map(|k| match &values[column_index(spec, k)] {
            Value::Text(s) => s.as_str(),
            _ => "",
        })
        .collect();
    parts.join("\u{1f}")
}

/// Creates (or empties) the temporary table of keys read so far. On SQLite it is a `WITHOUT
/// ROWID` table: one B-tree, keyed by the text, instead of a rowid table and an index on it.
pub(super) async fn start_key_log(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    let without_rowid = if Backend::of(conn) == Backend::Sqlite {
        " WITHOUT ROWID"
    } else {
        ""
    };
    let create = format!(
        "CREATE TEMPORARY TABLE IF NOT EXISTS import_keys (k TEXT NOT NULL PRIMARY KEY, line BIGINT NOT NULL){without_rowid}"
    );
    sqlx::query(&create).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM import_keys")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub(super) async fn load_departments(
    conn: &mut AnyConnection,
) -> Result<BTreeSet<String>, sqlx::Error> {
    let rows = sqlx::query("SELECT code FROM departments")
        .fetch_all(conn)
        .await?;
    rows.iter().map(|r| r.try_get::<String, _>(0)).collect()
}

/// What the lookup says of one row of a chunk; by default, neither seen nor stored.
#[derive(Clone, Default)]
struct Seen {
    /// Line of an earlier row of the file with the same key.
    earlier: Option<i64>,
    /// Whether the key is already stored.
    stored: bool,
}

/// One statement: for each row, an earlier line with its key and whether it is stored; only the
/// rows with either come back, so a fresh import reads nothing back. Both are scalar
/// subqueries, which PostgreSQL answers through the indexes; an `EXISTS` would become
/// a join, planned on statistics that are stale inside a long import.
async fn look_up(
    conn: &mut AnyConnection,
    spec: &TableSpec,
    chunk: &[(u64, Vec<Value>)],
    keys: &[String],
) -> Result<Vec<Seen>, sqlx::Error> {
    let key_columns: Vec<String> = (0..spec.key.len()).map(|i| format!("k{i}")).collect();
    let matches: Vec<String> = spec
        .key
        .iter()
        .zip(&key_columns)
        .map(|(column, v)| format!("t.{column} = v.{v}"))
        .collect();
    let mut q = Sql::for_conn(
        conn,
        format!("WITH v(i, k, {}) AS (", key_columns.join(", ")),
    );
    let rows: Vec<Vec<Bind>> = chunk
        .iter()
        .zip(keys)
        .enumerate()
        .map(|(i, ((_, values), key))| {
            let mut row = vec![Bind::Int(i as i64), Bind::Text(key.clone())];
            row.extend(
                spec.key
                    .iter()
                    .map(|k| values[column_index(spec, k)].clone()),
            );
            row
        })
        .collect();
    push_rows(&mut q, rows.iter().map(Vec::as_slice));
    q.push(&format!(
        ") SELECT i, earlier, stored FROM (SELECT v.i AS i, \
         (SELECT line FROM import_keys WHERE k = v.k) AS earlier, \
         CAST((SELECT COUNT(*) FROM {} t WHERE {}) AS BIGINT) AS stored \
         FROM v) seen WHERE earlier IS NOT NULL OR stored <> 0",
        spec.table,
        matches.join(" AND ")
    ));
    let mut seen = vec![Seen::default(); chunk.len()];
    for r in q.query().fetch_all(&mut *conn).await? {
        seen[r.try_get::<i64, _>(0)? as usize] = Seen {
            earlier: r.try_get::<Option<i64>, _>(1)?,
            stored: r.try_get::<i64, _>(2)? != 0,
        };
    }
    Ok(seen)
}

/// Checks the chunk (repeated keys, references) and writes it unless an error was seen so far;
/// returns how many rows were inserted or changed.
pub(super) async fn flush(
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
    let keys: Vec<String> = chunk.iter().map(|(_, v)| key_text(spec, v)).collect();
    let seen = look_up(conn, spec, chunk, &keys).await?;
    let what = spec.key.join(", ");
    let mut in_chunk: BTreeMap<&str, u64> = BTreeMap::new();
    let (mut fresh, mut stored, mut log) = (Vec::new(), Vec::new(), Vec::new());
    for (((line, values), key), s) in chunk.iter().zip(&keys).zip(seen) {
        let earlier = s
            .earlier
            .map(|l| l as u64)
            .or_else(|| in_chunk.get(key.as_str()).copied());
        if let Some(earlier) = earlier {
            let message = format!("same {what} as line {earlier}");
            errors.add([located(file, *line, spec.key[0], &message)]);
            continue;
        }
        in_chunk.insert(key, *line);
        log.push([Value::Text(key.clone()), Value::Int(*line as i64)]);
        if s.stored {
            stored.push(values);
        } else {
            fresh.push(values);
        }
    }
    if !log.is_empty() {
        let mut q = Sql::for_conn(conn, "INSERT INTO import_keys (k, line) ");
        push_rows(&mut q, log.iter().map(|r| r.as_slice()));
        q.query().execute(&mut *conn).await?;
    }
    check_references(conn, spec, chunk, departments, errors, file).await?;
    let written = if errors.total == 0 {
        insert(conn, spec, &fresh).await? + update(conn, spec, &stored).await?
    } else {
        0
    };
    chunk.clear();
    Ok(written)
}

/// Reports rows that name a department, enterprise or inspector that does not exist.
async fn check_references(
    conn: &mut AnyConnection,
    spec: &TableSpec,
    chunk: &[(u64, Vec<Value>)],
    departments: &BTreeSet<String>,
    errors: &mut Errors,
    file: &str,
) -> Result<(), sqlx::Error> {
    for (column, target) in spec.refs {
        let i = column_index(spec, column);
        let fetched;
        let existing = match target {
            Target::Department | Target::Departments => departments,
            _ => {
                fetched = existing_keys(conn, *target, chunk.iter().map(|(_, v)| &v[i])).await?;
                &fetched
            }
        };
        let (_, _, kind) = target.table();
        for (line, values) in chunk {
            let Value::Text(text) = &values[i] else {
                continue;
            };
            let keys: Vec<&str> = match target {
                Target::Departments => text.split(';').filter(|k| !k.is_empty()).collect(),
                _ => vec![text.as_str()],
            };
            for key in keys.into_iter().filter(|k| !existing.contains(*k)) {
                let message =
                    format!("'{key}' is not in the {kind} directory; import {kind} first");
                errors.add([located(file, *line, column, &message)]);
            }
        }
    }
    Ok(())
}

/// Which of `keys` the target directory has.
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
    let mut q = Sql::for_conn(conn, format!("SELECT {key} FROM {table} WHERE {key} IN ("));
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

fn column_names(spec: &TableSpec) -> Vec<&'static str> {
    spec.columns.iter().map(|c| c.name).collect()
}

/// Inserts rows whose keys are not stored.
async fn insert(
    conn: &mut AnyConnection,
    spec: &TableSpec,
    rows: &[&Vec<Value>],
) -> Result<u64, sqlx::Error> {
    if rows.is_empty() {
        return Ok(0);
    }
    let text = format!(
        "INSERT INTO {} ({}) ",
        spec.table,
        column_names(spec).join(", ")
    );
    let mut q = Sql::for_conn(conn, text);
    push_rows(&mut q, rows.iter().map(|v| v.as_slice()));
    Ok(q.query().execute(conn).await?.rows_affected())
}

/// Updates stored rows whose values differ; returns how many changed.
async fn update(
    conn: &mut AnyConnection,
    spec: &TableSpec,
    rows: &[&Vec<Value>],
) -> Result<u64, sqlx::Error> {
    if rows.is_empty() {
        return Ok(0);
    }
    let names = column_names(spec);
    let others: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !spec.key.contains(n))
        .collect();
    let set: Vec<String> = others.iter().map(|c| format!("{c} = s.{c}")).collect();
    let matches: Vec<String> = spec
        .key
        .iter()
        .map(|k| format!("{t}.{k} = s.{k}", t = spec.table))
        .collect();
    let changed: Vec<String> = others
        .iter()
        .map(|c| format!("{t}.{c} IS DISTINCT FROM s.{c}", t = spec.table))
        .collect();
    let mut q = Sql::for_conn(conn, format!("WITH s({}) AS (", names.join(", ")));
    push_rows(&mut q, rows.iter().map(|v| v.as_slice()));
    q.push(&format!(
        ") UPDATE {} SET {} FROM s WHERE {} AND ({})",
        spec.table,
        set.join(", "),
        matches.join(" AND "),
        changed.join(" OR ")
    ));
    Ok(q.query().execute(conn).await?.rows_affected())
}
