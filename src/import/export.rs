//! `dualdraw export KIND`: the table as CSV, UTF-8, LF, canonical English headers, sorted by
//! key — exactly what `import` reads back without a change.

use super::table::ColType;
use super::Kind;
use crate::db::Backend;
use futures_util::TryStreamExt;
use sqlx::{AnyConnection, Row};
use std::io::Write;

/// The size of the pieces [`export_chunks`] hands over.
pub const CHUNK_BYTES: usize = 64 << 10;

/// Writes the whole table; returns the number of rows.
pub async fn export(
    conn: &mut AnyConnection,
    backend: Backend,
    kind: Kind,
    mut out: impl Write,
) -> anyhow::Result<u64> {
    let count = export_chunks(conn, backend, kind, |chunk| {
        std::future::ready(out.write_all(&chunk).map_err(anyhow::Error::from))
    })
    .await?;
    out.flush()?;
    Ok(count)
}

fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::with_capacity(CHUNK_BYTES + 8192))
}

/// Streams the whole table as pieces of about [`CHUNK_BYTES`] to `emit`, so the file is never
/// held whole (the HTTP export sends each piece as it comes); returns the number of rows.
pub async fn export_chunks<F, Fut>(
    conn: &mut AnyConnection,
    backend: Backend,
    kind: Kind,
    mut emit: F,
) -> anyhow::Result<u64>
where
    F: FnMut(Vec<u8>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let spec = kind.spec();
    let names: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
    let mut w = writer();
    w.write_record(&names)?;
    // Byte order on both databases, whatever PostgreSQL's locale is.
    let collate = match backend {
        Backend::Sqlite => "",
        Backend::Postgres => " COLLATE \"C\"",
    };
    let order: Vec<String> = spec.key.iter().map(|k| format!("{k}{collate}")).collect();
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {}",
        names.join(", "),
        spec.table,
        order.join(", ")
    );
    let mut rows = sqlx::query(&sql).fetch(conn);
    let mut count = 0;
    let mut fields: Vec<String> = Vec::with_capacity(names.len());
    while let Some(row) = rows.try_next().await? {
        fields.clear();
        for (i, ty) in spec.types.iter().enumerate() {
            fields.push(match ty {
                ColType::Text => row.try_get::<String, _>(i)?,
                ColType::OptText => row.try_get::<Option<String>, _>(i)?.unwrap_or_default(),
                ColType::Int => row.try_get::<i64, _>(i)?.to_string(),
                ColType::Flag => (row.try_get::<i64, _>(i)? != 0).to_string(),
            });
        }
        w.write_record(&fields)?;
        count += 1;
        if w.get_ref().len() >= CHUNK_BYTES {
            emit(std::mem::replace(&mut w, writer()).into_inner()?).await?;
        }
    }
    let rest = w.into_inner()?;
    if !rest.is_empty() {
        emit(rest).await?;
    }
    Ok(count)
}
