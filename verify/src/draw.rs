//! Verification of a `dr1` draw (`docs/draw-protocol.md` §11): after steps 1 and 2
//! ([`crate::committed`]), the entropy, the secret and the seed, then every plan file
//! recomputed and compared byte for byte, and every rule checked on the recomputed plan.

use crate::committed::{check_committed, Committed};
use crate::difference::Difference;
use crate::entropy::check_entropy;
use crate::files::{self, BundleFiles};
use crate::secret::revealed_secret;
use crate::verdict::{Counts, Stage};
use dualdraw_solver::inputs::Inputs;
use dualdraw_solver::plan::check::check_drawn;
use dualdraw_solver::plan::files::PLAN_FILES;
use dualdraw_solver::seed::seed;
use dualdraw_solver::selection::{self, Drawn};
use serde_json::Value as Json;
use std::io::Read;

/// What a `dr1` bundle shows, up to its state: the committed population and the stage reached.
pub(crate) fn verify(
    files: &impl BundleFiles,
    manifest: &Json,
) -> Result<(Committed, Stage), Difference> {
    let committed = check_committed(files, manifest)?;
    let state = manifest["state"].as_str().unwrap_or("");
    if state == "committed" {
        return Ok((committed, Stage::Committed));
    }
    let Committed {
        commitment_text,
        commitment,
        inputs,
        ..
    } = &committed;
    let entropy = files::read_json(files, "entropy.json")?;
    let text = check_entropy(commitment, &entropy)?;
    if state != "revealed" {
        return Ok((committed, Stage::Run));
    }
    let secret = revealed_secret(files, commitment)?;
    let seed = seed(
        &dualdraw_solver::seed::sha256(commitment_text.as_bytes()),
        &text,
        &secret,
    );
    if manifest["seed"].as_str() != Some(hex::encode(seed).as_str()) {
        return Err(Difference::in_field(
            "manifest.json",
            "seed",
            "seed is not SHA-256 of the committed values",
        ));
    }
    let plan = selection::drawn(inputs, &seed);
    // The rule checks read the plan only; they run beside the comparison of its files.
    let (compared, rules) = std::thread::scope(|s| {
        let rules = s.spawn(|| check_drawn(inputs, &plan));
        let compared = check_plan(files, inputs, &plan);
        (compared, rules.join().expect("rule checks"))
    });
    compared?;
    rules.map_err(|e| Difference::other(format!("rule broken: {e}")))?;
    let counts = Counts {
        enterprises: inputs.population.len(),
        tasks: inputs.tasks.len(),
        selections: plan.picks.len(),
        visits: plan.calls.len(),
        joint_visits: None,
        inspectors_assigned: plan.seats.len(),
        teams_not_formed: plan.gaps.len(),
        checks_unplanned: None,
    };
    Ok((committed, Stage::Verified { seed, counts }))
}

/// Runs `each` for every plan file, in [`PLAN_FILES`] order, on two threads: `failures.csv`
/// (the largest) on its own, the others on the calling thread.
pub fn for_plan_files<T: Send>(each: impl Fn(&'static str) -> T + Sync) -> Vec<T> {
    let (first, rest) = PLAN_FILES.split_first().expect("plan files");
    std::thread::scope(|s| {
        let alone = s.spawn(|| each(first.0));
        let others: Vec<T> = rest.iter().map(|(name, _)| each(name)).collect();
        let mut all = vec![alone.join().expect("plan file thread")];
        all.extend(others);
        all
    })
}

/// Every plan file is, byte for byte, the one recomputed (compared with the stored bytes as
/// they are written; a file that differs is written out whole to name the first line).
fn check_plan(files: &impl BundleFiles, inputs: &Inputs, plan: &Drawn) -> Result<(), Difference> {
    let same = for_plan_files(|name| -> Result<bool, Difference> {
        let rel = format!("plan/{name}");
        let stored = files
            .open(&rel)
            .map_err(|e| Difference::in_file(&rel, e.message))?;
        let compare = Compare {
            stored: std::io::BufReader::with_capacity(files::BLOCK, stored),
            buf: Vec::new(),
            same: true,
        };
        let mut w = std::io::BufWriter::with_capacity(1 << 16, compare);
        plan.write_file(inputs, name, &mut w)
            .and_then(|_| w.into_inner().map_err(|e| e.into_error()))
            .map(Compare::finish)
            .map_err(|e| Difference::in_file(&rel, e))
    });
    for ((name, _), same) in PLAN_FILES.iter().zip(same) {
        let rel = format!("plan/{name}");
        if same? {
            continue;
        }
        let mut expected = Vec::new();
        plan.write_file(inputs, name, &mut expected)
            .map_err(|e| Difference::in_file(&rel, e))?;
        let expected = String::from_utf8(expected).expect("UTF-8 in, UTF-8 out");
        let found = files::read_text(files, &rel)?;
        return Err(Difference::first_line(&rel, &rel, &expected, &found));
    }
    Ok(())
}

/// Compares what is written with the stored bytes, as they come.
struct Compare<R: Read> {
    stored: std::io::BufReader<R>,
    buf: Vec<u8>,
    same: bool,
}

impl<R: Read> std::io::Write for Compare<R> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.same {
            self.buf.resize(data.len(), 0);
            self.same = self.stored.read_exact(&mut self.buf).is_ok() && self.buf == data;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<R: Read> Compare<R> {
    /// Whether the stored file had exactly the bytes written, and no more.
    fn finish(mut self) -> bool {
        self.same && matches!(self.stored.read(&mut [0u8; 1]), Ok(0))
    }
}
