//! `draw prepare` from the database (`POST /api/v1/draws`): the enterprise directory with each
//! enterprise's effective tier on the policy's date, items, inspectors and conflicts, frozen
//! together with the tasks, policy and history the planner submits.

use super::prepare::{apply_records, assemble, Parts};
use crate::credit::rules::RuleTable;
use crate::credit::store as credit_store;
use crate::registry::store as registry;
use dualdraw_solver::dr1::inputs::{Inspector, Item, Population};
use dualdraw_solver::dr1::{InputError, Inputs};
use dualdraw_solver::{Tier, Uscc};
use sqlx::AnyConnection;
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

/// The batch's inputs from the database and the submitted texts.
pub async fn inputs(
    conn: &mut AnyConnection,
    rules: &RuleTable,
    policy: String,
    tasks: String,
    history: String,
) -> Result<Inputs, FromDbError> {
    let rows = sqlx::query_as::<_, (String, String, String, String, i64)>(
        "SELECT uscc, region, industry, base_tier, key_supervision FROM enterprises WHERE status = 'operating' ORDER BY uscc",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut population = Population::new();
    for (uscc, region, industry, tier, key) in rows {
        population.push(
            Uscc::parse(&uscc).map_err(|e| corrupt(e.to_string()))?,
            &region,
            &industry,
            Tier::parse(&tier).map_err(|e| corrupt(e.to_string()))?,
            key != 0,
        );
    }
    let items: BTreeMap<String, Item> = registry::items(conn, None)
        .await?
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
    let inspectors = registry::inspectors(conn, None)
        .await?
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
    let conflicts = registry::conflicts(conn, None, None)
        .await?
        .into_iter()
        .map(|c| (c.inspector, c.uscc))
        .collect();
    let parts = Parts {
        population,
        items,
        inspectors,
        conflicts,
    };
    let mut inputs = assemble(parts, policy, tasks, history).map_err(FromDbError::Input)?;
    let mut records: BTreeMap<Uscc, Vec<_>> = BTreeMap::new();
    for r in credit_store::all_records(conn).await? {
        records.entry(r.uscc).or_default().push(r);
    }
    apply_records(&mut inputs, &records, rules);
    Ok(inputs)
}
