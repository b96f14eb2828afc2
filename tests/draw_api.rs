//! Draws in the service over HTTP, on both databases: a planner prepares from the database,
//! runs and reveals; the commitment is public at once, the plan only after the reveal.

mod common;
use dualdraw::auth::Role;
use serde_json::{json, Value};

const TASKS: &str = "id,department,group,items,regions,industries,quota_a,quota_b,quota_c,quota_d,period_from,period_to\n\
SCJG-G,SCJG,joint,SCJG-001,,,1/2,1/2,1/2,1/2,1,4\n\
STHJ-G,STHJ,joint,STHJ-001,,,1/2,1/2,1/2,1/2,1,4\n";
const POLICY: &str = "key,value\nyear,2026\nas_of,2026-01-01\nperiods,quarter\nvisit_cap_a,1\nvisit_cap_b,1\nvisit_cap_c,2\nvisit_cap_d,4\ninspectors_per_department,2\nexclusion_months,12\n";

async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn new_draw(batch: &str, tasks: &str) -> Value {
    json!({ "batch": batch, "sources": ["lottery:福彩3D:2026001:2026-01-02"], "allow_past_entropy": true, "tasks_csv": tasks, "policy_csv": POLICY })
}

both!(a_planner_prepares_runs_and_reveals_a_draw, |app| {
    app.load_fixtures().await;
    let planner = app.token(Role::Planner, None).await;
    let enterprise = app
        .token(Role::Enterprise, Some("91440305MA5DA00044"))
        .await;
    let (status, _) = send(app.post("/api/v1/draws").json(&new_draw("2026-Q1", TASKS))).await;
    assert_eq!(status, 401);
    let (status, _) = send(
        app.post("/api/v1/draws")
            .bearer_auth(&enterprise)
            .json(&new_draw("2026-Q1", TASKS)),
    )
    .await;
    assert_eq!(status, 403);

    let (status, body) = send(
        app.post("/api/v1/draws")
            .bearer_auth(&planner)
            .json(&new_draw("2026-Q1", TASKS)),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["state"], "committed");
    assert_eq!(body["commitment_sha256"].as_str().unwrap().len(), 64);
    let (status, _) = send(
        app.post("/api/v1/draws")
            .bearer_auth(&planner)
            .json(&new_draw("2026-Q1", TASKS)),
    )
    .await;
    assert_eq!(status, 409, "a batch is prepared once");

    let (status, population) =
        send(app.get("/api/v1/draws/2026-Q1/files/inputs/population.csv")).await;
    assert_eq!(status, 200);
    assert_eq!(
        population.as_str().unwrap().lines().count(),
        12,
        "11 operating enterprises and the header"
    );

    let (status, run) = send(
        app.post("/api/v1/draws/2026-Q1/run")
            .bearer_auth(&planner)
            .json(&json!({ "entropy": ["3 7 1"] })),
    )
    .await;
    assert_eq!(status, 200, "{run}");
    let (status, _) = send(app.get("/api/v1/draws/2026-Q1/files/plan/visits.csv")).await;
    assert_eq!(status, 403, "the plan is not public before the reveal");
    let (status, again) = send(
        app.post("/api/v1/draws/2026-Q1/run")
            .bearer_auth(&planner)
            .json(&json!({ "entropy": ["4 7 1"] })),
    )
    .await;
    assert_eq!(status, 409, "a batch is drawn once: {again}");
    assert_eq!(again["code"], "conflict");
    assert!(
        again["message"].as_str().unwrap().contains("already run"),
        "{again}"
    );

    let (status, _) = send(
        app.post("/api/v1/draws/2026-Q1/reveal")
            .bearer_auth(&planner),
    )
    .await;
    assert_eq!(status, 200);
    let (_, one) = send(app.get("/api/v1/draws/2026-Q1")).await;
    assert_eq!(one["state"], "revealed");
    assert_eq!(one["verification"]["ok"], true, "{one}");
    let (status, visits) = send(app.get("/api/v1/draws/2026-Q1/files/plan/visits.csv")).await;
    assert_eq!(status, 200);
    assert!(visits.as_str().unwrap().starts_with("visit,uscc,region"));
    let (status, _) = send(app.get("/api/v1/draws/2026-Q1/files/../../secret")).await;
    assert!(
        status == 404 || status == 400,
        "only listed files are served"
    );

    let out = app.cli(&[
        "verify",
        app.dir.path().join("bundles/2026-Q1").to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let admin = app.token(Role::Admin, None).await;
    let (_, log) = send(app.get("/api/v1/audit?limit=1000").bearer_auth(&admin)).await;
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for step in ["draw.committed", "draw.run", "draw.revealed"] {
        assert!(actions.contains(&step), "{step} missing from the audit log");
    }
    let (_, list) = send(app.get("/api/v1/draws")).await;
    assert_eq!(list[0]["state"], "revealed");
});

both!(bad_draw_inputs_are_named, |app| {
    app.load_fixtures().await;
    let planner = app.token(Role::Planner, None).await;
    let bad = TASKS.replace("SCJG-001", "SCJG-999");
    let (status, body) = send(
        app.post("/api/v1/draws")
            .bearer_auth(&planner)
            .json(&new_draw("bad", &bad)),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("unknown item 'SCJG-999'"),
        "{body}"
    );
    let (status, body) = send(
        app.post("/api/v1/draws")
            .bearer_auth(&planner)
            .json(&new_draw("../x", TASKS)),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = send(
        app.post("/api/v1/draws/none/run")
            .bearer_auth(&planner)
            .json(&json!({ "entropy": ["1"] })),
    )
    .await;
    assert_eq!(status, 404);
});

both!(the_cli_prepares_from_the_database, |app| {
    app.load_fixtures().await;
    let (tasks, policy) = (
        app.dir.path().join("tasks.csv"),
        app.dir.path().join("policy.csv"),
    );
    std::fs::write(&tasks, TASKS).unwrap();
    std::fs::write(
        &policy,
        POLICY.replace("as_of,2026-01-01", "as_of,2026-06-01"),
    )
    .unwrap();
    let bundle = app.dir.path().join("cli-bundle");
    let b = bundle.to_str().unwrap();
    let out = app.cli(&[
        "draw",
        "prepare",
        "--out",
        b,
        "--batch",
        "cli",
        "--allow-past-entropy",
        "--source",
        "lottery:x:1:2026-01-01",
        "--tasks",
        tasks.to_str().unwrap(),
        "--policy",
        policy.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let population = std::fs::read_to_string(bundle.join("inputs/population.csv")).unwrap();
    assert!(
        population.contains("91440305MA5DA00031,440305,F5251,D,false"),
        "effective tier D from the serious-list entry:\n{population}"
    );
    assert!(app
        .cli(&["draw", "run", b, "--entropy", "5 5 5"])
        .status
        .success());
    assert!(app.cli(&["draw", "reveal", b]).status.success());
    let out = app.cli(&["verify", b]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
});

const MONTHS: &str = "key,value\nyear,2026\nas_of,2026-01-01\nperiods,month\nvisit_cap_a,1\nvisit_cap_b,1\nvisit_cap_c,2\nvisit_cap_d,4\ninspectors_per_department,2\nexclusion_months,12\n";

both!(
    an_annual_plan_is_prepared_run_reported_and_revealed,
    |app| {
        app.load_fixtures().await;
        let planner = app.token(Role::Planner, None).await;
        let tasks = TASKS.replace(",1,4\n", ",1,12\n");
        let mut body = json!({ "batch": "2026-plan", "sources": ["lottery:福彩3D:2026001:2026-01-02"], "allow_past_entropy": true, "tasks_csv": tasks, "policy_csv": MONTHS, "method": "dr4" });
        let (status, err) = send(app.post("/api/v1/draws").bearer_auth(&planner).json(&body)).await;
        assert_eq!(status, 422, "{err}");
        assert_eq!(err["code"], "invalid_method");
        body["method"] = json!("dr2");
        body["complaints_csv"] = json!("uscc,department,period\n91440305MA5DA00044,SCJG,13\n");
        let (status, err) = send(app.post("/api/v1/draws").bearer_auth(&planner).json(&body)).await;
        assert_eq!(status, 422, "{err}");
        assert!(
            err["message"]
                .as_str()
                .unwrap()
                .contains("complaints_csv:2: period: '13' is not a period 1..12"),
            "{err}"
        );
        body["complaints_csv"] = json!("uscc,department,period\n91440305MA5DA00044,SCJG,3\n");
        let (status, created) =
            send(app.post("/api/v1/draws").bearer_auth(&planner).json(&body)).await;
        assert_eq!(status, 201, "{created}");
        let (_, draw) = send(app.get("/api/v1/draws/2026-plan")).await;
        assert_eq!(draw["commitment"]["method"], "dr2");
        let (status, run) = send(
            app.post("/api/v1/draws/2026-plan/run")
                .bearer_auth(&planner)
                .json(&json!({ "entropy": ["3 7 1"] })),
        )
        .await;
        assert_eq!(status, 200, "{run}");
        let (status, _) = send(app.get("/api/v1/draws/2026-plan/report")).await;
        assert_eq!(
            status, 401,
            "the report tells the plan: not public before the reveal"
        );
        let (status, report) = send(
            app.get("/api/v1/draws/2026-plan/report")
                .bearer_auth(&planner),
        )
        .await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["method"], "dr2");
        assert!(report["visits"].as_u64().unwrap() > 0);
        assert!(report["visits"].as_u64() <= report["uncoordinated_visits"].as_u64());
        let (status, revealed) = send(
            app.post("/api/v1/draws/2026-plan/reveal")
                .bearer_auth(&planner)
                .json(&json!({})),
        )
        .await;
        assert_eq!(status, 200, "{revealed}");
        let summary = revealed["result"]["verification"].as_str().unwrap();
        assert!(summary.starts_with("dr2 bundle verified"), "{summary}");
        let (status, public) = send(app.get("/api/v1/draws/2026-plan/report")).await;
        assert_eq!(status, 200);
        assert_eq!(public, report);
        let (status, _) = send(app.get("/api/v1/draws/2026-plan/files/plan/allocation.csv")).await;
        assert_eq!(status, 200);
    }
);
