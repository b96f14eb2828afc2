//! The demo city (`seeds/demo/`, made by `dualdraw gen --demo`): loaded by `dualdraw serve` into
//! an empty database, in one transaction, through the same import code users run, followed by
//! repair requests in every state.

use crate::credit::record::RecordStatus;
use crate::credit::repair::{self, RepairRequest, RepairRow, RepairState, Step};
use crate::credit::rules::RuleTable;
use crate::credit::store;
use crate::db::Db;
use crate::import::source::{parse_date, FieldError};
use crate::import::{self, Context, ImportError, Kind};
use sqlx::AnyConnection;

/// The demo files, embedded so the binary runs from any directory.
pub const FILES: [(Kind, &str, &str); 6] = [
    (
        Kind::Departments,
        "seeds/demo/departments.csv",
        include_str!("../seeds/demo/departments.csv"),
    ),
    (
        Kind::Enterprises,
        "seeds/demo/enterprises.csv",
        include_str!("../seeds/demo/enterprises.csv"),
    ),
    (
        Kind::Items,
        "seeds/demo/items.csv",
        include_str!("../seeds/demo/items.csv"),
    ),
    (
        Kind::Inspectors,
        "seeds/demo/inspectors.csv",
        include_str!("../seeds/demo/inspectors.csv"),
    ),
    (
        Kind::Conflicts,
        "seeds/demo/conflicts.csv",
        include_str!("../seeds/demo/conflicts.csv"),
    ),
    (
        Kind::CreditRecords,
        "seeds/demo/credit-records.csv",
        include_str!("../seeds/demo/credit-records.csv"),
    ),
];

const REPAIRS: &str = include_str!("../seeds/demo/repairs.csv");

const ACTOR: &str = "demo";

/// Loads the demo city unless the database already has enterprises; says whether it did.
pub async fn load_if_empty(db: &Db) -> anyhow::Result<bool> {
    let mut tx = db.begin().await?;
    if crate::registry::store::count_enterprises(&mut tx).await? > 0 {
        return Ok(false);
    }
    let at = crate::clock::now();
    let rules = RuleTable::builtin();
    let ctx = Context {
        actor: ACTOR,
        at: &at,
        rules: &rules,
    };
    for (kind, file, text) in FILES {
        match import::import_in(
            &mut tx,
            kind,
            std::io::Cursor::new(text.as_bytes()),
            file,
            &ctx,
        )
        .await
        {
            Ok(_) => {}
            Err(ImportError::Invalid { errors, .. }) => {
                let shown: Vec<String> = errors.iter().map(FieldError::to_string).collect();
                anyhow::bail!("the shipped demo data is invalid:\n{}", shown.join("\n"))
            }
            Err(e) => return Err(e.into()),
        }
    }
    load_repairs(&mut tx, &at).await?;
    tx.commit().await?;
    Ok(true)
}

/// Replays the demo's repair requests through the state machine.
async fn load_repairs(conn: &mut AnyConnection, at: &str) -> anyhow::Result<()> {
    let cal = crate::calendar_store::load(conn).await?;
    let settings = crate::settings::repair(conn).await?;
    let mut csv = csv::Reader::from_reader(REPAIRS.as_bytes());
    for row in csv.deserialize::<DemoRepair>() {
        let d = row?;
        let record_id: i64 = sqlx::query_scalar(
            "SELECT id FROM credit_records WHERE department = $1 AND document_no = $2",
        )
        .bind(&d.department)
        .bind(&d.document_no)
        .fetch_one(&mut *conn)
        .await?;
        let record = store::record(conn, record_id).await?.expect("just found");
        let step = |on: &str| -> anyhow::Result<Step> {
            Ok(Step {
                by: format!("{ACTOR}:credit-office"),
                on: parse_date(on).map_err(anyhow::Error::msg)?,
                at: at.to_string(),
            })
        };
        let filed = Step {
            by: format!("{ACTOR}:{}", record.uscc),
            ..step(&d.filed_on)?
        };
        let submitted = repair::file(filed, &cal, &settings)?;
        let reasons = || vec![d.reason.clone()];
        let state = match d.state.as_str() {
            "submitted" => RepairState::Submitted(submitted),
            "refused" => RepairState::Refused(submitted.refuse(step(&d.intake_on)?, reasons())),
            "accepted" => {
                RepairState::Accepted(submitted.accept(step(&d.intake_on)?, &cal, &settings)?)
            }
            "approved" | "denied" => {
                let accepted = submitted.accept(step(&d.intake_on)?, &cal, &settings)?;
                if d.state == "approved" {
                    let approved = accepted.approve(step(&d.decided_on)?);
                    store::end_record(
                        conn,
                        record_id,
                        RecordStatus::Repaired,
                        approved.decision.on,
                    )
                    .await?;
                    RepairState::Approved(approved)
                } else {
                    RepairState::Denied(accepted.deny(step(&d.decided_on)?, reasons()))
                }
            }
            other => anyhow::bail!("seeds/demo/repairs.csv: unknown state '{other}'"),
        };
        let mut request = RepairRequest {
            id: 0,
            record_id,
            uscc: record.uscc,
            commitment: d.commitment,
            proof: d.proof,
            state,
        };
        request.id = store::insert_repair(conn, &RepairRow::from(&request)).await?;
        let subject = format!("repair/{}", request.id);
        crate::audit::append(conn, ACTOR, "repair.demo", &subject, &request.view(), at).await?;
    }
    Ok(())
}

#[derive(serde::Deserialize)]
struct DemoRepair {
    department: String,
    document_no: String,
    filed_on: String,
    commitment: String,
    proof: String,
    state: String,
    intake_on: String,
    decided_on: String,
    reason: String,
}
