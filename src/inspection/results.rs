//! Recording a result (谁检查、谁录入, `docs/results.md` §2): only an active member of the job's
//! team enters it — an inspector's own token, or a department officer naming the member — with
//! the check date inside the job's period and not in the future, a method of the fixed list,
//! one category per item of the job, and follow-up measures. A job has one result; later
//! versions are corrections (`super::publication`). The checks here are shared by the API and
//! the bulk CSV import (`super::results_csv`).

use super::catalog::{Categories, Method};
use super::jobs::{self, Job, JobState, Member};
use super::{day, InspectionError};
use crate::auth::{Principal, Role};
use crate::calendar::WorkCalendar;
use crate::db::Db;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use std::collections::BTreeMap;

/// A result as submitted (API body; a CSV row is parsed into the same).
#[derive(Clone, Debug, Deserialize)]
pub struct NewResult {
    /// The team member who checked and enters (an inspector's token may omit it: its own id).
    pub inspector: Option<String>,
    pub checked_on: String,
    pub method: String,
    /// Item code → category (code or Chinese name); every item of the job, no other.
    pub items: BTreeMap<String, String>,
    #[serde(default)]
    pub follow_up: String,
    pub follow_up_done_on: Option<String>,
    /// For a correction: why (required there, refused on a first result).
    pub reason: Option<String>,
}

/// A result that passed every check, ready to store.
#[derive(Clone, Debug)]
pub struct Checked {
    pub entered_by: String,
    pub checked_on: NaiveDate,
    pub method: Method,
    /// `ITEM=CATEGORY;…` in item order.
    pub item_results: String,
    /// The distinct categories in their published order, `;`-joined.
    pub categories: Vec<String>,
    pub follow_up: String,
    pub follow_up_done_on: Option<NaiveDate>,
    pub due_on: NaiveDate,
}

/// One failed check: the field, a stable code and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

fn refuse(field: &'static str, code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        field,
        code,
        message: message.into(),
    }
}

/// What the checks need besides the job: today, the categories, the calendar and the deadline.
pub struct Context {
    pub today: NaiveDate,
    pub categories: Categories,
    pub calendar: WorkCalendar,
    pub publication_workdays: u32,
    /// Publication deadlines already counted, by check date: a bulk import counts the same few
    /// hundred dates again and again.
    due: std::sync::Mutex<BTreeMap<NaiveDate, NaiveDate>>,
}

impl Context {
    pub async fn load(conn: &mut AnyConnection, today: NaiveDate) -> Result<Context, sqlx::Error> {
        Ok(Context {
            today,
            categories: Categories::load(conn).await?,
            calendar: crate::calendar_store::load(conn).await?,
            publication_workdays: crate::settings::publication_workdays(conn).await?,
            due: Default::default(),
        })
    }

    /// The publication deadline of a result checked on `checked_on` (`docs/results.md` §5).
    fn due_on(&self, checked_on: NaiveDate) -> Result<NaiveDate, crate::calendar::CalendarError> {
        let mut due = self.due.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(d) = due.get(&checked_on) {
            return Ok(*d);
        }
        let d = self
            .calendar
            .add_workdays(checked_on, self.publication_workdays)?;
        due.insert(checked_on, d);
        Ok(d)
    }
}

/// What the checks read of a job: its names for messages, its period, notice and items. The
/// API reads them from a whole [`Job`] ([`Terms::of`]); the bulk import reads only these
/// columns (`super::results_csv`).
#[derive(Clone, Copy, Debug)]
pub struct Terms<'a> {
    pub visit: &'a str,
    pub department: &'a str,
    pub period_from: &'a str,
    pub period_to: &'a str,
    pub notified_on: Option<&'a str>,
    /// `;`-separated item codes.
    pub items: &'a str,
}

impl<'a> Terms<'a> {
    pub fn of(job: &'a Job) -> Terms<'a> {
        Terms {
            visit: &job.visit,
            department: &job.department,
            period_from: &job.period_from,
            period_to: &job.period_to,
            notified_on: job.notified_on.as_deref(),
            items: &job.items,
        }
    }

    pub fn items(&self) -> Vec<String> {
        self.items
            .split(';')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    }
}

/// The active members of a team, in the order given.
pub fn active(members: &[Member]) -> Vec<&str> {
    members
        .iter()
        .filter(|m| m.active == 1)
        .map(|m| m.inspector.as_str())
        .collect()
}

/// Checks a result for the job of `job` whose active team is `team`, entered by `entered_by`;
/// every failing check, in field order.
pub fn check(
    job: &Terms,
    team: &[&str],
    entered_by: &str,
    new: &NewResult,
    ctx: &Context,
) -> Result<Checked, Vec<Refusal>> {
    let mut errors = Vec::new();
    if !team.contains(&entered_by) {
        errors.push(refuse(
            "inspector",
            "not_on_team",
            format!(
                "{entered_by} is not on the team of {} for {} (team: {})",
                job.visit,
                job.department,
                if team.is_empty() {
                    "none formed".to_string()
                } else {
                    team.join(", ")
                }
            ),
        ));
    }
    let mut date_ok = false;
    let checked_on = match crate::import::source::parse_date(new.checked_on.trim()) {
        Ok(d) => {
            date_ok = true;
            if d < ymd(job.period_from) || d > ymd(job.period_to) {
                date_ok = false;
                errors.push(refuse(
                    "checked_on",
                    "outside_period",
                    format!(
                        "{d} is outside the visit's period {} to {}",
                        job.period_from, job.period_to
                    ),
                ));
            } else if d > ctx.today {
                date_ok = false;
                errors.push(refuse(
                    "checked_on",
                    "in_future",
                    format!("{d} is in the future (today is {})", ctx.today),
                ));
            } else if job.notified_on.is_some_and(|n| day(d).as_str() < n) {
                date_ok = false;
                errors.push(refuse(
                    "checked_on",
                    "before_notice",
                    format!(
                        "{d} is before the notice of {}",
                        job.notified_on.unwrap_or("")
                    ),
                ));
            }
            Some(d)
        }
        Err(m) => {
            errors.push(refuse("checked_on", "invalid", m));
            None
        }
    };
    let method = Method::parse(new.method.trim())
        .map_err(|m| errors.push(refuse("method", "unknown_method", m)))
        .ok();
    let items = job.items();
    let mut found = Vec::new();
    for (item, category) in &new.items {
        if !items.contains(item) {
            errors.push(refuse(
                "items",
                "unknown_item",
                format!(
                    "item {item} is not one of the job's items ({})",
                    items.join(", ")
                ),
            ));
            continue;
        }
        match ctx.categories.parse(category.trim()) {
            Ok(c) => found.push((item.clone(), c)),
            Err(m) => errors.push(refuse(
                "items",
                "unknown_category",
                format!("item {item}: {m}"),
            )),
        }
    }
    for item in &items {
        if !new.items.contains_key(item) {
            errors.push(refuse(
                "items",
                "missing_item",
                format!("item {item} of the job has no result"),
            ));
        }
    }
    let done_on = match new
        .follow_up_done_on
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(s) => match crate::import::source::parse_date(s) {
            Ok(d) if checked_on.is_some_and(|c| d < c) || d > ctx.today => {
                errors.push(refuse(
                    "follow_up_done_on",
                    "invalid",
                    format!("{d} must be between the check and today"),
                ));
                None
            }
            Ok(d) => Some(d),
            Err(m) => {
                errors.push(refuse("follow_up_done_on", "invalid", m));
                None
            }
        },
    };
    if new.follow_up.contains('\0') {
        // PostgreSQL cannot store U+0000 in text: refused here, as on SQLite, rather than by
        // the database as a server error.
        errors.push(refuse(
            "follow_up",
            "invalid",
            "contains U+0000 (a NUL character), which is not text",
        ));
    }
    let due_on = match checked_on.filter(|_| date_ok).map(|c| ctx.due_on(c)) {
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => {
            errors.push(refuse("checked_on", "no_schedule", e.to_string()));
            None
        }
        None => None,
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let order = |c: &String| ctx.categories.0.iter().position(|(code, _)| code == c);
    let mut categories: Vec<String> = found.iter().map(|(_, c)| c.clone()).collect();
    categories.sort_by_key(order);
    categories.dedup();
    Ok(Checked {
        entered_by: entered_by.to_string(),
        checked_on: checked_on.expect("checked"),
        method: method.expect("checked"),
        item_results: found
            .iter()
            .map(|(i, c)| format!("{i}={c}"))
            .collect::<Vec<_>>()
            .join(";"),
        categories,
        follow_up: new.follow_up.trim().to_string(),
        follow_up_done_on: done_on,
        due_on: due_on.expect("checked"),
    })
}

/// A stored `YYYY-MM-DD` date (chrono's ISO parser: no format string to interpret per row).
fn ymd(s: &str) -> NaiveDate {
    s.parse().unwrap_or(NaiveDate::MIN)
}

/// The inspector a caller enters as: an inspector token its own id (and no other), a
/// department officer or admin the member named in the body.
pub fn entered_by(
    p: &Principal,
    job: &Job,
    named: Option<&str>,
) -> Result<String, InspectionError> {
    match p.role {
        Role::Inspector => {
            let own = p.scope.clone().unwrap_or_default();
            match named {
                Some(n) if n != own => Err(InspectionError::forbidden(
                    "not_on_team",
                    format!("an inspector enters results as themself ({own}), not as {n}"),
                )),
                _ => Ok(own),
            }
        }
        Role::Department | Role::Admin => {
            jobs::check_department(p, job)?;
            named.map(String::from).ok_or_else(|| {
                InspectionError::invalid("invalid", "inspector: name the team member who checked")
            })
        }
        other => Err(InspectionError::forbidden(
            "forbidden",
            format!("role {other} does not enter inspection results"),
        )),
    }
}

/// A stored result version.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct StoredResult {
    pub id: i64,
    pub job_id: i64,
    pub version: i64,
    pub uscc: String,
    pub department: String,
    pub entered_by: String,
    pub checked_on: String,
    pub method: String,
    pub item_results: String,
    pub categories: String,
    pub follow_up: String,
    pub follow_up_done_on: Option<String>,
    pub due_on: String,
    pub published_on: Option<String>,
    pub reason: Option<String>,
    pub recorded_at: String,
    pub actor: String,
}

pub const RESULT_COLUMNS: &str = "id, job_id, version, uscc, department, entered_by, checked_on, method, item_results, categories, follow_up, follow_up_done_on, due_on, published_on, reason, recorded_at, actor";

/// The refusal of an API request: the first failing check with its code.
pub fn first_refusal(errors: Vec<Refusal>) -> InspectionError {
    let e = errors.into_iter().next().expect("at least one");
    let message = format!("{}: {}", e.field, e.message);
    match e.code {
        "not_on_team" => InspectionError::forbidden("not_on_team", message),
        code => InspectionError::invalid(code, message),
    }
}

/// Inserts a checked version inside the caller's transaction; the unique (job, version)
/// constraint turns a concurrent second result into `duplicate_result`.
pub async fn insert(
    conn: &mut AnyConnection,
    job: &Job,
    version: i64,
    c: &Checked,
    reason: Option<&str>,
    actor: &str,
    at: &str,
) -> Result<i64, InspectionError> {
    let inserted = sqlx::query_scalar::<_, i64>(
        "INSERT INTO inspection_results (job_id, version, uscc, department, entered_by, checked_on, method, item_results, categories, follow_up, follow_up_done_on, due_on, reason, recorded_at, actor) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
    )
    .bind(job.id)
    .bind(version)
    .bind(&job.uscc)
    .bind(&job.department)
    .bind(&c.entered_by)
    .bind(day(c.checked_on))
    .bind(c.method.code())
    .bind(&c.item_results)
    .bind(c.categories.join(";"))
    .bind(&c.follow_up)
    .bind(c.follow_up_done_on.map(day))
    .bind(day(c.due_on))
    .bind(reason)
    .bind(at)
    .bind(actor)
    .fetch_one(&mut *conn)
    .await;
    match inserted {
        Ok(id) => Ok(id),
        Err(e)
            if crate::db::violates(&e, "inspection_results_version")
                || e.to_string().contains("UNIQUE") =>
        {
            Err(duplicate(job))
        }
        Err(e) => Err(e.into()),
    }
}

pub fn duplicate(job: &Job) -> InspectionError {
    InspectionError::conflict(
        "duplicate_result",
        format!(
            "{} {} already has a result; a change is a correction (POST /api/v1/inspection-results/{{id}}/corrections)",
            job.visit, job.department
        ),
    )
}

/// Records the first result of a job: one transaction with the job's move to `done`, the
/// credit proposals it raises and the audit entry.
pub async fn record(
    db: &Db,
    p: &Principal,
    job_id: i64,
    new: NewResult,
    at: &str,
    today: NaiveDate,
) -> Result<StoredResult, InspectionError> {
    let mut tx = db.begin().await?;
    let job = jobs::get_to_change(&mut tx, job_id).await?;
    let by = entered_by(p, &job, new.inspector.as_deref())?;
    if new.reason.is_some() {
        return Err(InspectionError::invalid(
            "invalid",
            "reason: only a correction has a reason",
        ));
    }
    match job.state() {
        JobState::Done => return Err(duplicate(&job)),
        JobState::NotCarriedOut => {
            return Err(InspectionError::conflict(
                "wrong_state",
                format!("job {job_id} was not carried out; it has no result"),
            ))
        }
        _ => {}
    }
    let members = jobs::members(&mut tx, job_id).await?;
    let ctx = Context::load(&mut tx, today).await?;
    let checked =
        check(&Terms::of(&job), &active(&members), &by, &new, &ctx).map_err(first_refusal)?;
    let id = insert(&mut tx, &job, 1, &checked, None, &p.actor(), at).await?;
    jobs::mark_done(&mut tx, &job, at).await?;
    super::proposals::raise(&mut tx, id, &job, &checked.categories, at).await?;
    let detail = serde_json::json!({ "job": job_id, "version": 1, "entered_by": by, "checked_on": day(checked.checked_on), "categories": checked.categories, "due_on": day(checked.due_on) });
    crate::audit::append(
        &mut tx,
        &p.actor(),
        "inspection.result",
        &id.to_string(),
        &detail,
        at,
    )
    .await?;
    let stored = get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(stored)
}

/// One result version, or 404.
pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<StoredResult, InspectionError> {
    sqlx::query_as::<_, StoredResult>(&format!(
        "SELECT {RESULT_COLUMNS} FROM inspection_results WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| InspectionError::NotFound(format!("no inspection result {id}")))
}

/// Every version of a job's result, oldest first.
pub async fn versions(
    conn: &mut AnyConnection,
    job_id: i64,
) -> Result<Vec<StoredResult>, sqlx::Error> {
    sqlx::query_as::<_, StoredResult>(&format!(
        "SELECT {RESULT_COLUMNS} FROM inspection_results WHERE job_id = $1 ORDER BY version"
    ))
    .bind(job_id)
    .fetch_all(conn)
    .await
}

/// The view of a result for the API: items and categories as lists, with Chinese names.
pub fn view(r: &StoredResult, categories: &Categories) -> serde_json::Value {
    let mut v = serde_json::to_value(r).expect("plain data");
    v["items"] = serde_json::json!(r
        .item_results
        .split(';')
        .filter_map(|p| p.split_once('='))
        .map(|(i, c)| serde_json::json!({ "item": i, "category": c, "category_zh": categories.name(c) }))
        .collect::<Vec<_>>());
    v["categories"] = serde_json::json!(r
        .categories
        .split(';')
        .filter(|c| !c.is_empty())
        .collect::<Vec<_>>());
    v["method_zh"] = serde_json::json!(Method::parse(&r.method).map(|m| m.name_zh()).unwrap_or(""));
    v.as_object_mut().expect("object").remove("item_results");
    v
}
