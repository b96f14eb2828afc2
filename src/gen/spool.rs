//! Credit records in the order of `credit-records.csv`, (department, document number), while
//! they are generated in the order of enterprises — with memory bounded by one spool.
//!
//! Records go to one spool file per document-number head (department, kind word, year:
//! `深市监罚〔2025〕`). No head is a prefix of another (each ends at its only `〕`), and numbers
//! under one head have one width, so visiting the heads in order and each head's records by
//! number is the sorted order of the file. Numbers are handed out in order of decision date with
//! small random gaps, as a registry hands them out in the course of a year.

use super::credit::Draft;
use super::departments::DepartmentSpec;
use super::rng::{Rng, Stream};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter};
use std::path::{Path, PathBuf};

/// One row of `credit-records.csv` without its document number.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RecordRow {
    pub uscc: String,
    pub kind: String,
    pub department: String,
    pub decided_on: NaiveDate,
    pub publicity_min_until: Option<NaiveDate>,
    pub publicity_max_until: Option<NaiveDate>,
    pub early_end_allowed: bool,
    pub status: String,
    pub ended_on: Option<NaiveDate>,
    pub summary: String,
}

impl RecordRow {
    /// The fields of the output file, with `document_no` in its place.
    pub fn fields(&self, document_no: &str) -> [String; 11] {
        let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        [
            self.uscc.clone(),
            self.kind.clone(),
            self.department.clone(),
            document_no.to_string(),
            self.decided_on.to_string(),
            date(self.publicity_min_until),
            date(self.publicity_max_until),
            self.early_end_allowed.to_string(),
            self.status.clone(),
            date(self.ended_on),
            self.summary.clone(),
        ]
    }
}

/// The header of `credit-records.csv`.
pub const HEADER: [&str; 11] = [
    "uscc",
    "kind",
    "department",
    "document_no",
    "decided_on",
    "publicity_min_until",
    "publicity_max_until",
    "early_end_allowed",
    "status",
    "ended_on",
    "summary",
];

/// The spool files of one generation run, under a hidden folder of the output directory.
pub struct Spools {
    dir: PathBuf,
    city: &'static str,
    departments: Vec<&'static DepartmentSpec>,
    /// (department code, head) → its spool.
    files: BTreeMap<(String, String), Spool>,
}

/// One spool file and its writer.
type Spool = (PathBuf, csv::Writer<BufWriter<File>>);

impl Spools {
    /// Creates the spool folder in `out`.
    pub fn create(
        out: &Path,
        city: &'static str,
        departments: Vec<&'static DepartmentSpec>,
    ) -> io::Result<Spools> {
        let dir = out.join(".credit-records.spool");
        if dir.exists() {
            fs::remove_dir_all(&dir)?;
        }
        fs::create_dir_all(&dir)?;
        Ok(Spools {
            dir,
            city,
            departments,
            files: BTreeMap::new(),
        })
    }

    /// Adds one record.
    pub fn push(&mut self, draft: &Draft) -> io::Result<()> {
        let d = self.departments[draft.department];
        let head = format!(
            "{}{}{}〔{}〕",
            self.city,
            d.abbreviation,
            super::credit::document_word(draft.kind),
            draft.decided_on.year()
        );
        let key = (d.code.to_string(), head);
        if !self.files.contains_key(&key) {
            let path = self.dir.join(format!("{}.csv", self.files.len()));
            let writer = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(BufWriter::new(File::create(&path)?));
            self.files.insert(key.clone(), (path, writer));
        }
        let (_, writer) = self.files.get_mut(&key).expect("inserted above");
        writer.serialize(RecordRow {
            uscc: draft.uscc.to_string(),
            kind: draft.kind.as_str().to_string(),
            department: d.code.to_string(),
            decided_on: draft.decided_on,
            publicity_min_until: draft.window.map(|w| w.0),
            publicity_max_until: draft.window.map(|w| w.1),
            early_end_allowed: draft.early_end_allowed,
            status: draft.status.as_str().to_string(),
            ended_on: draft.ended_on,
            summary: draft.summary.clone(),
        })?;
        Ok(())
    }

    /// Flushes every spool; call once, after the last record.
    pub fn flush(&mut self) -> io::Result<()> {
        for (_, writer) in self.files.values_mut() {
            writer.flush()?;
        }
        Ok(())
    }

    /// Calls `visit` with every record and its document number, in the order of the output
    /// file. Numbers depend only on `seed`, so every visit sees the same ones.
    pub fn visit(
        &self,
        seed: u64,
        mut visit: impl FnMut(&RecordRow, &str) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut rng = Rng::new(seed, Stream::Numbering);
        for ((_, head), (path, _)) in &self.files {
            let mut rows = read_spool(path)?;
            rows.sort_by_key(|r| r.decided_on);
            let mut offsets = Vec::with_capacity(rows.len());
            let mut offset = rng.between(1, 30);
            for _ in &rows {
                offsets.push(offset);
                offset += rng.between(1, 4);
            }
            let last = *offsets.last().expect("a spool has a record");
            let mut base = 100;
            while last >= 9 * base {
                base *= 10;
            }
            for (row, offset) in rows.iter().zip(offsets) {
                visit(row, &format!("{head}{}号", base + offset))?;
            }
        }
        Ok(())
    }

    /// Removes the spool folder.
    pub fn remove(self) -> io::Result<()> {
        drop(self.files);
        fs::remove_dir_all(&self.dir)
    }
}

fn read_spool(path: &Path) -> io::Result<Vec<RecordRow>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(BufReader::new(File::open(path)?));
    reader
        .deserialize()
        .map(|r| r.map_err(io::Error::other))
        .collect()
}
