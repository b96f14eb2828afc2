//! A bundle on disk: a directory of plain files (`docs/draw-protocol.md`, "Bundle"), with
//! `manifest.json` naming the method, the state and the SHA-256 of every other file.
//!
//! JSON is written with sorted keys, no spaces, and a final LF; CSV as the solver writes it.
//! Verification reads a bundle through `dualdraw_verify::BundleFiles`, which [`Bundle`]
//! implements with the progress bars of large files (`docs/verifiers.md`, "The Rust library").

pub use dualdraw_verify::canonical::{json_text, sha256_hex};
use dualdraw_verify::{BundleFiles, Directory, FileError};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A problem with a bundle on disk.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("{0}")]
    Invalid(String),
}

pub fn io(path: &Path, e: impl std::fmt::Display) -> BundleError {
    BundleError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// A bundle directory.
#[derive(Clone, Debug)]
pub struct Bundle {
    pub dir: PathBuf,
    /// The SHA-256 of files this process has hashed, with their [`Stamp`] then: one step
    /// writes `manifest.json` up to four times, and each time the population file — most of a
    /// bundle's bytes — would be read and hashed again. A file written through
    /// [`Bundle::write`] or [`Bundle::create`], or changed on disk since, is hashed anew.
    known: Arc<Mutex<BTreeMap<String, Known>>>,
}

#[derive(Clone, Debug, PartialEq)]
struct Known {
    stamp: Stamp,
    sha256: [u8; 32],
}

/// What changes when a file's content may have: its length and modification time, and on Unix
/// its inode and status-change time (a file renamed over it, or written in the same clock tick,
/// changes these too).
#[derive(Clone, Debug, PartialEq)]
struct Stamp {
    len: u64,
    modified: std::time::SystemTime,
    inode: u64,
    changed: (i64, i64),
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> std::io::Result<Stamp> {
        #[cfg(unix)]
        let (inode, changed) = {
            use std::os::unix::fs::MetadataExt;
            (meta.ino(), (meta.ctime(), meta.ctime_nsec()))
        };
        #[cfg(not(unix))]
        let (inode, changed) = (0, (0, 0));
        Ok(Stamp {
            len: meta.len(),
            modified: meta.modified()?,
            inode,
            changed,
        })
    }
}

impl Bundle {
    pub fn new(dir: impl Into<PathBuf>) -> Bundle {
        Bundle {
            dir: dir.into(),
            known: Arc::default(),
        }
    }

    fn forget(&self, rel: &str) {
        self.known
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(rel);
    }

    /// The SHA-256 of the file `rel`, from [`Bundle::known`] when it has not changed.
    fn sha256(&self, rel: &str) -> Result<[u8; 32], BundleError> {
        let p = self.path(rel);
        let stamp = std::fs::metadata(&p)
            .and_then(|m| Stamp::of(&m))
            .map_err(|e| io(&p, e))?;
        let lock = || self.known.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(k) = lock().get(rel).filter(|k| k.stamp == stamp) {
            return Ok(k.sha256);
        }
        // Hashed without the lock: the population file takes seconds, and a clone of this
        // bundle on another thread need not wait for it to look up another file.
        let sha256 = file_sha256(&p)?;
        lock().insert(rel.to_string(), Known { stamp, sha256 });
        Ok(sha256)
    }

    /// Where the operator secret is kept until the reveal: in the private directory beside the
    /// bundle, never inside it (`super::private`).
    pub fn secret_path(&self) -> PathBuf {
        super::private::Private::of(self).secret_path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) -> Result<(), BundleError> {
        self.forget(rel);
        let p = self.path(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        std::fs::write(&p, text).map_err(|e| io(&p, e))
    }

    pub fn read(&self, rel: &str) -> Result<String, BundleError> {
        let p = self.path(rel);
        std::fs::read_to_string(&p).map_err(|e| io(&p, e))
    }

    pub fn read_json(&self, rel: &str) -> Result<Value, BundleError> {
        let text = self.read(rel)?;
        serde_json::from_str(&text)
            .map_err(|e| BundleError::Invalid(format!("{rel}: not valid JSON: {e}")))
    }

    /// The SHA-256 (hex) of every file of the bundle except the manifest, by relative path
    /// with `/` separators. Files are read in blocks, never whole.
    pub fn digests(&self) -> Result<BTreeMap<String, String>, BundleError> {
        self.digests_except("manifest.json")
    }

    /// [`Bundle::digests`] without the file `skip` (hashed elsewhere).
    pub fn digests_except(&self, skip: &str) -> Result<BTreeMap<String, String>, BundleError> {
        let paths = Directory::new(&self.dir)
            .paths()
            .map_err(|e| BundleError::Io {
                path: e.name,
                message: e.message,
            })?;
        paths
            .into_iter()
            .filter(|rel| rel != "manifest.json" && rel != skip)
            .map(|rel| {
                let digest = hex::encode(self.sha256(&rel)?);
                Ok((rel, digest))
            })
            .collect()
    }

    /// Creates a file for writing in blocks (its directory too).
    pub fn create(&self, rel: &str) -> Result<std::io::BufWriter<std::fs::File>, BundleError> {
        self.forget(rel);
        let p = self.path(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        let f = std::fs::File::create(&p).map_err(|e| io(&p, e))?;
        Ok(std::io::BufWriter::with_capacity(1 << 20, f))
    }

    /// Reads a file in blocks, handing each to `block`.
    pub fn read_blocks(&self, rel: &str, block: impl FnMut(&[u8])) -> Result<(), BundleError> {
        read_blocks(&self.path(rel), block)
    }

    /// Rewrites `manifest.json` for the current files.
    pub fn write_manifest(&self, state: &str, extra: Value) -> Result<(), BundleError> {
        let text = self.manifest_text(state, extra)?;
        self.write("manifest.json", &text)
    }

    /// The text of `manifest.json` for the current files and `state`.
    pub fn manifest_text(&self, state: &str, extra: Value) -> Result<String, BundleError> {
        let files = self.digests()?;
        let commitment = files.get("commitment.json").cloned().unwrap_or_default();
        let method = self
            .read_json("commitment.json")
            .ok()
            .and_then(|c| c["method"].as_str().map(String::from))
            .unwrap_or_else(|| dualdraw_solver::Method::Dr1.id().to_string());
        let mut m = json!({
            "method": method,
            "state": state,
            "commitment_sha256": commitment,
            "files": files,
        });
        if let (Value::Object(m), Value::Object(extra)) = (&mut m, extra) {
            m.extend(extra);
        }
        Ok(json_text(&m))
    }
}

/// Reads a file in blocks of 1 MiB.
pub fn read_blocks(path: &Path, mut block: impl FnMut(&[u8])) -> Result<(), BundleError> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| io(path, e))?;
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = reading_bar(path, size);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match f.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                block(&buf[..n]);
                if let Some(bar) = &bar {
                    bar.inc(n as u64);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io(path, e)),
        }
    }
}

/// The SHA-256 of a file, read in blocks.
pub fn file_sha256(path: &Path) -> Result<[u8; 32], BundleError> {
    let mut h = Sha256::new();
    read_blocks(path, |b| h.update(b))?;
    Ok(h.finalize().into())
}

/// The progress bar of a file being read, when it is large enough to want one.
fn reading_bar(path: &Path, size: u64) -> Option<crate::progress::Bar> {
    (size >= crate::progress::FILE_BAR_BYTES).then(|| {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        crate::progress::global().bytes(&format!("reading {name}"), size)
    })
}

/// Verification reads the bundle's files from disk, with a bar for each large one.
impl BundleFiles for Bundle {
    fn paths(&self) -> Result<Vec<String>, FileError> {
        Directory::new(&self.dir).paths()
    }

    fn open(&self, rel: &str) -> Result<Box<dyn std::io::Read + Send + '_>, FileError> {
        let p = self.path(rel);
        let file = std::fs::File::open(&p).map_err(|e| FileError {
            path: rel.to_string(),
            name: p.display().to_string(),
            message: e.to_string(),
        })?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        Ok(match reading_bar(&p, size) {
            Some(bar) => Box::new(Counted { file, bar }),
            None => Box::new(file),
        })
    }

    fn name(&self, rel: &str) -> String {
        self.path(rel).display().to_string()
    }
}

/// A file read with its progress bar advancing.
struct Counted {
    file: std::fs::File,
    bar: crate::progress::Bar,
}

impl std::io::Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_changed_since_it_was_hashed_is_hashed_again() {
        let dir = tempfile::tempdir().unwrap();
        let b = Bundle::new(dir.path());
        let digest = |b: &Bundle| b.digests().unwrap()["a.csv"].clone();
        b.write("a.csv", "one\n").unwrap();
        assert_eq!(digest(&b), sha256_hex(b"one\n"));
        assert_eq!(digest(&b), sha256_hex(b"one\n"), "unchanged: from memory");
        b.write("a.csv", "two\n").unwrap();
        assert_eq!(
            digest(&b),
            sha256_hex(b"two\n"),
            "written through the bundle"
        );
        // Same length, at once, behind the bundle's back.
        std::fs::write(b.path("a.csv"), "six\n").unwrap();
        assert_eq!(digest(&b), sha256_hex(b"six\n"), "written directly");
        std::fs::write(dir.path().join("new"), "ten\n").unwrap();
        std::fs::rename(dir.path().join("new"), b.path("a.csv")).unwrap();
        assert_eq!(digest(&b), sha256_hex(b"ten\n"), "renamed over it");
        let other = Bundle::new(dir.path());
        assert_eq!(digest(&other), sha256_hex(b"ten\n"));
    }
}
