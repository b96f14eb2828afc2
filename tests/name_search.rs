//! The name search (`src/registry/store.rs`, `docs/portal.md`, "Name search") on SQLite (FTS5
//! trigram index) and PostgreSQL (pg_trgm): the enterprises found are exactly those whose name
//! contains the query, A–Z in either case, `%` and `_` as themselves, first 50 in code order —
//! what `LIKE` over every name finds — whether the index is read or the names are; and the index
//! follows inserts, renames and deletes in their transactions.

mod common;

use dualdraw::registry::store::{self, EnterpriseFilter};
use dualdraw_solver::Uscc;

/// The code of test enterprise `i` (valid, in the order of `i`).
fn code(i: usize) -> String {
    Uscc::with_check(&format!("91440300{i:09}"))
        .unwrap()
        .to_string()
}

/// Inserts enterprises (code, name) in one transaction.
async fn insert(app: &common::TestApp, rows: &[(String, String)]) {
    let mut tx = app.db.pool.begin().await.unwrap();
    for chunk in rows.chunks(200) {
        let mut sql = String::from(
            "INSERT INTO enterprises (uscc, name, region, industry, registered_on, status, base_tier, key_supervision) VALUES ",
        );
        for (k, _) in chunk.iter().enumerate() {
            if k > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "(${}, ${}, '440305', 'C1391', '2020-01-01', 'operating', 'B', 0)",
                2 * k + 1,
                2 * k + 2
            ));
        }
        let mut q = sqlx::query(&sql);
        for (c, n) in chunk {
            q = q.bind(c.clone()).bind(n.clone());
        }
        q.execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
}

/// What the search must answer: the names containing `q` (A–Z case ignored), first 50 by code.
fn expected(rows: &[(String, String)], q: &str) -> Vec<String> {
    let q = q.to_ascii_lowercase();
    let mut found: Vec<String> = rows
        .iter()
        .filter(|(_, n)| n.to_ascii_lowercase().contains(&q))
        .map(|(c, _)| c.clone())
        .collect();
    found.sort();
    found.truncate(50);
    found
}

async fn search(app: &common::TestApp, q: &str) -> Vec<String> {
    let mut conn = app.db.pool.acquire().await.unwrap();
    let filter = EnterpriseFilter {
        q: Some(q.to_string()),
        limit: Some(50),
        ..Default::default()
    };
    store::enterprises(&mut conn, &filter)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.uscc.to_string())
        .collect()
}

fn names() -> Vec<(String, String)> {
    let special = [
        "深圳市南山区鑫盛软件有限公司",
        "深圳市福田区鑫盛贸易有限公司",
        "腾讯科技（深圳）有限公司",
        "深圳市ABC科技有限公司",
        "深圳市abc电子有限公司",
        "深圳市AbC食品有限公司",
        "Ábc 重音有限公司",
        "百分之100%有限公司",
        "百分之1000有限公司",
        "下划线_甲有限公司",
        "下划线X甲有限公司",
        "引号\"乙\"有限公司",
        "感叹号!丙有限公司",
    ];
    let mut rows: Vec<(String, String)> = special
        .iter()
        .enumerate()
        .map(|(i, n)| (code(i), n.to_string()))
        .collect();
    // Names with 科技有 among the first codes (the page fills there, read in code order) and
    // names with 尾部集 only after the first 4,096 codes (found through the index).
    for i in 0..6200 {
        let n = if i % 3 == 0 {
            format!("深圳市第{i}号电子商务有限公司")
        } else {
            format!("深圳市第{i}号网络科技有限公司")
        };
        rows.push((code(100 + i), n));
    }
    for i in 0..120 {
        rows.push((code(9000 + i), format!("深圳市尾部集团{i}有限公司")));
    }
    rows
}

const QUERIES: &[&str] = &[
    "鑫盛软",
    "鑫盛",
    "科技有",
    "ABC",
    "abc",
    "aBc",
    "Ábc",
    "ábc",
    "100%",
    "0%有",
    "%有限",
    "线_甲",
    "_甲有",
    "\"乙\"",
    "号!丙",
    "第123号",
    "第6199号网络",
    "电子商务有限",
    "有限公司",
    "不存在的名字",
    "（深圳）",
    "尾部集",
    "尾部集团11",
];

both!(finds_what_like_finds_with_and_without_the_index, |app| {
    let rows = names();
    insert(app, &rows).await;
    for q in QUERIES {
        assert_eq!(search(app, q).await, expected(&rows, q), "q = {q}");
    }
    // Paging after a code: the same rule.
    let mut conn = app.db.pool.acquire().await.unwrap();
    let filter = EnterpriseFilter {
        q: Some("科技有".into()),
        after: Some(code(2000)),
        limit: Some(50),
        ..Default::default()
    };
    let page: Vec<String> = store::enterprises(&mut conn, &filter)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.uscc.to_string())
        .collect();
    let mut want: Vec<String> = rows
        .iter()
        .filter(|(c, n)| n.contains("科技有") && *c > code(2000))
        .map(|(c, _)| c.clone())
        .collect();
    want.sort();
    want.truncate(50);
    assert_eq!(page, want);
});

both!(the_index_follows_inserts_renames_and_deletes, |app| {
    let rows = names();
    insert(app, &rows[..20]).await;
    assert_eq!(search(app, "鑫盛软").await, vec![code(0)]);
    // A rename, as an import that changes the name does it.
    sqlx::query("UPDATE enterprises SET name = $1 WHERE uscc = $2")
        .bind("深圳市南山区旭日咨询有限公司")
        .bind(code(0))
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert!(search(app, "鑫盛软").await.is_empty());
    assert_eq!(search(app, "旭日咨询").await, vec![code(0)]);
    // A rename rolled back leaves the index as it was.
    let mut tx = app.db.pool.begin().await.unwrap();
    sqlx::query("UPDATE enterprises SET name = $1 WHERE uscc = $2")
        .bind("深圳市南山区明月咨询有限公司")
        .bind(code(0))
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert!(search(app, "明月咨询").await.is_empty());
    assert_eq!(search(app, "旭日咨询").await, vec![code(0)]);
    // A delete.
    sqlx::query("DELETE FROM enterprises WHERE uscc = $1")
        .bind(code(0))
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert!(search(app, "旭日咨询").await.is_empty());
    assert_eq!(search(app, "鑫盛贸").await, vec![code(1)]);
});

both!(the_portal_asks_for_three_characters, |app| {
    let rows = names();
    insert(app, &rows[..20]).await;
    for q in ["鑫", "鑫盛", "ab"] {
        let res = app
            .get("/enterprises")
            .query(&[("q", q)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{q}");
        let html = res.text().await.unwrap();
        assert!(
            html.contains("请至少输入企业名称中连续的 3 个字"),
            "{q}: {html}"
        );
        assert!(!html.contains("/enterprises/9144"), "{q}: nothing listed");
    }
    let res = app
        .get("/enterprises")
        .query(&[("q", "鑫盛软")])
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert!(html.contains("深圳市南山区鑫盛软件有限公司"), "{html}");
    assert!(html.contains(&code(0)));
    assert!(!html.contains("请至少输入"));
    // The API still searches short parts of names (reading the names).
    let mut conn = app.db.pool.acquire().await.unwrap();
    let filter = EnterpriseFilter {
        q: Some("鑫盛".into()),
        ..Default::default()
    };
    let found = store::enterprises(&mut conn, &filter).await.unwrap();
    assert_eq!(found.len(), 2);
});

/// The codes a portal page links to, in order.
fn linked_codes(html: &str) -> Vec<String> {
    html.split("<a href=\"/enterprises/")
        .skip(1)
        .map(|rest| rest[..18].to_string())
        .collect()
}

both!(the_portal_lists_what_like_finds, |app| {
    let rows = names();
    insert(app, &rows).await;
    let mut checked = 0;
    for q in QUERIES.iter().filter(|q| q.chars().count() >= 3) {
        let res = app
            .get("/enterprises")
            .query(&[("q", q)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{q}");
        let html = res.text().await.unwrap();
        let want = expected(&rows, q);
        assert_eq!(linked_codes(&html), want, "q = {q}");
        if let Some(first) = want.first() {
            let name = &rows.iter().find(|(c, _)| c == first).unwrap().1;
            if !name.contains('"') {
                assert!(html.contains(name.as_str()), "q = {q}: {name}");
            }
            assert!(html.contains("存续"), "q = {q}: the status is shown");
        }
        checked += 1;
    }
    assert!(checked >= 15, "{checked} queries");
});
