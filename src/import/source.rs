//! Reading CSV as users have it: UTF-8 with or without BOM, or GB18030/GBK (detected), headers
//! in English or Chinese. Values are trimmed of surrounding whitespace and nothing else.

use csv::StringRecord;
use encoding_rs_io::DecodeReaderBytesBuilder;
use std::io::{Chain, Cursor, Read};

/// One problem, located: `FILE:LINE: column: what is wrong`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub file: String,
    pub line: u64,
    pub column: String,
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.column.is_empty() {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        } else {
            write!(
                f,
                "{}:{}: {}: {}",
                self.file, self.line, self.column, self.message
            )
        }
    }
}

/// The text encoding a file was read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Gb18030,
}

const SNIFF: usize = 64 * 1024;

/// Detects the encoding from the first bytes and returns a reader of UTF-8 text.
pub fn decode(
    mut input: impl Read + Send + 'static,
) -> std::io::Result<(Encoding, Box<dyn Read + Send>)> {
    let mut head = Vec::with_capacity(SNIFF);
    (&mut input).take(SNIFF as u64).read_to_end(&mut head)?;
    let encoding = if head.starts_with(b"\xEF\xBB\xBF") {
        Encoding::Utf8Bom
    } else {
        match std::str::from_utf8(&head) {
            Ok(_) => Encoding::Utf8,
            // A multi-byte character cut at the end of the sample is still UTF-8.
            Err(e) if e.error_len().is_none() => Encoding::Utf8,
            Err(_) => Encoding::Gb18030,
        }
    };
    let whole: Chain<Cursor<Vec<u8>>, _> = Cursor::new(head).chain(input);
    let reader: Box<dyn Read + Send> = match encoding {
        Encoding::Utf8 => Box::new(whole),
        Encoding::Utf8Bom => {
            let mut r = whole;
            let mut bom = [0u8; 3];
            r.read_exact(&mut bom)?;
            Box::new(r)
        }
        Encoding::Gb18030 => Box::new(
            DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding_rs::GB18030))
                .build(whole),
        ),
    };
    Ok((encoding, reader))
}

/// A column a kind of file has: its canonical English name and the aliases accepted.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub required: bool,
}

/// How the columns of one file map onto a kind's columns.
#[derive(Debug)]
pub struct Header {
    /// For each canonical column, its index in the file and its name as written there.
    positions: Vec<Option<(usize, String)>>,
    /// Columns of the file that are not known, ignored.
    pub ignored: Vec<String>,
    pub width: usize,
}

impl Header {
    /// Maps a header row; errors name missing and repeated columns.
    pub fn map(
        file: &str,
        record: &StringRecord,
        columns: &[Column],
    ) -> Result<Header, Vec<FieldError>> {
        let mut positions: Vec<Option<(usize, String)>> = vec![None; columns.len()];
        let mut ignored = Vec::new();
        let mut errors = Vec::new();
        for (i, raw) in record.iter().enumerate() {
            let written = raw.trim().trim_start_matches('\u{feff}');
            let found = columns
                .iter()
                .position(|c| c.name == written || c.aliases.contains(&written));
            match found {
                Some(c) if positions[c].is_some() => errors.push(FieldError {
                    file: file.into(),
                    line: 1,
                    column: written.into(),
                    message: format!("column '{}' appears twice", columns[c].name),
                }),
                Some(c) => positions[c] = Some((i, written.to_string())),
                None => ignored.push(written.to_string()),
            }
        }
        for (c, column) in columns.iter().enumerate() {
            if column.required && positions[c].is_none() {
                errors.push(FieldError {
                    file: file.into(),
                    line: 1,
                    column: column.name.into(),
                    message: format!(
                        "required column is missing (accepted headers: {})",
                        std::iter::once(column.name)
                            .chain(column.aliases.iter().copied())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
        }
        if errors.is_empty() {
            Ok(Header {
                positions,
                ignored,
                width: record.len(),
            })
        } else {
            Err(errors)
        }
    }
}

/// One data row being parsed; collects its errors.
pub struct Row<'a> {
    pub file: &'a str,
    pub line: u64,
    header: &'a Header,
    columns: &'a [Column],
    record: &'a StringRecord,
    pub errors: Vec<FieldError>,
}

impl<'a> Row<'a> {
    pub fn new(
        file: &'a str,
        line: u64,
        header: &'a Header,
        columns: &'a [Column],
        record: &'a StringRecord,
    ) -> Row<'a> {
        Row {
            file,
            line,
            header,
            columns,
            record,
            errors: Vec::new(),
        }
    }

    fn index(&self, name: &str) -> usize {
        self.columns
            .iter()
            .position(|c| c.name == name)
            .unwrap_or_else(|| panic!("column {name} is not declared"))
    }

    /// The trimmed text of a column, empty when the column is absent.
    pub fn text(&self, name: &str) -> &'a str {
        match &self.header.positions[self.index(name)] {
            Some((i, _)) => self.record.get(*i).unwrap_or("").trim(),
            None => "",
        }
    }

    /// Records an error against each known column whose value holds U+0000, which PostgreSQL
    /// cannot store as text (it failed the whole import with a database error there, and
    /// SQLite stored it). One search over the row's bytes when there is none.
    pub fn refuse_nul(&mut self) {
        if !self.record.as_slice().contains('\0') {
            return;
        }
        for k in 0..self.columns.len() {
            if let Some((i, _)) = &self.header.positions[k] {
                if self.record.get(*i).is_some_and(|v| v.contains('\0')) {
                    let name = self.columns[k].name;
                    self.error(name, "contains U+0000 (a NUL character), which is not text");
                }
            }
        }
    }

    /// The column's name as written in the file (or its canonical name when absent).
    pub fn written(&self, name: &str) -> String {
        match &self.header.positions[self.index(name)] {
            Some((_, written)) => written.clone(),
            None => name.to_string(),
        }
    }

    /// Records an error against a column.
    pub fn error(&mut self, name: &str, message: impl Into<String>) {
        let column = self.written(name);
        self.errors.push(FieldError {
            file: self.file.into(),
            line: self.line,
            column,
            message: message.into(),
        });
    }

    /// A value that must not be empty.
    pub fn required(&mut self, name: &str) -> Option<String> {
        let t = self.text(name);
        if t.is_empty() {
            self.error(name, "is empty");
            None
        } else {
            Some(t.to_string())
        }
    }

    /// Parses a required value.
    pub fn parse<T>(&mut self, name: &str, f: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        let t = self.text(name);
        if t.is_empty() {
            self.error(name, "is empty");
            return None;
        }
        match f(t) {
            Ok(v) => Some(v),
            Err(m) => {
                self.error(name, m);
                None
            }
        }
    }

    /// Parses an optional value; `None` when empty.
    pub fn optional<T>(
        &mut self,
        name: &str,
        f: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<Option<T>> {
        let t = self.text(name);
        if t.is_empty() {
            return Some(None);
        }
        match f(t) {
            Ok(v) => Some(Some(v)),
            Err(m) => {
                self.error(name, m);
                None
            }
        }
    }
}

/// Parses a date written `YYYY-MM-DD`, `YYYY/M/D` or `YYYYMMDD`.
pub fn parse_date(s: &str) -> Result<chrono::NaiveDate, String> {
    use chrono::NaiveDate;
    if let Some(d) = iso_date_of(s) {
        return Ok(d);
    }
    let parsed = if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        NaiveDate::parse_from_str(s, "%Y%m%d")
    } else if s.contains('/') {
        NaiveDate::parse_from_str(s, "%Y/%m/%d")
    } else {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
    };
    parsed.map_err(|_| format!("'{s}' is not a date (write YYYY-MM-DD)"))
}

/// A valid `YYYY-MM-DD` date read digit by digit, the form of nearly every date in the files;
/// `None` sends anything else to chrono's parser ([`parse_date`]), which accepts the same dates
/// and more forms, but interprets its format string for every date (a tenth of `draw prepare`'s
/// time at 20,000,000 enterprises, `docs/benchmarks.md`).
fn iso_date_of(s: &str) -> Option<chrono::NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let number = |digits: &[u8]| {
        digits.iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let year = i32::try_from(number(&b[0..4])?).ok()?;
    chrono::NaiveDate::from_ymd_opt(year, number(&b[5..7])?, number(&b[8..10])?)
}

/// A date as the files and the database keep it: `YYYY-MM-DD` (what chrono's `%Y-%m-%d`
/// prints, without interpreting the format for every date).
pub fn iso_date(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    let (year, month, day) = (d.year(), d.month(), d.day());
    if !(0..=9999).contains(&year) {
        return d.format("%Y-%m-%d").to_string();
    }
    let digit = |n: u32| char::from(b'0' + (n % 10) as u8);
    let year = year as u32;
    [
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        '-',
        digit(month / 10),
        digit(month),
        '-',
        digit(day / 10),
        digit(day),
    ]
    .into_iter()
    .collect()
}

/// Parses a yes/no flag.
pub fn parse_flag(s: &str) -> Result<bool, String> {
    match s {
        "true" | "1" | "yes" | "y" | "Y" | "是" | "TRUE" => Ok(true),
        "false" | "0" | "no" | "n" | "N" | "否" | "FALSE" => Ok(false),
        _ => Err(format!(
            "'{s}' is not a yes/no value (write true or false, 是 or 否)"
        )),
    }
}

/// Splits a `;`-separated list (also `；`, `,`, `、`), trimmed, empty parts dropped.
pub fn split_list(s: &str) -> Vec<String> {
    s.split([';', '；', '、', ','])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8]) -> (Encoding, String) {
        let (enc, mut r) = decode(Cursor::new(bytes.to_vec())).unwrap();
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        (enc, s)
    }

    #[test]
    fn reads_utf8_with_and_without_bom() {
        assert_eq!(
            read_all("企业名称\n".as_bytes()),
            (Encoding::Utf8, "企业名称\n".into())
        );
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice("企业名称\n".as_bytes());
        assert_eq!(read_all(&bom), (Encoding::Utf8Bom, "企业名称\n".into()));
    }

    #[test]
    fn detects_gbk() {
        let (gbk, _, _) = encoding_rs::GBK.encode("统一社会信用代码,企业名称\n");
        assert_eq!(
            read_all(&gbk),
            (Encoding::Gb18030, "统一社会信用代码,企业名称\n".into())
        );
    }

    #[test]
    fn parses_dates_in_common_forms() {
        let d = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        assert_eq!(parse_date("2026-03-02"), Ok(d));
        assert_eq!(parse_date("2026/3/2"), Ok(d));
        assert_eq!(parse_date("20260302"), Ok(d));
        assert!(parse_date("2026-02-30").is_err());
    }

    #[test]
    fn the_digit_by_digit_date_agrees_with_chrono() {
        // Every 10-byte form near the fast path: what it reads, chrono reads alike; what it
        // leaves, goes to chrono unchanged.
        let chrono_of = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        for s in [
            "2026-03-02",
            "2024-02-29",
            "2023-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-12-32",
            "0000-01-01",
            "9999-12-31",
            "2026-1-002",
            "2026-+1-02",
            "2026-01- 2",
            "２０２６-01-02",
            "2026/03/02",
            "20260302xx",
            "-001-01-01",
        ] {
            if let Some(d) = iso_date_of(s) {
                assert_eq!(Some(d), chrono_of(s), "{s}");
            }
            assert_eq!(parse_date(s).ok(), parse_date_by_chrono(s), "{s}");
        }
        for (y, m, d) in [
            (2026, 2, 3),
            (5, 1, 9),
            (0, 1, 1),
            (9999, 12, 31),
            (10000, 1, 1),
            (-1, 6, 30),
        ] {
            let date = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(iso_date(date), date.format("%Y-%m-%d").to_string());
        }
    }

    /// [`parse_date`] as it was before its fast path.
    fn parse_date_by_chrono(s: &str) -> Option<chrono::NaiveDate> {
        use chrono::NaiveDate;
        if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
            NaiveDate::parse_from_str(s, "%Y%m%d").ok()
        } else if s.contains('/') {
            NaiveDate::parse_from_str(s, "%Y/%m/%d").ok()
        } else {
            NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
        }
    }

    #[test]
    fn splits_lists_with_chinese_separators() {
        assert_eq!(
            split_list("食品；药品; 特种设备、"),
            vec!["食品", "药品", "特种设备"]
        );
    }
}
