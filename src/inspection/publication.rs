//! Publication (谁公开, `docs/results.md` §5): the department publishes each result version no
//! later than `results.publication_workdays` official working days (default 20, 企业信息公示
//! 暂行条例 art. 6) after the check; the overdue list names the late ones like the repairs'
//! overdue list. A published version is never edited: a correction is a new version with its
//! reason, due within the same number of working days from the day it is recorded, and every
//! published version stays public.

use super::jobs::{self, Act};
use super::results::{self, Context, NewResult, StoredResult, RESULT_COLUMNS};
use super::{day, parse_day, InspectionError};
use crate::auth::Principal;
use crate::db::Db;
use chrono::NaiveDate;
use sqlx::AnyConnection;

/// Publishes a result version on `act.on`: refused before the check, or twice.
pub async fn publish(
    db: &Db,
    p: &Principal,
    id: i64,
    act: &Act,
) -> Result<StoredResult, InspectionError> {
    let mut tx = db.begin().await?;
    let r = results::get(&mut tx, id).await?;
    let job = jobs::get_to_change(&mut tx, r.job_id).await?;
    jobs::check_department(p, &job)?;
    if let Some(on) = &r.published_on {
        return Err(InspectionError::conflict(
            "already_published",
            format!("result {id} was published on {on}; a change is a correction"),
        ));
    }
    if act.on < parse_day(&r.checked_on)? {
        return Err(InspectionError::invalid(
            "invalid",
            format!("on: {} is before the check of {}", act.on, r.checked_on),
        ));
    }
    let n = sqlx::query(
        "UPDATE inspection_results SET published_on = $1 WHERE id = $2 AND published_on IS NULL",
    )
    .bind(day(act.on))
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(InspectionError::conflict(
            "already_published",
            format!("result {id} was published meanwhile"),
        ));
    }
    let logged = log_event(&mut tx, &job.batch, id).await?;
    let late = parse_day(&r.due_on)? < act.on;
    let detail = serde_json::json!({ "job": r.job_id, "version": r.version, "uscc": r.uscc, "department": r.department, "published_on": day(act.on), "due_on": r.due_on, "late": late, "log_index": logged });
    crate::audit::append(
        &mut tx,
        &act.actor,
        "inspection.publish",
        &id.to_string(),
        &detail,
        &act.at,
    )
    .await?;
    let r = results::get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(r)
}

/// The public log's `publish` event of a published version (`docs/results.md` §5.1), appended
/// in the publication's transaction when the batch is revealed and known to the log (the log
/// refuses a `publish` before the batch's `reveal`, `docs/log.md` §1); its index, if written.
/// `results_sha256` is the SHA-256 of the version's public CSV: the header line and its row.
async fn log_event(
    conn: &mut AnyConnection,
    batch: &str,
    id: i64,
) -> Result<Option<u64>, InspectionError> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT state, commitment_sha256 FROM draws WHERE batch = $1")
            .bind(batch)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((_, commitment)) = row.filter(|(s, _)| s == "revealed") else {
        return Ok(None);
    };
    let jurisdiction = crate::log::events::jurisdiction();
    let opened = crate::log::store::first_index(conn, &jurisdiction, batch)
        .await
        .map_err(log_failed)?;
    if opened.is_none() {
        return Ok(None);
    }
    let published = super::public::one(conn, id)
        .await?
        .ok_or_else(|| InspectionError::NotFound(format!("result {id} is not published")))?;
    let cats = super::catalog::Categories::load(conn).await?;
    let csv = super::public::to_csv(
        super::public::RESULT_HEADER,
        [super::public::result_row(&published, &cats)],
    );
    let fields = dualdraw_solver::tlog::leaf::one(
        "results_sha256",
        serde_json::json!(crate::draw::bundle::sha256_hex(csv.as_bytes())),
    );
    let event = dualdraw_solver::tlog::leaf::Event::new(
        dualdraw_solver::tlog::leaf::Kind::Publish,
        &jurisdiction,
        batch,
        &commitment,
        fields,
    )
    .map_err(|e| InspectionError::invalid("invalid", e.to_string()))?;
    Ok(Some(
        crate::log::store::append_event(conn, &event)
            .await
            .map_err(log_failed)?,
    ))
}

fn log_failed(e: crate::log::LogError) -> InspectionError {
    match e {
        crate::log::LogError::Db(e) => InspectionError::Db(e),
        e => InspectionError::conflict("log", format!("public log: {e}")),
    }
}

/// Records a correction of result `id` (which must be the latest version) as a new version.
pub async fn correct(
    db: &Db,
    p: &Principal,
    id: i64,
    new: NewResult,
    act: &Act,
    today: NaiveDate,
) -> Result<StoredResult, InspectionError> {
    let reason = new.reason.clone().unwrap_or_default();
    if reason.trim().is_empty() {
        return Err(InspectionError::invalid(
            "reason_required",
            "reason: a correction says why",
        ));
    }
    if reason.contains('\0') {
        return Err(InspectionError::invalid(
            "invalid",
            "reason: contains U+0000 (a NUL character), which is not text",
        ));
    }
    let mut tx = db.begin().await?;
    let old = results::get(&mut tx, id).await?;
    let job = jobs::get_to_change(&mut tx, old.job_id).await?;
    let by = results::entered_by(p, &job, new.inspector.as_deref())?;
    let latest: i64 =
        sqlx::query_scalar("SELECT MAX(version) FROM inspection_results WHERE job_id = $1")
            .bind(job.id)
            .fetch_one(&mut *tx)
            .await?;
    if latest != old.version {
        return Err(InspectionError::conflict(
            "not_latest",
            format!(
                "result {id} is version {} of {}; correct the latest",
                old.version, latest
            ),
        ));
    }
    let members = jobs::members(&mut tx, job.id).await?;
    let mut ctx = Context::load(&mut tx, today).await?;
    // A correction is due N working days after it is recorded, not after the check.
    let checked = {
        let n = ctx.publication_workdays;
        ctx.publication_workdays = 0;
        let mut c = results::check(
            &results::Terms::of(&job),
            &results::active(&members),
            &by,
            &new,
            &ctx,
        )
        .map_err(results::first_refusal)?;
        c.due_on = ctx.calendar.add_workdays(act.on, n)?;
        c
    };
    let new_id = results::insert(
        &mut tx,
        &job,
        latest + 1,
        &checked,
        Some(reason.trim()),
        &act.actor,
        &act.at,
    )
    .await?;
    super::proposals::raise(&mut tx, new_id, &job, &checked.categories, &act.at).await?;
    let detail = serde_json::json!({ "job": job.id, "version": latest + 1, "corrects": id, "reason": reason.trim(), "categories": checked.categories });
    crate::audit::append(
        &mut tx,
        &act.actor,
        "inspection.correct",
        &new_id.to_string(),
        &detail,
        &act.at,
    )
    .await?;
    let r = results::get(&mut tx, new_id).await?;
    tx.commit().await?;
    Ok(r)
}

/// An unpublished version past its due date.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Overdue {
    pub result: StoredResult,
    pub working_days_late: u32,
}

/// Unpublished versions due before `today`, most overdue first (by due date, then id), at
/// most `limit`.
pub async fn overdue(
    conn: &mut AnyConnection,
    today: NaiveDate,
    department: Option<&str>,
    limit: i64,
) -> Result<Vec<Overdue>, InspectionError> {
    let cal = crate::calendar_store::load(conn).await?;
    let mut q = crate::db::Sql::new(format!(
        "SELECT {RESULT_COLUMNS} FROM inspection_results WHERE published_on IS NULL AND due_on < "
    ));
    q.bind_text(day(today));
    if let Some(d) = department {
        q.push(" AND department = ").bind_text(d);
    }
    q.push(" ORDER BY due_on, id LIMIT ")
        .bind_int(limit.clamp(1, 10_000));
    let rows = q.query_as::<StoredResult>().fetch_all(conn).await?;
    rows.into_iter()
        .map(|r| {
            let due = parse_day(&r.due_on)?;
            Ok(Overdue {
                working_days_late: cal.workdays_between(due, today)?,
                result: r,
            })
        })
        .collect()
}
