//! The public record (一公开, `docs/results.md` §6), read without a token: per batch the task
//! announcement (抽查任务公告) and the results announcement (抽查结果公告), per enterprise its
//! inspection results (抽查检查结果信息). Only published result versions appear; a corrected
//! result shows every published version with its reason. Each reader returns rows that
//! [`to_csv`] writes with the documented headers.

use super::catalog::{Categories, Method};
use super::plan::rows;
use crate::db::Db;
use crate::draw::bundle::Bundle;
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::AnyConnection;
use std::collections::BTreeMap;

/// One published result version as the public sees it.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct PublicResult {
    pub uscc: String,
    pub enterprise: String,
    pub batch: String,
    pub visit: String,
    pub department: String,
    pub inspecting_body: String,
    pub checked_on: String,
    pub method: String,
    pub categories: String,
    pub item_results: String,
    pub follow_up: String,
    pub follow_up_done_on: Option<String>,
    pub version: i64,
    pub reason: Option<String>,
    pub published_on: String,
}

const SELECT: &str = "SELECT r.uscc, COALESCE(e.name, '') AS enterprise, j.batch, j.visit, r.department, COALESCE(d.name, r.department) AS inspecting_body, r.checked_on, r.method, r.categories, r.item_results, r.follow_up, r.follow_up_done_on, r.version, r.reason, r.published_on \
     FROM inspection_results r JOIN inspection_jobs j ON j.id = r.job_id \
     LEFT JOIN enterprises e ON e.uscc = r.uscc LEFT JOIN departments d ON d.code = r.department \
     WHERE r.published_on IS NOT NULL";

/// The published results of one enterprise (抽查检查结果信息), by check date.
pub async fn of_enterprise(
    conn: &mut AnyConnection,
    uscc: &str,
) -> Result<Vec<PublicResult>, sqlx::Error> {
    sqlx::query_as::<_, PublicResult>(&format!(
        "{SELECT} AND r.uscc = $1 ORDER BY r.checked_on, r.job_id, r.version"
    ))
    .bind(uscc)
    .fetch_all(conn)
    .await
}

/// [`of_enterprise`] on a native read connection (`crate::db::Reads`): the public
/// per-enterprise read is the hot path of the public record (`docs/results.md` §6.3), and the
/// `Any` pool's liveness pings and value conversions cost it more than the statement itself.
pub async fn of_enterprise_read(db: &Db, uscc: &str) -> Result<Vec<PublicResult>, sqlx::Error> {
    let sql = format!("{SELECT} AND r.uscc = $1 ORDER BY r.checked_on, r.job_id, r.version");
    db.native.fetch_all(&sql, &[uscc]).await
}

/// One published result version.
pub async fn one(conn: &mut AnyConnection, id: i64) -> Result<Option<PublicResult>, sqlx::Error> {
    sqlx::query_as::<_, PublicResult>(&format!("{SELECT} AND r.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// The published results of one batch (抽查结果公告), by enterprise and department.
pub async fn of_batch(
    conn: &mut AnyConnection,
    batch: &str,
) -> Result<Vec<PublicResult>, sqlx::Error> {
    sqlx::query_as::<_, PublicResult>(&format!(
        "{SELECT} AND j.batch = $1 ORDER BY r.uscc, r.department, r.version"
    ))
    .bind(batch)
    .fetch_all(conn)
    .await
}

/// The JSON of a public result: lists, Chinese names, and the check type.
pub fn view(r: &PublicResult, cats: &Categories) -> Value {
    let categories: Vec<&str> = r.categories.split(';').filter(|c| !c.is_empty()).collect();
    json!({
        "uscc": r.uscc,
        "enterprise": r.enterprise,
        "batch": r.batch,
        "visit": r.visit,
        "department": r.department,
        "inspecting_body": r.inspecting_body,
        "type": "双随机抽查",
        "checked_on": r.checked_on,
        "method": r.method,
        "method_zh": Method::parse(&r.method).map(|m| m.name_zh()).unwrap_or(""),
        "result": categories.iter().map(|c| cats.name(c)).collect::<Vec<_>>().join("；"),
        "categories": categories,
        "items": r.item_results.split(';').filter_map(|p| p.split_once('=')).map(|(i, c)| json!({ "item": i, "category": c, "category_zh": cats.name(c) })).collect::<Vec<_>>(),
        "follow_up": r.follow_up,
        "follow_up_done_on": r.follow_up_done_on,
        "version": r.version,
        "correction_reason": r.reason,
        "published_on": r.published_on,
    })
}

/// The CSV header of public results (`docs/results.md` §6.4).
pub const RESULT_HEADER: &[&str] = &[
    "统一社会信用代码",
    "企业名称",
    "抽查批次",
    "检查编号",
    "检查实施机关",
    "检查类型",
    "检查日期",
    "检查方式",
    "检查结果",
    "后续处置",
    "处置完结日期",
    "版本",
    "更正原因",
    "公示日期",
];

/// The CSV row of a public result.
pub fn result_row(r: &PublicResult, cats: &Categories) -> Vec<String> {
    let v = view(r, cats);
    vec![
        r.uscc.clone(),
        r.enterprise.clone(),
        r.batch.clone(),
        r.visit.clone(),
        r.inspecting_body.clone(),
        "双随机抽查".into(),
        r.checked_on.clone(),
        v["method_zh"].as_str().unwrap_or("").to_string(),
        v["result"].as_str().unwrap_or("").to_string(),
        r.follow_up.clone(),
        r.follow_up_done_on.clone().unwrap_or_default(),
        r.version.to_string(),
        r.reason.clone().unwrap_or_default(),
        r.published_on.clone(),
    ]
}

/// CSV text (UTF-8, LF, RFC 4180 quoting) of a header and rows.
pub fn to_csv(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record(header).expect("in memory");
    for r in rows {
        w.write_record(&r).expect("in memory");
    }
    String::from_utf8(w.into_inner().expect("in memory")).expect("UTF-8 in, UTF-8 out")
}

/// The task announcement (抽查任务公告) of a run or revealed batch, from its bundle and the
/// directories: per task its department, type, items, object scope, dates and number drawn;
/// the drawn list once the draw is revealed (before, enterprises must not learn they will be
/// inspected: `docs/architecture.md`, "The draw protocol").
pub async fn announcement(
    conn: &mut AnyConnection,
    bundle: &Bundle,
    state: &str,
) -> Result<Value, super::InspectionError> {
    let b = bundle.clone();
    let revealed = state == "revealed";
    let (tasks, selections, policy) =
        tokio::task::spawn_blocking(move || -> Result<_, crate::draw::bundle::BundleError> {
            let selections = rows(&b, "plan/selections.csv")?;
            Ok((
                rows(&b, "inputs/tasks.csv")?,
                selections,
                rows(&b, "inputs/policy.csv")?,
            ))
        })
        .await
        .map_err(|e| super::InspectionError::invalid("invalid", e.to_string()))?
        .map_err(|e| super::InspectionError::invalid("invalid", e.to_string()))?;
    let policy: BTreeMap<String, String> = policy
        .into_iter()
        .filter_map(|r| Some((r.get("key")?.clone(), r.get("value")?.clone())))
        .collect();
    let year: i32 = policy.get("year").and_then(|y| y.parse().ok()).unwrap_or(0);
    let months = if policy.get("periods").map(String::as_str) == Some("month") {
        1
    } else {
        3
    };
    let departments: BTreeMap<String, String> =
        sqlx::query_as::<_, (String, String)>("SELECT code, name FROM departments")
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();
    let items: BTreeMap<String, String> =
        sqlx::query_as::<_, (String, String)>("SELECT code, name FROM items")
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();
    let names: BTreeMap<String, String> = if revealed {
        let mut m = BTreeMap::new();
        for s in &selections {
            let u = s.get("uscc").cloned().unwrap_or_default();
            let n: Option<String> =
                sqlx::query_scalar("SELECT name FROM enterprises WHERE uscc = $1")
                    .bind(&u)
                    .fetch_optional(&mut *conn)
                    .await?;
            m.insert(u, n.unwrap_or_default());
        }
        m
    } else {
        BTreeMap::new()
    };
    let mut groups: BTreeMap<String, usize> = BTreeMap::new();
    for t in &tasks {
        *groups
            .entry(t.get("group").cloned().unwrap_or_default())
            .or_default() += 1;
    }
    let list = |s: &str| {
        s.split(';')
            .filter(|p| !p.is_empty())
            .map(String::from)
            .collect::<Vec<_>>()
    };
    let mut out = Vec::new();
    for t in &tasks {
        let g = |k: &str| t.get(k).cloned().unwrap_or_default();
        let id = g("id");
        let drawn: Vec<&BTreeMap<String, String>> = selections
            .iter()
            .filter(|s| s.get("task") == Some(&id))
            .collect();
        let (regions, industries) = (list(&g("regions")), list(&g("industries")));
        let from: u32 = g("period_from").parse().unwrap_or(1);
        let to: u32 = g("period_to").parse().unwrap_or(1);
        let dates = |p: u32| super::plan::period_dates(year, months, p);
        out.push(json!({
            "task": id,
            "department": g("department"),
            "inspecting_body": departments.get(&g("department")).cloned().unwrap_or_default(),
            "group": g("group"),
            "joint": groups.get(&g("group")).copied().unwrap_or(0) > 1,
            "type": if regions.is_empty() && industries.is_empty() { "不定向" } else { "定向" },
            "items": list(&g("items")).iter().map(|c| json!({ "code": c, "name": items.get(c).cloned().unwrap_or_default() })).collect::<Vec<_>>(),
            "scope": { "regions": regions, "industries": industries, "quota": { "A": g("quota_a"), "B": g("quota_b"), "C": g("quota_c"), "D": g("quota_d") } },
            "check_from": dates(from).map(|d| super::day(d.0)),
            "check_to": dates(to).map(|d| super::day(d.1)),
            "drawn": drawn.len(),
            "drawn_list": revealed.then(|| drawn.iter().map(|s| {
                let u = s.get("uscc").cloned().unwrap_or_default();
                json!({ "uscc": u, "name": names.get(&u).cloned().unwrap_or_default() })
            }).collect::<Vec<_>>()),
        }));
    }
    Ok(
        json!({ "batch": bundle.dir.file_name().and_then(|n| n.to_str()).unwrap_or(""), "state": state, "year": year, "tasks": out }),
    )
}

/// The CSV header of the task announcement (one row per task).
pub const ANNOUNCEMENT_HEADER: &[&str] = &[
    "抽查批次",
    "任务编号",
    "检查实施机关",
    "部门代码",
    "联合抽查组",
    "抽查类型",
    "抽查事项",
    "抽查对象范围",
    "检查开始日期",
    "检查结束日期",
    "抽取数量",
];

/// The CSV rows of a task announcement.
pub fn announcement_rows(a: &Value) -> Vec<Vec<String>> {
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    a["tasks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            let items: Vec<String> = t["items"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|i| {
                    format!("{} {}", s(&i["code"]), s(&i["name"]))
                        .trim()
                        .to_string()
                })
                .collect();
            let join = |v: &Value| {
                v.as_array()
                    .into_iter()
                    .flatten()
                    .map(s)
                    .collect::<Vec<_>>()
                    .join(";")
            };
            let scope = format!(
                "regions={} industries={}",
                join(&t["scope"]["regions"]),
                join(&t["scope"]["industries"])
            );
            vec![
                s(&a["batch"]),
                s(&t["task"]),
                s(&t["inspecting_body"]),
                s(&t["department"]),
                s(&t["group"]),
                s(&t["type"]),
                items.join(";"),
                scope,
                s(&t["check_from"]),
                s(&t["check_to"]),
                t["drawn"].to_string(),
            ]
        })
        .collect()
}
