//! The witness policy of the service and the client side of C2SP `tlog-witness`
//! (`docs/log.md` §5.1, §5.3): each new checkpoint goes to every configured witness with a
//! consistency proof from the size that witness last cosigned; the cosignatures are checked and
//! stored.

use super::store::{self, StoredCheckpoint, TileCache};
use super::LogError;
use crate::db::Db;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use dualdraw_solver::tlog::cosignature;
use dualdraw_solver::tlog::note::{Note, VerifierKey, TYPE_COSIGNATURE};
use dualdraw_solver::tlog::proof;
use std::time::Duration;

/// One witness: its `add-checkpoint` prefix and its cosigning key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witness {
    pub url: String,
    pub key: VerifierKey,
}

/// The witnesses and how many of them a checkpoint needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub witnesses: Vec<Witness>,
    pub quorum: usize,
}

impl Policy {
    /// Parses `URL VKEY` lines (`#` comments, blank lines) and a quorum (default: all).
    pub fn parse(text: &str, file: &str, quorum: Option<&str>) -> Result<Policy, LogError> {
        let mut witnesses: Vec<Witness> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let bad = |m: String| LogError::Config(format!("{file}:{}: {m}", n + 1));
            let (url, vkey) = line
                .split_once(char::is_whitespace)
                .ok_or_else(|| bad("expected 'URL VERIFIER-KEY'".into()))?;
            let key = VerifierKey::parse(vkey.trim()).map_err(|e| bad(e.to_string()))?;
            if key.sig_type != TYPE_COSIGNATURE {
                return Err(bad(format!(
                    "{} is not a cosignature (type 4) key",
                    key.name
                )));
            }
            if witnesses.iter().any(|w| w.key.name == key.name) {
                return Err(bad(format!("witness {} listed twice", key.name)));
            }
            witnesses.push(Witness {
                url: url.trim_end_matches('/').to_string(),
                key,
            });
        }
        let quorum = match quorum {
            Some(q) => q.parse().map_err(|_| {
                LogError::Config(format!("DUALDRAW_LOG_QUORUM: '{q}' is not a number"))
            })?,
            None => witnesses.len(),
        };
        if quorum > witnesses.len() {
            return Err(LogError::Config(format!(
                "quorum {quorum} is more than the {} witnesses configured",
                witnesses.len()
            )));
        }
        Ok(Policy { witnesses, quorum })
    }

    /// The policy as served at `/log/witnesses`: `quorum Q` then `URL VKEY` lines.
    pub fn text(&self) -> String {
        let mut s = format!("quorum {}\n", self.quorum);
        for w in &self.witnesses {
            s.push_str(&format!("{} {}\n", w.url, w.key));
        }
        s
    }

    /// The witnesses' keys.
    pub fn keys(&self) -> Vec<VerifierKey> {
        self.witnesses.iter().map(|w| w.key.clone()).collect()
    }
}

/// What one witness answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Cosigned(u64),
    Failed(String),
}

/// Sends the checkpoint to every witness that has not cosigned it yet; stores what verifies.
pub async fn collect(
    db: &Db,
    policy: &Policy,
    cp: &StoredCheckpoint,
) -> Result<Vec<(String, Outcome)>, LogError> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| LogError::Config(e.to_string()))?;
    let mut conn = db.pool.acquire().await?;
    let have = store::cosignatures(&mut conn, cp.size).await?;
    drop(conn);
    let mut out = Vec::new();
    for w in &policy.witnesses {
        if have.iter().any(|(name, _, _)| *name == w.key.name) {
            continue;
        }
        let outcome = match ask(db, &client, w, cp).await {
            Ok((t, line)) => {
                store_line(db, cp.size, &w.key.name, t, &line).await?;
                Outcome::Cosigned(t)
            }
            Err(m) => {
                tracing::warn!(witness = %w.key.name, url = %w.url, "no cosignature: {m}");
                Outcome::Failed(m)
            }
        };
        out.push((w.key.name.clone(), outcome));
    }
    Ok(out)
}

async fn store_line(db: &Db, size: u64, witness: &str, t: u64, line: &str) -> Result<(), LogError> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO log_cosignatures (size, witness, cosigned_at, line) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (size, witness) DO NOTHING",
    )
    .bind(size as i64)
    .bind(witness)
    .bind(t as i64)
    .bind(line)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    super::head::reload_after_commit(db).await;
    Ok(())
}

/// The size the witness last cosigned, as far as this log knows.
async fn known_size(db: &Db, witness: &str) -> Result<u64, LogError> {
    let mut conn = db.pool.acquire().await?;
    let (size,): (Option<i64>,) =
        sqlx::query_as("SELECT MAX(size) FROM log_cosignatures WHERE witness = $1")
            .bind(witness)
            .fetch_one(&mut *conn)
            .await?;
    Ok(size.unwrap_or(0) as u64)
}

/// One request (and one retry from the size a 409 names). Returns the time and the line.
async fn ask(
    db: &Db,
    client: &reqwest::Client,
    w: &Witness,
    cp: &StoredCheckpoint,
) -> Result<(u64, String), String> {
    let mut old = known_size(db, &w.key.name)
        .await
        .map_err(|e| e.to_string())?;
    for _ in 0..2 {
        let body = request_body(db, old, cp).await.map_err(|e| e.to_string())?;
        let r = client
            .post(format!("{}/add-checkpoint", w.url))
            .body(body)
            .send()
            .await
            .map_err(|e| format!("{}: {e}", w.url))?;
        let status = r.status().as_u16();
        let text = r.text().await.map_err(|e| format!("{}: {e}", w.url))?;
        match status {
            200 => return verify_answer(w, cp, &text),
            409 => match text.trim().parse::<u64>() {
                Ok(size) if size != old && size <= cp.size => old = size,
                _ => return Err(format!("409 Conflict: {}", text.trim())),
            },
            _ => return Err(format!("{status}: {}", text.trim())),
        }
    }
    Err("the witness's size keeps changing".into())
}

async fn request_body(db: &Db, old: u64, cp: &StoredCheckpoint) -> Result<String, LogError> {
    let mut conn = db.pool.acquire().await?;
    let hashes = TileCache::default()
        .compute(&mut conn, cp.size, |r| proof::consistency(r, old, cp.size))
        .await?;
    let mut body = format!("old {old}\n");
    for h in hashes {
        body.push_str(&B64.encode(h));
        body.push('\n');
    }
    body.push('\n');
    body.push_str(&cp.note);
    Ok(body)
}

fn verify_answer(w: &Witness, cp: &StoredCheckpoint, text: &str) -> Result<(u64, String), String> {
    let note = Note::parse(&format!("{}{text}", cp.note)).map_err(|e| e.to_string())?;
    let got =
        cosignature::verify_all(&note, std::slice::from_ref(&w.key)).map_err(|e| e.to_string())?;
    let c = got
        .first()
        .ok_or("the answer has no cosignature of this witness")?;
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("\u{2014} {} ", w.key.name)))
        .ok_or("no signature line of this witness")?;
    Ok((c.timestamp, format!("{line}\n")))
}
