//! The results pages over real HTTP, on both databases (`docs/portal.md` "抽查结果公告",
//! `docs/workspace.md` §3.6): a member of the drawn team enters a result in the workspace, the
//! department publishes it, and the public batch and enterprise pages show it; bad input, a
//! missing CSRF token, another team's inspector and the wrong role get a clear page and change
//! nothing; a bulk CSV with an error shows the `FILE:LINE` table and writes nothing.

mod common;
use common::browser::*;
use common::TestApp;
use dualdraw::auth::Role;
use serde_json::{json, Value};

const TASKS: &str = "id,department,group,items,regions,industries,quota_a,quota_b,quota_c,quota_d,period_from,period_to\n\
SCJG-G,SCJG,joint,SCJG-001,,,1/2,1/2,1/2,1/2,1,4\n\
STHJ-G,STHJ,joint,STHJ-001,,,1/2,1/2,1/2,1/2,1,4\n";
const POLICY: &str = "key,value\nyear,2026\nas_of,2026-01-01\nperiods,quarter\nvisit_cap_a,1\nvisit_cap_b,1\nvisit_cap_c,2\nvisit_cap_d,4\ninspectors_per_department,2\nexclusion_months,12\n";

/// Prepares and runs batch `B1`; returns a staffed SCJG job (JSON of the API).
async fn run_and_pick_job(app: &TestApp) -> Value {
    let admin = app.load_fixtures().await;
    let planner = app.token(Role::Planner, None).await;
    let http = reqwest::Client::new();
    let body = json!({ "batch": "B1", "sources": ["lottery:福彩3D:2026001:2026-01-02"], "allow_past_entropy": true, "tasks_csv": TASKS, "policy_csv": POLICY });
    let res = http
        .post(format!("{}/api/v1/draws", app.base))
        .bearer_auth(&planner)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let res = http
        .post(format!("{}/api/v1/draws/B1/run", app.base))
        .bearer_auth(&planner)
        .json(&json!({ "entropy": ["3 7 1"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let jobs: Vec<Value> = http
        .get(format!(
            "{}/api/v1/inspection-jobs?department=SCJG&limit=1000",
            app.base
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    jobs.into_iter()
        .find(|j| j["team"].as_array().unwrap().len() == 2)
        .expect("a staffed SCJG job")
}

both!(
    a_team_member_enters_a_result_the_department_publishes_it_and_the_public_sees_it,
    |app| {
        let job = run_and_pick_job(app).await;
        let id = job["id"].as_i64().unwrap();
        let uscc = job["uscc"].as_str().unwrap().to_string();
        let member = job["team"][0]["inspector"].as_str().unwrap().to_string();
        let from = job["period_from"].as_str().unwrap().to_string();
        let item = job["items"][0].as_str().unwrap().to_string();
        let item_field = format!("item.{item}");
        let results = "SELECT COUNT(*) FROM inspection_results";

        // Nothing public yet.
        let mut public = Browser::new(app);
        let page = public.get("/draws/B1/results").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            page.body.contains("本批次尚无已公示的检查结果"),
            "{}",
            page.body
        );
        let page = public.get("/draws/NOPE/results").await;
        assert_eq!(page.status, 404);
        assert!(
            page.body.contains("没有名为“NOPE”的抽查批次"),
            "{}",
            page.body
        );

        // Another team's inspector: no form, and a forged post is refused.
        let outsider = app.token(Role::Inspector, Some("SCJG-440305-0003")).await;
        if !job["team"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["inspector"] == "SCJG-440305-0003")
        {
            let mut b = Browser::new(app);
            b.login(&outsider).await;
            let page = b.get(&format!("/workspace/jobs/{id}")).await;
            assert_eq!(page.status, 200, "{}", page.body);
            assert!(
                !page.body.contains("result-form"),
                "no entry form for a non-member"
            );
            let csrf = page.csrf();
            let page = b
                .post(
                    &format!("/workspace/jobs/{id}/result"),
                    &[
                        ("csrf", &csrf),
                        ("checked_on", &from),
                        ("method", "on-site"),
                        (&item_field, "no-problem"),
                    ],
                )
                .await;
            assert_eq!(page.status, 403, "{}", page.body);
            assert!(page.body.contains("not_on_team"), "{}", page.body);
            assert_eq!(count(app, results).await, 0);
        }

        // The member: the job page has the form.
        let token = app.token(Role::Inspector, Some(&member)).await;
        let mut b = Browser::new(app);
        b.login(&token).await;
        let list = b.get("/workspace/jobs").await;
        assert_eq!(list.status, 200, "{}", list.body);
        assert!(
            list.body.contains(&format!("/workspace/jobs/{id}\"")),
            "{}",
            list.body
        );
        let page = b.get(&format!("/workspace/jobs/{id}")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("录入检查结果"), "{}", page.body);
        assert!(
            page.body.contains("未发现问题"),
            "categories from the seeded list"
        );
        let csrf = page.csrf();

        // Without the CSRF token: 403, nothing written.
        let page = b
            .post(
                &format!("/workspace/jobs/{id}/result"),
                &[
                    ("checked_on", &from),
                    ("method", "on-site"),
                    (&item_field, "no-problem"),
                ],
            )
            .await;
        assert_eq!(page.status, 403, "{}", page.body);
        assert!(page.body.contains("表单已失效"));
        assert_eq!(count(app, results).await, 0);

        // In the future, an unknown category: a clear page that keeps the form, nothing written.
        let page = b
            .post(
                &format!("/workspace/jobs/{id}/result"),
                &[
                    ("csrf", &csrf),
                    ("checked_on", "2099-01-01"),
                    ("method", "on-site"),
                    (&item_field, "no-problem"),
                ],
            )
            .await;
        assert_eq!(page.status, 422, "{}", page.body);
        assert!(
            page.body.contains("outside_period") || page.body.contains("in_future"),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("value=\"2099-01-01\""),
            "the form keeps what was typed"
        );
        let page = b
            .post(
                &format!("/workspace/jobs/{id}/result"),
                &[
                    ("csrf", &csrf),
                    ("checked_on", &from),
                    ("method", "on-site"),
                    (&item_field, "nope"),
                ],
            )
            .await;
        assert_eq!(page.status, 422, "{}", page.body);
        assert!(page.body.contains("unknown_category"), "{}", page.body);
        assert_eq!(count(app, results).await, 0);

        // The good result.
        let page = b
            .post(
                &format!("/workspace/jobs/{id}/result"),
                &[
                    ("csrf", &csrf),
                    ("checked_on", &from),
                    ("method", "on-site"),
                    (&item_field, "no-problem"),
                    ("follow_up", ""),
                ],
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            page.body.contains("已录入检查结果（第 1 版）"),
            "{}",
            page.body
        );
        assert_eq!(count(app, results).await, 1);
        // A second result for the job: the job is done, the form now corrects.
        assert!(page.body.contains("更正检查结果"), "{}", page.body);

        // Not published: not public.
        let page = public.get("/draws/B1/results").await;
        assert!(
            !page.body.contains(&uscc),
            "unpublished results are not public"
        );

        // The inspector may not publish; the department does.
        let rid: i64 = count(app, "SELECT MAX(id) FROM inspection_results").await;
        let page = b
            .post(
                &format!("/workspace/results/{rid}/publish"),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(page.status, 403, "{}", page.body);
        let scjg = app.token(Role::Department, Some("SCJG")).await;
        let mut d = Browser::new(app);
        d.login(&scjg).await;
        let page = d.get(&format!("/workspace/jobs/{id}")).await;
        assert!(
            page.body
                .contains(&format!("/workspace/results/{rid}/publish")),
            "{}",
            page.body
        );
        let dcsrf = page.csrf();
        let page = d
            .post(
                &format!("/workspace/results/{rid}/publish"),
                &[("csrf", &dcsrf)],
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("已公示"), "{}", page.body);
        let page = d
            .post(
                &format!("/workspace/results/{rid}/publish"),
                &[("csrf", &dcsrf)],
            )
            .await;
        assert_eq!(page.status, 409, "{}", page.body);
        assert!(page.body.contains("already_published"), "{}", page.body);

        // Public: the batch's announcement and the enterprise's section.
        let page = public.get("/draws/B1/results").await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains(&uscc), "{}", page.body);
        assert!(page.body.contains("未发现问题"), "{}", page.body);
        assert!(page.body.contains("第 1 版"), "{}", page.body);
        let page = public.get(&format!("/enterprises/{uscc}")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("抽查检查结果信息"));
        assert!(page.body.contains("未发现问题"), "{}", page.body);

        // A correction without a reason is refused; with one it is version 2, both public once published.
        // It is due 20 working days after today, which may be in next year.
        app.import_test_calendar_2027();
        let page = b
            .post(
                &format!("/workspace/results/{rid}/correct"),
                &[
                    ("csrf", &csrf),
                    ("checked_on", &from),
                    ("method", "on-site"),
                    (&item_field, "corrected"),
                    ("reason", ""),
                ],
            )
            .await;
        assert_eq!(page.status, 422, "{}", page.body);
        assert!(page.body.contains("reason_required"), "{}", page.body);
        assert_eq!(count(app, results).await, 1);
        let page = b
            .post(
                &format!("/workspace/results/{rid}/correct"),
                &[
                    ("csrf", &csrf),
                    ("checked_on", &from),
                    ("method", "on-site"),
                    (&item_field, "corrected"),
                    ("reason", "录入时选错了类别"),
                ],
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(count(app, results).await, 2);
        let rid2: i64 = count(app, "SELECT MAX(id) FROM inspection_results").await;
        let page = d
            .post(
                &format!("/workspace/results/{rid2}/publish"),
                &[("csrf", &dcsrf)],
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        let page = public.get("/draws/B1/results").await;
        assert!(
            page.body.contains("第 2 版") && page.body.contains("录入时选错了类别"),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("第 1 版"),
            "the corrected version stays public"
        );
    }
);

both!(
    roles_and_bad_input_get_clear_pages_and_change_nothing,
    |app| {
        let job = run_and_pick_job(app).await;
        let id = job["id"].as_i64().unwrap();
        // The credit office has no job list but has its queue; a planner has no queue.
        let credit = app.token(Role::Credit, None).await;
        let mut c = Browser::new(app);
        c.login(&credit).await;
        assert_eq!(c.get("/workspace/jobs").await.status, 403);
        let page = c.get("/workspace/proposals").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            page.body.contains("没有待处理的信用处置建议"),
            "{}",
            page.body
        );
        let planner = app.token(Role::Planner, None).await;
        let mut p = Browser::new(app);
        p.login(&planner).await;
        assert_eq!(p.get("/workspace/proposals").await.status, 403);
        let page = p.get("/workspace/results/overdue").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            page.body.contains("没有逾期未公示的检查结果"),
            "{}",
            page.body
        );
        // Not logged in: to the login page.
        let mut anon = Browser::new(app);
        let page = anon.get(&format!("/workspace/jobs/{id}")).await;
        assert_eq!((page.status, page.location()), (303, "/workspace/login"));
        // Unknown job: 404 page.
        let scjg = app.token(Role::Department, Some("SCJG")).await;
        let mut d = Browser::new(app);
        d.login(&scjg).await;
        let page = d.get("/workspace/jobs/999999").await;
        assert_eq!(page.status, 404, "{}", page.body);
        assert!(page.body.contains("没有编号为 999999 的检查任务"));
        // Not carried out with an unknown reason: 422, the job still planned.
        let page = d.get(&format!("/workspace/jobs/{id}")).await;
        let csrf = page.csrf();
        let page = d
            .post(
                &format!("/workspace/jobs/{id}/not-carried-out"),
                &[("csrf", &csrf), ("reason", "懒得去")],
            )
            .await;
        assert_eq!(page.status, 422, "{}", page.body);
        assert!(page.body.contains("unknown_reason"), "{}", page.body);
        assert_eq!(
            count(
                app,
                &format!(
                    "SELECT COUNT(*) FROM inspection_jobs WHERE id = {id} AND state = 'planned'"
                )
            )
            .await,
            1
        );
        let page = d
            .post(
                &format!("/workspace/jobs/{id}/notify"),
                &[("csrf", &csrf), ("on", "2099-01-01")],
            )
            .await;
        assert_eq!(page.status, 422, "{}", page.body);
        assert!(page.body.contains("outside_period"), "{}", page.body);
        let from = job["period_from"].as_str().unwrap();
        let page = d
            .post(
                &format!("/workspace/jobs/{id}/notify"),
                &[("csrf", &csrf), ("on", from)],
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("已告知"), "{}", page.body);
        // A bulk file with an error: the FILE:LINE table, nothing written.
        let page = d.get("/workspace/results/import").await;
        assert_eq!(page.status, 200, "{}", page.body);
        let csrf = page.csrf();
        let csv = "抽查批次,检查编号,部门代码,检查人员编号,检查日期,检查方式,检查结果\nB1,NOPE/91440300192185379H,SCJG,SCJG-440305-0001,2026-01-05,实地,未发现问题\n";
        let page = d
            .post_multipart(
                "/workspace/results/import",
                &[
                    ("csrf", None, csrf.as_bytes()),
                    ("file", Some("results.csv"), csv.as_bytes()),
                ],
            )
            .await;
        assert_eq!(page.status, 422, "{}", page.body);
        assert!(page.body.contains("id=\"import-errors\""), "{}", page.body);
        assert!(
            page.body.contains("<td>results.csv</td><td>2</td>"),
            "{}",
            page.body
        );
        assert!(page.body.contains("not_in_plan"), "{}", page.body);
        assert_eq!(
            count(app, "SELECT COUNT(*) FROM inspection_results").await,
            0
        );
        // Without its token the upload is refused before the file is read.
        let page = d
            .post_multipart(
                "/workspace/results/import",
                &[("file", Some("results.csv"), csv.as_bytes())],
            )
            .await;
        assert_eq!(page.status, 403, "{}", page.body);
    }
);

both!(
    the_credit_office_rejects_with_a_reason_and_confirms_a_proposal,
    |app| {
        let job = run_and_pick_job(app).await;
        let id = job["id"].as_i64().unwrap();
        let item = job["items"][0].as_str().unwrap().to_string();
        let member = job["team"][0]["inspector"].as_str().unwrap().to_string();
        let from = job["period_from"].as_str().unwrap().to_string();
        // 无法联系 raises a proposal (docs/results.md §7), entered in the workspace.
        let token = app.token(Role::Inspector, Some(&member)).await;
        let mut b = Browser::new(app);
        b.login(&token).await;
        let csrf = b.get(&format!("/workspace/jobs/{id}")).await.csrf();
        let page = b
            .post(
                &format!("/workspace/jobs/{id}/result"),
                &[
                    ("csrf", &csrf),
                    ("checked_on", &from),
                    ("method", "on-site"),
                    (&format!("item.{item}"), "unreachable"),
                ],
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        let proposed = "SELECT COUNT(*) FROM credit_proposals WHERE state = 'proposed'";
        assert_eq!(count(app, proposed).await, 1);
        let pid: i64 = count(app, "SELECT MAX(id) FROM credit_proposals").await;

        let credit = app.token(Role::Credit, None).await;
        let mut c = Browser::new(app);
        c.login(&credit).await;
        let page = c.get("/workspace/proposals").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            page.body.contains("通过登记的住所（经营场所）无法联系"),
            "{}",
            page.body
        );
        let csrf = page.csrf();
        // No reason: refused, still proposed.
        let page = c
            .post(
                &format!("/workspace/proposals/{pid}/reject"),
                &[("csrf", &csrf), ("reason", " ")],
            )
            .await;
        assert_eq!(page.status, 422, "{}", page.body);
        assert!(page.body.contains("reason_required"), "{}", page.body);
        assert_eq!(count(app, proposed).await, 1);
        // A bad decision date: refused, no credit record.
        let records = "SELECT COUNT(*) FROM credit_records";
        let before = count(app, records).await;
        let page = c
            .post(
                &format!("/workspace/proposals/{pid}/confirm"),
                &[
                    ("csrf", &csrf),
                    ("document_no", "深南市监异〔2026〕1号"),
                    ("decided_on", "2026-13-01"),
                ],
            )
            .await;
        assert_eq!(page.status, 422, "{}", page.body);
        assert_eq!(count(app, records).await, before);
        // Confirmed: a credit record, the queue empty.
        let page = c
            .post(
                &format!("/workspace/proposals/{pid}/confirm"),
                &[
                    ("csrf", &csrf),
                    ("document_no", "深南市监异〔2026〕1号"),
                    ("decided_on", &from),
                    ("summary", "住所无法联系"),
                ],
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("已确认"), "{}", page.body);
        assert!(
            page.body.contains("没有待处理的信用处置建议"),
            "{}",
            page.body
        );
        assert_eq!(count(app, records).await, before + 1);
        assert_eq!(count(app, proposed).await, 0);
    }
);
