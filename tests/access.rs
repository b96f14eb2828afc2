//! Who may do what: 401 for anonymous and unknown tokens, 403 at every role boundary.

mod common;
use common::TestApp;
use dualdraw::auth::Role;
use reqwest::Method;

const OWN: &str = "91440305MA5DA00044";
const OTHER: &str = "91440305MA5DA0006A";

async fn status(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> u16 {
    let mut req = app.client.request(method, format!("{}{}", app.base, path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    req.send().await.unwrap().status().as_u16()
}

/// Calls that change data or read what is not public, with the body they need.
fn guarded() -> Vec<(Method, String, Option<&'static str>)> {
    vec![
        (Method::GET, "/api/v1/inspectors".into(), None),
        (Method::GET, "/api/v1/conflicts".into(), None),
        (Method::POST, "/api/v1/imports/enterprises".into(), None),
        (Method::POST, "/api/v1/imports/credit-records".into(), None),
        (Method::GET, "/api/v1/exports/enterprises".into(), None),
        (Method::GET, "/api/v1/audit".into(), None),
        (Method::GET, "/api/v1/audit/verify".into(), None),
        (Method::GET, format!("/api/v1/enterprises/{OWN}/tier"), None),
        (Method::GET, "/api/v1/repairs".into(), None),
        (Method::GET, "/api/v1/repairs/overdue".into(), None),
        (
            Method::POST,
            "/api/v1/repairs".into(),
            Some(r#"{"record_id":1,"commitment":"x","proof":"y"}"#),
        ),
        (Method::POST, "/api/v1/repairs/1/accept".into(), Some("{}")),
        (Method::POST, "/api/v1/credit-records".into(), Some("{}")),
        (Method::POST, "/api/v1/conflicts".into(), Some("{}")),
    ]
}

both!(anonymous_and_unknown_tokens_get_401, |app| {
    app.load_fixtures().await;
    for (method, path, body) in guarded() {
        assert_eq!(
            status(app, method.clone(), &path, None, body).await,
            401,
            "anonymous {method} {path}"
        );
        assert_eq!(
            status(app, method.clone(), &path, Some("dd_not_a_token"), body).await,
            401,
            "bad token {method} {path}"
        );
    }
    // What is public stays open.
    for path in [
        "/api/v1/departments",
        "/api/v1/items",
        "/api/v1/enterprises",
        "/api/v1/credit-records",
        "/api/v1/openapi.json",
        "/api/v1/calendar/years",
    ] {
        assert_eq!(
            status(app, Method::GET, path, None, None).await,
            200,
            "{path}"
        );
    }
});

both!(revoked_tokens_get_401, |app| {
    app.load_fixtures().await;
    let token = app.token(Role::Planner, None).await;
    assert_eq!(
        status(app, Method::GET, "/api/v1/inspectors", Some(&token), None).await,
        200
    );
    // The id as shown, in upper case: found on both databases.
    let id = &dualdraw::auth::hash_token(&token)[..12].to_ascii_uppercase();
    let out = app.cli(&["token", "revoke", id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        status(app, Method::GET, "/api/v1/inspectors", Some(&token), None).await,
        401
    );
});

// Each role against the calls it must not make: all 403.
both!(every_role_boundary_is_403, |app| {
    app.load_fixtures().await;
    let enterprise = app.token(Role::Enterprise, Some(OWN)).await;
    let department = app.token(Role::Department, Some("STHJ")).await;
    let inspector = app.token(Role::Inspector, Some("SCJG-440305-0002")).await;
    let planner = app.token(Role::Planner, None).await;
    let credit = app.token(Role::Credit, None).await;
    let forbidden: Vec<(&str, &String, Method, String, Option<&str>)> = vec![
        (
            "enterprise",
            &enterprise,
            Method::GET,
            "/api/v1/inspectors".into(),
            None,
        ),
        (
            "enterprise",
            &enterprise,
            Method::GET,
            format!("/api/v1/enterprises/{OTHER}/tier"),
            None,
        ),
        (
            "enterprise",
            &enterprise,
            Method::POST,
            "/api/v1/imports/enterprises".into(),
            None,
        ),
        (
            "enterprise",
            &enterprise,
            Method::POST,
            "/api/v1/repairs/1/accept".into(),
            Some("{}"),
        ),
        (
            "enterprise",
            &enterprise,
            Method::GET,
            "/api/v1/repairs/overdue".into(),
            None,
        ),
        (
            "enterprise",
            &enterprise,
            Method::POST,
            "/api/v1/credit-records".into(),
            Some(
                r#"{"uscc":"91440305MA5DA00044","kind":"commendation","department":"SCJG","document_no":"x","decided_on":"2026-01-01"}"#,
            ),
        ),
        (
            "department",
            &department,
            Method::POST,
            "/api/v1/imports/credit-records".into(),
            None,
        ),
        (
            "department",
            &department,
            Method::POST,
            "/api/v1/imports/enterprises".into(),
            None,
        ),
        (
            "department",
            &department,
            Method::GET,
            "/api/v1/audit".into(),
            None,
        ),
        (
            "department",
            &department,
            Method::POST,
            "/api/v1/repairs/1/approve".into(),
            Some("{}"),
        ),
        (
            "department",
            &department,
            Method::POST,
            "/api/v1/credit-records".into(),
            Some(
                r#"{"uscc":"91440305MA5DA00044","kind":"penalty-minor","department":"SCJG","document_no":"x","decided_on":"2026-01-01"}"#,
            ),
        ),
        (
            "department",
            &department,
            Method::POST,
            "/api/v1/conflicts".into(),
            Some(r#"{"inspector":"SCJG-440305-0001","uscc":"91440305MA5DA00044","reason":"亲属"}"#),
        ),
        (
            "inspector",
            &inspector,
            Method::POST,
            "/api/v1/conflicts".into(),
            Some(r#"{"inspector":"SCJG-440305-0001","uscc":"91440305MA5DA00044","reason":"亲属"}"#),
        ),
        (
            "inspector",
            &inspector,
            Method::GET,
            "/api/v1/audit".into(),
            None,
        ),
        (
            "inspector",
            &inspector,
            Method::POST,
            "/api/v1/imports/inspectors".into(),
            None,
        ),
        (
            "planner",
            &planner,
            Method::POST,
            "/api/v1/imports/credit-records".into(),
            None,
        ),
        (
            "planner",
            &planner,
            Method::POST,
            "/api/v1/repairs/1/accept".into(),
            Some("{}"),
        ),
        (
            "planner",
            &planner,
            Method::POST,
            "/api/v1/credit-records".into(),
            Some("{}"),
        ),
        (
            "credit",
            &credit,
            Method::POST,
            "/api/v1/imports/enterprises".into(),
            None,
        ),
        (
            "credit",
            &credit,
            Method::GET,
            "/api/v1/conflicts".into(),
            None,
        ),
        (
            "credit",
            &credit,
            Method::GET,
            "/api/v1/audit/verify".into(),
            None,
        ),
    ];
    for (role, token, method, path, body) in forbidden {
        assert_eq!(
            status(app, method.clone(), &path, Some(token), body).await,
            403,
            "{role} {method} {path}"
        );
    }
});

both!(each_role_can_do_its_own_work, |app| {
    app.load_fixtures().await;
    let inspector = app.token(Role::Inspector, Some("SCJG-440305-0002")).await;
    let own = r#"{"inspector":"SCJG-440305-0002","uscc":"91440305MA5DA00044","reason":"曾任职该企业","declared_on":"2026-11-20"}"#;
    assert_eq!(
        status(
            app,
            Method::POST,
            "/api/v1/conflicts",
            Some(&inspector),
            Some(own)
        )
        .await,
        201
    );
    assert_eq!(
        status(
            app,
            Method::POST,
            "/api/v1/conflicts",
            Some(&inspector),
            Some(own)
        )
        .await,
        409,
        "declared twice"
    );
    let (_, mine) = app.get_json_as("/api/v1/conflicts", &inspector).await;
    let mine = mine.as_array().unwrap();
    assert_eq!(
        mine.len(),
        1,
        "an inspector sees only its own conflicts: {mine:?}"
    );
    assert_eq!(mine[0]["inspector"], "SCJG-440305-0002");
    let department = app.token(Role::Department, Some("SCJG")).await;
    let (_, conflicts) = app.get_json_as("/api/v1/conflicts", &department).await;
    assert_eq!(conflicts.as_array().unwrap().len(), 2);
    let sthj = app.token(Role::Department, Some("STHJ")).await;
    let (_, none) = app.get_json_as("/api/v1/conflicts", &sthj).await;
    assert_eq!(
        none.as_array().unwrap().len(),
        0,
        "a department sees only its own inspectors' conflicts"
    );
    let enterprise = app.token(Role::Enterprise, Some(OWN)).await;
    assert_eq!(
        status(
            app,
            Method::GET,
            &format!("/api/v1/enterprises/{OWN}/tier"),
            Some(&enterprise),
            None
        )
        .await,
        200
    );
});

both!(tokens_need_a_valid_scope, |app| {
    app.load_fixtures().await;
    let out = app.cli(&["token", "create", "--role", "department", "--label", "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs --scope"));
    let out = app.cli(&[
        "token",
        "create",
        "--role",
        "department",
        "--scope",
        "NOPE",
        "--label",
        "x",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("department 'NOPE' does not exist"));
    let out = app.cli(&["token", "create", "--role", "admin", "--label", "ops"]);
    assert!(out.status.success());
    let token = String::from_utf8(out.stdout).unwrap();
    assert!(token.trim().starts_with("dd_") && token.trim().len() == 67);
    let mut conn = app.db.pool.acquire().await.unwrap();
    let stored: Vec<String> = sqlx::query_scalar("SELECT hash FROM tokens")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    assert!(
        !stored.iter().any(|h| h == token.trim()),
        "the token itself is stored"
    );
});

// The enterprise page looks its token up in the statement that reads the enterprise: the same
// answers as every other handler, checked in the same order (token first).
both!(enterprise_page_checks_the_token_first, |app| {
    app.load_fixtures().await;
    let token = app.token(Role::Planner, None).await;
    let page = format!("/api/v1/enterprises/{OTHER}");
    let missing = format!(
        "/api/v1/enterprises/{}",
        dualdraw_solver::Uscc::with_check("91440300000000101").unwrap()
    );
    let missing = missing.as_str();
    let bad_code = "/api/v1/enterprises/91440300000000000X";
    let bad_date = format!("{page}?on=2026-13-01");
    for (path, anonymous, planner) in [
        (page.as_str(), 200, 200),
        (missing, 404, 404),
        (bad_code, 422, 422),
        (bad_date.as_str(), 422, 422),
    ] {
        assert_eq!(
            status(app, Method::GET, path, None, None).await,
            anonymous,
            "{path}"
        );
        assert_eq!(
            status(app, Method::GET, path, Some(&token), None).await,
            planner,
            "{path}"
        );
        assert_eq!(
            status(app, Method::GET, path, Some("dd_not_a_token"), None).await,
            401,
            "unknown token {path}"
        );
    }
    let (_, staff) = app.get_json_as(&page, &token).await;
    assert!(staff["credit"].is_object(), "{staff}");
    // The id as shown, in upper case: found on both databases.
    let id = &dualdraw::auth::hash_token(&token)[..12].to_ascii_uppercase();
    assert!(app.cli(&["token", "revoke", id]).status.success());
    for path in [page.as_str(), missing, bad_code] {
        assert_eq!(
            status(app, Method::GET, path, Some(&token), None).await,
            401,
            "revoked token {path}"
        );
    }
    let (_, public) = app.get_json(&page).await;
    assert!(public.get("credit").is_none(), "{public}");
});

/// Who may make a call: the roles of the tokens in [`every_guarded_call_has_its_boundary`].
#[derive(Clone, Copy, PartialEq)]
enum May {
    Admin,
    Planner,
    /// A department officer of STHJ.
    Department,
    Credit,
    /// Inspector SCJG-440305-0002.
    Inspector,
    /// The enterprise OWN.
    Enterprise,
}

impl May {
    fn name(self) -> &'static str {
        match self {
            May::Admin => "admin",
            May::Planner => "planner",
            May::Department => "department STHJ",
            May::Credit => "credit",
            May::Inspector => "inspector",
            May::Enterprise => "enterprise",
        }
    }
}

const EVERY_ROLE: [May; 6] = [
    May::Admin,
    May::Planner,
    May::Department,
    May::Credit,
    May::Inspector,
    May::Enterprise,
];

const STAFF: &[May] = &[
    May::Admin,
    May::Planner,
    May::Department,
    May::Credit,
    May::Inspector,
];

// Every guarded call against every role: 401 without a token, 403 for each role that may not
// make it (scopes included), and neither for each role that may.
both!(every_guarded_call_has_its_boundary, |app| {
    app.load_fixtures().await;
    let tokens = [
        app.token(Role::Admin, None).await,
        app.token(Role::Planner, None).await,
        app.token(Role::Department, Some("STHJ")).await,
        app.token(Role::Credit, None).await,
        app.token(Role::Inspector, Some("SCJG-440305-0002")).await,
        app.token(Role::Enterprise, Some(OWN)).await,
    ];
    let (_, records) = app
        .get_json_as(&format!("/api/v1/credit-records?uscc={OWN}"), &tokens[0])
        .await;
    let own_record = records[0]["id"].as_i64().unwrap();
    let repair =
        format!(r#"{{"record_id":{own_record},"commitment":"本企业承诺","proof":"已补报"}}"#);
    let conflict =
        format!(r#"{{"inspector":"SCJG-440305-0002","uscc":"{OTHER}","reason":"曾任职该企业"}}"#);
    let record = format!(
        r#"{{"uscc":"{OTHER}","kind":"penalty-minor","department":"SCJG","document_no":"深市监罚〔2026〕900号","decided_on":"2026-03-01","summary":"x"}}"#
    );
    use May::*;
    let planners: &[May] = &[Admin, Planner];
    let credit: &[May] = &[Admin, Credit];
    let mut calls: Vec<(Method, String, Option<String>, &[May])> = vec![
        (Method::GET, "/api/v1/inspectors".into(), None, STAFF),
        (
            Method::GET,
            "/api/v1/conflicts".into(),
            None,
            &[Admin, Planner, Department, Inspector],
        ),
        // STHJ's officer may not declare for an SCJG inspector.
        (
            Method::POST,
            "/api/v1/conflicts".into(),
            Some(conflict),
            &[Admin, Planner, Inspector],
        ),
        (Method::GET, "/api/v1/audit".into(), None, planners),
        (Method::GET, "/api/v1/audit/verify".into(), None, planners),
        (
            Method::GET,
            format!("/api/v1/enterprises/{OWN}/tier"),
            None,
            &[Admin, Planner, Department, Credit, Inspector, Enterprise],
        ),
        (
            Method::GET,
            format!("/api/v1/enterprises/{OTHER}/tier"),
            None,
            STAFF,
        ),
        (
            Method::GET,
            "/api/v1/repairs".into(),
            None,
            &[Admin, Credit, Enterprise],
        ),
        (Method::GET, "/api/v1/repairs/overdue".into(), None, credit),
        (
            Method::POST,
            "/api/v1/repairs".into(),
            Some(repair),
            &[Admin, Credit, Enterprise],
        ),
        // STHJ's officer may add records of STHJ only.
        (
            Method::POST,
            "/api/v1/credit-records".into(),
            Some(record),
            credit,
        ),
        (
            Method::POST,
            "/api/v1/draws".into(),
            Some("{}".into()),
            planners,
        ),
        (
            Method::POST,
            "/api/v1/draws/none/run".into(),
            Some(r#"{"entropy":[]}"#.into()),
            planners,
        ),
        (
            Method::POST,
            "/api/v1/draws/none/reveal".into(),
            Some("{}".into()),
            planners,
        ),
    ];
    for action in ["accept", "refuse", "approve", "deny"] {
        let body = r#"{"reasons":["x"]}"#.to_string();
        calls.push((
            Method::POST,
            format!("/api/v1/repairs/999/{action}"),
            Some(body),
            credit,
        ));
    }
    calls.push((
        Method::GET,
        "/api/v1/repairs/999".into(),
        None,
        &[Admin, Credit, Enterprise],
    ));
    for kind in [
        "enterprises",
        "departments",
        "items",
        "inspectors",
        "conflicts",
    ] {
        calls.push((
            Method::GET,
            format!("/api/v1/exports/{kind}"),
            None,
            planners,
        ));
        calls.push((
            Method::POST,
            format!("/api/v1/imports/{kind}"),
            Some(String::new()),
            planners,
        ));
    }
    calls.push((
        Method::GET,
        "/api/v1/exports/credit-records".into(),
        None,
        credit,
    ));
    calls.push((
        Method::POST,
        "/api/v1/imports/credit-records".into(),
        Some(String::new()),
        credit,
    ));

    for (method, path, body, allowed) in &calls {
        let body = body.as_deref();
        assert_eq!(
            status(app, method.clone(), path, None, body).await,
            401,
            "anonymous {method} {path}"
        );
        for (role, token) in EVERY_ROLE.iter().zip(&tokens) {
            let may = allowed.contains(role);
            let got = status(app, method.clone(), path, Some(token), body).await;
            let name = role.name();
            if may {
                assert!(
                    got != 401 && got != 403 && got < 500,
                    "{name} may {method} {path}, got {got}"
                );
            } else {
                assert_eq!(got, 403, "{name} may not {method} {path}");
            }
        }
    }
});
