//! The public portal over real HTTP, on both databases (`docs/portal.md`): every page answers
//! in Chinese with its status, bad input gets a clear HTML page and changes nothing, the static
//! files come from the binary, no page links anything outside the service, and the public
//! proof JSON agrees with the bundle and the solver.

mod common;
use dualdraw::auth::Role;
use dualdraw_solver::tlog::note::{PrivateKey, TYPE_ED25519};
use serde_json::{json, Value};

const TASKS: &str = "id,department,group,items,regions,industries,quota_a,quota_b,quota_c,quota_d,period_from,period_to\n\
SCJG-G,SCJG,joint,SCJG-001,,,1/2,1/2,1/2,1/2,1,4\n\
STHJ-G,STHJ,joint,STHJ-001,,,1/2,1/2,1/2,1/2,1,4\n";
const POLICY: &str = "key,value\nyear,2026\nas_of,2026-01-01\nperiods,quarter\nvisit_cap_a,1\nvisit_cap_b,1\nvisit_cap_c,2\nvisit_cap_d,4\ninspectors_per_department,2\nexclusion_months,12\n";
const TENCENT: &str = "91440300708461136T";

/// GET `path`: status, content type and body text.
async fn page(app: &common::TestApp, path: &str) -> (u16, String, String) {
    let res = app.get(path).send().await.unwrap();
    let status = res.status().as_u16();
    let kind = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, kind, res.text().await.unwrap())
}

async fn post(app: &common::TestApp, token: &str, path: &str, body: Value) {
    let res = app
        .post(path)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    assert!(
        status.is_success(),
        "{path}: {status} {}",
        res.text().await.unwrap()
    );
}

/// The test city with a revealed `dr1` draw `2026-Q1`, a revealed `dr2` plan `2026-plan` and
/// a committed `2026-Q2`.
async fn city_with_draws(app: &common::TestApp) {
    app.load_fixtures().await;
    let planner = app.token(Role::Planner, None).await;
    let new = |batch: &str, tasks: &str, policy: &str, method: &str| json!({ "batch": batch, "method": method, "sources": ["lottery:福彩3D:2026001:2026-01-02"], "allow_past_entropy": true, "tasks_csv": tasks, "policy_csv": policy });
    post(
        app,
        &planner,
        "/api/v1/draws",
        new("2026-Q1", TASKS, POLICY, "dr1"),
    )
    .await;
    post(
        app,
        &planner,
        "/api/v1/draws/2026-Q1/run",
        json!({ "entropy": ["3 7 1"] }),
    )
    .await;
    post(app, &planner, "/api/v1/draws/2026-Q1/reveal", json!({})).await;
    let months = POLICY.replace("quarter", "month");
    let tasks = TASKS.replace(",1,4\n", ",1,12\n");
    post(
        app,
        &planner,
        "/api/v1/draws",
        new("2026-plan", &tasks, &months, "dr2"),
    )
    .await;
    post(
        app,
        &planner,
        "/api/v1/draws/2026-plan/run",
        json!({ "entropy": ["5 2 8"] }),
    )
    .await;
    post(app, &planner, "/api/v1/draws/2026-plan/reveal", json!({})).await;
    post(
        app,
        &planner,
        "/api/v1/draws",
        new("2026-Q2", TASKS, POLICY, "dr1"),
    )
    .await;
    // The log's key and a signed checkpoint, as `dualdraw serve` makes them at start.
    let config = dualdraw::log::LogConfig {
        key: PrivateKey::from_seed("dualdraw.test/log", TYPE_ED25519, [9; 32]).unwrap(),
        jurisdiction: "default".into(),
        policy: dualdraw::log::cosigning::Policy::parse("", "test", None).unwrap(),
        margin_seconds: 3600,
    };
    dualdraw::log::publish::start(&app.db, &config)
        .await
        .unwrap();
}

/// Every `src`/`href`/`action` of a page stays on the service (starts with `/`, `#` or `?`).
fn assert_no_external_links(path: &str, html: &str) {
    for attr in ["src=\"", "href=\"", "action=\""] {
        for (i, _) in html.match_indices(attr) {
            let value = &html[i + attr.len()..];
            assert!(
                value.starts_with('/') || value.starts_with('#') || value.starts_with('?'),
                "{path}: {attr}{}…: a link that leaves the service",
                &value[..value.len().min(40)]
            );
        }
    }
    for outside in ["http://", "https://", "//fonts.", "@import"] {
        assert!(
            !html
                .replace("http://www.w3.org/2000/svg", "")
                .contains(outside),
            "{path}: contains {outside}"
        );
    }
}

/// A valid USCC of no enterprise of the test city.
fn unknown_code() -> String {
    "0123456789ABCDEFGHJKLMNPQRTUWXY"
        .chars()
        .map(|c| format!("91440300MA5DA0001{c}"))
        .find(|s| s.parse::<dualdraw_solver::Uscc>().is_ok())
        .unwrap()
}

/// An enterprise a revealed bundle drew by sampling (not by key supervision): (task, uscc).
async fn a_selection(app: &common::TestApp, batch: &str) -> (String, String) {
    let (status, _, csv) = page(
        app,
        &format!("/api/v1/draws/{batch}/files/plan/selections.csv"),
    )
    .await;
    assert_eq!(status, 200);
    let f: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|f| f[4] == "sample")
        .expect("the draw sampled someone");
    (f[0].to_string(), f[1].to_string())
}

both!(every_public_page_answers_in_chinese, |app| {
    city_with_draws(app).await;
    let (task, drawn) = a_selection(app, "2026-Q1").await;
    let pages: Vec<(String, Vec<&str>)> = vec![
        (
            "/".into(),
            vec![
                "“双随机、一公开”监管公示",
                "2026 年度抽查计划",
                "2026-plan",
                "2026-Q1",
                "已揭示，可核验",
                "已承诺，待抽签",
                "最新检查点",
            ],
        ),
        (
            "/items".into(),
            vec![
                "抽查事项清单",
                "企业公示信息检查",
                "《企业信息公示暂行条例》第十四条",
                "市场监督管理局",
                "1/2（50%）",
            ],
        ),
        (
            "/draws".into(),
            vec!["抽查计划与任务公告", "2026-Q1", "年度抽查计划（dr2）"],
        ),
        (
            "/draws/2026-Q1".into(),
            vec![
                "公开随机数来源",
                "彩票开奖号码：福彩3D 第 2026001 期",
                "3、7、1",
                "种子",
                "抽中名单",
                &drawn,
            ],
        ),
        (
            "/draws/2026-Q2".into(),
            vec!["种子在本批次检查结束、揭示后公布", "数值在揭示后公布"],
        ),
        (
            "/enterprises".into(),
            vec!["企业查询", "企业名称或统一社会信用代码"],
        ),
        (
            "/enterprises?q=%E8%85%BE%E8%AE%AF%E7%A7%91".into(),
            vec!["腾讯科技（深圳）有限公司", TENCENT],
        ),
        (
            // Two characters: too short for the trigram index, a clear message instead.
            "/enterprises?q=%E8%85%BE%E8%AE%AF".into(),
            vec!["请至少输入企业名称中连续的 3 个字"],
        ),
        (
            format!("/enterprises/{drawn}"),
            vec![
                "登记信息",
                "信用等级与公示中的信用记录",
                "抽查情况",
                "2026-Q1",
                &task,
                "抽查检查结果信息",
            ],
        ),
        (
            "/fair".into(),
            vec!["我的抽签公平吗？", "2026-Q1（已揭示，可核验）"],
        ),
        (
            format!("/fair?batch=2026-Q1&uscc={drawn}"),
            vec![
                "本企业的随机数 u",
                "抽中：ξ 不大于截止点",
                "/assets/fair.js",
            ],
        ),
        (
            format!("/fair?batch=2026-Q2&uscc={drawn}"),
            vec!["本批次尚未揭示种子"],
        ),
        (
            "/plan/2026-plan".into(),
            vec![
                "年度抽查计划报告",
                "/plan/2026-plan/tiers.svg",
                "各层的入选概率",
            ],
        ),
        (
            "/log".into(),
            vec![
                "透明日志",
                "检查点",
                "批次 <a href=\"/draws/2026-Q1\">2026-Q1</a>",
                "揭示（公布密钥和种子）",
            ],
        ),
    ];
    for (path, wanted) in &pages {
        let (status, kind, html) = page(app, path).await;
        assert_eq!(status, 200, "{path}: {html}");
        assert_eq!(kind, "text/html; charset=utf-8", "{path}");
        assert!(
            html.starts_with("<!doctype html>\n<html lang=\"zh-CN\">"),
            "{path}"
        );
        for w in wanted {
            assert!(html.contains(w), "{path} does not show {w}: {html}");
        }
        assert_no_external_links(path, &html);
    }
    // A USCC in the lookup goes straight to the enterprise.
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/enterprises?q=+{TENCENT}+", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], format!("/enterprises/{TENCENT}"));
    // The charts are SVG with titles, axis titles and every series in the legend.
    let (status, kind, svg) = page(app, "/plan/2026-plan/coordination.svg").await;
    assert_eq!((status, kind.as_str()), (200, "image/svg+xml"));
    for w in [
        "联合检查减少了多少次入户",
        "入户次数",
        "各任务分别抽取、分别入户",
        "本计划（dr2）：同组任务联合入户",
    ] {
        assert!(svg.contains(w), "coordination.svg lacks {w}");
    }
    let (_, _, svg) = page(app, "/plan/2026-plan/tiers.svg").await;
    assert!(svg.contains("上限"), "{svg}");
});

both!(bad_input_gets_a_clear_page_and_changes_nothing, |app| {
    city_with_draws(app).await;
    let count = |table: &'static str| async move {
        let mut conn = app.db.pool.acquire().await.unwrap();
        sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&mut *conn)
            .await
            .unwrap()
    };
    let before = (
        count("audit_log").await,
        count("draws").await,
        count("log_entries").await,
    );
    let unknown = unknown_code();
    let (not_here, outside) = (
        format!("/enterprises/{unknown}"),
        format!("/fair?batch=2026-Q1&uscc={unknown}"),
    );
    let cases: &[(&str, u16, &str)] = &[
        (
            "/enterprises?q=91440300708461136X",
            400,
            "校验码不符：按 GB 32100-2015，前 17 位对应的第 18 位应为“T”，您输入的是“X”",
        ),
        (
            "/enterprises?q=9144030070846113",
            400,
            "统一社会信用代码应为 18 位，您输入了 16 位",
        ),
        (
            "/enterprises/91440300708461136t",
            400,
            "第 18 位是小写字母“t”",
        ),
        (
            "/enterprises/914403007084611I6T",
            400,
            "不使用 I、O、S、V、Z",
        ),
        (&not_here, 404, "本辖区的企业名录中没有"),
        ("/draws/2027-Q9", 404, "没有名为“2027-Q9”的抽查批次"),
        ("/draws/a%20b", 400, "批次名称只能由字母、数字"),
        ("/plan/2026-Q1", 404, "是抽查任务，不是年度抽查计划"),
        ("/plan/2026-plan/secret.svg", 404, "没有图表 secret.svg"),
        (
            "/fair?batch=2027-Q9&uscc=91440300708461136T",
            404,
            "没有名为“2027-Q9”的抽查批次",
        ),
        ("/fair?batch=2026-Q1&uscc=12345", 400, "应为 18 位"),
        ("/fair?batch=2026-Q1", 400, "请输入 18 位统一社会信用代码"),
        ("/no/such/page", 404, "本站没有 /no/such/page 这个页面"),
        ("/assets/nothing.css", 404, "没有静态文件 nothing.css"),
    ];
    for (path, status, message) in cases {
        let (got, kind, html) = page(app, path).await;
        assert_eq!(got, *status, "{path}: {html}");
        assert_eq!(kind, "text/html; charset=utf-8", "{path}");
        assert!(
            html.contains(message),
            "{path} does not say {message}: {html}"
        );
        assert!(html.contains("本站未作任何更改"), "{path}");
        assert!(
            !html.contains("panicked") && !html.contains("src/"),
            "{path} shows internals"
        );
    }
    // The public proof JSON speaks the API's error language.
    let (status, err) = app
        .get_json("/public/draws/2026-Q1/proof/914403007084611360")
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (422, Some("invalid_uscc")),
        "{err}"
    );
    let (status, err) = app
        .get_json(&format!("/public/draws/2027-Q9/proof/{TENCENT}"))
        .await;
    assert_eq!(status, 404, "{err}");
    // An enterprise outside the committed population: a page that says so, not an error.
    let (status, _, html) = page(app, &outside).await;
    assert_eq!(status, 200);
    assert!(html.contains("不在批次 2026-Q1 承诺的抽查名单中"), "{html}");
    let after = (
        count("audit_log").await,
        count("draws").await,
        count("log_entries").await,
    );
    assert_eq!(before, after, "reading pages changed nothing");
});

both!(
    the_proof_json_agrees_with_the_bundle_and_the_solver,
    |app| {
        city_with_draws(app).await;
        let (task, drawn) = a_selection(app, "2026-Q1").await;
        let (status, proof) = app
            .get_json(&format!("/public/draws/2026-Q1/proof/{drawn}"))
            .await;
        assert_eq!(status, 200, "{proof}");
        let (_, manifest) = app
            .get_json("/api/v1/draws/2026-Q1/files/manifest.json")
            .await;
        let (_, commitment) = app
            .get_json("/api/v1/draws/2026-Q1/files/commitment.json")
            .await;
        assert_eq!(proof["seed"], manifest["seed"]);
        assert_eq!(proof["population_root"], commitment["population_root"]);
        let seed: [u8; 32] = hex::decode(manifest["seed"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let uscc: dualdraw_solver::Uscc = drawn.parse().unwrap();
        assert_eq!(
            proof["number"],
            format!("{:016x}", dualdraw_solver::seed::prn(&seed, &uscc))
        );
        let path: Vec<[u8; 32]> = proof["inclusion_proof"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                hex::decode(h.as_str().unwrap())
                    .unwrap()
                    .try_into()
                    .unwrap()
            })
            .collect();
        let root: [u8; 32] = hex::decode(commitment["population_root"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        assert!(dualdraw_solver::merkle::verify_inclusion(
            &dualdraw_solver::merkle::leaf_hash(proof["row"].as_str().unwrap().as_bytes()),
            proof["leaf_index"].as_u64().unwrap(),
            proof["tree_size"].as_u64().unwrap(),
            &path,
            &root,
        ));
        let stratum = proof["strata"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["task"] == task.as_str())
            .expect("the stratum that drew it");
        assert_eq!(stratum["selected"], true);
        assert_eq!(stratum["under_cutoff"], true);
        assert_eq!(stratum["eligible_for_task"], true);
        assert_eq!(stratum["basis"], "sample");
        assert_eq!(
            stratum["inclusion"],
            format!("{}/{}", stratum["quota"], stratum["eligible"])
        );
        // Before the reveal: the row and its proof, nothing about the outcome.
        let (status, early) = app
            .get_json(&format!("/public/draws/2026-Q2/proof/{drawn}"))
            .await;
        assert_eq!(status, 200, "{early}");
        assert_eq!(early["state"], "committed");
        assert!(
            early.get("number").is_none()
                && early.get("strata").is_none()
                && early["seed"].is_null(),
            "{early}"
        );
        assert_eq!(early["proof_verifies"], true);
    }
);

both!(static_files_come_from_the_binary, |app| {
    let res = app.get("/assets/portal.css").send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/css; charset=utf-8");
    assert_eq!(res.headers()["cache-control"], "public, max-age=300");
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    let css = res.text().await.unwrap();
    assert_eq!(css, include_str!("../web/assets/portal.css"));
    assert!(!css.contains("http://") && !css.contains("https://") && !css.contains("@font-face"));
    let res = app
        .get("/assets/portal.css")
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304, "revalidation with the ETag");
    // Every file of the verifier (its tests aside) is served with its bytes and type.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web/verifier");
    let mut stack = vec![root.clone()];
    let mut served = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if rel == "test" {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let res = app.get(&format!("/verify/{rel}")).send().await.unwrap();
            assert_eq!(res.status(), 200, "/verify/{rel}");
            let kind = res.headers()["content-type"].to_str().unwrap().to_string();
            if rel.ends_with(".js") || rel.ends_with(".mjs") {
                assert_eq!(kind, "text/javascript; charset=utf-8", "{rel}");
            }
            assert_eq!(
                res.bytes().await.unwrap().as_ref(),
                std::fs::read(&path).unwrap(),
                "{rel}"
            );
            served += 1;
        }
    }
    assert!(served > 20, "{served} verifier files");
    let (status, kind, html) = page(app, "/verify/").await;
    assert_eq!((status, kind.as_str()), (200, "text/html; charset=utf-8"));
    assert!(html.contains("抽签核验"));
    let (status, _, _) = page(app, "/verify/test/cdp.mjs").await;
    assert_eq!(status, 404, "the verifier's tests are not shipped");
    let (status, kind, js) = page(app, "/assets/fair.js").await;
    assert_eq!(
        (status, kind.as_str()),
        (200, "text/javascript; charset=utf-8")
    );
    assert!(
        js.contains("from '/verify/sha256.js'"),
        "the fairness check reuses the verifier's modules"
    );
});

both!(
    the_fairness_check_reads_the_plan_index_and_works_without_it,
    |app| {
        city_with_draws(app).await;
        let (_, drawn) = a_selection(app, "2026-Q1").await;
        let bundles = app.dir.path().join("bundles");
        let index = bundles.join(".dualdraw/2026-Q1.plan-index");
        assert!(index.is_file(), "the reveal wrote the plan index");
        let (status, with_index) = app
            .get_json(&format!("/public/draws/2026-Q1/proof/{drawn}"))
            .await;
        assert_eq!(status, 200, "{with_index}");
        let strata = with_index["strata"].as_array().unwrap();
        assert!(strata.iter().any(|s| s["selected"] == true), "{with_index}");
        // A draw revealed before the index existed: the same answer from the files, and the index
        // is written in the background for the next request.
        std::fs::remove_file(&index).unwrap();
        let (status, without) = app
            .get_json(&format!("/public/draws/2026-Q1/proof/{drawn}"))
            .await;
        assert_eq!((status, &without), (200, &with_index));
        let (status, _, html) = page(app, &format!("/fair?batch=2026-Q1&uscc={drawn}")).await;
        assert_eq!(status, 200);
        assert!(html.contains("抽中：ξ 不大于截止点"), "{html}");
        for _ in 0..100 {
            if index.is_file() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(index.is_file(), "the missing index was written again");
        let (_, again) = app
            .get_json(&format!("/public/draws/2026-Q1/proof/{drawn}"))
            .await;
        assert_eq!(again, with_index);
    }
);

both!(the_items_page_follows_every_change_to_items, |app| {
    city_with_draws(app).await;
    let (status, _, before) = page(app, "/items").await;
    assert_eq!(status, 200);
    assert!(before.contains("SCJG-001"), "{before}");
    assert!(!before.contains("改过的事项名称"));
    // Renamed by another writer (as `dualdraw import items` in another process would).
    sqlx::query("UPDATE items SET name = $1 WHERE code = 'SCJG-001'")
        .bind("改过的事项名称")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let (_, _, after) = page(app, "/items").await;
    assert!(after.contains("改过的事项名称"), "{after}");
    let (_, _, again) = page(app, "/items").await;
    assert_eq!(again, after, "the kept page");
    sqlx::query("UPDATE departments SET name = $1 WHERE code = 'SCJG'")
        .bind("改过的部门名称")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let (_, _, renamed) = page(app, "/items").await;
    assert!(renamed.contains("改过的部门名称"), "{renamed}");
});

both!(
    a_page_path_answers_a_wrong_method_with_an_html_page,
    |app| {
        for path in ["/items", "/", "/draws", "/enterprises", "/fair", "/log"] {
            let res = app.post(path).send().await.unwrap();
            assert_eq!(res.status().as_u16(), 405, "{path}");
            assert_eq!(res.headers()["allow"], "GET,HEAD", "{path}");
            assert_eq!(
                res.headers()["content-type"],
                "text/html; charset=utf-8",
                "{path}"
            );
            let html = res.text().await.unwrap();
            assert!(html.contains("不支持这种请求方式"), "{path}: {html}");
            assert!(
                html.contains(&format!("页面 {path} 不接受 POST 请求")),
                "{html}"
            );
            assert!(html.contains("role=\"alert\""), "{html}");
        }
        // The JSON companions keep the API's JSON error.
        let res = app
            .post(&format!("/public/draws/2026-Q1/proof/{TENCENT}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 405);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["code"], "method_not_allowed", "{body}");
    }
);

both!(
    the_fairness_check_keeps_each_draw_s_files_per_state_and_builds_them_once,
    |app| {
        city_with_draws(app).await;
        let (_, drawn) = a_selection(app, "2026-Q1").await;
        let q2 = app.dir.path().join("bundles/2026-Q2");
        assert_eq!(dualdraw::web::proof_cache::builds(&q2), (0, 0));
        // Sixteen first requests at once for the committed draw: one build of each.
        let path = format!("/public/draws/2026-Q2/proof/{drawn}");
        let answers = futures_util::future::join_all((0..16).map(|_| app.get_json(&path))).await;
        for (status, body) in &answers {
            assert_eq!(*status, 200, "{body}");
            assert_eq!(body, &answers[0].1);
        }
        let early = &answers[0].1;
        assert_eq!(early["state"], "committed");
        assert!(early.get("number").is_none() && early.get("strata").is_none());
        assert_eq!(dualdraw::web::proof_cache::builds(&q2), (1, 1));
        let (status, _, html) = page(app, &format!("/fair?batch=2026-Q2&uscc={drawn}")).await;
        assert_eq!(status, 200);
        assert!(html.contains("本批次尚未揭示种子"), "{html}");
        assert!(
            !html.contains("server-number"),
            "no number before the reveal"
        );
        assert_eq!(dualdraw::web::proof_cache::builds(&q2), (1, 1), "kept");

        // Revealed after the first requests: the next one shows the new state, from the files
        // read again (the population index is kept: the committed inputs did not change).
        let planner = app.token(Role::Planner, None).await;
        post(
            app,
            &planner,
            "/api/v1/draws/2026-Q2/run",
            json!({ "entropy": ["9 4 6"] }),
        )
        .await;
        post(app, &planner, "/api/v1/draws/2026-Q2/reveal", json!({})).await;
        let (status, late) = app.get_json(&path).await;
        assert_eq!(status, 200, "{late}");
        assert_eq!(late["state"], "revealed");
        assert_eq!(dualdraw::web::proof_cache::builds(&q2), (1, 2));
        let mut fresh = dualdraw::draw::proof::proof(
            &dualdraw::draw::bundle::Bundle::new(&q2),
            &drawn.parse().unwrap(),
        )
        .unwrap();
        let (_, manifest) = app
            .get_json("/api/v1/draws/2026-Q2/files/manifest.json")
            .await;
        fresh.seed = manifest["seed"].as_str().map(str::to_string);
        fresh.batch = Some("2026-Q2".into());
        fresh.state = Some("revealed".into());
        assert_eq!(
            late,
            serde_json::to_value(&fresh).unwrap(),
            "the same as read from the files now"
        );
        assert!(late["strata"].as_array().is_some_and(|s| !s.is_empty()));

        // The other draw of the same population keeps its own seed and numbers.
        let (_, q1) = app
            .get_json(&format!("/public/draws/2026-Q1/proof/{drawn}"))
            .await;
        assert_ne!(q1["seed"], late["seed"]);
        assert_ne!(q1["number"], late["number"]);
        let seed: [u8; 32] = hex::decode(late["seed"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        assert_eq!(
            late["number"],
            format!(
                "{:016x}",
                dualdraw_solver::seed::prn(&seed, &drawn.parse().unwrap())
            )
        );
        let (status, _, html) = page(app, &format!("/fair?batch=2026-Q2&uscc={drawn}")).await;
        assert_eq!(status, 200);
        let number = late["number"].as_str().unwrap();
        assert!(
            html.contains(&format!("<code id=\"server-number\">{number}</code>")),
            "the page shows the revealed number: {html}"
        );
    }
);
