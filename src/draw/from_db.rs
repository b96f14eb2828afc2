//! `draw prepare` from the database (`POST /api/v1/draws`, `dualdraw draw prepare --db`): the
//! enterprise directory with each enterprise's effective tier on the policy's date, items,
//! inspectors and conflicts, frozen together with the tasks, policy and history the planner
//! submits (`docs/draw-state.md`, "Snapshot").
//!
//! Every table is read in ONE read-only transaction — `REPEATABLE READ` on PostgreSQL, a read
//! transaction on SQLite (WAL: one snapshot from the first read to the end) — so a concurrent
//! import cannot put two states into one commitment. The rows are turned into solver inputs off
//! the async workers ([`Snapshot::inputs`] is blocking).

use super::prepare::{apply_records, assemble, split_departments, Parts};
use crate::credit::record::CreditRecord;
use crate::credit::rules::RuleTable;
use crate::credit::store as credit_store;
use crate::db::{Backend, Db};
use crate::registry::store as registry;
use dualdraw_solver::inputs::{InputError, Inputs};
use dualdraw_solver::inputs::{Inspector, Item, Population};
use dualdraw_solver::{Method, Tier, Uscc};
use sqlx::{Acquire, Executor};
use std::collections::BTreeMap;

/// Why the database's directories could not be frozen.
#[derive(Debug, thiserror::Error)]
pub enum FromDbError {
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Input(Vec<InputError>),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

fn corrupt(what: String) -> sqlx::Error {
    sqlx::Error::Decode(what.into())
}

type EnterpriseRow = (String, String, String, String, i64, String);

/// The rows of one consistent read of the directories.
pub struct Snapshot {
    enterprises: Vec<EnterpriseRow>,
    items: Vec<crate::registry::model::Item>,
    inspectors: Vec<crate::registry::model::Inspector>,
    conflicts: Vec<crate::registry::model::Conflict>,
    records: Vec<CreditRecord>,
    /// Past inspections from recorded results (`docs/results.md` §1.3).
    recorded: Vec<HistoryRow>,
}

type HistoryRow = (String, String, String, String);

/// One `history.csv` row per active team member of every job with a result: the enterprise,
/// the department, the inspector and the check date of the job's latest result version.
const RECORDED_HISTORY: &str = "SELECT j.uscc, j.department, m.inspector, r.checked_on \
     FROM inspection_results r JOIN inspection_jobs j ON j.id = r.job_id \
     JOIN job_members m ON m.job_id = j.id AND m.active = 1 \
     WHERE r.version = (SELECT MAX(v.version) FROM inspection_results v WHERE v.job_id = r.job_id)";

impl Snapshot {
    /// Reads every table the draw freezes in one read-only transaction.
    pub async fn read(db: &Db) -> Result<Snapshot, sqlx::Error> {
        let mut conn = db.pool.acquire().await?;
        let mut tx = conn.begin().await?;
        if db.backend == Backend::Postgres {
            tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .await?;
        }
        let enterprises = sqlx::query_as::<_, EnterpriseRow>(
            "SELECT uscc, region, industry, base_tier, key_supervision, key_departments FROM enterprises WHERE status = 'operating' ORDER BY uscc",
        )
        .fetch_all(&mut *tx)
        .await?;
        let snapshot = Snapshot {
            enterprises,
            items: registry::items(&mut tx, None).await?,
            inspectors: registry::inspectors(&mut tx, None).await?,
            conflicts: registry::conflicts(&mut tx, None, None).await?,
            records: credit_store::all_records(&mut tx).await?,
            recorded: sqlx::query_as::<_, HistoryRow>(RECORDED_HISTORY)
                .fetch_all(&mut *tx)
                .await?,
        };
        tx.commit().await?;
        Ok(snapshot)
    }

    /// The batch's inputs from the snapshot and the submitted texts (blocking: CPU-bound).
    pub fn inputs(
        self,
        rules: &RuleTable,
        method: Method,
        policy: String,
        tasks: String,
        history: String,
    ) -> Result<Inputs, FromDbError> {
        let mut population = Population::new();
        let mut key_departments = BTreeMap::new();
        for (uscc, region, industry, tier, key, departments) in self.enterprises {
            let uscc = Uscc::parse(&uscc).map_err(|e| corrupt(e.to_string()))?;
            population.push(
                uscc,
                &region,
                &industry,
                Tier::parse(&tier).map_err(|e| corrupt(e.to_string()))?,
                key != 0,
            );
            if !departments.is_empty() {
                key_departments.insert(uscc, split_departments(&departments));
            }
        }
        let items: BTreeMap<String, Item> = self
            .items
            .into_iter()
            .map(|i| {
                let item = Item {
                    code: i.code.clone(),
                    department: i.department,
                    industries: i
                        .industries
                        .iter()
                        .map(|c| c.as_str().to_string())
                        .collect(),
                    specialty: i.specialty,
                };
                (i.code, item)
            })
            .collect();
        let inspectors = self
            .inspectors
            .into_iter()
            .map(|i| Inspector {
                id: i.id,
                department: i.department,
                region: i.region.as_str().to_string(),
                valid_from: i.certificate_valid_from,
                valid_until: i.certificate_valid_until,
                specialties: i.specialties,
                capacity: i.capacity,
            })
            .collect();
        let conflicts = self
            .conflicts
            .into_iter()
            .map(|c| (c.inspector, c.uscc))
            .collect();
        let parts = Parts {
            population,
            items,
            inspectors,
            conflicts,
            key_departments,
        };
        let history = with_recorded(history, &self.recorded);
        let mut inputs =
            assemble(parts, method, (policy, tasks, history)).map_err(FromDbError::Input)?;
        let mut records: BTreeMap<Uscc, Vec<_>> = BTreeMap::new();
        for r in self.records {
            records.entry(r.uscc).or_default().push(r);
        }
        apply_records(&mut inputs, &records, rules);
        Ok(inputs)
    }
}

/// The submitted `history.csv` text with the recorded inspections added (a row already
/// submitted, byte for byte, is not repeated; the solver sorts the rows).
fn with_recorded(submitted: String, recorded: &[HistoryRow]) -> String {
    let mut text = submitted;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    let known: std::collections::BTreeSet<String> = text.lines().map(String::from).collect();
    let mut added = std::collections::BTreeSet::new();
    for (uscc, department, inspector, on) in recorded {
        let line = format!("{uscc},{department},{inspector},{on}");
        if !known.contains(&line) && added.insert(line.clone()) {
            text.push_str(&line);
            text.push('\n');
        }
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn recorded_inspections_join_the_submitted_history_once() {
        let submitted = "uscc,department,inspector,visited_on\nU,D,I1,2026-01-05".to_string();
        let recorded = [
            ("U".into(), "D".into(), "I1".into(), "2026-01-05".into()),
            ("U".into(), "D".into(), "I2".into(), "2026-03-02".into()),
            ("U".into(), "D".into(), "I2".into(), "2026-03-02".into()),
        ];
        assert_eq!(
            super::with_recorded(submitted, &recorded),
            "uscc,department,inspector,visited_on\nU,D,I1,2026-01-05\nU,D,I2,2026-03-02\n"
        );
    }
}
