//! `dualdraw witness …`: a transparency-log witness (C2SP `tlog-witness`, `docs/log.md` §5.2)
//! for another office to run: it cosigns the log's checkpoints and refuses forks.

use super::Failure;
use crate::log::key;
use crate::log::witness::{self, Witness};
use dualdraw_solver::tlog::note::{VerifierKey, TYPE_COSIGNATURE};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(clap::Subcommand, Debug)]
pub enum WitnessCommand {
    /// Creates a witness key (mode 0600) and prints its verifier key for the log's operator.
    ///
    /// Example: dualdraw witness keygen jw.example/witness --key witness.key
    Keygen {
        /// The witness's name: a schema-less URL, e.g. jw.example/witness.
        name: String,
        #[arg(long)]
        key: PathBuf,
    },
    /// Serves POST /add-checkpoint.
    ///
    /// Example: dualdraw witness serve --key witness.key --bind 127.0.0.1:9100 --state witness.json --log "dualdraw.local/log+…"
    Serve {
        #[arg(long)]
        key: PathBuf,
        #[arg(long, default_value = "127.0.0.1:9100")]
        bind: String,
        /// The file where the last cosigned checkpoint of each log is kept.
        #[arg(long)]
        state: PathBuf,
        /// Verifier key of a log to witness (its name is the log's origin). Repeatable.
        #[arg(long = "log", required = true)]
        logs: Vec<String>,
    },
}

pub async fn witness(c: WitnessCommand) -> Result<(), Failure> {
    match c {
        WitnessCommand::Keygen { name, key: path } => {
            if path.exists() {
                return Err(Failure::input(format!(
                    "{}: already exists",
                    path.display()
                )));
            }
            let (k, _) = key::load_or_create(&path, &name, TYPE_COSIGNATURE)
                .map_err(|e| Failure::input(e.to_string()))?;
            println!("{}", k.verifier());
            Ok(())
        }
        WitnessCommand::Serve {
            key: path,
            bind,
            state,
            logs,
        } => {
            if !path.exists() {
                return Err(Failure::input(format!(
                    "{}: no such key; create it with `dualdraw witness keygen NAME --key {}`",
                    path.display(),
                    path.display()
                )));
            }
            let (k, _) = key::load_or_create(&path, "unused", TYPE_COSIGNATURE)
                .map_err(|e| Failure::input(e.to_string()))?;
            let logs = logs
                .iter()
                .map(|l| VerifierKey::parse(l).map_err(|e| Failure::input(format!("--log: {e}"))))
                .collect::<Result<Vec<_>, _>>()?;
            let vkey = k.verifier();
            let w = Witness::open(k, logs, state).map_err(Failure::input)?;
            let listener = tokio::net::TcpListener::bind(&bind)
                .await
                .map_err(|e| Failure::input(format!("cannot listen on {bind}: {e}")))?;
            eprintln!("witness {vkey} listening on http://{bind}");
            axum::serve(listener, witness::router(Arc::new(w)))
                .with_graceful_shutdown(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await
                .map_err(|e| Failure::failed(format!("server error: {e}")))
        }
    }
}
