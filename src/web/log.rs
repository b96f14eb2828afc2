//! 透明日志: the log's checkpoints with their witness cosignatures, its key and witness policy,
//! and every batch with its events in leaf order (`docs/log.md`). The same data the C2SP tiles
//! under `/log/…` serve, for people.

use super::error::PageResult;
use super::{render, Chrome};
use crate::http::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use std::collections::BTreeMap;

pub struct CheckpointRow {
    pub size: i64,
    pub root: String,
    pub signed_at: String,
    pub witnesses: Vec<(String, String)>,
}

pub struct EventRow {
    pub index: i64,
    pub event: String,
    pub label: &'static str,
    pub leaf: String,
}

pub struct BatchEvents {
    pub jurisdiction: String,
    pub batch: String,
    pub events: Vec<EventRow>,
}

#[derive(Template)]
#[template(path = "log.html")]
struct LogPage {
    chrome: Chrome,
    size: i64,
    key: Option<String>,
    witnesses: Option<String>,
    checkpoints: Vec<CheckpointRow>,
    batches: Vec<BatchEvents>,
}

pub fn event_label(event: &str) -> &'static str {
    match event {
        "prepare" => "承诺（冻结名单，声明随机数来源）",
        "replan" => "重新规划（替代原计划）",
        "run" => "抽签（取得随机数，生成结果）",
        "reveal" => "揭示（公布密钥和种子）",
        "abandon" => "放弃（附理由）",
        "publish" => "公布检查结果",
        _ => "其他事件",
    }
}

/// Checkpoints shown, newest first.
const CHECKPOINTS: i64 = 20;

/// `GET /log`.
pub async fn page(State(s): State<AppState>) -> PageResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let size: i64 = sqlx::query_scalar("SELECT size FROM log_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    let key = crate::log::store::meta(&mut conn, "verifier_key").await?;
    let witnesses = crate::log::store::meta(&mut conn, "witnesses").await?;
    let cps: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT size, root, signed_at FROM log_checkpoints ORDER BY size DESC LIMIT $1",
    )
    .bind(CHECKPOINTS)
    .fetch_all(&mut *conn)
    .await?;
    let mut checkpoints = Vec::new();
    for (size, root, signed_at) in cps {
        let witnesses = crate::log::store::cosignatures(&mut conn, size as u64)
            .await?
            .into_iter()
            .map(|(w, at, _)| {
                let when = chrono::DateTime::from_timestamp(at as i64, 0)
                    .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                    .unwrap_or_default();
                (w, when)
            })
            .collect();
        checkpoints.push(CheckpointRow {
            size,
            root,
            signed_at,
            witnesses,
        });
    }
    let events: Vec<(String, String, String, i64, String)> = sqlx::query_as(
        "SELECT e.jurisdiction, e.batch, e.event, e.idx, l.leaf FROM log_events e \
         JOIN log_entries l ON l.idx = e.idx ORDER BY e.idx",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut by_batch: BTreeMap<(String, String), (i64, Vec<EventRow>)> = BTreeMap::new();
    for (jurisdiction, batch, event, index, leaf) in events {
        let slot = by_batch
            .entry((jurisdiction, batch))
            .or_insert((index, Vec::new()));
        slot.1.push(EventRow {
            index,
            label: event_label(&event),
            event,
            leaf,
        });
    }
    let mut batches: Vec<(i64, BatchEvents)> = by_batch
        .into_iter()
        .map(|((jurisdiction, batch), (first, events))| {
            (
                first,
                BatchEvents {
                    jurisdiction,
                    batch,
                    events,
                },
            )
        })
        .collect();
    batches.sort_by_key(|(first, _)| std::cmp::Reverse(*first));
    Ok(render(&LogPage {
        chrome: Chrome::new("log"),
        size,
        key,
        witnesses,
        checkpoints,
        batches: batches.into_iter().map(|(_, b)| b).collect(),
    }))
}
