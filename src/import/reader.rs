//! The reading side of an import, on its own thread: decode, map the header, parse rows and hand
//! them over in batches, so parsing overlaps with the database's work.

use super::source::{self, FieldError, Header, Row};
use super::table::Value;
use super::{ImportError, Kind, CHUNK};
use crate::credit::rules::RuleTable;
use csv::StringRecord;
use std::io::Read;

/// Parsed rows (with their line numbers) and the errors of the same stretch of the file.
pub struct Batch {
    pub rows: Vec<(u64, Vec<Value>)>,
    pub errors: Vec<FieldError>,
}

/// What the reader learned about the whole file.
pub struct Summary {
    pub encoding: source::Encoding,
    pub ignored_columns: Vec<String>,
    pub rows: u64,
}

pub fn located(file: &str, line: u64, column: &str, message: &str) -> FieldError {
    FieldError {
        file: file.to_string(),
        line,
        column: column.to_string(),
        message: message.to_string(),
    }
}

pub fn invalid(file: &str, errors: Vec<FieldError>) -> ImportError {
    let total = errors.len();
    ImportError::Invalid {
        file: file.to_string(),
        errors,
        total,
    }
}

fn csv_error(file: &str, e: &csv::Error) -> FieldError {
    let line = e.position().map_or(0, |p| p.line());
    let message = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => {
            "not valid UTF-8 (and the file did not look like GB18030)".to_string()
        }
        _ => format!("malformed CSV: {e}"),
    };
    located(file, line, "", &message)
}

/// A row with fewer fields than the header names its first missing column; one with more, the
/// first field beyond the header.
fn width_error(file: &str, line: u64, header: &StringRecord, record: &StringRecord) -> FieldError {
    let counts = format!(
        "the row has {} fields, the header has {}",
        record.len(),
        header.len()
    );
    // An unclosed quote swallows the rest of the file into one field: say so.
    let hint = if record.iter().any(|f| f.contains('\n')) {
        " (a field runs over several lines: is a quote left open?)"
    } else {
        ""
    };
    match header.get(record.len()) {
        Some(missing) => {
            let message = format!("missing; {counts}{hint}");
            located(file, line, missing.trim(), &message)
        }
        None => {
            let column = format!("field {}", header.len() + 1);
            located(
                file,
                line,
                &column,
                &format!("not in the header; {counts}{hint}"),
            )
        }
    }
}

fn is_blank(record: &StringRecord) -> bool {
    record.iter().all(|f| f.trim().is_empty())
}

/// Reads the whole file, handing batches of at most [`CHUNK`] rows to `sink`. Stops early,
/// without an error, when `sink` returns false (its receiver has gone away).
pub fn read(
    kind: Kind,
    input: impl Read + Send + 'static,
    file: &str,
    rules: &RuleTable,
    mut sink: impl FnMut(Batch) -> bool,
) -> Result<Summary, ImportError> {
    let spec = kind.spec();
    let (encoding, reader) = source::decode(input).map_err(|e| ImportError::Read {
        file: file.to_string(),
        message: e.to_string(),
    })?;
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut header_record = StringRecord::new();
    match csv.read_record(&mut header_record) {
        Ok(true) => {}
        Err(e) => return Err(invalid(file, vec![csv_error(file, &e)])),
        Ok(false) => {
            let empty = located(file, 1, "", "the file is empty; expected a header row");
            return Err(invalid(file, vec![empty]));
        }
    }
    let header = Header::map(file, &header_record, spec.columns).map_err(|e| invalid(file, e))?;
    let mut batch = Batch {
        rows: Vec::with_capacity(CHUNK),
        errors: Vec::new(),
    };
    let mut rows = 0u64;
    // One record, read into again and again: a new one per row was a tenth of `draw prepare`'s
    // time at 20,000,000 enterprises (an allocation, a copy and a free per row).
    let mut record = StringRecord::new();
    loop {
        match csv.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                batch.errors.push(csv_error(file, &e));
                continue;
            }
        }
        if is_blank(&record) {
            continue;
        }
        rows += 1;
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != header.width {
            batch
                .errors
                .push(width_error(file, line, &header_record, &record));
            continue;
        }
        let mut row = Row::new(file, line, &header, spec.columns, &record);
        row.refuse_nul();
        // A row with U+0000 is not written anywhere, not even to PostgreSQL's staging table.
        let text = row.errors.is_empty();
        let values = kind.parse_row(&mut row, rules).filter(|_| text);
        batch.errors.append(&mut row.errors);
        if let Some(values) = values {
            batch.rows.push((line, values));
        }
        if batch.rows.len() == CHUNK {
            let full = std::mem::replace(
                &mut batch,
                Batch {
                    rows: Vec::with_capacity(CHUNK),
                    errors: Vec::new(),
                },
            );
            if !sink(full) {
                break;
            }
        }
    }
    sink(batch);
    Ok(Summary {
        encoding,
        ignored_columns: header.ignored,
        rows,
    })
}
