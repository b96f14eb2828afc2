//! `dualdraw pick FILE --count K --entropy VALUES…`: the ceremonial list draw (`docs/architecture.md`,
//! "The draw protocol"; RFC 3797).
//!
//! Reads the published list and the public sources, refuses anything ambiguous, and prints the
//! chosen lines in order of selection. What decides the draw lives in
//! [`dualdraw_solver::rfc3797`]; this file reads, checks and prints.

use super::Failure;
use dualdraw_solver::rfc3797;
use std::collections::btree_map::{BTreeMap, Entry};
use std::io::Write;
use std::path::PathBuf;

/// How the entries are chosen.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Each entry's number is SHA-256 of the key and the entry's text; the smallest are chosen,
    /// so an entry's chance does not depend on its place in the list.
    Dr1,
    /// RFC 3797 exactly: per step, MD5 of the key modulo the entries left, by position.
    Rfc3797,
}

/// Arguments of `dualdraw pick`.
#[derive(clap::Args, Debug)]
pub struct PickArgs {
    /// The published list: one entry per line, in published order (UTF-8).
    file: PathBuf,
    /// How many entries to choose.
    #[arg(long)]
    count: usize,
    /// One public source, in published order: its integers separated by spaces or commas,
    /// e.g. "2 5 12 8 10". Repeat for each source.
    #[arg(long = "entropy", required = true, value_name = "VALUES")]
    entropy: Vec<String>,
    /// How the entries are chosen.
    #[arg(long, value_enum, default_value = "dr1")]
    method: Method,
    /// Also print every step on stderr: its hash, the entries left and the chosen line number.
    #[arg(long)]
    verbose: bool,
}

/// Runs the draw: the chosen lines on stdout, the key and any warning on stderr.
pub fn run(args: PickArgs) -> Result<(), Failure> {
    let name = args.file.display().to_string();
    let bytes = std::fs::read(&args.file).map_err(|e| Failure::input(format!("{name}: {e}")))?;
    let entries = parse_pool(&bytes, &name)?;
    let sources = parse_sources(&args.entropy)?;
    check_count(args.count, entries.len(), args.method, &name)?;

    let key = rfc3797::key_string(&sources);
    eprintln!("method: {}", method_name(args.method));
    eprintln!("key: {key}");
    let (have, need) = (
        rfc3797::source_bits(&sources),
        rfc3797::required_bits(entries.len(), args.count),
    );
    if have < need {
        eprintln!(
            "warning: the sources carry about {have} bits (3.32 per digit, an upper estimate); \
             choosing {} of {} needs {need} bits, log2 C({}, {}) (RFC 3797 section 3.3)",
            args.count,
            entries.len(),
            entries.len(),
            args.count
        );
    }

    let picks = match args.method {
        Method::Rfc3797 => {
            let steps = rfc3797::steps(key.as_bytes(), entries.len(), args.count);
            if args.verbose {
                eprintln!("step  {:<32}  remaining  line  entry", "md5");
                for (i, s) in steps.iter().enumerate() {
                    let hash = hex::encode_upper(s.digest);
                    step_line(i, &hash, s.remaining, s.index, entries[s.index]);
                }
            }
            steps.into_iter().map(|s| s.index).collect()
        }
        Method::Dr1 => {
            let picks = rfc3797::select_dr1(key.as_bytes(), &entries, args.count);
            if args.verbose {
                eprintln!("step  {:<64}  remaining  line  entry", "sha256");
                for (i, &index) in picks.iter().enumerate() {
                    let hash = hex::encode(rfc3797::dr1_number(key.as_bytes(), entries[index]));
                    step_line(i, &hash, entries.len() - i, index, entries[index]);
                }
            }
            picks
        }
    };
    if args.verbose {
        eprintln!("entropy: about {have} bits in the sources, {need} needed");
    }

    let mut out = std::io::stdout().lock();
    for index in picks {
        writeln!(out, "{}", entries[index]).map_err(|e| Failure::failed(format!("stdout: {e}")))?;
    }
    out.flush()
        .map_err(|e| Failure::failed(format!("stdout: {e}")))
}

fn method_name(method: Method) -> &'static str {
    match method {
        Method::Dr1 => "dr1",
        Method::Rfc3797 => "rfc3797",
    }
}

/// One row of the `--verbose` table; `index` is 0-based, printed as the 1-based line.
fn step_line(step: usize, hash: &str, remaining: usize, index: usize, entry: &str) {
    eprintln!(
        "{step:>4}  {hash}  {remaining:>9}  {:>4}  {entry}",
        index + 1
    );
}

/// The entries of a published list: one per line, LF or CRLF, the final newline optional, a
/// leading byte-order mark ignored. Every blank, non-UTF-8 or repeated line is reported as
/// `FILE:LINE: …`; entries must differ because `dr1` numbers an entry by its text.
pub fn parse_pool<'a>(bytes: &'a [u8], name: &str) -> Result<Vec<&'a str>, Failure> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    if body.is_empty() {
        return Ok(Vec::new());
    }
    let mut entries = Vec::new();
    let mut first_seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut errors = Vec::new();
    for (i, raw) in body.split(|&b| b == b'\n').enumerate() {
        let line = i + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let Ok(entry) = std::str::from_utf8(raw) else {
            errors.push(format!("{name}:{line}: not UTF-8"));
            continue;
        };
        if entry.trim().is_empty() {
            errors.push(format!("{name}:{line}: blank entry"));
            continue;
        }
        match first_seen.entry(entry) {
            Entry::Occupied(first) => errors.push(format!(
                "{name}:{line}: same entry as line {}; entries must differ (add what tells \
                 them apart, such as a department)",
                first.get()
            )),
            Entry::Vacant(slot) => {
                slot.insert(line);
            }
        }
        entries.push(entry);
    }
    if errors.is_empty() {
        Ok(entries)
    } else {
        Err(Failure::input(errors.join("\n")))
    }
}

/// Each `--entropy` value as a source of integers, in published order.
pub fn parse_sources(texts: &[String]) -> Result<Vec<Vec<u64>>, Failure> {
    texts
        .iter()
        .map(|text| {
            rfc3797::parse_source(text)
                .map_err(|e| Failure::input(format!("--entropy {text:?}: {e}")))
        })
        .collect()
}

pub fn check_count(count: usize, pool: usize, method: Method, name: &str) -> Result<(), Failure> {
    if pool == 0 {
        return Err(Failure::input(format!("{name}: no entries")));
    }
    if count == 0 {
        return Err(Failure::input("--count must be at least 1"));
    }
    if count > pool {
        return Err(Failure::input(format!(
            "--count {count} is more than the {pool} entries of {name}"
        )));
    }
    if method == Method::Rfc3797 && count > rfc3797::MAX_SELECTIONS {
        return Err(Failure::input(format!(
            "--method rfc3797 makes at most {} selections (its step counter is two bytes); \
             use --method dr1",
            rfc3797::MAX_SELECTIONS
        )));
    }
    Ok(())
}
