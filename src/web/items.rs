//! 抽查事项清单: every inspection item with its department, kind and legal basis, and the
//! sampling ratio per credit tier and the periods of the newest draw that samples it.

use super::draws::{self, Draw};
use super::error::{PageError, PageResult};
use super::Chrome;
use crate::draw::bundle::Bundle;
use crate::http::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// One item as the list shows it.
pub struct ItemView {
    pub code: String,
    pub department: String,
    pub name: String,
    pub key: bool,
    pub legal_basis: String,
    pub industries: String,
    /// Ratio and frequency from the newest draw's tasks, if one samples the item.
    pub sampling: Vec<Sampling>,
}

/// The ratio of one task for each tier, and its periods.
pub struct Sampling {
    pub task: String,
    pub quotas: Vec<(&'static str, String)>,
    pub periods: String,
}

#[derive(Template)]
#[template(path = "items.html")]
struct ItemsPage {
    chrome: Chrome,
    items: Vec<ItemView>,
    /// The draw whose tasks gave the ratios, if any.
    from_batch: Option<String>,
}

/// A quota as people read it: `1/200` → `1/200（0.5%）`, a count → `N 户`, empty → 不抽.
pub fn quota_words(q: &str) -> String {
    if q.is_empty() {
        return "不抽取".into();
    }
    if let Some((p, d)) = q.split_once('/') {
        if let (Ok(p), Ok(d)) = (p.parse::<u128>(), d.parse::<u128>()) {
            if d > 0 {
                // Percent with two decimals, rounded half up, trailing zeros dropped.
                let hundredths = (p * 20000 + d) / (2 * d);
                let mut pct = format!("{}.{:02}", hundredths / 100, hundredths % 100);
                while pct.ends_with('0') {
                    pct.pop();
                }
                let pct = pct.trim_end_matches('.');
                return format!("{q}（{pct}%）");
            }
        }
    }
    format!("{q} 户")
}

/// One row of a bundle's `inputs/tasks.csv`, as far as the list needs it.
struct Task {
    id: String,
    items: Vec<String>,
    quotas: [String; 4],
    from: String,
    to: String,
}

fn tasks(bundle: &Bundle) -> PageResult<Vec<Task>> {
    let text = bundle.read("inputs/tasks.csv")?;
    let mut out = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if let [id, _dep, _group, items, _regions, _industries, a, b, c, d, from, to] = f[..] {
            out.push(Task {
                id: id.to_string(),
                items: items.split(';').map(str::to_string).collect(),
                quotas: [a, b, c, d].map(str::to_string),
                from: from.to_string(),
                to: to.to_string(),
            });
        }
    }
    Ok(out)
}

/// The page from the items, the departments and the newest draw's tasks.
async fn build(s: &AppState, newest: Option<Draw>) -> PageResult<String> {
    let mut conn = s.db.pool.acquire().await?;
    let names: BTreeMap<String, String> = crate::registry::store::departments(&mut conn)
        .await?
        .into_iter()
        .map(|d| (d.code, d.name))
        .collect();
    let items = crate::registry::store::items(&mut conn, None).await?;
    drop(conn);
    let mut sampling: BTreeMap<String, Vec<Sampling>> = BTreeMap::new();
    if let Some(d) = &newest {
        let bundle = Bundle::new(s.bundles.join(&d.batch));
        let tasks = tokio::task::spawn_blocking(move || tasks(&bundle))
            .await
            .map_err(|e| anyhow::anyhow!("items task: {e}"))??;
        for Task {
            id: task,
            items,
            quotas,
            from,
            to,
        } in tasks
        {
            for item in items {
                sampling.entry(item).or_default().push(Sampling {
                    task: task.clone(),
                    quotas: ["A", "B", "C", "D"]
                        .into_iter()
                        .zip(quotas.iter().map(|q| quota_words(q)))
                        .collect(),
                    periods: if from == to {
                        format!("第 {from} 期")
                    } else {
                        format!("第 {from}–{to} 期")
                    },
                });
            }
        }
    }
    let items = items
        .into_iter()
        .map(|i| ItemView {
            department: names
                .get(&i.department)
                .cloned()
                .unwrap_or(i.department.clone()),
            key: i.kind.as_str() == "key",
            industries: if i.industries.is_empty() {
                "所有行业".into()
            } else {
                i.industries
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join("、")
            },
            sampling: sampling.remove(&i.code).unwrap_or_default(),
            code: i.code,
            name: i.name,
            legal_basis: i.legal_basis,
        })
        .collect();
    ItemsPage {
        chrome: Chrome::new("items"),
        items,
        from_batch: newest.map(|d| d.batch),
    }
    .render()
    .map_err(|e| PageError::Internal(anyhow::anyhow!("template: {e}")))
}

/// What the page is built from: the count of changes to items and departments
/// (`directory_changes`, kept by triggers in the change's transaction) and the newest `dr1`
/// draw's batch, state and commitment.
type ItemsKey = (i64, Option<(String, String, String)>);

/// The page as last built, with its key: a page of every item and the newest draw's ratios
/// costs two queries, a file and a long template, and changes only with its key.
#[derive(Clone, Default)]
pub struct ItemsCache(Arc<Mutex<Option<(ItemsKey, Bytes)>>>);

/// `GET /items`.
pub async fn page(State(s): State<AppState>) -> PageResult<Response> {
    let changes: i64 = {
        let mut conn = s.db.pool.acquire().await?;
        sqlx::query_scalar("SELECT n FROM directory_changes WHERE id = 1")
            .fetch_one(&mut *conn)
            .await?
    };
    let newest = draws::all(&s)
        .await?
        .into_iter()
        .find(|d| d.method == "dr1" && d.state != "abandoned");
    let key: ItemsKey = (
        changes,
        newest.as_ref().map(|d| {
            (
                d.batch.clone(),
                d.state.clone(),
                d.commitment_sha256.clone(),
            )
        }),
    );
    let kept = s.items_page.0.lock().expect("not poisoned").clone();
    let html = match kept {
        Some((k, html)) if k == key => html,
        _ => {
            let html = Bytes::from(build(&s, newest).await?);
            *s.items_page.0.lock().expect("not poisoned") = Some((key, html.clone()));
            html
        }
    };
    Ok(Html(html).into_response())
}

#[cfg(test)]
mod tests {
    use super::quota_words;

    #[test]
    fn quotas_read_as_fractions_with_percent() {
        assert_eq!(quota_words("1/200"), "1/200（0.5%）");
        assert_eq!(quota_words("21/100"), "21/100（21%）");
        assert_eq!(quota_words("1/3"), "1/3（33.33%）");
        assert_eq!(quota_words("12"), "12 户");
        assert_eq!(quota_words(""), "不抽取");
    }
}
