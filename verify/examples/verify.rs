//! Verifies a bundle directory with nothing but this crate, as `dualdraw verify` does.
//!
//! Usage: cargo run -p dualdraw-verify --example verify -- BUNDLE
//!
//! Exit 0 and the summary on stdout; 1 and the first difference (with where it is) on stderr.

use dualdraw_verify::{verify, Directory, LogEvidence, Stage};

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: verify BUNDLE");
        std::process::exit(2);
    };
    match verify(&Directory::new(dir)) {
        Ok(verdict) => {
            println!("{verdict}");
            // The verdict is typed: what a program checking draws would look at.
            eprintln!("method:     {}", verdict.method.id());
            eprintln!("batch:      {}", verdict.batch);
            eprintln!(
                "population: {} enterprises, root {}",
                verdict.population_size, verdict.population_root
            );
            if let Stage::Verified { seed, counts } = &verdict.stage {
                eprintln!("seed:       {}", hex(seed));
                eprintln!(
                    "selections: {}, visits: {}",
                    counts.selections, counts.visits
                );
            }
            if let LogEvidence::Logged(log) = &verdict.log {
                eprintln!(
                    "log:        {} leaf {} in checkpoint {} ({} cosignatures)",
                    log.event, log.leaf, log.checkpoint, log.cosigned
                );
            }
        }
        Err(difference) => {
            eprintln!("verification failed: {difference}");
            if let Some(file) = &difference.file {
                let line = difference
                    .line
                    .map(|l| format!(", line {l}"))
                    .unwrap_or_default();
                let field = difference
                    .field
                    .as_deref()
                    .map(|f| format!(", field {f}"))
                    .unwrap_or_default();
                eprintln!("where:      {file}{line}{field}");
            }
            std::process::exit(1);
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
