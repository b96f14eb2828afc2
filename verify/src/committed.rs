//! Steps 1 and 2 of verification (`docs/draw-protocol.md` §11): the files are the manifest's,
//! the commitment is the manifest's, each input file is the committed one, the population has
//! the committed Merkle root, and the inputs parse and are in canonical form.

use crate::canonical::sha256_hex;
use crate::difference::Difference;
use crate::files::{self, BundleFiles, FileError};
use dualdraw_solver::inputs::population_csv::{FileDigest, PopulationFile, PopulationReader};
use dualdraw_solver::inputs::{self, key_supervision, Inputs};
use dualdraw_solver::Method;
use serde_json::Value as Json;
use std::collections::BTreeMap;

pub(crate) const POPULATION: &str = "inputs/population.csv";

/// What steps 1 and 2 establish.
pub(crate) struct Committed {
    pub commitment_text: String,
    pub commitment: Json,
    pub inputs: Inputs,
    pub size: u64,
    pub root: String,
}

/// Steps 1 and 2.
pub(crate) fn check_committed(
    files: &impl BundleFiles,
    manifest: &Json,
) -> Result<Committed, Difference> {
    let (present, population) = read_files(files);
    let mut present = present?;
    if let Ok(d) = &population.digest {
        present.insert(POPULATION.into(), hex::encode(d.sha256));
    }
    let digests = check_files(manifest, present)?;
    let commitment_text = files::read_text(files, "commitment.json")?;
    if manifest["commitment_sha256"].as_str()
        != Some(sha256_hex(commitment_text.as_bytes()).as_str())
    {
        return Err(Difference::in_field(
            "manifest.json",
            "commitment_sha256",
            "commitment_sha256 is not the SHA-256 of commitment.json",
        ));
    }
    let commitment: Json = serde_json::from_str(&commitment_text)
        .map_err(|e| Difference::in_file("commitment.json", e))?;
    if commitment["method"] != manifest["method"] {
        return Err(Difference::in_field(
            "commitment.json",
            "method",
            "the committed method is not the manifest's",
        ));
    }
    let (inputs, size, root) = check_inputs(files, &digests, &commitment, population)?;
    Ok(Committed {
        commitment_text,
        commitment,
        inputs,
        size,
        root,
    })
}

/// The manifest's list of files against the bundle's; returns the digests of the files present.
fn check_files(
    manifest: &Json,
    present: BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, Difference> {
    let listed = manifest["files"]
        .as_object()
        .ok_or_else(|| Difference::in_field("manifest.json", "files", "no files"))?;
    for (name, digest) in listed {
        let found = present
            .get(name)
            .ok_or_else(|| Difference::in_file(name, "listed in the manifest but missing"))?;
        if Some(found.as_str()) != digest.as_str() {
            return Err(Difference::in_file(
                name,
                "its SHA-256 is not the one in the manifest (the file was changed)",
            ));
        }
    }
    if let Some(extra) = present.keys().find(|k| !listed.contains_key(*k)) {
        return Err(Difference::in_file(extra, "not listed in the manifest"));
    }
    Ok(present)
}

/// The SHA-256 hex of a bundle file: from the digests already taken, else read.
fn digest_of(
    files: &impl BundleFiles,
    digests: &BTreeMap<String, String>,
    rel: &str,
) -> Result<String, Difference> {
    match digests.get(rel) {
        Some(d) => Ok(d.clone()),
        None => Ok(hex::encode(files::sha256(files, rel)?)),
    }
}

/// Each input file is the committed one, the population's root is the committed one, and the
/// inputs parse and are in canonical form.
fn check_inputs(
    files: &impl BundleFiles,
    digests: &BTreeMap<String, String>,
    commitment: &Json,
    population: Population,
) -> Result<(Inputs, u64, String), Difference> {
    let names = committed_names(commitment);
    for &name in &names {
        let rel = format!("inputs/{name}");
        if commitment["inputs"][name].as_str() != Some(digest_of(files, digests, &rel)?.as_str()) {
            return Err(Difference::in_file(&rel, "not the file committed to"));
        }
    }
    let (digest, population) = (population.digest?, population.parsed?);
    let (size, root) = (digest.size, hex::encode(digest.root));
    if commitment["population_root"].as_str() != Some(root.as_str())
        || commitment["population_size"].as_u64() != Some(size)
    {
        return Err(Difference::in_file(
            POPULATION,
            "its Merkle root is not the committed population_root",
        ));
    }
    let canonical_population = population.canonical;
    let inputs = parse_inputs(files, population)?;
    let mut names = names;
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
        let rel = format!("inputs/{name}");
        let stored = files::read_text(files, &rel)?;
        if stored != text {
            return Err(Difference::first_line(
                &rel,
                &format!("{rel} (canonical form)"),
                &text,
                &stored,
            ));
        }
    }
    Ok((inputs, size, root))
}

/// The method a commitment names (`dr1` if it names none it knows: the manifest's method was
/// checked against it before, `docs/draw-protocol.md` §11).
fn method_of(commitment: &Json) -> Method {
    commitment["method"]
        .as_str()
        .and_then(Method::parse)
        .unwrap_or(Method::Dr1)
}

/// The input files every method commits and those the commitment's method adds for key
/// supervision (`key-supervision.csv` under `PerDepartment`).
fn committed_names(commitment: &Json) -> Vec<&'static str> {
    let mut names = inputs::FILES.to_vec();
    names.extend_from_slice(key_supervision::files(method_of(commitment)));
    names
}

/// The inputs from the other input files and the population already read, with the key
/// supervision of the bundle's committed method.
pub fn parse_inputs(
    files: &(impl BundleFiles + ?Sized),
    population: PopulationFile,
) -> Result<Inputs, Difference> {
    let commitment = files::read_json(files, "commitment.json")?;
    let mut texts = BTreeMap::new();
    for name in committed_names(&commitment) {
        if name != "population.csv" {
            texts.insert(
                name.to_string(),
                files::read_text(files, &format!("inputs/{name}"))?,
            );
        }
    }
    let mut inputs = Inputs::parse_with(&texts, Some((population.population, population.errors)))
        .map_err(|errors| Difference::inputs(&errors))?;
    inputs
        .read_key_supervision(method_of(&commitment), &texts)
        .map_err(|errors| Difference::inputs(&errors))?;
    Ok(inputs)
}

/// `population.csv` read twice at once: digests on one core, parsed on the other.
struct Population {
    digest: Result<FileDigest, FileError>,
    parsed: Result<PopulationFile, FileError>,
}

/// The digests of every file, and the population, on two cores: one hashes `population.csv`
/// and builds its Merkle root while the other hashes the other files and parses it. What they
/// find is judged afterwards, in the order of `docs/draw-protocol.md` §11.
fn read_files(
    files: &impl BundleFiles,
) -> (Result<BTreeMap<String, String>, Difference>, Population) {
    let read = |mut r: PopulationReader| -> Result<PopulationFile, FileError> {
        files::read_blocks(files, POPULATION, |b| r.feed(b))?;
        Ok(r.finish())
    };
    std::thread::scope(|s| {
        let digest = s.spawn(|| read(PopulationReader::digest_only()).map(|f| f.digest));
        let others = files::digests_except(files, POPULATION).map_err(Difference::from);
        let parsed = read(PopulationReader::parse_only());
        let digest = digest.join().expect("population digest");
        (others, Population { digest, parsed })
    })
}
