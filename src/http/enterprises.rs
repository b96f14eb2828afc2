//! Enterprises: the public registration data for anyone; the credit tier, its reason and the
//! full record history for staff and for the enterprise itself.

use super::caller::{Bearer, Caller};
use super::error::{Error, ErrorBody, Result};
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
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Whether the caller may see credit data of this enterprise beyond what is published.
fn privileged(caller: &Caller, uscc: &Uscc) -> bool {
    caller
        .0
        .as_ref()
        .is_some_and(|p: &Principal| p.may_see_enterprise(uscc.as_str()))
}

/// An enterprise as the API shows it: registration data for anyone, the base classification
/// for staff and the enterprise itself.
#[derive(Serialize, ToSchema)]
#[schema(as = Enterprise)]
pub struct EnterpriseView {
    /// 统一社会信用代码 (GB 32100-2015).
    #[schema(pattern = "^[0-9A-HJ-NP-RTUWXY]{18}$")]
    pub uscc: String,
    pub name: String,
    /// 6-digit division code (GB/T 2260).
    #[schema(pattern = "^[0-9]{6}$")]
    pub region: String,
    /// GB/T 4754-2017 code.
    #[schema(pattern = "^[A-T][0-9]{0,4}$")]
    pub industry: String,
    pub registered_on: chrono::NaiveDate,
    pub status: crate::registry::model::EnterpriseStatus,
    /// A–D, staff and the enterprise itself only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[A-D]$", nullable = false)]
    pub base_tier: Option<String>,
    /// 重点监管, staff and the enterprise itself only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub key_supervision: Option<bool>,
    /// 重点监管部门: the departments that keep it under key supervision (method dr3), staff and
    /// the enterprise itself only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub key_departments: Option<Vec<String>>,
}

/// Registration data; classification only when `privileged`.
fn view(e: &Enterprise, privileged: bool) -> EnterpriseView {
    EnterpriseView {
        uscc: e.uscc.as_str().to_string(),
        name: e.name.clone(),
        region: e.region.as_str().to_string(),
        industry: e.industry.as_str().to_string(),
        registered_on: e.registered_on,
        status: e.status,
        base_tier: privileged.then(|| e.base_tier.as_str().to_string()),
        key_supervision: privileged.then_some(e.key_supervision),
        key_departments: privileged.then(|| e.key_departments.clone()),
    }
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

#[utoipa::path(
    get,
    path = "/enterprises",
    tag = "enterprises",
    summary = "List enterprises in code order (keyset paging with `after`)",
    description = "Who may call: anyone (base_tier and key_supervision shown to, and filtered on for, staff only).",
    params(
        ("region" = Option<String>, Query, description = "6-digit division code", pattern = "^[0-9]{6}$"),
        ("industry" = Option<String>, Query, description = "GB/T 4754 code prefix, either case (`C13`)"),
        ("base_tier" = Option<String>, Query, description = "A-D (staff only; ignored for others)"),
        ("key_supervision" = Option<bool>, Query, description = "重点监管 (staff only; ignored for others)"),
        ("status" = Option<String>, Query, description = "operating, revoked or deregistered"),
        ("q" = Option<String>, Query, description = "part of the name (A-Z in either case; `%` and `_` are plain characters)"),
        ("after" = Option<String>, Query, description = "the last code of the previous page"),
        ("limit" = Option<i64>, Query, description = "page size (default 50; values outside 1-1000 are clamped)", minimum = 1, maximum = 1000),
    ),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "a page of enterprises", body = Vec<EnterpriseView>),
        (status = 400, description = "bad_request: a query parameter is not of its type", body = ErrorBody),
        (status = 401, description = "bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
    ),
)]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    Query(mut f): Query<EnterpriseFilter>,
) -> Result<Json<Vec<EnterpriseView>>> {
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct On {
    /// The date asked about, YYYY-MM-DD (default: today in China Standard Time).
    #[param(format = Date)]
    pub(super) on: Option<String>,
}

/// One enterprise: registration, the records in publicity; for staff and the enterprise
/// itself also the tier with its reason and every record.
#[derive(Serialize, ToSchema)]
pub struct EnterpriseDetail {
    pub enterprise: EnterpriseView,
    /// Staff and the enterprise itself only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub credit: Option<TierDecision>,
    pub records: Vec<RecordView>,
}

/// A credit record as the API shows it, with its status on the date asked about.
#[derive(Serialize, ToSchema)]
#[schema(as = CreditRecord)]
pub struct RecordView {
    #[serde(flatten)]
    pub record: CreditRecord,
    /// The status on the date asked about: `expired` once publicity_max_until is reached.
    #[schema(value_type = String, pattern = "^(active|repaired|revoked|expired)$")]
    pub status_on: &'static str,
    /// Whether the record is in publicity on the date asked about.
    pub in_publicity: bool,
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
#[utoipa::path(
    get,
    path = "/enterprises/{uscc}",
    tag = "enterprises",
    summary = "One enterprise: registration, records in publicity; tier and reason for staff and the enterprise itself",
    description = "Who may call: anyone (tier, reason and every record for staff and the enterprise itself).",
    params(("uscc" = String, Path, description = "统一社会信用代码 (18 characters, GB 32100)", pattern = "^[0-9A-HJ-NP-RTUWXY]{18}$"), On),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "the enterprise", body = EnterpriseDetail),
        (status = 401, description = "bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 404, description = "not_found: no enterprise with this code", body = ErrorBody),
        (status = 422, description = "invalid_uscc: the check character is wrong; invalid_date: `on` is not a date", body = ErrorBody),
    ),
)]
pub async fn one(
    State(s): State<AppState>,
    bearer: Bearer,
    path: Result<Path<String>, Error>,
    query: Result<Query<On>, Error>,
) -> Result<Json<EnterpriseDetail>> {
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
    let credit = privileged.then(|| effective_tier(e.base_tier, &records, &s.rules, on));
    let records = records
        .iter()
        .filter(|r| privileged || r.in_publicity(on))
        .map(|r| record_view(r, on))
        .collect();
    Ok(Json(EnterpriseDetail {
        enterprise: view(&e, privileged),
        credit,
        records,
    }))
}

/// A record with its status as seen on `on` (`expired` once past its maximum publicity).
pub fn record_view(r: &CreditRecord, on: NaiveDate) -> RecordView {
    RecordView {
        record: r.clone(),
        status_on: r.status_on(on),
        in_publicity: r.in_publicity(on),
    }
}

/// Anonymous callers are refused by the body guard before the path is read (401 before 422,
/// `docs/api.md`); here the caller is checked first too.
#[utoipa::path(
    get,
    path = "/enterprises/{uscc}/tier",
    tag = "enterprises",
    summary = "Effective credit tier on a date, with the reason",
    description = "Who may call: staff, or the enterprise itself.",
    params(("uscc" = String, Path, description = "统一社会信用代码 (18 characters, GB 32100)", pattern = "^[0-9A-HJ-NP-RTUWXY]{18}$"), On),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the tier and why", body = TierDecision),
        (status = 401, description = "unauthorized: no token; bad_token: the token is unknown, revoked or malformed", body = ErrorBody),
        (status = 403, description = "forbidden: an enterprise asks about another one", body = ErrorBody),
        (status = 404, description = "not_found: no enterprise with this code", body = ErrorBody),
        (status = 422, description = "invalid_uscc: the check character is wrong; invalid_date: `on` is not a date", body = ErrorBody),
    ),
)]
pub async fn tier(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Query(q): Query<On>,
) -> Result<Json<TierDecision>> {
    let p = caller.0.as_ref().ok_or(Error::Unauthorized)?;
    let uscc = parse_uscc(&code)?;
    if !p.may_see_enterprise(uscc.as_str()) {
        return Err(Error::Forbidden(
            "an enterprise may see only its own credit tier".into(),
        ));
    }
    let on = parse_on(q.on.as_deref())?;
    let (e, records) = load(&s, &uscc).await?;
    Ok(Json(effective_tier(e.base_tier, &records, &s.rules, on)))
}
