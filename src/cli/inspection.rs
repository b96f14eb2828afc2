//! `dualdraw inspection …`: jobs of a bundle run elsewhere, bulk results, publication and the
//! overdue list (`docs/results.md`). The CLI acts as an admin named `cli`, or with
//! `--department D` as that department's officer.

use super::Failure;
use crate::auth::{Principal, Role};
use crate::db::Db;
use crate::import::source::parse_date;
use crate::inspection::{jobs, plan, publication, results_csv, InspectionError};
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum InspectionCommand {
    /// Records the inspection jobs of a run bundle (one per visit and department).
    ///
    /// Example: dualdraw inspection jobs bundles/2026-Q1
    Jobs { bundle: PathBuf },
    /// Imports results from a CSV file (UTF-8 or GB18030), all or nothing.
    ///
    /// Example: dualdraw inspection import results.csv --department SCJG
    Import {
        file: PathBuf,
        #[arg(long)]
        department: Option<String>,
    },
    /// Publishes a result version.
    ///
    /// Example: dualdraw inspection publish 12 --on 2026-03-20
    Publish {
        id: i64,
        #[arg(long)]
        on: Option<String>,
        #[arg(long)]
        department: Option<String>,
    },
    /// Lists unpublished result versions past their due date, as CSV.
    ///
    /// Example: dualdraw inspection overdue --on 2026-12-31
    Overdue {
        #[arg(long)]
        on: Option<String>,
        #[arg(long)]
        department: Option<String>,
        #[arg(long, default_value_t = 1000)]
        limit: i64,
    },
}

fn principal(department: Option<String>) -> Principal {
    match department {
        Some(d) => Principal {
            role: Role::Department,
            scope: Some(d),
            label: "cli".into(),
        },
        None => Principal {
            role: Role::Admin,
            scope: None,
            label: "cli".into(),
        },
    }
}

fn day(on: Option<String>) -> Result<chrono::NaiveDate, Failure> {
    match on {
        Some(s) => parse_date(&s).map_err(|m| Failure::input(format!("--on: {m}"))),
        None => Ok(crate::clock::today()),
    }
}

impl From<InspectionError> for Failure {
    fn from(e: InspectionError) -> Self {
        match e {
            InspectionError::Db(e) => e.into(),
            other => Failure::input(other.to_string()),
        }
    }
}

pub async fn run(url: &str, c: InspectionCommand) -> Result<(), Failure> {
    let db = Db::connect(url).await?;
    match c {
        InspectionCommand::Jobs { bundle } => {
            let b = crate::draw::bundle::Bundle::new(bundle);
            let p = tokio::task::spawn_blocking(move || plan::read(&b))
                .await
                .map_err(|e| Failure::failed(e.to_string()))?
                .map_err(|e| Failure::input(e.to_string()))?;
            let mut tx = db.begin().await?;
            let n = jobs::create(&mut tx, &p, "cli", &crate::clock::now()).await?;
            tx.commit().await?;
            eprintln!("batch {}: {n} inspection jobs recorded", p.batch);
        }
        InspectionCommand::Import { file, department } => {
            let name = file
                .file_name()
                .map_or("results.csv".into(), |n| n.to_string_lossy().to_string());
            let input = std::fs::File::open(&file)
                .map_err(|e| Failure::input(format!("{}: {e}", file.display())))?;
            let p = principal(department);
            let done = results_csv::import(&db, &p, &name, input, crate::clock::today()).await?;
            eprintln!(
                "{}: {} results imported, {} credit proposals raised",
                done.file, done.results, done.proposals
            );
        }
        InspectionCommand::Publish { id, on, department } => {
            let p = principal(department);
            let act = jobs::Act {
                actor: p.actor(),
                on: day(on)?,
                at: crate::clock::now(),
            };
            let r = publication::publish(&db, &p, id, &act).await?;
            eprintln!(
                "result {id} (version {}) published on {}",
                r.version,
                r.published_on.unwrap_or_default()
            );
        }
        InspectionCommand::Overdue {
            on,
            department,
            limit,
        } => {
            let mut conn = db.pool.acquire().await?;
            let late =
                publication::overdue(&mut conn, day(on)?, department.as_deref(), limit).await?;
            println!("result,job,version,uscc,department,checked_on,due_on,working_days_late");
            for o in late {
                let r = &o.result;
                println!(
                    "{},{},{},{},{},{},{},{}",
                    r.id,
                    r.job_id,
                    r.version,
                    r.uscc,
                    r.department,
                    r.checked_on,
                    r.due_on,
                    o.working_days_late
                );
            }
        }
    }
    Ok(())
}
