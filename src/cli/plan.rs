//! `dualdraw plan report|replan|advise`: the annual plan (`docs/plan-model.md`) and what the
//! inspectors can afford (`docs/advice.md`).

use super::Failure;
use crate::draw::bundle::Bundle;
use crate::draw::steps;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum PlanCommand {
    /// What a dr2 plan costs the enterprises and asks of the inspectors: joint-visit rate,
    /// visits per enterprise by tier against the caps, inspector load per department and
    /// period, inclusion probabilities against the realized selection, and the comparison with
    /// separate, uncoordinated draws per task.
    ///
    /// Example: dualdraw plan report 2026-plan --csv report/ --svg report/
    Report {
        bundle: PathBuf,
        /// Also write summary.csv, tiers.csv, load.csv and inclusion.csv into this directory.
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Also write coordination.svg, tiers.svg and load.svg into this directory.
        #[arg(long)]
        svg: Option<PathBuf>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Re-plans the rest of the year: a new dr2 bundle that replaces OLD, keeps OLD's visits of
    /// periods up to --pinned-through as they are, keeps OLD's seed (so who is drawn does not
    /// change by re-planning), and plans the rest with the directories of --from (inspectors
    /// who left, expired certificates, new tasks) and the complaint-driven checks.
    ///
    /// Example: dualdraw plan replan 2026-plan --from city-june/ --out 2026-plan-r1
    ///          --batch 2026-R1 --pinned-through 6 --complaints complaints.csv
    Replan(ReplanArgs),
    /// What the inspectors can afford: for tasks with a range of quotas per tier (a legal or
    /// local minimum, a wished-for maximum; RANGES is task,tier,min,max), the largest quotas
    /// each department's inspectors can staff, with the constraint that binds (region,
    /// specialty, periods). Writes a copy of --from with the advised tasks.csv and the advice
    /// under advice/; a batch prepared from it publishes the advice, and verify recomputes it.
    ///
    /// Example: dualdraw plan advise --from city/ --ranges ranges.csv --out city-advised/
    Advise {
        #[arg(long)]
        from: PathBuf,
        /// The method the batch will be prepared with (it decides which enterprises key
        /// supervision takes in full).
        #[arg(long, value_enum, default_value_t = super::draw::Method::Dr1)]
        method: super::draw::Method,
        #[arg(long)]
        ranges: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
}

/// The arguments of `plan replan`.
#[derive(clap::Args, Debug)]
pub struct ReplanArgs {
    pub old: PathBuf,
    #[arg(long)]
    pub from: PathBuf,
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long)]
    pub batch: String,
    /// The last period done or under way (its visits stay).
    #[arg(long)]
    pub pinned_through: u32,
    /// Complaint-driven checks: uscc,department,period.
    #[arg(long)]
    pub complaints: Option<PathBuf>,
    /// OLD's secret (default: its kept secret, .dualdraw/OLD.secret, or OLD/secret.txt once
    /// revealed).
    #[arg(long)]
    pub secret: Option<PathBuf>,
}

pub async fn plan(db_url: &str, command: PlanCommand) -> Result<(), Failure> {
    match command {
        PlanCommand::Report {
            bundle,
            csv,
            svg,
            json,
        } => tokio::task::spawn_blocking(move || report(bundle, csv, svg, json))
            .await
            .map_err(|e| Failure::failed(format!("plan failed: {e}")))?,
        PlanCommand::Replan(args) => replan(db_url, args).await,
        PlanCommand::Advise {
            from,
            method,
            ranges,
            out,
        } => tokio::task::spawn_blocking(move || {
            let method = match method {
                super::draw::Method::Dr1 => dualdraw_solver::Method::Dr1,
                super::draw::Method::Dr2 => dualdraw_solver::Method::Dr2,
                super::draw::Method::Dr3 => dualdraw_solver::Method::Dr3,
            };
            let (a, periods) = crate::plan::advise::advise_dir(&from, method, &ranges, &out)
                .map_err(Failure::input)?;
            print!("{}", crate::plan::advise::summary(&a, periods));
            eprintln!(
                "{}: advised tasks.csv and advice/ (ranges.csv, advice.csv, binding.csv)",
                out.display()
            );
            Ok(())
        })
        .await
        .map_err(|e| Failure::failed(format!("plan failed: {e}")))?,
    }
}

/// `plan report` (blocking).
fn report(
    bundle: PathBuf,
    csv: Option<PathBuf>,
    svg: Option<PathBuf>,
    json: bool,
) -> Result<(), Failure> {
    let r = crate::plan::report::report(&Bundle::new(&bundle))
        .map_err(|e| Failure::input(e.to_string()))?;
    let text = if json {
        format!("{}\n", serde_json::to_string_pretty(&r).expect("JSON"))
    } else {
        r.text()
    };
    // A closed pipe (`| head`) is not an error of the report.
    use std::io::Write;
    let _ = std::io::stdout().write_all(text.as_bytes());
    let write = |dir: &PathBuf, files: std::collections::BTreeMap<&str, String>| {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::failed(format!("{}: {e}", dir.display())))?;
        for (name, text) in files {
            let p = dir.join(name);
            std::fs::write(&p, text)
                .map_err(|e| Failure::failed(format!("{}: {e}", p.display())))?;
        }
        Ok::<(), Failure>(())
    };
    if let Some(dir) = &csv {
        write(dir, r.csv_files())?;
    }
    if let Some(dir) = &svg {
        write(dir, crate::plan::svg::charts(&r))?;
    }
    Ok(())
}

/// `plan replan`: the use case `crate::draw::steps::replan`, recorded in the database when the
/// replaced draw is; its `replan` event's checkpoint is then signed and sent to the witnesses at
/// once, as after every other draw step.
async fn replan(db_url: &str, args: ReplanArgs) -> Result<(), Failure> {
    let ReplanArgs {
        old,
        from,
        out,
        batch,
        pinned_through,
        complaints,
        secret,
    } = args;
    let old = Bundle::new(&old);
    let db = super::draw::database_of(db_url, &old).await?;
    let complaints = complaints
        .as_ref()
        .map(|p| {
            std::fs::read_to_string(p)
                .map(|t| (p.display().to_string(), t))
                .map_err(|e| Failure::input(format!("{}: {e}", p.display())))
        })
        .transpose()?;
    let digest = steps::replan(steps::Replan {
        db: db.as_ref(),
        old: old.clone(),
        out: Bundle::new(&out),
        batch,
        from,
        pinned_through,
        complaints,
        secret,
        actor: "cli".into(),
    })
    .await
    .map_err(super::draw::step_failure)?;
    super::draw::publish_log(db_url, db.as_ref()).await;
    println!("{digest}");
    eprintln!(
        "{}: re-plan committed (replaces {}); run it with `dualdraw draw run {}` (no --entropy: it keeps the replaced draw's seed)",
        out.display(),
        old.dir.display(),
        out.display()
    );
    Ok(())
}
