//! Bulk results at size (docs/results.md §3): files of tens of thousands of rows, read in
//! stretches of 10,000, are one transaction — a bad row anywhere writes nothing and is named by
//! its line, a job twice (in one file, or already done) is refused, of two overlapping imports
//! at once one writes and the other nothing — on both databases. The jobs are written by SQL,
//! as in benches/results.sh, so that only the import is exercised.

mod common;
use dualdraw::auth::Role;
use serde_json::Value;

const HEADER: &str =
    "抽查批次,检查编号,部门代码,检查人员编号,检查日期,检查方式,检查结果,后续处置\n";

/// Jobs `g/1` … `g/N` of batch BULK for SCJG, item SCJG-001, period Q1 2026, each with the
/// active team I-1, I-2 (and a replaced member I-0).
async fn open_jobs(app: &common::TestApp, n: u32) {
    let mut tx = app.db.begin().await.unwrap();
    sqlx::query(&format!(
        "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < {n}) \
         INSERT INTO inspection_jobs (batch, visit, department, uscc, region, period, period_from, period_to, tasks, items, state, note, created_at, updated_at) \
         SELECT 'BULK', 'g/' || i, 'SCJG', 'U' || i, '440305', 1, '2026-01-01', '2026-03-31', 'SCJG-G', 'SCJG-001', 'planned', '', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z' FROM k"
    ))
    .execute(&mut *tx)
    .await
    .unwrap();
    for (inspector, active) in [("I-0", 0), ("I-1", 1), ("I-2", 1)] {
        sqlx::query(&format!(
            "INSERT INTO job_members (job_id, inspector, source, priority, active) \
             SELECT id, '{inspector}', 'drawn', '0', {active} FROM inspection_jobs WHERE batch = 'BULK'"
        ))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// The row of job `g/i` entered by `inspector`: every 1,000th unreachable (a credit proposal).
fn row(i: u32, inspector: &str) -> String {
    let category = if i.is_multiple_of(1000) {
        "通过登记的住所（经营场所）无法联系"
    } else {
        "未发现问题"
    };
    format!(
        "BULK,g/{i},SCJG,{inspector},2026-02-{:02},实地,{category},\n",
        i % 28 + 1
    )
}

/// A file of the jobs `jobs`, in that order, with `bad(i)` rows entered by I-0 (replaced).
fn file(jobs: impl IntoIterator<Item = u32>, bad: impl Fn(u32) -> bool) -> String {
    let mut f = HEADER.to_string();
    for i in jobs {
        f.push_str(&row(i, if bad(i) { "I-0" } else { "I-1" }));
    }
    f
}

async fn import(app: &common::TestApp, token: &str, name: &str, body: String) -> (u16, Value) {
    let res = app
        .post(&format!("/api/v1/inspection-results/import?file={name}"))
        .bearer_auth(token)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

fn errors(v: &Value) -> Vec<String> {
    v["details"]["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {v}"))
        .iter()
        .map(|e| e.as_str().unwrap().to_string())
        .collect()
}

/// The id of job `visit` of batch BULK.
async fn job_id(app: &common::TestApp, visit: &str) -> i64 {
    let mut conn = app.db.pool.acquire().await.unwrap();
    sqlx::query_scalar("SELECT id FROM inspection_jobs WHERE visit = $1")
        .bind(visit)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
}

/// Results, done jobs, proposals, import audit entries.
async fn counts(app: &common::TestApp) -> [i64; 4] {
    let mut conn = app.db.pool.acquire().await.unwrap();
    let mut out = [0; 4];
    for (k, sql) in [
        "SELECT COUNT(*) FROM inspection_results",
        "SELECT COUNT(*) FROM inspection_jobs WHERE state = 'done'",
        "SELECT COUNT(*) FROM credit_proposals",
        "SELECT COUNT(*) FROM audit_log WHERE action = 'inspection.import'",
    ]
    .into_iter()
    .enumerate()
    {
        out[k] = sqlx::query_scalar(sql).fetch_one(&mut *conn).await.unwrap();
    }
    out
}

both!(
    a_bad_row_deep_in_a_large_file_writes_nothing_and_names_its_line,
    |app| {
        open_jobs(app, 30_000).await;
        let admin = app.token(Role::Admin, None).await;
        // Row 25,001 is line 25,002 (the header is line 1).
        let (status, e) = import(app, &admin, "big.csv", file(1..=30_000, |i| i == 25_001)).await;
        assert_eq!(status, 422, "{e}");
        assert_eq!(
        errors(&e),
        vec!["big.csv:25002: 检查人员编号: not_on_team: I-0 is not on the team of g/25001 for SCJG (team: I-1, I-2)".to_string()],
    );
        assert_eq!(counts(app).await, [0, 0, 0, 0], "nothing written");
        // Once a row is bad nothing more is written, but the later stretches are still checked.
        let (status, e) = import(
            app,
            &admin,
            "two.csv",
            file(1..=30_000, |i| i == 5 || i == 25_001),
        )
        .await;
        assert_eq!(status, 422, "{e}");
        let lines: Vec<String> = errors(&e)
            .iter()
            .map(|e| e.split(": ").next().unwrap().to_string())
            .collect();
        assert_eq!(lines, ["two.csv:6", "two.csv:25002"]);
        assert_eq!(counts(app).await, [0, 0, 0, 0], "nothing written");

        let (status, ok) = import(app, &admin, "big.csv", file(1..=30_000, |_| false)).await;
        assert_eq!(status, 200, "{ok}");
        assert_eq!(
            (ok["results"].as_i64(), ok["proposals"].as_i64()),
            (Some(30_000), Some(30))
        );
        assert_eq!(counts(app).await, [30_000, 30_000, 30, 1]);
        // Each proposal names its own result's enterprise.
        let mut conn = app.db.pool.acquire().await.unwrap();
        let wrong: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM credit_proposals p JOIN inspection_results r ON r.id = p.result_id \
         WHERE p.uscc <> r.uscc OR r.categories <> 'unreachable'",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
        assert_eq!(wrong, 0);
        let (job, checked_on, due_on): (String, String, String) = sqlx::query_as(
        "SELECT j.visit, r.checked_on, r.due_on FROM inspection_results r JOIN inspection_jobs j ON j.id = r.job_id WHERE j.visit = 'g/29999'",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
        assert_eq!(
            (job.as_str(), checked_on.as_str()),
            ("g/29999", "2026-02-12")
        );
        assert!(
            due_on.as_str() > "2026-03-01",
            "20 working days later: {due_on}"
        );
    }
);

both!(
    a_job_twice_in_one_file_or_already_done_is_refused_by_its_line,
    |app| {
        open_jobs(app, 10_020).await;
        let admin = app.token(Role::Admin, None).await;
        // g/7 again on line 10,003: a later stretch than its first row (line 8).
        let twice = file((1..=10_001).chain([7]), |_| false);
        let (status, e) = import(app, &admin, "twice.csv", twice).await;
        assert_eq!(status, 422, "{e}");
        assert_eq!(
        errors(&e),
        vec!["twice.csv:10003: 检查编号: duplicate_result: this visit and department already has a result".to_string()]
    );
        assert_eq!(counts(app).await, [0, 0, 0, 0], "nothing written");

        let (status, ok) = import(app, &admin, "first.csv", file(1..=10, |_| false)).await;
        assert_eq!(status, 200, "{ok}");
        // Jobs 11..=20 are new, job 5 (line 7 of this file) is done already.
        let again = file((11..=15).chain([5]).chain(16..=20), |_| false);
        let (status, e) = import(app, &admin, "again.csv", again).await;
        assert_eq!(status, 422, "{e}");
        assert_eq!(
        errors(&e),
        vec!["again.csv:7: 检查编号: duplicate_result: this visit and department already has a result".to_string()]
    );
        assert_eq!(counts(app).await, [10, 10, 0, 1], "the first file only");
    }
);

both!(
    of_two_overlapping_imports_at_once_one_writes_and_the_other_nothing,
    |app| {
        open_jobs(app, 20_000).await;
        let admin = app.token(Role::Admin, None).await;
        let a = file(1..=15_000, |_| false);
        let b = file(10_001..=20_000, |_| false);
        let ((sa, ra), (sb, rb)) = tokio::join!(
            import(app, &admin, "a.csv", a),
            import(app, &admin, "b.csv", b)
        );
        let (won, refused) = match (sa, sb) {
            (200, _) => (15_000, (sb, rb)),
            (_, 200) => (10_000, (sa, ra)),
            _ => panic!("one import writes: {sa} {ra} / {sb} {rb}"),
        };
        assert!([409, 422].contains(&refused.0), "{refused:?}");
        assert!(
            refused.1.to_string().contains("duplicate_result"),
            "{refused:?}"
        );
        assert_eq!(
            counts(app).await,
            [won, won, won / 1000, 1],
            "the winner's rows, none of the other's"
        );
    }
);

both!(
    rows_at_the_stretch_boundary_are_checked_and_written,
    |app| {
        open_jobs(app, 20_001).await;
        let admin = app.token(Role::Admin, None).await;
        assert_eq!(dualdraw::inspection::results_csv::CHUNK, 10_000);
        // The last row of a full first stretch, then the first row of the second.
        for (rows, bad) in [(10_000, 10_000), (10_001, 10_001), (10_001, 10_000)] {
            let (status, e) = import(app, &admin, "edge.csv", file(1..=rows, |i| i == bad)).await;
            assert_eq!(status, 422, "{e}");
            let errors = errors(&e);
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert!(
                errors[0].starts_with(&format!(
                    "edge.csv:{}: 检查人员编号: not_on_team: I-0",
                    bad + 1
                )),
                "{errors:?}"
            );
            assert_eq!(counts(app).await, [0, 0, 0, 0], "nothing written");
        }
        let (status, ok) = import(app, &admin, "full.csv", file(1..=10_000, |_| false)).await;
        assert_eq!(
            (status, ok["results"].as_i64()),
            (200, Some(10_000)),
            "{ok}"
        );
        let (status, ok) = import(app, &admin, "more.csv", file(10_001..=20_001, |_| false)).await;
        assert_eq!(
            (status, ok["results"].as_i64()),
            (200, Some(10_001)),
            "{ok}"
        );
        assert_eq!(counts(app).await, [20_001, 20_001, 20, 2]);
    }
);

both!(
    an_import_and_a_change_of_one_of_its_jobs_at_once_do_not_both_happen,
    |app| {
        // The import's checker reads the jobs on connections of its own while the import
        // writes: a job closed in between must not get a result, nor a job with a result be
        // closed. Whichever comes first wins; the other is refused and writes nothing.
        open_jobs(app, 20_000).await;
        let admin = app.token(Role::Admin, None).await;
        let id = job_id(app, "g/15000").await;
        let close = async {
            // Sent while the import is under way (its second stretch holds g/15000).
            tokio::time::sleep(std::time::Duration::from_millis(150)).await;
            let res = app
                .post(&format!("/api/v1/inspection-jobs/{id}/not-carried-out"))
                .bearer_auth(&admin)
                .json(&serde_json::json!({ "reason": "企业已注销" }))
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap())
        };
        let ((imported, report), (closed, job)) = tokio::join!(
            import(app, &admin, "all.csv", file(1..=20_000, |_| false)),
            close
        );
        let mut conn = app.db.pool.acquire().await.unwrap();
        let state: String = sqlx::query_scalar("SELECT state FROM inspection_jobs WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        drop(conn);
        match (imported, closed) {
            (200, 409) => {
                assert_eq!(state, "done", "{job}");
                assert_eq!(counts(app).await, [20_000, 20_000, 20, 1]);
            }
            (422, 200) => {
                assert_eq!(state, "not-carried-out");
                assert_eq!(
                    errors(&report),
                    vec!["all.csv:15001: 检查编号: wrong_state: the job was not carried out"]
                );
                assert_eq!(counts(app).await, [0, 0, 0, 0], "nothing written");
            }
            other => panic!("one of the two: {other:?} {report} {job}"),
        }
    }
);

both!(a_change_of_a_job_waits_for_a_running_import, |app| {
    // A change of a job (a replacement, a notice, a close) reads it with `get_to_change`; while
    // an import runs, that waits for it (on SQLite the writes take turns, on PostgreSQL the
    // import holds the jobs' advisory lock), so the import's checker, reading on connections of
    // its own, never checks a team that changes before the import commits.
    open_jobs(app, 20_000).await;
    let admin = app.token(Role::Admin, None).await;
    let id = job_id(app, "g/15000").await;
    let run = async {
        let r = import(app, &admin, "all.csv", file(1..=20_000, |_| false)).await;
        (r, std::time::Instant::now())
    };
    let change = async {
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        let started = std::time::Instant::now();
        let mut tx = app.db.begin().await.unwrap();
        let job = dualdraw::inspection::jobs::get_to_change(&mut tx, id)
            .await
            .unwrap();
        (started, job.state)
    };
    let (((status, report), imported_at), (started, state)) = tokio::join!(run, change);
    assert_eq!(status, 200, "{report}");
    assert!(
        started < imported_at,
        "the change began while the import ran"
    );
    assert_eq!(state, "done", "the change waited for the import's commit");
});

both!(an_imported_result_is_stored_as_the_api_stores_it, |app| {
    // The import hands each stretch to the database as one JSON text (SQLite) or as `COPY`
    // text (PostgreSQL); what lands in the table must be what the API writes for the same
    // result, byte for byte — quotes, backslashes, a line break, a carriage return, a tab,
    // COPY's null marker `\N` as text and Chinese text in the follow-up, a date and a missing
    // date.
    open_jobs(app, 3).await;
    let admin = app.token(Role::Admin, None).await;
    let follow_up = "责令\"限期\"整改\\复查\n已完成\t\\N\r\n\\.\n备注";
    let csv_field = format!("\"{}\"", follow_up.replace('"', "\"\""));
    let body = format!(
        "batch,visit,department,inspector,checked_on,method,results,follow_up,follow_up_done_on\n\
         BULK,g/1,SCJG,I-2,2026-02-03,书面,SCJG-001=发现问题经责令已改正,{csv_field},2026-03-04\n\
         BULK,g/2,SCJG,I-1,2026-02-05,实地,通过登记的住所（经营场所）无法联系,,\n"
    );
    let (status, report) = import(app, &admin, "one.csv", body).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (report["results"].clone(), report["proposals"].clone()),
        (2.into(), 1.into())
    );
    let id = job_id(app, "g/3").await;
    let res = app
        .post(&format!("/api/v1/inspection-jobs/{id}/result"))
        .bearer_auth(&admin)
        .json(&serde_json::json!({
            "inspector": "I-2", "checked_on": "2026-02-03", "method": "书面",
            "items": { "SCJG-001": "发现问题经责令已改正" },
            "follow_up": follow_up, "follow_up_done_on": "2026-03-04"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201, "{}", res.text().await.unwrap());
    let mut conn = app.db.pool.acquire().await.unwrap();
    let stored = "SELECT j.visit, r.version, r.uscc, r.department, r.entered_by, r.checked_on, \
                  r.method, r.item_results, r.categories, r.follow_up, \
                  COALESCE(r.follow_up_done_on, '(null)') AS follow_up_done_on, r.due_on, r.actor \
                  FROM inspection_results r JOIN inspection_jobs j ON j.id = r.job_id ORDER BY j.visit";
    let rows: Vec<Stored> = sqlx::query_as(stored).fetch_all(&mut *conn).await.unwrap();
    assert_eq!(rows.len(), 3);
    let (imported, entered) = (&rows[0], &rows[2]);
    assert_eq!(imported.visit, "g/1");
    assert_eq!(imported.follow_up, follow_up);
    assert_eq!(imported.follow_up_done_on, "2026-03-04");
    assert_eq!(imported.uscc, "U1", "the job's USCC");
    let without_job = |r: &Stored| Stored {
        visit: String::new(),
        uscc: String::new(),
        ..r.clone()
    };
    assert_eq!(without_job(imported), without_job(entered));
    let second = &rows[1];
    assert_eq!(
        (
            second.version,
            second.entered_by.as_str(),
            second.method.as_str(),
            second.follow_up.as_str(),
            second.follow_up_done_on.as_str()
        ),
        (1, "I-1", "on-site", "", "(null)")
    );
    let states: Vec<String> =
        sqlx::query_scalar("SELECT state FROM inspection_jobs ORDER BY visit")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
    assert_eq!(states, ["done", "done", "done"]);
    drop(conn);

    // Credit proposals: a result whose two items raise two of them, by the import and by the
    // API, gives the same proposals in the same order (by the rows, then the rule table).
    open_two_item_jobs(app).await;
    let two = "SCJG-001=公示信息隐瞒真实情况、弄虚作假;SCJG-002=通过登记的住所（经营场所）无法联系";
    let body = format!(
        "batch,visit,department,inspector,checked_on,method,results\n\
         TWO,t/1,SCJG,I-1,2026-02-03,实地,{two}\n"
    );
    let (status, report) = import(app, &admin, "two.csv", body).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["proposals"], 2, "{report}");
    let mut conn = app.db.pool.acquire().await.unwrap();
    let t2: i64 = sqlx::query_scalar("SELECT id FROM inspection_jobs WHERE visit = 't/2'")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let res = app
        .post(&format!("/api/v1/inspection-jobs/{t2}/result"))
        .bearer_auth(&admin)
        .json(&serde_json::json!({
            "inspector": "I-1", "checked_on": "2026-02-03", "method": "实地",
            "items": {
                "SCJG-001": "公示信息隐瞒真实情况、弄虚作假",
                "SCJG-002": "通过登记的住所（经营场所）无法联系"
            }
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201, "{}", res.text().await.unwrap());
    let proposals: Vec<(String, String, String, String, String, String)> = sqlx::query_as(
        "SELECT j.visit, p.department, p.category, p.kind, p.basis, p.state \
         FROM credit_proposals p JOIN inspection_results r ON r.id = p.result_id \
         JOIN inspection_jobs j ON j.id = r.job_id WHERE j.batch = 'TWO' ORDER BY p.id",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let of = |visit: &str| -> Vec<_> {
        proposals
            .iter()
            .filter(|p| p.0 == visit)
            .map(|p| {
                (
                    p.1.clone(),
                    p.2.clone(),
                    p.3.clone(),
                    p.4.clone(),
                    p.5.clone(),
                )
            })
            .collect()
    };
    let imported = of("t/1");
    assert_eq!(
        imported
            .iter()
            .map(|p| (p.1.as_str(), p.2.as_str(), p.4.as_str()))
            .collect::<Vec<_>>(),
        [
            ("unreachable", "abnormal-list", "proposed"),
            ("falsified", "penalty-general", "proposed")
        ],
        "the rule table's order"
    );
    assert_eq!(imported, of("t/2"), "the import's proposals are the API's");
});

/// Jobs `t/1` and `t/2` of batch TWO for SCJG, with items SCJG-001 and SCJG-002 and the active
/// team I-1, I-2.
async fn open_two_item_jobs(app: &common::TestApp) {
    let mut tx = app.db.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO inspection_jobs (batch, visit, department, uscc, region, period, period_from, period_to, tasks, items, state, note, created_at, updated_at) \
         VALUES ('TWO', 't/1', 'SCJG', 'T1', '440305', 1, '2026-01-01', '2026-03-31', 'SCJG-G', 'SCJG-001;SCJG-002', 'planned', '', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'), \
                ('TWO', 't/2', 'SCJG', 'T2', '440305', 1, '2026-01-01', '2026-03-31', 'SCJG-G', 'SCJG-001;SCJG-002', 'planned', '', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    for inspector in ["I-1", "I-2"] {
        sqlx::query(&format!(
            "INSERT INTO job_members (job_id, inspector, source, priority, active) \
             SELECT id, '{inspector}', 'drawn', '0', 1 FROM inspection_jobs WHERE batch = 'TWO'"
        ))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// A stored result with its job's visit, as the test above compares them.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
struct Stored {
    visit: String,
    version: i64,
    uscc: String,
    department: String,
    entered_by: String,
    checked_on: String,
    method: String,
    item_results: String,
    categories: String,
    follow_up: String,
    follow_up_done_on: String,
    due_on: String,
    actor: String,
}

both!(a_result_names_a_job_that_exists_and_jobs_stay, |app| {
    // PostgreSQL checks a result's job once per statement (a trigger over the statement's new
    // rows) instead of with a foreign key per row; SQLite keeps its foreign key. Either way a
    // result naming no job is refused, alone or among good rows, and jobs are never deleted
    // nor renumbered, so the reference cannot break from their side (docs/results.md §1).
    open_jobs(app, 3).await;
    let id = job_id(app, "g/1").await;
    let result = |job: i64| {
        format!(
            "INSERT INTO inspection_results (job_id, version, uscc, department, entered_by, checked_on, method, item_results, categories, follow_up, due_on, recorded_at, actor) \
             VALUES ({job}, 1, 'U1', 'SCJG', 'I-1', '2026-02-01', 'on-site', 'SCJG-001=no-problem', 'no-problem', '', '2026-03-02', '2026-02-01T00:00:00Z', 'test')"
        )
    };
    let mut conn = app.db.pool.acquire().await.unwrap();
    let postgres = app.url.starts_with("postgres");
    let refused = |e: sqlx::Error| {
        let text = e.to_string();
        assert!(
            text.contains("FOREIGN KEY") || text.contains("inspection result names job 99999"),
            "{text}"
        );
        if postgres {
            // What a foreign key's violation would have said: SQLSTATE and constraint name.
            let db = e.as_database_error().expect("a database error");
            assert_eq!(db.code().as_deref(), Some("23503"), "{text}");
            assert_eq!(db.constraint(), Some("inspection_results_job_fk"), "{text}");
        }
    };
    refused(
        sqlx::query(&result(99_999))
            .execute(&mut *conn)
            .await
            .unwrap_err(),
    );
    let among_good = format!(
        "{} , ({id} + 1, 1, 'U2', 'SCJG', 'I-1', '2026-02-01', 'on-site', 'SCJG-001=no-problem', 'no-problem', '', '2026-03-02', '2026-02-01T00:00:00Z', 'test'), \
         (99999, 1, 'U3', 'SCJG', 'I-1', '2026-02-01', 'on-site', 'SCJG-001=no-problem', 'no-problem', '', '2026-03-02', '2026-02-01T00:00:00Z', 'test')",
        result(id)
    );
    refused(
        sqlx::query(&among_good)
            .execute(&mut *conn)
            .await
            .unwrap_err(),
    );
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inspection_results")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(n, 0, "nothing of the refused statements is kept");
    sqlx::query(&result(id)).execute(&mut *conn).await.unwrap();
    refused(
        sqlx::query("UPDATE inspection_results SET job_id = 99999")
            .execute(&mut *conn)
            .await
            .unwrap_err(),
    );
    sqlx::query("UPDATE inspection_results SET published_on = '2026-02-02'")
        .execute(&mut *conn)
        .await
        .unwrap();
    let mut changes = vec![
        format!("DELETE FROM inspection_jobs WHERE id = {id}"),
        "DELETE FROM inspection_jobs WHERE visit = 'g/3'".to_string(),
        format!("UPDATE inspection_jobs SET id = 99999 WHERE id = {id}"),
    ];
    if postgres {
        // CASCADE would empty the teams too, and leave the results without their jobs.
        changes.push("TRUNCATE inspection_jobs CASCADE".to_string());
    }
    for change in changes {
        let e = sqlx::query(&change).execute(&mut *conn).await.unwrap_err();
        assert!(
            e.to_string().contains("never deleted, never renumbered"),
            "{change}: {e}"
        );
    }
    sqlx::query(&format!(
        "UPDATE inspection_jobs SET id = id, note = 'kept' WHERE id = {id}"
    ))
    .execute(&mut *conn)
    .await
    .unwrap();
    let (jobs, note): (i64, String) = sqlx::query_as(&format!(
        "SELECT (SELECT COUNT(*) FROM inspection_jobs), note FROM inspection_jobs WHERE id = {id}"
    ))
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!((jobs, note.as_str()), (3, "kept"));
});

both!(
    a_nul_character_in_a_text_is_refused_and_nothing_written,
    |app| {
        // PostgreSQL cannot store U+0000 in text: a follow-up or a correction's reason holding one
        // is refused as bad input, by the API and by the import, on both databases, and nothing is
        // written (it was a server error on PostgreSQL).
        open_jobs(app, 2).await;
        let admin = app.token(Role::Admin, None).await;
        let body = format!(
            "{HEADER}BULK,g/1,SCJG,I-1,2026-02-03,实地,未发现问题,\n\
         BULK,g/2,SCJG,I-1,2026-02-03,实地,未发现问题,\"复查\u{0}完成\"\n"
        );
        let (status, e) = import(app, &admin, "nul.csv", body).await;
        assert_eq!(status, 422, "{e}");
        assert_eq!(
            errors(&e),
            ["nul.csv:3: 后续处置: contains U+0000 (a NUL character), which is not text"]
        );
        assert_eq!(counts(app).await, [0, 0, 0, 0], "nothing written");
        let id = job_id(app, "g/1").await;
        let post = |follow_up: &'static str| {
            app.post(&format!("/api/v1/inspection-jobs/{id}/result"))
                .bearer_auth(&admin)
                .json(&serde_json::json!({
                    "inspector": "I-1", "checked_on": "2026-02-03", "method": "实地",
                    "items": { "SCJG-001": "未发现问题" }, "follow_up": follow_up
                }))
                .send()
        };
        let res = post("复查\u{0}完成").await.unwrap();
        assert_eq!(res.status().as_u16(), 422);
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["code"], "invalid", "{v}");
        assert_eq!(counts(app).await, [0, 0, 0, 0], "nothing written");
        let res = post("复查完成").await.unwrap();
        assert_eq!(res.status().as_u16(), 201);
        let result: i64 = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        let res = app
            .post(&format!("/api/v1/inspection-results/{result}/corrections"))
            .bearer_auth(&admin)
            .json(&serde_json::json!({
                "inspector": "I-1", "checked_on": "2026-02-03", "method": "实地",
                "items": { "SCJG-001": "未发现问题" }, "reason": "笔误\u{0}"
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 422);
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["code"], "invalid", "{v}");
        assert_eq!(counts(app).await[0], 1, "the correction is not written");
    }
);
