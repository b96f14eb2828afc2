//! A bundle on disk: a directory of plain files (`docs/draw-protocol.md`, "Bundle"), with
//! `manifest.json` naming the method, the state and the SHA-256 of every other file.
//!
//! JSON is written with sorted keys, no spaces, and a final LF; CSV as the solver writes it.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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

/// Canonical JSON text: sorted keys (serde_json's map is ordered), compact, final LF.
pub fn json_text(v: &Value) -> String {
    format!(
        "{}\n",
        serde_json::to_string(v).expect("JSON values serialize")
    )
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A bundle directory.
pub struct Bundle {
    pub dir: PathBuf,
}

impl Bundle {
    pub fn new(dir: impl Into<PathBuf>) -> Bundle {
        Bundle { dir: dir.into() }
    }

    /// Where the operator secret is kept until the reveal: beside the bundle, never inside it.
    pub fn secret_path(&self) -> PathBuf {
        let mut p = self.dir.clone().into_os_string();
        p.push(".secret");
        PathBuf::from(p)
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) -> Result<(), BundleError> {
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

    /// Every file of the bundle except the manifest, by relative path with `/` separators.
    pub fn files(&self) -> Result<BTreeMap<String, Vec<u8>>, BundleError> {
        let mut out = BTreeMap::new();
        collect(&self.dir, &self.dir, &mut out)?;
        out.remove("manifest.json");
        Ok(out)
    }

    /// Rewrites `manifest.json` for the current files.
    pub fn write_manifest(&self, state: &str, extra: Value) -> Result<(), BundleError> {
        let files: BTreeMap<String, String> = self
            .files()?
            .iter()
            .map(|(k, v)| (k.clone(), sha256_hex(v)))
            .collect();
        let commitment = files.get("commitment.json").cloned().unwrap_or_default();
        let method = self
            .read_json("commitment.json")
            .ok()
            .and_then(|c| c["method"].as_str().map(String::from))
            .unwrap_or_else(|| dualdraw_solver::dr1::METHOD.to_string());
        let mut m = json!({
            "method": method,
            "state": state,
            "commitment_sha256": commitment,
            "files": files,
        });
        if let (Value::Object(m), Value::Object(extra)) = (&mut m, extra) {
            m.extend(extra);
        }
        self.write("manifest.json", &json_text(&m))
    }
}

fn collect(
    root: &Path,
    dir: &Path,
    out: &mut BTreeMap<String, Vec<u8>>,
) -> Result<(), BundleError> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| io(dir, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| io(dir, e))?;
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
            out.insert(rel, std::fs::read(&p).map_err(|e| io(&p, e))?);
        }
    }
    Ok(())
}
