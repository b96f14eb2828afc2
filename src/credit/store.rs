//! Credit records and repair requests in the database.

use super::record::{CreditRecord, RecordKind, RecordStatus};
use super::repair::RepairRow;
use crate::db::{Backend, Sql};
use crate::registry::model::Enterprise;
use crate::registry::store::{EnterpriseRow, ENTERPRISE_COLUMNS};
use chrono::NaiveDate;
use dualdraw_solver::Uscc;
use sqlx::{AnyConnection, FromRow};

fn corrupt(what: String) -> sqlx::Error {
    sqlx::Error::Decode(format!("corrupt credit record: {what}").into())
}

fn date(s: &str) -> Result<NaiveDate, sqlx::Error> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| corrupt(format!("bad date '{s}'")))
}

pub fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

#[derive(FromRow)]
struct RecordRow {
    id: i64,
    uscc: String,
    kind: String,
    department: String,
    document_no: String,
    decided_on: String,
    publicity_min_until: String,
    publicity_max_until: String,
    early_end_allowed: i64,
    status: String,
    ended_on: Option<String>,
    summary: String,
}

impl TryFrom<RecordRow> for CreditRecord {
    type Error = sqlx::Error;
    fn try_from(r: RecordRow) -> Result<Self, Self::Error> {
        Ok(CreditRecord {
            id: r.id,
            uscc: Uscc::parse(&r.uscc).map_err(|e| corrupt(e.to_string()))?,
            kind: RecordKind::parse(&r.kind).map_err(corrupt)?,
            department: r.department,
            document_no: r.document_no,
            decided_on: date(&r.decided_on)?,
            publicity_min_until: date(&r.publicity_min_until)?,
            publicity_max_until: date(&r.publicity_max_until)?,
            early_end_allowed: r.early_end_allowed != 0,
            status: RecordStatus::parse(&r.status).map_err(corrupt)?,
            ended_on: r.ended_on.as_deref().map(date).transpose()?,
            summary: r.summary,
        })
    }
}

const COLUMNS: &str = "id, uscc, kind, department, document_no, decided_on, publicity_min_until, \
    publicity_max_until, early_end_allowed, status, ended_on, summary";

/// Every record of one enterprise, oldest first.
pub async fn records_of(
    conn: &mut AnyConnection,
    uscc: &Uscc,
) -> Result<Vec<CreditRecord>, sqlx::Error> {
    let rows = sqlx::query_as::<_, RecordRow>(&format!(
        "SELECT {COLUMNS} FROM credit_records WHERE uscc = $1 ORDER BY decided_on, id"
    ))
    .bind(uscc.as_str())
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(CreditRecord::try_from).collect()
}

#[derive(FromRow)]
struct JoinedRow {
    #[sqlx(flatten)]
    enterprise: EnterpriseRow,
    r_id: Option<i64>,
    r_kind: Option<String>,
    r_department: Option<String>,
    r_document_no: Option<String>,
    r_decided_on: Option<String>,
    r_publicity_min_until: Option<String>,
    r_publicity_max_until: Option<String>,
    r_early_end_allowed: Option<i64>,
    r_status: Option<String>,
    r_ended_on: Option<String>,
    r_summary: Option<String>,
}

impl JoinedRow {
    fn record(&self) -> Option<RecordRow> {
        Some(RecordRow {
            id: self.r_id?,
            uscc: self.enterprise.uscc.clone(),
            kind: self.r_kind.clone()?,
            department: self.r_department.clone()?,
            document_no: self.r_document_no.clone()?,
            decided_on: self.r_decided_on.clone()?,
            publicity_min_until: self.r_publicity_min_until.clone()?,
            publicity_max_until: self.r_publicity_max_until.clone()?,
            early_end_allowed: self.r_early_end_allowed?,
            status: self.r_status.clone()?,
            ended_on: self.r_ended_on.clone(),
            summary: self.r_summary.clone()?,
        })
    }
}

/// An enterprise with all its records, oldest first, in one statement: the hot path of
/// `GET /api/v1/enterprises/{uscc}`.
pub async fn enterprise_with_records(
    conn: &mut AnyConnection,
    uscc: &Uscc,
) -> Result<Option<(Enterprise, Vec<CreditRecord>)>, sqlx::Error> {
    let e_columns: Vec<String> = ENTERPRISE_COLUMNS
        .split(", ")
        .map(|c| format!("e.{c}"))
        .collect();
    let r_columns: Vec<String> = COLUMNS
        .split(", ")
        .filter(|c| *c != "uscc")
        .map(|c| format!("r.{c} AS r_{c}"))
        .collect();
    let sql = format!(
        "SELECT {}, {} FROM enterprises e LEFT JOIN credit_records r ON r.uscc = e.uscc \
         WHERE e.uscc = $1 ORDER BY r.decided_on, r.id",
        e_columns.join(", "),
        r_columns.join(", ")
    );
    let rows = sqlx::query_as::<_, JoinedRow>(&sql)
        .bind(uscc.as_str())
        .fetch_all(conn)
        .await?;
    let records = rows
        .iter()
        .filter_map(JoinedRow::record)
        .map(CreditRecord::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    match rows.into_iter().next() {
        Some(row) => Ok(Some((Enterprise::try_from(row.enterprise)?, records))),
        None => Ok(None),
    }
}

/// Every record, by enterprise then decision date.
pub async fn all_records(conn: &mut AnyConnection) -> Result<Vec<CreditRecord>, sqlx::Error> {
    let rows = sqlx::query_as::<_, RecordRow>(&format!(
        "SELECT {COLUMNS} FROM credit_records ORDER BY uscc, decided_on, id"
    ))
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(CreditRecord::try_from).collect()
}

/// One record by id.
pub async fn record(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<CreditRecord>, sqlx::Error> {
    let row = sqlx::query_as::<_, RecordRow>(&format!(
        "SELECT {COLUMNS} FROM credit_records WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(CreditRecord::try_from).transpose()
}

/// Filters of the record list.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct RecordFilter {
    pub uscc: Option<String>,
    pub department: Option<String>,
    pub kind: Option<String>,
    /// Only records in publicity on this date.
    pub in_publicity_on: Option<String>,
    pub after_id: Option<i64>,
    pub limit: Option<i64>,
}

/// A page of records in id order.
pub async fn records(
    conn: &mut AnyConnection,
    f: &RecordFilter,
) -> Result<Vec<CreditRecord>, sqlx::Error> {
    let mut q = Sql::new(format!("SELECT {COLUMNS} FROM credit_records WHERE 1 = 1"));
    if let Some(v) = &f.uscc {
        q.push(" AND uscc = ").bind_text(v.clone());
    }
    if let Some(v) = &f.department {
        q.push(" AND department = ").bind_text(v.clone());
    }
    if let Some(v) = &f.kind {
        q.push(" AND kind = ").bind_text(v.clone());
    }
    if let Some(on) = &f.in_publicity_on {
        q.push(" AND status = 'active' AND decided_on <= ")
            .bind_text(on.clone());
        q.push(" AND publicity_max_until > ").bind_text(on.clone());
    }
    if let Some(v) = f.after_id {
        q.push(" AND id > ").bind_int(v);
    }
    q.push(" ORDER BY id LIMIT ")
        .bind_int(f.limit.unwrap_or(100).clamp(1, 1000));
    let rows = q.query_as::<RecordRow>().fetch_all(conn).await?;
    rows.into_iter().map(CreditRecord::try_from).collect()
}

/// Inserts one record; returns its id. A repeated (department, document_no) violates
/// `credit_records_document_unique`.
pub async fn insert_record(conn: &mut AnyConnection, r: &CreditRecord) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar::<_, i64>(
        "INSERT INTO credit_records (uscc, kind, department, document_no, decided_on, publicity_min_until, \
         publicity_max_until, early_end_allowed, status, ended_on, summary) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(r.uscc.as_str())
    .bind(r.kind.as_str())
    .bind(&r.department)
    .bind(&r.document_no)
    .bind(iso(r.decided_on))
    .bind(iso(r.publicity_min_until))
    .bind(iso(r.publicity_max_until))
    .bind(r.early_end_allowed as i64)
    .bind(r.status.as_str())
    .bind(r.ended_on.map(iso))
    .bind(&r.summary)
    .fetch_one(conn)
    .await
}

/// Ends a record's publicity early (repair approved, decision revoked).
pub async fn end_record(
    conn: &mut AnyConnection,
    id: i64,
    status: RecordStatus,
    on: NaiveDate,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE credit_records SET status = $1, ended_on = $2 WHERE id = $3")
        .bind(status.as_str())
        .bind(iso(on))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

const REPAIR_COLUMNS: &str = "id, record_id, uscc, state, commitment, proof, filed_by, filed_on, filed_at, \
    intake_due, intake_by, intake_on, intake_at, decision_due, decided_by, decided_on, decided_at, reasons";

#[derive(FromRow)]
struct StoredRepair {
    id: i64,
    record_id: i64,
    uscc: String,
    state: String,
    commitment: String,
    proof: String,
    filed_by: String,
    filed_on: String,
    filed_at: String,
    intake_due: String,
    intake_by: Option<String>,
    intake_on: Option<String>,
    intake_at: Option<String>,
    decision_due: Option<String>,
    decided_by: Option<String>,
    decided_on: Option<String>,
    decided_at: Option<String>,
    reasons: String,
}

impl From<StoredRepair> for RepairRow {
    fn from(r: StoredRepair) -> RepairRow {
        RepairRow {
            id: r.id,
            record_id: r.record_id,
            uscc: r.uscc,
            state: r.state,
            commitment: r.commitment,
            proof: r.proof,
            filed_by: r.filed_by,
            filed_on: r.filed_on,
            filed_at: r.filed_at,
            intake_due: r.intake_due,
            intake_by: r.intake_by,
            intake_on: r.intake_on,
            intake_at: r.intake_at,
            decision_due: r.decision_due,
            decided_by: r.decided_by,
            decided_on: r.decided_on,
            decided_at: r.decided_at,
            reasons: r.reasons,
        }
    }
}

/// Inserts a new request; returns its id.
pub async fn insert_repair(conn: &mut AnyConnection, r: &RepairRow) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar::<_, i64>(
        "INSERT INTO repair_requests (record_id, uscc, state, commitment, proof, filed_by, filed_on, filed_at, \
         intake_due, intake_by, intake_on, intake_at, decision_due, decided_by, decided_on, decided_at, reasons) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id",
    )
    .bind(r.record_id)
    .bind(&r.uscc)
    .bind(&r.state)
    .bind(&r.commitment)
    .bind(&r.proof)
    .bind(&r.filed_by)
    .bind(&r.filed_on)
    .bind(&r.filed_at)
    .bind(&r.intake_due)
    .bind(r.intake_by.clone())
    .bind(r.intake_on.clone())
    .bind(r.intake_at.clone())
    .bind(r.decision_due.clone())
    .bind(r.decided_by.clone())
    .bind(r.decided_on.clone())
    .bind(r.decided_at.clone())
    .bind(&r.reasons)
    .fetch_one(conn)
    .await
}

/// Writes a request's new state; read it with [`repair_to_change`] in the same transaction.
pub async fn update_repair(conn: &mut AnyConnection, r: &RepairRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE repair_requests SET state = $1, intake_by = $2, intake_on = $3, intake_at = $4, \
         decision_due = $5, decided_by = $6, decided_on = $7, decided_at = $8, reasons = $9 \
         WHERE id = $10",
    )
    .bind(&r.state)
    .bind(r.intake_by.clone())
    .bind(r.intake_on.clone())
    .bind(r.intake_at.clone())
    .bind(r.decision_due.clone())
    .bind(r.decided_by.clone())
    .bind(r.decided_on.clone())
    .bind(r.decided_at.clone())
    .bind(&r.reasons)
    .bind(r.id)
    .execute(conn)
    .await?;
    Ok(())
}

/// One request by id.
pub async fn repair(conn: &mut AnyConnection, id: i64) -> Result<Option<RepairRow>, sqlx::Error> {
    select_repair(conn, id, "").await
}

/// One request by id, locked until the end of the transaction on PostgreSQL (`FOR UPDATE`), so
/// that a concurrent step on it waits and then sees what this one wrote; SQLite's writes take
/// turns anyway ([`crate::db::Db::begin`]).
pub async fn repair_to_change(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<RepairRow>, sqlx::Error> {
    let lock = match Backend::of(conn) {
        Backend::Postgres => " FOR UPDATE",
        Backend::Sqlite => "",
    };
    select_repair(conn, id, lock).await
}

async fn select_repair(
    conn: &mut AnyConnection,
    id: i64,
    suffix: &str,
) -> Result<Option<RepairRow>, sqlx::Error> {
    let row = sqlx::query_as::<_, StoredRepair>(&format!(
        "SELECT {REPAIR_COLUMNS} FROM repair_requests WHERE id = $1{suffix}"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(RepairRow::from))
}

/// Requests, optionally in one state or of one enterprise, in id order.
pub async fn repairs(
    conn: &mut AnyConnection,
    state: Option<&str>,
    uscc: Option<&str>,
) -> Result<Vec<RepairRow>, sqlx::Error> {
    let rows = sqlx::query_as::<_, StoredRepair>(&format!(
        "SELECT {REPAIR_COLUMNS} FROM repair_requests WHERE ($1 IS NULL OR state = $1) \
         AND ($2 IS NULL OR uscc = $2) ORDER BY id"
    ))
    .bind(state.map(String::from))
    .bind(uscc.map(String::from))
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(RepairRow::from).collect())
}

/// The open (submitted or accepted) request against a record, if any.
pub async fn open_repair_for(
    conn: &mut AnyConnection,
    record_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar::<_, i64>(
        "SELECT id FROM repair_requests WHERE record_id = $1 AND state IN ('submitted', 'accepted')",
    )
    .bind(record_id)
    .fetch_optional(conn)
    .await
}
