//! Credit tiers with their reasons, and credit repair from filing to approval, over HTTP.

mod common;
use common::TestApp;
use dualdraw::auth::Role;
use serde_json::{json, Value};

const SERIOUS_LISTED: &str = "91440305MA5DA00031"; // base D, serious-list 2026-03-02
const ABNORMAL_LISTED: &str = "91440305MA5DA00044"; // base B, abnormal-list 2026-05-20
const PENALIZED: &str = "91440305MA5DA0002X"; // base C, general 2025-06-10 + serious (no early end)
const COMMENDED: &str = "91440305MA5DA0006A"; // base A, commendation

async fn json(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

async fn record_id(app: &TestApp, token: &str, uscc: &str, kind: &str) -> i64 {
    let (_, records) = app
        .get_json_as(
            &format!("/api/v1/credit-records?uscc={uscc}&kind={kind}"),
            token,
        )
        .await;
    records[0]["id"].as_i64().unwrap()
}

async fn file(app: &TestApp, token: &str, record: i64, on: &str) -> (u16, Value) {
    let body = json!({ "record_id": record, "commitment": "本企业承诺依法诚信经营", "proof": "年度报告已补报", "on": on });
    json(
        app.post("/api/v1/repairs")
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn step(app: &TestApp, token: &str, id: i64, action: &str, body: Value) -> (u16, Value) {
    json(
        app.post(&format!("/api/v1/repairs/{id}/{action}"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn tier(app: &TestApp, token: &str, uscc: &str, on: &str) -> Value {
    let (status, body) = app
        .get_json_as(&format!("/api/v1/enterprises/{uscc}/tier?on={on}"), token)
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

both!(says_why_an_enterprise_has_its_tier, |app| {
    app.load_fixtures().await;
    let credit = app.token(Role::Credit, None).await;
    let t = tier(app, &credit, ABNORMAL_LISTED, "2026-06-01").await;
    assert_eq!(t["tier"], "C");
    assert_eq!(t["base"], "B");
    let why = t["explanation"].as_str().unwrap();
    assert!(
        why.contains("经营异常名录")
            && why.contains("深市监异〔2026〕55号")
            && why.contains("2026-05-20"),
        "{why}"
    );
    // Before the listing the base classification holds.
    assert_eq!(
        tier(app, &credit, ABNORMAL_LISTED, "2026-05-19").await["tier"],
        "B"
    );
    // A commendation keeps an A an A (a clean B going to A: `credit::tier`'s unit tests).
    assert_eq!(
        tier(app, &credit, COMMENDED, "2026-06-01").await["tier"],
        "A"
    );
});

both!(anonymous_callers_see_only_what_is_public, |app| {
    app.load_fixtures().await;
    let (status, body) = json(
        app.get(&format!("/api/v1/enterprises/{ABNORMAL_LISTED}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        body.get("credit").is_none(),
        "tier shown to anonymous caller: {body}"
    );
    assert!(body["enterprise"].get("base_tier").is_none());
    let own = app.token(Role::Enterprise, Some(ABNORMAL_LISTED)).await;
    let (_, body) = app
        .get_json_as(
            &format!("/api/v1/enterprises/{ABNORMAL_LISTED}?on=2026-06-01"),
            &own,
        )
        .await;
    assert_eq!(body["credit"]["tier"], "C");
});

both!(
    repair_runs_from_filing_to_approval_and_rederives_the_tier,
    |app| {
        app.load_fixtures().await;
        let credit = app.token(Role::Credit, None).await;
        let owner = app.token(Role::Enterprise, Some(ABNORMAL_LISTED)).await;
        let record = record_id(app, &credit, ABNORMAL_LISTED, "abnormal-list").await;

        let (status, filed) = file(app, &owner, record, "2026-06-01").await;
        assert_eq!(status, 201, "{filed}");
        assert_eq!(filed["state"], "submitted");
        assert_eq!(
            filed["intake_due"], "2026-06-04",
            "3 working days after Monday 2026-06-01"
        );
        let id = filed["id"].as_i64().unwrap();

        let (status, again) = file(app, &owner, record, "2026-06-01").await;
        assert_eq!(status, 409, "a second open request for one record: {again}");

        let (status, accepted) =
            step(app, &credit, id, "accept", json!({ "on": "2026-06-03" })).await;
        assert_eq!(status, 200, "{accepted}");
        assert_eq!(accepted["state"], "accepted");
        assert_eq!(accepted["decision_due"], "2026-06-17");
        assert!(accepted["intake"]["by"]
            .as_str()
            .unwrap()
            .starts_with("credit:"));

        let (status, approved) =
            step(app, &credit, id, "approve", json!({ "on": "2026-06-05" })).await;
        assert_eq!(status, 200, "{approved}");
        assert_eq!(approved["request"]["state"], "approved");
        assert_eq!(
            approved["tier"]["tier"], "B",
            "approval re-derives the tier at once"
        );
        assert_eq!(
            tier(app, &credit, ABNORMAL_LISTED, "2026-06-05").await["tier"],
            "B"
        );
        assert_eq!(
            tier(app, &credit, ABNORMAL_LISTED, "2026-06-04").await["tier"],
            "C",
            "history keeps the listing"
        );

        let (_, rec) = app
            .get_json_as(&format!("/api/v1/credit-records/{record}"), &credit)
            .await;
        assert_eq!(rec["status"], "repaired");
        assert_eq!(rec["ended_on"], "2026-06-05");

        let (status, _) = step(app, &credit, id, "deny", json!({ "reasons": ["too late"] })).await;
        assert_eq!(status, 409, "a decided request cannot be denied");
        let out = app.cli(&["audit", "verify"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
);

both!(
    steps_keep_their_order_and_a_denial_is_overdue_no_longer,
    |app| {
        app.load_fixtures().await;
        let credit = app.token(Role::Credit, None).await;
        let record = record_id(app, &credit, ABNORMAL_LISTED, "abnormal-list").await;
        let (_, filed) = file(app, &credit, record, "2026-06-03").await;
        let id = filed["id"].as_i64().unwrap();

        for action in ["accept", "refuse"] {
            let body = json!({ "on": "2026-06-02", "reasons": ["incomplete"] });
            let (status, err) = step(app, &credit, id, action, body).await;
            assert_eq!(status, 422, "{action} before filing: {err}");
            assert_eq!(err["code"], "invalid");
            assert!(
                err["message"]
                    .as_str()
                    .unwrap()
                    .contains("2026-06-02 is before the request was filed on 2026-06-03"),
                "{err}"
            );
        }
        let (_, same) = app
            .get_json_as(&format!("/api/v1/repairs/{id}"), &credit)
            .await;
        assert_eq!(same["state"], "submitted", "nothing changed: {same}");

        let (status, accepted) =
            step(app, &credit, id, "accept", json!({ "on": "2026-06-03" })).await;
        assert_eq!(status, 200, "{accepted}");
        assert_eq!(accepted["intake"]["on"], "2026-06-03");
        assert!(
            accepted["intake"]["at"].as_str().unwrap().starts_with("20"),
            "the exact time is kept: {accepted}"
        );
        assert_eq!(accepted["decision_due"], "2026-06-17");

        let (_, late) = app
            .get_json_as("/api/v1/repairs/overdue?on=2026-06-19", &credit)
            .await;
        assert_eq!(late.as_array().unwrap().len(), 1, "{late}");
        assert_eq!(late[0]["step"], "decision");
        assert_eq!(
            late[0]["working_days_late"], 1,
            "Jun 18; Jun 19 is the Dragon Boat Festival"
        );

        let body = json!({ "on": "2026-06-02", "reasons": ["proof not convincing"] });
        let (status, err) = step(app, &credit, id, "deny", body).await;
        assert_eq!(status, 422, "denial before acceptance: {err}");
        assert_eq!(err["code"], "invalid");
        let body = json!({ "on": "2026-06-02" });
        let (status, err) = step(app, &credit, id, "approve", body).await;
        assert_eq!(status, 422, "approval before acceptance: {err}");
        assert!(
            err["message"]
                .as_str()
                .unwrap()
                .contains("before the request was accepted on 2026-06-03"),
            "{err}"
        );
        let (_, same) = app
            .get_json_as(&format!("/api/v1/repairs/{id}"), &credit)
            .await;
        assert_eq!(same["state"], "accepted", "nothing changed: {same}");
        let body = json!({ "on": "2026-06-19", "reasons": ["proof not convincing"] });
        let (status, denied) = step(app, &credit, id, "deny", body).await;
        assert_eq!(status, 200, "{denied}");
        assert_eq!(denied["state"], "denied");
        assert_eq!(denied["decision"]["on"], "2026-06-19");
        assert_eq!(denied["reasons"], json!(["proof not convincing"]));
        let (_, none) = app
            .get_json_as("/api/v1/repairs/overdue?on=2026-06-19", &credit)
            .await;
        assert_eq!(none, json!([]), "a decided request is not overdue");
        assert_eq!(
            tier(app, &credit, ABNORMAL_LISTED, "2026-06-19").await["tier"],
            "C",
            "a denial leaves the record in publicity"
        );
    }
);

both!(refusals_name_every_reason, |app| {
    app.load_fixtures().await;
    let credit = app.token(Role::Credit, None).await;
    let listed = record_id(app, &credit, SERIOUS_LISTED, "serious-list").await;
    let (status, body) = file(app, &credit, listed, "2026-06-01").await;
    assert_eq!(status, 422);
    assert_eq!(body["code"], "not_eligible");
    assert!(
        body["message"].as_str().unwrap().contains("2027-03-02"),
        "{body}"
    );

    let never = record_id(app, &credit, PENALIZED, "penalty-serious").await;
    let (status, body) = file(app, &credit, never, "2026-06-01").await;
    assert_eq!(status, 422);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("never end early"),
        "{body}"
    );

    let commendation = record_id(app, &credit, COMMENDED, "commendation").await;
    let (status, body) = file(app, &credit, commendation, "2026-06-01").await;
    assert_eq!(status, 422, "{body}");

    let general = record_id(app, &credit, PENALIZED, "penalty-general").await;
    let body = json!({ "record_id": general, "commitment": " ", "proof": "", "on": "2026-03-02" });
    let (status, body) = json(
        app.post("/api/v1/repairs")
            .bearer_auth(&credit)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 422);
    let reasons: Vec<String> = body["details"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(reasons[0].contains("信用承诺书"), "{reasons:?}");

    let (status, filed) = file(app, &credit, general, "2026-03-02").await;
    assert_eq!(status, 201, "{filed}");
    let id = filed["id"].as_i64().unwrap();
    let (status, body) = step(app, &credit, id, "refuse", json!({ "reasons": [] })).await;
    assert_eq!(status, 422, "a refusal without reasons: {body}");
    let (status, refused) = step(
        app,
        &credit,
        id,
        "refuse",
        json!({ "reasons": ["整改证明不全"], "on": "2026-03-03" }),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(refused["state"], "refused");
    assert_eq!(refused["reasons"][0], "整改证明不全");
});

both!(lists_overdue_requests_in_working_days, |app| {
    app.load_fixtures().await;
    let credit = app.token(Role::Credit, None).await;
    let record = record_id(app, &credit, ABNORMAL_LISTED, "abnormal-list").await;
    let (_, filed) = file(app, &credit, record, "2026-06-01").await;
    let (status, late) = app
        .get_json_as("/api/v1/repairs/overdue?on=2026-06-10", &credit)
        .await;
    assert_eq!(status, 200);
    assert_eq!(late.as_array().unwrap().len(), 1, "{late}");
    assert_eq!(late[0]["request"]["id"], filed["id"]);
    assert_eq!(late[0]["step"], "intake");
    assert_eq!(late[0]["due"], "2026-06-04");
    assert_eq!(late[0]["working_days_late"], 4, "Jun 5, 8, 9, 10");
    let (_, none) = app
        .get_json_as("/api/v1/repairs/overdue?on=2026-06-04", &credit)
        .await;
    assert_eq!(none.as_array().unwrap().len(), 0);
});

both!(an_enterprise_acts_only_for_itself, |app| {
    app.load_fixtures().await;
    let credit = app.token(Role::Credit, None).await;
    let other = app.token(Role::Enterprise, Some(COMMENDED)).await;
    let record = record_id(app, &credit, ABNORMAL_LISTED, "abnormal-list").await;
    let (status, _) = file(app, &other, record, "2026-06-01").await;
    assert_eq!(status, 404);
    let (_, filed) = file(app, &credit, record, "2026-06-01").await;
    let id = filed["id"].as_i64().unwrap();
    let (status, _) = app
        .get_json_as(&format!("/api/v1/repairs/{id}"), &other)
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .get_json_as(
            &format!("/api/v1/enterprises/{ABNORMAL_LISTED}/tier"),
            &other,
        )
        .await;
    assert_eq!(status, 403);
    let (_, mine) = app.get_json_as("/api/v1/repairs", &other).await;
    assert_eq!(mine.as_array().unwrap().len(), 0);
});

both!(adds_records_with_default_publicity_windows, |app| {
    app.load_fixtures().await;
    let dept = app.token(Role::Department, Some("STHJ")).await;
    let body = json!({ "uscc": COMMENDED, "kind": "penalty-general", "department": "STHJ", "document_no": "深环罚〔2026〕88号", "decided_on": "2026-04-10", "summary": "超标排放" });
    let (status, rec) = json(
        app.post("/api/v1/credit-records")
            .bearer_auth(&dept)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{rec}");
    assert_eq!(rec["publicity_min_until"], "2026-07-10");
    assert_eq!(rec["publicity_max_until"], "2027-04-10");
    let (status, _) = json(
        app.post("/api/v1/credit-records")
            .bearer_auth(&dept)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 409, "same document number twice");
    let other = json!({ "uscc": COMMENDED, "kind": "penalty-general", "department": "SCJG", "document_no": "X1", "decided_on": "2026-04-10" });
    let (status, _) = json(
        app.post("/api/v1/credit-records")
            .bearer_auth(&dept)
            .json(&other)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 403, "a department records only for itself");
    let (status, body) = json(
        app.post("/api/v1/credit-records")
            .bearer_auth(&dept)
            .body("{not json")
            .header("content-type", "application/json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "bad_request");
});

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

both!(the_cli_explains_tiers_and_runs_a_repair, |app| {
    app.load_fixtures().await;
    let credit = app.token(Role::Credit, None).await;
    let record = record_id(app, &credit, ABNORMAL_LISTED, "abnormal-list").await;

    let out = app.cli(&["credit", "show", ABNORMAL_LISTED, "--on", "2026-06-01"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("tier C on 2026-06-01"), "{text}");
    assert!(
        text.contains("经营异常名录") && text.contains("深市监异〔2026〕55号"),
        "{text}"
    );
    let out = app.cli(&[
        "credit",
        "show",
        ABNORMAL_LISTED,
        "--on",
        "2026-05-19",
        "--json",
    ]);
    let shown: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["credit"]["tier"], "B", "before the listing: {shown}");
    let out = app.cli(&["credit", "show", &ABNORMAL_LISTED.to_lowercase()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("lower-case letter"),
        "{}",
        stderr(&out)
    );

    let out = app.cli(&["credit", "rules"]);
    let rules = stdout(&out);
    assert_eq!(rules.lines().count(), 6, "{rules}");
    assert!(
        rules.contains("penalty-general\t一般行政处罚\tmin 3 months\tmax 12 months"),
        "{rules}"
    );

    let id = record.to_string();
    let out = app.cli(&[
        "repair",
        "file",
        "--record",
        &id,
        "--commitment",
        "本企业承诺依法诚信经营",
        "--proof",
        "年度报告已补报",
        "--on",
        "2026-06-01",
        "--by",
        "张三",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let filed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(filed["state"], "submitted");
    assert_eq!(filed["filed"]["by"], "cli:张三");
    let request = filed["id"].to_string();

    let out = app.cli(&["repair", "accept", &request, "--on", "2026-05-29"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("before the request was filed on 2026-06-01"),
        "{}",
        stderr(&out)
    );
    let out = app.cli(&["repair", "overdue", "--on", "2026-06-10"]);
    assert!(
        stdout(&out).contains("intake due 2026-06-04, 4 working day(s) late"),
        "{}",
        stdout(&out)
    );
    let out = app.cli(&[
        "repair",
        "accept",
        &request,
        "--on",
        "2026-06-03",
        "--by",
        "李四",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let accepted: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(accepted["intake"]["by"], "cli:李四");
    let out = app.cli(&[
        "repair",
        "approve",
        &request,
        "--on",
        "2026-06-05",
        "--by",
        "李四",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let approved: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(approved["tier"]["tier"], "B", "{approved}");

    let out = app.cli(&["repair", "list", "--state", "approved"]);
    let listed: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["id"], filed["id"]);
    let out = app.cli(&["credit", "show", ABNORMAL_LISTED, "--on", "2026-06-05"]);
    assert!(
        stdout(&out).contains("tier B on 2026-06-05"),
        "{}",
        stdout(&out)
    );
});

// Eligibility is checked again at the decision: a repeat violation recorded after intake stops
// the approval, names itself, and leaves the request for a denial.
both!(approval_rechecks_eligibility, |app| {
    app.load_fixtures().await;
    let credit = app.token(Role::Credit, None).await;
    let record = record_id(app, &credit, ABNORMAL_LISTED, "abnormal-list").await;
    let (_, filed) = file(app, &credit, record, "2026-06-01").await;
    let id = filed["id"].as_i64().unwrap();
    let (status, _) = step(app, &credit, id, "accept", json!({ "on": "2026-06-02" })).await;
    assert_eq!(status, 200);
    let repeat = json!({ "uscc": ABNORMAL_LISTED, "kind": "abnormal-list", "department": "SCJG", "document_no": "深市监异〔2026〕71号", "decided_on": "2026-06-03", "summary": "未按期公示即时信息" });
    let (status, added) = json(
        app.post("/api/v1/credit-records")
            .bearer_auth(&credit)
            .json(&repeat)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{added}");

    let entries_before = app.cli(&["audit", "list", "--limit", "100000"]).stdout;
    let (status, err) = step(app, &credit, id, "approve", json!({ "on": "2026-06-04" })).await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(
        app.cli(&["audit", "list", "--limit", "100000"]).stdout,
        entries_before,
        "a refused approval writes no audit entry"
    );
    assert_eq!(err["code"], "not_eligible");
    assert_eq!(
        err["details"]["reasons"][0]["message"],
        "repeat violation of the same kind: 深市监异〔2026〕71号 decided 2026-06-03 after this record"
    );
    let (_, same) = app
        .get_json_as(&format!("/api/v1/repairs/{id}"), &credit)
        .await;
    assert_eq!(same["state"], "accepted", "{same}");
    let (_, rec) = app
        .get_json_as(&format!("/api/v1/credit-records/{record}"), &credit)
        .await;
    assert_eq!(
        rec["status"], "active",
        "the record's publicity goes on: {rec}"
    );
    let body = json!({ "on": "2026-06-04", "reasons": ["列入经营异常名录后再次违反"] });
    let (status, denied) = step(app, &credit, id, "deny", body).await;
    assert_eq!(status, 200, "{denied}");
});

// Steps sent at the same moment: exactly one filing and one decision take effect, the others
// are 409, and the record agrees with the request.
both!(concurrent_steps_take_effect_once, |app| {
    app.load_fixtures().await;
    let credit = app.token(Role::Credit, None).await;
    let record = record_id(app, &credit, ABNORMAL_LISTED, "abnormal-list").await;
    let filings = (0..8).map(|_| file(app, &credit, record, "2026-06-01"));
    let statuses: Vec<u16> = futures_util::future::join_all(filings)
        .await
        .into_iter()
        .map(|(status, _)| status)
        .collect();
    assert_eq!(
        statuses.iter().filter(|&&s| s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|&s| s == 201 || s == 409),
        "{statuses:?}"
    );
    let (_, open) = app
        .get_json_as(&format!("/api/v1/repairs?uscc={ABNORMAL_LISTED}"), &credit)
        .await;
    assert_eq!(open.as_array().unwrap().len(), 1, "{open}");
    let id = open[0]["id"].as_i64().unwrap();
    let (status, _) = step(app, &credit, id, "accept", json!({ "on": "2026-06-02" })).await;
    assert_eq!(status, 200);

    let decisions = (0..8).map(|i| {
        let action = if i % 2 == 0 { "approve" } else { "deny" };
        let body = json!({ "on": "2026-06-03", "reasons": ["x"] });
        step(app, &credit, id, action, body)
    });
    let statuses: Vec<u16> = futures_util::future::join_all(decisions)
        .await
        .into_iter()
        .map(|(status, _)| status)
        .collect();
    assert_eq!(
        statuses.iter().filter(|&&s| s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|&s| s == 200 || s == 409),
        "{statuses:?}"
    );
    let (_, request) = app
        .get_json_as(&format!("/api/v1/repairs/{id}"), &credit)
        .await;
    let (_, rec) = app
        .get_json_as(&format!("/api/v1/credit-records/{record}"), &credit)
        .await;
    let repaired = rec["status"] == "repaired";
    assert_eq!(request["state"] == "approved", repaired, "{request} {rec}");
    let out = app.cli(&["audit", "verify"]);
    assert!(out.status.success());
});
