//! One public (docs/results.md): a run plan becomes inspection jobs; the drawn team records
//! results, the department publishes them, corrections are new versions, late ones are listed;
//! bulk CSV results; credit proposals; the public record — over HTTP, on both databases.

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

/// Prepares and runs batch `B1` as a planner; returns the planner's token.
async fn run_draw(app: &common::TestApp) -> String {
    run_draw_of(app, TASKS).await
}

/// Tasks that draw every A and B enterprise: the fixtures' A and B enterprises that SCJG can
/// staff (region 440305, no declared conflict) are then all drawn, whatever the secret.
const TASKS_ALL_A_B: &str = "id,department,group,items,regions,industries,quota_a,quota_b,quota_c,quota_d,period_from,period_to\n\
SCJG-G,SCJG,joint,SCJG-001,,,1/1,1/1,1/2,1/2,1,4\n\
STHJ-G,STHJ,joint,STHJ-001,,,1/1,1/1,1/2,1/2,1,4\n";

/// Prepares and runs batch B1 of `tasks` (a fresh secret each time, so the draw differs).
async fn run_draw_of(app: &common::TestApp, tasks: &str) -> String {
    let planner = app.token(Role::Planner, None).await;
    let body = json!({ "batch": "B1", "sources": ["lottery:福彩3D:2026001:2026-01-02"], "allow_past_entropy": true, "tasks_csv": tasks, "policy_csv": POLICY });
    let (status, b) = send(app.post("/api/v1/draws").bearer_auth(&planner).json(&body)).await;
    assert_eq!(status, 201, "{b}");
    let (status, b) = send(
        app.post("/api/v1/draws/B1/run")
            .bearer_auth(&planner)
            .json(&json!({ "entropy": ["3 7 1"] })),
    )
    .await;
    assert_eq!(status, 200, "{b}");
    planner
}

async fn jobs(app: &common::TestApp, token: &str, query: &str) -> Vec<Value> {
    let (status, list) = send(
        app.get(&format!("/api/v1/inspection-jobs?{query}"))
            .bearer_auth(token),
    )
    .await;
    assert_eq!(status, 200, "{list}");
    list.as_array().unwrap().clone()
}

/// The SCJG jobs whose team was formed.
async fn staffed(app: &common::TestApp, token: &str) -> Vec<Value> {
    jobs(app, token, "department=SCJG&limit=1000")
        .await
        .into_iter()
        .filter(|j| j["team"].as_array().unwrap().len() == 2)
        .collect()
}

fn result_body(job: &Value, checked_on: &str, category: &str) -> Value {
    let items: serde_json::Map<String, Value> = job["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i.as_str().unwrap().to_string(), json!(category)))
        .collect();
    json!({ "checked_on": checked_on, "method": "实地", "items": items, "follow_up": "" })
}

both!(
    a_run_plan_becomes_jobs_that_the_team_records_and_the_department_publishes,
    |app| {
        let admin = app.load_fixtures().await;
        let planner = run_draw(app).await;
        let all = jobs(app, &admin, "batch=B1&limit=1000").await;
        let members = {
            let mut conn = app.db.pool.acquire().await.unwrap();
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM job_members")
                .fetch_one(&mut *conn)
                .await
                .unwrap()
        };
        let bundle = app.dir.path().join("bundles/B1/plan");
        let teams = std::fs::read_to_string(bundle.join("teams.csv")).unwrap();
        assert_eq!(
            members as usize,
            teams.lines().count() - 1,
            "one member per teams.csv row"
        );
        let visits = std::fs::read_to_string(bundle.join("visits.csv")).unwrap();
        let checks: usize = visits
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(7).unwrap().split(';').count())
            .sum();
        assert_eq!(all.len(), checks, "one job per (visit, department)");
        assert!(!all.is_empty(), "the run made jobs");
        assert!(all.iter().all(|j| j["state"] == "planned"));
        let job = staffed(app, &admin).await.remove(0);
        assert_eq!(job["period_from"].as_str().unwrap().len(), 10);
        let id = job["id"].as_i64().unwrap();
        let member = job["team"][0]["inspector"].as_str().unwrap().to_string();
        let inspector = app.token(Role::Inspector, Some(&member)).await;
        let outsider = app.token(Role::Inspector, Some("SCJG-440305-0003")).await;
        let scjg = app.token(Role::Department, Some("SCJG")).await;
        let sthj = app.token(Role::Department, Some("STHJ")).await;
        let from = job["period_from"].as_str().unwrap().to_string();
        let url = format!("/api/v1/inspection-jobs/{id}/result");

        // Notice first (another department may not).
        let (status, b) = send(
            app.post(&format!("/api/v1/inspection-jobs/{id}/notify?"))
                .bearer_auth(&sthj)
                .json(&json!({ "on": from })),
        )
        .await;
        assert_eq!(
            (status, b["code"].as_str()),
            (403, Some("not_your_department")),
            "{b}"
        );
        let (status, b) = send(
            app.post(&format!("/api/v1/inspection-jobs/{id}/notify"))
                .bearer_auth(&scjg)
                .json(&json!({ "on": from })),
        )
        .await;
        assert_eq!(status, 200, "{b}");
        assert_eq!(b["state"], "notified");

        // Bad results: each refused with its code, nothing written.
        let cases = [
            (
                &outsider,
                result_body(&job, &from, "未发现问题"),
                403,
                "not_on_team",
            ),
            (
                &inspector,
                result_body(&job, "2025-06-01", "未发现问题"),
                422,
                "outside_period",
            ),
            (
                &inspector,
                result_body(&job, "2026-13-01", "未发现问题"),
                422,
                "invalid",
            ),
            (
                &inspector,
                result_body(&job, &from, "查无此类"),
                422,
                "unknown_category",
            ),
            (
                &inspector,
                json!({ "checked_on": from, "method": "电话", "items": {} }),
                422,
                "unknown_method",
            ),
        ];
        for (token, body, want, code) in cases {
            let (status, b) = send(app.post(&url).bearer_auth(token).json(&body)).await;
            assert_eq!(
                (status, b["code"].as_str()),
                (want, Some(code)),
                "{body}: {b}"
            );
        }
        let (_, detail) = send(
            app.get(&format!("/api/v1/inspection-jobs/{id}"))
                .bearer_auth(&admin),
        )
        .await;
        assert_eq!(
            detail["results"].as_array().unwrap().len(),
            0,
            "nothing written"
        );

        let (status, r) = send(app.post(&url).bearer_auth(&inspector).json(&result_body(
            &job,
            &from,
            "未发现问题",
        )))
        .await;
        assert_eq!(status, 201, "{r}");
        assert_eq!(r["entered_by"], member.as_str());
        assert_eq!(r["version"], 1);
        assert_eq!(r["categories"], json!(["no-problem"]));
        let rid = r["id"].as_i64().unwrap();
        let (status, b) = send(app.post(&url).bearer_auth(&inspector).json(&result_body(
            &job,
            &from,
            "未发现问题",
        )))
        .await;
        assert_eq!(
            (status, b["code"].as_str()),
            (409, Some("duplicate_result")),
            "{b}"
        );
        let (_, detail) = send(
            app.get(&format!("/api/v1/inspection-jobs/{id}"))
                .bearer_auth(&admin),
        )
        .await;
        assert_eq!(detail["state"], "done");

        // Not public until published; due 20 working days after the check: overdue after that.
        let uscc = job["uscc"].as_str().unwrap();
        let public = format!("/api/v1/public/enterprises/{uscc}/inspection-results");
        let (status, p) = send(app.get(&public)).await;
        assert_eq!(status, 200);
        assert_eq!(p["results"].as_array().unwrap().len(), 0);
        let due = r["due_on"].as_str().unwrap().to_string();
        let (_, late) = send(
            app.get("/api/v1/inspection-results/overdue?on=2026-12-31")
                .bearer_auth(&scjg),
        )
        .await;
        let entry = late
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["result"]["id"] == rid)
            .expect("listed as overdue");
        assert!(entry["working_days_late"].as_u64().unwrap() > 0, "{entry}");
        let (_, early) = send(
            app.get(&format!("/api/v1/inspection-results/overdue?on={due}"))
                .bearer_auth(&scjg),
        )
        .await;
        assert!(
            early
                .as_array()
                .unwrap()
                .iter()
                .all(|o| o["result"]["id"] != rid),
            "not late on its due day"
        );

        let (status, b) = send(
            app.post(&format!(
                "/api/v1/inspection-results/{rid}/publish?on={from}"
            ))
            .bearer_auth(&scjg),
        )
        .await;
        assert_eq!(status, 200, "{b}");
        let (status, b) = send(
            app.post(&format!(
                "/api/v1/inspection-results/{rid}/publish?on={from}"
            ))
            .bearer_auth(&scjg),
        )
        .await;
        assert_eq!(
            (status, b["code"].as_str()),
            (409, Some("already_published"))
        );
        let (_, p) = send(app.get(&public)).await;
        assert_eq!(p["results"][0]["result"], "未发现问题");
        assert_eq!(p["results"][0]["inspecting_body"], "市场监督管理局");

        // A correction is a new version with its reason; both stay public once published.
        // It is due 20 working days after today, which may be in next year.
        app.import_test_calendar_2027();
        let mut fix = result_body(&job, &from, "发现问题经责令已改正");
        let (status, b) = send(
            app.post(&format!("/api/v1/inspection-results/{rid}/corrections"))
                .bearer_auth(&inspector)
                .json(&fix),
        )
        .await;
        assert_eq!((status, b["code"].as_str()), (422, Some("reason_required")));
        fix["reason"] = json!("录入时勾选错误");
        let (status, v2) = send(
            app.post(&format!("/api/v1/inspection-results/{rid}/corrections"))
                .bearer_auth(&inspector)
                .json(&fix),
        )
        .await;
        assert_eq!(status, 201, "{v2}");
        assert_eq!(v2["version"], 2);
        // Once the draw is revealed, a publication is also an event of the public log.
        let (status, _) = send(app.post("/api/v1/draws/B1/reveal").bearer_auth(&planner)).await;
        assert_eq!(status, 200);
        let (status, _) = send(
            app.post(&format!("/api/v1/inspection-results/{}/publish", v2["id"]))
                .bearer_auth(&scjg),
        )
        .await;
        assert_eq!(status, 200);
        let publish_events: i64 = {
            let mut conn = app.db.pool.acquire().await.unwrap();
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM log_events WHERE event = 'publish' AND batch = 'B1'",
            )
            .fetch_one(&mut *conn)
            .await
            .unwrap()
        };
        assert_eq!(
            publish_events, 1,
            "only the publication after the reveal is logged"
        );
        let (_, p) = send(app.get(&public)).await;
        let versions: Vec<i64> = p["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["version"].as_i64().unwrap())
            .collect();
        assert_eq!(versions, vec![1, 2]);
        assert_eq!(p["results"][1]["correction_reason"], "录入时勾选错误");
        let csv = app
            .get(&format!("{public}?format=csv"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            csv.starts_with("统一社会信用代码,企业名称,抽查批次"),
            "{csv}"
        );
        assert_eq!(csv.lines().count(), 3, "{csv}");
        let (_, batch) = send(app.get("/api/v1/public/batches/B1/results")).await;
        assert_eq!(batch["results"].as_array().unwrap().len(), 2);

        let (_, log) = send(app.get("/api/v1/audit?limit=1000").bearer_auth(&admin)).await;
        let actions: Vec<&str> = log
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        for a in [
            "inspection.jobs",
            "inspection.notify",
            "inspection.result",
            "inspection.publish",
            "inspection.correct",
        ] {
            assert!(actions.contains(&a), "{a} missing from the audit log");
        }
    }
);

both!(
    a_job_not_carried_out_takes_a_listed_reason_and_no_result,
    |app| {
        let admin = app.load_fixtures().await;
        run_draw(app).await;
        let job = staffed(app, &admin).await.remove(0);
        let id = job["id"].as_i64().unwrap();
        let scjg = app.token(Role::Department, Some("SCJG")).await;
        let step = format!("/api/v1/inspection-jobs/{id}/not-carried-out");
        let (status, b) = send(
            app.post(&step)
                .bearer_auth(&scjg)
                .json(&json!({ "reason": "下雨" })),
        )
        .await;
        assert_eq!(
            (status, b["code"].as_str()),
            (422, Some("unknown_reason")),
            "{b}"
        );
        let (status, b) = send(
            app.post(&step)
                .bearer_auth(&scjg)
                .json(&json!({ "reason": "企业已注销" })),
        )
        .await;
        assert_eq!(status, 200, "{b}");
        assert_eq!(b["state"], "not-carried-out");
        assert_eq!(b["reason"], "deregistered");
        let member = job["team"][0]["inspector"].as_str().unwrap();
        let inspector = app.token(Role::Inspector, Some(member)).await;
        let from = job["period_from"].as_str().unwrap();
        let (status, b) = send(
            app.post(&format!("/api/v1/inspection-jobs/{id}/result"))
                .bearer_auth(&inspector)
                .json(&result_body(&job, from, "未发现问题")),
        )
        .await;
        assert_eq!(
            (status, b["code"].as_str()),
            (409, Some("wrong_state")),
            "{b}"
        );
    }
);

both!(
    a_result_and_a_close_of_one_job_at_once_do_not_both_happen,
    |app| {
        // A first result and a close of the same job, sent at the same moment: each reads the
        // job locked and moves it conditionally on the state read, so of the two exactly one
        // happens, for every job (docs/results.md §1.1).
        let admin = app.load_fixtures().await;
        run_draw(app).await;
        let scjg = app.token(Role::Department, Some("SCJG")).await;
        let all = staffed(app, &admin).await;
        assert!(!all.is_empty());
        for job in &all {
            let id = job["id"].as_i64().unwrap();
            let member = job["team"][0]["inspector"].as_str().unwrap();
            let inspector = app.token(Role::Inspector, Some(member)).await;
            let from = job["period_from"].as_str().unwrap();
            let ((recorded, r), (closed, c)) = tokio::join!(
                send(
                    app.post(&format!("/api/v1/inspection-jobs/{id}/result"))
                        .bearer_auth(&inspector)
                        .json(&result_body(job, from, "未发现问题")),
                ),
                send(
                    app.post(&format!("/api/v1/inspection-jobs/{id}/not-carried-out"))
                        .bearer_auth(&scjg)
                        .json(&json!({ "reason": "企业已注销" })),
                )
            );
            let (status, now) = send(
                app.get(&format!("/api/v1/inspection-jobs/{id}"))
                    .bearer_auth(&admin),
            )
            .await;
            assert_eq!(status, 200, "{now}");
            match (recorded, closed) {
                (201, 409) => {
                    assert_eq!(c["code"], "wrong_state", "{c}");
                    assert_eq!(now["state"], "done", "{now}");
                }
                (409, 200) => {
                    assert_eq!(r["code"], "wrong_state", "{r}");
                    assert_eq!(now["state"], "not-carried-out", "{now}");
                }
                other => panic!("job {id}: one of the two, not {other:?}: {r} {c}"),
            }
        }
    }
);

both!(
    bulk_results_name_every_bad_row_and_write_nothing_or_everything,
    |app| {
        let admin = app.load_fixtures().await;
        run_draw(app).await;
        let staffed = staffed(app, &admin).await;
        assert!(
            staffed.len() >= 2,
            "the fixture city staffs at least two SCJG jobs"
        );
        let scjg = app.token(Role::Department, Some("SCJG")).await;
        let row = |j: &Value, inspector: &str, date: &str, result: &str| {
            format!(
                "B1,{},SCJG,{inspector},{date},书面,{result},,\n",
                j["visit"].as_str().unwrap()
            )
        };
        let (a, b) = (&staffed[0], &staffed[1]);
        let member = |j: &Value| j["team"][0]["inspector"].as_str().unwrap().to_string();
        let header = "抽查批次,检查编号,部门代码,检查人员编号,检查日期,检查方式,检查结果,后续处置,处置完结日期\n";
        let bad = format!(
            "{header}{}{}{}B1,B1-NOPE/91440300192185379H,SCJG,X,2026-01-05,书面,未发现问题,,\n",
            row(
                a,
                &member(a),
                a["period_from"].as_str().unwrap(),
                "未发现问题"
            ),
            row(
                a,
                &member(a),
                a["period_from"].as_str().unwrap(),
                "未发现问题"
            ),
            row(b, "SCJG-440305-0003", "2099-01-01", "查无此类"),
        );
        let (gbk, _, _) = encoding_rs::GB18030.encode(&bad);
        let (status, e) = send(
            app.post("/api/v1/inspection-results/import?file=results.csv")
                .bearer_auth(&scjg)
                .body(gbk.into_owned()),
        )
        .await;
        assert_eq!(status, 422, "{e}");
        let errors: Vec<String> = e["details"]["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        let has = |prefix: &str, what: &str| {
            errors
                .iter()
                .any(|m| m.starts_with(prefix) && m.contains(what))
        };
        assert!(
            has("results.csv:3: 检查编号: ", "duplicate_result"),
            "{errors:?}"
        );
        assert!(
            has("results.csv:4: 检查人员编号: ", "not_on_team"),
            "{errors:?}"
        );
        assert!(
            has("results.csv:4: 检查日期: ", "outside_period"),
            "{errors:?}"
        );
        assert!(
            has("results.csv:4: 检查结果: ", "unknown_category"),
            "{errors:?}"
        );
        assert!(
            has("results.csv:5: 检查编号: ", "not_in_plan"),
            "{errors:?}"
        );
        assert_eq!(errors.len(), 5, "{errors:?}");
        let bad_item = format!(
            "{header}{}",
            row(
                b,
                &member(b),
                "2026-12-31",
                "SCJG-001=未发现问题;SCJG-999=未发现问题"
            )
        );
        let (status, e) = send(
            app.post("/api/v1/inspection-results/import?file=f.csv")
                .bearer_auth(&scjg)
                .body(bad_item),
        )
        .await;
        assert_eq!(status, 422, "{e}");
        let errors = e["details"]["errors"].to_string();
        assert!(
            errors.contains("f.csv:2: 检查结果: unknown_item: item SCJG-999"),
            "{errors}"
        );
        let mut conn = app.db.pool.acquire().await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inspection_results")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(n, 0, "nothing written");

        let good = format!(
            "{header}{}{}",
            row(
                a,
                &member(a),
                a["period_from"].as_str().unwrap(),
                "未发现问题"
            ),
            row(
                b,
                &member(b),
                b["period_from"].as_str().unwrap(),
                "SCJG-001=通过登记的住所（经营场所）无法联系"
            ),
        );
        let sthj = app.token(Role::Department, Some("STHJ")).await;
        let (status, e) = send(
            app.post("/api/v1/inspection-results/import")
                .bearer_auth(&sthj)
                .body(good.clone()),
        )
        .await;
        assert_eq!(status, 422, "another department's jobs: {e}");
        let (status, ok) = send(
            app.post("/api/v1/inspection-results/import")
                .bearer_auth(&scjg)
                .body(good),
        )
        .await;
        assert_eq!(status, 200, "{ok}");
        assert_eq!(ok["results"], 2);
        assert_eq!(
            ok["proposals"], 1,
            "无法联系 proposes the abnormal-operation list"
        );
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM inspection_jobs WHERE state = 'done'")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        assert_eq!(n, 2);
    }
);

both!(concurrent_imports_of_one_file_write_it_once, |app| {
    let admin = app.load_fixtures().await;
    run_draw(app).await;
    let staffed = staffed(app, &admin).await;
    let scjg = app.token(Role::Department, Some("SCJG")).await;
    let mut file = "batch,visit,department,inspector,checked_on,method,results\n".to_string();
    for j in &staffed {
        file.push_str(&format!(
            "B1,{},SCJG,{},{},书面,未发现问题\n",
            j["visit"].as_str().unwrap(),
            j["team"][0]["inspector"].as_str().unwrap(),
            j["period_from"].as_str().unwrap()
        ));
    }
    let import = || {
        send(
            app.post("/api/v1/inspection-results/import?file=same.csv")
                .bearer_auth(&scjg)
                .body(file.clone()),
        )
    };
    let ((s1, r1), (s2, r2)) = tokio::join!(import(), import());
    let mut statuses = [s1, s2];
    statuses.sort();
    assert_eq!(statuses[0], 200, "one import succeeds: {r1} {r2}");
    assert!(
        [409, 422].contains(&statuses[1]),
        "the other is refused: {r1} {r2}"
    );
    let refused = if s1 == 200 { r2 } else { r1 };
    assert!(
        refused.to_string().contains("duplicate_result"),
        "{refused}"
    );
    let mut conn = app.db.pool.acquire().await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inspection_results")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(n as usize, staffed.len(), "each result once");
    let audited: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'inspection.import'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!(audited, 1, "one audit entry, of the import that wrote");
});

both!(
    a_credit_proposal_changes_the_tier_only_when_the_credit_office_confirms_it,
    |app| {
        let admin = app.load_fixtures().await;
        run_draw_of(app, TASKS_ALL_A_B).await;
        let staffed = staffed(app, &admin).await;
        let credit = app.token(Role::Credit, None).await;
        let mut proposal_ids = Vec::new();
        let mut light = Vec::new();
        for job in &staffed {
            let uscc = job["uscc"].as_str().unwrap();
            let (_, t) = send(
                app.get(&format!("/api/v1/enterprises/{uscc}/tier?on=2026-12-01"))
                    .bearer_auth(&credit),
            )
            .await;
            if t["tier"] == "A" || t["tier"] == "B" {
                light.push(job.clone());
            }
        }
        assert!(light.len() >= 2, "two staffed jobs of A or B enterprises");
        for (job, category) in light.iter().take(2).zip([
            "通过登记的住所（经营场所）无法联系",
            "公示信息隐瞒真实情况、弄虚作假",
        ]) {
            let member = job["team"][0]["inspector"].as_str().unwrap();
            let inspector = app.token(Role::Inspector, Some(member)).await;
            let from = job["period_from"].as_str().unwrap();
            let (status, b) = send(
                app.post(&format!("/api/v1/inspection-jobs/{}/result", job["id"]))
                    .bearer_auth(&inspector)
                    .json(&result_body(job, from, category)),
            )
            .await;
            assert_eq!(status, 201, "{b}");
            let (_, list) = send(
                app.get(&format!(
                    "/api/v1/credit-proposals?state=proposed&uscc={}",
                    job["uscc"].as_str().unwrap()
                ))
                .bearer_auth(&credit),
            )
            .await;
            assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
            proposal_ids.push((
                list[0]["id"].as_i64().unwrap(),
                job["uscc"].as_str().unwrap().to_string(),
                list[0]["kind"].as_str().unwrap().to_string(),
            ));
        }
        let (first, uscc, kind) = &proposal_ids[0];
        assert_eq!(kind, "abnormal-list");
        let tier = |uscc: String| {
            let credit = credit.clone();
            async move {
                send(
                    app.get(&format!("/api/v1/enterprises/{uscc}/tier?on=2026-12-01"))
                        .bearer_auth(&credit),
                )
                .await
                .1["tier"]
                    .as_str()
                    .unwrap()
                    .to_string()
            }
        };
        let before = tier(uscc.clone()).await;
        assert!(
            before == "A" || before == "B",
            "{before}: nothing listed automatically"
        );
        let (status, b) = send(
            app.post(&format!("/api/v1/credit-proposals/{first}/confirm"))
                .bearer_auth(&credit)
                .json(
                    &json!({ "document_no": "深市监异〔2026〕901号", "decided_on": "2026-11-20" }),
                ),
        )
        .await;
        assert_eq!(status, 200, "{b}");
        assert_eq!(b["state"], "confirmed");
        assert!(b["record_id"].as_i64().is_some());
        assert_eq!(
            tier(uscc.clone()).await,
            "C",
            "the abnormal-operation list lifts the tier to C"
        );
        let (status, b) = send(
            app.post(&format!("/api/v1/credit-proposals/{first}/reject"))
                .bearer_auth(&credit)
                .json(&json!({ "reason": "x" })),
        )
        .await;
        assert_eq!((status, b["code"].as_str()), (409, Some("wrong_state")));
        let (second, _, _) = &proposal_ids[1];
        let (status, b) = send(
            app.post(&format!("/api/v1/credit-proposals/{second}/reject"))
                .bearer_auth(&credit)
                .json(&json!({})),
        )
        .await;
        assert_eq!((status, b["code"].as_str()), (422, Some("reason_required")));
        let (status, b) = send(
            app.post(&format!("/api/v1/credit-proposals/{second}/reject"))
                .bearer_auth(&credit)
                .json(&json!({ "reason": "经核实企业已自行更正" })),
        )
        .await;
        assert_eq!(status, 200, "{b}");
        assert_eq!(b["state"], "rejected");
    }
);

both!(
    the_task_announcement_is_public_and_names_the_drawn_only_after_the_reveal,
    |app| {
        app.load_fixtures().await;
        let (status, _) = send(app.get("/api/v1/public/batches/B1/announcement")).await;
        assert_eq!(status, 404);
        let planner = run_draw(app).await;
        let (status, a) = send(app.get("/api/v1/public/batches/B1/announcement")).await;
        assert_eq!(status, 200, "{a}");
        let task = &a["tasks"][0];
        assert_eq!(task["task"], "SCJG-G");
        assert_eq!(task["type"], "不定向");
        assert_eq!(task["joint"], true);
        assert_eq!(task["inspecting_body"], "市场监督管理局");
        assert_eq!(task["check_from"], "2026-01-01");
        assert_eq!(task["check_to"], "2026-12-31");
        assert!(task["drawn"].as_u64().unwrap() > 0);
        assert!(task["drawn_list"].is_null(), "not before the reveal");
        let (status, _) = send(app.post("/api/v1/draws/B1/reveal").bearer_auth(&planner)).await;
        assert_eq!(status, 200);
        let (_, a) = send(app.get("/api/v1/public/batches/B1/announcement")).await;
        assert_eq!(
            a["tasks"][0]["drawn_list"].as_array().unwrap().len() as u64,
            a["tasks"][0]["drawn"].as_u64().unwrap()
        );
        let csv = app
            .get("/api/v1/public/batches/B1/announcement?format=csv")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(csv.starts_with("抽查批次,任务编号,检查实施机关"), "{csv}");
        assert_eq!(csv.lines().count(), 3);
    }
);

both!(
    the_command_line_records_jobs_once_imports_results_and_lists_the_overdue,
    |app| {
        let admin = app.load_fixtures().await;
        run_draw(app).await;
        let bundle = app.dir.path().join("bundles/B1");
        let out = app.cli(&["inspection", "jobs", bundle.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "the run recorded them already");
        assert!(String::from_utf8_lossy(&out.stderr).contains("already has its inspection jobs"));
        let job = staffed(app, &admin).await.remove(0);
        let from = job["period_from"].as_str().unwrap();
        let member = job["team"][0]["inspector"].as_str().unwrap();
        let file = app.dir.path().join("r.csv");
        let visit = job["visit"].as_str().unwrap();
        std::fs::write(&file, format!("batch,visit,department,inspector,checked_on,method,results\nB1,{visit},SCJG,{member},{from},on-site,no-problem\nB1,{visit},SCJG,{member},{from},on-site,no-problem\n")).unwrap();
        let out = app.cli(&[
            "inspection",
            "import",
            file.to_str().unwrap(),
            "--department",
            "STHJ",
        ]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("r.csv:2: department: not_your_department"),
            "{err}"
        );
        assert!(
            err.contains("r.csv:3: department: not_your_department"),
            "{err}"
        );
        std::fs::write(&file, format!("batch,visit,department,inspector,checked_on,method,results\nB1,{visit},SCJG,{member},{from},on-site,no-problem\n")).unwrap();
        let out = app.cli(&[
            "inspection",
            "import",
            file.to_str().unwrap(),
            "--department",
            "SCJG",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = app.cli(&["inspection", "overdue", "--on", "2026-12-31"]);
        assert!(out.status.success());
        let csv = String::from_utf8_lossy(&out.stdout);
        assert_eq!(csv.lines().count(), 2, "{csv}");
        let id = csv
            .lines()
            .nth(1)
            .unwrap()
            .split(',')
            .next()
            .unwrap()
            .to_string();
        let out = app.cli(&["inspection", "publish", &id, "--on", from]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = app.cli(&["inspection", "overdue", "--on", "2026-12-31"]);
        assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    }
);

both!(
    the_next_draw_reads_its_history_from_the_recorded_results,
    |app| {
        let admin = app.load_fixtures().await;
        let planner = run_draw(app).await;
        let job = staffed(app, &admin).await.remove(0);
        let from = job["period_from"].as_str().unwrap();
        let members: Vec<&str> = job["team"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["inspector"].as_str().unwrap())
            .collect();
        let inspector = app.token(Role::Inspector, Some(members[0])).await;
        let (status, b) = send(
            app.post(&format!("/api/v1/inspection-jobs/{}/result", job["id"]))
                .bearer_auth(&inspector)
                .json(&result_body(&job, from, "未发现问题")),
        )
        .await;
        assert_eq!(status, 201, "{b}");
        let body = json!({ "batch": "B2", "sources": ["lottery:福彩3D:2026002:2026-01-03"], "allow_past_entropy": true, "tasks_csv": TASKS, "policy_csv": POLICY });
        let (status, b) = send(app.post("/api/v1/draws").bearer_auth(&planner).json(&body)).await;
        assert_eq!(status, 201, "{b}");
        let history =
            std::fs::read_to_string(app.dir.path().join("bundles/B2/inputs/history.csv")).unwrap();
        let uscc = job["uscc"].as_str().unwrap();
        for m in &members {
            let row = format!("{uscc},SCJG,{m},{from}");
            assert!(
                history.lines().any(|l| l == row),
                "{row} missing from\n{history}"
            );
        }
        assert_eq!(history.lines().count(), 1 + members.len(), "{history}");
    }
);

both!(
    a_replacement_is_the_plans_next_inspector_and_nobody_else,
    |app| {
        let admin = app.load_fixtures().await;
        let extra = "id,name,department,region,certificate_no,certificate_valid_from,certificate_valid_until,specialties,capacity\nSCJG-440305-0004,赵敏,SCJG,440305,44030500004,2024-01-01,2028-12-31,综合,60\n";
        let (status, b) = send(
            app.post("/api/v1/imports/inspectors?file=extra.csv")
                .bearer_auth(&admin)
                .body(extra),
        )
        .await;
        assert_eq!(status, 200, "{b}");
        // Every A and B enterprise SCJG can staff is drawn; take one on which no inspector
        // declared a conflict (0001 declared one on 91440305MA5DA0001T, so a team there is
        // 0002 and 0004 and nobody could replace either).
        run_draw_of(app, TASKS_ALL_A_B).await;
        let job = staffed(app, &admin)
            .await
            .into_iter()
            .find(|j| j["uscc"] != "91440305MA5DA0001T")
            .expect("a staffed job on an enterprise without a declared conflict");
        let id = job["id"].as_i64().unwrap();
        let team: Vec<String> = job["team"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["inspector"].as_str().unwrap().to_string())
            .collect();
        let scjg = app.token(Role::Department, Some("SCJG")).await;
        let url = format!("/api/v1/inspection-jobs/{id}/replace");
        let (status, b) = send(
            app.post(&url)
                .bearer_auth(&scjg)
                .json(&json!({ "inspector": "SCJG-440305-0003", "reason": "病假" })),
        )
        .await;
        assert_eq!(
            (status, b["code"].as_str()),
            (422, Some("not_on_team")),
            "{b}"
        );
        let (status, b) = send(
            app.post(&url)
                .bearer_auth(&scjg)
                .json(&json!({ "inspector": team[0] })),
        )
        .await;
        assert_eq!(
            (status, b["code"].as_str()),
            (422, Some("reason_required")),
            "{b}"
        );
        let (status, b) = send(
            app.post(&url)
                .bearer_auth(&scjg)
                .json(&json!({ "inspector": team[0], "reason": "病假" })),
        )
        .await;
        assert_eq!(status, 200, "{b}");
        // 0003's certificate ended in 2025: the one inspector left who qualifies is 0001, 0002 or
        // 0004, whichever was not drawn.
        let expected = ["SCJG-440305-0001", "SCJG-440305-0002", "SCJG-440305-0004"]
            .into_iter()
            .find(|i| !team.iter().any(|t| t == i))
            .unwrap();
        let now: Vec<&Value> = b["team"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["active"] == 1)
            .collect();
        assert_eq!(now.len(), 2);
        let replacement = now
            .iter()
            .find(|m| m["source"] == "replacement")
            .expect("a replacement");
        assert_eq!(replacement["inspector"], expected);
        assert_eq!(replacement["replaces"], team[0].as_str());
        assert_eq!(replacement["priority"].as_str().unwrap().len(), 16);
        // The replaced member no longer enters results; the replacement does.
        let from = job["period_from"].as_str().unwrap();
        let gone = app.token(Role::Inspector, Some(&team[0])).await;
        let (status, _) = send(
            app.post(&format!("/api/v1/inspection-jobs/{id}/result"))
                .bearer_auth(&gone)
                .json(&result_body(&job, from, "未发现问题")),
        )
        .await;
        assert_eq!(status, 403);
        // Nobody is left to replace the other drawn member.
        let (status, b) = send(
            app.post(&url)
                .bearer_auth(&scjg)
                .json(&json!({ "inspector": team[1], "reason": "调离" })),
        )
        .await;
        assert_eq!(
            (status, b["code"].as_str()),
            (409, Some("no_replacement")),
            "{b}"
        );
        let new = app.token(Role::Inspector, Some(expected)).await;
        let (status, b) = send(
            app.post(&format!("/api/v1/inspection-jobs/{id}/result"))
                .bearer_auth(&new)
                .json(&result_body(&job, from, "未发现问题")),
        )
        .await;
        assert_eq!(status, 201, "{b}");
    }
);
