//! The log's configuration (`docs/log.md` §5.3, §6.2, §6.3, §7.2), read from the environment
//! by `dualdraw serve` and the draw commands.

use super::cosigning::Policy;
use super::key;
use super::LogError;
use dualdraw_solver::tlog::note::{PrivateKey, TYPE_ED25519};
use std::path::PathBuf;

/// Default origin of a log (`docs/log.md` §3.2).
pub const DEFAULT_ORIGIN: &str = "dualdraw.local/log";
/// Default margin before a drand round's time, in seconds (`docs/log.md` §7.2).
pub const DEFAULT_MARGIN_SECONDS: u64 = 3600;

/// Everything the service needs to keep its log.
#[derive(Clone, Debug)]
pub struct LogConfig {
    pub key: PrivateKey,
    pub jurisdiction: String,
    pub policy: Policy,
    pub margin_seconds: u64,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl LogConfig {
    /// From `DUALDRAW_LOG_KEY`, `DUALDRAW_LOG_ORIGIN`, `DUALDRAW_JURISDICTION`,
    /// `DUALDRAW_LOG_WITNESSES`, `DUALDRAW_LOG_QUORUM`, `DUALDRAW_ENTROPY_MARGIN_SECONDS`;
    /// creates the key file at the first start. Returns whether the key was created.
    pub fn from_env(db_url: &str) -> Result<(LogConfig, bool), LogError> {
        let path = env("DUALDRAW_LOG_KEY")
            .map(PathBuf::from)
            .unwrap_or_else(|| key::default_path(db_url));
        let origin = env("DUALDRAW_LOG_ORIGIN").unwrap_or_else(|| DEFAULT_ORIGIN.to_string());
        let (key, created) = key::load_or_create(&path, &origin, TYPE_ED25519)?;
        let policy = match env("DUALDRAW_LOG_WITNESSES") {
            Some(file) => {
                let text = std::fs::read_to_string(&file)
                    .map_err(|e| LogError::Config(format!("{file}: {e}")))?;
                Policy::parse(&text, &file, env("DUALDRAW_LOG_QUORUM").as_deref())?
            }
            None => Policy::parse("", "(no witnesses)", env("DUALDRAW_LOG_QUORUM").as_deref())?,
        };
        let margin_seconds = match env("DUALDRAW_ENTROPY_MARGIN_SECONDS") {
            Some(v) => v.parse().map_err(|_| {
                LogError::Config(format!(
                    "DUALDRAW_ENTROPY_MARGIN_SECONDS: '{v}' is not a number of seconds"
                ))
            })?,
            None => DEFAULT_MARGIN_SECONDS,
        };
        Ok((
            LogConfig {
                key,
                jurisdiction: env("DUALDRAW_JURISDICTION").unwrap_or_else(|| "default".into()),
                policy,
                margin_seconds,
            },
            created,
        ))
    }
}

/// At `dualdraw serve`: loads (or creates) the log key, prints the verifier key, records it,
/// and signs and sends the checkpoint a crash may have left unsigned.
pub async fn start_for_serve(
    db: &crate::db::Db,
    db_url: &str,
) -> Result<LogConfig, crate::cli::Failure> {
    use crate::cli::Failure;
    let (config, created) =
        LogConfig::from_env(db_url).map_err(|e| Failure::input(e.to_string()))?;
    let p = super::publish::start(db, &config)
        .await
        .map_err(|e| Failure::failed(e.to_string()))?;
    let vkey = config.key.verifier();
    if created {
        eprintln!("created the log key; the log's verifier key (publish it) is:");
    } else {
        eprintln!("the log's verifier key is:");
    }
    println!("{vkey}");
    tracing::info!(size = p.checkpoint.size, %vkey, "draw log checkpoint signed");
    tokio::spawn(publisher(db.clone(), config.clone()));
    Ok(config)
}

/// Signs and sends a checkpoint every two seconds when the log grew, or when a witness has not
/// cosigned the latest one yet (`docs/log.md` §5.3: a witness that did not answer is retried).
async fn publisher(db: crate::db::Db, config: LogConfig) {
    let mut interval = tokio::time::interval(std::time::Duration::from_secs(2));
    loop {
        interval.tick().await;
        match pending(&db, &config).await {
            Ok(false) => continue,
            Ok(true) => {}
            Err(e) => {
                tracing::warn!("log: {e}");
                continue;
            }
        }
        if let Err(e) = super::publish::publish(&db, &config).await {
            tracing::error!("log: checkpoint not published: {e}");
        }
    }
}

/// Whether the log grew past its latest checkpoint, or that checkpoint lacks a cosignature.
async fn pending(db: &crate::db::Db, config: &LogConfig) -> Result<bool, LogError> {
    let mut conn = db.pool.acquire().await?;
    let size = super::store::size(&mut conn).await?;
    let Some(cp) = super::store::latest_checkpoint(&mut conn).await? else {
        return Ok(true);
    };
    if cp.size != size {
        return Ok(true);
    }
    let have = super::store::cosignatures(&mut conn, cp.size).await?.len();
    Ok(have < config.policy.witnesses.len())
}

/// The margin before a drand round (`DUALDRAW_ENTROPY_MARGIN_SECONDS`, default 3600).
pub fn margin_seconds() -> Result<u64, String> {
    match env("DUALDRAW_ENTROPY_MARGIN_SECONDS") {
        Some(v) => v.parse().map_err(|_| {
            format!("DUALDRAW_ENTROPY_MARGIN_SECONDS: '{v}' is not a number of seconds")
        }),
        None => Ok(DEFAULT_MARGIN_SECONDS),
    }
}
