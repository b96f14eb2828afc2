//! Bulk entry of results (`docs/results.md` §3): a CSV file, UTF-8 or GB18030 (detected as
//! for every import, `docs/import-formats.md`), English or Chinese headers, one row per result.
//! The file is read as a stream, ten thousand rows at a time: each stretch's jobs and teams are
//! read in one query per thousand visits, its rows checked exactly as the API checks one
//! result, and written with one statement per table that takes the stretch as one JSON text —
//! all in ONE transaction, so a bad row anywhere leaves nothing written. Every error is
//! reported `FILE:LINE: column: what is wrong` (the first 100).

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
/// Proposals per INSERT statement (7 values each: below SQLite's and PostgreSQL's limits on
/// bound values, and one cached statement for every full one).
const INSERT_ROWS: usize = 1000;
/// Job ids per `IN (…)` list when the proposals read back their results' ids.
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
    let located = |line: u64, column: &str, message: String| FieldError {
        file: file.to_string(),
        line,
        column: column.to_string(),
        message,
    };
    // The file is parsed on its own thread and handed over a stretch at a time, so parsing
    // overlaps the database's work and memory stays flat.
    let (sender, stretches) = tokio::sync::mpsc::channel::<Stretch>(2);
    let (name, written_tx) = (file.to_string(), tokio::sync::oneshot::channel());
    let (written_sender, written_receiver) = written_tx;
    let reader = tokio::task::spawn_blocking(move || parse(&name, input, sender, written_sender));
    let mut tx = db.begin().await?;
    hold_jobs(&mut tx).await?;
    if db.backend == Backend::Sqlite {
        // The results' index by USCC is written in random order: with SQLite's default 2 MB
        // of page cache most of its inserts read the page back from the file.
        sqlx::query(&format!("PRAGMA cache_size = -{IMPORT_CACHE_KIB}"))
            .execute(&mut *tx)
            .await?;
    }
    let ctx = Context::load(&mut tx, today).await?;
    // The rows are checked on another task, which reads the jobs on connections of its own,
    // while this one writes the stretches checked before: on two cores the reading and the
    // writing overlap.
    let (vetted_sender, mut vetted) = tokio::sync::mpsc::channel::<Vetted>(2);
    let checker = tokio::spawn(vet(
        db.native.clone(),
        p.clone(),
        file.to_string(),
        ctx,
        stretches,
        written_receiver,
        vetted_sender,
    ));
    let outcome = write_all(&mut tx, &mut vetted, &p.actor(), &at).await;
    drop(vetted);
    if db.backend == Backend::Sqlite {
        // The connection goes back to the pool: its cache back to the default.
        sqlx::query("PRAGMA cache_size = -2000")
            .execute(&mut *tx)
            .await?;
    }
    let mut errors = match checker.await {
        Ok(Ok(errors)) => errors,
        Ok(Err(e)) => return Err(e),
        Err(e) => vec![located(0, "", format!("checking failed: {e}"))],
    };
    let (results, proposals) = outcome?;
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
    if db.backend == Backend::Postgres && results >= ANALYZE_AFTER {
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

/// SQLite's page cache during an import, in KiB (the default is 2,000).
const IMPORT_CACHE_KIB: u32 = 65_536;

/// Holds off every other change to inspection jobs until the import's transaction ends, so that
/// the jobs the checker reads on its own connections are the jobs this transaction writes: on
/// SQLite by taking the database's write lock now (a write that changes nothing), on
/// PostgreSQL by the lock that [`super::jobs::get_to_change`] takes shared.
async fn hold_jobs(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    let sql = match Backend::of(conn) {
        Backend::Sqlite => "UPDATE inspection_jobs SET state = state WHERE 0".to_string(),
        Backend::Postgres => format!("SELECT pg_advisory_xact_lock({})", super::jobs::JOBS_LOCK),
    };
    sqlx::query(&sql).execute(conn).await?;
    Ok(())
}

/// What the writer needs of a checked row's job.
struct Written {
    id: i64,
    uscc: String,
    department: String,
}

/// A checked stretch, ready for the writer: its rows as the texts that the writer's two
/// statements take whole (see [`write`]), made on the checker's task so that the writer only
/// wraps the ids for its database and sends them.
struct Vetted {
    /// The rows' results.
    count: u64,
    /// The jobs' ids, separated by commas (`id,…`).
    ids: String,
    /// One array per result: the columns of [`RESULT_COLUMNS`] from `job_id` to `due_on`.
    rows: String,
    /// The rows whose categories raise a credit proposal, with those categories.
    raising: Vec<(Written, Vec<String>)>,
    /// No error found so far, in this stretch or an earlier one: the writer writes only then.
    clean: bool,
}

impl Vetted {
    fn new(good: Vec<(Written, Checked)>, clean: bool) -> Vetted {
        let rules = super::proposals::rules();
        let count = good.len() as u64;
        let mut ids = String::with_capacity(good.len() * 8);
        for (k, (job, _)) in good.iter().enumerate() {
            if k > 0 {
                ids.push(',');
            }
            write!(ids, "{}", job.id).expect("a String takes any text");
        }
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
        let rows = json(&rows);
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

/// Checks the stretches as they come and hands them to the writer: the errors found (the
/// writer stops at the first, checking goes on up to [`MAX_ERRORS`]).
async fn vet(
    native: Native,
    p: Principal,
    file: String,
    ctx: Context,
    mut stretches: tokio::sync::mpsc::Receiver<Stretch>,
    names: tokio::sync::oneshot::Receiver<BTreeMap<&'static str, String>>,
    writer: tokio::sync::mpsc::Sender<Vetted>,
) -> Result<Vec<FieldError>, InspectionError> {
    let located = |line: u64, column: &str, message: String| FieldError {
        file: file.clone(),
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
        let jobs = targets_of(&native, &stretch.rows).await?;
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
            match check(&terms, &job.team(), &row.inspector, &row.new, &ctx) {
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
        let vetted = Vetted::new(if clean { good } else { Vec::new() }, clean);
        if writer.send(vetted).await.is_err() {
            break; // the writer failed: its error is the import's
        }
    }
    Ok(errors)
}

/// Writes the checked stretches as they come, while none had an error: the results and the
/// proposals written.
async fn write_all(
    conn: &mut AnyConnection,
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
            proposals += write(conn, &stretch, actor, at).await?;
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
    source::split_list(text)
        .iter()
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
    /// The active members' ids in id order, joined by [`TEAM_SEPARATOR`].
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

    fn team(&self) -> Vec<&str> {
        self.team
            .as_deref()
            .map_or_else(Vec::new, |t| t.split(TEAM_SEPARATOR).collect())
    }
}

/// The jobs the rows name, with their teams: one query per batch named in the stretch and per
/// [`TARGET_KEYS`] visits, on the checker's own connections (see [`hold_jobs`]).
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
        Backend::Sqlite => "group_concat(inspector, char(31) ORDER BY inspector)",
        Backend::Postgres => "string_agg(inspector, chr(31) ORDER BY inspector)",
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

/// The results' columns in the order of [`Vetted::rows`]' arrays; `version`, `recorded_at` and
/// `actor` are the same for every row of an import and bound once.
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

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).expect("numbers and strings serialize")
}

/// Writes a checked stretch in two statements, each taking the whole stretch as one bound text
/// that the database unpacks (`docs/results.md` §3, step 4): binding the 14 values of each row
/// one by one was most of the writer's time (docs/benchmarks.md). The jobs' move to `done`
/// comes first, then the results in the file's order, then the proposals. A job that is no
/// longer open — another import or request recorded its result after this stretch was read —
/// refuses the whole import.
async fn write(
    conn: &mut AnyConnection,
    stretch: &Vetted,
    actor: &str,
    at: &str,
) -> Result<u64, InspectionError> {
    let meanwhile = || {
        InspectionError::conflict(
            "duplicate_result",
            "a result of this file was recorded meanwhile by another request",
        )
    };
    let sqlite = Backend::of(conn) == Backend::Sqlite;
    // The ids' text and match, the rows' unpacking, and the first two placeholders of each
    // statement. The ids go as a JSON array on SQLite and as an array literal on PostgreSQL:
    // there `= ANY` of an array looks the jobs up in one index scan, where `IN` over
    // `jsonb_array_elements_text` hashed the ids first; the writing backend's CPU per million
    // results fell from about 14.7 to 11.4 s (docs/benchmarks.md).
    let (ids, named, rows, p1, p2) = if sqlite {
        (
            format!("[{}]", stretch.ids),
            "IN (SELECT value FROM json_each(?))",
            "json_each(?)",
            "?",
            "?",
        )
    } else {
        (
            format!("{{{}}}", stretch.ids),
            "= ANY ($2::bigint[])",
            "jsonb_array_elements($3::jsonb) AS e(value)",
            "$1",
            "$2",
        )
    };
    let update = format!(
        "UPDATE inspection_jobs SET state = 'done', updated_at = {p1} \
         WHERE state IN ('planned', 'notified') AND id {named}"
    );
    let done = sqlx::query(&update)
        .bind(at)
        .bind(ids)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() != stretch.count {
        return Err(meanwhile());
    }
    let values: Vec<String> = RESULT_COLUMNS
        .iter()
        .enumerate()
        .map(|(n, column)| match (sqlite, *column) {
            (false, "job_id") => format!("(value ->> {n})::bigint"),
            _ => format!("value ->> {n}"),
        })
        .collect();
    let insert = format!(
        "INSERT INTO inspection_results ({}, version, recorded_at, actor) \
         SELECT {}, 1, {p1}, {p2} FROM {rows}",
        RESULT_COLUMNS.join(", "),
        values.join(", "),
    );
    sqlx::query(&insert)
        .bind(at)
        .bind(actor)
        .bind(stretch.rows.as_str())
        .execute(&mut *conn)
        .await
        .map_err(|e| {
            if crate::db::violates(&e, "inspection_results_version")
                || e.to_string().contains("UNIQUE")
            {
                meanwhile()
            } else {
                e.into()
            }
        })?;
    proposals(conn, &stretch.raising, at).await
}

/// The credit proposals of a written stretch (`docs/results.md` §7): the ids of the results
/// that raise one read back in one query, the proposals written in one statement.
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
    let mut n = 0;
    let mut rows = Vec::new();
    for (job, categories) in raising {
        let result = ids[&job.id];
        for rule in rules.iter().filter(|r| categories.contains(&r.category)) {
            rows.push([
                Bind::Int(result),
                Bind::Text(job.uscc.clone()),
                Bind::Text(job.department.clone()),
                Bind::Text(rule.category.clone()),
                Bind::Text(rule.kind.clone()),
                Bind::Text(rule.basis.clone()),
                Bind::Text(at.to_string()),
            ]);
            n += 1;
        }
    }
    for part in rows.chunks(INSERT_ROWS) {
        let mut q = Sql::for_conn(conn, "INSERT INTO credit_proposals (result_id, uscc, department, category, kind, basis, state, created_at) VALUES ");
        for (k, values) in part.iter().enumerate() {
            q.push(if k == 0 { "(" } else { ", (" });
            let [result, uscc, department, category, kind, basis, at] = values.clone();
            tuple(&mut q, [result, uscc, department, category, kind, basis]);
            q.push(", 'proposed', ");
            q.bind(at);
            q.push(")");
        }
        q.query().execute(&mut *conn).await?;
    }
    Ok(n)
}
