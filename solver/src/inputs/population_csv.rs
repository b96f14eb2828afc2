//! `population.csv` in one pass (`docs/draw-protocol.md` §2, §3): the file is the one input that
//! grows with the jurisdiction, so it is never held as text. [`PopulationReader`] takes the
//! bytes in chunks as they are read and at the end has the parsed population, the SHA-256 of
//! the bytes, the RFC 6962 root of the data lines and whether the file is in canonical form
//! (each row re-serialized gives back its line). [`write_population`] produces the canonical
//! lines, and [`Digester`] their digests, for a file being written.

use crate::inputs::population::Population;
use crate::inputs::text::set_row;
use crate::inputs::{InputError, POPULATION_HEADER};
use crate::merkle::RootBuilder;
use crate::{Tier, Uscc};
use sha2::{Digest, Sha256};

const FILE: &str = "population.csv";

/// What the SHA-256 of the file and its Merkle tree say about a population file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileDigest {
    pub sha256: [u8; 32],
    /// Number of data lines (Merkle leaves).
    pub size: u64,
    pub root: [u8; 32],
}

/// The digests of a population file being written one line at a time (lines without LF,
/// the header first).
pub struct Digester {
    sha: Sha256,
    merkle: RootBuilder,
    lines: u64,
}

impl Default for Digester {
    fn default() -> Self {
        Digester::new()
    }
}

impl Digester {
    pub fn new() -> Digester {
        Digester {
            sha: Sha256::new(),
            merkle: RootBuilder::new(),
            lines: 0,
        }
    }

    /// One line, without its LF.
    pub fn line(&mut self, line: &[u8]) {
        self.sha.update(line);
        self.sha.update(b"\n");
        if self.lines > 0 {
            self.merkle.push(line);
        }
        self.lines += 1;
    }

    pub fn finish(self) -> FileDigest {
        let (size, root) = self.merkle.finish();
        FileDigest {
            sha256: self.sha.finalize().into(),
            size,
            root,
        }
    }
}

/// The canonical lines of `population.csv` (header first, without LF).
pub fn write_population(population: &Population, mut line: impl FnMut(&[u8])) {
    line(POPULATION_HEADER.join(",").as_bytes());
    let mut buf = Vec::with_capacity(64);
    for e in population {
        set_row(
            &mut buf,
            [
                e.uscc.as_bytes().as_slice(),
                population.region(e.region).as_bytes(),
                population.industry(e.industry).as_bytes(),
                e.tier.as_str().as_bytes(),
                if e.key_supervision {
                    b"true".as_slice()
                } else {
                    b"false"
                },
            ],
        );
        line(&buf);
    }
}

/// A population file read in one pass.
#[derive(Debug)]
pub struct PopulationFile {
    /// Sorted by USCC.
    pub population: Population,
    pub digest: FileDigest,
    /// Whether the bytes are exactly what [`write_population`] writes for the population.
    pub canonical: bool,
    pub errors: Vec<InputError>,
}

/// Parses `population.csv` from chunks of its bytes, in order.
pub struct PopulationReader {
    population: Population,
    /// The digests, unless only the population is wanted.
    digests: Option<(Sha256, RootBuilder)>,
    /// The start of a line whose end has not arrived yet.
    pending: Vec<u8>,
    /// Lines seen so far.
    lines: u64,
    /// Rows are parsed until the header or the CSV structure is wrong.
    parsing: bool,
    canonical: bool,
    errors: Vec<InputError>,
    row: Vec<u8>,
}

impl Default for PopulationReader {
    fn default() -> Self {
        PopulationReader::new()
    }
}

impl PopulationReader {
    /// A reader that also computes the file's digests.
    pub fn new() -> PopulationReader {
        PopulationReader {
            digests: Some((Sha256::new(), RootBuilder::new())),
            ..PopulationReader::parse_only()
        }
    }

    /// A reader of the digests alone (the population stays empty), to run beside a
    /// [`PopulationReader::parse_only`] on another core.
    pub fn digest_only() -> PopulationReader {
        PopulationReader {
            parsing: false,
            ..PopulationReader::new()
        }
    }

    /// A reader of the population alone: its [`PopulationFile::digest`] is all zeros.
    pub fn parse_only() -> PopulationReader {
        PopulationReader {
            population: Population::new(),
            digests: None,
            pending: Vec::new(),
            lines: 0,
            parsing: true,
            canonical: true,
            errors: Vec::new(),
            row: Vec::with_capacity(64),
        }
    }

    /// The next bytes of the file.
    pub fn feed(&mut self, mut chunk: &[u8]) {
        if let Some((sha, _)) = &mut self.digests {
            sha.update(chunk);
        }
        if !self.pending.is_empty() {
            let Some(p) = memchr::memchr(b'\n', chunk) else {
                self.pending.extend_from_slice(chunk);
                return;
            };
            let mut line = std::mem::take(&mut self.pending);
            line.extend_from_slice(&chunk[..p]);
            self.line(&line);
            line.clear();
            self.pending = line;
            chunk = &chunk[p + 1..];
        }
        while let Some(p) = memchr::memchr(b'\n', chunk) {
            self.line(&chunk[..p]);
            chunk = &chunk[p + 1..];
        }
        self.pending.extend_from_slice(chunk);
    }

    /// The whole file has been fed.
    pub fn finish(mut self) -> PopulationFile {
        if !self.pending.is_empty() {
            // A last line without LF: a leaf (as `str::lines` has it) but not canonical.
            let last = std::mem::take(&mut self.pending);
            self.canonical = false;
            self.line(&last);
        }
        if self.lines == 0 {
            self.header_error();
        }
        let sorted = self
            .population
            .entries()
            .windows(2)
            .all(|w| w[0].uscc < w[1].uscc);
        if !sorted {
            self.canonical = false;
            self.population.sort();
        }
        let digest = match self.digests {
            Some((sha, merkle)) => {
                let (size, root) = merkle.finish();
                FileDigest {
                    sha256: sha.finalize().into(),
                    size,
                    root,
                }
            }
            None => FileDigest {
                sha256: [0; 32],
                size: 0,
                root: [0; 32],
            },
        };
        PopulationFile {
            population: self.population,
            digest,
            canonical: self.canonical && self.errors.is_empty(),
            errors: self.errors,
        }
    }

    fn error(&mut self, line: u64, column: &str, message: String) {
        self.errors.push(InputError {
            file: FILE.into(),
            line,
            column: column.into(),
            message,
        });
    }

    fn header_error(&mut self) {
        self.error(
            1,
            "",
            format!("header must be {}", POPULATION_HEADER.join(",")),
        );
        self.parsing = false;
        self.canonical = false;
    }

    /// One line without its LF.
    fn line(&mut self, raw: &[u8]) {
        self.lines += 1;
        let line_no = self.lines;
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if line.len() != raw.len() {
            self.canonical = false;
        }
        if line_no == 1 {
            if raw != POPULATION_HEADER.join(",").as_bytes() {
                self.canonical = false;
                let fields = csv_fields(line);
                if fields.iter().map(String::as_str).ne(POPULATION_HEADER) {
                    self.header_error();
                }
            }
            return;
        }
        if let Some((_, merkle)) = &mut self.digests {
            merkle.push(line);
        }
        if !self.parsing {
            return;
        }
        if line.is_empty() {
            // A CSV reader skips blank lines.
            self.canonical = false;
            return;
        }
        let Ok(text) = std::str::from_utf8(line) else {
            self.error(line_no, "", "not valid UTF-8".into());
            return;
        };
        if memchr::memchr2(b'"', b'\r', line).is_none() {
            let mut fields = [""; 5];
            let mut n = 0;
            for f in text.split(',') {
                if n < 5 {
                    fields[n] = f;
                }
                n += 1;
            }
            if n != 5 {
                return self.width_error(line_no, n);
            }
            self.row(line_no, fields, None);
        } else {
            // Quoted fields: the CSV reader decides, and the row is canonical only if writing it
            // back gives the same bytes.
            let fields = csv_fields(line);
            if fields.len() != 5 {
                return self.width_error(line_no, fields.len());
            }
            let f: [&str; 5] = std::array::from_fn(|i| fields[i].as_str());
            self.row(line_no, f, Some(line));
        }
    }

    fn width_error(&mut self, line: u64, n: usize) {
        self.error(
            line,
            "",
            format!(
                "found a record with {n} fields, but the header has {}",
                POPULATION_HEADER.len()
            ),
        );
        self.parsing = false;
        self.canonical = false;
    }

    /// One row's fields; `quoted` is the line when it needed the CSV reader.
    fn row(&mut self, line: u64, f: [&str; 5], quoted: Option<&[u8]>) {
        match parse_row(f) {
            Ok((uscc, tier, key)) => {
                if f[3] != tier.as_str() {
                    self.canonical = false;
                }
                self.population.push(uscc, f[1], f[2], tier, key);
                if let Some(line) = quoted {
                    set_row(&mut self.row, f.iter().map(|s| s.as_bytes()));
                    if self.row != line {
                        self.canonical = false;
                    }
                }
            }
            Err((column, message)) => self.error(line, column, message),
        }
    }
}

/// The fields of one line by the CSV reader's rules.
fn csv_fields(line: &[u8]) -> Vec<String> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line);
    let mut rec = csv::StringRecord::new();
    match r.read_record(&mut rec) {
        Ok(true) => rec.iter().map(String::from).collect(),
        _ => Vec::new(),
    }
}

/// One population row; the error names its column.
fn parse_row(f: [&str; 5]) -> Result<(Uscc, Tier, bool), (&'static str, String)> {
    let uscc = Uscc::parse(f[0]).map_err(|e| ("uscc", e.to_string()))?;
    let tier = Tier::parse(f[3]).map_err(|e| ("tier", e.to_string()))?;
    let key = match f[4] {
        "true" => true,
        "false" => false,
        other => return Err(("key_supervision", format!("'{other}' is not true or false"))),
    };
    Ok((uscc, tier, key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle;

    const TEXT: &str = "uscc,region,industry,tier,key_supervision\n\
        914403001922038216,\"44,0\",C,D,true\n\
        91440300708461136T,440305,C1391,A,false\n";

    fn read(text: &[u8], chunk: usize) -> PopulationFile {
        let mut r = PopulationReader::new();
        for c in text.chunks(chunk) {
            r.feed(c);
        }
        r.finish()
    }

    #[test]
    fn reads_in_any_chunks_with_the_digests_of_the_whole_text() {
        let leaves: Vec<&str> = TEXT.lines().skip(1).collect();
        let mut b = merkle::RootBuilder::new();
        leaves.iter().for_each(|l| b.push(l.as_bytes()));
        let (size, root) = b.finish();
        for chunk in [1, 3, 7, 1000] {
            let f = read(TEXT.as_bytes(), chunk);
            assert!(f.errors.is_empty(), "{:?}", f.errors);
            assert!(f.canonical);
            assert_eq!(f.digest.sha256, crate::seed::sha256(TEXT.as_bytes()));
            assert_eq!((f.digest.size, f.digest.root), (size, root));
            assert_eq!(f.population.len(), 2);
            assert_eq!(f.population.region(f.population[0].region), "44,0");
        }
    }

    #[test]
    fn writes_back_the_same_bytes_and_digests() {
        let f = read(TEXT.as_bytes(), 5);
        let mut out = Vec::new();
        let mut d = Digester::new();
        write_population(&f.population, |l| {
            out.extend_from_slice(l);
            out.push(b'\n');
            d.line(l);
        });
        assert_eq!(out, TEXT.as_bytes());
        assert_eq!(d.finish(), f.digest);
    }

    #[test]
    fn notices_what_is_not_canonical() {
        for bad in [
            TEXT.replace("C1391", "\"C1391\""),
            TEXT.replace('\n', "\r\n"),
            TEXT.trim_end().to_string(),
            TEXT.replace(",A,", ",甲,"),
            format!("{TEXT}\n"),
        ] {
            let f = read(bad.as_bytes(), 4);
            assert!(f.errors.is_empty(), "{bad:?}: {:?}", f.errors);
            assert!(!f.canonical, "{bad:?}");
            assert_eq!(f.population.len(), 2, "{bad:?}");
        }
    }

    #[test]
    fn names_line_and_column_of_bad_rows() {
        let f = read(TEXT.replace(",A,", ",E,").as_bytes(), 8);
        assert_eq!(
            f.errors[0].to_string(),
            "population.csv:3: tier: credit tier must be one of A, B, C, D (or 甲 乙 丙 丁), got 'E'"
        );
        let f = read(TEXT.replace(",A,", ",A,x,").as_bytes(), 8);
        assert_eq!(f.errors[0].line, 3);
        let f = read(b"uscc,region\n", 8);
        assert_eq!(
            f.errors[0].to_string(),
            "population.csv:1: : header must be uscc,region,industry,tier,key_supervision"
        );
    }
}
