//! The officials' workspace over real HTTP, on both databases (`docs/workspace.md`): login and
//! its cookie, expired and revoked sessions, CSRF refusals that change nothing, role menus, an
//! import with errors shown as a table, and the draw wizard in order and out of order.

mod common;
use common::browser::*;
use common::TestApp;
use dualdraw::auth::Role;

const TASKS: &str = "id,department,group,items,regions,industries,quota_a,quota_b,quota_c,quota_d,period_from,period_to\n\
SCJG-G,SCJG,joint,SCJG-001,,,1/2,1/2,1/2,1/2,1,4\n\
STHJ-G,STHJ,joint,STHJ-001,,,1/2,1/2,1/2,1/2,1,4\n";
const POLICY: &str = "key,value\nyear,2026\nas_of,2026-01-01\nperiods,quarter\nvisit_cap_a,1\nvisit_cap_b,1\nvisit_cap_c,2\nvisit_cap_d,4\ninspectors_per_department,2\nexclusion_months,12\n";
const SOURCE: &str = "lottery:福彩3D:2026001:2026-01-02";

async fn exec(app: &TestApp, sql: &str) {
    let mut conn = app.db.pool.acquire().await.unwrap();
    sqlx::query(sql).execute(&mut *conn).await.unwrap();
}

both!(login_sets_a_session_cookie_and_logout_deletes_it, |app| {
    let admin = app.token(Role::Admin, None).await;
    let mut b = Browser::new(app);
    let first = b.get("/workspace").await;
    assert_eq!(first.status, 303);
    assert_eq!(first.location(), "/workspace/login");

    let form = b.get("/workspace/login").await;
    let csrf = form.csrf();
    let wrong = b
        .post("/workspace/login", &[("csrf", &csrf), ("token", "dd_nope")])
        .await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("令牌无效或已被吊销"), "{}", wrong.body);
    assert!(!b.cookies.contains_key("dd_session"));
    assert_eq!(count(app, "SELECT COUNT(*) FROM web_sessions").await, 0);

    let form = b.get("/workspace/login").await;
    let csrf = form.csrf();
    let done = b
        .post("/workspace/login", &[("csrf", &csrf), ("token", &admin)])
        .await;
    assert_eq!(done.status, 303);
    let cookie = done
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("dd_session="))
        .expect("a session cookie");
    let id = cookie["dd_session=".len()..]
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(id.len(), 64);
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=28800"] {
        assert!(
            cookie.split("; ").any(|a| a == attribute),
            "{attribute} in {cookie}"
        );
    }
    assert!(!cookie.contains("Secure"), "not configured: {cookie}");
    // The database keeps only the id's hash, never the id nor the token.
    let mut conn = app.db.pool.acquire().await.unwrap();
    let stored: String = sqlx::query_scalar("SELECT id_hash FROM web_sessions")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    assert_ne!(stored, id);
    assert_eq!(stored, dualdraw::auth::hash_token(&id));

    let dash = b.get("/workspace").await;
    assert_eq!(dash.status, 200);
    assert!(dash.body.contains("系统管理员"), "{}", dash.body);

    // Logging in again from the same browser replaces its session (a new id, the old row gone).
    let dash = b.login(&admin).await;
    assert_eq!(count(app, "SELECT COUNT(*) FROM web_sessions").await, 1);
    assert_ne!(b.cookies["dd_session"], id);

    let out = b.post("/workspace/logout", &[("csrf", &dash.csrf())]).await;
    assert_eq!(out.status, 303);
    assert_eq!(out.location(), "/workspace/login?out=1");
    assert_eq!(count(app, "SELECT COUNT(*) FROM web_sessions").await, 0);
    assert!(
        !b.cookies.contains_key("dd_session"),
        "the cookie is cleared"
    );
    // The old id is worth nothing, even if a copy was kept.
    b.cookies.insert("dd_session".into(), id);
    assert_eq!(b.get("/workspace").await.status, 303);
    assert_eq!(
        count(
            app,
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('session.login', 'session.logout')"
        )
        .await,
        3
    );
});

both!(
    an_expired_idle_or_revoked_session_goes_to_the_login_page,
    |app| {
        let admin = app.token(Role::Admin, None).await;
        let mut b = Browser::new(app);

        b.login(&admin).await;
        exec(
            app,
            "UPDATE web_sessions SET expires_at = '2000-01-01T00:00:00Z'",
        )
        .await;
        let page = b.get("/workspace").await;
        assert_eq!(page.status, 303);
        assert_eq!(page.location(), "/workspace/login?expired=1");
        assert_eq!(count(app, "SELECT COUNT(*) FROM web_sessions").await, 0);
        let login = b.get(page.location()).await;
        assert!(login.body.contains("会话已过期"), "{}", login.body);

        b.login(&admin).await;
        exec(
            app,
            "UPDATE web_sessions SET seen_at = '2000-01-01T00:00:00Z'",
        )
        .await;
        assert_eq!(
            b.get("/workspace").await.location(),
            "/workspace/login?expired=1"
        );

        b.login(&admin).await;
        exec(app, "UPDATE tokens SET revoked_at = '2026-11-23T00:00:00Z'").await;
        assert_eq!(
            b.get("/workspace").await.location(),
            "/workspace/login?expired=1"
        );
        // A POST of an expired session changes nothing either.
        assert_eq!(
            b.post("/workspace/draws", &[("batch", "x")]).await.status,
            303
        );
        assert_eq!(count(app, "SELECT COUNT(*) FROM draws").await, 0);
    }
);

both!(
    a_form_without_or_with_a_wrong_csrf_token_is_refused_and_changes_nothing,
    |app| {
        app.load_fixtures().await;
        let planner = app.token(Role::Planner, None).await;
        let admin = app.token(Role::Admin, None).await;
        let mut b = Browser::new(app);
        let dash = b.login(&planner).await;
        let good = dash.csrf();
        let draw = |csrf: Option<&'static str>| {
            let mut f = vec![
                ("batch", "2026-Q1"),
                ("method", "dr1"),
                ("sources", SOURCE),
                ("tasks_csv", TASKS),
                ("policy_csv", POLICY),
                ("allow_past_entropy", "1"),
            ];
            if let Some(c) = csrf {
                f.push(("csrf", c));
            }
            f
        };
        let none = b.post("/workspace/draws", &draw(None)).await;
        assert_eq!(none.status, 403);
        assert!(none.body.contains("没有做任何更改"), "{}", none.body);
        let wrong_token = "0".repeat(64);
        let mut f = draw(None);
        f.push(("csrf", &wrong_token));
        assert_eq!(b.post("/workspace/draws", &f).await.status, 403);
        assert_eq!(count(app, "SELECT COUNT(*) FROM draws").await, 0);

        // Another session's token is not this session's.
        let mut other = Browser::new(app);
        let other_csrf = other.login(&admin).await.csrf();
        assert_ne!(other_csrf, good);
        let mut f = draw(None);
        f.push(("csrf", &other_csrf));
        assert_eq!(b.post("/workspace/draws", &f).await.status, 403);

        // The right token from a foreign page (Origin of another site).
        let mut f = draw(None);
        f.push(("csrf", &good));
        let body = serde_urlencoded::to_string(&f).unwrap();
        let req = b
            .client
            .post(format!("{}/workspace/draws", b.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", "http://evil.example")
            .body(body);
        assert_eq!(b.send(req).await.status, 403);
        assert_eq!(count(app, "SELECT COUNT(*) FROM draws").await, 0);

        // Logout without the token does not log out.
        assert_eq!(b.post("/workspace/logout", &[]).await.status, 403);
        assert_eq!(b.get("/workspace").await.status, 200);

        // An import without the token imports nothing.
        let mut imp = Browser::new(app);
        imp.login(&admin).await;
        let before = count(app, "SELECT COUNT(*) FROM conflicts").await;
        let csv = b"inspector,uscc,reason\n";
        let page = imp
            .post_multipart(
                "/workspace/imports",
                &[("kind", None, b"conflicts"), ("file", Some("c.csv"), csv)],
            )
            .await;
        assert_eq!(page.status, 403);
        assert_eq!(count(app, "SELECT COUNT(*) FROM conflicts").await, before);

        // The login form double-submits its token: without it, no session.
        let mut fresh = Browser::new(app);
        fresh.get("/workspace/login").await;
        let page = fresh.post("/workspace/login", &[("token", &admin)]).await;
        assert_eq!(page.status, 403);
        assert!(!fresh.cookies.contains_key("dd_session"));
    }
);

both!(menus_follow_the_role, |app| {
    app.load_fixtures().await;
    let cases = [
        (
            Role::Admin,
            None,
            &[
                "数据导入",
                "信用修复",
                "抽查摇号",
                "检查任务与结果",
                "信用处置建议",
            ][..],
            &[][..],
        ),
        (
            Role::Planner,
            None,
            &["数据导入", "抽查摇号"][..],
            &["信用修复"][..],
        ),
        (
            Role::Credit,
            None,
            &["数据导入", "信用修复"][..],
            &["抽查摇号", "检查任务与结果"][..],
        ),
        (
            Role::Enterprise,
            Some("91440305MA5DA00044"),
            &[][..],
            &["数据导入", "信用修复", "抽查摇号"][..],
        ),
    ];
    for (role, scope, shown, hidden) in cases {
        let token = app.token(role, scope).await;
        let mut b = Browser::new(app);
        let dash = b.login(&token).await;
        for label in shown {
            assert!(
                dash.body.contains(label),
                "{role}: {label} in {}",
                dash.body
            );
        }
        for label in hidden {
            assert!(
                !dash.body.contains(label),
                "{role}: no {label} in {}",
                dash.body
            );
        }
        // A page off the menu is refused, not just hidden.
        let draws = b.get("/workspace/draws").await;
        let may_draw = matches!(role, Role::Admin | Role::Planner);
        assert_eq!(draws.status, if may_draw { 200 } else { 403 }, "{role}");
        let repairs = b.get("/workspace/repairs").await;
        let may_repair = matches!(role, Role::Admin | Role::Credit);
        assert_eq!(repairs.status, if may_repair { 200 } else { 403 }, "{role}");
    }
    // The not-yet-available entry is not a link.
    let admin = app.token(Role::Admin, None).await;
    let mut b = Browser::new(app);
    let dash = b.login(&admin).await;
    assert!(!dash.body.contains("href=\"\""), "{}", dash.body);
});

both!(
    an_import_with_errors_shows_the_table_and_imports_nothing,
    |app| {
        let admin = app.token(Role::Admin, None).await;
        let mut b = Browser::new(app);
        b.login(&admin).await;
        let page = b.get("/workspace/imports").await;
        assert_eq!(page.status, 200);
        let csrf = page.csrf();
        let bad = std::fs::read(common::fixture("enterprises-bad.csv")).unwrap();
        let page = b
            .post_multipart(
                "/workspace/imports",
                &[
                    ("csrf", None, csrf.as_bytes()),
                    ("kind", None, b"enterprises"),
                    ("file", Some("C:\\data\\enterprises-bad.csv"), &bad),
                ],
            )
            .await;
        assert_eq!(page.status, 422, "{}", page.body);
        assert!(page.body.contains("id=\"import-errors\""), "{}", page.body);
        assert!(page.body.contains("没有导入任何数据"));
        // One row per error: file (without the client's directory), line, column, message.
        assert!(
            page.body
                .contains("<tr><td>enterprises-bad.csv</td><td>2</td><td>uscc</td>"),
            "{}",
            page.body
        );
        let rows = page
            .body
            .matches("<tr><td>enterprises-bad.csv</td>")
            .count();
        assert!(rows >= 5, "{rows} error rows");
        assert_eq!(count(app, "SELECT COUNT(*) FROM enterprises").await, 0);

        // The good file imports.
        let good = std::fs::read(common::fixture("departments.csv")).unwrap();
        let page = b
            .post_multipart(
                "/workspace/imports",
                &[
                    ("csrf", None, csrf.as_bytes()),
                    ("kind", None, b"departments"),
                    ("file", Some("departments.csv"), &good),
                ],
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("导入成功"), "{}", page.body);
        assert!(count(app, "SELECT COUNT(*) FROM departments").await > 0);

        // A credit officer may import credit records only.
        let credit = app.token(Role::Credit, None).await;
        let mut c = Browser::new(app);
        c.login(&credit).await;
        let page = c.get("/workspace/imports").await;
        assert!(page.body.contains("value=\"credit-records\""));
        assert!(!page.body.contains("value=\"enterprises\""));
        let csrf = page.csrf();
        let page = c
            .post_multipart(
                "/workspace/imports",
                &[
                    ("csrf", None, csrf.as_bytes()),
                    ("kind", None, b"departments"),
                    ("file", Some("departments.csv"), &good),
                ],
            )
            .await;
        assert_eq!(page.status, 403);
    }
);

both!(
    the_draw_wizard_takes_its_steps_in_order_and_refuses_others,
    |app| {
        app.load_fixtures().await;
        let planner = app.token(Role::Planner, None).await;
        let mut b = Browser::new(app);
        let csrf = b.login(&planner).await.csrf();

        // No draw yet: a run is refused as unknown.
        let page = b
            .post(
                "/workspace/draws/2026-Q1/run",
                &[("csrf", &csrf), ("entropy", "3 7 1")],
            )
            .await;
        assert_eq!(page.status, 404, "{}", page.body);

        // Step 1 with a bad source: the form comes back with the message and its values.
        let bad = b
            .post(
                "/workspace/draws",
                &[
                    ("csrf", &csrf),
                    ("batch", "2026-Q1"),
                    ("method", "dr1"),
                    ("sources", "lottery:福彩3D"),
                    ("tasks_csv", TASKS),
                    ("policy_csv", POLICY),
                    ("allow_past_entropy", "1"),
                ],
            )
            .await;
        assert_eq!(bad.status, 422, "{}", bad.body);
        assert!(bad.body.contains("输入有误"), "{}", bad.body);
        assert!(bad.body.contains("SCJG-G,SCJG,joint"), "the tasks are kept");
        assert_eq!(count(app, "SELECT COUNT(*) FROM draws").await, 0);

        let done = b
            .post(
                "/workspace/draws",
                &[
                    ("csrf", &csrf),
                    ("batch", "2026-Q1"),
                    ("method", "dr1"),
                    ("sources", SOURCE),
                    ("tasks_csv", TASKS),
                    ("policy_csv", POLICY),
                    ("allow_past_entropy", "1"),
                ],
            )
            .await;
        assert_eq!(done.status, 303, "{}", done.body);
        assert_eq!(done.location(), "/workspace/draws/2026-Q1");
        let dash = b.get("/workspace").await;
        assert!(
            dash.body.contains("待录入随机源的抽查批次</a>：1</li>"),
            "{}",
            dash.body
        );
        let wizard = b.get("/workspace/draws/2026-Q1").await;
        assert_eq!(wizard.status, 200);
        let digest: String = {
            let mut conn = app.db.pool.acquire().await.unwrap();
            sqlx::query_scalar("SELECT commitment_sha256 FROM draws WHERE batch = '2026-Q1'")
                .fetch_one(&mut *conn)
                .await
                .unwrap()
        };
        assert!(wizard.body.contains(&digest), "step 2 shows the commitment");
        assert!(
            wizard.body.contains("彩票 福彩3D 第 2026001 期"),
            "{}",
            wizard.body
        );
        assert!(wizard.body.contains("id=\"run-form\""));
        assert!(!wizard.body.contains("id=\"reveal-form\""));

        // Preparing the same batch again is refused.
        let again = b
            .post(
                "/workspace/draws",
                &[
                    ("csrf", &csrf),
                    ("batch", "2026-Q1"),
                    ("sources", SOURCE),
                    ("tasks_csv", TASKS),
                    ("policy_csv", POLICY),
                    ("allow_past_entropy", "1"),
                ],
            )
            .await;
        assert_eq!(again.status, 409, "{}", again.body);

        // Step 5 before step 4: refused, nothing changed.
        let early = b
            .post("/workspace/draws/2026-Q1/reveal", &[("csrf", &csrf)])
            .await;
        assert_eq!(early.status, 409, "{}", early.body);
        assert!(early.body.contains("步骤顺序不对"), "{}", early.body);
        assert!(early.body.contains("下一步是：第 3 步"), "{}", early.body);
        let state = "SELECT COUNT(*) FROM draws WHERE state = ";
        assert_eq!(count(app, &format!("{state}'committed'")).await, 1);

        // Steps 3 and 4: an empty value is refused, then the run.
        let empty = b
            .post(
                "/workspace/draws/2026-Q1/run",
                &[("csrf", &csrf), ("entropy", " ")],
            )
            .await;
        assert_eq!(empty.status, 422);
        let run = b
            .post(
                "/workspace/draws/2026-Q1/run",
                &[("csrf", &csrf), ("entropy", "3 7 1")],
            )
            .await;
        assert_eq!(run.status, 200, "{}", run.body);
        assert!(run.body.contains("抽取完成"), "{}", run.body);
        assert!(run.body.contains("id=\"reveal-form\""));
        assert_eq!(count(app, &format!("{state}'run'")).await, 1);

        let twice = b
            .post(
                "/workspace/draws/2026-Q1/run",
                &[("csrf", &csrf), ("entropy", "4 7 1")],
            )
            .await;
        assert_eq!(twice.status, 409, "{}", twice.body);
        assert!(twice.body.contains("步骤顺序不对"));

        let reveal = b
            .post("/workspace/draws/2026-Q1/reveal", &[("csrf", &csrf)])
            .await;
        assert_eq!(reveal.status, 200, "{}", reveal.body);
        assert!(reveal.body.contains("已揭示"), "{}", reveal.body);
        assert!(reveal.body.contains("id=\"seed\""), "{}", reveal.body);
        assert_eq!(count(app, &format!("{state}'revealed'")).await, 1);
        // Every step is in the audit log under the planner's name.
        assert_eq!(
        count(app, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'draw.%' AND actor = 'planner:test'").await,
        3
    );
    }
);

both!(
    the_repair_queue_marks_overdue_requests_and_takes_a_step,
    |app| {
        app.load_fixtures().await;
        let credit = app.token(Role::Credit, None).await;
        let (_, records) = app
            .get_json_as(
                "/api/v1/credit-records?uscc=91440305MA5DA00044&kind=abnormal-list",
                &credit,
            )
            .await;
        let record = records[0]["id"].as_i64().unwrap();
        // Filed on a past day: its intake deadline has passed.
        let body = serde_json::json!({ "record_id": record, "commitment": "本企业承诺依法诚信经营", "proof": "年度报告已补报", "on": "2026-06-03" });
        let res = app
            .post("/api/v1/repairs")
            .bearer_auth(&credit)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let id = res.json::<serde_json::Value>().await.unwrap()["id"]
            .as_i64()
            .unwrap();

        let mut b = Browser::new(app);
        let dash = b.login(&credit).await;
        assert!(
            dash.body.contains("待办的信用修复申请</a>：1</li>")
                && dash
                    .body
                    .contains("其中已逾期的</a>：<span class=\"overdue-mark\">1</span>"),
            "the dashboard counts the open and overdue requests: {}",
            dash.body
        );
        let page = b.get("/workspace/repairs").await;
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains("<tr class=\"overdue\">"),
            "{}",
            page.body
        );
        assert!(page.body.contains("逾期</span>"), "{}", page.body);
        assert!(page.body.contains("2026-06-03"), "the filing day");
        let csrf = page.csrf();
        let state =
            format!("SELECT COUNT(*) FROM repair_requests WHERE id = {id} AND state = 'submitted'");

        // Without the token, or without a reason for a refusal: refused, nothing changed.
        let path = format!("/workspace/repairs/{id}/refuse");
        let page = b.post(&path, &[("reasons", "材料不全")]).await;
        assert_eq!(page.status, 403);
        let page = b.post(&path, &[("csrf", &csrf), ("reasons", " ")]).await;
        assert_eq!(page.status, 422, "{}", page.body);
        assert!(page.body.contains("没有做任何更改"), "{}", page.body);
        assert_eq!(count(app, &state).await, 1);

        let page = b
            .post(
                &path,
                &[("csrf", &csrf), ("reasons", "材料不全\n未附信用承诺书原件")],
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("已不予受理"), "{}", page.body);
        assert!(
            page.body.contains("没有待办的信用修复申请"),
            "{}",
            page.body
        );
        let (_, refused) = app
            .get_json_as(&format!("/api/v1/repairs/{id}"), &credit)
            .await;
        assert_eq!(refused["state"], "refused");
        assert_eq!(
            refused["reasons"],
            serde_json::json!(["材料不全", "未附信用承诺书原件"])
        );
        assert_eq!(refused["intake"]["by"], "credit:test");

        // A step on a request that is no longer at that step.
        let page = b
            .post(
                &format!("/workspace/repairs/{id}/accept"),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(page.status, 409, "{}", page.body);
    }
);

both!(two_runs_of_one_draw_at_once_one_is_refused, |app| {
    app.load_fixtures().await;
    let planner = app.token(Role::Planner, None).await;
    let mut b = Browser::new(app);
    let csrf = b.login(&planner).await.csrf();
    let done = b
        .post(
            "/workspace/draws",
            &[
                ("csrf", &csrf),
                ("batch", "2026-Q2"),
                ("sources", SOURCE),
                ("tasks_csv", TASKS),
                ("policy_csv", POLICY),
                ("allow_past_entropy", "1"),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let run = |entropy: &'static str| {
        let body =
            serde_urlencoded::to_string([("csrf", csrf.as_str()), ("entropy", entropy)]).unwrap();
        b.client
            .post(format!("{}/workspace/draws/2026-Q2/run", b.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", b.cookie_header())
            .body(body)
            .send()
    };
    let (one, two) = tokio::join!(run("3 7 1"), run("4 7 1"));
    let mut statuses = [
        one.unwrap().status().as_u16(),
        two.unwrap().status().as_u16(),
    ];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "one run, one refusal");
    assert_eq!(
        count(
            app,
            "SELECT COUNT(*) FROM draws WHERE batch = '2026-Q2' AND state = 'run'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'draw.run'"
        )
        .await,
        1
    );
});

both!(
    an_annual_plan_run_in_the_wizard_has_its_report_page,
    |app| {
        app.load_fixtures().await;
        let planner = app.token(Role::Planner, None).await;
        let mut b = Browser::new(app);
        let csrf = b.login(&planner).await.csrf();
        let tasks = TASKS.replace(",1,4\n", ",1,12\n");
        let months = POLICY.replace("periods,quarter", "periods,month");
        let done = b
            .post(
                "/workspace/draws",
                &[
                    ("csrf", &csrf),
                    ("batch", "2026-plan"),
                    ("method", "dr2"),
                    ("sources", SOURCE),
                    ("tasks_csv", &tasks),
                    ("policy_csv", &months),
                    ("allow_past_entropy", "1"),
                ],
            )
            .await;
        assert_eq!(done.status, 303, "{}", done.body);
        // No report before the run.
        let early = b.get("/workspace/draws/2026-plan/report").await;
        assert_eq!(early.status, 422, "{}", early.body);
        assert!(early.body.contains("没有计划报告"), "{}", early.body);
        let run = b
            .post(
                "/workspace/draws/2026-plan/run",
                &[("csrf", &csrf), ("entropy", "3 7 1")],
            )
            .await;
        assert_eq!(run.status, 200, "{}", run.body);
        assert!(run.body.contains("/workspace/draws/2026-plan/report"));
        let report = b.get("/workspace/draws/2026-plan/report").await;
        assert_eq!(report.status, 200, "{}", report.body);
        assert!(
            report.body.contains("plan 2026-plan (dr2)"),
            "{}",
            report.body
        );
        assert!(report.body.contains("<svg"), "the charts are inline");
        // A batch name that cannot exist, and an unknown one.
        assert_eq!(b.get("/workspace/draws/..%2Fx/report").await.status, 404);
        assert_eq!(b.get("/workspace/draws/nope").await.status, 404);
    }
);
