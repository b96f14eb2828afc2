//! Bulk entry of results (`docs/results.md` §3): a CSV file, UTF-8 or GB18030 (detected as
//! for every import, `docs/import-formats.md`), English or Chinese headers, one row per result.
//! The file is read as a stream, ten thousand rows at a time: each stretch's jobs and teams are
//! read in one query per thousand visits, its rows checked exactly as the API checks one
//! result, and written with one statement per table that takes the whole stretch (one JSON text
//! on SQLite, one `COPY` on PostgreSQL) — all in ONE transaction, so a bad row anywhere leaves
//! nothing written. Every error is reported `FILE:LINE: column: what is wrong` (the first 100).

use super::id_set::IdSet;
use super::jobs::{tuple, JobState};
use super::results::{check, Checked, Context, NewResult, Terms};
use super::{day, InspectionError};
use crate::auth::{Principal, Role};
use crate::db::{Backend, Db, Native};
use crate::db::{Bind, Sql};
use crate::import::source::{self, Column, FieldError, Header, Row};
use chrono::NaiveDate;
use sqlx::AnyConnection;
use std::collections::BTreeMap;
use std::fmt::Write as _;
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

/// Rows per stretch: the jobs and teams of a stretch are read with one query.
pub const CHUNK: usize = 10_000;
/// Proposals per INSERT statement on SQLite (7 values each: below its limit on bound values,
/// and one cached statement for every full one).
const INSERT_ROWS: usize = 1000;
/// Job ids per `IN (…)` list when the proposals read back their results' ids on SQLite.
const LOOKUP_IDS: usize = 5000;
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
    /// Batch, visit, department: the job's key.
    key: (String, String, String),
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
    // The file is parsed on its own thread and handed over a stretch at a time, so parsing
    // overlaps the database's work and memory stays flat.
    let (sender, stretches) = tokio::sync::mpsc::channel::<Stretch>(2);
    let (name, written_tx) = (file.to_string(), tokio::sync::oneshot::channel());
    let (written_sender, written_receiver) = written_tx;
    let reader = tokio::task::spawn_blocking(move || parse(&name, input, sender, written_sender));
    let parsed = Parsed {
        stretches,
        names: written_receiver,
        reader,
    };
    let mut pg = db.pg_connection().await?;
    let outcome = {
        let mut tx = match pg.as_mut() {
            Some(conn) => Writer::Postgres(sqlx::Connection::begin(conn).await?),
            None => Writer::Sqlite(db.begin().await?),
        };
        match check_and_write(db, p, file, parsed, &mut tx, today, &at).await {
            Ok((results, proposals)) => {
                let detail =
                    serde_json::json!({ "file": file, "results": results, "proposals": proposals });
                tx.finish(results, &p.actor(), file, &detail, &at)
                    .await
                    .map(|()| Imported {
                        file: file.to_string(),
                        results,
                        proposals,
                    })
            }
            Err(e) => {
                // Nothing is kept; a rollback that fails leaves the same (the connection ends).
                let _ = tx.rollback().await;
                Err(e)
            }
        }
    };
    if let Some(conn) = pg {
        let _ = sqlx::Connection::close(conn).await;
    }
    outcome
}

/// The parser's side of an import: its stretches, the file's names of the columns (for the
/// errors), and the parsing thread, whose end reports a file that could not be read.
struct Parsed {
    stretches: tokio::sync::mpsc::Receiver<Stretch>,
    names: tokio::sync::oneshot::Receiver<BTreeMap<&'static str, String>>,
    reader: tokio::task::JoinHandle<Result<(), Vec<FieldError>>>,
}

/// Checks the parsed file and writes it in `tx`, which it leaves open: the results and the
/// proposals written, or the error that refuses the import.
async fn check_and_write(
    db: &Db,
    p: &Principal,
    file: &str,
    parsed: Parsed,
    tx: &mut Writer<'_>,
    today: NaiveDate,
    at: &str,
) -> Result<(u64, u64), InspectionError> {
    let located = |line: u64, column: &str, message: String| FieldError {
        file: file.to_string(),
        line,
        column: column.to_string(),
        message,
    };
    tx.hold_jobs().await?;
    let ctx = tx.context(db, today).await?;
    // The rows are checked on another task, which reads the jobs on connections of its own,
    // while this one writes the stretches checked before: on two cores the reading and the
    // writing overlap.
    let form = match tx {
        Writer::Sqlite(_) => Form::Json,
        Writer::Postgres(_) => Form::Copy {
            recorded_at: at.to_string(),
            actor: p.actor(),
        },
    };
    let (vetted_sender, mut vetted) = tokio::sync::mpsc::channel::<Vetted>(2);
    let vetting = Vetting {
        native: db.native.clone(),
        p: p.clone(),
        file: file.to_string(),
        ctx,
        form,
    };
    let checker = tokio::spawn(vet(vetting, parsed.stretches, parsed.names, vetted_sender));
    let outcome = write_all(tx, &mut vetted, &p.actor(), at).await;
    drop(vetted);
    let mut errors = match checker.await {
        Ok(Ok(errors)) => errors,
        Ok(Err(e)) => return Err(e),
        Err(e) => vec![located(0, "", format!("checking failed: {e}"))],
    };
    let written = outcome?;
    match parsed.reader.await {
        Ok(Ok(())) => {}
        Ok(Err(mut e)) => errors.append(&mut e),
        Err(e) => errors.push(located(0, "", format!("reading failed: {e}"))),
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        errors.truncate(MAX_ERRORS);
        return Err(InspectionError::File(errors));
    }
    Ok(written)
}

/// The import's one transaction: on the pool's connection on SQLite, on a native connection on
/// PostgreSQL, whose `COPY` writes the results (the `Any` driver has none).
enum Writer<'c> {
    Sqlite(crate::db::Tx),
    Postgres(sqlx::Transaction<'c, sqlx::Postgres>),
}

impl Writer<'_> {
    /// Holds off every other change to inspection jobs until the transaction ends, so that the
    /// jobs the checker reads on its own connections are the jobs this transaction writes: on
    /// SQLite by taking the database's write lock now (a write that changes nothing), on
    /// PostgreSQL by the lock that [`super::jobs::get_to_change`] takes shared.
    async fn hold_jobs(&mut self) -> Result<(), sqlx::Error> {
        match self {
            Writer::Sqlite(tx) => {
                sqlx::query("UPDATE inspection_jobs SET state = state WHERE 0")
                    .execute(&mut **tx)
                    .await?;
                // The results' index by USCC is written in random order: with SQLite's
                // default 2 MB of page cache most of its inserts read the page back from the
                // file.
                sqlx::query(&format!("PRAGMA cache_size = -{IMPORT_CACHE_KIB}"))
                    .execute(&mut **tx)
                    .await?;
            }
            Writer::Postgres(tx) => {
                let lock = format!("SELECT pg_advisory_xact_lock({})", super::jobs::JOBS_LOCK);
                sqlx::query(&lock).execute(&mut **tx).await?;
            }
        }
        Ok(())
    }

    /// The categories, calendar and publication setting the checks use, read once the jobs are
    /// held: in the transaction on SQLite, on a pool connection on PostgreSQL (the same
    /// committed state: the transaction has written nothing yet).
    async fn context(&mut self, db: &Db, today: NaiveDate) -> Result<Context, sqlx::Error> {
        match self {
            Writer::Sqlite(tx) => Context::load(tx, today).await,
            Writer::Postgres(_) => Context::load(&mut *db.pool.acquire().await?, today).await,
        }
    }

    /// Writes a checked stretch: the proposals written.
    async fn write(
        &mut self,
        stretch: &Vetted,
        actor: &str,
        at: &str,
    ) -> Result<u64, InspectionError> {
        match self {
            Writer::Sqlite(tx) => {
                write_sqlite(tx, stretch, actor, at).await?;
                proposals(tx, &stretch.raising, at).await
            }
            Writer::Postgres(tx) => {
                write_postgres(tx, stretch, at).await?;
                proposals_pg(tx, &stretch.raising, at).await
            }
        }
    }

    /// SQLite's page cache back to the default, before the connection goes back to the pool.
    async fn restore_cache(&mut self) -> Result<(), sqlx::Error> {
        if let Writer::Sqlite(tx) = self {
            sqlx::query("PRAGMA cache_size = -2000")
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Ends the transaction with nothing written.
    async fn rollback(mut self) -> Result<(), sqlx::Error> {
        self.restore_cache().await?;
        match self {
            Writer::Sqlite(tx) => tx.tx.rollback().await,
            Writer::Postgres(tx) => tx.rollback().await,
        }
    }

    /// Appends the import's audit entry and commits.
    async fn finish(
        mut self,
        results: u64,
        actor: &str,
        file: &str,
        detail: &serde_json::Value,
        at: &str,
    ) -> Result<(), InspectionError> {
        self.restore_cache().await?;
        match self {
            Writer::Sqlite(mut tx) => {
                crate::audit::append(&mut tx, actor, "inspection.import", file, detail, at).await?;
                tx.commit().await?;
            }
            Writer::Postgres(mut tx) => {
                if results >= ANALYZE_AFTER {
                    // Fresh statistics, committed with the rows: with the planner's old ones a
                    // lookup by USCC was estimated at thousands of rows and ran as a parallel
                    // scan (p99 173 ms at 1,000,000 results; docs/benchmarks.md). Autovacuum
                    // may be off, or late.
                    for table in ["inspection_results", "inspection_jobs"] {
                        sqlx::query(&format!("ANALYZE {table}"))
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                crate::audit::append_pg(&mut tx, actor, "inspection.import", file, detail, at)
                    .await?;
                tx.commit().await?;
            }
        }
        Ok(())
    }
}

/// SQLite's page cache during an import, in KiB (the default is 2,000).
const IMPORT_CACHE_KIB: u32 = 65_536;

/// What the writer needs of a checked row's job.
struct Written {
    id: i64,
    uscc: String,
    department: String,
}

/// How the checker hands the rows to the writer: each database takes a stretch whole, in the
/// form it reads fastest.
enum Form {
    /// SQLite: one JSON array of arrays, unpacked by `json_each` (see [`write_sqlite`]).
    Json,
    /// PostgreSQL: `COPY`'s text format, with the columns of the whole import (see
    /// [`write_postgres`]).
    Copy { recorded_at: String, actor: String },
}

/// A checked stretch, ready for the writer: its rows in the [`Form`] of the writer's database,
/// made on the checker's task so that the writer only sends them.
struct Vetted {
    /// The rows' results.
    count: u64,
    /// The jobs' ids, separated by commas (`id,…`).
    ids: String,
    /// The results: on SQLite one array per result, the columns of [`RESULT_COLUMNS`] from
    /// `job_id` to `due_on`; on PostgreSQL one line of `COPY` text per result, with
    /// `version`, `recorded_at` and `actor` after them.
    rows: Vec<u8>,
    /// The rows whose categories raise a credit proposal, with those categories.
    raising: Vec<(Written, Vec<String>)>,
    /// No error found so far, in this stretch or an earlier one: the writer writes only then.
    clean: bool,
}

impl Vetted {
    fn new(good: Vec<(Written, Checked)>, clean: bool, form: &Form) -> Vetted {
        let rules = super::proposals::rules();
        let count = good.len() as u64;
        let mut ids = String::with_capacity(good.len() * 8);
        for (k, (job, _)) in good.iter().enumerate() {
            if k > 0 {
                ids.push(',');
            }
            write!(ids, "{}", job.id).expect("a String takes any text");
        }
        let rows = match form {
            Form::Json => json_rows(&good),
            Form::Copy { recorded_at, actor } => copy_rows(&good, recorded_at, actor),
        };
        let raising = good
            .into_iter()
            .filter(|(_, c)| rules.iter().any(|r| c.categories.contains(&r.category)))
            .map(|(job, c)| (job, c.categories))
            .collect();
        Vetted {
            count,
            ids,
            rows,
            raising,
            clean,
        }
    }
}

/// The rows as one JSON array of arrays, in the order of [`RESULT_COLUMNS`].
fn json_rows(good: &[(Written, Checked)]) -> Vec<u8> {
    let rows: Vec<_> = good
        .iter()
        .map(|(job, c)| {
            (
                job.id,
                &job.uscc,
                &job.department,
                &c.entered_by,
                day(c.checked_on),
                c.method.code(),
                &c.item_results,
                c.categories.join(";"),
                &c.follow_up,
                c.follow_up_done_on.map(day),
                day(c.due_on),
            )
        })
        .collect();
    serde_json::to_vec(&rows).expect("numbers and strings serialize")
}

/// The rows in `COPY`'s text format, in the order of [`COPY_COLUMNS`].
fn copy_rows(good: &[(Written, Checked)], recorded_at: &str, actor: &str) -> Vec<u8> {
    use std::io::Write as _;
    // Room for the usual row (132 bytes on average in benches/results.sh) and a follow-up:
    // growing the buffer of a stretch, megabytes long, took about 7 % of the import process's
    // CPU in a profile.
    let mut out = Vec::with_capacity(good.len() * 320);
    let text = |out: &mut Vec<u8>, s: &str| {
        crate::import::push_copy_text(out, s);
        out.push(b'\t');
    };
    for (job, c) in good {
        write!(out, "{}\t", job.id).expect("a Vec takes any bytes");
        text(&mut out, &job.uscc);
        text(&mut out, &job.department);
        text(&mut out, &c.entered_by);
        text(&mut out, &day(c.checked_on));
        text(&mut out, c.method.code());
        text(&mut out, &c.item_results);
        text(&mut out, &c.categories.join(";"));
        text(&mut out, &c.follow_up);
        match c.follow_up_done_on {
            Some(d) => text(&mut out, &day(d)),
            None => out.extend_from_slice(b"\\N\t"),
        }
        text(&mut out, &day(c.due_on));
        out.extend_from_slice(b"1\t");
        text(&mut out, recorded_at);
        crate::import::push_copy_text(&mut out, actor);
        out.push(b'\n');
    }
    out
}

/// What the checker knows of the import.
struct Vetting {
    native: Native,
    p: Principal,
    file: String,
    ctx: Context,
    form: Form,
}

/// Checks the stretches as they come and hands them to the writer: the errors found (the
/// writer stops at the first, checking goes on up to [`MAX_ERRORS`]).
async fn vet(
    v: Vetting,
    mut stretches: tokio::sync::mpsc::Receiver<Stretch>,
    names: tokio::sync::oneshot::Receiver<BTreeMap<&'static str, String>>,
    writer: tokio::sync::mpsc::Sender<Vetted>,
) -> Result<Vec<FieldError>, InspectionError> {
    let located = |line: u64, column: &str, message: String| FieldError {
        file: v.file.clone(),
        line,
        column: column.to_string(),
        message,
    };
    let mut errors: Vec<FieldError> = Vec::new();
    let mut seen = IdSet::default();
    let mut written: BTreeMap<&str, String> = BTreeMap::new();
    let mut names = Some(names);
    while let Some(mut stretch) = stretches.recv().await {
        if let Some(r) = names.take() {
            written = r.await.unwrap_or_default();
        }
        errors.append(&mut stretch.errors);
        if stretch.rows.is_empty() {
            continue;
        }
        let col = |name: &str| {
            written
                .get(name)
                .cloned()
                .unwrap_or_else(|| name.to_string())
        };
        let jobs = targets_of(&v.native, &stretch.rows).await?;
        let mut good: Vec<(Written, Checked)> = Vec::with_capacity(stretch.rows.len());
        for row in &mut stretch.rows {
            let Some(job) = jobs.get(&row.key) else {
                errors.push(located(
                    row.line,
                    &col("visit"),
                    format!(
                        "not_in_plan: no visit {} with department {} in batch {}",
                        row.key.1, row.key.2, row.key.0
                    ),
                ));
                continue;
            };
            if !v.p.acts_for_department(&job.department) {
                errors.push(located(
                    row.line,
                    &col("department"),
                    format!(
                        "not_your_department: {} may import only for its own department",
                        v.p.actor()
                    ),
                ));
                continue;
            }
            let state = JobState::parse(&job.state).unwrap_or(JobState::Planned);
            if !state.is_open() || !seen.insert(job.id) {
                let why = if state == JobState::NotCarriedOut {
                    "wrong_state: the job was not carried out"
                } else {
                    "duplicate_result: this visit and department already has a result"
                };
                errors.push(located(row.line, &col("visit"), why.to_string()));
                continue;
            }
            let terms = job.terms();
            row.new.items = item_results(&row.results, &terms);
            match check(&terms, &job.team(), &row.inspector, &row.new, &v.ctx) {
                Ok(c) => good.push((
                    Written {
                        id: job.id,
                        uscc: job.uscc.clone(),
                        department: job.department.clone(),
                    },
                    c,
                )),
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
        let clean = errors.is_empty();
        // Nothing more is written after an error: the texts are not made.
        let vetted = Vetted::new(if clean { good } else { Vec::new() }, clean, &v.form);
        if writer.send(vetted).await.is_err() {
            break; // the writer failed: its error is the import's
        }
    }
    Ok(errors)
}

/// Writes the checked stretches as they come, while none had an error: the results and the
/// proposals written.
async fn write_all(
    tx: &mut Writer<'_>,
    vetted: &mut tokio::sync::mpsc::Receiver<Vetted>,
    actor: &str,
    at: &str,
) -> Result<(u64, u64), InspectionError> {
    let (mut results, mut proposals) = (0u64, 0u64);
    while let Some(stretch) = vetted.recv().await {
        if !stretch.clean {
            // Nothing more is written, but the checker goes on to name the later errors.
            continue;
        }
        if stretch.count > 0 {
            proposals += tx.write(&stretch, actor, at).await?;
            results += stretch.count;
        }
    }
    Ok((results, proposals))
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
        // A value with U+0000 would reach PostgreSQL in the checker's query: refused here.
        row.refuse_nul();
        let text = row.errors.is_empty();
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
        if !text {
            continue; // no row was added: the stretch is no fuller
        }
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
                key: (batch, visit, department),
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
fn item_results(text: &str, job: &Terms) -> BTreeMap<String, String> {
    if !text.contains('=') {
        return job
            .items()
            .into_iter()
            .map(|i| (i, text.trim().to_string()))
            .collect();
    }
    // Only semicolons separate the items: a category's name may hold `、`
    // (公示信息隐瞒真实情况、弄虚作假), which the general list splitter takes as a separator.
    text.split([';', '；'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| match part.split_once('=') {
            Some((i, c)) => (i.trim().to_string(), c.trim().to_string()),
            None => (String::new(), part.to_string()),
        })
        .collect()
}

/// An open job as the import reads it: the columns the checks and the writes need (not the
/// whole row: reading values is most of an import's time) and its active team. The fields are in
/// the order of [`read_targets`]' columns: the database sends each job as a JSON array.
#[derive(serde::Deserialize)]
struct Target {
    id: i64,
    visit: String,
    department: String,
    uscc: String,
    period_from: String,
    period_to: String,
    notified_on: Option<String>,
    items: String,
    state: String,
    /// The active members' ids in any order, joined by [`TEAM_SEPARATOR`]: ordering them in the
    /// query sorted each job's two or three members apart, a seventh of the checker's reads.
    team: Option<String>,
}

/// Joins a team's ids in one value (U+001F, the unit separator: never part of an id).
const TEAM_SEPARATOR: char = '\u{1f}';

impl Target {
    fn terms(&self) -> Terms<'_> {
        Terms {
            visit: &self.visit,
            department: &self.department,
            period_from: &self.period_from,
            period_to: &self.period_to,
            notified_on: self.notified_on.as_deref(),
            items: &self.items,
        }
    }

    /// The active members' ids in id order.
    fn team(&self) -> Vec<&str> {
        let mut team: Vec<&str> = self
            .team
            .as_deref()
            .map_or_else(Vec::new, |t| t.split(TEAM_SEPARATOR).collect());
        team.sort_unstable();
        team
    }
}

/// The jobs the rows name, with their teams: one query per batch named in the stretch and per
/// [`TARGET_KEYS`] visits, on the checker's own connections (see [`Writer::hold_jobs`]).
async fn targets_of(
    native: &Native,
    rows: &[Pending],
) -> Result<BTreeMap<(String, String, String), Target>, sqlx::Error> {
    let mut by_batch: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for r in rows {
        by_batch.entry(&r.key.0).or_default().push(&r.key.1);
    }
    let mut out = BTreeMap::new();
    for (batch, mut visits) in by_batch {
        visits.sort_unstable();
        visits.dedup();
        for part in visits.chunks(TARGET_KEYS) {
            read_targets(native, batch, part, &mut out).await?;
        }
    }
    Ok(out)
}

/// Visits per query of [`targets_of`]: PostgreSQL took a second for a list of 10,000 bound
/// values, 10 ms for 1,000.
const TARGET_KEYS: usize = 1000;

async fn read_targets(
    native: &Native,
    batch: &str,
    visits: &[&str],
    out: &mut BTreeMap<(String, String, String), Target>,
) -> Result<(), sqlx::Error> {
    let team = match native.backend() {
        Backend::Sqlite => "group_concat(inspector, char(31))",
        Backend::Postgres => "string_agg(inspector, chr(31))",
    };
    let row = format!(
        "id, visit, department, uscc, period_from, period_to, notified_on, items, state, \
         (SELECT {team} FROM job_members m WHERE m.job_id = j.id AND m.active = 1)"
    );
    // SQLite binds numbered placeholders in time quadratic in their number (`db::Sql`).
    let marks: Vec<String> = match native.backend() {
        Backend::Sqlite => vec!["?".to_string(); visits.len() + 1],
        Backend::Postgres => (1..visits.len() + 2).map(|n| format!("${n}")).collect(),
    };
    let from = format!(
        "inspection_jobs j WHERE batch = {} AND visit IN ({})",
        marks[0],
        marks[1..].join(", ")
    );
    let mut params = Vec::with_capacity(visits.len() + 1);
    params.push(batch);
    params.extend_from_slice(visits);
    // Each job is an array in `Target`'s field order.
    let jobs: Vec<Target> = native
        .fetch_json_rows(&row, &from, &params, "the jobs of a stretch")
        .await?;
    for job in jobs {
        out.insert(
            (batch.to_string(), job.visit.clone(), job.department.clone()),
            job,
        );
    }
    Ok(())
}

/// The results' columns in the order of [`Vetted::rows`]' arrays on SQLite; `version`,
/// `recorded_at` and `actor` are the same for every row of an import and bound once.
const RESULT_COLUMNS: [&str; 11] = [
    "job_id",
    "uscc",
    "department",
    "entered_by",
    "checked_on",
    "method",
    "item_results",
    "categories",
    "follow_up",
    "follow_up_done_on",
    "due_on",
];

/// The results' columns in the order of [`Vetted::rows`]' lines on PostgreSQL.
const COPY_COLUMNS: &str = "job_id, uscc, department, entered_by, checked_on, method, \
     item_results, categories, follow_up, follow_up_done_on, due_on, version, recorded_at, actor";

/// The error of a stretch whose job is no longer open: another import or request recorded its
/// result after this stretch was read. It refuses the whole import.
fn meanwhile() -> InspectionError {
    InspectionError::conflict(
        "duplicate_result",
        "a result of this file was recorded meanwhile by another request",
    )
}

/// The result's unique key broken: a result of this file recorded meanwhile.
fn recorded_meanwhile(e: sqlx::Error) -> InspectionError {
    if crate::db::violates(&e, "inspection_results_version") || e.to_string().contains("UNIQUE") {
        meanwhile()
    } else {
        e.into()
    }
}

/// Writes a checked stretch on SQLite in two statements, each taking the whole stretch as one
/// bound JSON text that `json_each` unpacks (`docs/results.md` §3, step 4): binding the 14
/// values of each row one by one was most of the writer's time (docs/benchmarks.md). The jobs'
/// move to `done` comes first, then the results in the file's order.
async fn write_sqlite(
    conn: &mut AnyConnection,
    stretch: &Vetted,
    actor: &str,
    at: &str,
) -> Result<(), InspectionError> {
    let done = sqlx::query(
        "UPDATE inspection_jobs SET state = 'done', updated_at = ? \
         WHERE state IN ('planned', 'notified') AND id IN (SELECT value FROM json_each(?))",
    )
    .bind(at)
    .bind(format!("[{}]", stretch.ids))
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != stretch.count {
        return Err(meanwhile());
    }
    let values: Vec<String> = (0..RESULT_COLUMNS.len())
        .map(|n| format!("value ->> {n}"))
        .collect();
    let insert = format!(
        "INSERT INTO inspection_results ({}, version, recorded_at, actor) \
         SELECT {}, 1, ?, ? FROM json_each(?)",
        RESULT_COLUMNS.join(", "),
        values.join(", "),
    );
    let rows = std::str::from_utf8(&stretch.rows).expect("serde_json writes UTF-8");
    sqlx::query(&insert)
        .bind(at)
        .bind(actor)
        .bind(rows)
        .execute(&mut *conn)
        .await
        .map_err(recorded_meanwhile)?;
    Ok(())
}

/// Writes a checked stretch on PostgreSQL (`docs/results.md` §3, step 4): the jobs' move to
/// `done` in one statement whose ids are one bound array (`= ANY` looks them up in one index
/// scan), then the results with one `COPY`, in the file's order. `COPY` took about 5 µs per
/// result where an `INSERT` unpacking one JSON text took about 8 (docs/benchmarks.md).
async fn write_postgres(
    conn: &mut sqlx::PgConnection,
    stretch: &Vetted,
    at: &str,
) -> Result<(), InspectionError> {
    let done = sqlx::query(
        "UPDATE inspection_jobs SET state = 'done', updated_at = $1 \
         WHERE state IN ('planned', 'notified') AND id = ANY ($2::bigint[])",
    )
    .bind(at)
    .bind(format!("{{{}}}", stretch.ids))
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != stretch.count {
        return Err(meanwhile());
    }
    let copy = format!("COPY inspection_results ({COPY_COLUMNS}) FROM STDIN");
    let mut copy = conn.copy_in_raw(&copy).await?;
    copy.send(stretch.rows.as_slice()).await?;
    let written = copy.finish().await.map_err(recorded_meanwhile)?;
    debug_assert_eq!(written, stretch.count);
    Ok(())
}

/// The credit proposals of a written stretch (`docs/results.md` §7), in the order of its rows
/// and, for one row, of the rule table: the result each is for, with its job and rule.
fn proposed<'a>(
    raising: &'a [(Written, Vec<String>)],
    results: &BTreeMap<i64, i64>,
    rules: &'a [super::proposals::Rule],
) -> Vec<(i64, &'a Written, &'a super::proposals::Rule)> {
    raising
        .iter()
        .flat_map(|(job, categories)| {
            let result = results[&job.id];
            rules
                .iter()
                .filter(|r| categories.contains(&r.category))
                .map(move |rule| (result, job, rule))
        })
        .collect()
}

/// Writes the credit proposals of a written stretch on SQLite: the ids of the results that raise
/// one read back [`LOOKUP_IDS`] at a time, the proposals written [`INSERT_ROWS`] to a statement.
async fn proposals(
    conn: &mut AnyConnection,
    raising: &[(Written, Vec<String>)],
    at: &str,
) -> Result<u64, InspectionError> {
    if raising.is_empty() {
        return Ok(0);
    }
    let rules = super::proposals::rules();
    let mut ids: BTreeMap<i64, i64> = BTreeMap::new();
    for part in raising.chunks(LOOKUP_IDS) {
        let mut q = Sql::for_conn(
            conn,
            "SELECT job_id, id FROM inspection_results WHERE version = 1 AND job_id IN (",
        );
        tuple(&mut q, part.iter().map(|(job, _)| Bind::Int(job.id)));
        q.push(")");
        ids.extend(q.query_as::<(i64, i64)>().fetch_all(&mut *conn).await?);
    }
    let rows = proposed(raising, &ids, &rules);
    for part in rows.chunks(INSERT_ROWS) {
        let mut q = Sql::for_conn(conn, "INSERT INTO credit_proposals (result_id, uscc, department, category, kind, basis, state, created_at) VALUES ");
        for (k, (result, job, rule)) in part.iter().enumerate() {
            q.push(if k == 0 { "(" } else { ", (" });
            tuple(
                &mut q,
                [
                    Bind::Int(*result),
                    Bind::Text(job.uscc.clone()),
                    Bind::Text(job.department.clone()),
                    Bind::Text(rule.category.clone()),
                    Bind::Text(rule.kind.clone()),
                    Bind::Text(rule.basis.clone()),
                ],
            );
            q.push(", 'proposed', ");
            q.bind(Bind::Text(at.to_string()));
            q.push(")");
        }
        q.query().execute(&mut *conn).await?;
    }
    Ok(rows.len() as u64)
}

/// [`proposals`] on PostgreSQL's native connection: the results' ids read back by one bound
/// array, the proposals written from one bound array per column, in order.
async fn proposals_pg(
    conn: &mut sqlx::PgConnection,
    raising: &[(Written, Vec<String>)],
    at: &str,
) -> Result<u64, InspectionError> {
    if raising.is_empty() {
        return Ok(0);
    }
    let rules = super::proposals::rules();
    let jobs: Vec<i64> = raising.iter().map(|(job, _)| job.id).collect();
    let ids: BTreeMap<i64, i64> = sqlx::query_as::<_, (i64, i64)>(
        "SELECT job_id, id FROM inspection_results WHERE version = 1 AND job_id = ANY ($1)",
    )
    .bind(&jobs)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect();
    let rows = proposed(raising, &ids, &rules);
    let mut results = Vec::with_capacity(rows.len());
    let [mut usccs, mut departments, mut categories, mut kinds, mut bases]: [Vec<&str>; 5] =
        Default::default();
    for (result, job, rule) in &rows {
        results.push(*result);
        usccs.push(&job.uscc);
        departments.push(&job.department);
        categories.push(&rule.category);
        kinds.push(&rule.kind);
        bases.push(&rule.basis);
    }
    sqlx::query(
        "INSERT INTO credit_proposals (result_id, uscc, department, category, kind, basis, \
         state, created_at) \
         SELECT r, u, d, c, k, b, 'proposed', $7 FROM unnest($1::bigint[], $2::text[], \
         $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS p(r, u, d, c, k, b, n) \
         ORDER BY n",
    )
    .bind(&results)
    .bind(&usccs)
    .bind(&departments)
    .bind(&categories)
    .bind(&kinds)
    .bind(&bases)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(rows.len() as u64)
}
