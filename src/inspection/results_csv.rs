//! Bulk entry of results (`docs/results.md` §3): a CSV file, UTF-8 or GB18030 (detected as
//! for every import, `docs/import-formats.md`), English or Chinese headers, one row per result.
//! The file is read as a stream, a thousand rows at a time: each stretch's jobs and teams are
//! read in one query each, its rows checked exactly as the API checks one result, and written
//! with multi-row INSERTs — all in ONE transaction, so a bad row anywhere leaves nothing
//! written. Every error is reported `FILE:LINE: column: what is wrong` (the first 100).

use super::jobs::tuple;
use super::jobs::{Job, Member, JOB_COLUMNS};
use super::results::{check, Checked, Context, NewResult};
use super::{day, InspectionError};
use crate::auth::{Principal, Role};
use crate::db::Db;
use crate::db::{Bind, Sql};
use crate::import::source::{self, Column, FieldError, Header, Row};
use chrono::NaiveDate;
use sqlx::AnyConnection;
use std::collections::{BTreeMap, HashSet};
use std::io::Read;

/// The columns of a results file.
pub const COLUMNS: &[Column] = &[
    Column {
        name: "batch",
        aliases: &["抽查批次", "批次"],
        required: true,
    },
    Column {
        name: "visit",
        aliases: &["检查编号", "检查对象编号"],
        required: true,
    },
    Column {
        name: "department",
        aliases: &["部门代码", "检查部门"],
        required: true,
    },
    Column {
        name: "inspector",
        aliases: &["检查人员编号", "录入人员编号", "执法人员编号"],
        required: true,
    },
    Column {
        name: "checked_on",
        aliases: &["检查日期"],
        required: true,
    },
    Column {
        name: "method",
        aliases: &["检查方式"],
        required: true,
    },
    Column {
        name: "results",
        aliases: &["检查结果"],
        required: true,
    },
    Column {
        name: "follow_up",
        aliases: &["后续处置", "处置措施"],
        required: false,
    },
    Column {
        name: "follow_up_done_on",
        aliases: &["处置完结日期", "完结日期"],
        required: false,
    },
];

const CHUNK: usize = 1000;
const MAX_ERRORS: usize = 100;

/// What an import did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Imported {
    pub file: String,
    pub results: u64,
    pub proposals: u64,
}

struct Pending {
    line: u64,
    batch: String,
    visit: String,
    department: String,
    inspector: String,
    /// `ITEM=CATEGORY;…`, or one category for every item of the job.
    results: String,
    new: NewResult,
}

/// A stretch of parsed rows and the errors found while parsing it.
struct Stretch {
    rows: Vec<Pending>,
    errors: Vec<FieldError>,
}

/// Imports of at least this many results refresh PostgreSQL's planner statistics.
const ANALYZE_AFTER: u64 = 10_000;

/// Imports a results file for `p` (a department officer for its own department, or an admin).
pub async fn import(
    db: &Db,
    p: &Principal,
    file: &str,
    input: impl Read + Send + 'static,
    today: NaiveDate,
) -> Result<Imported, InspectionError> {
    if !matches!(p.role, Role::Admin | Role::Department) {
        return Err(InspectionError::forbidden(
            "forbidden",
            format!("role {} does not import results", p.role),
        ));
    }
    let at = crate::clock::now();
    let located = |line: u64, column: &str, message: String| FieldError {
        file: file.to_string(),
        line,
        column: column.to_string(),
        message,
    };
    // The file is parsed on its own thread and handed over a stretch at a time, so parsing
    // overlaps the database's work and memory stays flat.
    let (sender, mut stretches) = tokio::sync::mpsc::channel::<Stretch>(2);
    let (name, written_tx) = (file.to_string(), tokio::sync::oneshot::channel());
    let (written_sender, written_receiver) = written_tx;
    let reader = tokio::task::spawn_blocking(move || parse(&name, input, sender, written_sender));
    let mut tx = db.begin().await?;
    let ctx = Context::load(&mut tx, today).await?;
    let mut errors: Vec<FieldError> = Vec::new();
    let mut seen: HashSet<i64> = HashSet::new();
    let (mut results, mut proposals) = (0u64, 0u64);
    let mut written: BTreeMap<&str, String> = BTreeMap::new();
    let mut names = Some(written_receiver);
    while let Some(mut stretch) = stretches.recv().await {
        if let Some(r) = names.take() {
            written = r.await.unwrap_or_default();
        }
        errors.append(&mut stretch.errors);
        if stretch.rows.is_empty() {
            continue;
        }
        let jobs = jobs_of(&mut tx, &stretch.rows).await?;
        let members = members_of(&mut tx, jobs.values().map(|j| j.id).collect()).await?;
        let mut good: Vec<(&Job, Checked)> = Vec::new();
        for row in &mut stretch.rows {
            let col = |name: &str| {
                written
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| name.to_string())
            };
            let Some(job) =
                jobs.get(&(row.batch.clone(), row.visit.clone(), row.department.clone()))
            else {
                errors.push(located(
                    row.line,
                    &col("visit"),
                    format!(
                        "not_in_plan: no visit {} with department {} in batch {}",
                        row.visit, row.department, row.batch
                    ),
                ));
                continue;
            };
            if !p.acts_for_department(&job.department) {
                errors.push(located(
                    row.line,
                    &col("department"),
                    format!(
                        "not_your_department: {} may import only for its own department",
                        p.actor()
                    ),
                ));
                continue;
            }
            if !job.state().is_open() || !seen.insert(job.id) {
                let why = if job.state() == super::jobs::JobState::NotCarriedOut {
                    "wrong_state: the job was not carried out"
                } else {
                    "duplicate_result: this visit and department already has a result"
                };
                errors.push(located(row.line, &col("visit"), why.to_string()));
                continue;
            }
            row.new.items = item_results(&row.results, job);
            let team = members.get(&job.id).map(Vec::as_slice).unwrap_or(&[]);
            match check(job, team, &row.inspector, &row.new, &ctx) {
                Ok(c) => good.push((job, c)),
                Err(refusals) => {
                    for r in refusals {
                        let column = match r.field {
                            "items" => "results",
                            f => f,
                        };
                        errors.push(located(
                            row.line,
                            &col(column),
                            format!("{}: {}", r.code, r.message),
                        ));
                    }
                }
            }
        }
        if errors.len() >= MAX_ERRORS {
            break;
        }
        if errors.is_empty() && !good.is_empty() {
            proposals += write(&mut tx, &good, &p.actor(), &at).await?;
            results += good.len() as u64;
        }
    }
    drop(stretches);
    match reader.await {
        Ok(Ok(())) => {}
        Ok(Err(mut e)) => errors.append(&mut e),
        Err(e) => errors.push(located(0, "", format!("reading failed: {e}"))),
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        errors.truncate(MAX_ERRORS);
        return Err(InspectionError::File(errors));
    }
    if db.backend == crate::db::Backend::Postgres && results >= ANALYZE_AFTER {
        // Fresh statistics, committed with the rows: with the planner's old ones a lookup by
        // USCC was estimated at thousands of rows and ran as a parallel scan (p99 173 ms at
        // 1,000,000 results; docs/benchmarks.md). Autovacuum may be off, or late.
        for table in ["inspection_results", "inspection_jobs"] {
            sqlx::query(&format!("ANALYZE {table}"))
                .execute(&mut *tx)
                .await?;
        }
    }
    let detail = serde_json::json!({ "file": file, "results": results, "proposals": proposals });
    crate::audit::append(&mut tx, &p.actor(), "inspection.import", file, &detail, &at).await?;
    tx.commit().await?;
    Ok(Imported {
        file: file.to_string(),
        results,
        proposals,
    })
}

/// Parses the file into stretches of [`CHUNK`] rows (blocking: runs on its own thread). A
/// header error, or a file that cannot be decoded, is returned; row errors travel with rows.
fn parse(
    file: &str,
    input: impl Read + Send + 'static,
    sender: tokio::sync::mpsc::Sender<Stretch>,
    names: tokio::sync::oneshot::Sender<BTreeMap<&'static str, String>>,
) -> Result<(), Vec<FieldError>> {
    let located = |line: u64, column: &str, message: String| FieldError {
        file: file.to_string(),
        line,
        column: column.to_string(),
        message,
    };
    let (_, reader) = source::decode(input).map_err(|e| vec![located(0, "", e.to_string())])?;
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut records = csv.records();
    let header_record = match records.next() {
        Some(Ok(r)) => r,
        Some(Err(e)) => return Err(vec![located(1, "", format!("malformed CSV: {e}"))]),
        None => {
            return Err(vec![located(
                1,
                "",
                "the file is empty; expected a header row".into(),
            )])
        }
    };
    let header = Header::map(file, &header_record, COLUMNS)?;
    let _ = names.send(
        COLUMNS
            .iter()
            .map(|c| (c.name, column_name(&header_record, c)))
            .collect(),
    );
    let mut stretch = Stretch {
        rows: Vec::with_capacity(CHUNK),
        errors: Vec::new(),
    };
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                stretch
                    .errors
                    .push(located(line, "", format!("malformed CSV: {e}")));
                continue;
            }
        };
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != header.width {
            stretch.errors.push(located(
                line,
                "",
                format!(
                    "the row has {} fields, the header has {}",
                    record.len(),
                    header.width
                ),
            ));
            continue;
        }
        let mut row = Row::new(file, line, &header, COLUMNS, &record);
        let fields = (
            row.required("batch"),
            row.required("visit"),
            row.required("department"),
            row.required("inspector"),
            row.required("checked_on"),
            row.required("method"),
            row.required("results"),
        );
        stretch.errors.append(&mut row.errors);
        if let (
            Some(batch),
            Some(visit),
            Some(department),
            Some(inspector),
            Some(checked_on),
            Some(method),
            Some(results),
        ) = fields
        {
            let new = NewResult {
                inspector: Some(inspector.clone()),
                checked_on,
                method,
                items: BTreeMap::new(),
                follow_up: row.text("follow_up").to_string(),
                follow_up_done_on: Some(row.text("follow_up_done_on").to_string()),
                reason: None,
            };
            stretch.rows.push(Pending {
                line,
                batch,
                visit,
                department,
                inspector,
                results,
                new,
            });
        }
        if stretch.rows.len() == CHUNK {
            let full = std::mem::replace(
                &mut stretch,
                Stretch {
                    rows: Vec::with_capacity(CHUNK),
                    errors: Vec::new(),
                },
            );
            if sender.blocking_send(full).is_err() {
                return Ok(());
            }
        }
    }
    let _ = sender.blocking_send(stretch);
    Ok(())
}

fn column_name(header: &csv::StringRecord, c: &Column) -> String {
    header
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}'))
        .find(|h| *h == c.name || c.aliases.contains(h))
        .unwrap_or(c.name)
        .to_string()
}

/// `ITEM=CATEGORY;…` as a map; a lone category stands for every item of the job.
fn item_results(text: &str, job: &Job) -> BTreeMap<String, String> {
    if !text.contains('=') {
        return job
            .items()
            .into_iter()
            .map(|i| (i, text.trim().to_string()))
            .collect();
    }
    source::split_list(text)
        .iter()
        .map(|part| match part.split_once('=') {
            Some((i, c)) => (i.trim().to_string(), c.trim().to_string()),
            None => (String::new(), part.to_string()),
        })
        .collect()
}

async fn jobs_of(
    conn: &mut AnyConnection,
    rows: &[Pending],
) -> Result<BTreeMap<(String, String, String), Job>, sqlx::Error> {
    let mut by_batch: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for r in rows {
        by_batch.entry(&r.batch).or_default().push(&r.visit);
    }
    let mut out = BTreeMap::new();
    for (batch, mut visits) in by_batch {
        visits.sort_unstable();
        visits.dedup();
        let mut q = Sql::for_conn(
            conn,
            format!("SELECT {JOB_COLUMNS} FROM inspection_jobs WHERE batch = "),
        );
        q.bind_text(batch).push(" AND visit IN (");
        tuple(
            &mut q,
            visits.into_iter().map(|v| Bind::Text(v.to_string())),
        );
        q.push(")");
        for j in q.query_as::<Job>().fetch_all(&mut *conn).await? {
            out.insert((j.batch.clone(), j.visit.clone(), j.department.clone()), j);
        }
    }
    Ok(out)
}

async fn members_of(
    conn: &mut AnyConnection,
    ids: Vec<i64>,
) -> Result<BTreeMap<i64, Vec<Member>>, sqlx::Error> {
    let mut out: BTreeMap<i64, Vec<Member>> = BTreeMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut q = Sql::for_conn(conn, "SELECT job_id, inspector, source, priority, active, replaces, reason, recorded_on FROM job_members WHERE job_id IN (");
    tuple(&mut q, ids.into_iter().map(Bind::Int));
    q.push(")");
    let rows = q.query().fetch_all(&mut *conn).await?;
    use sqlx::Row as _;
    for r in rows {
        out.entry(r.try_get("job_id")?).or_default().push(Member {
            inspector: r.try_get("inspector")?,
            source: r.try_get("source")?,
            priority: r.try_get("priority")?,
            active: r.try_get("active")?,
            replaces: r.try_get("replaces")?,
            reason: r.try_get("reason")?,
            recorded_on: r.try_get("recorded_on")?,
        });
    }
    Ok(out)
}

/// Writes a checked stretch: the results, the jobs' move to `done`, the proposals.
async fn write(
    conn: &mut AnyConnection,
    good: &[(&Job, Checked)],
    actor: &str,
    at: &str,
) -> Result<u64, InspectionError> {
    let mut q = Sql::for_conn(conn, "INSERT INTO inspection_results (job_id, version, uscc, department, entered_by, checked_on, method, item_results, categories, follow_up, follow_up_done_on, due_on, recorded_at, actor) VALUES ");
    for (n, (job, c)) in good.iter().enumerate() {
        q.push(if n == 0 { "(" } else { ", (" });
        let values = [
            Bind::Int(job.id),
            Bind::Int(1),
            Bind::Text(job.uscc.clone()),
            Bind::Text(job.department.clone()),
            Bind::Text(c.entered_by.clone()),
            Bind::Text(day(c.checked_on)),
            Bind::Text(c.method.code().into()),
            Bind::Text(c.item_results.clone()),
            Bind::Text(c.categories.join(";")),
            Bind::Text(c.follow_up.clone()),
            c.follow_up_done_on
                .map_or(Bind::Null, |d| Bind::Text(day(d))),
            Bind::Text(day(c.due_on)),
            Bind::Text(at.into()),
            Bind::Text(actor.into()),
        ];
        tuple(&mut q, values);
        q.push(")");
    }
    q.query().execute(&mut *conn).await.map_err(|e| {
        if crate::db::violates(&e, "inspection_results_version") || e.to_string().contains("UNIQUE")
        {
            InspectionError::conflict(
                "duplicate_result",
                "a result of this file was recorded meanwhile by another request",
            )
        } else {
            e.into()
        }
    })?;
    let mut q = Sql::for_conn(
        conn,
        "UPDATE inspection_jobs SET state = 'done', updated_at = ",
    );
    q.bind_text(at)
        .push(" WHERE state IN ('planned', 'notified') AND id IN (");
    tuple(&mut q, good.iter().map(|(job, _)| Bind::Int(job.id)));
    q.push(")");
    q.query().execute(&mut *conn).await?;
    let rules = super::proposals::rules();
    let mut n = 0;
    for (job, c) in good
        .iter()
        .filter(|(_, c)| rules.iter().any(|r| c.categories.contains(&r.category)))
    {
        let id: i64 = sqlx::query_scalar(
            "SELECT id FROM inspection_results WHERE job_id = $1 AND version = 1",
        )
        .bind(job.id)
        .fetch_one(&mut *conn)
        .await?;
        n += super::proposals::raise(conn, id, job, &c.categories, at).await? as u64;
    }
    Ok(n)
}
