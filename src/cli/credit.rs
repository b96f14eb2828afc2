//! `dualdraw credit …` and `dualdraw repair …`.

use super::Failure;
use crate::credit::rules::RuleTable;
use crate::credit::service::{self, Act, CreditError, Filing};
use crate::db::Db;
use crate::import::source::parse_date;
use clap::Subcommand;
use dualdraw_solver::Uscc;

#[derive(Subcommand, Debug)]
pub enum CreditCommand {
    /// Shows an enterprise's effective credit tier on a date, why, and its records.
    ///
    /// Example: dualdraw credit show 91440300708461136T --on 2026-06-01
    Show {
        uscc: String,
        /// Date (YYYY-MM-DD); default today in China Standard Time.
        #[arg(long)]
        on: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Prints the credit rule table in force (seeds/credit-rules.csv).
    Rules,
}

#[derive(Subcommand, Debug)]
pub enum RepairCommand {
    /// Files a repair request against a record (on behalf of the enterprise).
    ///
    /// Example: dualdraw repair file --record 12 --commitment "信用承诺书…" --proof "罚款缴纳凭证…"
    File {
        #[arg(long)]
        record: i64,
        #[arg(long)]
        commitment: String,
        #[arg(long)]
        proof: String,
        #[command(flatten)]
        step: StepArgs,
    },
    /// Accepts a submitted request at intake (eligibility is re-checked).
    Accept {
        id: i64,
        #[command(flatten)]
        step: StepArgs,
    },
    /// Refuses a submitted request at intake.
    Refuse {
        id: i64,
        #[arg(long = "reason", required = true)]
        reasons: Vec<String>,
        #[command(flatten)]
        step: StepArgs,
    },
    /// Approves an accepted request: the record's publicity ends and the tier is re-derived.
    Approve {
        id: i64,
        #[command(flatten)]
        step: StepArgs,
    },
    /// Denies an accepted request.
    Deny {
        id: i64,
        #[arg(long = "reason", required = true)]
        reasons: Vec<String>,
        #[command(flatten)]
        step: StepArgs,
    },
    /// Lists requests as JSON lines.
    List {
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        uscc: Option<String>,
    },
    /// Lists open requests past their deadline (working days).
    Overdue {
        #[arg(long)]
        on: Option<String>,
    },
}

#[derive(clap::Args, Debug)]
pub struct StepArgs {
    /// The business date of the step (YYYY-MM-DD); default today in China Standard Time.
    #[arg(long)]
    on: Option<String>,
    /// Who acts, for the audit log.
    #[arg(long, default_value = "cli")]
    by: String,
}

fn on_date(on: Option<&str>) -> Result<chrono::NaiveDate, Failure> {
    match on {
        Some(s) => parse_date(s).map_err(|m| Failure::input(format!("--on: {m}"))),
        None => Ok(crate::clock::today()),
    }
}

fn act(step: &StepArgs) -> Result<Act, Failure> {
    Ok(Act {
        actor: format!("cli:{}", step.by),
        on: on_date(step.on.as_deref())?,
        at: crate::clock::now(),
        only_uscc: None,
    })
}

impl From<CreditError> for Failure {
    fn from(e: CreditError) -> Self {
        match e {
            CreditError::Db(e) => Failure::from(e),
            e => Failure::input(e.to_string()),
        }
    }
}

fn print(v: &serde_json::Value) {
    println!("{}", serde_json::to_string_pretty(v).expect("plain data"));
}

pub async fn credit(url: &str, c: CreditCommand) -> Result<(), Failure> {
    let rules = RuleTable::builtin();
    match c {
        CreditCommand::Show { uscc, on, json } => {
            let uscc =
                Uscc::parse(&uscc).map_err(|e| Failure::input(format!("USCC '{uscc}': {e}")))?;
            let on = on_date(on.as_deref())?;
            let db = Db::connect(url).await?;
            let mut conn = db.pool.acquire().await?;
            let (e, records, decision) = service::tier_of(&mut conn, &rules, &uscc, on).await?;
            if json {
                print(
                    &serde_json::json!({ "enterprise": e, "credit": decision, "records": records }),
                );
                return Ok(());
            }
            println!("{} {} ({} {})", e.uscc, e.name, e.region, e.industry);
            println!("tier {} on {}: {}", decision.tier, on, decision.explanation);
            for r in &records {
                println!(
                    "  #{} {} {} {} decided {} publicity {}..{} {}",
                    r.id,
                    r.kind.label_zh(),
                    r.department,
                    r.document_no,
                    r.decided_on,
                    r.publicity_min_until,
                    r.publicity_max_until,
                    r.status_on(on)
                );
            }
        }
        CreditCommand::Rules => {
            for r in rules.rules() {
                println!(
                    "{}\t{}\tmin {} months\tmax {} months\ttier {}\trepair {}",
                    r.kind,
                    r.label_zh,
                    r.min_publicity_months,
                    r.max_publicity_months,
                    r.tier_effect,
                    r.repair.as_str()
                );
            }
        }
    }
    Ok(())
}

pub async fn repair(url: &str, c: RepairCommand) -> Result<(), Failure> {
    let rules = RuleTable::builtin();
    let db = Db::connect(url).await?;
    match c {
        RepairCommand::File {
            record,
            commitment,
            proof,
            step,
        } => {
            let filing = Filing {
                record_id: record,
                commitment,
                proof,
            };
            print(
                &service::file(&db, &rules, filing, &act(&step)?)
                    .await?
                    .view(),
            );
        }
        RepairCommand::Accept { id, step } => {
            print(&service::accept(&db, &rules, id, &act(&step)?).await?.view())
        }
        RepairCommand::Refuse { id, reasons, step } => print(
            &service::refuse(&db, id, reasons, &act(&step)?)
                .await?
                .view(),
        ),
        RepairCommand::Approve { id, step } => {
            let approval = service::approve(&db, &rules, id, &act(&step)?).await?;
            print(&serde_json::to_value(&approval).expect("plain data"));
        }
        RepairCommand::Deny { id, reasons, step } => {
            print(&service::deny(&db, id, reasons, &act(&step)?).await?.view())
        }
        RepairCommand::List { state, uscc } => {
            let mut conn = db.pool.acquire().await?;
            for r in service::requests(&mut conn, state.as_deref(), uscc.as_deref()).await? {
                println!("{}", r.view());
            }
        }
        RepairCommand::Overdue { on } => {
            let mut conn = db.pool.acquire().await?;
            for (r, o) in service::overdue(&mut conn, on_date(on.as_deref())?).await? {
                println!(
                    "repair {} ({} record {}): {} due {}, {} working day(s) late",
                    r.id, r.uscc, r.record_id, o.step, o.due, o.working_days_late
                );
            }
        }
    }
    Ok(())
}
