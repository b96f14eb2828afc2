//! The demo city loads into an empty database (once), and the service describes itself.

mod common;
use dualdraw::auth::Role;

async fn count(app: &common::TestApp, sql: &str) -> i64 {
    let mut conn = app.db.pool.acquire().await.unwrap();
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
}

both!(demo_city_loads_once_with_every_repair_state, |app| {
    assert!(dualdraw::demo::load_if_empty(&app.db).await.unwrap());
    assert!(
        !dualdraw::demo::load_if_empty(&app.db).await.unwrap(),
        "loaded twice"
    );
    assert_eq!(count(app, "SELECT COUNT(*) FROM enterprises").await, 5000);
    assert_eq!(
        count(app, "SELECT COUNT(DISTINCT region) FROM enterprises").await,
        6
    );
    assert_eq!(count(app, "SELECT COUNT(*) FROM departments").await, 8);
    assert_eq!(count(app, "SELECT COUNT(*) FROM inspectors").await, 150);
    assert!(
        count(
            app,
            "SELECT COUNT(*) FROM inspectors WHERE certificate_valid_until < '2026-11-23'"
        )
        .await
            > 0,
        "no expired certificates"
    );
    assert!(count(app, "SELECT COUNT(*) FROM conflicts").await > 0);
    assert!(count(app, "SELECT COUNT(*) FROM credit_records").await > 100);
    for state in ["submitted", "accepted", "refused", "approved", "denied"] {
        let n = count(
            app,
            &format!("SELECT COUNT(*) FROM repair_requests WHERE state = '{state}'"),
        )
        .await;
        assert!(n >= 2, "{n} requests {state}");
    }
    let d = count(
        app,
        "SELECT COUNT(*) FROM enterprises WHERE base_tier = 'D'",
    )
    .await;
    assert!(
        (50..=110).contains(&d),
        "tier D share off the 1.5 % of docs/domain.md: {d}"
    );
    let out = app.cli(&["audit", "verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
});

both!(lists_enterprises_with_filters_and_keyset_paging, |app| {
    dualdraw::demo::load_if_empty(&app.db).await.unwrap();
    let (_, page) = app
        .get_json("/api/v1/enterprises?region=440305&limit=10")
        .await;
    let page = page.as_array().unwrap();
    assert_eq!(page.len(), 10);
    assert!(page.iter().all(|e| e["region"] == "440305"));
    assert!(
        page.iter().all(|e| e.get("base_tier").is_none()),
        "classification shown to anonymous"
    );
    let last = page[9]["uscc"].as_str().unwrap();
    let (_, next) = app
        .get_json(&format!(
            "/api/v1/enterprises?region=440305&limit=10&after={last}"
        ))
        .await;
    assert!(next[0]["uscc"].as_str().unwrap() > last);
    let planner = app.token(Role::Planner, None).await;
    let (_, d) = app
        .get_json_as("/api/v1/enterprises?base_tier=D&limit=1000", &planner)
        .await;
    assert!(d.as_array().unwrap().iter().all(|e| e["base_tier"] == "D"));
    assert!(!d.as_array().unwrap().is_empty());
});

both!(bad_requests_are_json_errors_never_500, |app| {
    for (path, status) in [
        ("/api/v1/enterprises/91440300708461136t", 422),
        ("/api/v1/enterprises/91440300708461136T", 404),
        ("/api/v1/enterprises?limit=abc", 400),
        ("/api/v1/credit-records/notanumber", 400),
        ("/api/v1/calendar/add-workdays?date=2026-02-30&n=1", 422),
        ("/api/v1/calendar/add-workdays?date=2027-03-01&n=1", 422),
        ("/api/v1/nothing-here", 404),
    ] {
        let res = app.get(path).send().await.unwrap();
        assert_eq!(res.status().as_u16(), status, "{path}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert!(
            body["code"].is_string() && body["message"].is_string(),
            "{path}: {body}"
        );
    }
    let res = app
        .client
        .delete(format!("{}/api/v1/enterprises", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 405);
    assert_eq!(res.headers()["allow"], "GET,HEAD");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "method_not_allowed", "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("DELETE"),
        "{body}"
    );
    let res = app.post("/healthz").send().await.unwrap();
    assert_eq!(res.status().as_u16(), 405);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "method_not_allowed", "{body}");
});

#[tokio::test]
async fn serves_its_openapi_document() {
    let app = common::TestApp::sqlite().await;
    let (_, doc) = app.get_json("/api/v1/openapi.json").await;
    assert_eq!(doc["openapi"], "3.1.0");
    // Every route is described by construction (src/http/mod.rs); tests/openapi.rs checks
    // that every described route is served.
    assert!(doc["paths"]["/api/v1/enterprises"]["get"].is_object());
    let (_, health) = app.get_json("/healthz").await;
    assert_eq!(health["status"], "ok");
}

/// Kills the service when the test ends, whatever its outcome.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

// The first of the README's two commands: with no arguments and no settings the binary creates
// and migrates `dualdraw.db` in its working directory, loads the demo city and serves it.
#[tokio::test]
async fn runs_with_no_arguments_on_a_new_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _service = Running(
        std::process::Command::new(env!("CARGO_BIN_EXE_dualdraw"))
            .current_dir(dir.path())
            .env_remove("DATABASE_URL")
            .env_remove("DUALDRAW_BUNDLES")
            .env("DUALDRAW_BIND", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..300 {
        if let Ok(res) = client.get(format!("{base}/healthz")).send().await {
            up = res.status() == 200;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(up, "the service did not answer within 30 s");
    assert!(dir.path().join("dualdraw.db").is_file());
    let departments: serde_json::Value = client
        .get(format!("{base}/api/v1/departments"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(departments.as_array().unwrap().len(), 8, "{departments}");
    let page: serde_json::Value = client
        .get(format!("{base}/api/v1/enterprises?limit=3"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page.as_array().unwrap().len(), 3, "the demo city is served");
}

async fn uscc_list(app: &common::TestApp, token: &str, query: &str) -> Vec<String> {
    let (_, page) = app
        .get_json_as(&format!("/api/v1/enterprises?{query}"), token)
        .await;
    let page = page.as_array().unwrap_or_else(|| panic!("{query}: {page}"));
    page.iter()
        .map(|e| e["uscc"].as_str().unwrap().to_string())
        .collect()
}

// Each filter of the enterprise list, on both databases alike: an industry is a code prefix in
// either case, `q` a part of the name in which `%` and `_` are plain characters and A–Z match
// either case.
both!(filters_the_enterprise_list, |app| {
    app.load_fixtures().await;
    let code = dualdraw_solver::Uscc::with_check("91440305MA5DA0099").unwrap();
    let path = app.dir.path().join("more.csv");
    std::fs::write(
        &path,
        format!(
            "uscc,name,region,industry,registered_on,status,base_tier,key_supervision\n\
             {code},深圳市Blue_Sky 100%!Ｇ科技有限公司,440305,I6513,2019-01-01,revoked,B,true\n"
        ),
    )
    .unwrap();
    let out = app.cli(&["import", "enterprises", path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let planner = app.token(Role::Planner, None).await;
    let code = code.as_str().to_string();

    let c = uscc_list(app, &planner, "industry=C").await;
    assert_eq!(c.len(), 3, "华为 C3921, 鲜味 C1391, 安泰 C2614: {c:?}");
    assert_eq!(
        uscc_list(app, &planner, "industry=c13").await,
        ["91440305MA5DA0001T"]
    );
    assert_eq!(
        uscc_list(app, &planner, "status=revoked").await,
        [code.as_str()]
    );
    assert_eq!(uscc_list(app, &planner, "status=operating").await.len(), 11);
    assert_eq!(
        uscc_list(app, &planner, "key_supervision=true").await,
        ["91440305MA5DA0002X", code.as_str()]
    );
    assert_eq!(uscc_list(app, &planner, "q=南山区").await.len(), 8);
    for q in [
        "blue_sky", "BLUE_SKY", "100%25", "_Sky", "_", "%25", "%21", "Ｇ",
    ] {
        assert_eq!(
            uscc_list(app, &planner, &format!("q={q}")).await,
            [code.as_str()],
            "q={q}: only the name that has it"
        );
    }
    // Only A–Z fold, on both databases: a full-width ｇ does not find Ｇ.
    for q in ["Blue%25Sky", "1_0", "e_Sk_", "ｇ", "!!"] {
        let found = uscc_list(app, &planner, &format!("q={q}")).await;
        assert!(found.is_empty(), "q={q} matched {found:?}");
    }
    assert_eq!(
        uscc_list(app, &planner, "region=440305&industry=F&q=超市").await,
        ["91440305MA5DA0006A"]
    );
});
