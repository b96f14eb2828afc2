//! The soak campaign's load (`docs/http-limits.md`, "Soak campaign"): N clients for a fixed
//! time against a running `dualdraw serve`, mixing reads, repair steps, small imports (some
//! invalid, expected 422) and small draws. Prints per-kind counts and latencies as JSON on
//! stdout; exits 1 on any unexpected status or any 5xx. Run by `benches/soak.sh`.
//!
//! Usage: soak BASE_URL ADMIN CREDIT PLANNER DEMO_DIR [CLIENTS] [SECONDS]

mod work;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use work::{Outcome, World};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 5 {
        eprintln!("usage: soak BASE_URL ADMIN CREDIT PLANNER DEMO_DIR [CLIENTS] [SECONDS]");
        std::process::exit(2);
    }
    let clients: u64 = args.get(5).map_or(64, |a| a.parse().expect("CLIENTS"));
    let seconds: u64 = args.get(6).map_or(300, |a| a.parse().expect("SECONDS"));
    let world = Arc::new(world(&args).await);
    eprintln!(
        "soak: {clients} clients for {seconds} s against {} ({} enterprises)",
        world.base,
        world.usccs.len()
    );
    let until = Instant::now() + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..clients)
        .map(|c| tokio::spawn(client(world.clone(), c, until)))
        .collect();
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.extend(t.await.expect("a client panicked"));
    }
    let clean = report(&outcomes, clients, seconds);
    std::process::exit(if clean { 0 } else { 1 });
}

async fn world(args: &[String]) -> World {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    let base = args[0].trim_end_matches('/').to_string();
    let export = client
        .get(format!("{base}/api/v1/exports/enterprises"))
        .bearer_auth(&args[1])
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .expect("export the enterprises");
    let text = export.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .collect::<Vec<_>>()
        .join(",");
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    let demo = std::path::Path::new(&args[4]);
    let tasks = std::fs::read_to_string(demo.join("tasks.csv")).expect("demo tasks.csv");
    World {
        base,
        client,
        admin: args[1].clone(),
        credit: args[2].clone(),
        planner: args[3].clone(),
        usccs: rows.iter().map(|r| r[0].clone()).collect(),
        header,
        rows: rows.into_iter().take(2000).collect(),
        // Two tasks of the demo city: a small batch.
        tasks_csv: tasks.lines().take(3).map(|l| format!("{l}\n")).collect(),
        policy_csv: std::fs::read_to_string(demo.join("policy.csv")).expect("demo policy.csv"),
    }
}

/// One client: operations drawn from a fixed mix until the time is up.
async fn client(world: Arc<World>, id: u64, until: Instant) -> Vec<Outcome> {
    let mut rng = StdRng::seed_from_u64(id);
    let mut out = Vec::new();
    let mut n = 0u64;
    while Instant::now() < until {
        n += 1;
        let tag = format!("{id}-{n}");
        match rng.gen_range(0..1000) {
            0..=699 => world.read(&mut rng, &mut out).await,
            700..=829 => world.repair(&mut rng, &tag, &mut out).await,
            830..=979 => world.import(&mut rng, &tag, &mut out).await,
            980..=994 => world.draw(&tag, &mut out).await,
            _ => world.verify_audit(&mut out).await,
        }
    }
    out
}

/// Prints the figures; true when nothing was unexpected and nothing was 5xx.
fn report(outcomes: &[Outcome], clients: u64, seconds: u64) -> bool {
    let mut by_kind: BTreeMap<&str, Vec<&Outcome>> = BTreeMap::new();
    for o in outcomes {
        by_kind.entry(o.kind).or_default().push(o);
    }
    let mut kinds = serde_json::Map::new();
    for (kind, list) in &by_kind {
        let mut statuses: BTreeMap<String, u64> = BTreeMap::new();
        for o in list {
            *statuses.entry(o.status.to_string()).or_default() += 1;
        }
        let micros: Vec<u64> = list.iter().map(|o| o.micros).collect();
        kinds.insert(
            kind.to_string(),
            json!({ "requests": list.len(), "statuses": statuses,
                    "p50_ms": ms(percentile(&micros, 50)), "p99_ms": ms(percentile(&micros, 99)) }),
        );
    }
    let all: Vec<u64> = outcomes.iter().map(|o| o.micros).collect();
    let server_errors = outcomes.iter().filter(|o| o.status >= 500).count();
    let unexpected: Vec<&String> = outcomes
        .iter()
        .filter_map(|o| o.unexpected.as_ref())
        .collect();
    let summary = json!({
        "clients": clients, "seconds": seconds, "requests": outcomes.len(),
        "requests_per_second": outcomes.len() as u64 / seconds.max(1),
        "p50_ms": ms(percentile(&all, 50)), "p99_ms": ms(percentile(&all, 99)),
        "responses_5xx": server_errors, "unexpected": unexpected.len(),
        "first_unexpected": unexpected.iter().take(10).collect::<Vec<_>>(),
        "kinds": kinds,
    });
    println!("{}", serde_json::to_string_pretty(&summary).unwrap());
    server_errors == 0 && unexpected.is_empty()
}

fn percentile(values: &[u64], p: usize) -> u64 {
    if values.is_empty() {
        return 0;
    }
    let mut v = values.to_vec();
    v.sort_unstable();
    v[(v.len() * p / 100).min(v.len() - 1)]
}

fn ms(micros: u64) -> f64 {
    (micros as f64 / 100.0).round() / 10.0
}
