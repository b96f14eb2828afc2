//! The audit log detects tampering; the working-day calendar counts official days only.

mod common;
use common::{fixture, TestApp};

async fn exec(app: &TestApp, sql: &str) {
    let mut conn = app.db.pool.acquire().await.unwrap();
    sqlx::query(sql).execute(&mut *conn).await.unwrap();
}

fn verify(app: &TestApp) -> (Option<i32>, String) {
    let out = app.cli(&["audit", "verify"]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

both!(audit_verify_detects_an_edited_entry, |app| {
    app.load_fixtures().await;
    let (code, text) = verify(app);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("audit log intact: 8 entries"), "{text}");
    exec(app, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 4").await;
    let (code, text) = verify(app);
    assert_eq!(code, Some(1));
    assert!(text.contains("entry 4 was edited"), "{text}");
});

both!(audit_verify_detects_a_deleted_entry, |app| {
    app.load_fixtures().await;
    exec(app, "DELETE FROM audit_log WHERE seq = 3").await;
    let (code, text) = verify(app);
    assert_eq!(code, Some(1));
    assert!(text.contains("entry 3 was deleted"), "{text}");
});

both!(audit_verify_detects_a_deleted_tail, |app| {
    app.load_fixtures().await;
    exec(app, "DELETE FROM audit_log WHERE seq >= 7").await;
    let (code, text) = verify(app);
    assert_eq!(code, Some(1));
    assert!(
        text.contains("entries 7 to 8 were deleted from the end"),
        "{text}"
    );
});

both!(audit_verify_detects_reordered_entries, |app| {
    app.load_fixtures().await;
    exec(app, "UPDATE audit_log SET seq = 100 WHERE seq = 5").await;
    exec(app, "UPDATE audit_log SET seq = 5 WHERE seq = 6").await;
    exec(app, "UPDATE audit_log SET seq = 6 WHERE seq = 100").await;
    let (code, text) = verify(app);
    assert_eq!(code, Some(1));
    assert!(text.contains("reordered"), "{text}");
});

both!(audit_log_is_served_to_admins, |app| {
    let admin = app.load_fixtures().await;
    let (_, entries) = app.get_json_as("/api/v1/audit?limit=3", &admin).await;
    assert_eq!(entries.as_array().unwrap().len(), 3);
    assert_eq!(entries[0]["prev_hash"], "0".repeat(64));
    assert_eq!(entries[1]["prev_hash"], entries[0]["hash"]);
    let (_, check) = app.get_json_as("/api/v1/audit/verify", &admin).await;
    assert_eq!(check["problem"], serde_json::Value::Null);
});

both!(calendar_counts_official_working_days, |app| {
    let out = app.cli(&["calendar", "add-workdays", "2025-09-30", "1"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "2025-10-09",
        "National Day holiday Oct 1-8"
    );
    let out = app.cli(&["calendar", "add-workdays", "2026-02-13", "1"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "2026-02-14",
        "Saturday make-up day"
    );
    let out = app.cli(&["calendar", "add-workdays", "2026-12-31", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no official working-day schedule for 2027")
    );
    let (_, res) = app
        .get_json("/api/v1/calendar/add-workdays?date=2025-09-30&n=1")
        .await;
    assert_eq!(res["result"], "2025-10-09");
});

both!(calendar_imports_a_new_year, |app| {
    let file = fixture("calendar-2027-test.csv");
    let out = app.cli(&["calendar", "import", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = app.cli(&["calendar", "add-workdays", "2026-12-31", "1"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "2027-01-04",
        "Jan 1 off, then the weekend"
    );
    let (_, years) = app.get_json("/api/v1/calendar/years").await;
    assert_eq!(years["years"], serde_json::json!([2025, 2026, 2027]));
    let bad = app.dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "date,kind,note\n2027-13-01,off,x\n2027-01-02,work,周六\n2027-01-04,work,周一\n",
    )
    .unwrap();
    let out = app.cli(&["calendar", "import", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(":2: date:") && err.contains(":4: kind:"),
        "{err}"
    );
});

both!(settings_change_repair_deadlines, |app| {
    let out = app.cli(&["settings", "set", "repair.intake_workdays", "5"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = app.cli(&["settings", "list"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("repair.intake_workdays = 5"));
    let out = app.cli(&["settings", "set", "repair.nonsense", "5"]);
    assert_eq!(out.status.code(), Some(2));
    let out = app.cli(&["settings", "set", "repair.intake_workdays", "-1"]);
    assert_eq!(out.status.code(), Some(2));

    // The next request filed gets the new intake deadline, and its acceptance the new decision
    // deadline.
    app.load_fixtures().await;
    let out = app.cli(&["settings", "set", "repair.decision_workdays", "2"]);
    assert!(out.status.success());
    let credit = app.token(dualdraw::auth::Role::Credit, None).await;
    let (_, records) = app
        .get_json_as("/api/v1/credit-records?uscc=91440305MA5DA00044", &credit)
        .await;
    let id = records[0]["id"].to_string();
    let out = app.cli(&[
        "repair",
        "file",
        "--record",
        &id,
        "--commitment",
        "承诺",
        "--proof",
        "已补报",
        "--on",
        "2026-06-01",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let filed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        filed["intake_due"], "2026-06-08",
        "5 working days after Monday 2026-06-01"
    );
    let request = filed["id"].to_string();
    let out = app.cli(&["repair", "accept", &request, "--on", "2026-06-03"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let accepted: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        accepted["decision_due"], "2026-06-05",
        "2 working days after 2026-06-03"
    );
});

fn run(app: &TestApp, args: &[&str]) -> String {
    let out = app.cli(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

// Every kind of change appends its own entry, with who did it and what it was about; a change
// that is refused appends nothing.
both!(every_change_is_in_the_audit_log, |app| {
    let start = run(app, &["audit", "list", "--limit", "100000"])
        .lines()
        .count();
    for (kind, file) in [
        ("departments", "departments.csv"),
        ("enterprises", "enterprises.csv"),
        ("inspectors", "inspectors.csv"),
        ("credit-records", "credit-records.csv"),
    ] {
        run(app, &["import", kind, fixture(file).to_str().unwrap()]);
    }
    let token = run(
        app,
        &["token", "create", "--role", "planner", "--label", "规划科"],
    );
    run(
        app,
        &[
            "token",
            "revoke",
            &dualdraw::auth::hash_token(token.trim())[..12],
        ],
    );
    run(app, &["settings", "set", "repair.intake_workdays", "4"]);
    run(
        app,
        &[
            "calendar",
            "import",
            fixture("calendar-2027-test.csv").to_str().unwrap(),
        ],
    );
    let credit = app.token(dualdraw::auth::Role::Credit, None).await;
    let (_, records) = app
        .get_json_as("/api/v1/credit-records?uscc=91440305MA5DA00044", &credit)
        .await;
    let record = records[0]["id"].to_string();
    let filed = run(
        app,
        &[
            "repair",
            "file",
            "--record",
            &record,
            "--commitment",
            "承诺",
            "--proof",
            "已补报",
            "--on",
            "2026-06-01",
            "--by",
            "张三",
        ],
    );
    let id = serde_json::from_str::<serde_json::Value>(&filed).unwrap()["id"].to_string();
    let refused = app.cli(&["repair", "approve", &id, "--on", "2026-06-02"]);
    assert_eq!(refused.status.code(), Some(2), "not accepted yet");
    run(
        app,
        &[
            "repair",
            "accept",
            &id,
            "--on",
            "2026-06-02",
            "--by",
            "李四",
        ],
    );
    run(
        app,
        &[
            "repair",
            "approve",
            &id,
            "--on",
            "2026-06-03",
            "--by",
            "李四",
        ],
    );

    let entries: Vec<serde_json::Value> = run(app, &["audit", "list", "--limit", "100000"])
        .lines()
        .skip(start)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let seen: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["subject"].as_str().unwrap(),
                e["actor"].as_str().unwrap(),
            )
        })
        .collect();
    let request = format!("repair/{id}");
    let expected: Vec<(&str, &str, &str)> = vec![
        ("import", "departments", "cli"),
        ("import", "enterprises", "cli"),
        ("import", "inspectors", "cli"),
        ("import", "credit-records", "cli"),
        ("token.create", seen[4].1, "cli"),
        ("token.revoke", seen[4].1, "cli"),
        ("setting.set", "repair.intake_workdays", "cli"),
        ("calendar.import", seen[7].1, "cli"),
        ("token.create", seen[8].1, "cli"),
        ("repair.file", &request, "cli:张三"),
        ("repair.accept", &request, "cli:李四"),
        ("repair.approve", &request, "cli:李四"),
        ("credit.tier", "91440305MA5DA00044", "cli:李四"),
    ];
    assert_eq!(seen, expected);
    assert_eq!(seen[4].1, &dualdraw::auth::hash_token(token.trim())[..12]);
    assert_eq!(seen[8].1, &dualdraw::auth::hash_token(&credit)[..12]);
    assert!(
        seen[7].1.ends_with("calendar-2027-test.csv"),
        "{:?}",
        seen[7]
    );
    let (code, text) = verify(app);
    assert_eq!(code, Some(0), "{text}");
});
