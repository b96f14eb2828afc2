//! `dualdraw draw prepare|run|reveal` and `dualdraw verify`.

use super::Failure;
use crate::draw::bundle::Bundle;
use crate::draw::{prepare, run, verify};
use clap::Subcommand;
use std::path::PathBuf;

/// The method of a new batch.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Dr1,
    Dr2,
}

#[derive(Subcommand, Debug)]
pub enum DrawCommand {
    /// Freezes a batch and commits to it: canonical inputs, population Merkle root, declared
    /// entropy sources, commitment of a fresh secret (kept in BUNDLE.secret, outside the bundle).
    ///
    /// Example: dualdraw draw prepare --from city/ --out 2026-q1 --batch 2026-Q1
    ///          --source lottery:福彩3D:2026001:2026-01-02 --source drand:quicknet:12345678
    Prepare {
        /// Directory of CSV files (enterprises, items, inspectors, conflicts, credit-records,
        /// tasks, policy, history): no database needed. Without it the directories come from
        /// the database (--db) and --tasks and --policy name the batch's files.
        #[arg(long, conflicts_with_all = ["tasks", "policy", "history"])]
        from: Option<PathBuf>,
        /// With the database: the batch's tasks.csv.
        #[arg(long, required_unless_present = "from")]
        tasks: Option<PathBuf>,
        /// With the database: the batch's policy.csv.
        #[arg(long, required_unless_present = "from")]
        policy: Option<PathBuf>,
        /// With the database: earlier inspections (history.csv), optional.
        #[arg(long)]
        history: Option<PathBuf>,
        /// The bundle directory to create.
        #[arg(long)]
        out: PathBuf,
        /// The batch's name.
        #[arg(long)]
        batch: String,
        /// A future public value: lottery:NAME:ISSUE:YYYY-MM-DD or drand:CHAIN:ROUND (repeat, in order).
        #[arg(long = "source", required = true)]
        sources: Vec<String>,
        /// dr1: the draw with dr1 periods and teams; dr2: the annual plan, optimized (joint
        /// visits across groups, periods, inspector capacity; docs/plan-model.md).
        #[arg(long, value_enum, default_value_t = Method::Dr1)]
        method: Method,
        /// dr2 only: complaint-driven checks (uscc,department,period), which count toward caps
        /// and use inspectors but not random quotas.
        #[arg(long)]
        complaints: Option<PathBuf>,
    },
    /// Takes the public values (one --entropy per declared source, in order), derives the seed
    /// and writes the plan.
    ///
    /// Example: dualdraw draw run 2026-q1 --entropy "3 7 1" --entropy SIGNATURE_HEX
    Run {
        bundle: PathBuf,
        /// Lottery numbers ("3 7 1"), or a drand signature in hex (SIG or SIG:PREVIOUS_SIG).
        /// None for a re-plan, which keeps the replaced draw's entropy.
        #[arg(long = "entropy")]
        entropy: Vec<String>,
        /// The secret kept by prepare (default: BUNDLE.secret).
        #[arg(long)]
        secret: Option<PathBuf>,
    },
    /// What one enterprise needs to check its fate: its committed row with a Merkle inclusion
    /// proof, and once revealed its number, ξ and each stratum's cut-off (JSON).
    ///
    /// Example: dualdraw draw proof 2026-q1 91440300708461136T
    Proof { bundle: PathBuf, uscc: String },
    /// Publishes the secret and the seed: from now on anyone can recompute the draw.
    Reveal {
        bundle: PathBuf,
        #[arg(long)]
        secret: Option<PathBuf>,
    },
}

pub async fn draw(db_url: &str, command: DrawCommand) -> Result<(), Failure> {
    let command = match command {
        DrawCommand::Prepare {
            from: None,
            out,
            batch,
            sources,
            tasks,
            policy,
            history,
            method,
            complaints,
        } => {
            let read = |p: &Option<PathBuf>| -> Result<Option<String>, Failure> {
                p.as_ref()
                    .map(|p| {
                        std::fs::read_to_string(p)
                            .map_err(|e| Failure::input(format!("{}: {e}", p.display())))
                    })
                    .transpose()
            };
            let (tasks, policy) = (
                read(&tasks)?.unwrap_or_default(),
                read(&policy)?.unwrap_or_default(),
            );
            let history =
                read(&history)?.unwrap_or_else(dualdraw_solver::dr1::inputs::empty_history);
            let db = crate::db::Db::connect(db_url).await?;
            let mut conn = db.pool.acquire().await?;
            let rules = crate::credit::rules::RuleTable::builtin();
            let inputs = crate::draw::from_db::inputs(&mut conn, &rules, policy, tasks, history)
                .await
                .map_err(|e| Failure::input(e.to_string()))?;
            return tokio::task::spawn_blocking(move || {
                commit(
                    &out,
                    &batch,
                    &sources,
                    inputs,
                    method,
                    complaints.as_deref(),
                )
            })
            .await
            .map_err(|e| Failure::failed(format!("draw failed: {e}")))?;
        }
        other => other,
    };
    tokio::task::spawn_blocking(move || draw_blocking(command))
        .await
        .map_err(|e| Failure::failed(format!("draw failed: {e}")))?
}

fn draw_blocking(command: DrawCommand) -> Result<(), Failure> {
    match command {
        DrawCommand::Prepare {
            from,
            out,
            batch,
            sources,
            method,
            complaints,
            ..
        } => {
            let from = from.expect("the database case is handled before");
            let inputs =
                prepare::inputs_from_dir(&from).map_err(|e| Failure::input(e.to_string()))?;
            commit(
                &out,
                &batch,
                &sources,
                inputs,
                method,
                complaints.as_deref(),
            )
        }
        DrawCommand::Run {
            bundle,
            entropy,
            secret,
        } => {
            let b = Bundle::new(&bundle);
            let secret = secret.unwrap_or_else(|| b.secret_path());
            let s = run::run(&b, &entropy, &secret).map_err(step_failure)?;
            eprintln!(
                "{}: {} visits, {} inspectors assigned, {} teams not formed",
                bundle.display(),
                s.visits,
                s.members,
                s.failures
            );
            Ok(())
        }
        DrawCommand::Proof { bundle, uscc } => {
            let uscc = dualdraw_solver::Uscc::parse(&uscc)
                .map_err(|e| Failure::input(format!("USCC '{uscc}': {e}")))?;
            let p =
                crate::draw::proof::proof(&Bundle::new(&bundle), &uscc).map_err(step_failure)?;
            println!("{}", serde_json::to_string_pretty(&p).expect("JSON"));
            Ok(())
        }
        DrawCommand::Reveal { bundle, secret } => {
            let b = Bundle::new(&bundle);
            let secret = secret.unwrap_or_else(|| b.secret_path());
            let seed = run::reveal(&b, &secret).map_err(step_failure)?;
            println!("{seed}");
            eprintln!(
                "{}: revealed; anyone can now run `dualdraw verify {}`",
                bundle.display(),
                bundle.display()
            );
            Ok(())
        }
    }
}

fn step_failure(e: run::StepError) -> Failure {
    match e {
        run::StepError::Input(m) => Failure::input(m),
        run::StepError::Bundle(b) => Failure::input(b.to_string()),
    }
}

/// `dualdraw verify BUNDLE`: exit 0 and a summary, or 1 and the first difference.
pub async fn verify(bundle: PathBuf) -> Result<(), Failure> {
    let result = tokio::task::spawn_blocking(move || verify::verify(&Bundle::new(&bundle)))
        .await
        .map_err(|e| Failure::failed(format!("verify failed: {e}")))?;
    match result {
        Ok(summary) => {
            println!("{summary}");
            Ok(())
        }
        Err(d) => Err(Failure::failed(format!("verification failed: {d}"))),
    }
}

/// Writes the committed bundle and reports it.
fn commit(
    out: &std::path::Path,
    batch: &str,
    sources: &[String],
    inputs: dualdraw_solver::dr1::Inputs,
    method: Method,
    complaints: Option<&std::path::Path>,
) -> Result<(), Failure> {
    let declared = sources
        .iter()
        .map(|s| prepare::parse_source(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Failure::input)?;
    let bundle = Bundle::new(out);
    let digest = match method {
        Method::Dr1 if complaints.is_some() => {
            return Err(Failure::input("--complaints needs --method dr2"))
        }
        Method::Dr1 => prepare::write(&bundle, batch, &inputs, declared),
        Method::Dr2 => {
            let mut annual = dualdraw_solver::dr2::Annual::default();
            if let Some(path) = complaints {
                annual.complaints =
                    crate::draw::annual::read_complaints(path, inputs.policy.periods.count())
                        .map_err(|e| Failure::input(e.join("\n")))?;
            }
            annual.normalize();
            crate::draw::annual::prepare(&bundle, batch, &inputs, &annual, declared)
        }
    }
    .map_err(|e| Failure::input(e.to_string()))?;
    println!("{digest}");
    eprintln!(
                "{}: committed {} enterprises, {} tasks, {} inspectors; commitment SHA-256 above; secret kept in {}",
                out.display(),
                inputs.population.len(),
                inputs.tasks.len(),
                inputs.inspectors.len(),
                bundle.secret_path().display()
            );
    Ok(())
}
