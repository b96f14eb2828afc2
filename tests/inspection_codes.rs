//! Inspection codes (亮码检查, 扫码入企; docs/results.md §12) over real HTTP, on both databases:
//! only the head of the job's department (or an admin) approves; the approved job gets a code
//! whose signed statement names the plan, the visit, the enterprise, the period and the team and
//! verifies with the published key; a forged statement does not; an unknown code is a 404 page
//! saying it is not the plan's; the QR image and the approval form of the workspace; two
//! approvals at once (one wins; the first code key is created once); the key as a 0600 file and
//! a key left in the database moved into it; a replacement after the approval signs a new
//! statement version and the old one stays verifiable, marked superseded.

mod common;
use dualdraw::auth::Role;
use dualdraw_solver::tlog::note::{self, Note, PrivateKey, VerifierKey, TYPE_ED25519};
use reqwest::header::SET_COOKIE;
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

async fn text(app: &common::TestApp, path: &str) -> (u16, String, String) {
    let res = app.get(path).send().await.unwrap();
    let status = res.status().as_u16();
    let kind = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, kind, res.text().await.unwrap())
}

/// Prepares and runs batch B1; returns the planner's token.
async fn run_draw(app: &common::TestApp) -> String {
    let planner = app.token(Role::Planner, None).await;
    let body = json!({ "batch": "B1", "sources": ["lottery:福彩3D:2026001:2026-01-02"], "allow_past_entropy": true, "tasks_csv": TASKS, "policy_csv": POLICY });
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

/// The SCJG jobs whose team was formed.
async fn staffed(app: &common::TestApp, token: &str) -> Vec<Value> {
    let (status, list) = send(
        app.get("/api/v1/inspection-jobs?department=SCJG&limit=1000")
            .bearer_auth(token),
    )
    .await;
    assert_eq!(status, 200, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .filter(|j| j["team"].as_array().unwrap().len() == 2)
        .cloned()
        .collect()
}

fn approve(app: &common::TestApp, id: i64, token: &str, on: &str) -> reqwest::RequestBuilder {
    app.post(&format!("/api/v1/inspection-jobs/{id}/approve"))
        .bearer_auth(token)
        .json(&json!({ "on": on }))
}

/// Verifies a signed statement with a verifier key, as anyone can (docs/results.md §12.3).
fn verifies(statement: &str, vkey: &str) -> bool {
    let Ok(key) = VerifierKey::parse(vkey.trim()) else {
        return false;
    };
    Note::parse(statement)
        .and_then(|n| note::open(&n, &[key]))
        .is_ok()
}

both!(
    the_head_of_the_department_approves_and_the_code_statement_verifies,
    |app| {
        let admin = app.load_fixtures().await;
        let planner = run_draw(app).await;
        let jobs = staffed(app, &admin).await;
        let job = &jobs[0];
        let id = job["id"].as_i64().unwrap();
        let from = job["period_from"].as_str().unwrap().to_string();
        let to = job["period_to"].as_str().unwrap().to_string();
        let member = job["team"][0]["inspector"].as_str().unwrap().to_string();
        let scjg = app.token(Role::Department, Some("SCJG")).await;
        let sthj = app.token(Role::Department, Some("STHJ")).await;
        let inspector = app.token(Role::Inspector, Some(&member)).await;

        // No code key before the first approval.
        let (status, _, _) = text(app, "/public/codes/key").await;
        assert_eq!(status, 404);

        // Another department, the planner and an inspector may not approve.
        let (status, b) = send(approve(app, id, &sthj, &from)).await;
        assert_eq!(
            (status, b["code"].as_str()),
            (403, Some("not_approver")),
            "{b}"
        );
        let (status, b) = send(approve(app, id, &planner, &from)).await;
        assert_eq!(status, 403, "{b}");
        let (status, b) = send(approve(app, id, &inspector, &from)).await;
        assert_eq!(status, 403, "{b}");
        // A date after the period: refused.
        let (status, b) = send(approve(app, id, &scjg, "2027-01-01")).await;
        assert_eq!(
            (status, b["code"].as_str()),
            (422, Some("outside_period")),
            "{b}"
        );
        let (_, unchanged) = send(
            app.get(&format!("/api/v1/inspection-jobs/{id}"))
                .bearer_auth(&admin),
        )
        .await;
        assert!(
            unchanged["code"].is_null() && unchanged["approved_by"].is_null(),
            "{unchanged}"
        );

        // The department's officer approves: approver, date, code, audit entry.
        let (status, approved) = send(approve(app, id, &scjg, &from)).await;
        assert_eq!(status, 200, "{approved}");
        let code = approved["code"].as_str().unwrap().to_string();
        assert_eq!(code.len(), 12);
        assert!(
            code.bytes()
                .all(|b| b"23456789ABCDEFGHJKMNPQRSTUVWXYZ".contains(&b)),
            "{code}"
        );
        assert_eq!(approved["approved_on"], from.as_str());
        assert!(
            approved["approved_by"]
                .as_str()
                .unwrap()
                .starts_with("department:"),
            "{approved}"
        );
        let (status, b) = send(approve(app, id, &admin, &from)).await;
        assert_eq!(
            (status, b["code"].as_str()),
            (409, Some("already_approved")),
            "{b}"
        );
        let audit: i64 = {
            let mut conn = app.db.pool.acquire().await.unwrap();
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'inspection.approve' AND subject = $1",
            )
            .bind(id.to_string())
            .fetch_one(&mut *conn)
            .await
            .unwrap()
        };
        assert_eq!(audit, 1);
        // An admin approves another department's job.
        let (_, other) = send(
            app.get("/api/v1/inspection-jobs?department=STHJ&limit=1")
                .bearer_auth(&admin),
        )
        .await;
        let other = &other[0];
        let (status, b) = send(approve(
            app,
            other["id"].as_i64().unwrap(),
            &admin,
            other["period_from"].as_str().unwrap(),
        ))
        .await;
        assert_eq!(status, 200, "{b}");
        assert_ne!(b["code"], approved["code"]);

        // The statement: exactly the specified lines, signed by the published key.
        let (status, kind, statement) = text(app, &format!("/public/codes/{code}")).await;
        assert_eq!(status, 200, "{statement}");
        assert!(kind.starts_with("text/plain"), "{kind}");
        let (status, _, vkey) = text(app, "/public/codes/key").await;
        assert_eq!(status, 200);
        assert!(verifies(&statement, &vkey), "{statement}\n{vkey}");
        let commitment: String = {
            let mut conn = app.db.pool.acquire().await.unwrap();
            sqlx::query_scalar("SELECT commitment_sha256 FROM draws WHERE batch = 'B1'")
                .fetch_one(&mut *conn)
                .await
                .unwrap()
        };
        assert_eq!(commitment.len(), 64);
        let enterprise: String = {
            let mut conn = app.db.pool.acquire().await.unwrap();
            sqlx::query_scalar("SELECT name FROM enterprises WHERE uscc = $1")
                .bind(job["uscc"].as_str().unwrap())
                .fetch_one(&mut *conn)
                .await
                .unwrap()
        };
        let mut expected = format!(
            "dualdraw/inspection-code/v2\ncode {code}\nversion 1\njurisdiction default\nbatch B1\ncommitment-sha256 {commitment}\nvisit {}\nuscc {}\nenterprise {enterprise}\ndepartment SCJG\nperiod {from} {to}\napproved {from}\n",
            job["visit"].as_str().unwrap(),
            job["uscc"].as_str().unwrap(),
        );
        let mut team: Vec<String> = job["team"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["inspector"].as_str().unwrap().to_string())
            .collect();
        team.sort();
        for i in &team {
            let (cert, name): (String, String) = {
                let mut conn = app.db.pool.acquire().await.unwrap();
                sqlx::query_as("SELECT certificate_no, name FROM inspectors WHERE id = $1")
                    .bind(i)
                    .fetch_one(&mut *conn)
                    .await
                    .unwrap()
            };
            expected.push_str(&format!("inspector {i} {cert} {name}\n"));
        }
        let (body, sig) = statement.split_once("\n\n").unwrap();
        assert_eq!(format!("{body}\n"), expected);
        assert!(sig.starts_with("— codes.default "), "{sig}");
        // The same facts give the same bytes.
        let (_, _, again) = text(app, &format!("/public/codes/{}", code.to_lowercase())).await;
        assert_eq!(again, statement);

        // Forged: another department, or another key's signature — rejected.
        let forged = statement.replace("department SCJG\n", "department STHJ\n");
        assert_ne!(forged, statement);
        assert!(!verifies(&forged, &vkey));
        let other_key = PrivateKey::from_seed("codes.default", TYPE_ED25519, [7; 32]).unwrap();
        let resigned = format!(
            "{}\n{}",
            forged.split_once("\n\n").unwrap().0.to_string() + "\n",
            note::sign(
                &(forged.split_once("\n\n").unwrap().0.to_string() + "\n"),
                &other_key
            )
            .unwrap()
            .line()
        );
        assert!(verifies(&resigned, &other_key.verifier().to_string()));
        assert!(!verifies(&resigned, &vkey), "a statement of another key");

        // The scan page: this visit only, and the browser check's script.
        let (status, _, page) = text(app, &format!("/code/{code}")).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains(job["uscc"].as_str().unwrap()));
        assert!(page.contains(&enterprise));
        assert!(page.contains("/assets/code.js"));
        assert!(page.contains("尚未揭示"));
        for j in &jobs[1..] {
            if j["uscc"] != job["uscc"] {
                assert!(
                    !page.contains(j["uscc"].as_str().unwrap()),
                    "another visit shown"
                );
            }
        }
        let (status, _, script) = text(app, "/verify/codes.js").await;
        assert_eq!(status, 200);
        assert!(script.contains("checkStatement"));

        // Unknown and malformed codes: a 404 page that says so, and no statement.
        for bad in ["ZZZZZZZZZZZZ", "not-a-code", "O0O0O0O0O0O0"] {
            let (status, _, page) = text(app, &format!("/code/{bad}")).await;
            assert_eq!(status, 404, "{bad}");
            assert!(page.contains("✘ 不是本计划的检查"), "{page}");
            let (status, _, _) = text(app, &format!("/public/codes/{bad}")).await;
            assert_eq!(status, 404, "{bad}");
        }

        // A result for a job without approval is still allowed (the results rules are unchanged).
        let unapproved = &jobs[1];
        let items: serde_json::Map<String, Value> = unapproved["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| (i.as_str().unwrap().to_string(), json!("no-problem")))
            .collect();
        let body = json!({ "checked_on": unapproved["period_from"], "inspector": unapproved["team"][0]["inspector"], "method": "实地", "items": items, "follow_up": "" });
        let (status, b) = send(
            app.post(&format!(
                "/api/v1/inspection-jobs/{}/result",
                unapproved["id"].as_i64().unwrap()
            ))
            .bearer_auth(&scjg)
            .json(&body),
        )
        .await;
        assert_eq!(status, 201, "{b}");

        // Once revealed, the page links the bundle and the fairness check.
        let (status, b) = send(app.post("/api/v1/draws/B1/reveal").bearer_auth(&planner)).await;
        assert_eq!(status, 200, "{b}");
        let (_, _, page) = text(app, &format!("/code/{code}")).await;
        assert!(page.contains("href=\"/draws/B1\""), "{page}");
        assert!(
            page.contains(&format!(
                "/fair?batch=B1&amp;uscc={}",
                job["uscc"].as_str().unwrap()
            )),
            "{page}"
        );
    }
);

/// A session of the workspace: (cookie header, csrf of the page).
async fn login(app: &common::TestApp, client: &reqwest::Client, token: &str) -> String {
    let form = client
        .get(format!("{}/workspace/login", app.base))
        .send()
        .await
        .unwrap();
    let pre: Vec<String> = cookies(form.headers());
    let body = form.text().await.unwrap();
    let csrf = csrf_of(&body);
    let done = client
        .post(format!("{}/workspace/login", app.base))
        .header("cookie", pre.join("; "))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string([("csrf", csrf.as_str()), ("token", token)]).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(done.status().as_u16(), 303);
    let mut all = pre;
    all.extend(cookies(done.headers()));
    all.join("; ")
}

fn cookies(h: &reqwest::header::HeaderMap) -> Vec<String> {
    h.get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .collect()
}

fn csrf_of(body: &str) -> String {
    let at = body
        .find("name=\"csrf\" value=\"")
        .unwrap_or_else(|| panic!("no csrf field in {body}"));
    let rest = &body[at + 19..];
    rest[..rest.find('"').unwrap()].to_string()
}

both!(
    the_workspace_approves_with_its_form_and_serves_the_qr_image,
    |app| {
        let admin = app.load_fixtures().await;
        run_draw(app).await;
        let job = staffed(app, &admin).await.remove(0);
        let id = job["id"].as_i64().unwrap();
        let from = job["period_from"].as_str().unwrap();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let get = |cookie: String, path: String| {
            let client = client.clone();
            let base = app.base.clone();
            async move {
                let res = client
                    .get(format!("{base}{path}"))
                    .header("cookie", cookie)
                    .send()
                    .await
                    .unwrap();
                let status = res.status().as_u16();
                let kind = res
                    .headers()
                    .get("content-type")
                    .map(|v| v.to_str().unwrap().to_string())
                    .unwrap_or_default();
                (status, kind, res.text().await.unwrap())
            }
        };
        let post = |cookie: String, path: String, form: Vec<(&'static str, String)>| {
            let client = client.clone();
            let base = app.base.clone();
            async move {
                let res = client
                    .post(format!("{base}{path}"))
                    .header("cookie", cookie)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(serde_urlencoded::to_string(&form).unwrap())
                    .send()
                    .await
                    .unwrap();
                (res.status().as_u16(), res.text().await.unwrap())
            }
        };

        // The planner sees the job but no approval form.
        let planner = app.token(Role::Planner, None).await;
        let pc = login(app, &client, &planner).await;
        let (status, _, page) = get(pc.clone(), format!("/workspace/jobs/{id}")).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("id=\"no-code\""));
        assert!(!page.contains("approve-form"));
        let (status, _, _) = get(pc, format!("/workspace/jobs/{id}/code.svg")).await;
        assert_eq!(status, 404, "no code before the approval");

        let scjg = app.token(Role::Department, Some("SCJG")).await;
        let c = login(app, &client, &scjg).await;
        let (status, _, page) = get(c.clone(), format!("/workspace/jobs/{id}")).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("approve-form"), "{page}");
        let csrf = csrf_of(&page);
        // Without the CSRF token: refused, nothing approved.
        let (status, _) = post(
            c.clone(),
            format!("/workspace/jobs/{id}/approve"),
            vec![("on", from.to_string())],
        )
        .await;
        assert_eq!(status, 403);
        let (status, page) = post(
            c.clone(),
            format!("/workspace/jobs/{id}/approve"),
            vec![("csrf", csrf), ("on", from.to_string())],
        )
        .await;
        assert_eq!(status, 200, "{page}");
        let (_, j) = send(
            app.get(&format!("/api/v1/inspection-jobs/{id}"))
                .bearer_auth(&admin),
        )
        .await;
        let code = j["code"].as_str().expect("approved").to_string();
        assert!(page.contains(&format!("检查码 {code}")), "{page}");
        assert!(page.contains(&format!("/workspace/jobs/{id}/code.svg")));
        assert!(page.contains(&format!("href=\"/code/{code}\"")));

        let (status, kind, svg) = get(c, format!("/workspace/jobs/{id}/code.svg")).await;
        assert_eq!(status, 200, "{svg}");
        assert_eq!(kind, "image/svg+xml");
        assert!(svg.contains("<svg") && svg.contains("</svg>"), "{svg}");
        // Not for anonymous callers.
        let (status, _, _) = get(String::new(), format!("/workspace/jobs/{id}/code.svg")).await;
        assert!(status == 303 || status == 401 || status == 403, "{status}");
    }
);

both!(two_approvals_at_once_give_one_code_and_one_key, |app| {
    let admin = app.load_fixtures().await;
    run_draw(app).await;
    let jobs = staffed(app, &admin).await;
    let scjg = app.token(Role::Department, Some("SCJG")).await;
    let (a, b) = (&jobs[0], &jobs[1]);
    let on = |j: &Value| j["period_from"].as_str().unwrap().to_string();
    let id = |j: &Value| j["id"].as_i64().unwrap();
    // The same job twice, and another job, at once, on a database without a code key yet.
    let (r1, r2, r3) = tokio::join!(
        send(approve(app, id(a), &scjg, &on(a))),
        send(approve(app, id(a), &admin, &on(a))),
        send(approve(app, id(b), &scjg, &on(b))),
    );
    let mut same = [r1.0, r2.0];
    same.sort();
    assert_eq!(same, [200, 409], "{} / {}", r1.1, r2.1);
    let loser = if r1.0 == 409 { &r1.1 } else { &r2.1 };
    assert_eq!(loser["code"], "already_approved", "{loser}");
    assert_eq!(r3.0, 200, "{}", r3.1);
    let (n, keys): (i64, i64) = {
        let mut conn = app.db.pool.acquire().await.unwrap();
        (
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'inspection.approve'",
            )
            .fetch_one(&mut *conn)
            .await
            .unwrap(),
            sqlx::query_scalar("SELECT COUNT(*) FROM code_keys")
                .fetch_one(&mut *conn)
                .await
                .unwrap(),
        )
    };
    // The key is a file (docs/results.md §12.3); the database keeps no key.
    assert_eq!((n, keys), (2, 0));
    let file = app.dir.path().join("dualdraw-log/codes.key");
    let key = PrivateKey::parse(std::fs::read_to_string(&file).unwrap().trim_end()).unwrap();
    let (_, _, vkey) = text(app, "/public/codes/key").await;
    assert_eq!(vkey, format!("{}\n", key.verifier()));
    for j in [a, b] {
        let (_, job) = send(
            app.get(&format!("/api/v1/inspection-jobs/{}", id(j)))
                .bearer_auth(&admin),
        )
        .await;
        let (status, _, statement) = text(
            app,
            &format!("/public/codes/{}", job["code"].as_str().unwrap()),
        )
        .await;
        assert_eq!(status, 200);
        assert!(verifies(&statement, &vkey), "{statement}");
    }
});

both!(
    the_code_key_is_a_private_file_and_an_old_database_key_moves_into_it,
    |app| {
        use std::os::unix::fs::PermissionsExt;
        let admin = app.load_fixtures().await;
        run_draw(app).await;
        let jobs = staffed(app, &admin).await;
        // A key as an earlier version kept it, in table code_keys.
        let old = PrivateKey::from_seed("codes.default", TYPE_ED25519, [9; 32]).unwrap();
        {
            let mut conn = app.db.pool.acquire().await.unwrap();
            sqlx::query("INSERT INTO code_keys (id, private_key, created_at) VALUES ('codes', $1, '2026-01-01T00:00:00Z')")
            .bind(old.encode())
            .execute(&mut *conn)
            .await
            .unwrap();
        }
        let file = app.dir.path().join("dualdraw-log/codes.key");
        assert!(!file.exists());
        // Its verifier key is served, and reading it moves it into the file.
        let (status, _, vkey) = text(app, "/public/codes/key").await;
        assert_eq!(status, 200, "{vkey}");
        assert_eq!(vkey, format!("{}\n", old.verifier()));
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(file.parent().unwrap()), 0o700);
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            format!("{}\n", old.encode())
        );
        let rows: i64 = {
            let mut conn = app.db.pool.acquire().await.unwrap();
            sqlx::query_scalar("SELECT COUNT(*) FROM code_keys")
                .fetch_one(&mut *conn)
                .await
                .unwrap()
        };
        assert_eq!(rows, 0, "the database keeps nothing secret");
        // The moved key signs the next approval.
        let j = &jobs[0];
        let id = j["id"].as_i64().unwrap();
        let (status, b) = send(approve(app, id, &admin, j["period_from"].as_str().unwrap())).await;
        assert_eq!(status, 200, "{b}");
        let (_, _, statement) = text(
            app,
            &format!("/public/codes/{}", b["code"].as_str().unwrap()),
        )
        .await;
        assert!(verifies(&statement, &vkey), "{statement}");

        // A fresh service whose file and database row disagree refuses to guess.
        let other = PrivateKey::from_seed("codes.default", TYPE_ED25519, [8; 32]).unwrap();
        {
            let mut conn = app.db.pool.acquire().await.unwrap();
            sqlx::query("INSERT INTO code_keys (id, private_key, created_at) VALUES ('codes', $1, '2026-01-01T00:00:00Z')")
            .bind(other.encode())
            .execute(&mut *conn)
            .await
            .unwrap();
        }
        let fresh = dualdraw::inspection::code_key::CodeKey::new(&file);
        let err = fresh.get(&app.db).await.unwrap_err().to_string();
        assert!(err.contains("differ"), "{err}");
        // The same key in both (a crash between writing the file and deleting the row): the row goes.
        {
            let mut conn = app.db.pool.acquire().await.unwrap();
            sqlx::query("UPDATE code_keys SET private_key = $1")
                .bind(old.encode())
                .execute(&mut *conn)
                .await
                .unwrap();
        }
        let fresh = dualdraw::inspection::code_key::CodeKey::new(&file);
        assert_eq!(
            fresh.get(&app.db).await.unwrap().unwrap().encode(),
            old.encode()
        );
        let rows: i64 = {
            let mut conn = app.db.pool.acquire().await.unwrap();
            sqlx::query_scalar("SELECT COUNT(*) FROM code_keys")
                .fetch_one(&mut *conn)
                .await
                .unwrap()
        };
        assert_eq!(rows, 0);
        // A key file others can read is refused.
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let fresh = dualdraw::inspection::code_key::CodeKey::new(&file);
        let err = fresh.get(&app.db).await.unwrap_err().to_string();
        assert!(err.contains("chmod 600"), "{err}");
    }
);

/// Tasks drawing every A and B enterprise, as in tests/inspection.rs.
const TASKS_ALL_A_B: &str = "id,department,group,items,regions,industries,quota_a,quota_b,quota_c,quota_d,period_from,period_to\n\
SCJG-G,SCJG,joint,SCJG-001,,,1/1,1/1,1/2,1/2,1,4\n\
STHJ-G,STHJ,joint,STHJ-001,,,1/1,1/1,1/2,1/2,1,4\n";

/// An approved, staffed `dr1` job on an enterprise without a declared conflict, with one
/// inspector of its department left over to replace a member: (admin token, job id, code,
/// first day of its period, the job).
async fn approved_job_with_a_spare(app: &common::TestApp) -> (String, i64, String, String, Value) {
    let admin = app.load_fixtures().await;
    let extra = "id,name,department,region,certificate_no,certificate_valid_from,certificate_valid_until,specialties,capacity\nSCJG-440305-0004,赵敏,SCJG,440305,44030500004,2024-01-01,2028-12-31,综合,60\n";
    let (status, b) = send(
        app.post("/api/v1/imports/inspectors?file=extra.csv")
            .bearer_auth(&admin)
            .body(extra),
    )
    .await;
    assert_eq!(status, 200, "{b}");
    let planner = app.token(Role::Planner, None).await;
    let body = json!({ "batch": "B1", "sources": ["lottery:福彩3D:2026001:2026-01-02"], "allow_past_entropy": true, "tasks_csv": TASKS_ALL_A_B, "policy_csv": POLICY });
    let (status, b) = send(app.post("/api/v1/draws").bearer_auth(&planner).json(&body)).await;
    assert_eq!(status, 201, "{b}");
    let (status, b) = send(
        app.post("/api/v1/draws/B1/run")
            .bearer_auth(&planner)
            .json(&json!({ "entropy": ["3 7 1"] })),
    )
    .await;
    assert_eq!(status, 200, "{b}");
    // A staffed job on an enterprise without a declared conflict: one inspector is left over.
    let job = staffed(app, &admin)
        .await
        .into_iter()
        .find(|j| j["uscc"] != "91440305MA5DA0001T")
        .expect("a staffed job");
    let id = job["id"].as_i64().unwrap();
    let from = job["period_from"].as_str().unwrap();
    let (status, b) = send(approve(app, id, &admin, from)).await;
    assert_eq!(status, 200, "{b}");
    let code = b["code"].as_str().unwrap().to_string();
    (admin, id, code, from.to_string(), job)
}

both!(
    a_replacement_after_approval_signs_a_new_version_and_the_old_stays_superseded,
    |app| {
        let (admin, id, code, from, job) = approved_job_with_a_spare(app).await;
        let from = from.as_str();
        let (_, _, vkey) = text(app, "/public/codes/key").await;
        let (_, _, first) = text(app, &format!("/public/codes/{code}")).await;
        assert!(first.contains("\nversion 1\n"), "{first}");
        let gone = job["team"][0]["inspector"].as_str().unwrap().to_string();
        let (status, b) = send(
            app.post(&format!("/api/v1/inspection-jobs/{id}/replace"))
                .bearer_auth(&admin)
                .json(&json!({ "inspector": gone, "reason": "病假", "on": from })),
        )
        .await;
        assert_eq!(status, 200, "{b}");
        let res = app
            .get(&format!("/public/codes/{code}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["statement-version"], "2");
        assert_eq!(res.headers()["statement-versions"], "2");
        assert!(res.headers().get("statement-superseded").is_none());
        let second = res.text().await.unwrap();
        assert!(second.contains("\nversion 2\n"), "{second}");
        assert!(!second.contains(&format!("inspector {gone} ")), "{second}");
        assert!(first.contains(&format!("inspector {gone} ")), "{first}");
        assert!(verifies(&second, &vkey));
        // The first version is kept as it was signed, still verifies, and says it was superseded.
        let res = app
            .get(&format!("/public/codes/{code}?version=1"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(res.headers()["statement-superseded"], from);
        let kept = res.text().await.unwrap();
        assert_eq!(kept, first);
        assert!(verifies(&kept, &vkey));
        let (status, _, _) = text(app, &format!("/public/codes/{code}?version=3")).await;
        assert_eq!(status, 404);
        // The scan page lists both, the first marked superseded.
        let (_, _, page) = text(app, &format!("/code/{code}")).await;
        assert!(
            page.contains(&format!("/public/codes/{code}?version=1")),
            "{page}"
        );
        assert!(page.contains("已被取代"), "{page}");
    }
);

both!(
    a_job_approved_before_statements_were_kept_gets_its_version_1_when_read,
    |app| {
        let admin = app.load_fixtures().await;
        run_draw(app).await;
        let job = staffed(app, &admin).await.remove(0);
        let id = job["id"].as_i64().unwrap();
        let (status, b) = send(approve(
            app,
            id,
            &admin,
            job["period_from"].as_str().unwrap(),
        ))
        .await;
        assert_eq!(status, 200, "{b}");
        let code = b["code"].as_str().unwrap().to_string();
        // As a database migrated from before 0011 has it: an approved job, no kept statement.
        {
            let mut conn = app.db.pool.acquire().await.unwrap();
            sqlx::query("DELETE FROM code_statements")
                .execute(&mut *conn)
                .await
                .unwrap();
        }
        let (_, _, vkey) = text(app, "/public/codes/key").await;
        let (status, _, statement) = text(app, &format!("/public/codes/{code}")).await;
        assert_eq!(status, 200, "{statement}");
        assert!(statement.contains("\nversion 1\n"), "{statement}");
        assert!(verifies(&statement, &vkey));
        let kept: i64 = {
            let mut conn = app.db.pool.acquire().await.unwrap();
            sqlx::query_scalar("SELECT COUNT(*) FROM code_statements WHERE job_id = $1")
                .bind(id)
                .fetch_one(&mut *conn)
                .await
                .unwrap()
        };
        assert_eq!(kept, 1, "signed once and kept");
        let (_, _, again) = text(app, &format!("/public/codes/{code}")).await;
        assert_eq!(again, statement);
    }
);

both!(two_replacements_of_one_member_at_once_replace_once, |app| {
    let (admin, id, code, from, job) = approved_job_with_a_spare(app).await;
    let gone = job["team"][0]["inspector"].as_str().unwrap().to_string();
    let replace = || {
        send(
            app.post(&format!("/api/v1/inspection-jobs/{id}/replace"))
                .bearer_auth(&admin)
                .json(&json!({ "inspector": gone, "reason": "病假", "on": from })),
        )
    };
    let (r1, r2) = tokio::join!(replace(), replace());
    let mut statuses = [r1.0, r2.0];
    statuses.sort();
    assert_eq!(statuses, [200, 422], "{} / {}", r1.1, r2.1);
    let loser = if r1.0 == 422 { &r1.1 } else { &r2.1 };
    assert_eq!(loser["code"], "not_on_team", "{loser}");
    // One replacement, one new statement version: nothing half written by the loser.
    let (_, b) = send(
        app.get(&format!("/api/v1/inspection-jobs/{id}"))
            .bearer_auth(&admin),
    )
    .await;
    let replacements = b["team"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["source"] == "replacement")
        .count();
    assert_eq!(replacements, 1, "{b}");
    let res = app
        .get(&format!("/public/codes/{code}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["statement-versions"], "2");
    let n: i64 = {
        let mut conn = app.db.pool.acquire().await.unwrap();
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'inspection.replace'")
            .fetch_one(&mut *conn)
            .await
            .unwrap()
    };
    assert_eq!(n, 1);
});
