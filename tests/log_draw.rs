//! The draw steps and the public log together (`docs/log.md` §7, §8), on both databases: prepare
//! refuses entropy that may be public, run waits until two witnesses on loopback cosigned the
//! commitment, the bundle carries its evidence and both verifiers (Rust and Python) state the
//! commitment and source times; an abandoned batch is public and its name never reused.

mod common;

use dualdraw::credit::rules::RuleTable;
use dualdraw::draw::bundle::Bundle;
use dualdraw::draw::run::StepError;
use dualdraw::draw::steps::{self, Directories, Method, NewBatch, Step};
use dualdraw::log::cosigning::Policy;
use dualdraw::log::monitor::{self, Options, Source};
use dualdraw::log::witness::{router, Witness};
use dualdraw::log::{publish, LogConfig};
use dualdraw_solver::tlog::history::Flag;
use dualdraw_solver::tlog::note::{PrivateKey, VerifierKey, TYPE_COSIGNATURE, TYPE_ED25519};
use std::path::Path;
use std::sync::Arc;

const TASKS: &str = "id,department,group,items,regions,industries,quota_a,quota_b,quota_c,quota_d,period_from,period_to\n\
SCJG-G,SCJG,joint,SCJG-001,,,1/2,1/2,1/2,1/2,1,4\n";
const POLICY: &str = "key,value\nyear,2026\nas_of,2026-01-01\nperiods,quarter\nvisit_cap_a,1\nvisit_cap_b,1\nvisit_cap_c,2\nvisit_cap_d,4\ninspectors_per_department,2\nexclusion_months,12\n";

async fn spawn_witness(n: u8, log: VerifierKey, state: &Path) -> (String, PrivateKey) {
    let key =
        PrivateKey::from_seed(&format!("witness.test/w{n}"), TYPE_COSIGNATURE, [n; 32]).unwrap();
    let w = Witness::open(key.clone(), vec![log], state.to_path_buf()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router(Arc::new(w))).await.unwrap() });
    (url, key)
}

fn future_lottery() -> String {
    let day = chrono::Utc::now().date_naive() + chrono::Days::new(3);
    format!("lottery:福彩3D:2026999:{day}")
}

async fn prepare(
    app: &common::TestApp,
    dir: &str,
    batch: &str,
    source: &str,
) -> Result<steps::Prepared, StepError> {
    let rules = RuleTable::builtin();
    steps::prepare(NewBatch {
        bundle: Bundle::new(app.dir.path().join(dir)),
        batch: batch.into(),
        sources: vec![source.into()],
        method: Method::Dr1,
        from: Directories::Db {
            db: &app.db,
            rules: &rules,
            policy: POLICY.into(),
            tasks: TASKS.into(),
            history: dualdraw_solver::inputs::empty_history(),
        },
        actor: "test".into(),
        allow_past_entropy: false,
    })
    .await
}

fn step<'a>(app: &'a common::TestApp, dir: &str) -> Step<'a> {
    Step {
        db: Some(&app.db),
        bundle: Bundle::new(app.dir.path().join(dir)),
        actor: "test".into(),
    }
}

both!(a_logged_draw_proves_its_commitment_came_first, |app| {
    app.load_fixtures().await;
    let log = PrivateKey::from_seed("dualdraw.test/log", TYPE_ED25519, [9; 32]).unwrap();
    let (u1, k1) = spawn_witness(1, log.verifier(), &app.dir.path().join("w1.json")).await;
    let (u2, k2) = spawn_witness(2, log.verifier(), &app.dir.path().join("w2.json")).await;
    let policy = format!("{u1} {}\n{u2} {}\n", k1.verifier(), k2.verifier());
    let cfg = LogConfig {
        key: log.clone(),
        jurisdiction: "default".into(),
        policy: Policy::parse(&policy, "witnesses.txt", None).unwrap(),
        margin_seconds: 3600,
    };
    publish::start(&app.db, &cfg).await.unwrap();

    // A drand round of 2023 is public: refused, with the source and its time.
    let past = prepare(app, "old", "2026-Q0", "drand:quicknet:1000")
        .await
        .err()
        .unwrap();
    assert!(
        matches!(&past, StepError::Input(m) if m.contains("drand quicknet round 1000 may be public from 2023-08-23T")),
        "{past}"
    );
    assert!(!app.dir.path().join("old").exists());

    prepare(app, "q1", "2026-Q1", &future_lottery())
        .await
        .unwrap();
    // Not yet in a cosigned checkpoint: the run waits.
    let wait = steps::run(step(app, "q1"), vec!["1 2 3".into()], None)
        .await
        .err()
        .unwrap();
    assert!(
        matches!(&wait, StepError::State(m) if m.starts_with("not run: the commitment is not in a signed checkpoint yet")),
        "{wait}"
    );
    publish::publish(&app.db, &cfg).await.unwrap();
    steps::run(step(app, "q1"), vec!["1 2 3".into()], None)
        .await
        .unwrap();
    let bundle = app.dir.path().join("q1");
    assert!(bundle.join("log/prepare.json").exists() && bundle.join("log/keys.json").exists());
    publish::publish(&app.db, &cfg).await.unwrap();
    steps::reveal(step(app, "q1"), None).await.unwrap();
    assert!(bundle.join("log/run.json").exists());
    let summary = dualdraw::draw::verify::verify(&Bundle::new(&bundle)).unwrap();
    assert!(summary.contains("; logged in jurisdiction default: prepare leaf 0 in checkpoint 1 cosigned by 2 witnesses (quorum 2), run leaf 1 in checkpoint 2 (consistent with checkpoint 1); commitment time "), "{summary}");
    assert!(
        summary.contains(", before the first source time ")
            && summary.contains("sources: lottery 福彩3D 2026999 of "),
        "{summary}"
    );
    let py = std::process::Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/verifiers/python/verify_dr1.py"
        ))
        .arg(&bundle)
        .output()
        .unwrap();
    let py_out = String::from_utf8_lossy(&py.stdout);
    assert!(
        py.status.success(),
        "{py_out}{}",
        String::from_utf8_lossy(&py.stderr)
    );
    let tail = summary.split_once("; logged in").unwrap().1;
    assert!(py_out.contains(tail), "python: {py_out}\nrust: {summary}");

    // The run evidence carries the consistency proof from the commitment's checkpoint to its
    // own; a tampered proof fails both verifiers, naming it.
    let run_ev = std::fs::read_to_string(bundle.join("log/run.json")).unwrap();
    let parsed = dualdraw_solver::tlog::evidence::Evidence::parse(&run_ev).unwrap();
    assert_eq!(
        parsed.consistency.as_ref().map(Vec::len),
        Some(1),
        "{run_ev}"
    );
    let tampered = app.dir.path().join("q1-tampered");
    copy_dir(&bundle, &tampered);
    let mut bad = parsed.clone();
    bad.consistency.as_mut().unwrap()[0][0] ^= 1;
    rewrite(&tampered, "log/run.json", &bad.to_text());
    let failed = dualdraw::draw::verify::verify(&Bundle::new(&tampered)).unwrap_err();
    assert!(
        failed.to_string().contains(
            "log/run.json: consistency proof from checkpoint 1 to checkpoint 2 does not verify"
        ),
        "{failed}"
    );
    let py = std::process::Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/verifiers/python/verify_dr1.py"
        ))
        .arg(&tampered)
        .output()
        .unwrap();
    assert_eq!(py.status.code(), Some(1));
    let py_err = String::from_utf8_lossy(&py.stderr);
    assert!(
        py_err.contains(
            "log/run.json: consistency proof from checkpoint 1 to checkpoint 2 does not verify"
        ),
        "{py_err}"
    );
    // The JavaScript verifier states and refuses the same (skipped where node is missing,
    // outside CI, as tests/js_verifier.rs does).
    let node = |dir: &Path| {
        std::process::Command::new("node")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/web/verifier/cli.mjs"))
            .arg(dir)
            .output()
    };
    match node(&bundle) {
        Ok(js) => {
            let js_out = String::from_utf8_lossy(&js.stdout);
            assert!(
                js.status.success(),
                "{js_out}{}",
                String::from_utf8_lossy(&js.stderr)
            );
            assert!(
                js_out.contains(tail),
                "javascript: {js_out}\nrust: {summary}"
            );
            let js = node(&tampered).unwrap();
            assert_eq!(js.status.code(), Some(1));
            let js_err = String::from_utf8_lossy(&js.stderr);
            assert!(
                js_err.contains("log/run.json: consistency proof from checkpoint 1 to checkpoint 2 does not verify"),
                "{js_err}"
            );
        }
        Err(e) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("SKIPPED: the JavaScript verifier, node not found ({e})")
        }
        Err(e) => panic!("node not found, and CI=true: {e}"),
    }

    // Evidence whose cosignature was tampered with fails both.
    let ev = bundle.join("log/prepare.json");
    let text = std::fs::read_to_string(&ev).unwrap();
    let i = text.find("witness.test/w2 ").unwrap() + "witness.test/w2 ".len() + 12;
    let c = if &text[i..i + 1] == "A" { "B" } else { "A" };
    std::fs::write(&ev, format!("{}{c}{}", &text[..i], &text[i + 1..])).unwrap();
    let manifest = std::fs::read_to_string(bundle.join("manifest.json")).unwrap();
    let old = dualdraw::draw::bundle::sha256_hex(text.as_bytes());
    let new = dualdraw::draw::bundle::sha256_hex(std::fs::read(&ev).unwrap().as_slice());
    std::fs::write(bundle.join("manifest.json"), manifest.replace(&old, &new)).unwrap();
    let failed = dualdraw::draw::verify::verify(&Bundle::new(&bundle)).unwrap_err();
    assert!(
        failed.to_string().contains("log/prepare.json: cosignature"),
        "{failed}"
    );

    // Abandoned in public, its name never reused.
    prepare(app, "q2", "2026-Q2", &future_lottery())
        .await
        .unwrap();
    steps::abandon(&app.db, "2026-Q2", "名录未更新", "test")
        .await
        .unwrap();
    let again = prepare(app, "q2-again", "2026-Q2", &future_lottery())
        .await
        .err()
        .unwrap();
    assert!(matches!(again, StepError::Exists(_)), "{again}");
    publish::publish(&app.db, &cfg).await.unwrap();
    let opts = Options {
        log_key: Some(log.verifier()),
        witnesses: cfg.policy.keys(),
        state: app.dir.path().join("m.json"),
    };
    let report = monitor::check(&Source::new(&format!("{}/log", app.base)), &opts)
        .await
        .unwrap();
    assert_eq!(report.cosigned.len(), 2);
    let q2 = report
        .batches
        .iter()
        .find(|b| b.batch == "2026-Q2")
        .unwrap();
    assert_eq!(q2.flags, vec![Flag::Abandoned("名录未更新".into())]);
    let q1 = report
        .batches
        .iter()
        .find(|b| b.batch == "2026-Q1")
        .unwrap();
    assert_eq!(q1.events.len(), 3);
    assert!(q1.flags.is_empty());
    app.db.pool.close().await;
});

const MONTHS: &str = "key,value\nyear,2026\nas_of,2026-01-01\nperiods,month\nvisit_cap_a,1\nvisit_cap_b,1\nvisit_cap_c,2\nvisit_cap_d,4\ninspectors_per_department,2\nexclusion_months,12\n";

/// The size and root of the log's latest signed checkpoint, and the number of leaves.
async fn signed_and_size(app: &common::TestApp) -> (i64, i64) {
    let (signed,): (Option<i64>,) = sqlx::query_as("SELECT MAX(size) FROM log_checkpoints")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let (size,): (i64,) = sqlx::query_as("SELECT size FROM log_head WHERE id = 1")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    (signed.unwrap_or(0), size)
}

both!(a_cli_replan_publishes_its_checkpoint_at_once, |app| {
    app.load_fixtures().await;
    let dir = app.dir.path();
    let key = dir.join("keys/log.key");
    let cli = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_dualdraw"))
            .args(args)
            .env("DATABASE_URL", &app.url)
            .env("DUALDRAW_LOG_KEY", &key)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let tasks = TASKS.replace(",1,4\n", ",1,12\n");
    std::fs::write(dir.join("tasks.csv"), &tasks).unwrap();
    std::fs::write(dir.join("policy.csv"), MONTHS).unwrap();
    let (old, new) = (dir.join("plan"), dir.join("plan-r1"));
    let s = |p: &Path| p.to_str().unwrap().to_string();
    cli(&[
        "draw",
        "prepare",
        "--out",
        &s(&old),
        "--batch",
        "2026-plan",
        "--method",
        "dr2",
        "--tasks",
        &s(&dir.join("tasks.csv")),
        "--policy",
        &s(&dir.join("policy.csv")),
        "--allow-past-entropy",
        "--source",
        "lottery:福彩3D:2026001:2026-01-02",
    ]);
    cli(&["draw", "run", &s(&old), "--entropy", "3 7 1"]);
    cli(&["draw", "reveal", &s(&old)]);
    assert_eq!(signed_and_size(app).await, (3, 3), "prepare, run, reveal");

    // The re-plan reads the same city from a directory.
    let city = dir.join("city");
    std::fs::create_dir(&city).unwrap();
    for f in [
        "enterprises.csv",
        "items.csv",
        "inspectors.csv",
        "conflicts.csv",
    ] {
        std::fs::copy(common::fixture(f), city.join(f)).unwrap();
    }
    std::fs::write(city.join("tasks.csv"), &tasks).unwrap();
    std::fs::write(city.join("policy.csv"), MONTHS).unwrap();
    cli(&[
        "plan",
        "replan",
        &s(&old),
        "--from",
        &s(&city),
        "--out",
        &s(&new),
        "--batch",
        "2026-plan-r1",
        "--pinned-through",
        "6",
    ]);
    assert_eq!(
        signed_and_size(app).await,
        (4, 4),
        "the replan's event is in a signed checkpoint when the command ends"
    );
    let (leaf,): (String,) = sqlx::query_as("SELECT leaf FROM log_entries WHERE idx = 3")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert!(
        leaf.contains("\"event\":\"replan\"") && leaf.contains("\"batch\":\"2026-plan-r1\""),
        "{leaf}"
    );
    app.db.pool.close().await;
});

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// Replaces a file of a bundle and its digest in the manifest.
fn rewrite(bundle: &Path, rel: &str, text: &str) {
    let old = std::fs::read(bundle.join(rel)).unwrap();
    std::fs::write(bundle.join(rel), text).unwrap();
    let manifest = std::fs::read_to_string(bundle.join("manifest.json")).unwrap();
    let (old, new) = (
        dualdraw::draw::bundle::sha256_hex(&old),
        dualdraw::draw::bundle::sha256_hex(text.as_bytes()),
    );
    assert!(manifest.contains(&old));
    std::fs::write(bundle.join("manifest.json"), manifest.replace(&old, &new)).unwrap();
}
