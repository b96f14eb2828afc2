//! Inspection jobs and their states (`docs/results.md` §1):
//!
//! ```text
//! planned --notify(date)--> notified --result--> done
//!    |                          |
//!    +--------------------------+--not carried out(reason)--> not-carried-out
//! planned --result--> done   (a check on paper or from data needs no notice)
//! ```
//!
//! Jobs are made from a run plan in the transaction of the draw's `run` step (or by
//! `dualdraw inspection jobs BUNDLE` for a bundle run elsewhere); every step appends to the
//! audit log and commits alone.

use super::plan::Plan;
use super::{day, InspectionError};
use crate::auth::{Principal, Role};
use crate::db::{Backend, Db};
use crate::db::{Bind, Sql};
use chrono::NaiveDate;
use serde::Serialize;
use sqlx::AnyConnection;
use std::collections::BTreeMap;

/// The state of a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobState {
    Planned,
    Notified,
    Done,
    NotCarriedOut,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Planned => "planned",
            JobState::Notified => "notified",
            JobState::Done => "done",
            JobState::NotCarriedOut => "not-carried-out",
        }
    }

    pub fn parse(s: &str) -> Option<JobState> {
        [
            JobState::Planned,
            JobState::Notified,
            JobState::Done,
            JobState::NotCarriedOut,
        ]
        .into_iter()
        .find(|j| j.as_str() == s)
    }

    /// Whether the job is still open: a result or a reason may still end it.
    pub fn is_open(self) -> bool {
        matches!(self, JobState::Planned | JobState::Notified)
    }
}

/// A stored job.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Job {
    pub id: i64,
    pub batch: String,
    pub visit: String,
    pub department: String,
    pub uscc: String,
    pub region: String,
    pub period: i64,
    pub period_from: String,
    pub period_to: String,
    pub tasks: String,
    pub items: String,
    pub state: String,
    pub notified_on: Option<String>,
    pub reason: Option<String>,
    pub note: String,
    pub approved_by: Option<String>,
    pub approved_on: Option<String>,
    pub code: Option<String>,
    /// For the job of a substitute enterprise: the job it replaces (`docs/results.md` §1.4).
    pub substitute_for: Option<i64>,
}

impl Job {
    pub fn state(&self) -> JobState {
        JobState::parse(&self.state).unwrap_or(JobState::Planned)
    }

    pub fn items(&self) -> Vec<String> {
        self.items
            .split(';')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    }

    /// The job's period as dates.
    pub fn period(&self) -> Result<(NaiveDate, NaiveDate), sqlx::Error> {
        Ok((
            super::parse_day(&self.period_from)?,
            super::parse_day(&self.period_to)?,
        ))
    }
}

/// A member of a job's team.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Member {
    pub inspector: String,
    /// `drawn` or `replacement`.
    pub source: String,
    pub priority: String,
    pub active: i64,
    pub replaces: Option<String>,
    pub reason: Option<String>,
    pub recorded_on: Option<String>,
}

pub const JOB_COLUMNS: &str = "id, batch, visit, department, uscc, region, period, period_from, period_to, tasks, items, state, notified_on, reason, note, approved_by, approved_on, code, substitute_for";

/// Rows per multi-row INSERT (under SQLite's 32766 bind parameters).
const CHUNK: usize = 1000;

/// Records the jobs of a run plan inside the caller's transaction; returns how many. A batch
/// has its jobs once: a second call is refused (`jobs_exist`).
pub async fn create(
    conn: &mut AnyConnection,
    plan: &Plan,
    actor: &str,
    at: &str,
) -> Result<usize, InspectionError> {
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inspection_jobs WHERE batch = $1")
        .bind(&plan.batch)
        .fetch_one(&mut *conn)
        .await?;
    if existing > 0 {
        return Err(InspectionError::conflict(
            "jobs_exist",
            format!("batch '{}' already has its inspection jobs", plan.batch),
        ));
    }
    for chunk in plan.jobs.chunks(CHUNK) {
        let mut q = Sql::for_conn(conn, "INSERT INTO inspection_jobs (batch, visit, department, uscc, region, period, period_from, period_to, tasks, items, state, note, created_at, updated_at) VALUES ");
        for (n, j) in chunk.iter().enumerate() {
            let note = if j.team.is_empty() {
                "team not formed in the plan (plan/failures.csv)"
            } else {
                ""
            };
            q.push(if n == 0 { "(" } else { ", (" });
            let values = [
                Bind::Text(plan.batch.clone()),
                Bind::Text(j.visit.clone()),
                Bind::Text(j.department.clone()),
                Bind::Text(j.uscc.clone()),
                Bind::Text(j.region.clone()),
                Bind::Int(j.period as i64),
                Bind::Text(day(j.period_from)),
                Bind::Text(day(j.period_to)),
                Bind::Text(j.tasks.join(";")),
                Bind::Text(j.items.join(";")),
                Bind::Text(JobState::Planned.as_str().into()),
                Bind::Text(note.into()),
                Bind::Text(at.into()),
                Bind::Text(at.into()),
            ];
            tuple(&mut q, values);
            q.push(")");
        }
        q.query().execute(&mut *conn).await?;
    }
    let ids: BTreeMap<(String, String), i64> = sqlx::query_as::<_, (i64, String, String)>(
        "SELECT id, visit, department FROM inspection_jobs WHERE batch = $1",
    )
    .bind(&plan.batch)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|(id, v, d)| ((v, d), id))
    .collect();
    let members: Vec<(i64, &str, &str)> = plan
        .jobs
        .iter()
        .flat_map(|j| {
            let id = ids[&(j.visit.clone(), j.department.clone())];
            j.team
                .iter()
                .map(move |(i, p)| (id, i.as_str(), p.as_str()))
        })
        .collect();
    for chunk in members.chunks(CHUNK) {
        let mut q = Sql::for_conn(
            conn,
            "INSERT INTO job_members (job_id, inspector, source, priority, active) VALUES ",
        );
        for (n, (id, i, p)) in chunk.iter().enumerate() {
            q.push(if n == 0 { "(" } else { ", (" });
            let values = [
                Bind::Int(*id),
                Bind::Text(i.to_string()),
                Bind::Text("drawn".into()),
                Bind::Text(p.to_string()),
                Bind::Int(1),
            ];
            tuple(&mut q, values);
            q.push(")");
        }
        q.query().execute(&mut *conn).await?;
    }
    let detail = serde_json::json!({ "jobs": plan.jobs.len(), "members": members.len(), "method": plan.method });
    crate::audit::append(conn, actor, "inspection.jobs", &plan.batch, &detail, at).await?;
    Ok(plan.jobs.len())
}

/// One job; `None` if there is none with this id.
pub async fn find(conn: &mut AnyConnection, id: i64) -> Result<Option<Job>, sqlx::Error> {
    sqlx::query_as::<_, Job>(&format!(
        "SELECT {JOB_COLUMNS} FROM inspection_jobs WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// One job, or 404.
pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Job, InspectionError> {
    find(conn, id)
        .await?
        .ok_or_else(|| InspectionError::NotFound(format!("no inspection job {id}")))
}

/// One job, or 404, locked until the end of the transaction on PostgreSQL (`FOR UPDATE`), so
/// that a concurrent change of the same job waits and then sees what this one wrote; SQLite's
/// writes take turns anyway ([`crate::db::Db::begin`]). Every change of a job reads it so.
pub async fn get_to_change(conn: &mut AnyConnection, id: i64) -> Result<Job, InspectionError> {
    let lock = match Backend::of(conn) {
        Backend::Postgres => {
            // Shared with every other change of one job, exclusive for a results import
            // (`results_csv::Writer::hold_jobs`), which reads the jobs on other connections.
            sqlx::query(&format!("SELECT pg_advisory_xact_lock_shared({JOBS_LOCK})"))
                .execute(&mut *conn)
                .await?;
            " FOR UPDATE"
        }
        Backend::Sqlite => "",
    };
    sqlx::query_as::<_, Job>(&format!(
        "SELECT {JOB_COLUMNS} FROM inspection_jobs WHERE id = $1{lock}"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| InspectionError::NotFound(format!("no inspection job {id}")))
}

/// The two keys of PostgreSQL's transaction-level advisory lock on changes of inspection jobs
/// (ASCII "ddrw", "jobs"), as SQL arguments: the two-key form never meets the one-key locks of
/// `substitute.rs`.
pub const JOBS_LOCK: &str = "1684304503, 1785684595";

/// The team of a job, in inspector order.
pub async fn members(conn: &mut AnyConnection, id: i64) -> Result<Vec<Member>, sqlx::Error> {
    sqlx::query_as::<_, Member>(
        "SELECT inspector, source, priority, active, replaces, reason, recorded_on FROM job_members WHERE job_id = $1 ORDER BY inspector",
    )
    .bind(id)
    .fetch_all(conn)
    .await
}

/// Which jobs to list.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct JobFilter {
    pub batch: Option<String>,
    pub department: Option<String>,
    pub state: Option<String>,
    pub uscc: Option<String>,
    pub inspector: Option<String>,
    pub after: Option<i64>,
    pub limit: Option<i64>,
}

/// Jobs in id order, after `after`, at most `limit` (default 100, at most 1000).
pub async fn list(conn: &mut AnyConnection, f: &JobFilter) -> Result<Vec<Job>, sqlx::Error> {
    let mut q = Sql::new(format!(
        "SELECT {JOB_COLUMNS} FROM inspection_jobs WHERE id > "
    ));
    q.bind_int(f.after.unwrap_or(0));
    for (column, value) in [
        ("batch", &f.batch),
        ("department", &f.department),
        ("state", &f.state),
        ("uscc", &f.uscc),
    ] {
        if let Some(v) = value {
            q.push(&format!(" AND {column} = ")).bind_text(v.clone());
        }
    }
    if let Some(i) = &f.inspector {
        q.push(" AND id IN (SELECT job_id FROM job_members WHERE active = 1 AND inspector = ")
            .bind_text(i.clone())
            .push(")");
    }
    q.push(" ORDER BY id LIMIT ")
        .bind_int(f.limit.unwrap_or(100).clamp(1, 1000));
    q.query_as::<Job>().fetch_all(conn).await
}

/// Appends `values` as placeholders separated by commas.
pub fn tuple(q: &mut Sql, values: impl IntoIterator<Item = Bind>) {
    for (k, v) in values.into_iter().enumerate() {
        if k > 0 {
            q.push(", ");
        }
        q.bind(v);
    }
}

/// Refuses a caller that does not act for the job's department (谁检查: the department whose
/// inspectors check manages the job).
pub fn check_department(p: &Principal, job: &Job) -> Result<(), InspectionError> {
    if p.acts_for_department(&job.department) {
        Ok(())
    } else {
        Err(InspectionError::forbidden(
            "not_your_department",
            format!(
                "job {} belongs to department {}; role {} may not act for it",
                job.id, job.department, p.role
            ),
        ))
    }
}

/// Who asks and when: the actor for the audit log, the business day and the exact time.
pub struct Act {
    pub actor: String,
    pub on: NaiveDate,
    pub at: String,
}

pub(super) async fn set_state(
    conn: &mut AnyConnection,
    job: &Job,
    to: JobState,
    notified_on: Option<&str>,
    reason: Option<&str>,
    at: &str,
) -> Result<(), InspectionError> {
    // Conditional on the state read: a concurrent step that moved the job first wins.
    let done = sqlx::query(
        "UPDATE inspection_jobs SET state = $1, notified_on = COALESCE($2, notified_on), reason = COALESCE($3, reason), updated_at = $4 WHERE id = $5 AND state = $6",
    )
    .bind(to.as_str())
    .bind(notified_on)
    .bind(reason)
    .bind(at)
    .bind(job.id)
    .bind(&job.state)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if done == 0 {
        return Err(InspectionError::conflict(
            "wrong_state",
            format!("job {} changed while this step ran; try again", job.id),
        ));
    }
    Ok(())
}

fn wrong_state(job: &Job, wanted: &str) -> InspectionError {
    InspectionError::conflict(
        "wrong_state",
        format!("job {} is {}; {wanted}", job.id, job.state),
    )
}

/// Records the notice to the enterprise (告知) on `act.on`.
pub async fn notify(db: &Db, p: &Principal, id: i64, act: &Act) -> Result<Job, InspectionError> {
    let mut tx = db.begin().await?;
    let job = get_to_change(&mut tx, id).await?;
    check_department(p, &job)?;
    if job.state() != JobState::Planned {
        return Err(wrong_state(&job, "only a planned job can be notified"));
    }
    let (_, to) = job.period()?;
    if act.on > to {
        return Err(InspectionError::invalid(
            "outside_period",
            format!(
                "notice date {}: the job's period ended on {}",
                act.on, job.period_to
            ),
        ));
    }
    let on = day(act.on);
    set_state(&mut tx, &job, JobState::Notified, Some(&on), None, &act.at).await?;
    let detail = serde_json::json!({ "notified_on": on, "batch": job.batch, "visit": job.visit, "department": job.department });
    crate::audit::append(
        &mut tx,
        &act.actor,
        "inspection.notify",
        &id.to_string(),
        &detail,
        &act.at,
    )
    .await?;
    let job = get_to_change(&mut tx, id).await?;
    tx.commit().await?;
    Ok(job)
}

/// Ends a job without a check, for a reason of the fixed list (`catalog::not_done_reason`).
pub async fn not_carried_out(
    db: &Db,
    p: &Principal,
    id: i64,
    reason: &str,
    act: &Act,
) -> Result<Job, InspectionError> {
    let reason = super::catalog::not_done_reason(reason)
        .map_err(|m| InspectionError::invalid("unknown_reason", m))?;
    let mut tx = db.begin().await?;
    let job = get_to_change(&mut tx, id).await?;
    check_department(p, &job)?;
    if !job.state().is_open() {
        return Err(wrong_state(
            &job,
            "only a planned or notified job can end without a check",
        ));
    }
    set_state(
        &mut tx,
        &job,
        JobState::NotCarriedOut,
        None,
        Some(reason),
        &act.at,
    )
    .await?;
    let detail = serde_json::json!({ "reason": reason, "on": day(act.on), "batch": job.batch, "visit": job.visit, "department": job.department });
    crate::audit::append(
        &mut tx,
        &act.actor,
        "inspection.not-carried-out",
        &id.to_string(),
        &detail,
        &act.at,
    )
    .await?;
    let job = get_to_change(&mut tx, id).await?;
    tx.commit().await?;
    Ok(job)
}

/// Marks a job done when its first result is recorded (inside the result's transaction).
pub async fn mark_done(
    conn: &mut AnyConnection,
    job: &Job,
    at: &str,
) -> Result<(), InspectionError> {
    set_state(conn, job, JobState::Done, None, None, at).await
}

/// The view of a job for the API.
pub fn view(job: &Job, members: &[Member]) -> serde_json::Value {
    let mut v = serde_json::to_value(job).expect("plain data");
    v["items"] = serde_json::json!(job.items());
    v["tasks"] = serde_json::json!(job
        .tasks
        .split(';')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>());
    v["reason_zh"] = serde_json::json!(job.reason.as_deref().map(super::catalog::not_done_name));
    v["team"] = serde_json::to_value(members).expect("plain data");
    v
}

/// Whether `p` is an inspector scoped to an active member of the job's team.
pub fn is_active_member(p: &Principal, members: &[Member]) -> bool {
    p.role == Role::Inspector
        && members
            .iter()
            .any(|m| m.active == 1 && Some(m.inspector.as_str()) == p.scope.as_deref())
}
