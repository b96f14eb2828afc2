//! The code key (`docs/results.md` §12.3): the Ed25519 key that signs code statements, kept
//! like the log's key (`docs/log.md` §6.2) — a file of mode 0600 in a directory of mode 0700,
//! beside the log key, created by the first approval. The database holds nothing secret: a key
//! that an older version kept in table `code_keys` is moved into the file once (written, then
//! the row deleted) the first time the key is needed.

use super::InspectionError;
use crate::db::Db;
use dualdraw_solver::tlog::note::{self, PrivateKey, VerifierKey, TYPE_ED25519};
use rand::RngCore;
use std::path::{Path, PathBuf};
use tokio::sync::Mutex;

/// The service's handle on its code key: where the file is, and the key once read.
#[derive(Debug)]
pub struct CodeKey {
    path: PathBuf,
    loaded: Mutex<Option<PrivateKey>>,
}

fn key_error(e: impl std::fmt::Display) -> InspectionError {
    InspectionError::Key(format!("code key: {e}"))
}

/// The name of the code key: `codes.JURISDICTION`, or `dualdraw-codes` if the jurisdiction's
/// code cannot be a key name.
pub fn key_name() -> String {
    let name = format!("codes.{}", crate::log::events::jurisdiction());
    if note::valid_name(&name) {
        name
    } else {
        "dualdraw-codes".into()
    }
}

/// Where the code key lives: `DUALDRAW_CODE_KEY`, else `codes.key` in the log key's directory
/// (`DUALDRAW_LOG_KEY`'s, or the default one beside a SQLite file).
pub fn default_path(db_url: &str) -> PathBuf {
    if let Some(p) = std::env::var("DUALDRAW_CODE_KEY")
        .ok()
        .filter(|p| !p.is_empty())
    {
        return PathBuf::from(p);
    }
    let log_key = std::env::var("DUALDRAW_LOG_KEY")
        .ok()
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::log::key::default_path(db_url));
    log_key.with_file_name("codes.key")
}

impl CodeKey {
    pub fn new(path: impl Into<PathBuf>) -> CodeKey {
        CodeKey {
            path: path.into(),
            loaded: Mutex::new(None),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The key, if one was created; a key still in table `code_keys` is moved to the file first.
    pub async fn get(&self, db: &Db) -> Result<Option<PrivateKey>, InspectionError> {
        let mut loaded = self.loaded.lock().await;
        if loaded.is_none() {
            *loaded = self.adopt(db).await?;
        }
        Ok(loaded.clone())
    }

    /// The key, created (file 0600 in a directory 0700) if there is none yet.
    pub async fn get_or_create(&self, db: &Db) -> Result<PrivateKey, InspectionError> {
        let mut loaded = self.loaded.lock().await;
        if loaded.is_none() {
            *loaded = self.adopt(db).await?;
        }
        if let Some(k) = loaded.as_ref() {
            return Ok(k.clone());
        }
        let mut seed = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut seed);
        let k = PrivateKey::from_seed(&key_name(), TYPE_ED25519, seed).map_err(key_error)?;
        if let Err(e) = crate::log::key::write_new(&self.path, &format!("{}\n", k.encode())) {
            // Another process created it first: use that one.
            return match crate::log::key::load(&self.path, TYPE_ED25519).map_err(key_error)? {
                Some(theirs) => {
                    *loaded = Some(theirs.clone());
                    Ok(theirs)
                }
                None => Err(key_error(e)),
            };
        }
        *loaded = Some(k.clone());
        Ok(k)
    }

    /// The verifier key (`name+hash+base64`), if a key was created.
    pub async fn verifier(&self, db: &Db) -> Result<Option<VerifierKey>, InspectionError> {
        Ok(self.get(db).await?.map(|k| k.verifier()))
    }

    /// Reads the file, moving a key left in the database into it: the file is written (0600)
    /// before the row is deleted, so a crash between the two leaves the same key in both, which
    /// the next call resolves by deleting the row. A row that differs from the file is refused.
    async fn adopt(&self, db: &Db) -> Result<Option<PrivateKey>, InspectionError> {
        let file = crate::log::key::load(&self.path, TYPE_ED25519).map_err(key_error)?;
        let mut tx = db.begin().await?;
        let row: Option<String> =
            sqlx::query_scalar("SELECT private_key FROM code_keys WHERE id = 'codes'")
                .fetch_optional(&mut *tx)
                .await?;
        let Some(row) = row else {
            return Ok(file);
        };
        let stored =
            PrivateKey::parse(&row).map_err(|e| key_error(format!("table code_keys: {e}")))?;
        match &file {
            Some(k) if k.encode() != stored.encode() => {
                return Err(key_error(format!(
                    "{} and the key in table code_keys differ; keep one (the published verifier key says which) and remove the other",
                    self.path.display()
                )))
            }
            Some(_) => {}
            None => crate::log::key::write_new(&self.path, &format!("{}\n", stored.encode()))
                .map_err(key_error)?,
        }
        sqlx::query("DELETE FROM code_keys WHERE id = 'codes'")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(path = %self.path.display(), "code key moved from the database into its file");
        Ok(Some(stored))
    }
}
