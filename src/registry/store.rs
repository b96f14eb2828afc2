//! Reading the directories: one enterprise, filtered and paged lists. Rows become domain
//! values through `TryFrom`, so a corrupted row is an error, never a panic.

use super::model::{
    Conflict, Department, Enterprise, EnterpriseStatus, IndustryCode, Inspector, Item, ItemKind,
    RegionCode,
};
use crate::db::{Backend, Native, Sql};
use crate::import::source::split_list;
use chrono::NaiveDate;
use dualdraw_solver::{Tier, Uscc};
use sqlx::{AnyConnection, FromRow};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

/// A stored row that does not parse back into its domain type.
fn corrupt(table: &str, what: String) -> sqlx::Error {
    sqlx::Error::Decode(format!("corrupt {table} row: {what}").into())
}

fn date(table: &str, s: &str) -> Result<NaiveDate, sqlx::Error> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| corrupt(table, format!("bad date '{s}'")))
}

/// An `enterprises` row as stored.
#[derive(FromRow)]
pub(crate) struct EnterpriseRow {
    pub uscc: String,
    pub name: String,
    pub region: String,
    pub industry: String,
    pub registered_on: String,
    pub status: String,
    pub base_tier: String,
    pub key_supervision: i64,
    pub key_departments: String,
}

impl TryFrom<EnterpriseRow> for Enterprise {
    type Error = sqlx::Error;
    fn try_from(r: EnterpriseRow) -> Result<Self, Self::Error> {
        let bad = |e: String| corrupt("enterprises", e);
        Ok(Enterprise {
            uscc: Uscc::parse(&r.uscc).map_err(|e| bad(e.to_string()))?,
            name: r.name,
            region: RegionCode::parse(&r.region).map_err(bad)?,
            industry: IndustryCode::parse(&r.industry).map_err(bad)?,
            registered_on: date("enterprises", &r.registered_on)?,
            status: EnterpriseStatus::parse(&r.status).map_err(bad)?,
            base_tier: Tier::parse(&r.base_tier).map_err(|e| bad(e.to_string()))?,
            key_supervision: r.key_supervision != 0,
            key_departments: crate::draw::prepare::split_departments(&r.key_departments),
        })
    }
}

pub(crate) const ENTERPRISE_COLUMNS: &str =
    "uscc, name, region, industry, registered_on, status, base_tier, key_supervision, key_departments";

/// One enterprise by code.
pub async fn enterprise(
    conn: &mut AnyConnection,
    uscc: &Uscc,
) -> Result<Option<Enterprise>, sqlx::Error> {
    let row = sqlx::query_as::<_, EnterpriseRow>(&format!(
        "SELECT {ENTERPRISE_COLUMNS} FROM enterprises WHERE uscc = $1"
    ))
    .bind(uscc.as_str())
    .fetch_optional(conn)
    .await?;
    row.map(Enterprise::try_from).transpose()
}

/// Filters of the enterprise list; all optional.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct EnterpriseFilter {
    pub region: Option<String>,
    /// An industry code prefix (`C13` matches `C1351`).
    pub industry: Option<String>,
    pub base_tier: Option<String>,
    pub status: Option<String>,
    pub key_supervision: Option<bool>,
    /// Part of the name.
    pub q: Option<String>,
    /// Return codes greater than this one (keyset paging).
    pub after: Option<String>,
    pub limit: Option<i64>,
}

/// Characters a name part needs for the trigram index (`docs/portal.md`, "Name search").
pub const NAME_SEARCH_MIN: usize = 3;

/// How many enterprises, in code order, SQLite reads first for a part of a name before it asks
/// the trigram index (`docs/portal.md`, "Name search").
const READ_FIRST: i64 = 4096;

/// How long the portal's name search keeps the code it reads the first names up to.
const BOUND_KEPT: std::time::Duration = std::time::Duration::from_secs(10);

/// The code of the [`READ_FIRST`]-th enterprise as the portal's name search last read it, and
/// when (`None` before the first search, or with fewer enterprises). Reading it is a walk over
/// READ_FIRST entries of the code index, which took more of a search than the search itself;
/// and any code serves as the bound: a page filled among the names of the codes up to it is
/// the first page whatever the bound, so one a few seconds old changes no answer, only how
/// many names are compared before the index is asked (`docs/portal.md`, "Name search").
#[derive(Clone, Default)]
pub struct NameBound(Arc<Mutex<Option<ReadBound>>>);

/// When the bound was read, and the code read (`None`: fewer enterprises than READ_FIRST).
type ReadBound = (Instant, Option<String>);

impl NameBound {
    async fn get(&self, native: &Native) -> Result<Option<String>, sqlx::Error> {
        if let Some((at, bound)) = &*self.0.lock().unwrap_or_else(PoisonError::into_inner) {
            if at.elapsed() < BOUND_KEPT {
                return Ok(bound.clone());
            }
        }
        let sql = format!(
            "SELECT uscc FROM enterprises ORDER BY uscc LIMIT 1 OFFSET {}",
            READ_FIRST - 1
        );
        let bound = native
            .fetch_all::<(String,)>(&sql, &[])
            .await?
            .pop()
            .map(|(u,)| u);
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) =
            Some((Instant::now(), bound.clone()));
        Ok(bound)
    }
}

/// How a search reads the enterprises.
#[derive(Clone, PartialEq)]
enum Plan {
    /// In code order, comparing every name: all of them, or those up to a code.
    InCodeOrder(Option<String>),
    /// The names SQLite's trigram index finds, each compared, ordered by code.
    ByNameIndex,
}

/// A page of enterprises in code order.
///
/// `q`, a part of the name, matches as `LIKE '%q%'` (case ignored for A–Z only, `%` and `_`
/// literal) on both databases. From [`NAME_SEARCH_MIN`] characters on, a trigram index narrows
/// the names read: on SQLite, when the first [`READ_FIRST`] enterprises in code order do not
/// fill the page (a common part of a name fills it there, cheaper than any index), the FTS5
/// table `enterprise_names`; on PostgreSQL the `pg_trgm` index when the planner chooses it.
/// Every name an index finds is still compared with the pattern, so it never changes the answer.
pub async fn enterprises(
    conn: &mut AnyConnection,
    f: &EnterpriseFilter,
) -> Result<Vec<Enterprise>, sqlx::Error> {
    let indexed = Backend::of(conn) == Backend::Sqlite
        && f.q
            .as_ref()
            .is_some_and(|v| v.chars().count() >= NAME_SEARCH_MIN);
    if !indexed {
        return read(conn, f, Plan::InCodeOrder(None)).await;
    }
    // The code of the READ_FIRST-th enterprise (read from the code index alone).
    let mut q = Sql::new("SELECT enterprises.uscc FROM enterprises WHERE 1 = 1");
    filters(&mut q, f);
    q.push(" ORDER BY enterprises.uscc LIMIT 1 OFFSET ")
        .bind_int(READ_FIRST - 1);
    let bound: Option<(String,)> = q.query_as().fetch_optional(&mut *conn).await?;
    let Some((bound,)) = bound else {
        // Fewer enterprises than that: read them all.
        return read(conn, f, Plan::InCodeOrder(None)).await;
    };
    let first = read(conn, f, Plan::InCodeOrder(Some(bound))).await?;
    if first.len() as i64 == limit_of(f) {
        // The page is full among the first codes: no later code can come before these.
        return Ok(first);
    }
    read(conn, f, Plan::ByNameIndex).await
}

/// One enterprise found by a part of its name, as the portal lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameHit {
    pub uscc: String,
    pub name: String,
    pub region: String,
    pub status: String,
}

/// The portal's name search: the same answer as [`enterprises`] with only `q` and `limit`, by
/// the same plans, reading four columns on a
/// native connection (`docs/portal.md`, "Name search").
pub async fn names(
    native: &Native,
    bound: &NameBound,
    q: &str,
    limit: i64,
) -> Result<Vec<NameHit>, sqlx::Error> {
    let limit = limit.clamp(1, 1000);
    let pattern = format!("%{}%", like_literal(&q.to_ascii_lowercase()));
    let columns = "uscc, name, region, status";
    if native.backend() == Backend::Postgres {
        let sql = format!(
            "SELECT {columns} FROM enterprises \
             WHERE LOWER(name COLLATE \"C\") LIKE $1 ESCAPE '!' ORDER BY uscc LIMIT {limit}"
        );
        return hits(native, &sql, &[&pattern]).await;
    }
    // On SQLite the pattern is `'' || $1`, not `$1`: a LIKE whose pattern is a bare parameter
    // makes SQLite prepare the statement again at every binding (its LIKE optimization depends
    // on the value), which took an eighth of a search's CPU; a leading `%` never uses the
    // optimization anyway.
    if q.chars().count() < NAME_SEARCH_MIN {
        // Too short for the trigram index: every name is read.
        let sql = format!(
            "SELECT {columns} FROM enterprises \
             WHERE name LIKE '' || $1 ESCAPE '!' ORDER BY uscc LIMIT {limit}"
        );
        return hits(native, &sql, &[&pattern]).await;
    }
    // The first READ_FIRST codes (about: the bound is kept a while), names compared; with
    // fewer enterprises than that there is no bound and the index below finds all.
    if let Some(bound) = bound.get(native).await? {
        let first_codes = format!(
            "SELECT {columns} FROM enterprises \
             WHERE uscc <= $2 AND name LIKE '' || $1 ESCAPE '!' ORDER BY uscc LIMIT {limit}"
        );
        let first = hits(native, &first_codes, &[&pattern, &bound]).await?;
        if first.len() as i64 == limit {
            return Ok(first);
        }
    }
    let by_index = format!(
        "SELECT enterprises.uscc AS uscc, enterprises.name AS name, \
         enterprises.region AS region, enterprises.status AS status \
         FROM enterprise_names CROSS JOIN enterprises ON enterprises.rowid = enterprise_names.rowid \
         WHERE enterprise_names MATCH $1 AND enterprises.name LIKE '' || $2 ESCAPE '!' \
         ORDER BY enterprises.uscc LIMIT {limit}"
    );
    hits(native, &by_index, &[&fts_phrase(q), &pattern]).await
}

/// The hits of `select` (columns uscc, name, region, status), read as one JSON value
/// ([`Native::fetch_json_rows`]) and ordered by code here, whatever order the aggregate kept.
async fn hits(native: &Native, select: &str, params: &[&str]) -> Result<Vec<NameHit>, sqlx::Error> {
    let from = format!("({select}) AS hits");
    let found: Vec<(String, String, String, String)> = native
        .fetch_json_rows(
            "uscc, name, region, status",
            &from,
            params,
            "name search answer",
        )
        .await?;
    let mut hits: Vec<NameHit> = found
        .into_iter()
        .map(|(uscc, name, region, status)| NameHit {
            uscc,
            name,
            region,
            status,
        })
        .collect();
    hits.sort_by(|a, b| a.uscc.cmp(&b.uscc));
    Ok(hits)
}

fn limit_of(f: &EnterpriseFilter) -> i64 {
    f.limit.unwrap_or(50).clamp(1, 1000)
}

/// The filters other than the name, and `after`.
fn filters(q: &mut Sql, f: &EnterpriseFilter) {
    if let Some(v) = &f.region {
        q.push(" AND region = ").bind_text(v.clone());
    }
    if let Some(v) = &f.industry {
        q.push(" AND industry LIKE ")
            .bind_text(format!("{}%", like_literal(&v.to_ascii_uppercase())))
            .push(" ESCAPE '!'");
    }
    if let Some(v) = &f.base_tier {
        q.push(" AND base_tier = ").bind_text(v.clone());
    }
    if let Some(v) = &f.status {
        q.push(" AND status = ").bind_text(v.clone());
    }
    if let Some(v) = f.key_supervision {
        q.push(" AND key_supervision = ").bind_int(v as i64);
    }
    if let Some(v) = &f.after {
        q.push(" AND enterprises.uscc > ").bind_text(v.clone());
    }
}

/// One search by one plan.
async fn read(
    conn: &mut AnyConnection,
    f: &EnterpriseFilter,
    plan: Plan,
) -> Result<Vec<Enterprise>, sqlx::Error> {
    let backend = Backend::of(conn);
    let columns = ENTERPRISE_COLUMNS
        .split(", ")
        .map(|c| format!("enterprises.{c} AS {c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut q = match plan {
        // CROSS JOIN: SQLite reads the index's hits first, then each one's row.
        Plan::ByNameIndex => {
            let mut q = Sql::new(format!(
                "SELECT {columns} FROM enterprise_names CROSS JOIN enterprises \
                 ON enterprises.rowid = enterprise_names.rowid WHERE enterprise_names MATCH "
            ));
            q.bind_text(fts_phrase(f.q.as_deref().unwrap_or("")));
            q
        }
        Plan::InCodeOrder(_) => Sql::new(format!("SELECT {columns} FROM enterprises WHERE 1 = 1")),
    };
    filters(&mut q, f);
    if let Plan::InCodeOrder(Some(bound)) = &plan {
        q.push(" AND enterprises.uscc <= ").bind_text(bound.clone());
    }
    if let Some(v) = &f.q {
        // SQLite's LIKE ignores the case of A–Z and only of A–Z; PostgreSQL's ignores none, and
        // its LOWER follows the database's locale unless told to use "C" (A–Z only). The
        // PostgreSQL expression is the one its trigram index is built on
        // (migrations/postgres/0009_portal_lookups.sql).
        let name = if backend == Backend::Postgres {
            "LOWER(enterprises.name COLLATE \"C\")"
        } else {
            "enterprises.name"
        };
        q.push(" AND ")
            .push(name)
            .push(" LIKE ")
            .bind_text(format!("%{}%", like_literal(&v.to_ascii_lowercase())))
            .push(" ESCAPE '!'");
    }
    q.push(" ORDER BY enterprises.uscc LIMIT ")
        .bind_int(limit_of(f));
    let rows = q.query_as::<EnterpriseRow>().fetch_all(conn).await?;
    rows.into_iter().map(Enterprise::try_from).collect()
}

/// `text` as one FTS5 phrase: in double quotes, a double quote doubled. With the trigram
/// tokenizer the phrase matches every name that has `text` in it, case folded (a superset of
/// what `LIKE` matches, which the search then applies).
fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// `text` as a LIKE pattern that matches only itself (with `ESCAPE '!'`; a backslash would
/// depend on PostgreSQL's `standard_conforming_strings`).
fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '!' | '%' | '_') {
            out.push('!');
        }
        out.push(c);
    }
    out
}

/// The number of enterprises.
pub async fn count_enterprises(conn: &mut AnyConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM enterprises")
        .fetch_one(conn)
        .await
}

pub async fn departments(conn: &mut AnyConnection) -> Result<Vec<Department>, sqlx::Error> {
    let rows =
        sqlx::query_as::<_, (String, String)>("SELECT code, name FROM departments ORDER BY code")
            .fetch_all(conn)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(code, name)| Department { code, name })
        .collect())
}

#[derive(FromRow)]
struct ItemRow {
    code: String,
    department: String,
    name: String,
    kind: String,
    legal_basis: String,
    industries: String,
    specialty: String,
}

impl TryFrom<ItemRow> for Item {
    type Error = sqlx::Error;
    fn try_from(r: ItemRow) -> Result<Self, Self::Error> {
        let bad = |e: String| corrupt("items", e);
        Ok(Item {
            kind: ItemKind::parse(&r.kind).map_err(bad)?,
            industries: split_list(&r.industries)
                .iter()
                .map(|c| IndustryCode::parse(c))
                .collect::<Result<_, _>>()
                .map_err(bad)?,
            code: r.code,
            department: r.department,
            name: r.name,
            legal_basis: r.legal_basis,
            specialty: r.specialty,
        })
    }
}

/// Items, optionally of one department.
pub async fn items(
    conn: &mut AnyConnection,
    department: Option<&str>,
) -> Result<Vec<Item>, sqlx::Error> {
    let rows = sqlx::query_as::<_, ItemRow>(
        "SELECT code, department, name, kind, legal_basis, industries, specialty FROM items \
         WHERE ($1 IS NULL OR department = $1) ORDER BY code",
    )
    .bind(department.map(String::from))
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(Item::try_from).collect()
}

#[derive(FromRow)]
struct InspectorRow {
    id: String,
    name: String,
    department: String,
    region: String,
    certificate_no: String,
    certificate_valid_from: String,
    certificate_valid_until: String,
    specialties: String,
    capacity: i64,
}

impl TryFrom<InspectorRow> for Inspector {
    type Error = sqlx::Error;
    fn try_from(r: InspectorRow) -> Result<Self, Self::Error> {
        Ok(Inspector {
            region: RegionCode::parse(&r.region).map_err(|e| corrupt("inspectors", e))?,
            certificate_valid_from: date("inspectors", &r.certificate_valid_from)?,
            certificate_valid_until: date("inspectors", &r.certificate_valid_until)?,
            specialties: split_list(&r.specialties),
            capacity: u32::try_from(r.capacity)
                .map_err(|e| corrupt("inspectors", e.to_string()))?,
            id: r.id,
            name: r.name,
            department: r.department,
            certificate_no: r.certificate_no,
        })
    }
}

/// Inspectors, optionally of one department.
pub async fn inspectors(
    conn: &mut AnyConnection,
    department: Option<&str>,
) -> Result<Vec<Inspector>, sqlx::Error> {
    let rows = sqlx::query_as::<_, InspectorRow>(
        "SELECT id, name, department, region, certificate_no, certificate_valid_from, \
         certificate_valid_until, specialties, capacity FROM inspectors \
         WHERE ($1 IS NULL OR department = $1) ORDER BY id",
    )
    .bind(department.map(String::from))
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(Inspector::try_from).collect()
}

/// One inspector by id.
pub async fn inspector(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<Inspector>, sqlx::Error> {
    let row = sqlx::query_as::<_, InspectorRow>(
        "SELECT id, name, department, region, certificate_no, certificate_valid_from, \
         certificate_valid_until, specialties, capacity FROM inspectors WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(Inspector::try_from).transpose()
}

/// Conflicts, optionally of one department's inspectors or of one inspector.
pub async fn conflicts(
    conn: &mut AnyConnection,
    department: Option<&str>,
    inspector: Option<&str>,
) -> Result<Vec<Conflict>, sqlx::Error> {
    let rows = sqlx::query_as::<_, (String, String, String, String)>(
        "SELECT c.inspector, c.uscc, c.reason, c.declared_on FROM conflicts c \
         JOIN inspectors i ON i.id = c.inspector \
         WHERE ($1 IS NULL OR i.department = $1) AND ($2 IS NULL OR c.inspector = $2) \
         ORDER BY c.inspector, c.uscc",
    )
    .bind(department.map(String::from))
    .bind(inspector.map(String::from))
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(inspector, uscc, reason, declared_on)| {
            Ok(Conflict {
                uscc: Uscc::parse(&uscc).map_err(|e| corrupt("conflicts", e.to_string()))?,
                declared_on: date("conflicts", &declared_on)?,
                inspector,
                reason,
            })
        })
        .collect()
}

/// Declares a conflict (an inspector steps aside, or an enterprise asks for it).
pub async fn insert_conflict(conn: &mut AnyConnection, c: &Conflict) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO conflicts (inspector, uscc, reason, declared_on) VALUES ($1, $2, $3, $4)",
    )
    .bind(&c.inspector)
    .bind(c.uscc.as_str())
    .bind(&c.reason)
    .bind(c.declared_on.format("%Y-%m-%d").to_string())
    .execute(conn)
    .await?;
    Ok(())
}
