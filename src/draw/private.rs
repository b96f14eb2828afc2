//! The operator's private directory beside the bundles (`docs/draw-state.md`): for a bundle
//! `PARENT/NAME` it is `PARENT/.dualdraw/`, created with mode 0700, and holds
//!
//! - `NAME.secret`: the operator secret (mode 0600 from its creation) until the reveal publishes
//!   it as `NAME/secret.txt`, after which the kept copy is removed;
//! - `NAME.lock`: the lock that serializes the steps on one bundle (an OS file lock, released
//!   when its holder exits, even by `kill -9`);
//! - `NAME.staging/`: where a step writes its files before they are renamed into place.
//!
//! Batch names served over HTTP cannot begin with a dot, so nothing here is ever served.

use super::bundle::{io, Bundle, BundleError};
use std::fs::{DirBuilder, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The private directory's name, beside the bundles.
pub const DIR: &str = ".dualdraw";

/// The private files of one bundle.
pub struct Private {
    pub dir: PathBuf,
    name: String,
}

impl Private {
    pub fn of(bundle: &Bundle) -> Private {
        let parent = match bundle.dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = bundle
            .dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "bundle".into());
        Private {
            dir: parent.join(DIR),
            name,
        }
    }

    /// Where the secret is kept until the reveal.
    pub fn secret_path(&self) -> PathBuf {
        self.dir.join(format!("{}.secret", self.name))
    }

    fn lock_path(&self) -> PathBuf {
        self.dir.join(format!("{}.lock", self.name))
    }

    fn staging_path(&self) -> PathBuf {
        self.dir.join(format!("{}.staging", self.name))
    }

    /// Creates the directory with mode 0700, or checks that nobody else may read it.
    pub fn ensure(&self) -> Result<(), BundleError> {
        match DirBuilder::new().mode(0o700).create(&self.dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let mode = std::fs::metadata(&self.dir)
                    .map_err(|e| io(&self.dir, e))?
                    .permissions()
                    .mode();
                if mode & 0o077 != 0 {
                    return Err(io(
                        &self.dir,
                        format!(
                            "others may read it (mode {:o}); it must be 0700",
                            mode & 0o777
                        ),
                    ));
                }
                Ok(())
            }
            Err(e) => Err(io(&self.dir, e)),
        }
    }
}

/// Keeps a new secret: written to a fresh file created with mode 0600, then renamed into place.
pub fn keep_secret(bundle: &Bundle, secret: &[u8; 32]) -> Result<PathBuf, BundleError> {
    let p = Private::of(bundle);
    p.ensure()?;
    let path = p.secret_path();
    let tmp = p.dir.join(format!("{}.secret.tmp", p.name));
    remove_file(&tmp)?;
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| io(&tmp, e))?;
    f.write_all(format!("{}\n", hex::encode(secret)).as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| io(&tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| io(&path, e))?;
    Ok(path)
}

/// Removes the kept secret (after the reveal, when the bundle carries it as `secret.txt`).
pub fn remove_secret(bundle: &Bundle) -> Result<(), BundleError> {
    remove_file(&Private::of(bundle).secret_path())
}

fn remove_file(path: &Path) -> Result<(), BundleError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(path, e)),
        _ => Ok(()),
    }
}

/// Why a bundle's lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{0}: another step on this draw is in progress")]
    Busy(String),
    #[error(transparent)]
    Bundle(#[from] BundleError),
}

/// The exclusive lock of one bundle, held until its last clone is dropped (or the process ends).
#[derive(Clone)]
pub struct Lock {
    _file: std::sync::Arc<File>,
}

/// Takes the bundle's lock without waiting.
pub fn lock(bundle: &Bundle) -> Result<Lock, LockError> {
    let p = Private::of(bundle);
    p.ensure()?;
    let path = p.lock_path();
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| io(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(Lock {
            _file: std::sync::Arc::new(file),
        }),
        Err(std::fs::TryLockError::WouldBlock) => {
            Err(LockError::Busy(bundle.dir.display().to_string()))
        }
        Err(std::fs::TryLockError::Error(e)) => Err(io(&path, e).into()),
    }
}

/// A step's files before they are renamed into the bundle. Held under the bundle's lock, so a
/// staging directory found at the start of a step is the leftover of an interrupted one.
pub struct Staging {
    pub bundle: Bundle,
}

impl Staging {
    /// An empty staging directory for `bundle` (a leftover is removed first).
    pub fn new(bundle: &Bundle, _lock: &Lock) -> Result<Staging, BundleError> {
        let dir = Private::of(bundle).staging_path();
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| io(&dir, e))?;
        }
        std::fs::create_dir(&dir).map_err(|e| io(&dir, e))?;
        Ok(Staging {
            bundle: Bundle::new(dir),
        })
    }

    /// A new bundle: the whole staging directory is renamed to the bundle's place, so the bundle
    /// appears complete or not at all. `rename` refuses a non-empty target; an empty one would
    /// be replaced, hence the refusal of any existing path (under the lock nobody creates it).
    pub fn create(self, target: &Bundle) -> Result<(), BundleError> {
        if target.dir.exists() {
            return Err(BundleError::Invalid(format!(
                "{}: already exists; a batch is prepared once",
                target.dir.display()
            )));
        }
        std::fs::rename(&self.bundle.dir, &target.dir).map_err(|e| io(&target.dir, e))
    }

    /// A step on an existing bundle: every file and directory of the staging directory replaces
    /// its namesake in the bundle (a leftover of an interrupted attempt), then the manifest for
    /// the new state is renamed over the old one — the commit point of an offline bundle.
    pub fn publish(
        self,
        target: &Bundle,
        state: &str,
        extra: serde_json::Value,
    ) -> Result<(), BundleError> {
        let mut entries: Vec<_> = std::fs::read_dir(&self.bundle.dir)
            .map_err(|e| io(&self.bundle.dir, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| io(&self.bundle.dir, e))?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let to = target.dir.join(entry.file_name());
            remove_any(&to)?;
            std::fs::rename(entry.path(), &to).map_err(|e| io(&to, e))?;
        }
        replace_manifest(target, &self.bundle, state, extra)?;
        std::fs::remove_dir(&self.bundle.dir).map_err(|e| io(&self.bundle.dir, e))
    }
}

/// Writes `target`'s manifest for `state` beside (in `scratch`) and renames it into place.
fn replace_manifest(
    target: &Bundle,
    scratch: &Bundle,
    state: &str,
    extra: serde_json::Value,
) -> Result<(), BundleError> {
    let text = target.manifest_text(state, extra)?;
    scratch.write("manifest.json", &text)?;
    let to = target.path("manifest.json");
    std::fs::rename(scratch.path("manifest.json"), &to).map_err(|e| io(&to, e))
}

fn remove_any(path: &Path) -> Result<(), BundleError> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path).map_err(|e| io(path, e)),
        Ok(_) => std::fs::remove_file(path).map_err(|e| io(path, e)),
        Err(_) => Ok(()),
    }
}

/// The order of the states of a bundle.
fn rank(state: &str) -> Option<u8> {
    match state {
        "committed" => Some(0),
        "run" => Some(1),
        "revealed" => Some(2),
        _ => None,
    }
}

/// Brings a bundle back to `state` (the database's, or its own manifest's offline) after an
/// interrupted step: the files of later states are removed (an interrupted step may have renamed
/// some into place) and, when the manifest is ahead because the step's transaction never
/// committed, the manifest of `state` is written again (it depends only on the files and the
/// state, so it is byte for byte the one that was there). Returns whether the manifest changed.
pub fn roll_back_to(bundle: &Bundle, state: &str, lock: &Lock) -> Result<bool, BundleError> {
    let manifest = bundle.read_json("manifest.json")?;
    let found = manifest["state"].as_str().unwrap_or("").to_string();
    let (Some(have), Some(want)) = (rank(&found), rank(state)) else {
        return Err(BundleError::Invalid(format!(
            "{}: state '{found}' cannot be brought to '{state}'",
            bundle.dir.display()
        )));
    };
    if have < want {
        return Err(BundleError::Invalid(format!(
            "{}: the bundle is {found} but its draw is {state}; the bundle's files are missing",
            bundle.dir.display()
        )));
    }
    // Files of later states: leftovers when the manifest is at `state` already.
    let later: &[&str] = match want {
        0 => &["plan", "entropy.json", "secret.txt"],
        1 => &["secret.txt"],
        _ => &[],
    };
    for rel in later {
        remove_any(&bundle.path(rel))?;
    }
    if have == want {
        return Ok(false);
    }
    let scratch = Staging::new(bundle, lock)?;
    replace_manifest(bundle, &scratch.bundle, state, serde_json::json!({}))?;
    std::fs::remove_dir(&scratch.bundle.dir).map_err(|e| io(&scratch.bundle.dir, e))?;
    Ok(true)
}

/// Removes a leftover staging directory (under the lock).
pub fn clean(bundle: &Bundle, _lock: &Lock) -> Result<(), BundleError> {
    remove_any(&Private::of(bundle).staging_path())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_is_0600_in_a_0700_directory() {
        let dir = tempfile::tempdir().unwrap();
        let b = Bundle::new(dir.path().join("q1"));
        let path = keep_secret(&b, &[7; 32]).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.path().join(DIR)), 0o700);
        remove_secret(&b).unwrap();
        assert!(!path.exists());
    }

    #[test]
    fn refuses_a_private_directory_others_may_read() {
        let dir = tempfile::tempdir().unwrap();
        let private = dir.path().join(DIR);
        std::fs::create_dir(&private).unwrap();
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o755)).unwrap();
        let err = keep_secret(&Bundle::new(dir.path().join("q1")), &[1; 32]).unwrap_err();
        assert!(err.to_string().contains("must be 0700"), "{err}");
    }

    #[test]
    fn a_second_lock_on_one_bundle_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let b = Bundle::new(dir.path().join("q1"));
        let first = lock(&b).unwrap();
        assert!(matches!(lock(&b), Err(LockError::Busy(_))));
        drop(first);
        assert!(lock(&b).is_ok());
    }
}
