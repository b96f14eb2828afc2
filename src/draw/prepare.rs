//! `dualdraw draw prepare --from DIR`: freeze a batch and commit to it (`docs/architecture.md`, rule 1).
//!
//! Reads the directory's CSV files with the importer's parsers (same headers, aliases,
//! encodings and `FILE:LINE: column:` errors), derives each enterprise's effective tier on the
//! policy's date when `credit-records.csv` is present, writes the canonical inputs, the
//! population's RFC 6962 Merkle root, the declared entropy sources and the commitment of a fresh
//! operator secret, which the caller keeps in the private directory, not in the bundle.

use super::bundle::{json_text, sha256_hex, Bundle, BundleError};
use crate::credit::record::{CreditRecord, RecordKind, RecordStatus};
use crate::credit::rules::RuleTable;
use crate::credit::tier::effective_tier;
use crate::import::table::Value;
use crate::import::{self, ImportError, Kind};
use chrono::NaiveDate;
use dualdraw_solver::inputs::population_csv::{write_population, Digester};
use dualdraw_solver::inputs::Inputs;
use dualdraw_solver::inputs::{Inspector, Item, Periods, Policy, Population};
use dualdraw_solver::{merkle, Method, Tier, Uscc};
use rand::RngCore;
use serde_json::{json, Value as Json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Why a batch could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error("{}", .0.join("\n"))]
    Input(Vec<String>),
    #[error(transparent)]
    Bundle(#[from] BundleError),
}

fn input_errors(e: ImportError) -> PrepareError {
    match e {
        ImportError::Invalid {
            errors,
            total,
            file,
        } => {
            let mut lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
            if total > errors.len() {
                lines.push(format!("{file}: … and {} more", total - errors.len()));
            }
            PrepareError::Input(lines)
        }
        other => PrepareError::Input(vec![other.to_string()]),
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::Text(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Null => String::new(),
    }
}

fn read_kind(
    dir: &Path,
    name: &str,
    kind: Kind,
    rules: &RuleTable,
    row: impl FnMut(Vec<Value>),
) -> Result<(), PrepareError> {
    let path = dir.join(name);
    let file = std::fs::File::open(&path)
        .map_err(|e| PrepareError::Input(vec![format!("{}: {e}", path.display())]))?;
    import::read_rows(kind, file, &path.display().to_string(), rules, row).map_err(input_errors)
}

/// A text column of the importer's normalized output, without copying it.
fn str_of(v: &Value) -> &str {
    match v {
        Value::Text(s) => s,
        _ => "",
    }
}

/// A date column of the importer's normalized output.
fn day(v: &Value) -> NaiveDate {
    import::source::parse_date(str_of(v)).expect("normalized by the importer")
}

/// The frozen inputs of the batch in `dir` for `method` (blocking).
pub fn inputs_from_dir(dir: &Path, method: Method) -> Result<Inputs, PrepareError> {
    let rules = RuleTable::builtin();
    let read_text = |name: &str, required: bool| -> Result<String, PrepareError> {
        let path = dir.join(name);
        match std::fs::read_to_string(&path) {
            Ok(t) => Ok(t.trim_start_matches('\u{feff}').to_string()),
            Err(_) if !required => Ok(dualdraw_solver::inputs::empty_history()),
            Err(e) => Err(PrepareError::Input(vec![format!(
                "{}: {e}",
                path.display()
            )])),
        }
    };
    let policy_text = read_text("policy.csv", true)?;
    let tasks_text = read_text("tasks.csv", true)?;
    let history_text = read_text("history.csv", false)?;
    let mut population = Population::new();
    let mut key_departments = BTreeMap::new();
    read_kind(dir, "enterprises.csv", Kind::Enterprises, &rules, |v| {
        if str_of(&v[5]) == "operating" {
            let uscc = Uscc::parse(str_of(&v[0])).expect("validated");
            population.push(
                uscc,
                str_of(&v[2]),
                str_of(&v[3]),
                Tier::parse(str_of(&v[6])).expect("validated"),
                v[7] == Value::Int(1),
            );
            if !str_of(&v[8]).is_empty() {
                key_departments.insert(uscc, split_departments(str_of(&v[8])));
            }
        }
    })?;
    let mut items = BTreeMap::new();
    read_kind(dir, "items.csv", Kind::Items, &rules, |v| {
        let industries: Vec<String> = text(&v[5])
            .split(';')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        items.insert(
            text(&v[0]),
            Item {
                code: text(&v[0]),
                department: text(&v[1]),
                industries,
                specialty: text(&v[6]),
            },
        );
    })?;
    let mut inspectors = Vec::new();
    read_kind(dir, "inspectors.csv", Kind::Inspectors, &rules, |v| {
        inspectors.push(Inspector {
            id: text(&v[0]),
            department: text(&v[2]),
            region: text(&v[3]),
            valid_from: day(&v[5]),
            valid_until: day(&v[6]),
            specialties: text(&v[7])
                .split(';')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            capacity: text(&v[8]).parse().expect("validated"),
        });
    })?;
    let mut conflicts = BTreeSet::new();
    if dir.join("conflicts.csv").exists() {
        read_kind(dir, "conflicts.csv", Kind::Conflicts, &rules, |v| {
            conflicts.insert((text(&v[0]), Uscc::parse(&text(&v[1])).expect("validated")));
        })?;
    }
    let parts = Parts {
        population,
        items,
        inspectors,
        conflicts,
        key_departments,
    };
    let texts = (policy_text, tasks_text, history_text);
    let mut inputs = assemble(parts, method, texts).map_err(|errs| {
        PrepareError::Input(
            errs.iter()
                .map(|e| format!("{}: {e}", dir.display()))
                .collect(),
        )
    })?;
    if dir.join("credit-records.csv").exists() {
        apply_credit(dir, &rules, &mut inputs)?;
    }
    Ok(inputs)
}

/// The directories of a batch, before the policy, tasks and history join them.
pub struct Parts {
    pub population: Population,
    pub items: BTreeMap<String, Item>,
    pub inspectors: Vec<Inspector>,
    pub conflicts: BTreeSet<(String, Uscc)>,
    /// The departments that hold each enterprise under key supervision (the registry's
    /// `key_departments`, `docs/import-formats.md`); enterprises without any are absent.
    pub key_departments: BTreeMap<Uscc, Vec<String>>,
}

/// The departments of a `key_departments` value (`;`-joined, normalized by the importer).
pub fn split_departments(s: &str) -> Vec<String> {
    s.split(';')
        .filter(|d| !d.is_empty())
        .map(String::from)
        .collect()
}

/// Validated inputs for `method` from the directories and the texts of `policy.csv`,
/// `tasks.csv` and `history.csv` (canonical formats of `docs/draw-protocol.md` §2), with the
/// key supervision the method reads (`Inputs::set_key_supervision`).
pub fn assemble(
    mut parts: Parts,
    method: Method,
    (policy, tasks, history): (String, String, String),
) -> Result<Inputs, Vec<dualdraw_solver::inputs::InputError>> {
    parts.population.sort();
    let placeholder = Inputs {
        policy: Policy {
            year: 2000,
            as_of: NaiveDate::from_ymd_opt(2000, 1, 1).expect("date"),
            periods: Periods::Quarter,
            visit_cap: [1; 4],
            inspectors_per_department: 2,
            exclusion_months: 0,
        },
        population: Population::new(),
        items: parts.items,
        inspectors: parts.inspectors,
        conflicts: parts.conflicts,
        history: Vec::new(),
        tasks: Vec::new(),
        key_departments: None,
    };
    // The small files go through their canonical text (normalized and checked like a bundle's);
    // the population is already in its parsed form, which its text would give back.
    let mut files: BTreeMap<String, String> = placeholder
        .small_files()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    files.insert("policy.csv".into(), policy);
    files.insert("tasks.csv".into(), tasks);
    files.insert("history.csv".into(), history);
    let mut inputs = Inputs::parse_with(&files, Some((parts.population, Vec::new())))?;
    inputs.set_key_supervision(method, &parts.key_departments);
    Ok(inputs)
}

/// Replaces base tiers by the effective tier on the policy's date.
pub fn apply_records(
    inputs: &mut Inputs,
    records: &BTreeMap<Uscc, Vec<CreditRecord>>,
    rules: &RuleTable,
) {
    let on = inputs.policy.as_of;
    for (uscc, rs) in records {
        if let Some(i) = inputs.population.index_of(uscc) {
            let base = inputs.population[i].tier;
            inputs
                .population
                .set_tier(i, effective_tier(base, rs, rules, on).tier);
        }
    }
}

/// Replaces base tiers by the effective tier on the policy's date.
fn apply_credit(dir: &Path, rules: &RuleTable, inputs: &mut Inputs) -> Result<(), PrepareError> {
    let on = inputs.policy.as_of;
    let mut records: BTreeMap<Uscc, Vec<CreditRecord>> = BTreeMap::new();
    read_kind(dir, "credit-records.csv", Kind::CreditRecords, rules, |v| {
        let uscc = Uscc::parse(&text(&v[0])).expect("validated");
        let record = CreditRecord {
            id: 0,
            uscc,
            kind: RecordKind::parse(&text(&v[1])).expect("validated"),
            department: text(&v[2]),
            document_no: text(&v[3]),
            decided_on: day(&v[4]),
            publicity_min_until: day(&v[5]),
            publicity_max_until: day(&v[6]),
            early_end_allowed: v[7] == Value::Int(1),
            status: RecordStatus::parse(&text(&v[8])).expect("validated"),
            ended_on: (v[9] != Value::Null).then(|| day(&v[9])),
            // Only the tier is kept from these records, which a summary does not change.
            summary: String::new(),
        };
        // A record outside its publicity on the policy's date does not move the tier
        // (`effective_tier` looks at those in publicity only), so it is not kept.
        if record.in_publicity(on) {
            records.entry(uscc).or_default().push(record);
        }
    })?;
    apply_records(inputs, &records, rules);
    Ok(())
}

/// A declared source of public entropy: `lottery:NAME:ISSUE:DATE` or `drand:CHAIN:ROUND`.
pub fn parse_source(s: &str) -> Result<Json, String> {
    let parts: Vec<&str> = s.split(':').collect();
    match parts.as_slice() {
        ["lottery", name, issue, date] if !name.is_empty() && !issue.is_empty() => {
            NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| format!("source '{s}': '{date}' is not a date YYYY-MM-DD"))?;
            Ok(json!({ "kind": "lottery", "name": name, "issue": issue, "date": date }))
        }
        ["drand", chain, round] => {
            let chain = dualdraw_solver::drand::Chain::parse(chain).map_err(|e| format!("source '{s}': {e}"))?;
            let round: u64 = round.parse().map_err(|_| format!("source '{s}': '{round}' is not a round number"))?;
            Ok(json!({ "kind": "drand", "chain": chain.name(), "chain_hash": hex::encode(chain.hash()), "round": round }))
        }
        _ => Err(format!("source '{s}': write lottery:NAME:ISSUE:YYYY-MM-DD or drand:CHAIN:ROUND (CHAIN quicknet or default)")),
    }
}

/// The population's Merkle root: leaves are the data lines of `population.csv`, without LF.
pub fn population_root(population_csv: &str) -> (u64, String) {
    let mut b = merkle::RootBuilder::new();
    for line in population_csv.lines().skip(1) {
        b.push(line.as_bytes());
    }
    let (n, root) = b.finish();
    (n, hex::encode(root))
}

/// Writes `inputs/population.csv` line by line, with its SHA-256 and Merkle root.
fn write_population_file(
    bundle: &Bundle,
    inputs: &Inputs,
) -> Result<dualdraw_solver::inputs::population_csv::FileDigest, PrepareError> {
    use std::io::Write;
    let rel = "inputs/population.csv";
    let mut out = bundle.create(rel)?;
    let mut digester = Digester::new();
    let mut result = Ok(());
    let bar = crate::progress::global().items(
        "writing population.csv",
        Some(inputs.population.len() as u64 + 1),
    );
    write_population(&inputs.population, |line| {
        bar.inc(1);
        digester.line(line);
        if result.is_ok() {
            result = out.write_all(line).and_then(|_| out.write_all(b"\n"));
        }
    });
    result
        .and_then(|_| out.flush())
        .map_err(|e| super::bundle::io(&bundle.path(rel), e))?;
    Ok(digester.finish())
}

/// What a prepared bundle commits to: the SHA-256 of `commitment.json`, and the operator secret,
/// which the caller keeps (`super::private::keep_secret`), never in the bundle.
pub struct Commitment {
    pub digest: String,
    pub secret: [u8; 32],
}

/// Writes the committed bundle into `bundle` (a staging directory) and returns its commitment.
pub fn write(
    bundle: &Bundle,
    batch: &str,
    inputs: &Inputs,
    sources: Vec<Json>,
) -> Result<Commitment, PrepareError> {
    if sources.is_empty() {
        return Err(PrepareError::Input(vec![
            "declare at least one public entropy source with --source".into(),
        ]));
    }
    let mut digests = serde_json::Map::new();
    for (name, text) in inputs.small_files() {
        bundle.write(&format!("inputs/{name}"), &text)?;
        digests.insert(name.to_string(), json!(sha256_hex(text.as_bytes())));
    }
    let digest = write_population_file(bundle, inputs)?;
    digests.insert("population.csv".into(), json!(hex::encode(digest.sha256)));
    let (size, root) = (digest.size, hex::encode(digest.root));
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let commitment = json!({
        "method": dualdraw_solver::Method::Dr1.id(),
        "batch": batch,
        "inputs": digests,
        "population_root": root,
        "population_size": size,
        "sources": sources,
        "secret_commitment": hex::encode(dualdraw_solver::seed::secret_commitment(&secret)),
    });
    let commitment_text = json_text(&commitment);
    bundle.write("commitment.json", &commitment_text)?;
    bundle.write_manifest("committed", json!({}))?;
    Ok(Commitment {
        digest: sha256_hex(commitment_text.as_bytes()),
        secret,
    })
}
