//! The bundle as the verifier sees it: files by relative path, as bytes (`docs/verifiers.md`,
//! "The Rust library"). Where the bytes come from — a directory, memory, an archive, HTTP — is
//! the caller's business; the verifier never opens anything itself.

use crate::difference::Difference;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;

/// A file that could not be read. Its text is `NAME: MESSAGE`, `NAME` as [`BundleFiles::name`]
/// gives it (a directory names the whole path, as `dualdraw verify` always has).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileError {
    /// The file's relative path in the bundle (empty when the listing itself failed).
    pub path: String,
    /// How the source names the file in messages.
    pub name: String,
    /// What went wrong.
    pub message: String,
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.name, self.message)
    }
}

impl std::error::Error for FileError {}

/// The files of one bundle. Paths are relative, with `/` separators (`inputs/population.csv`).
///
/// The verifier reads some files on two threads at once (a population of millions of rows is
/// hashed on one core and parsed on the other), hence `Sync`.
pub trait BundleFiles: Sync {
    /// Every file of the bundle, `manifest.json` included, sorted by path.
    fn paths(&self) -> Result<Vec<String>, FileError>;

    /// The bytes of one file, to be read from the start to the end once.
    fn open(&self, path: &str) -> Result<Box<dyn Read + Send + '_>, FileError>;

    /// How messages name the file (the default: its relative path).
    fn name(&self, path: &str) -> String {
        path.to_string()
    }
}

/// A bundle in memory: relative path → bytes.
impl BundleFiles for BTreeMap<String, Vec<u8>> {
    fn paths(&self) -> Result<Vec<String>, FileError> {
        Ok(self.keys().cloned().collect())
    }

    fn open(&self, path: &str) -> Result<Box<dyn Read + Send + '_>, FileError> {
        match self.get(path) {
            Some(bytes) => Ok(Box::new(bytes.as_slice())),
            None => Err(FileError {
                path: path.to_string(),
                name: path.to_string(),
                message: "no such file in the bundle".into(),
            }),
        }
    }
}

/// A bundle in memory with text files: relative path → text.
impl BundleFiles for BTreeMap<String, String> {
    fn paths(&self) -> Result<Vec<String>, FileError> {
        Ok(self.keys().cloned().collect())
    }

    fn open(&self, path: &str) -> Result<Box<dyn Read + Send + '_>, FileError> {
        match self.get(path) {
            Some(text) => Ok(Box::new(text.as_bytes())),
            None => Err(FileError {
                path: path.to_string(),
                name: path.to_string(),
                message: "no such file in the bundle".into(),
            }),
        }
    }
}

/// Blocks of this size are handed on as they are read (a file is never held whole).
pub const BLOCK: usize = 1 << 20;

/// Reads a file in blocks, handing each to `block`.
pub fn read_blocks(
    files: &(impl BundleFiles + ?Sized),
    path: &str,
    mut block: impl FnMut(&[u8]),
) -> Result<(), FileError> {
    let mut r = files.open(path)?;
    let mut buf = vec![0u8; BLOCK];
    loop {
        match r.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => block(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(read_error(files, path, e)),
        }
    }
}

fn read_error(files: &(impl BundleFiles + ?Sized), path: &str, e: std::io::Error) -> FileError {
    FileError {
        path: path.to_string(),
        name: files.name(path),
        message: e.to_string(),
    }
}

/// A whole text file (UTF-8).
pub fn read_text(files: &(impl BundleFiles + ?Sized), path: &str) -> Result<String, FileError> {
    let mut text = String::new();
    files
        .open(path)?
        .read_to_string(&mut text)
        .map_err(|e| read_error(files, path, e))?;
    Ok(text)
}

/// A whole JSON file.
pub fn read_json(files: &(impl BundleFiles + ?Sized), path: &str) -> Result<Value, Difference> {
    let text = read_text(files, path)?;
    serde_json::from_str(&text)
        .map_err(|e| Difference::in_file(path, format!("not valid JSON: {e}")))
}

/// The SHA-256 of a file, read in blocks.
pub fn sha256(files: &(impl BundleFiles + ?Sized), path: &str) -> Result<[u8; 32], FileError> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    read_blocks(files, path, |b| h.update(b))?;
    Ok(h.finalize().into())
}

/// The SHA-256 (hex) of every file except `manifest.json` and `skip`, by relative path.
pub fn digests_except(
    files: &(impl BundleFiles + ?Sized),
    skip: &str,
) -> Result<BTreeMap<String, String>, FileError> {
    files
        .paths()?
        .into_iter()
        .filter(|p| p != "manifest.json" && p != skip)
        .map(|p| {
            let digest = hex::encode(sha256(files, &p)?);
            Ok((p, digest))
        })
        .collect()
}
