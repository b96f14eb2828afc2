//! `dualdraw draw prepare|run|reveal` and `dualdraw verify`: adapters around the use cases of
//! `crate::draw::steps`, which the HTTP API calls too (`docs/draw-state.md`).

use super::Failure;
use crate::draw::bundle::Bundle;
use crate::draw::run::StepError;
use crate::draw::{steps, verify};
use clap::Subcommand;
use std::path::PathBuf;

/// The method of a new batch.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Dr1,
    Dr2,
    Dr3,
}

#[derive(Subcommand, Debug)]
pub enum DrawCommand {
    /// Freezes a batch and commits to it: canonical inputs, population Merkle root, declared
    /// entropy sources, commitment of a fresh secret (kept in .dualdraw/NAME.secret beside the
    /// bundle, mode 0600, until the reveal). With --db (no --from) the draw is recorded and audited.
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
        /// visits across groups, periods, inspector capacity; docs/plan-model.md); dr3: the
        /// annual plan with key supervision per department (docs/plan-model.md, "Method dr3").
        #[arg(long, value_enum, default_value_t = Method::Dr1)]
        method: Method,
        /// dr2 and dr3 only: complaint-driven checks (uscc,department,period), which count toward caps
        /// and use inspectors but not random quotas.
        #[arg(long)]
        complaints: Option<PathBuf>,
        /// FOR TESTS AND DEMOS ONLY: accept sources whose values may already be public. The
        /// commitment records it and every `verify` says the order is NOT proven (docs/log.md §7.3).
        #[arg(long)]
        allow_past_entropy: bool,
    },
    /// Abandons a prepared batch, publicly: the public log records it with the reason, and the
    /// batch's name is never used again.
    ///
    /// Example: dualdraw draw abandon 2026-Q1 --reason "名录未更新，重新抽取"
    Abandon {
        batch: String,
        #[arg(long)]
        reason: String,
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
        /// The secret kept by prepare (default: .dualdraw/NAME.secret beside the bundle).
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
    match command {
        DrawCommand::Prepare {
            from,
            out,
            batch,
            sources,
            tasks,
            policy,
            history,
            method,
            complaints,
            allow_past_entropy,
        } => {
            let method = match method {
                Method::Dr1 if complaints.is_some() => {
                    return Err(Failure::input("--complaints needs --method dr2 or dr3"))
                }
                Method::Dr1 => steps::Method::Dr1,
                Method::Dr2 | Method::Dr3 => steps::Method::Annual {
                    method: if method == Method::Dr2 {
                        dualdraw_solver::Method::Dr2
                    } else {
                        dualdraw_solver::Method::Dr3
                    },
                    complaints: read_named(&complaints)?,
                },
            };
            let (db, rules) = (
                match from {
                    Some(_) => None,
                    None => Some(crate::db::Db::connect(db_url).await?),
                },
                crate::credit::rules::RuleTable::builtin(),
            );
            let from = match (from, &db) {
                (Some(dir), _) => steps::Directories::Dir(dir),
                (None, db) => steps::Directories::Db {
                    db: db.as_ref().expect("connected above"),
                    rules: &rules,
                    policy: read_named(&policy)?.map(|p| p.1).unwrap_or_default(),
                    tasks: read_named(&tasks)?.map(|p| p.1).unwrap_or_default(),
                    history: read_named(&history)?
                        .map(|p| p.1)
                        .unwrap_or_else(dualdraw_solver::inputs::empty_history),
                },
            };
            let p = steps::prepare(steps::NewBatch {
                bundle: Bundle::new(&out),
                batch,
                sources,
                method,
                from,
                actor: "cli".into(),
                allow_past_entropy,
            })
            .await
            .map_err(step_failure)?;
            publish_log(db_url, db.as_ref()).await;
            println!("{}", p.digest);
            eprintln!(
                "{}: committed {} enterprises, {} tasks, {} inspectors; commitment SHA-256 above; secret kept in {}",
                out.display(),
                p.enterprises,
                p.tasks,
                p.inspectors,
                p.secret.display()
            );
            Ok(())
        }
        DrawCommand::Run {
            bundle,
            entropy,
            secret,
        } => {
            let b = Bundle::new(&bundle);
            let db = database_of(db_url, &b).await?;
            let step = steps::Step {
                db: db.as_ref(),
                bundle: b,
                actor: "cli".into(),
            };
            let s = steps::run(step, entropy, secret)
                .await
                .map_err(step_failure)?;
            publish_log(db_url, db.as_ref()).await;
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
            let p = tokio::task::spawn_blocking(move || {
                crate::draw::proof::proof(&Bundle::new(&bundle), &uscc)
            })
            .await
            .map_err(|e| Failure::failed(format!("proof failed: {e}")))?
            .map_err(step_failure)?;
            println!("{}", serde_json::to_string_pretty(&p).expect("JSON"));
            Ok(())
        }
        DrawCommand::Abandon { batch, reason } => {
            let db = crate::db::Db::connect(db_url).await?;
            steps::abandon(&db, &batch, &reason, "cli")
                .await
                .map_err(step_failure)?;
            publish_log(db_url, Some(&db)).await;
            eprintln!("{batch}: abandoned; the public log records it with its reason");
            Ok(())
        }
        DrawCommand::Reveal { bundle, secret } => {
            let b = Bundle::new(&bundle);
            let db = database_of(db_url, &b).await?;
            let step = steps::Step {
                db: db.as_ref(),
                bundle: b,
                actor: "cli".into(),
            };
            let r = steps::reveal(step, secret).await.map_err(step_failure)?;
            publish_log(db_url, db.as_ref()).await;
            println!("{}", r.seed);
            eprintln!(
                "{}: revealed; anyone can now run `dualdraw verify {}`",
                bundle.display(),
                bundle.display()
            );
            Ok(())
        }
    }
}

/// A file's name and text, if a path is given.
fn read_named(path: &Option<PathBuf>) -> Result<Option<(String, String)>, Failure> {
    path.as_ref()
        .map(|p| {
            std::fs::read_to_string(p)
                .map(|t| (p.display().to_string(), t))
                .map_err(|e| Failure::input(format!("{}: {e}", p.display())))
        })
        .transpose()
}

/// After a step on a database: signs the log's checkpoint and asks the witnesses to cosign it
/// (a running service does the same within seconds).
pub(super) async fn publish_log(db_url: &str, db: Option<&crate::db::Db>) {
    let Some(db) = db else { return };
    match crate::log::LogConfig::from_env(db_url) {
        Ok((config, _)) => {
            if let Err(e) = crate::log::publish::start(db, &config).await {
                eprintln!("warning: the log's checkpoint was not published: {e}");
            }
        }
        Err(e) => eprintln!("warning: the log's checkpoint was not published: {e}"),
    }
}

/// The database that records `bundle`, if any: `--db` when its `draws` table has this batch
/// with this commitment (a bundle prepared from it), otherwise none (an offline bundle). A
/// SQLite file that does not exist is not created for an offline bundle.
pub async fn database_of(url: &str, bundle: &Bundle) -> Result<Option<crate::db::Db>, Failure> {
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let file = rest.trim_start_matches("//");
        let file = file.split('?').next().unwrap_or("");
        if file.is_empty() || file == ":memory:" || !std::path::Path::new(file).exists() {
            return Ok(None);
        }
    }
    let db = crate::db::Db::connect(url).await?;
    let recorded = steps::recorded_in(&db, bundle)
        .await
        .map_err(step_failure)?
        .is_some();
    Ok(recorded.then_some(db))
}

pub fn step_failure(e: StepError) -> Failure {
    match e {
        StepError::Db(e) => e.into(),
        other => Failure::input(other.to_string()),
    }
}

/// `dualdraw verify BUNDLE`: exit 0 and a summary, or 1 and the first difference.
pub async fn verify(
    bundle: PathBuf,
    keys: Option<dualdraw_solver::tlog::evidence::Keys>,
) -> Result<(), Failure> {
    let result =
        tokio::task::spawn_blocking(move || verify::verify_with(&Bundle::new(&bundle), keys))
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
