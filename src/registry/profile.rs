//! One enterprise's page — its registration row and all its credit records — together with the
//! principal of the caller's token, in one statement: the hot path of
//! `GET /api/v1/enterprises/{uscc}`. Looking the token up in the same statement saves a round
//! trip per authenticated request; the statement runs on the native [`crate::db::Reads`].

use super::model::Enterprise;
use super::store::EnterpriseRow;
use crate::auth::Principal;
use crate::credit::record::{CreditRecord, RecordKind, RecordStatus};
use crate::db::{Db, Native};
use chrono::NaiveDate;
use dualdraw_solver::Uscc;
use sqlx::FromRow;

/// An enterprise with all its records, oldest first.
pub struct Profile {
    pub enterprise: Enterprise,
    pub records: Vec<CreditRecord>,
}

/// What one lookup found.
pub struct Found {
    /// The principal of the token, if one was given and it is valid.
    pub principal: Option<Principal>,
    pub profile: Option<Profile>,
}

/// Always at least one row (from `one`); the token's and the enterprise's columns are null when
/// they are not found, the record's when there is none.
const SQL: &str = "SELECT k.role AS k_role, k.scope AS k_scope, k.label AS k_label, \
    e.uscc, e.name, e.region, e.industry, e.registered_on, e.status, e.base_tier, \
    e.key_supervision, e.key_departments, r.id AS r_id, r.kind AS r_kind, r.department AS r_department, \
    r.document_no AS r_document_no, r.decided_on AS r_decided_on, \
    r.publicity_min_until AS r_publicity_min_until, \
    r.publicity_max_until AS r_publicity_max_until, \
    r.early_end_allowed AS r_early_end_allowed, r.status AS r_status, r.ended_on AS r_ended_on, \
    r.summary AS r_summary \
    FROM (SELECT 1 AS one) q \
    LEFT JOIN tokens k ON k.hash = $2 AND k.revoked_at IS NULL \
    LEFT JOIN enterprises e ON e.uscc = $1 \
    LEFT JOIN credit_records r ON r.uscc = e.uscc \
    ORDER BY r.decided_on, r.id";

#[derive(FromRow)]
struct ProfileRow {
    k_role: Option<String>,
    k_scope: Option<String>,
    k_label: Option<String>,
    uscc: Option<String>,
    name: Option<String>,
    region: Option<String>,
    industry: Option<String>,
    registered_on: Option<String>,
    status: Option<String>,
    base_tier: Option<String>,
    key_supervision: Option<i64>,
    key_departments: Option<String>,
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

/// Looks up the enterprise `uscc` and, when given, the token whose hash is `token_hash`.
pub async fn load(db: &Db, uscc: &Uscc, token_hash: Option<&str>) -> Result<Found, sqlx::Error> {
    let rows: Vec<ProfileRow> = match &db.native {
        Native::Postgres { reads, .. } => {
            let mut conn = reads.acquire().await?;
            let rows = sqlx::query_as(SQL)
                .bind(uscc.as_str())
                .bind(token_hash)
                .fetch_all(&mut *conn)
                .await;
            conn.keep_if(rows.is_ok());
            rows?
        }
        Native::Sqlite { reads } => {
            let mut conn = reads.acquire().await?;
            let rows = sqlx::query_as(SQL)
                .bind(uscc.as_str())
                .bind(token_hash)
                .fetch_all(&mut *conn)
                .await;
            conn.keep_if(rows.is_ok());
            rows?
        }
    };
    let Some(first) = rows.first() else {
        return Ok(Found {
            principal: None,
            profile: None,
        });
    };
    let principal = first.k_role.as_deref().and_then(|role| {
        Principal::stored(
            role,
            first.k_scope.clone(),
            first.k_label.clone().unwrap_or_default(),
        )
    });
    let enterprise = first.enterprise().map(Enterprise::try_from).transpose()?;
    let profile = match enterprise {
        Some(enterprise) => Some(Profile {
            records: rows
                .iter()
                .filter_map(|r| r.record(&enterprise.uscc))
                .collect::<Result<_, _>>()?,
            enterprise,
        }),
        None => None,
    };
    Ok(Found { principal, profile })
}

fn corrupt(what: String) -> sqlx::Error {
    sqlx::Error::Decode(format!("corrupt credit record: {what}").into())
}

fn date(s: &str) -> Result<NaiveDate, sqlx::Error> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| corrupt(format!("bad date '{s}'")))
}

impl ProfileRow {
    fn enterprise(&self) -> Option<EnterpriseRow> {
        Some(EnterpriseRow {
            uscc: self.uscc.clone()?,
            name: self.name.clone()?,
            region: self.region.clone()?,
            industry: self.industry.clone()?,
            registered_on: self.registered_on.clone()?,
            status: self.status.clone()?,
            base_tier: self.base_tier.clone()?,
            key_supervision: self.key_supervision?,
            key_departments: self.key_departments.clone()?,
        })
    }

    /// The record of this row, if it has one; decoded as `credit::store` decodes records.
    fn record(&self, uscc: &Uscc) -> Option<Result<CreditRecord, sqlx::Error>> {
        let id = self.r_id?;
        let text = |v: &Option<String>| v.clone().ok_or_else(|| corrupt(format!("{id}: null")));
        let decode = || -> Result<CreditRecord, sqlx::Error> {
            Ok(CreditRecord {
                id,
                uscc: *uscc,
                kind: RecordKind::parse(&text(&self.r_kind)?).map_err(corrupt)?,
                department: text(&self.r_department)?,
                document_no: text(&self.r_document_no)?,
                decided_on: date(&text(&self.r_decided_on)?)?,
                publicity_min_until: date(&text(&self.r_publicity_min_until)?)?,
                publicity_max_until: date(&text(&self.r_publicity_max_until)?)?,
                early_end_allowed: self
                    .r_early_end_allowed
                    .ok_or_else(|| corrupt(format!("{id}: null")))?
                    != 0,
                status: RecordStatus::parse(&text(&self.r_status)?).map_err(corrupt)?,
                ended_on: self.r_ended_on.as_deref().map(date).transpose()?,
                summary: text(&self.r_summary)?,
            })
        };
        Some(decode())
    }
}
