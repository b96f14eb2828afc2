//! Inspection codes (亮码检查, 扫码入企; `docs/results.md` §12). The head of the enforcement
//! body approves a job; the approved job gets a short random code, and anyone who scans it gets
//! a C2SP signed note — the **code statement** — naming the plan, the visit, the enterprise, the
//! period and the inspectors, signed with the service's code key (published at
//! `/public/codes/key`). A code that is not in the database, or a statement whose signature does
//! not verify with that key, is visibly not a visit of the plan.

use super::code_key::CodeKey;
use super::jobs::{self, Act, Job};
use super::{day, InspectionError};
use crate::auth::{Principal, Role};
use crate::db::Db;
use dualdraw_solver::tlog::note::{self, PrivateKey};
use rand::Rng;
use sqlx::AnyConnection;

/// The code's alphabet: digits and capital letters without 0, 1, I, L, O (read aloud or typed
/// from a printed card without confusion).
pub const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// Characters of a code: 31^12 ≈ 2^59 codes, so a guessed code hits a real one with odds of
/// about one in 10^13 per thousand issued codes.
pub const LENGTH: usize = 12;
/// The first line of every code statement; a change of the statement's bytes is a new line.
pub const HEADER: &str = "dualdraw/inspection-code/v2";

/// A new random code.
pub fn new_code() -> String {
    let mut rng = rand::rngs::OsRng;
    (0..LENGTH)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A code as typed or scanned, normalised (upper case, no spaces or dashes); `None` if it cannot
/// be a code.
pub fn normalise(code: &str) -> Option<String> {
    let c: String = code
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (c.len() == LENGTH && c.bytes().all(|b| ALPHABET.contains(&b))).then_some(c)
}

fn corrupt(e: impl std::fmt::Display) -> InspectionError {
    InspectionError::Key(format!("code key: {e}"))
}

/// Approves a job (批准): the head of the job's enforcement body — its department's officer —
/// or an admin. The job must be open (`planned` or `notified`) and not yet approved; it gets
/// its code and version 1 of its signed statement in the same transaction, with the audit entry
/// `inspection.approve`. The code key is created (as a file) by the first approval.
pub async fn approve(
    db: &Db,
    keys: &CodeKey,
    p: &Principal,
    id: i64,
    act: &Act,
) -> Result<Job, InspectionError> {
    // Before the transaction: on SQLite a second connection would wait for its write lock.
    let key = keys.get_or_create(db).await?;
    let mut tx = db.begin().await?;
    let job = jobs::get_to_change(&mut tx, id).await?;
    let head = match p.role {
        Role::Admin => true,
        Role::Department => p.scope.as_deref() == Some(job.department.as_str()),
        _ => false,
    };
    if !head {
        return Err(InspectionError::forbidden(
            "not_approver",
            format!(
                "job {id} is approved by the head of department {} (its department officer) or an admin, not by role {}",
                job.department, p.role
            ),
        ));
    }
    if let Some(by) = &job.approved_by {
        return Err(InspectionError::conflict(
            "already_approved",
            format!(
                "job {id} was approved by {by} on {}",
                job.approved_on.as_deref().unwrap_or("")
            ),
        ));
    }
    if !job.state().is_open() {
        return Err(InspectionError::conflict(
            "wrong_state",
            format!(
                "job {id} is {}; only a planned or notified job can be approved",
                job.state
            ),
        ));
    }
    let (_, to) = job.period()?;
    if act.on > to {
        return Err(InspectionError::invalid(
            "outside_period",
            format!(
                "approval date {}: the job's period ended on {}",
                act.on, job.period_to
            ),
        ));
    }
    let code = new_code();
    let on = day(act.on);
    // Conditional on no approval yet: of two approvals at once, the first wins.
    let done = sqlx::query(
        "UPDATE inspection_jobs SET approved_by = $1, approved_on = $2, code = $3, updated_at = $4 WHERE id = $5 AND approved_by IS NULL",
    )
    .bind(p.actor())
    .bind(&on)
    .bind(&code)
    .bind(&act.at)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if done == 0 {
        return Err(InspectionError::conflict(
            "already_approved",
            format!("job {id} was approved while this approval ran"),
        ));
    }
    let detail = serde_json::json!({ "approved_on": on, "code": code, "batch": job.batch, "visit": job.visit, "department": job.department });
    crate::audit::append(
        &mut tx,
        &act.actor,
        "inspection.approve",
        &id.to_string(),
        &detail,
        &act.at,
    )
    .await?;
    let job = jobs::get_to_change(&mut tx, id).await?;
    sign_version(&mut tx, &key, &job, &on, &act.at).await?;
    tx.commit().await?;
    Ok(job)
}

/// One signed version of a code's statement (`docs/results.md` §12.3).
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow)]
pub struct Signed {
    pub version: i64,
    /// The signed note: text, blank line, signature line.
    pub note: String,
    pub signed_at: String,
    /// The day a later version replaced it (a replacement of a team member); `None` for the
    /// current one.
    pub superseded_on: Option<String>,
}

/// Signs the statement of approved job `job` as it is now (its active team) as the next
/// version, marking the current one superseded on `on`; inside the caller's transaction.
pub async fn sign_version(
    conn: &mut AnyConnection,
    key: &PrivateKey,
    job: &Job,
    on: &str,
    at: &str,
) -> Result<i64, InspectionError> {
    let Some(f) = facts(&mut *conn, job).await? else {
        return Err(InspectionError::conflict(
            "wrong_state",
            format!("job {} has no code: it was not approved", job.id),
        ));
    };
    let last: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM code_statements WHERE job_id = $1")
            .bind(job.id)
            .fetch_one(&mut *conn)
            .await?;
    let version = last.unwrap_or(0) + 1;
    let text = statement_text(&f, version);
    let sig = note::sign(&text, key).map_err(corrupt)?;
    sqlx::query(
        "UPDATE code_statements SET superseded_on = $1 WHERE job_id = $2 AND superseded_on IS NULL",
    )
    .bind(on)
    .bind(job.id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO code_statements (job_id, version, note, signed_at, superseded_on) VALUES ($1, $2, $3, $4, NULL)",
    )
    .bind(job.id)
    .bind(version)
    .bind(format!("{text}\n{}", sig.line()))
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(version)
}

/// Every signed version of a job's statement, oldest first.
pub async fn versions(conn: &mut AnyConnection, job_id: i64) -> Result<Vec<Signed>, sqlx::Error> {
    sqlx::query_as::<_, Signed>(
        "SELECT version, note, signed_at, superseded_on FROM code_statements WHERE job_id = $1 ORDER BY version",
    )
    .bind(job_id)
    .fetch_all(conn)
    .await
}

/// The QR image (SVG) of `url`: error correction level M, a quiet zone of four modules.
pub fn qr_svg(url: &str) -> Result<String, qrcode::types::QrError> {
    let qr = qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M)?;
    Ok(qr
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(240, 240)
        .build())
}

/// The job of a code; `None` for a code nobody was given.
pub async fn job_of(conn: &mut AnyConnection, code: &str) -> Result<Option<Job>, sqlx::Error> {
    sqlx::query_as::<_, Job>(&format!(
        "SELECT {} FROM inspection_jobs WHERE code = $1",
        jobs::JOB_COLUMNS
    ))
    .bind(code)
    .fetch_optional(conn)
    .await
}

/// An inspector as the statement names it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Inspector {
    pub id: String,
    pub certificate_no: String,
    pub name: String,
}

/// What a code stands for: the statement's fields.
#[derive(Clone, Debug)]
pub struct Facts {
    pub code: String,
    pub jurisdiction: String,
    pub batch: String,
    pub commitment_sha256: String,
    pub draw_state: String,
    pub visit: String,
    pub uscc: String,
    pub enterprise: String,
    pub department: String,
    pub period_from: String,
    pub period_to: String,
    pub approved_on: String,
    pub inspectors: Vec<Inspector>,
}

impl Facts {
    /// Whether the draw's seed is public, so the visit's place in the bundle can be shown.
    pub fn revealed(&self) -> bool {
        self.draw_state == "revealed"
    }
}

/// The facts of an approved job's code, read now: the active members of its team (after a
/// recorded replacement, the replacement), in inspector id order.
pub async fn facts(conn: &mut AnyConnection, job: &Job) -> Result<Option<Facts>, sqlx::Error> {
    let (Some(code), Some(approved_on)) = (&job.code, &job.approved_on) else {
        return Ok(None);
    };
    let (commitment_sha256, draw_state): (String, String) =
        sqlx::query_as("SELECT commitment_sha256, state FROM draws WHERE batch = $1")
            .bind(&job.batch)
            .fetch_optional(&mut *conn)
            .await?
            .unwrap_or_default();
    let enterprise: String = sqlx::query_scalar("SELECT name FROM enterprises WHERE uscc = $1")
        .bind(&job.uscc)
        .fetch_optional(&mut *conn)
        .await?
        .unwrap_or_default();
    let inspectors = sqlx::query_as::<_, Inspector>(
        "SELECT i.id, i.certificate_no, i.name FROM job_members m JOIN inspectors i ON i.id = m.inspector WHERE m.job_id = $1 AND m.active = 1 ORDER BY i.id",
    )
    .bind(job.id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Some(Facts {
        code: code.clone(),
        jurisdiction: crate::log::events::jurisdiction(),
        batch: job.batch.clone(),
        commitment_sha256,
        draw_state,
        visit: job.visit.clone(),
        uscc: job.uscc.clone(),
        enterprise,
        department: job.department.clone(),
        period_from: job.period_from.clone(),
        period_to: job.period_to.clone(),
        approved_on: approved_on.clone(),
        inspectors,
    }))
}

/// A field before the last of a line: no space, no control character.
fn word(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_whitespace() || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect()
}

/// The last field of a line: no control character (a line break would forge a line).
fn rest(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The statement's text (`docs/results.md` §12.3): the bytes the signature covers.
pub fn statement_text(f: &Facts, version: i64) -> String {
    let mut t = format!(
        "{HEADER}\ncode {}\nversion {version}\njurisdiction {}\nbatch {}\ncommitment-sha256 {}\nvisit {}\nuscc {}\nenterprise {}\ndepartment {}\nperiod {} {}\napproved {}\n",
        word(&f.code),
        rest(&f.jurisdiction),
        word(&f.batch),
        word(&f.commitment_sha256),
        word(&f.visit),
        word(&f.uscc),
        rest(&f.enterprise),
        word(&f.department),
        word(&f.period_from),
        word(&f.period_to),
        word(&f.approved_on),
    );
    for i in &f.inspectors {
        t.push_str(&format!(
            "inspector {} {} {}\n",
            word(&i.id),
            word(&i.certificate_no),
            rest(&i.name)
        ));
    }
    t
}

/// The versions of an approved job's statement; a job approved before statements were kept
/// (migration 0011) gets its version 1 now, signed with the team as it is.
pub async fn statements(
    db: &Db,
    keys: &CodeKey,
    job: &Job,
) -> Result<Vec<Signed>, InspectionError> {
    let mut conn = db.pool.acquire().await?;
    let kept = versions(&mut conn, job.id).await?;
    drop(conn);
    if !kept.is_empty() || job.code.is_none() {
        return Ok(kept);
    }
    let Some(key) = keys.get(db).await? else {
        return Ok(kept);
    };
    let mut tx = db.begin().await?;
    if versions(&mut tx, job.id).await?.is_empty() {
        let on = job.approved_on.clone().unwrap_or_default();
        sign_version(&mut tx, &key, job, &on, &crate::clock::now()).await?;
    }
    let kept = versions(&mut tx, job.id).await?;
    tx.commit().await?;
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_use_the_alphabet_and_normalise() {
        let c = new_code();
        assert_eq!(c.len(), LENGTH);
        assert_eq!(normalise(&c).as_deref(), Some(c.as_str()));
        let spaced = format!("{}-{} ", &c[..6], &c[6..]).to_lowercase();
        assert_eq!(normalise(&spaced).as_deref(), Some(c.as_str()));
        assert_eq!(normalise("O0I1L0O0I1L0"), None);
        assert_eq!(normalise("ABC"), None);
    }

    #[test]
    fn a_name_with_a_line_break_cannot_forge_a_line() {
        let f = Facts {
            code: "ABCDEFGHJKMN".into(),
            jurisdiction: "j".into(),
            batch: "b 1".into(),
            commitment_sha256: "00".into(),
            draw_state: "run".into(),
            visit: "v1".into(),
            uscc: "u".into(),
            enterprise: "某公司\ninspector X Y Z".into(),
            department: "d".into(),
            period_from: "2026-01-01".into(),
            period_to: "2026-03-31".into(),
            approved_on: "2026-01-02".into(),
            inspectors: vec![],
        };
        let t = statement_text(&f, 1);
        assert!(!t.contains("\ninspector "), "{t}");
        assert!(t.contains("batch b_1\n"));
        assert!(note::check_text(&t).is_ok());
    }
}
