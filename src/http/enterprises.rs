//! Enterprises: the public registration data for anyone; the credit tier, its reason and the
//! full record history for staff and for the enterprise itself.

use super::caller::{Bearer, Caller};
use super::error::{Error, Result};
use super::extract::{Path, Query};
use super::AppState;
use crate::auth::Principal;
use crate::credit::record::CreditRecord;
use crate::credit::store as credit_store;
use crate::credit::tier::{effective_tier, TierDecision};
use crate::import::source::parse_date;
use crate::registry::model::Enterprise;
use crate::registry::profile::{self, Profile};
use crate::registry::store::{self, EnterpriseFilter};
use axum::extract::State;
use axum::Json;
use chrono::NaiveDate;
use dualdraw_solver::Uscc;
use serde::Deserialize;
use serde_json::{json, Value};

/// Whether the caller may see credit data of this enterprise beyond what is published.
fn privileged(caller: &Caller, uscc: &Uscc) -> bool {
    caller
        .0
        .as_ref()
        .is_some_and(|p: &Principal| p.may_see_enterprise(uscc.as_str()))
}

/// Registration data; classification only when `privileged`.
fn view(e: &Enterprise, privileged: bool) -> Value {
    let mut v = json!({
        "uscc": e.uscc.as_str(),
        "name": e.name,
        "region": e.region,
        "industry": e.industry,
        "registered_on": e.registered_on,
        "status": e.status,
    });
    if privileged {
        v["base_tier"] = json!(e.base_tier.as_str());
        v["key_supervision"] = json!(e.key_supervision);
    }
    v
}

pub fn parse_uscc(s: &str) -> Result<Uscc> {
    Uscc::parse(s).map_err(|e| Error::unprocessable("invalid_uscc", format!("uscc '{s}': {e}")))
}

pub fn parse_on(on: Option<&str>) -> Result<NaiveDate> {
    match on {
        Some(s) => {
            parse_date(s).map_err(|m| Error::unprocessable("invalid_date", format!("on: {m}")))
        }
        None => Ok(crate::clock::today()),
    }
}

pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    Query(mut f): Query<EnterpriseFilter>,
) -> Result<Json<Vec<Value>>> {
    let staff = caller
        .0
        .as_ref()
        .is_some_and(|p| p.role != crate::auth::Role::Enterprise);
    if !staff {
        // Classification is not public: it may not be filtered on either.
        f.base_tier = None;
        f.key_supervision = None;
    }
    let mut conn = s.db.pool.acquire().await?;
    let rows = store::enterprises(&mut conn, &f).await?;
    Ok(Json(rows.iter().map(|e| view(e, staff)).collect()))
}

#[derive(Deserialize)]
pub struct On {
    on: Option<String>,
}

async fn load(s: &AppState, uscc: &Uscc) -> Result<(Enterprise, Vec<CreditRecord>)> {
    let mut conn = s.db.pool.acquire().await?;
    credit_store::enterprise_with_records(&mut conn, uscc)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no enterprise with code {uscc}")))
}

/// The token is looked up in the statement that reads the enterprise; what is wrong is reported
/// in the order other handlers' extractors report it: the token, the path, the query, then the
/// values.
pub async fn one(
    State(s): State<AppState>,
    bearer: Bearer,
    path: Result<Path<String>, Error>,
    query: Result<Query<On>, Error>,
) -> Result<Json<Value>> {
    let asked = path.and_then(|Path(code)| {
        let Query(q) = query?;
        Ok((parse_uscc(&code)?, parse_on(q.on.as_deref())?))
    });
    let (uscc, on) = match asked {
        Ok(asked) => asked,
        Err(e) => {
            bearer.caller(&s).await?;
            return Err(e);
        }
    };
    let token_hash = bearer.0.as_deref().map(crate::auth::hash_token);
    let found = profile::load(&s.db, &uscc, token_hash.as_deref()).await?;
    let caller = bearer.found(found.principal)?;
    let Profile {
        enterprise: e,
        records,
    } = found
        .profile
        .ok_or_else(|| Error::NotFound(format!("no enterprise with code {uscc}")))?;
    let privileged = privileged(&caller, &uscc);
    let mut body = json!({ "enterprise": view(&e, privileged) });
    if privileged {
        let decision = effective_tier(e.base_tier, &records, &s.rules, on);
        body["credit"] = serde_json::to_value(&decision).map_err(anyhow::Error::from)?;
        body["records"] = json!(records
            .iter()
            .map(|r| record_view(r, on))
            .collect::<Vec<_>>());
    } else {
        let published: Vec<Value> = records
            .iter()
            .filter(|r| r.in_publicity(on))
            .map(|r| record_view(r, on))
            .collect();
        body["records"] = json!(published);
    }
    Ok(Json(body))
}

/// A record with its status as seen on `on` (`expired` once past its maximum publicity).
pub fn record_view(r: &CreditRecord, on: NaiveDate) -> Value {
    let mut v = serde_json::to_value(r).expect("plain data");
    v["status_on"] = json!(r.status_on(on));
    v["in_publicity"] = json!(r.in_publicity(on));
    v
}

pub async fn tier(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Query(q): Query<On>,
) -> Result<Json<TierDecision>> {
    let uscc = parse_uscc(&code)?;
    let p = caller.0.as_ref().ok_or(Error::Unauthorized)?;
    if !p.may_see_enterprise(uscc.as_str()) {
        return Err(Error::Forbidden(
            "an enterprise may see only its own credit tier".into(),
        ));
    }
    let on = parse_on(q.on.as_deref())?;
    let (e, records) = load(&s, &uscc).await?;
    Ok(Json(effective_tier(e.base_tier, &records, &s.rules, on)))
}
