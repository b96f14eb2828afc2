//! The log's private key (`docs/log.md` §6.2): created at the first start, kept in a file of
//! mode 0600 in a directory of mode 0700, readable by the service alone. Witnesses keep theirs
//! the same way (`dualdraw witness keygen`).

use super::LogError;
use dualdraw_solver::tlog::note::PrivateKey;
use rand::RngCore;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Where the log key lives by default: `dualdraw-log/log.key` beside a SQLite database file,
/// or in the working directory for PostgreSQL.
pub fn default_path(db_url: &str) -> PathBuf {
    let dir = db_url
        .strip_prefix("sqlite://")
        .map(|p| p.split('?').next().unwrap_or(p))
        .and_then(|p| Path::new(p).parent().map(Path::to_path_buf))
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."));
    dir.join("dualdraw-log").join("log.key")
}

/// Reads the key at `path`, or creates one named `name` of `sig_type` if there is none.
/// Returns the key and whether it was created. Refuses a key file others can read.
pub fn load_or_create(
    path: &Path,
    name: &str,
    sig_type: u8,
) -> Result<(PrivateKey, bool), LogError> {
    if let Some(key) = load(path, sig_type)? {
        return Ok((key, false));
    }
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    let key = PrivateKey::from_seed(name, sig_type, seed)?;
    write_new(path, &format!("{}\n", key.encode()))?;
    Ok((key, true))
}

/// Reads the key at `path`; `None` if there is no file. Refuses a key file others can read.
pub fn load(path: &Path, sig_type: u8) -> Result<Option<PrivateKey>, LogError> {
    let shown = path.display();
    if !path.exists() {
        return Ok(None);
    }
    let mode = std::fs::metadata(path)
        .map_err(|e| LogError::Key(format!("{shown}: {e}")))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(LogError::Key(format!(
            "{shown}: mode {:o} lets others read the private key; chmod 600 it",
            mode & 0o777
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| LogError::Key(format!("{shown}: {e}")))?;
    let key =
        PrivateKey::parse(text.trim_end()).map_err(|e| LogError::Key(format!("{shown}: {e}")))?;
    if key.sig_type != sig_type {
        return Err(LogError::Key(format!(
            "{shown}: key of type {}, expected {sig_type}",
            key.sig_type
        )));
    }
    Ok(Some(key))
}

/// Writes a new secret file: directory 0700, file 0600, never overwriting.
pub fn write_new(path: &Path, text: &str) -> Result<(), LogError> {
    let shown = path.display();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| LogError::Key(format!("{}: {e}", dir.display())))?;
        }
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| LogError::Key(format!("{shown}: {e}")))?;
    f.write_all(text.as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| LogError::Key(format!("{shown}: {e}")))
}
