//! The PostgreSQL writer of an import, on the native driver, inside the import's one transaction.
//!
//! The reader thread parses the file and encodes its rows in `COPY`'s text format; the whole file
//! streams with one `COPY … FROM STDIN` into a temporary staging table (dropped at the end of the
//! transaction, so a killed import leaves nothing). Then set statements do what the chunked
//! writer does row by row: report repeated keys ("same uscc as line 7") and references to
//! missing rows, update the stored rows whose values differ and insert the new ones in file
//! order. Statements of thousands of bound values kept PostgreSQL busy parsing and looking up
//! per row while the client waited; `COPY` and two joins do the same work in bulk.

use super::reader::{self, located};
use super::table::{TableSpec, Target, Value};
use super::{report, Context, Errors, ImportError, ImportReport, Kind};
use crate::audit;
use sqlx::postgres::PgConnection;
use sqlx::{Connection, Row as _};
use std::io::Read;

/// The staging table: `line` and the kind's columns, typed as in the target table.
const STAGE: &str = "import_stage";

/// Imports that write at least this many rows refresh the table's statistics.
const ANALYZE_AFTER: u64 = 10_000;

/// Imports a whole file in one transaction of its own, on a connection of its own.
pub(super) async fn import(
    mut conn: PgConnection,
    kind: Kind,
    input: impl Read + Send + 'static,
    file: &str,
    ctx: &Context<'_>,
) -> Result<ImportReport, ImportError> {
    let spec = kind.spec();
    let mut tx = conn.begin().await?;
    // The checks hash every key of the file; keep a million of them in memory.
    sqlx::query("SET LOCAL work_mem = '256MB'")
        .execute(&mut *tx)
        .await?;
    create_stage(&mut tx, spec).await?;
    let mut errors = Errors::default();
    let summary = stream(&mut tx, kind, input, file, ctx, &mut errors).await?;
    duplicates(&mut tx, spec, &mut errors, file).await?;
    references(&mut tx, spec, &mut errors, file).await?;
    errors.finish(file)?;
    let written = update(&mut tx, spec).await? + insert(&mut tx, spec).await?;
    if written >= ANALYZE_AFTER {
        // The planner's statistics, committed with the rows (autovacuum may be off, or late).
        sqlx::query(&format!("ANALYZE {}", spec.table))
            .execute(&mut *tx)
            .await?;
    }
    let report = report(kind, file, summary, written);
    if written > 0 {
        let detail = serde_json::to_value(&report).expect("plain data");
        audit::append_pg(&mut tx, ctx.actor, "import", kind.as_str(), &detail, ctx.at).await?;
    }
    tx.commit().await?;
    conn.close().await?;
    Ok(report)
}

fn column_names(spec: &TableSpec) -> Vec<&'static str> {
    spec.columns.iter().map(|c| c.name).collect()
}

/// Creates the staging table; it goes with the transaction, committed or not.
async fn create_stage(conn: &mut PgConnection, spec: &TableSpec) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "CREATE TEMPORARY TABLE {STAGE} ON COMMIT DROP AS \
         SELECT CAST(0 AS BIGINT) AS line, {} FROM {} WITH NO DATA",
        column_names(spec).join(", "),
        spec.table
    ))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Reads the file on a thread of its own and copies its rows into the staging table as they
/// come; parse errors go to `errors`.
async fn stream(
    conn: &mut PgConnection,
    kind: Kind,
    input: impl Read + Send + 'static,
    file: &str,
    ctx: &Context<'_>,
    errors: &mut Errors,
) -> Result<reader::Summary, ImportError> {
    let spec = kind.spec();
    let (sender, mut batches) = tokio::sync::mpsc::channel(4);
    let reader = {
        let (file, rules) = (file.to_string(), ctx.rules.clone());
        tokio::task::spawn_blocking(move || {
            reader::read(kind, input, &file, &rules, |b| {
                let mut data = Vec::with_capacity(b.rows.len() * 160);
                for (line, values) in &b.rows {
                    encode_row(&mut data, *line, values);
                }
                sender.blocking_send((data, b.errors)).is_ok()
            })
        })
    };
    let statement = format!(
        "COPY {STAGE} (line, {}) FROM STDIN",
        column_names(spec).join(", ")
    );
    let mut copy = conn.copy_in_raw(&statement).await?;
    while let Some((data, batch_errors)) = batches.recv().await {
        errors.add(batch_errors);
        if !data.is_empty() {
            copy.send(data).await?;
        }
    }
    copy.finish().await?;
    reader.await.map_err(|e| ImportError::Read {
        file: file.to_string(),
        message: format!("reader failed: {e}"),
    })?
}

/// One row in `COPY`'s text format: fields separated by tabs, `\N` for null, backslash escapes.
fn encode_row(out: &mut Vec<u8>, line: u64, values: &[Value]) {
    out.extend_from_slice(line.to_string().as_bytes());
    for v in values {
        out.push(b'\t');
        match v {
            Value::Null => out.extend_from_slice(b"\\N"),
            Value::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
            Value::Text(s) => push_text(out, s),
        }
    }
    out.push(b'\n');
}

/// A text field in `COPY`'s text format: backslash, tab, newline and carriage return escaped
/// with a backslash (PostgreSQL's documentation of `COPY`, "Text Format"); every other byte as
/// it is.
pub fn push_text(out: &mut Vec<u8>, s: &str) {
    let mut rest = s.as_bytes();
    // Most texts have nothing to escape: they are copied whole, up to each byte that has.
    while let Some(k) = rest
        .iter()
        .position(|b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r'))
    {
        out.extend_from_slice(&rest[..k]);
        out.extend_from_slice(match rest[k] {
            b'\\' => b"\\\\",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            _ => b"\\r",
        });
        rest = &rest[k + 1..];
    }
    out.extend_from_slice(rest);
}

/// `s.a = t.a AND s.b = t.b` over the key.
fn key_match(spec: &TableSpec, s: &str, t: &str) -> String {
    spec.key
        .iter()
        .map(|k| format!("{s}.{k} = {t}.{k}"))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// Every row whose key an earlier row of the file had, as "same KEY as line N" with the first
/// such line, in line order.
async fn duplicates(
    conn: &mut PgConnection,
    spec: &TableSpec,
    errors: &mut Errors,
    file: &str,
) -> Result<(), sqlx::Error> {
    let key = spec.key.join(", ");
    // Counting distinct keys sorts them, twice as fast as the grouping that finds the lines.
    let repeated: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) - COUNT(DISTINCT ({key})) FROM {STAGE}"
    ))
    .fetch_one(&mut *conn)
    .await?;
    if repeated == 0 {
        return Ok(());
    }
    let sql = format!(
        "SELECT s.line, d.first FROM {STAGE} s JOIN \
         (SELECT {key}, MIN(line) AS first FROM {STAGE} GROUP BY {key} HAVING COUNT(*) > 1) d \
         ON {} WHERE s.line <> d.first ORDER BY s.line",
        key_match(spec, "s", "d")
    );
    let message = |first: i64| format!("same {} as line {first}", spec.key.join(", "));
    for row in sqlx::query(&sql).fetch_all(&mut *conn).await? {
        let (line, first): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
        errors.add([located(file, line as u64, spec.key[0], &message(first))]);
    }
    Ok(())
}

/// Every row that names a department, enterprise or inspector that does not exist.
async fn references(
    conn: &mut PgConnection,
    spec: &TableSpec,
    errors: &mut Errors,
    file: &str,
) -> Result<(), sqlx::Error> {
    for (column, target) in spec.refs {
        let (table, key, kind) = target.table();
        // A list column names each of its `;`-joined codes.
        let named = match target {
            Target::Departments => format!(
                "SELECT st.line, v.code FROM {STAGE} st \
                 CROSS JOIN LATERAL unnest(string_to_array(st.{column}, ';')) AS v(code) \
                 WHERE v.code <> ''"
            ),
            _ => format!("SELECT line, {column} AS code FROM {STAGE}"),
        };
        let sql = format!(
            "SELECT s.line, s.code FROM ({named}) s WHERE s.code IS NOT NULL AND NOT EXISTS \
             (SELECT 1 FROM {table} t WHERE t.{key} = s.code) ORDER BY s.line, s.code COLLATE \"C\""
        );
        for row in sqlx::query(&sql).fetch_all(&mut *conn).await? {
            let (line, value): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
            let message = format!("'{value}' is not in the {kind} directory; import {kind} first");
            errors.add([located(file, line as u64, column, &message)]);
        }
    }
    Ok(())
}

/// Updates the stored rows whose values differ from the staged ones; returns how many changed.
async fn update(conn: &mut PgConnection, spec: &TableSpec) -> Result<u64, sqlx::Error> {
    let others: Vec<&str> = column_names(spec)
        .into_iter()
        .filter(|n| !spec.key.contains(n))
        .collect();
    let set: Vec<String> = others.iter().map(|c| format!("{c} = s.{c}")).collect();
    let changed: Vec<String> = others
        .iter()
        .map(|c| format!("t.{c} IS DISTINCT FROM s.{c}"))
        .collect();
    let sql = format!(
        "UPDATE {} AS t SET {} FROM {STAGE} s WHERE {} AND ({})",
        spec.table,
        set.join(", "),
        key_match(spec, "t", "s"),
        changed.join(" OR ")
    );
    Ok(sqlx::query(&sql).execute(conn).await?.rows_affected())
}

/// Inserts the staged rows whose keys are not stored, in file order (which numbers generated
/// ids as the chunked writer does).
async fn insert(conn: &mut PgConnection, spec: &TableSpec) -> Result<u64, sqlx::Error> {
    let names = column_names(spec).join(", ");
    let sql = format!(
        "INSERT INTO {table} ({names}) SELECT {names} FROM {STAGE} s \
         WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {}) ORDER BY s.line",
        key_match(spec, "t", "s"),
        table = spec.table,
    );
    Ok(sqlx::query(&sql).execute(conn).await?.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_rows_in_copy_text_format() {
        let mut out = Vec::new();
        let values = [
            Value::Text("a\tb\\c\nd\re".into()),
            Value::Int(-3),
            Value::Null,
            Value::Text("企业".into()),
        ];
        encode_row(&mut out, 7, &values);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "7\ta\\tb\\\\c\\nd\\re\t-3\t\\N\t企业\n"
        );
    }

    #[test]
    fn escapes_every_special_byte_wherever_it_stands() {
        // Every text of up to four characters over an alphabet of the four escaped bytes, a
        // plain one and a Chinese one, against the byte-by-byte rule.
        let alphabet = ['\\', '\t', '\n', '\r', 'a', '企'];
        let mut texts = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = texts
                .iter()
                .filter(|t| t.chars().count() == texts.last().unwrap().chars().count())
                .flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}")))
                .collect();
            texts.extend(longer);
        }
        assert_eq!(texts.len(), 1 + 6 + 36 + 216 + 1296);
        for text in &texts {
            let mut expected = Vec::new();
            for &b in text.as_bytes() {
                match b {
                    b'\\' => expected.extend_from_slice(b"\\\\"),
                    b'\t' => expected.extend_from_slice(b"\\t"),
                    b'\n' => expected.extend_from_slice(b"\\n"),
                    b'\r' => expected.extend_from_slice(b"\\r"),
                    _ => expected.push(b),
                }
            }
            let mut out = b"x".to_vec();
            push_text(&mut out, text);
            assert_eq!(&out[1..], expected.as_slice(), "{text:?}");
        }
    }
}
