//! Credit fed back (`docs/results.md` §7): a result whose category the rule table ties to a
//! credit consequence raises a **proposal** for the credit office, which confirms it — creating
//! the credit record exactly as `POST /api/v1/credit-records` does, so the tier changes as
//! today — or rejects it with a reason. Nothing is ever listed automatically (the regulator
//! decides; a system proposes: `docs/domain.md`, "Inspection results").
//!
//! The rule table is data, `seeds/result-credit-rules.csv` (`category,kind,basis`), with the
//! legal basis of each row.

use super::jobs::{Act, Job};
use super::{day, InspectionError};
use crate::credit::rules::RuleTable;
use crate::credit::service::{self, NewRecord};
use crate::db::Db;
use chrono::NaiveDate;
use serde::Serialize;
use sqlx::AnyConnection;

/// The shipped rule table.
pub const RULES_CSV: &str = include_str!("../../seeds/result-credit-rules.csv");

/// One rule: results of `category` propose a record of `kind`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub category: String,
    pub kind: String,
    pub basis: String,
}

/// The rule table (`seeds/result-credit-rules.csv`).
pub fn rules() -> Vec<Rule> {
    let mut reader = csv::Reader::from_reader(RULES_CSV.as_bytes());
    reader
        .records()
        .map(|r| {
            let r = r.expect("shipped rule table is valid CSV");
            Rule {
                category: r[0].to_string(),
                kind: r[1].to_string(),
                basis: r[2].to_string(),
            }
        })
        .collect()
}

/// Raises the proposals of a stored result inside the caller's transaction.
pub async fn raise(
    conn: &mut AnyConnection,
    result_id: i64,
    job: &Job,
    categories: &[String],
    at: &str,
) -> Result<usize, sqlx::Error> {
    let mut n = 0;
    for rule in rules().iter().filter(|r| categories.contains(&r.category)) {
        sqlx::query("INSERT INTO credit_proposals (result_id, uscc, department, category, kind, basis, state, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'proposed', $7)")
            .bind(result_id)
            .bind(&job.uscc)
            .bind(&job.department)
            .bind(&rule.category)
            .bind(&rule.kind)
            .bind(&rule.basis)
            .bind(at)
            .execute(&mut *conn)
            .await?;
        n += 1;
    }
    Ok(n)
}

/// A stored proposal.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Proposal {
    pub id: i64,
    pub result_id: i64,
    pub uscc: String,
    pub department: String,
    pub category: String,
    pub kind: String,
    pub basis: String,
    pub state: String,
    pub decided_by: Option<String>,
    pub decided_on: Option<String>,
    pub reason: Option<String>,
    pub record_id: Option<i64>,
    pub created_at: String,
}

const COLUMNS: &str = "id, result_id, uscc, department, category, kind, basis, state, decided_by, decided_on, reason, record_id, created_at";

/// Proposals, optionally of one state and enterprise, in id order (at most 1000).
pub async fn list(
    conn: &mut AnyConnection,
    state: Option<&str>,
    uscc: Option<&str>,
) -> Result<Vec<Proposal>, sqlx::Error> {
    let mut q = crate::db::Sql::new(format!(
        "SELECT {COLUMNS} FROM credit_proposals WHERE 1 = 1"
    ));
    if let Some(s) = state {
        q.push(" AND state = ").bind_text(s);
    }
    if let Some(u) = uscc {
        q.push(" AND uscc = ").bind_text(u);
    }
    q.push(" ORDER BY id LIMIT 1000");
    q.query_as::<Proposal>().fetch_all(conn).await
}

async fn open(conn: &mut AnyConnection, id: i64) -> Result<Proposal, InspectionError> {
    let p = sqlx::query_as::<_, Proposal>(&format!(
        "SELECT {COLUMNS} FROM credit_proposals WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| InspectionError::NotFound(format!("no credit proposal {id}")))?;
    if p.state != "proposed" {
        return Err(InspectionError::conflict(
            "wrong_state",
            format!("proposal {id} is already {}", p.state),
        ));
    }
    Ok(p)
}

async fn close(
    conn: &mut AnyConnection,
    id: i64,
    state: &str,
    act: &Act,
    reason: Option<&str>,
    record: Option<i64>,
) -> Result<(), InspectionError> {
    let n = sqlx::query("UPDATE credit_proposals SET state = $1, decided_by = $2, decided_on = $3, reason = $4, record_id = $5 WHERE id = $6 AND state = 'proposed'")
        .bind(state)
        .bind(&act.actor)
        .bind(day(act.on))
        .bind(reason)
        .bind(record)
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(InspectionError::conflict(
            "wrong_state",
            format!("proposal {id} was decided meanwhile"),
        ));
    }
    Ok(())
}

/// What the credit office gives when it confirms: the decision's document number and date.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct Confirmation {
    pub document_no: String,
    pub decided_on: NaiveDate,
    #[serde(default)]
    pub summary: String,
}

/// Confirms a proposal: the credit record and the proposal's state in one transaction.
pub async fn confirm(
    db: &Db,
    rules: &RuleTable,
    id: i64,
    c: Confirmation,
    act: &Act,
) -> Result<Proposal, InspectionError> {
    let mut tx = db.begin().await?;
    let p = open(&mut tx, id).await?;
    let new = NewRecord {
        uscc: p.uscc.clone(),
        kind: p.kind.clone(),
        department: p.department.clone(),
        document_no: c.document_no,
        decided_on: c.decided_on,
        publicity_min_until: None,
        publicity_max_until: None,
        early_end_allowed: None,
        summary: if c.summary.is_empty() {
            p.basis.clone()
        } else {
            c.summary
        },
    };
    let credit_act = service::Act {
        actor: act.actor.clone(),
        on: act.on,
        at: act.at.clone(),
        only_uscc: None,
    };
    let record = service::add_record_in(&mut tx, rules, new, &credit_act)
        .await
        .map_err(|e| match e {
            crate::credit::service::CreditError::Db(e) => InspectionError::Db(e),
            crate::credit::service::CreditError::Duplicate(m) => {
                InspectionError::conflict("duplicate_document", m)
            }
            other => InspectionError::invalid("invalid", other.to_string()),
        })?;
    close(&mut tx, id, "confirmed", act, None, Some(record.id)).await?;
    let detail = serde_json::json!({ "record": record.id, "kind": p.kind, "uscc": p.uscc });
    crate::audit::append(
        &mut tx,
        &act.actor,
        "credit.proposal.confirm",
        &id.to_string(),
        &detail,
        &act.at,
    )
    .await?;
    tx.commit().await?;
    let mut conn = db.pool.acquire().await?;
    Ok(sqlx::query_as::<_, Proposal>(&format!(
        "SELECT {COLUMNS} FROM credit_proposals WHERE id = $1"
    ))
    .bind(id)
    .fetch_one(&mut *conn)
    .await?)
}

/// Rejects a proposal with its reason.
pub async fn reject(
    db: &Db,
    id: i64,
    reason: &str,
    act: &Act,
) -> Result<Proposal, InspectionError> {
    if reason.trim().is_empty() {
        return Err(InspectionError::invalid(
            "reason_required",
            "reason: say why the proposal is rejected",
        ));
    }
    let mut tx = db.begin().await?;
    let p = open(&mut tx, id).await?;
    close(&mut tx, id, "rejected", act, Some(reason.trim()), None).await?;
    let detail = serde_json::json!({ "reason": reason.trim(), "kind": p.kind, "uscc": p.uscc });
    crate::audit::append(
        &mut tx,
        &act.actor,
        "credit.proposal.reject",
        &id.to_string(),
        &detail,
        &act.at,
    )
    .await?;
    tx.commit().await?;
    let mut conn = db.pool.acquire().await?;
    Ok(sqlx::query_as::<_, Proposal>(&format!(
        "SELECT {COLUMNS} FROM credit_proposals WHERE id = $1"
    ))
    .bind(id)
    .fetch_one(&mut *conn)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_names_a_credit_kind_and_a_basis() {
        let rules = rules();
        assert!(rules
            .iter()
            .any(|r| r.category == "unreachable" && r.kind == "abnormal-list"));
        for r in &rules {
            assert!(
                crate::credit::record::RecordKind::parse(&r.kind).is_ok(),
                "{r:?}"
            );
            assert!(!r.basis.is_empty());
        }
    }
}
