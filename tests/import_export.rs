//! Import and export: CSV in both encodings and header languages, every error located, nothing
//! imported unless everything is (also when the process is killed), exact round trips.

mod common;
use common::{fixture, TestApp};
use dualdraw::auth::Role;

async fn count(app: &TestApp, table: &str) -> i64 {
    let mut conn = app.db.pool.acquire().await.unwrap();
    sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&mut *conn)
        .await
        .unwrap()
}

both!(export_then_import_round_trips_exactly, |app| {
    app.load_fixtures().await;
    for kind in [
        "departments",
        "enterprises",
        "items",
        "inspectors",
        "conflicts",
        "credit-records",
    ] {
        let first = app.cli(&["export", kind]);
        assert!(
            first.status.success(),
            "{}",
            String::from_utf8_lossy(&first.stderr)
        );
        let path = app.dir.path().join(format!("{kind}.csv"));
        std::fs::write(&path, &first.stdout).unwrap();
        let again = app.cli(&["import", kind, path.to_str().unwrap()]);
        let msg = String::from_utf8_lossy(&again.stderr);
        assert!(again.status.success(), "{msg}");
        assert!(
            msg.contains("0 inserted or changed"),
            "{kind}: re-import changed something: {msg}"
        );
        let second = app.cli(&["export", kind]);
        assert_eq!(
            first.stdout, second.stdout,
            "{kind}: export differs after round trip"
        );
    }
    // The fixture is already canonical, so its export is byte-identical to it.
    let exported = app.cli(&["export", "enterprises"]).stdout;
    assert_eq!(exported, std::fs::read(fixture("enterprises.csv")).unwrap());
});

both!(reimporting_the_same_file_changes_nothing, |app| {
    let admin = app.load_fixtures().await;
    let head_before = count(app, "audit_log").await;
    let report = app
        .import_fixture(&admin, "enterprises", "enterprises.csv")
        .await;
    assert_eq!(report["written"], 0);
    assert_eq!(report["unchanged"], 11);
    assert_eq!(
        count(app, "audit_log").await,
        head_before,
        "an import that changed nothing left an audit entry"
    );
});

both!(reports_every_error_as_file_line_column, |app| {
    let bad = fixture("enterprises-bad.csv");
    let out = app.cli(&["import", "enterprises", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let f = bad.display().to_string();
    for expected in [
        format!("{f}:2: uscc: lower-case letter 't' at position 18; codes are upper case"),
        format!("{f}:3: uscc: check character is 'T', got '0'"),
        format!("{f}:4: region: region must be a 6-digit division code, got '99305'"),
        format!("{f}:5: registered_on: '2015-02-30' is not a date"),
        format!("{f}:5: base_tier: credit tier must be one of A, B, C, D"),
        format!("{f}:5: key_supervision: 'maybe' is not a yes/no value"),
        format!("{f}:6: region: missing; the row has 2 fields, the header has 8"),
        format!("{f}:9: field 9: not in the header; the row has 9 fields, the header has 8"),
        format!("{f}:8: uscc: same uscc as line 7"),
        format!("{f}: 9 error(s); nothing was imported"),
    ] {
        assert!(
            stderr.contains(&expected),
            "missing `{expected}` in:\n{stderr}"
        );
    }
    assert_eq!(
        count(app, "enterprises").await,
        0,
        "the valid row of a bad file was imported"
    );
});

both!(
    a_nul_character_is_a_file_error_and_nothing_is_imported,
    |app| {
        // PostgreSQL cannot store U+0000 as text: the import failed there with a bare database
        // error and SQLite stored it. Both now name the line and column, and write nothing.
        let good = std::fs::read_to_string(fixture("enterprises.csv")).unwrap();
        let mut lines: Vec<String> = good.lines().map(String::from).collect();
        let mut fields: Vec<String> = lines[2].split(',').map(String::from).collect();
        fields[1].push_str("\0分公司");
        lines[2] = fields.join(",");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nul.csv");
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        let out = app.cli(&["import", "enterprises", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        let expected = format!(
            "{}:3: name: contains U+0000 (a NUL character), which is not text",
            path.display()
        );
        assert!(
            stderr.contains(&expected),
            "missing `{expected}` in:\n{stderr}"
        );
        assert_eq!(count(app, "enterprises").await, 0, "nothing imported");
    }
);

both!(refuses_credit_records_with_unknown_references, |app| {
    app.load_fixtures().await;
    let before = count(app, "credit_records").await;
    let bad = fixture("credit-records-bad.csv");
    let out = app.cli(&["import", "credit-records", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let f = bad.display().to_string();
    for expected in [
        format!("{f}:2: kind: unknown record kind 'penalty-huge'"),
        format!("{f}:3: department: 'NOPE' is not in the departments directory; import departments first"),
        format!("{f}:4: uscc: '91440305MA5DA0009K' is not in the enterprises directory"),
        format!("{f}:5: publicity_min_until: 2026-01-01 is before the decision date 2026-03-02"),
        format!("{f}:5: ended_on: is required when the status is repaired"),
    ] {
        assert!(stderr.contains(&expected), "missing `{expected}` in:\n{stderr}");
    }
    assert_eq!(count(app, "credit_records").await, before);
});

both!(reads_gbk_files_with_chinese_headers, |app| {
    let admin = app.token(Role::Admin, None).await;
    let report = app
        .import_fixture(&admin, "enterprises", "enterprises-gbk.csv")
        .await;
    assert_eq!(report["encoding"], "Gb18030");
    assert_eq!(report["written"], 4);
    let (_, e) = app.get_json("/api/v1/enterprises/91440300708461136T").await;
    assert_eq!(e["enterprise"]["name"], "腾讯科技（深圳）有限公司");
    assert_eq!(e["enterprise"]["status"], "operating");
});

both!(http_import_errors_are_listed_in_json, |app| {
    let admin = app.token(Role::Admin, None).await;
    let res = app
        .post("/api/v1/imports/enterprises?file=upload.csv")
        .bearer_auth(&admin)
        .body(std::fs::read(fixture("enterprises-bad.csv")).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "invalid_file");
    assert_eq!(body["details"]["total"], 9);
    assert_eq!(
        body["details"]["errors"][1],
        "upload.csv:3: uscc: check character is 'T', got '0'"
    );
});

/// Writes `rows` valid enterprise rows.
fn big_file(path: &std::path::Path, rows: u32) {
    use std::io::Write;
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(
        w,
        "uscc,name,region,industry,registered_on,status,base_tier,key_supervision"
    )
    .unwrap();
    for i in 0..rows {
        let code = dualdraw_solver::Uscc::with_check(&format!("91440305MA{i:07}")).unwrap();
        writeln!(
            w,
            "{code},企业{i},440305,C1391,2015-01-01,operating,B,false"
        )
        .unwrap();
    }
}

both!(a_killed_import_leaves_nothing, |app| {
    let path = app.dir.path().join("big.csv");
    big_file(&path, 400_000);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dualdraw"))
        .args(["import", "enterprises", path.to_str().unwrap()])
        .env("DATABASE_URL", &app.url)
        .spawn()
        .unwrap();
    // Kill it once it has written part of the file inside its transaction.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let still_running = child.try_wait().unwrap().is_none();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        still_running,
        "the import finished before it could be killed; make the file bigger"
    );
    assert_eq!(count(app, "enterprises").await, 0);
    // The database is usable afterwards.
    let admin = app.token(Role::Admin, None).await;
    app.import_fixture(&admin, "departments", "departments.csv")
        .await;
    app.import_fixture(&admin, "enterprises", "enterprises.csv")
        .await;
    assert_eq!(count(app, "enterprises").await, 11);
});

both!(text_with_tabs_backslashes_and_newlines_round_trips, |app| {
    let path = app.dir.path().join("odd.csv");
    let name = "甲\t乙 \\N \\\\ \"引号\"\n第二行\r\n第三行";
    let code = dualdraw_solver::Uscc::with_check("91440305MA0000001").unwrap();
    let mut w = csv::Writer::from_path(&path).unwrap();
    w.write_record([
        "uscc",
        "name",
        "region",
        "industry",
        "registered_on",
        "status",
        "base_tier",
        "key_supervision",
    ])
    .unwrap();
    w.write_record([
        code.as_str(),
        name,
        "440305",
        "C1391",
        "2015-01-01",
        "operating",
        "B",
        "false",
    ])
    .unwrap();
    w.flush().unwrap();
    let out = app.cli(&["import", "enterprises", path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, e) = app.get_json(&format!("/api/v1/enterprises/{code}")).await;
    assert_eq!(e["enterprise"]["name"], name);
    let again = app.cli(&["import", "enterprises", path.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("0 inserted or changed"));
});

both!(
    lists_the_errors_of_the_first_lines_and_counts_the_rest,
    |app| {
        // 150 repeated codes (every row after the first 50 repeats one of them) and a bad date on
        // the last line: the first 100 errors by line are listed, whatever order they were found in.
        let path = app.dir.path().join("repeats.csv");
        let mut text = String::from(
            "uscc,name,region,industry,registered_on,status,base_tier,key_supervision\n",
        );
        let codes: Vec<String> = (0..50)
            .map(|i| {
                dualdraw_solver::Uscc::with_check(&format!("91440305MA{i:07}"))
                    .unwrap()
                    .to_string()
            })
            .collect();
        for i in 0..200 {
            text.push_str(&format!(
                "{},企业{i},440305,C1391,2015-01-01,operating,B,false\n",
                codes[i % 50]
            ));
        }
        text.push_str(&format!(
            "{},企业,440305,C1391,2015-02-30,operating,B,false\n",
            codes[0]
        ));
        std::fs::write(&path, text).unwrap();
        let out = app.cli(&["import", "enterprises", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        let f = path.display().to_string();
        let lines: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with(&format!("{f}:")))
            .collect();
        assert_eq!(lines.len(), 101, "{stderr}"); // 100 listed and the summary
        assert_eq!(lines[0], format!("{f}:52: uscc: same uscc as line 2"));
        assert_eq!(lines[99], format!("{f}:151: uscc: same uscc as line 51"));
        assert!(stderr.contains("… and 51 more"), "{stderr}");
        assert!(
            stderr.contains(&format!("{f}: 151 error(s); nothing was imported")),
            "{stderr}"
        );
        assert_eq!(count(app, "enterprises").await, 0);
    }
);

/// `csv` with its header row written with each column's alias number `alias` (or the last one).
fn with_chinese_header(csv: &str, kind: dualdraw::import::Kind, alias: usize) -> String {
    let (header, rows) = csv.split_once('\n').unwrap();
    let columns = kind.spec().columns;
    let chinese: Vec<&str> = header
        .split(',')
        .map(|name| {
            let column = columns.iter().find(|c| c.name == name).unwrap();
            column.aliases[alias.min(column.aliases.len() - 1)]
        })
        .collect();
    format!("{}\n{rows}", chinese.join(","))
}

// Every alias of every kind is read: the fixtures' export with each column's first, second and
// third alias (its last where it has fewer), in UTF-8 with a byte-order mark and in GB18030,
// reads back as the same rows, with no column ignored.
both!(
    reads_every_kind_with_chinese_headers_in_both_encodings,
    |app| {
        app.load_fixtures().await;
        for kind in dualdraw::import::Kind::ALL {
            let name = kind.as_str();
            let canonical = String::from_utf8(app.cli(&["export", name]).stdout).unwrap();
            let rows = canonical.lines().count() - 1;
            assert!(rows > 0, "{name}: the fixtures have rows");
            for alias in 0..3 {
                let text = with_chinese_header(&canonical, kind, alias);
                let bom = app.dir.path().join(format!("{name}-{alias}-bom.csv"));
                std::fs::write(&bom, format!("\u{feff}{text}")).unwrap();
                let gbk = app.dir.path().join(format!("{name}-{alias}-gb18030.csv"));
                let (bytes, _, unmappable) = encoding_rs::GB18030.encode(&text);
                assert!(!unmappable);
                std::fs::write(&gbk, &bytes).unwrap();
                for (path, encoding) in [(&bom, "Utf8Bom"), (&gbk, "Gb18030")] {
                    let out = app.cli(&["import", name, path.to_str().unwrap()]);
                    let msg = String::from_utf8_lossy(&out.stderr);
                    assert!(out.status.success(), "{name}: {msg}");
                    assert!(
                        msg.contains(&format!(
                        "{rows} rows read ({encoding}), 0 inserted or changed, {rows} unchanged"
                    )),
                        "{name}: {msg}"
                    );
                    assert!(!msg.contains("ignored columns"), "{name}: {msg}");
                }
            }
            assert_eq!(
                String::from_utf8(app.cli(&["export", name]).stdout).unwrap(),
                canonical
            );
        }
    }
);

both!(an_unclosed_quote_is_named, |app| {
    let path = app.dir.path().join("quote.csv");
    std::fs::write(&path, "code,name\n\"SCJG,市场监督管理局\nSTHJ,生态环境局\n").unwrap();
    let out = app.cli(&["import", "departments", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:2: ", path.display()))
            && stderr.contains("is a quote left open?"),
        "{stderr}"
    );
    assert_eq!(count(app, "departments").await, 0);
});
