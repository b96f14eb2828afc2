//! The draw's state under concurrency and after interruptions (`docs/draw-state.md`): two
//! steps on one batch, through the CLI or the HTTP API, on both databases: exactly one wins and
//! the bundle keeps its plan; the secret is the operator's alone until the reveal; CLI draws on
//! a database are audited; an interrupted prepare or run is undone and can be taken again.

mod common;
use dualdraw::auth::Role;
use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/demo");
const TASKS: &str = "id,department,group,items,regions,industries,quota_a,quota_b,quota_c,quota_d,period_from,period_to\n\
SCJG-G,SCJG,joint,SCJG-001,,,1/2,1/2,1/2,1/2,1,4\n\
STHJ-G,STHJ,joint,STHJ-001,,,1/2,1/2,1/2,1/2,1,4\n";
const POLICY: &str = "key,value\nyear,2026\nas_of,2026-01-01\nperiods,quarter\nvisit_cap_a,1\nvisit_cap_b,1\nvisit_cap_c,2\nvisit_cap_d,4\ninspectors_per_department,2\nexclusion_months,12\n";

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// `dualdraw` with `args`, against `db` (a URL) when given.
fn dualdraw(db: Option<&str>, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dualdraw"));
    // Without a database: a SQLite file that does not exist, which the CLI never creates for a
    // step on a bundle.
    let url = db.unwrap_or("sqlite:///nonexistent-dualdraw-test/none.db");
    c.args(args)
        .env("RUST_LOG", "warn")
        .env("DATABASE_URL", url);
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    c
}

/// Starts two `draw run` of `bundle` together, with different lottery values; returns the
/// outputs and which value each was given.
fn two_runs(db: Option<&str>, bundle: &str, entropy: &[&str; 2]) -> Vec<(Output, String)> {
    let children: Vec<_> = entropy
        .iter()
        .map(|e| {
            let child = dualdraw(db, &["draw", "run", bundle, "--entropy", e])
                .spawn()
                .unwrap();
            (child, e.to_string())
        })
        .collect();
    children
        .into_iter()
        .map(|(c, e)| (c.wait_with_output().unwrap(), e))
        .collect()
}

/// Exactly one run won; the loser was told why; the bundle holds the winner's entropy.
fn one_winner(outs: &[(Output, String)], bundle: &Path) {
    let won: Vec<_> = outs.iter().filter(|(o, _)| o.status.success()).collect();
    assert_eq!(won.len(), 1, "exactly one run wins: {outs:?}");
    let lost = outs.iter().find(|(o, _)| !o.status.success()).unwrap();
    assert_eq!(lost.0.status.code(), Some(2), "{}", text(&lost.0));
    let why = text(&lost.0);
    assert!(
        why.contains("already run") || why.contains("in progress"),
        "the loser is told why: {why}"
    );
    let entropy: Value =
        serde_json::from_str(&std::fs::read_to_string(bundle.join("entropy.json")).unwrap())
            .unwrap();
    let numbers: Vec<String> = entropy["sources"][0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.to_string())
        .collect();
    assert_eq!(
        numbers.join(" "),
        won[0].1,
        "the bundle keeps the winner's draw"
    );
}

#[test]
fn two_cli_runs_of_an_offline_bundle_one_wins() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("q1");
    let b = bundle.to_str().unwrap();
    let out = dualdraw(None, &["draw", "prepare", "--from", DEMO, "--out", b])
        .args([
            "--batch",
            "Q1",
            "--allow-past-entropy",
            "--source",
            "lottery:x:1:2026-01-01",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let outs = two_runs(None, b, &["1 2 3", "4 5 6"]);
    one_winner(&outs, &bundle);
    let out = dualdraw(None, &["draw", "reveal", b]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let out = dualdraw(None, &["verify", b]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn an_interrupted_offline_run_leaves_nothing_the_next_run_keeps() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("q1");
    let b = bundle.to_str().unwrap();
    let out = dualdraw(None, &["draw", "prepare", "--from", DEMO, "--out", b])
        .args([
            "--batch",
            "Q1",
            "--allow-past-entropy",
            "--source",
            "lottery:x:1:2026-01-01",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    // A run killed while renaming its files into place, before its manifest: some plan files
    // in the bundle, the rest in staging; the manifest still says committed.
    std::fs::create_dir_all(bundle.join("plan")).unwrap();
    std::fs::write(bundle.join("plan/visits.csv"), "visit\n").unwrap();
    std::fs::write(bundle.join("entropy.json"), "{}\n").unwrap();
    let staging = dir.path().join(".dualdraw/q1.staging");
    std::fs::create_dir_all(&staging).unwrap();
    std::fs::write(staging.join("teams.csv"), "x\n").unwrap();
    let out = dualdraw(None, &["verify", b]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "leftovers are not part of the bundle"
    );

    let out = dualdraw(None, &["draw", "run", b, "--entropy", "1 2 3"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the run is taken again: {}",
        text(&out)
    );
    assert!(!staging.exists());
    let out = dualdraw(None, &["draw", "reveal", b]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let out = dualdraw(None, &["verify", b]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

/// The audit log's entries whose action starts with `draw.`, as (action, subject, actor).
async fn draw_entries(app: &common::TestApp) -> Vec<(String, String, String)> {
    let admin = app.token(Role::Admin, None).await;
    let (_, log) = app.get_json_as("/api/v1/audit?limit=1000", &admin).await;
    log.as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("draw."))
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap().to_string();
            (s("action"), s("subject"), s("actor"))
        })
        .collect()
}

both!(cli_draws_on_a_database_take_turns_and_are_audited, |app| {
    app.load_fixtures().await;
    std::fs::write(app.dir.path().join("tasks.csv"), TASKS).unwrap();
    std::fs::write(app.dir.path().join("policy.csv"), POLICY).unwrap();
    let bundle = app.dir.path().join("cli-q1");
    let b = bundle.to_str().unwrap();
    let (tasks, policy) = (
        app.dir.path().join("tasks.csv"),
        app.dir.path().join("policy.csv"),
    );
    let prepare = [
        "draw",
        "prepare",
        "--out",
        b,
        "--batch",
        "cli-q1",
        "--allow-past-entropy",
        "--source",
        "lottery:x:1:2026-01-01",
        "--tasks",
        tasks.to_str().unwrap(),
        "--policy",
        policy.to_str().unwrap(),
    ];
    let out = dualdraw(Some(&app.url), &prepare).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let again = dualdraw(Some(&app.url), &prepare).output().unwrap();
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));

    let outs = two_runs(Some(&app.url), b, &["1 2 3", "4 5 6"]);
    one_winner(&outs, &bundle);
    let out = dualdraw(Some(&app.url), &["draw", "reveal", b])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));

    let (_, list) = app.get_json("/api/v1/draws").await;
    assert_eq!(list[0]["batch"], "cli-q1");
    assert_eq!(
        list[0]["state"], "revealed",
        "the row follows the CLI's steps"
    );
    let entries = draw_entries(app).await;
    let expected: Vec<(String, String, String)> = ["draw.committed", "draw.run", "draw.revealed"]
        .iter()
        .map(|a| (a.to_string(), "cli-q1".to_string(), "cli".to_string()))
        .collect();
    assert_eq!(entries, expected, "one entry per step, the losing run none");
});

async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn prepare_over_http(app: &common::TestApp, planner: &str, batch: &str) -> (u16, Value) {
    let body = json!({ "batch": batch, "sources": ["lottery:福彩3D:2026001:2026-01-02"], "allow_past_entropy": true, "tasks_csv": TASKS, "policy_csv": POLICY });
    send(app.post("/api/v1/draws").bearer_auth(planner).json(&body)).await
}

both!(concurrent_http_steps_on_one_draw_one_wins, |app| {
    app.load_fixtures().await;
    let planner = app.token(Role::Planner, None).await;
    let (a, b) = tokio::join!(
        prepare_over_http(app, &planner, "Q1"),
        prepare_over_http(app, &planner, "Q1")
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [201, 409], "{a:?} {b:?}");

    let run = |e: &'static str| {
        app.post("/api/v1/draws/Q1/run")
            .bearer_auth(&planner)
            .json(&json!({ "entropy": [e] }))
    };
    let (a, b) = tokio::join!(send(run("1 2 3")), send(run("4 5 6")));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{a:?} {b:?}");
    let winner = if a.0 == 200 { "[1,2,3]" } else { "[4,5,6]" };

    let reveal = || app.post("/api/v1/draws/Q1/reveal").bearer_auth(&planner);
    let (a, b) = tokio::join!(send(reveal()), send(reveal()));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{a:?} {b:?}");

    let (status, entropy) = send(app.get("/api/v1/draws/Q1/files/entropy.json")).await;
    assert_eq!(status, 200);
    assert_eq!(entropy["sources"][0]["values"].to_string(), winner);
    let (_, one) = app.get_json("/api/v1/draws/Q1").await;
    assert_eq!(one["verification"]["ok"], true, "{one}");
    let actions: Vec<String> = draw_entries(app).await.into_iter().map(|e| e.0).collect();
    assert_eq!(actions, ["draw.committed", "draw.run", "draw.revealed"]);
});

both!(the_secret_is_the_operators_alone_until_the_reveal, |app| {
    app.load_fixtures().await;
    let planner = app.token(Role::Planner, None).await;
    let (status, body) = prepare_over_http(app, &planner, "Q1").await;
    assert_eq!(status, 201, "{body}");
    let private = app.dir.path().join("bundles/.dualdraw");
    let kept = private.join("Q1.secret");
    assert_eq!(mode(&kept), 0o600);
    assert_eq!(mode(&private), 0o700);
    let secret = std::fs::read_to_string(&kept).unwrap();

    for path in [
        "secret.txt",
        "../.dualdraw/Q1.secret",
        "..%2F.dualdraw%2FQ1.secret",
    ] {
        let (status, body) = send(app.get(&format!("/api/v1/draws/Q1/files/{path}"))).await;
        assert!(status == 404 || status == 400, "{path}: {status} {body}");
        assert!(!body.to_string().contains(secret.trim()));
    }
    let (status, _) = send(app.get("/api/v1/draws/.dualdraw")).await;
    assert!(
        status == 404 || status == 422,
        "the private directory is no batch"
    );
    let (status, _) = send(
        app.post("/api/v1/draws/Q1/run")
            .bearer_auth(&planner)
            .json(&json!({ "entropy": ["1 2 3"] })),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = send(app.get("/api/v1/draws/Q1/files/secret.txt")).await;
    assert_eq!(status, 404, "not published before the reveal");

    let (status, _) = send(app.post("/api/v1/draws/Q1/reveal").bearer_auth(&planner)).await;
    assert_eq!(status, 200);
    let (status, published) = send(app.get("/api/v1/draws/Q1/files/secret.txt")).await;
    assert_eq!(status, 200);
    assert_eq!(published.as_str().unwrap(), secret);
    assert!(!kept.exists(), "the kept copy is removed after the reveal");
});

both!(an_interrupted_run_is_undone_and_taken_again, |app| {
    app.load_fixtures().await;
    let planner = app.token(Role::Planner, None).await;
    let (status, body) = prepare_over_http(app, &planner, "Q1").await;
    assert_eq!(status, 201, "{body}");
    let bundle = app.dir.path().join("bundles/Q1");
    // What a run killed after renaming its files into place and before its commit leaves: a
    // bundle whose manifest says "run" while the row says "committed", and a staging leftover.
    let out = dualdraw(
        None,
        &[
            "draw",
            "run",
            bundle.to_str().unwrap(),
            "--entropy",
            "9 9 9",
        ],
    )
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let staging = app.dir.path().join("bundles/.dualdraw/Q1.staging");
    std::fs::create_dir_all(staging.join("plan")).unwrap();
    std::fs::write(staging.join("plan/visits.csv"), "junk\n").unwrap();
    let (_, one) = app.get_json("/api/v1/draws/Q1").await;
    assert_eq!(one["state"], "committed", "the row is the state");
    let (status, _) = send(app.get("/api/v1/draws/Q1/files/plan/visits.csv")).await;
    assert_eq!(status, 403, "the unrecorded plan is not served");

    let (status, body) = send(
        app.post("/api/v1/draws/Q1/run")
            .bearer_auth(&planner)
            .json(&json!({ "entropy": ["1 2 3"] })),
    )
    .await;
    assert_eq!(status, 200, "the interrupted run is taken again: {body}");
    assert!(!staging.exists(), "the staging leftover is removed");
    let (status, _) = send(app.post("/api/v1/draws/Q1/reveal").bearer_auth(&planner)).await;
    assert_eq!(status, 200);
    let (_, entropy) = send(app.get("/api/v1/draws/Q1/files/entropy.json")).await;
    assert_eq!(entropy["sources"][0]["values"], json!([1, 2, 3]));
    let out = dualdraw(None, &["verify", bundle.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
});

both!(
    an_unrecorded_bundle_is_set_aside_by_the_next_prepare,
    |app| {
        app.load_fixtures().await;
        let planner = app.token(Role::Planner, None).await;
        // What a prepare killed after renaming its bundle into place and before its commit leaves.
        let bundles = app.dir.path().join("bundles");
        std::fs::create_dir_all(&bundles).unwrap();
        let stale = bundles.join("Q1");
        let out = dualdraw(None, &["draw", "prepare", "--from", DEMO, "--out"])
            .args([
                stale.to_str().unwrap(),
                "--batch",
                "Q1",
                "--allow-past-entropy",
                "--source",
                "lottery:x:1:2026-01-01",
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        let stale_commitment = std::fs::read_to_string(stale.join("commitment.json")).unwrap();

        let (status, body) = prepare_over_http(app, &planner, "Q1").await;
        assert_eq!(status, 201, "{body}");
        let fresh = std::fs::read_to_string(stale.join("commitment.json")).unwrap();
        assert_ne!(
            fresh, stale_commitment,
            "the bundle is the recorded prepare's"
        );
        let aside: Vec<_> = std::fs::read_dir(bundles.join(".dualdraw"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("Q1.unrecorded-"))
            .collect();
        assert_eq!(
            aside.len(),
            1,
            "the unrecorded bundle is kept aside, not deleted"
        );

        // A directory that is no bundle of this batch is never touched.
        std::fs::create_dir_all(bundles.join("Q2")).unwrap();
        let (status, body) = prepare_over_http(app, &planner, "Q2").await;
        assert_eq!(status, 409, "{body}");
        let (status, _) = send(app.get("/api/v1/draws/Q2")).await;
        assert_eq!(status, 404, "a refused prepare records nothing");
    }
);
