//! Credit use cases: each is one transaction, checks its rules, appends to the audit log and
//! commits (`docs/architecture.md`, "Conventions": the use case owns the transaction).
//!
//! Repair (信用修复, 国家发展改革委令第36号; 国市监信规〔2021〕3号): filing checks eligibility and
//! names every reason it fails; intake re-checks it; approval ends the record's publicity and
//! re-derives the tier at once.

use super::record::{CreditRecord, RecordKind, RecordStatus};
use super::repair::{self, Ineligible, Overdue, RepairRequest, RepairRow, RepairState, Step};
use super::rules::RuleTable;
use super::store;
use super::tier::{effective_tier, TierDecision};
use crate::calendar::CalendarError;
use crate::db::Db;
use crate::registry::store as registry;
use chrono::NaiveDate;
use dualdraw_solver::Uscc;
use serde::Serialize;
use sqlx::AnyConnection;

/// Why a credit action was not taken.
#[derive(Debug, thiserror::Error)]
pub enum CreditError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Invalid(String),
    #[error("not eligible for repair: {}", .0.iter().map(|r| r.to_string()).collect::<Vec<_>>().join("; "))]
    Ineligible(Vec<Ineligible>),
    #[error("repair request {id} is {state}; only {expected} requests can be {action}")]
    WrongState {
        id: i64,
        state: &'static str,
        expected: &'static str,
        action: &'static str,
    },
    #[error("record {record_id} already has an open repair request ({request_id})")]
    AlreadyOpen { record_id: i64, request_id: i64 },
    #[error("{0}")]
    Duplicate(String),
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Who acts, when: the actor label, the business date and the exact time.
#[derive(Clone, Debug)]
pub struct Act {
    pub actor: String,
    pub on: NaiveDate,
    pub at: String,
    /// For enterprise callers: the only USCC they may act for.
    pub only_uscc: Option<String>,
}

impl Act {
    fn step(&self) -> Step {
        Step {
            by: self.actor.clone(),
            on: self.on,
            at: self.at.clone(),
        }
    }
}

/// An enterprise's effective tier on a date, with its records.
pub async fn tier_of(
    conn: &mut AnyConnection,
    rules: &RuleTable,
    uscc: &Uscc,
    on: NaiveDate,
) -> Result<
    (
        crate::registry::model::Enterprise,
        Vec<CreditRecord>,
        TierDecision,
    ),
    CreditError,
> {
    let e = registry::enterprise(conn, uscc)
        .await?
        .ok_or_else(|| CreditError::NotFound(format!("no enterprise with code {uscc}")))?;
    let records = store::records_of(conn, uscc).await?;
    let decision = effective_tier(e.base_tier, &records, rules, on);
    Ok((e, records, decision))
}

/// A new record as entered through the API.
#[derive(Clone, Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct NewRecord {
    #[schema(pattern = "^[0-9A-HJ-NP-RTUWXY]{18}$")]
    pub uscc: String,
    /// penalty-minor, penalty-general, penalty-serious, abnormal-list, serious-list or
    /// commendation (or the Chinese name).
    pub kind: String,
    pub department: String,
    pub document_no: String,
    pub decided_on: NaiveDate,
    pub publicity_min_until: Option<NaiveDate>,
    pub publicity_max_until: Option<NaiveDate>,
    pub early_end_allowed: Option<bool>,
    #[serde(default)]
    pub summary: String,
}

/// A record from its request, its publicity window defaulted from the rule table.
fn new_record(rules: &RuleTable, new: NewRecord) -> Result<CreditRecord, CreditError> {
    let uscc = Uscc::parse(&new.uscc).map_err(|e| CreditError::Invalid(format!("uscc: {e}")))?;
    let kind =
        RecordKind::parse(&new.kind).map_err(|e| CreditError::Invalid(format!("kind: {e}")))?;
    if new.document_no.trim().is_empty() {
        return Err(CreditError::Invalid("document_no: is empty".into()));
    }
    let (min, max) = rules.default_window(kind, new.decided_on);
    let (min, max) = (
        new.publicity_min_until.unwrap_or(min),
        new.publicity_max_until.unwrap_or(max),
    );
    if min < new.decided_on || max < min {
        return Err(CreditError::Invalid(format!(
            "publicity window: need decided_on <= publicity_min_until <= publicity_max_until, got {} / {min} / {max}",
            new.decided_on
        )));
    }
    Ok(CreditRecord {
        id: 0,
        uscc,
        kind,
        department: new.department,
        document_no: new.document_no.trim().to_string(),
        decided_on: new.decided_on,
        publicity_min_until: min,
        publicity_max_until: max,
        early_end_allowed: new.early_end_allowed.unwrap_or(true),
        status: RecordStatus::Active,
        ended_on: None,
        summary: new.summary,
    })
}

/// Adds one credit record; its publicity window defaults from the rule table.
pub async fn add_record(
    db: &Db,
    rules: &RuleTable,
    new: NewRecord,
    act: &Act,
) -> Result<CreditRecord, CreditError> {
    let record = new_record(rules, new)?;
    let mut tx = db.begin().await?;
    let record = insert_checked(&mut tx, record, act).await?;
    tx.commit().await?;
    Ok(record)
}

/// Adds one credit record inside the caller's transaction (a confirmed credit proposal,
/// `docs/results.md`): the same checks and audit entry as [`add_record`], no commit.
pub async fn add_record_in(
    tx: &mut AnyConnection,
    rules: &RuleTable,
    new: NewRecord,
    act: &Act,
) -> Result<CreditRecord, CreditError> {
    let record = new_record(rules, new)?;
    insert_checked(tx, record, act).await
}

async fn insert_checked(
    tx: &mut AnyConnection,
    mut record: CreditRecord,
    act: &Act,
) -> Result<CreditRecord, CreditError> {
    if registry::enterprise(&mut *tx, &record.uscc)
        .await?
        .is_none()
    {
        return Err(CreditError::Invalid(format!(
            "uscc: enterprise {} does not exist",
            record.uscc
        )));
    }
    if !registry::departments(&mut *tx)
        .await?
        .iter()
        .any(|d| d.code == record.department)
    {
        return Err(CreditError::Invalid(format!(
            "department: '{}' does not exist",
            record.department
        )));
    }
    record.id = match store::insert_record(&mut *tx, &record).await {
        Ok(id) => id,
        Err(e)
            if crate::db::violates(&e, "credit_records_document_unique")
                || e.to_string().contains("UNIQUE") =>
        {
            return Err(CreditError::Duplicate(format!(
                "department {} already has a record with document number {}",
                record.department, record.document_no
            )))
        }
        Err(e) => return Err(e.into()),
    };
    let detail = serde_json::to_value(&record).expect("plain data");
    crate::audit::append(
        tx,
        &act.actor,
        "credit.record",
        &record.id.to_string(),
        &detail,
        &act.at,
    )
    .await?;
    Ok(record)
}

/// A repair application.
#[derive(Clone, Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct Filing {
    pub record_id: i64,
    #[serde(default)]
    pub commitment: String,
    #[serde(default)]
    pub proof: String,
}

/// The request `id` if the actor may see it, locked for a step on PostgreSQL.
async fn load_request(
    conn: &mut AnyConnection,
    id: i64,
    act: &Act,
) -> Result<RepairRequest, CreditError> {
    let row = store::repair_to_change(conn, id).await?;
    visible(row, id, act)
}

fn visible(row: Option<RepairRow>, id: i64, act: &Act) -> Result<RepairRequest, CreditError> {
    let row = row.ok_or_else(|| CreditError::NotFound(format!("no repair request {id}")))?;
    if act.only_uscc.as_ref().is_some_and(|u| *u != row.uscc) {
        return Err(CreditError::NotFound(format!("no repair request {id}")));
    }
    RepairRequest::try_from(row)
        .map_err(|e| CreditError::Db(sqlx::Error::Decode(e.to_string().into())))
}

/// One request, if the actor may see it.
pub async fn request(
    conn: &mut AnyConnection,
    id: i64,
    act: &Act,
) -> Result<RepairRequest, CreditError> {
    visible(store::repair(conn, id).await?, id, act)
}

/// Files a repair request against one record.
pub async fn file(
    db: &Db,
    rules: &RuleTable,
    filing: Filing,
    act: &Act,
) -> Result<RepairRequest, CreditError> {
    let mut tx = db.begin().await?;
    let record = store::record(&mut tx, filing.record_id)
        .await?
        .filter(|r| act.only_uscc.as_ref().is_none_or(|u| u == r.uscc.as_str()))
        .ok_or_else(|| CreditError::NotFound(format!("no credit record {}", filing.record_id)))?;
    if let Some(open) = store::open_repair_for(&mut tx, record.id).await? {
        return Err(CreditError::AlreadyOpen {
            record_id: record.id,
            request_id: open,
        });
    }
    require_eligible(
        &mut tx,
        &record,
        rules,
        &filing.commitment,
        &filing.proof,
        act.on,
    )
    .await?;
    let cal = crate::calendar_store::load(&mut tx).await?;
    let settings = crate::settings::repair(&mut tx).await?;
    let submitted = repair::file(act.step(), &cal, &settings)?;
    let mut request = RepairRequest {
        id: 0,
        record_id: record.id,
        uscc: record.uscc,
        commitment: filing.commitment.trim().to_string(),
        proof: filing.proof.trim().to_string(),
        state: RepairState::Submitted(submitted),
    };
    // The unique index of open requests stops a concurrent filing the check above missed.
    request.id = store::insert_repair(&mut tx, &RepairRow::from(&request))
        .await
        .map_err(|e| match e.as_database_error() {
            Some(d) if d.is_unique_violation() => CreditError::Duplicate(format!(
                "record {} already has an open repair request",
                record.id
            )),
            _ => CreditError::Db(e),
        })?;
    audit_step(&mut tx, &request, "repair.file", act).await?;
    tx.commit().await?;
    Ok(request)
}

/// Fails with every reason `record` cannot be repaired on `on`, given the enterprise's other
/// records; checked at filing, at intake and again at approval.
async fn require_eligible(
    conn: &mut AnyConnection,
    record: &CreditRecord,
    rules: &RuleTable,
    commitment: &str,
    proof: &str,
    on: NaiveDate,
) -> Result<(), CreditError> {
    let others = store::records_of(conn, &record.uscc).await?;
    let problems = repair::check_eligibility(record, &others, rules, commitment, proof, on);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(CreditError::Ineligible(problems))
    }
}

/// [`require_eligible`] for the record of a request already filed.
async fn require_still_eligible(
    conn: &mut AnyConnection,
    r: &RepairRequest,
    rules: &RuleTable,
    on: NaiveDate,
) -> Result<(), CreditError> {
    let record = store::record(conn, r.record_id)
        .await?
        .ok_or_else(|| CreditError::NotFound(format!("no credit record {}", r.record_id)))?;
    require_eligible(conn, &record, rules, &r.commitment, &r.proof, on).await
}

/// Stores a request's new state and its audit entry.
async fn save_step(
    conn: &mut AnyConnection,
    r: &RepairRequest,
    action: &str,
    act: &Act,
) -> Result<(), sqlx::Error> {
    store::update_repair(conn, &RepairRow::from(r)).await?;
    audit_step(conn, r, action, act).await
}

async fn audit_step(
    conn: &mut AnyConnection,
    r: &RepairRequest,
    action: &str,
    act: &Act,
) -> Result<(), sqlx::Error> {
    let detail = r.view();
    crate::audit::append(
        conn,
        &act.actor,
        action,
        &format!("repair/{}", r.id),
        &detail,
        &act.at,
    )
    .await?;
    Ok(())
}

/// A step cannot be dated before the step it follows.
fn not_before(previous: &Step, what: &str, act: &Act) -> Result<(), CreditError> {
    if act.on < previous.on {
        return Err(CreditError::Invalid(format!(
            "on: {} is before the request was {what} on {}; a step cannot be dated before the one it follows",
            act.on, previous.on
        )));
    }
    Ok(())
}

fn wrong_state(r: &RepairRequest, expected: &'static str, action: &'static str) -> CreditError {
    CreditError::WrongState {
        id: r.id,
        state: r.state.name(),
        expected,
        action,
    }
}

/// Accepts at intake after re-checking eligibility; an ineligible request is not accepted and
/// the reasons are returned so the officer can refuse it with them.
pub async fn accept(
    db: &Db,
    rules: &RuleTable,
    id: i64,
    act: &Act,
) -> Result<RepairRequest, CreditError> {
    let mut tx = db.begin().await?;
    let mut r = load_request(&mut tx, id, act).await?;
    let RepairState::Submitted(submitted) = r.state.clone() else {
        return Err(wrong_state(&r, "submitted", "accepted"));
    };
    not_before(&submitted.filed, "filed", act)?;
    require_still_eligible(&mut tx, &r, rules, act.on).await?;
    let cal = crate::calendar_store::load(&mut tx).await?;
    let settings = crate::settings::repair(&mut tx).await?;
    r.state = RepairState::Accepted(submitted.accept(act.step(), &cal, &settings)?);
    save_step(&mut tx, &r, "repair.accept", act).await?;
    tx.commit().await?;
    Ok(r)
}

fn reasons_given(reasons: Vec<String>) -> Result<Vec<String>, CreditError> {
    let reasons: Vec<String> = reasons
        .into_iter()
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .collect();
    if reasons.is_empty() {
        return Err(CreditError::Invalid(
            "reasons: a refusal or denial must name its reason".into(),
        ));
    }
    Ok(reasons)
}

/// Refuses at intake, naming the reasons.
pub async fn refuse(
    db: &Db,
    id: i64,
    reasons: Vec<String>,
    act: &Act,
) -> Result<RepairRequest, CreditError> {
    let reasons = reasons_given(reasons)?;
    let mut tx = db.begin().await?;
    let mut r = load_request(&mut tx, id, act).await?;
    let RepairState::Submitted(submitted) = r.state.clone() else {
        return Err(wrong_state(&r, "submitted", "refused"));
    };
    not_before(&submitted.filed, "filed", act)?;
    r.state = RepairState::Refused(submitted.refuse(act.step(), reasons));
    save_step(&mut tx, &r, "repair.refuse", act).await?;
    tx.commit().await?;
    Ok(r)
}

/// The outcome of an approval: the request and the enterprise's tier from the decision day.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Approval {
    #[schema(value_type = crate::credit::repair::RepairRequest)]
    pub request: serde_json::Value,
    pub tier: TierDecision,
}

/// Approves after re-checking eligibility on the decision day (a repeat violation may have been
/// recorded, or publicity may have ended, since intake; the reasons are returned so the officer
/// can deny with them), ends the record's publicity on that day and re-derives the tier at once.
pub async fn approve(
    db: &Db,
    rules: &RuleTable,
    id: i64,
    act: &Act,
) -> Result<Approval, CreditError> {
    let mut tx = db.begin().await?;
    let mut r = load_request(&mut tx, id, act).await?;
    let RepairState::Accepted(accepted) = r.state.clone() else {
        return Err(wrong_state(&r, "accepted", "approved"));
    };
    not_before(&accepted.intake, "accepted", act)?;
    require_still_eligible(&mut tx, &r, rules, act.on).await?;
    let approved = accepted.approve(act.step());
    let ended_on = approved.decision.on;
    store::end_record(&mut tx, r.record_id, RecordStatus::Repaired, ended_on).await?;
    r.state = RepairState::Approved(approved);
    save_step(&mut tx, &r, "repair.approve", act).await?;
    let (_, _, tier) = tier_of(&mut tx, rules, &r.uscc, act.on).await?;
    let detail = serde_json::to_value(&tier).expect("plain data");
    crate::audit::append(
        &mut tx,
        &act.actor,
        "credit.tier",
        r.uscc.as_str(),
        &detail,
        &act.at,
    )
    .await?;
    tx.commit().await?;
    Ok(Approval {
        request: r.view(),
        tier,
    })
}

/// Denies after examination, naming the reasons.
pub async fn deny(
    db: &Db,
    id: i64,
    reasons: Vec<String>,
    act: &Act,
) -> Result<RepairRequest, CreditError> {
    let reasons = reasons_given(reasons)?;
    let mut tx = db.begin().await?;
    let mut r = load_request(&mut tx, id, act).await?;
    let RepairState::Accepted(accepted) = r.state.clone() else {
        return Err(wrong_state(&r, "accepted", "denied"));
    };
    not_before(&accepted.intake, "accepted", act)?;
    r.state = RepairState::Denied(accepted.deny(act.step(), reasons));
    save_step(&mut tx, &r, "repair.deny", act).await?;
    tx.commit().await?;
    Ok(r)
}

/// Requests, optionally filtered.
pub async fn requests(
    conn: &mut AnyConnection,
    state: Option<&str>,
    uscc: Option<&str>,
) -> Result<Vec<RepairRequest>, CreditError> {
    let rows = store::repairs(conn, state, uscc).await?;
    rows.into_iter()
        .map(|row| {
            RepairRequest::try_from(row)
                .map_err(|e| CreditError::Db(sqlx::Error::Decode(e.to_string().into())))
        })
        .collect()
}

/// Open requests past their deadline on `today`, most late first.
pub async fn overdue(
    conn: &mut AnyConnection,
    today: NaiveDate,
) -> Result<Vec<(RepairRequest, Overdue)>, CreditError> {
    let cal = crate::calendar_store::load(conn).await?;
    let mut late = Vec::new();
    for state in ["submitted", "accepted"] {
        for r in requests(conn, Some(state), None).await? {
            if let Some(o) = r.overdue(today, &cal)? {
                late.push((r, o));
            }
        }
    }
    late.sort_by(|a, b| {
        b.1.working_days_late
            .cmp(&a.1.working_days_late)
            .then(a.0.id.cmp(&b.0.id))
    });
    Ok(late)
}
