//! `dualdraw log …`: monitoring the public draw log (`docs/log.md` §9) and reading its key.
//!
//! `log check DIR|URL` verifies the checkpoint's signatures, recomputes the tree from every
//! entry, checks it extends the last checkpoint seen and every checkpoint a mirror kept, and
//! lists every batch with its events.

use super::Failure;
use crate::db::Db;
use crate::log::monitor::{self, MonitorError, Options, Source};
use crate::log::{publish, LogConfig};
use dualdraw_solver::tlog::history::Flag;
use dualdraw_solver::tlog::note::VerifierKey;
use std::path::PathBuf;

#[derive(clap::Subcommand, Debug)]
pub enum LogCommand {
    /// Verifies a log read over HTTP or from a directory mirror and lists its batches; every
    /// checkpoint the mirror kept (`checkpoints/`) and the one in the state file is verified
    /// too, and each consecutive pair with a consistency proof.
    ///
    /// Example: dualdraw log check http://127.0.0.1:8080/log --witness "w.example/1+1a2b3c4d+BA…"
    Check {
        /// `http://HOST/log` or a directory with the same layout.
        source: String,
        /// The log's verifier key (default: the one remembered in the state file, else `/log/key`).
        #[arg(long)]
        log_key: Option<String>,
        /// A witness's verifier key; its cosignature, if present, must verify. Repeatable.
        #[arg(long = "witness")]
        witnesses: Vec<String>,
        /// Where the last checkpoint seen is remembered.
        #[arg(long, default_value = "dualdraw-log-state.json")]
        state: PathBuf,
    },
    /// Copies a log (checkpoint, key, every tile and entry bundle) into a directory, and keeps
    /// the checkpoint as `checkpoints/SIZE` beside those of earlier runs (a different tree of a
    /// size kept before is refused as a fork).
    ///
    /// Example: dualdraw log mirror http://127.0.0.1:8080/log mirror/
    Mirror { source: String, dir: PathBuf },
    /// Prints this database's log verifier key (creating the log key at the first use), signs
    /// the current checkpoint and asks the witnesses to cosign it.
    Publish,
    /// For benchmarks (`benches/log.sh`): appends N synthetic prepare events to this database's
    /// log, one transaction each, signing the checkpoint every K events.
    #[command(hide = true)]
    BenchAppend {
        #[arg(long)]
        events: u64,
        #[arg(long, default_value = "1")]
        checkpoint_every: u64,
    },
}

fn key(s: &str) -> Result<VerifierKey, Failure> {
    VerifierKey::parse(s).map_err(|e| Failure::input(e.to_string()))
}

fn monitor_failure(e: MonitorError) -> Failure {
    match e {
        MonitorError::Input(m) => Failure::input(m),
        MonitorError::Failed(m) => Failure::failed(format!("log check failed: {m}")),
    }
}

pub async fn log(db_url: &str, c: LogCommand) -> Result<(), Failure> {
    match c {
        LogCommand::Check {
            source,
            log_key,
            witnesses,
            state,
        } => {
            let opts = Options {
                log_key: log_key.as_deref().map(key).transpose()?,
                witnesses: witnesses.iter().map(|w| key(w)).collect::<Result<_, _>>()?,
                state,
            };
            let report = monitor::check(&Source::new(&source), &opts)
                .await
                .map_err(monitor_failure)?;
            print_report(&report);
            Ok(())
        }
        LogCommand::Mirror { source, dir } => {
            let size = monitor::mirror(&Source::new(&source), &dir)
                .await
                .map_err(monitor_failure)?;
            eprintln!("{}: mirrored a log of {size} entries", dir.display());
            Ok(())
        }
        LogCommand::Publish => {
            let db = Db::connect(db_url).await?;
            let (config, _) =
                LogConfig::from_env(db_url).map_err(|e| Failure::input(e.to_string()))?;
            let p = publish::start(&db, &config)
                .await
                .map_err(|e| Failure::failed(e.to_string()))?;
            println!("{}", config.key.verifier());
            eprintln!("checkpoint of size {} signed", p.checkpoint.size);
            Ok(())
        }
        LogCommand::BenchAppend {
            events,
            checkpoint_every,
        } => bench_append(db_url, events, checkpoint_every.max(1)).await,
    }
}

async fn bench_append(db_url: &str, events: u64, every: u64) -> Result<(), Failure> {
    use dualdraw_solver::tlog::leaf::{self, Event, Kind};
    let db = Db::connect(db_url).await?;
    let (config, _) = LogConfig::from_env(db_url).map_err(|e| Failure::input(e.to_string()))?;
    let fail = |e: crate::log::LogError| Failure::failed(e.to_string());
    let sources = serde_json::json!([{"kind":"lottery","name":"福彩3D","issue":"2026001","date":"2026-12-30"}]);
    let start = std::time::Instant::now();
    for i in 0..events {
        let batch = format!("bench-{i:07}");
        let c = hex::encode(dualdraw_solver::merkle::leaf_hash(batch.as_bytes()));
        let fields = leaf::prepare_fields("dr1", &sources, false, None);
        let e = Event::new(Kind::Prepare, &config.jurisdiction, &batch, &c, fields)
            .map_err(|e| Failure::failed(e.to_string()))?;
        let mut tx = db.begin().await?;
        crate::log::store::append_event(&mut tx, &e)
            .await
            .map_err(fail)?;
        tx.commit().await?;
        if (i + 1) % every == 0 || i + 1 == events {
            publish::sign_checkpoint(&db, &config.key)
                .await
                .map_err(fail)?;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "appended {events} events, checkpoint every {every}: {secs:.1} s, {:.0} events/s",
        events as f64 / secs
    );
    Ok(())
}

/// Prints the report; a closed stdout (`| head`) ends the listing quietly.
fn print_report(r: &monitor::Report) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for n in &r.notes {
        eprintln!("note: {n}");
    }
    let cp = &r.checkpoint;
    let mut since = r.previous.as_ref().map_or("first check".to_string(), |p| {
        format!("consistent with size {} seen before", p.size)
    });
    if !r.history.is_empty() {
        let sizes: Vec<String> = r.history.iter().map(u64::to_string).collect();
        since.push_str(&format!(
            "; {} earlier checkpoints (sizes {}) signed and pairwise consistent",
            r.history.len(),
            sizes.join(", ")
        ));
    }
    let _ = writeln!(
        out,
        "log {} verified: {} entries, root {}, {since}; cosigned by {}",
        cp.origin,
        cp.size,
        hex::encode(cp.root),
        if r.cosigned.is_empty() {
            "no known witness".to_string()
        } else {
            r.cosigned
                .iter()
                .map(|c| format!("{} at {}", c.witness.name, c.timestamp))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    for b in &r.batches {
        let events: Vec<String> = b.events.iter().map(|(i, k)| format!("{k}@{i}")).collect();
        let flags: Vec<String> = b
            .flags
            .iter()
            .map(|f| match f {
                Flag::Abandoned(reason) => format!("ABANDONED ({reason})"),
                Flag::DuplicateName(i) => format!("DUPLICATE NAME (entry {i})"),
                Flag::OutOfOrder(i, why) => format!("OUT OF ORDER (entry {i}: {why})"),
            })
            .collect();
        if writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}",
            b.jurisdiction,
            b.batch,
            b.method.as_deref().unwrap_or("-"),
            events.join(" "),
            flags.join("; ")
        )
        .is_err()
        {
            return;
        }
    }
}

/// The log keys given to `dualdraw verify`, if any.
pub fn keys(
    log_key: Option<String>,
    witnesses: Vec<String>,
    quorum: Option<usize>,
) -> Result<Option<dualdraw_solver::tlog::evidence::Keys>, Failure> {
    let Some(log_key) = log_key else {
        return Ok(None);
    };
    let witnesses = witnesses
        .iter()
        .map(|w| key(w))
        .collect::<Result<Vec<_>, _>>()?;
    let quorum = quorum.unwrap_or(witnesses.len());
    if quorum > witnesses.len() {
        return Err(Failure::input(format!(
            "--quorum {quorum} is more than the {} witnesses given",
            witnesses.len()
        )));
    }
    Ok(Some(dualdraw_solver::tlog::evidence::Keys {
        log: key(&log_key)?,
        witnesses,
        quorum,
    }))
}
