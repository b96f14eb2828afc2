//! `dualdraw verify BUNDLE`: recompute everything a bundle states and check every rule
//! (`docs/draw-protocol.md`, "Verification"). The first difference is the answer.

use super::bundle::{file_sha256, sha256_hex, Bundle};
use super::run::{entropy_value, for_plan_files, parse_inputs, StepError};
use dualdraw_solver::dr1::check::check_drawn;
use dualdraw_solver::dr1::output::PLAN_FILES;
use dualdraw_solver::dr1::population_csv::{FileDigest, PopulationFile, PopulationReader};
use dualdraw_solver::dr1::seed::{entropy_string, secret_commitment, seed};
use dualdraw_solver::dr1::{self, Drawn, Inputs};
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// The first difference found, as a sentence.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Difference(pub String);

pub(crate) fn differ(s: impl Into<String>) -> Difference {
    Difference(s.into())
}

impl From<StepError> for Difference {
    fn from(e: StepError) -> Self {
        Difference(e.to_string())
    }
}

impl From<super::bundle::BundleError> for Difference {
    fn from(e: super::bundle::BundleError) -> Self {
        Difference(e.to_string())
    }
}

/// The first line where two texts differ.
pub(crate) fn first_line_difference(name: &str, expected: &str, found: &str) -> Difference {
    let (e, f): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), found.lines().collect());
    for i in 0..e.len().max(f.len()) {
        let (a, b) = (e.get(i).copied(), f.get(i).copied());
        if a != b {
            return differ(format!(
                "{name}:{}: expected `{}`, found `{}`",
                i + 1,
                a.unwrap_or("<end of file>"),
                b.unwrap_or("<end of file>")
            ));
        }
    }
    differ(format!("{name}: differs (line endings or final newline)"))
}

/// Checks the manifest's list of files against the directory; returns the digests of the files
/// present.
fn check_files(
    manifest: &Json,
    present: BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, Difference> {
    let listed = manifest["files"]
        .as_object()
        .ok_or_else(|| differ("manifest.json: no files"))?;
    for (name, digest) in listed {
        let found = present
            .get(name)
            .ok_or_else(|| differ(format!("{name}: listed in the manifest but missing")))?;
        if Some(found.as_str()) != digest.as_str() {
            return Err(differ(format!(
                "{name}: its SHA-256 is not the one in the manifest (the file was changed)"
            )));
        }
    }
    if let Some(extra) = present.keys().find(|k| !listed.contains_key(*k)) {
        return Err(differ(format!("{extra}: not listed in the manifest")));
    }
    Ok(present)
}

/// The SHA-256 hex of a bundle file: from the digests already taken, else read.
fn digest_of(
    bundle: &Bundle,
    digests: &BTreeMap<String, String>,
    rel: &str,
) -> Result<String, Difference> {
    match digests.get(rel) {
        Some(d) => Ok(d.clone()),
        None => Ok(hex::encode(file_sha256(&bundle.path(rel))?)),
    }
}

/// Compares what is written with the bytes of a file, as they come.
struct Compare {
    file: std::io::BufReader<std::fs::File>,
    buf: Vec<u8>,
    same: bool,
}

impl std::io::Write for Compare {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        use std::io::Read;
        if self.same {
            self.buf.resize(data.len(), 0);
            self.same = self.file.read_exact(&mut self.buf).is_ok() && self.buf == data;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Compare {
    /// Whether the file had exactly the bytes written, and no more.
    fn finish(mut self) -> bool {
        use std::io::Read;
        self.same && matches!(self.file.read(&mut [0u8; 1]), Ok(0))
    }
}

/// Each input file is the committed one, the population's root is the committed one, and the
/// inputs parse and are in canonical form.
fn check_inputs(
    bundle: &Bundle,
    digests: &BTreeMap<String, String>,
    commitment: &Json,
    population: Population,
) -> Result<(Inputs, u64, String), Difference> {
    for name in dr1::inputs::FILES {
        let rel = format!("inputs/{name}");
        if commitment["inputs"][name].as_str() != Some(digest_of(bundle, digests, &rel)?.as_str()) {
            return Err(differ(format!("inputs/{name}: not the file committed to")));
        }
    }
    let (digest, population) = (population.digest?, population.parsed?);
    let (size, root) = (digest.size, hex::encode(digest.root));
    if commitment["population_root"].as_str() != Some(root.as_str())
        || commitment["population_size"].as_u64() != Some(size)
    {
        return Err(differ(
            "inputs/population.csv: its Merkle root is not the committed population_root",
        ));
    }
    let canonical_population = population.canonical;
    let inputs = parse_inputs(bundle, population)?;
    let mut names = dr1::inputs::FILES;
    names.sort_unstable();
    let small = inputs.small_files();
    for name in names {
        // The population was compared row by row as it was read; only a file that is not
        // canonical is written out whole, to name the first line that differs.
        let text = match small.get(name) {
            Some(t) => t.clone(),
            None if canonical_population => continue,
            None => inputs.population_text(),
        };
        let stored = bundle.read(&format!("inputs/{name}"))?;
        if stored != text {
            return Err(first_line_difference(
                &format!("inputs/{name} (canonical form)"),
                &text,
                &stored,
            ));
        }
    }
    Ok((inputs, size, root))
}

/// Every plan file is, byte for byte, the one recomputed (compared with the stored file as it
/// is written; a file that differs is written out whole to name the first line).
fn check_plan(bundle: &Bundle, inputs: &Inputs, plan: &Drawn) -> Result<(), Difference> {
    let same = for_plan_files(|name| -> Result<bool, Difference> {
        let rel = format!("plan/{name}");
        let file =
            std::fs::File::open(bundle.path(&rel)).map_err(|e| differ(format!("{rel}: {e}")))?;
        let compare = Compare {
            file: std::io::BufReader::with_capacity(1 << 20, file),
            buf: Vec::new(),
            same: true,
        };
        let mut w = std::io::BufWriter::with_capacity(1 << 16, compare);
        plan.write_file(inputs, name, &mut w)
            .and_then(|_| w.into_inner().map_err(|e| e.into_error()))
            .map(Compare::finish)
            .map_err(|e| differ(format!("{rel}: {e}")))
    });
    for ((name, _), same) in PLAN_FILES.iter().zip(same) {
        let rel = format!("plan/{name}");
        if same? {
            continue;
        }
        let mut expected = Vec::new();
        plan.write_file(inputs, name, &mut expected)
            .map_err(|e| differ(format!("{rel}: {e}")))?;
        let expected = String::from_utf8(expected).expect("UTF-8 in, UTF-8 out");
        let found = bundle.read(&rel)?;
        return Err(first_line_difference(&rel, &expected, &found));
    }
    Ok(())
}

const POPULATION: &str = "inputs/population.csv";

/// `population.csv` read twice at once: digests on one core, parsed on the other.
struct Population {
    digest: Result<FileDigest, StepError>,
    parsed: Result<PopulationFile, StepError>,
}

/// The digests of every file, and the population, on two cores: one hashes `population.csv`
/// and builds its Merkle root while the other hashes the other files and parses it. What they
/// find is judged afterwards, in the order of `docs/draw-protocol.md` §11.
fn read_files(bundle: &Bundle) -> (Result<BTreeMap<String, String>, Difference>, Population) {
    let read = |mut r: PopulationReader| -> Result<PopulationFile, StepError> {
        bundle.read_blocks(POPULATION, |b| r.feed(b))?;
        Ok(r.finish())
    };
    std::thread::scope(|s| {
        let digest = s.spawn(|| read(PopulationReader::digest_only()).map(|f| f.digest));
        let others = bundle.digests_except(POPULATION).map_err(Difference::from);
        let parsed = read(PopulationReader::parse_only());
        let digest = digest.join().expect("population digest");
        (others, Population { digest, parsed })
    })
}

/// Verifies a bundle; returns the one-line summary.
/// Verifies the draw (`docs/draw-protocol.md` §11) and then its log evidence
/// (`docs/log.md` §8.1): the summary ends with what the log shows.
pub fn verify(bundle: &Bundle) -> Result<String, Difference> {
    verify_with(bundle, None)
}

/// As [`verify`], with the log keys the user gives (else the bundle's `log/keys.json`).
pub fn verify_with(
    bundle: &Bundle,
    keys: Option<dualdraw_solver::tlog::evidence::Keys>,
) -> Result<String, Difference> {
    let summary = verify_draw(bundle)?;
    let log = crate::log::verify::statement(bundle, keys).map_err(differ)?;
    Ok(format!("{summary}; {log}"))
}

fn verify_draw(bundle: &Bundle) -> Result<String, Difference> {
    let manifest = bundle.read_json("manifest.json")?;
    if manifest["method"] == dualdraw_solver::dr2::METHOD {
        return super::annual::verify(bundle, &manifest);
    }
    if manifest["method"] != dr1::METHOD {
        return Err(differ(format!(
            "manifest.json: method {} is not {}",
            manifest["method"],
            dr1::METHOD
        )));
    }
    let Committed {
        commitment_text,
        commitment,
        inputs,
        size,
        root,
    } = check_committed(bundle, &manifest)?;
    let state = manifest["state"].as_str().unwrap_or("");
    if state == "committed" {
        return Ok(format!("dr1 bundle committed: inputs match the commitment ({size} enterprises, root {}…); not drawn yet", &root[..16]));
    }
    let entropy = bundle.read_json("entropy.json")?;
    let text = check_entropy(&commitment, &entropy)?;
    if state != "revealed" {
        return Ok("dr1 bundle run: inputs and entropy check; the plan is verifiable once the secret is revealed".into());
    }
    let secret = revealed_secret(bundle, &commitment)?;
    let seed = seed(
        &dr1::seed::sha256(commitment_text.as_bytes()),
        &text,
        &secret,
    );
    if manifest["seed"].as_str() != Some(hex::encode(seed).as_str()) {
        return Err(differ(
            "manifest.json: seed is not SHA-256 of the committed values",
        ));
    }
    let plan = dr1::drawn(&inputs, &seed);
    // The rule checks read the plan only; they run beside the comparison of its files.
    let (files, rules) = std::thread::scope(|s| {
        let rules = s.spawn(|| check_drawn(&inputs, &plan));
        let files = check_plan(bundle, &inputs, &plan);
        (files, rules.join().expect("rule checks"))
    });
    files?;
    rules.map_err(|e| differ(format!("rule broken: {e}")))?;
    Ok(format!(
        "dr1 bundle verified: {} enterprises, {} tasks, {} selections, {} visits, {} inspectors assigned, {} teams not formed; seed {}",
        inputs.population.len(),
        inputs.tasks.len(),
        plan.picks.len(),
        plan.calls.len(),
        plan.seats.len(),
        plan.gaps.len(),
        hex::encode(seed)
    ))
}

/// Checks `entropy.json` against the declared sources (drand rounds against the pinned keys);
/// returns the canonical entropy string.
pub fn check_entropy(commitment: &Json, entropy: &Json) -> Result<String, Difference> {
    let sources = commitment["sources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let records = entropy["sources"].as_array().cloned().unwrap_or_default();
    if records.len() != sources.len() {
        return Err(differ("entropy.json: not one value per declared source"));
    }
    let mut values = Vec::new();
    for (declared, record) in sources.iter().zip(&records) {
        let given = match declared["kind"].as_str() {
            Some("lottery") => record["values"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|v| v.to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default(),
            _ => match record["previous_signature"].as_str() {
                Some(p) => format!("{}:{p}", record["signature"].as_str().unwrap_or("")),
                None => record["signature"].as_str().unwrap_or("").to_string(),
            },
        };
        let (value, recomputed) =
            entropy_value(declared, &given).map_err(|e| differ(format!("entropy.json: {e}")))?;
        if &recomputed != record {
            return Err(differ(format!("entropy.json: source {declared} does not match its declaration or its verified values")));
        }
        values.push(value);
    }
    let text = entropy_string(&values);
    if entropy["string"].as_str() != Some(text.as_str()) {
        return Err(differ(format!(
            "entropy.json: string is not the canonical `{text}`"
        )));
    }
    Ok(text)
}

/// The revealed secret, checked against the commitment.
pub(crate) fn revealed_secret(bundle: &Bundle, commitment: &Json) -> Result<[u8; 32], Difference> {
    let secret_hex = bundle.read("secret.txt")?;
    let secret: [u8; 32] = hex::decode(secret_hex.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| differ("secret.txt: not 32 bytes of hex"))?;
    if commitment["secret_commitment"].as_str()
        != Some(hex::encode(secret_commitment(&secret)).as_str())
    {
        return Err(differ(
            "secret.txt: does not match the committed secret_commitment",
        ));
    }
    Ok(secret)
}

/// What steps 1 and 2 of verification establish: the files are the manifest's, the inputs are
/// the committed ones, in canonical form, with the committed population root.
pub(crate) struct Committed {
    pub commitment_text: String,
    pub commitment: Json,
    pub inputs: Inputs,
    pub size: u64,
    pub root: String,
}

/// Steps 1 and 2 of verification (`docs/draw-protocol.md` §11).
pub(crate) fn check_committed(bundle: &Bundle, manifest: &Json) -> Result<Committed, Difference> {
    let (present, population) = read_files(bundle);
    let mut present = present?;
    if let Ok(d) = &population.digest {
        present.insert(POPULATION.into(), hex::encode(d.sha256));
    }
    let digests = check_files(manifest, present)?;
    let commitment_text = bundle.read("commitment.json")?;
    if manifest["commitment_sha256"].as_str()
        != Some(sha256_hex(commitment_text.as_bytes()).as_str())
    {
        return Err(differ(
            "manifest.json: commitment_sha256 is not the SHA-256 of commitment.json",
        ));
    }
    let commitment: Json = serde_json::from_str(&commitment_text)
        .map_err(|e| differ(format!("commitment.json: {e}")))?;
    let (inputs, size, root) = check_inputs(bundle, &digests, &commitment, population)?;
    Ok(Committed {
        commitment_text,
        commitment,
        inputs,
        size,
        root,
    })
}
