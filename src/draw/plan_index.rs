//! The plan index of a revealed draw (`docs/portal.md`, "The plan index"): for every row of the
//! bundle's `plan/selections.csv` and `plan/passed-over.csv`, the row's USCC, which file and
//! where in it the row is, sorted by USCC, in fixed-width records — so that the fairness check
//! of one enterprise (`super::proof`) finds its rows by a binary search of O(log n) reads
//! instead of reading both files.
//!
//! The index holds positions only: every row the proof uses is read from the bundle file itself
//! and its USCC checked against the one searched, so what the proof says can never differ from
//! the published files. The file is written at the reveal (`super::steps::reveal`), beside the
//! bundle in its private directory (`PARENT/.dualdraw/NAME.plan-index`, never served, never part
//! of the bundle's digests), by a rename, so it is there whole or not at all. It names the
//! SHA-256 of the two files it indexes; an index of other files (or none: a bundle revealed
//! before the index existed) is not used, and the proof reads the files as before.
//!
//! Format (all integers big-endian):
//!
//! | bytes | what |
//! |---|---|
//! | 8 | `DDPLANIX` |
//! | 4 | format version, 1 |
//! | 4 | record size, 32 |
//! | 8 | record count n |
//! | 32 | SHA-256 of `plan/selections.csv` |
//! | 32 | SHA-256 of `plan/passed-over.csv` |
//! | 32 × n | records, sorted by (USCC, file, offset) |
//!
//! A record: the USCC (18 bytes, ASCII), the file (`s` selections, `p` passed over), a zero byte,
//! the row's byte offset in its file (8 bytes) and its length without the LF (4 bytes).

use super::bundle::{io, Bundle, BundleError};
use super::private::Private;
use dualdraw_solver::plan::files::PLAN_FILES;
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

const MAGIC: &[u8; 8] = b"DDPLANIX";
const VERSION: u32 = 1;
const RECORD: usize = 32;
const HEADER: usize = 8 + 4 + 4 + 8 + 32 + 32;
const USCC_LEN: usize = 18;

/// The two plan files the index covers: (tag, path in the bundle, file name in `PLAN_FILES`).
const FILES: [(u8, &str, &str); 2] = [
    (b's', "plan/selections.csv", "selections.csv"),
    (b'p', "plan/passed-over.csv", "passed-over.csv"),
];

/// Which plan file a row is from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanFile {
    Selections,
    PassedOver,
}

impl PlanFile {
    fn of_tag(tag: u8) -> Option<PlanFile> {
        match tag {
            b's' => Some(PlanFile::Selections),
            b'p' => Some(PlanFile::PassedOver),
            _ => None,
        }
    }

    fn rel(self) -> &'static str {
        match self {
            PlanFile::Selections => FILES[0].1,
            PlanFile::PassedOver => FILES[1].1,
        }
    }

    /// The solver's header of the file (`plan::files::PLAN_FILES`).
    pub fn header(self) -> &'static [&'static str] {
        let name = match self {
            PlanFile::Selections => FILES[0].2,
            PlanFile::PassedOver => FILES[1].2,
        };
        PLAN_FILES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, h)| *h)
            .expect("a dr1 plan file")
    }
}

/// Where the index of `bundle` is kept.
pub fn path(bundle: &Bundle) -> PathBuf {
    let private = Private::of(bundle);
    let name = bundle
        .dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bundle".into());
    private.dir.join(format!("{name}.plan-index"))
}

fn invalid(what: String) -> BundleError {
    BundleError::Invalid(what)
}

/// Writes the index of `bundle`'s plan files (replacing any), by a rename.
pub fn write(bundle: &Bundle) -> Result<(), BundleError> {
    let mut records: Vec<[u8; RECORD]> = Vec::new();
    let mut digests = Vec::new();
    for (tag, rel, _) in FILES {
        let file = PlanFile::of_tag(tag).expect("a known tag");
        let p = bundle.path(rel);
        let bytes = std::fs::read(&p).map_err(|e| io(&p, e))?;
        digests.push(sha256(&bytes));
        index_rows(rel, file.header(), tag, &bytes, &mut records)?;
    }
    records.sort_unstable();
    Private::of(bundle).ensure()?;
    let target = path(bundle);
    let temporary = target.with_extension("plan-index.tmp");
    let mut out = std::io::BufWriter::new(File::create(&temporary).map_err(|e| io(&temporary, e))?);
    let mut header = Vec::with_capacity(HEADER);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&VERSION.to_be_bytes());
    header.extend_from_slice(&(RECORD as u32).to_be_bytes());
    header.extend_from_slice(&(records.len() as u64).to_be_bytes());
    for d in &digests {
        header.extend_from_slice(d);
    }
    let written = out
        .write_all(&header)
        .and_then(|_| records.iter().try_for_each(|r| out.write_all(r)))
        .and_then(|_| out.flush())
        .and_then(|_| out.get_ref().sync_all());
    written.map_err(|e| io(&temporary, e))?;
    drop(out);
    std::fs::rename(&temporary, &target).map_err(|e| io(&target, e))
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).into()
}

/// Adds a record for every data row of one plan file; a header that is not the solver's, a row
/// of the wrong width or a USCC that is not 18 characters is an error naming the line.
fn index_rows(
    rel: &str,
    header: &[&str],
    tag: u8,
    bytes: &[u8],
    records: &mut Vec<[u8; RECORD]>,
) -> Result<(), BundleError> {
    let uscc_column = header
        .iter()
        .position(|c| *c == "uscc")
        .expect("a uscc column");
    let mut offset = 0usize;
    for (i, line) in bytes.split_inclusive(|b| *b == b'\n').enumerate() {
        let start = offset;
        offset += line.len();
        let row = line.strip_suffix(b"\n").unwrap_or(line);
        let line_no = i + 1;
        if i == 0 {
            if row != header.join(",").as_bytes() {
                return Err(invalid(format!(
                    "{rel}:1: the header must be {}",
                    header.join(",")
                )));
            }
            continue;
        }
        let fields: Vec<&[u8]> = row.split(|b| *b == b',').collect();
        if fields.len() != header.len() {
            return Err(invalid(format!(
                "{rel}:{line_no}: the row has {} fields, the header has {}",
                fields.len(),
                header.len()
            )));
        }
        let uscc = fields[uscc_column];
        if uscc.len() != USCC_LEN || !uscc.iter().all(u8::is_ascii_alphanumeric) {
            return Err(invalid(format!(
                "{rel}:{line_no}: uscc: '{}' is not an 18-character code",
                String::from_utf8_lossy(uscc)
            )));
        }
        let length = u32::try_from(row.len())
            .map_err(|_| invalid(format!("{rel}:{line_no}: the row is too long")))?;
        let mut r = [0u8; RECORD];
        r[..USCC_LEN].copy_from_slice(uscc);
        r[USCC_LEN] = tag;
        r[20..28].copy_from_slice(&(start as u64).to_be_bytes());
        r[28..32].copy_from_slice(&length.to_be_bytes());
        records.push(r);
    }
    Ok(())
}

/// An opened index that matches its bundle's plan files.
pub struct PlanIndex {
    bundle: Bundle,
    file: File,
    count: u64,
}

impl PlanIndex {
    /// The index of `bundle` if there is one for exactly the plan files whose SHA-256 `manifest`
    /// (the bundle's `manifest.json`) records; `None` otherwise (no index, an index of other
    /// files, or one this version cannot read).
    pub fn open(
        bundle: &Bundle,
        manifest: &serde_json::Value,
    ) -> Result<Option<PlanIndex>, BundleError> {
        let p = path(bundle);
        let file = match File::open(&p) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(&p, e)),
        };
        let mut header = [0u8; HEADER];
        if file.read_exact_at(&mut header, 0).is_err() {
            return Ok(None);
        }
        let count = u64::from_be_bytes(header[16..24].try_into().expect("8 bytes"));
        let size = file.metadata().map_err(|e| io(&p, e))?.len();
        let fits = &header[..8] == MAGIC
            && header[8..12] == VERSION.to_be_bytes()
            && header[12..16] == (RECORD as u32).to_be_bytes()
            && size == HEADER as u64 + count * RECORD as u64;
        if !fits {
            return Ok(None);
        }
        for (k, (_, rel, _)) in FILES.iter().enumerate() {
            let recorded = manifest["files"][*rel].as_str().unwrap_or("");
            let indexed = hex::encode(&header[24 + 32 * k..56 + 32 * k]);
            if recorded != indexed {
                return Ok(None);
            }
        }
        Ok(Some(PlanIndex {
            bundle: bundle.clone(),
            file,
            count,
        }))
    }

    fn record(&self, i: u64) -> Result<[u8; RECORD], BundleError> {
        let mut r = [0u8; RECORD];
        self.file
            .read_exact_at(&mut r, HEADER as u64 + i * RECORD as u64)
            .map_err(|e| io(&path(&self.bundle), e))?;
        Ok(r)
    }

    /// The rows of `uscc` in both files, each read from its file, in (file, offset) order.
    pub fn rows_of(&self, uscc: &str) -> Result<Vec<(PlanFile, String)>, BundleError> {
        let key = uscc.as_bytes();
        if key.len() != USCC_LEN {
            return Ok(Vec::new());
        }
        // The first record whose USCC is not below `key`.
        let (mut lo, mut hi) = (0, self.count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if &self.record(mid)?[..USCC_LEN] < key {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let mut out = Vec::new();
        let mut opened: [Option<File>; 2] = [None, None];
        for i in lo..self.count {
            let r = self.record(i)?;
            if &r[..USCC_LEN] != key {
                break;
            }
            let stale = || {
                invalid(format!(
                    "{}: does not match the bundle's plan files",
                    path(&self.bundle).display()
                ))
            };
            let which = PlanFile::of_tag(r[USCC_LEN]).ok_or_else(stale)?;
            let offset = u64::from_be_bytes(r[20..28].try_into().expect("8 bytes"));
            let length = u32::from_be_bytes(r[28..32].try_into().expect("4 bytes")) as usize;
            let slot = &mut opened[which as usize];
            if slot.is_none() {
                let p = self.bundle.path(which.rel());
                *slot = Some(File::open(&p).map_err(|e| io(&p, e))?);
            }
            let mut bytes = vec![0u8; length];
            let f = slot.as_ref().expect("opened");
            f.read_exact_at(&mut bytes, offset)
                .map_err(|e| io(&self.bundle.path(which.rel()), e))?;
            let row = String::from_utf8(bytes).map_err(|_| stale())?;
            let column = which.header().iter().position(|c| *c == "uscc");
            if column.and_then(|c| row.split(',').nth(c)) != Some(uscc) {
                return Err(stale());
            }
            out.push((which, row));
        }
        Ok(out)
    }
}

/// Writes the index of a revealed bundle unless one for its plan files is there; true if it
/// wrote one.
pub fn ensure(bundle: &Bundle) -> Result<bool, BundleError> {
    let manifest = bundle.read_json("manifest.json")?;
    if manifest["state"] != "revealed" || PlanIndex::open(bundle, &manifest)?.is_some() {
        return Ok(false);
    }
    write(bundle)?;
    Ok(true)
}
