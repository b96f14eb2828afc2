//! The file adapter: a bundle that is a directory on disk (`docs/verifiers.md`, "The Rust
//! library"). The only module of the crate that touches the file system.

use crate::files::{BundleFiles, FileError};
use std::io::Read;
use std::path::{Path, PathBuf};

/// A bundle directory. Messages name its files by their whole path, as `dualdraw verify` does.
#[derive(Clone, Debug)]
pub struct Directory {
    pub dir: PathBuf,
}

impl Directory {
    pub fn new(dir: impl Into<PathBuf>) -> Directory {
        Directory { dir: dir.into() }
    }

    /// Where a file of the bundle is.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }
}

fn io(rel: &str, path: &Path, e: std::io::Error) -> FileError {
    FileError {
        path: rel.to_string(),
        name: path.display().to_string(),
        message: e.to_string(),
    }
}

impl BundleFiles for Directory {
    fn paths(&self) -> Result<Vec<String>, FileError> {
        let mut out = Vec::new();
        collect(&self.dir, &self.dir, &mut out)?;
        out.sort_unstable();
        Ok(out)
    }

    fn open(&self, rel: &str) -> Result<Box<dyn Read + Send + '_>, FileError> {
        let p = self.path(rel);
        let f = std::fs::File::open(&p).map_err(|e| io(rel, &p, e))?;
        Ok(Box::new(f))
    }

    fn name(&self, rel: &str) -> String {
        self.path(rel).display().to_string()
    }
}

/// Every file under `dir`, by relative path with `/` separators.
fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), FileError> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| io("", dir, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| io("", dir, e))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let p = entry.path();
        if p.is_dir() {
            collect(root, &p, out)?;
        } else {
            let rel = p.strip_prefix(root).expect("inside root");
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.push(rel);
        }
    }
    Ok(())
}
