//! Replacement inspectors (`docs/results.md` §1.2): when a member of a job's team cannot
//! serve, the replacement is not chosen by anyone — it is the first inspector, in the order of
//! the plan's own seeded priority ρ(visit, department, inspector) and then id, among those that
//! pass the plan's team tests for this visit and were never on this job's team, and that keep
//! the team's required specialties covered. Any other change of a team is refused.

use super::code_key::CodeKey;
use super::jobs::{self, Act, Member};
use super::plan::rows;
use super::{day, InspectionError};
use crate::auth::Principal;
use crate::db::Db;
use crate::draw::bundle::{Bundle, BundleError};
use dualdraw_solver::{teams, Method};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// One inspector of `inputs/inspectors.csv`.
struct Candidate {
    id: String,
    region: String,
    valid_from: String,
    valid_until: String,
    specialties: BTreeSet<String>,
}

/// What the rule reads from the bundle, for one job.
struct Frame {
    method: String,
    seed: [u8; 32],
    inspectors: Vec<Candidate>,
    conflicts: BTreeSet<(String, String)>,
    /// Inspectors of the last team of (enterprise, department) in `inputs/history.csv`.
    last_team: BTreeSet<String>,
    /// Specialties the job's items require.
    required: BTreeSet<String>,
}

fn list(s: &str) -> BTreeSet<String> {
    s.split(';')
        .filter(|p| !p.is_empty())
        .map(String::from)
        .collect()
}

/// The seed of the draw: the revealed one, or before the reveal the one derived from the kept
/// secret (which only the operator holds).
pub(super) fn seed(bundle: &Bundle) -> Result<[u8; 32], BundleError> {
    let bad = |m: String| BundleError::Invalid(m);
    let manifest = bundle.read_json("manifest.json")?;
    if let Some(hex_seed) = manifest["seed"].as_str() {
        let bytes = hex::decode(hex_seed).map_err(|e| bad(format!("manifest seed: {e}")))?;
        return bytes
            .try_into()
            .map_err(|_| bad("manifest seed: not 32 bytes".into()));
    }
    let commitment = bundle.read_json("commitment.json")?;
    let secret = crate::draw::run::read_secret(&bundle.secret_path())
        .map_err(|e| bad(format!("the kept secret: {e}")))?;
    let entropy = bundle.read_json("entropy.json")?;
    let digest = crate::draw::annual::seed_commitment(bundle, &commitment)
        .map_err(|e| bad(e.to_string()))?;
    Ok(dualdraw_solver::seed::seed(
        &digest,
        entropy["string"].as_str().unwrap_or(""),
        &secret,
    ))
}

fn frame(bundle: &Bundle, job: &jobs::Job) -> Result<Frame, BundleError> {
    let method = bundle.read_json("commitment.json")?["method"]
        .as_str()
        .unwrap_or("dr1")
        .to_string();
    let inspectors = rows(bundle, "inputs/inspectors.csv")?
        .into_iter()
        .filter(|r| r.get("department") == Some(&job.department))
        .map(|r| Candidate {
            id: r["id"].clone(),
            region: r["region"].clone(),
            valid_from: r["valid_from"].clone(),
            valid_until: r["valid_until"].clone(),
            specialties: list(&r["specialties"]),
        })
        .collect();
    let conflicts = rows(bundle, "inputs/conflicts.csv")?
        .into_iter()
        .map(|r| (r["inspector"].clone(), r["uscc"].clone()))
        .collect();
    let past: Vec<_> = rows(bundle, "inputs/history.csv")?
        .into_iter()
        .filter(|r| r["uscc"] == job.uscc && r["department"] == job.department)
        .collect();
    let latest = past.iter().map(|r| r["visited_on"].clone()).max();
    let last_team = past
        .iter()
        .filter(|r| Some(&r["visited_on"]) == latest.as_ref())
        .map(|r| r["inspector"].clone())
        .collect();
    let items = job.items();
    let required = rows(bundle, "inputs/items.csv")?
        .into_iter()
        .filter(|r| items.contains(&r["code"]) && !r["specialty"].is_empty())
        .map(|r| r["specialty"].clone())
        .collect();
    Ok(Frame {
        method,
        seed: seed(bundle)?,
        inspectors,
        conflicts,
        last_team,
        required,
    })
}

/// The replacement for `unavailable` by the rule, with its priority; `None` if nobody qualifies.
fn choose(f: &Frame, job: &jobs::Job, team: &[Member], unavailable: &str) -> Option<(String, u64)> {
    let ever: BTreeSet<&str> = team.iter().map(|m| m.inspector.as_str()).collect();
    let by_id: BTreeMap<&str, &Candidate> =
        f.inspectors.iter().map(|c| (c.id.as_str(), c)).collect();
    let covered: BTreeSet<&String> = team
        .iter()
        .filter(|m| m.active == 1 && m.inspector != unavailable)
        .filter_map(|m| by_id.get(m.inspector.as_str()))
        .flat_map(|c| c.specialties.iter())
        .collect();
    let missing: Vec<&String> = f.required.iter().filter(|s| !covered.contains(s)).collect();
    // The priority of the method's team rule (`docs/architecture.md`, "Adding a method").
    let rule = Method::parse(&f.method).unwrap_or(Method::Dr1).team_rule();
    let rho = |i: &str| teams::priority(rule, &f.seed, &job.visit, &job.department, i);
    f.inspectors
        .iter()
        .filter(|c| c.region == job.region)
        .filter(|c| c.valid_from <= job.period_from && job.period_to <= c.valid_until)
        .filter(|c| !f.conflicts.contains(&(c.id.clone(), job.uscc.clone())))
        .filter(|c| !f.last_team.contains(&c.id))
        .filter(|c| !ever.contains(c.id.as_str()))
        .filter(|c| missing.iter().all(|s| c.specialties.contains(*s)))
        .map(|c| (rho(&c.id), c.id.clone()))
        .min()
        .map(|(p, id)| (id, p))
}

/// Replaces an unavailable member of job `id` by the rule's inspector, with the reason; one
/// transaction with the audit entry `inspection.replace`.
#[allow(clippy::too_many_arguments)]
pub async fn replace(
    db: &Db,
    bundles: &Path,
    keys: &CodeKey,
    p: &Principal,
    id: i64,
    unavailable: &str,
    reason: &str,
    act: &Act,
) -> Result<Member, InspectionError> {
    if reason.trim().is_empty() {
        return Err(InspectionError::invalid(
            "reason_required",
            "reason: say why the member cannot serve",
        ));
    }
    // Read before the transaction (SQLite: one writer): an approved job's statement is signed
    // again with the new team (`docs/results.md` §12.3).
    let key = keys.get(db).await?;
    let mut tx = db.begin().await?;
    let job = jobs::get_to_change(&mut tx, id).await?;
    jobs::check_department(p, &job)?;
    if !job.state().is_open() {
        return Err(InspectionError::conflict(
            "wrong_state",
            format!("job {id} is {}; its team is final", job.state),
        ));
    }
    let team = jobs::members(&mut tx, id).await?;
    if !team
        .iter()
        .any(|m| m.active == 1 && m.inspector == unavailable)
    {
        return Err(InspectionError::invalid(
            "not_on_team",
            format!("{unavailable} is not an active member of job {id}'s team"),
        ));
    }
    let bundle = Bundle::new(bundles.join(&job.batch));
    let (b, j) = (bundle.clone(), job.clone());
    let f = tokio::task::spawn_blocking(move || frame(&b, &j))
        .await
        .map_err(|e| InspectionError::invalid("invalid", e.to_string()))?
        .map_err(|e| InspectionError::invalid("no_bundle", format!("batch {}: {e}", job.batch)))?;
    let Some((chosen, priority)) = choose(&f, &job, &team, unavailable) else {
        return Err(InspectionError::conflict(
            "no_replacement",
            format!("no inspector of {} qualifies to replace {unavailable} on {}; record the job as not carried out (member-unavailable)", job.department, job.visit),
        ));
    };
    let on = day(act.on);
    sqlx::query("UPDATE job_members SET active = 0, reason = $1, recorded_on = $2 WHERE job_id = $3 AND inspector = $4")
        .bind(reason.trim())
        .bind(&on)
        .bind(id)
        .bind(unavailable)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO job_members (job_id, inspector, source, priority, active, replaces, reason, recorded_on) VALUES ($1, $2, 'replacement', $3, 1, $4, $5, $6)")
        .bind(id)
        .bind(&chosen)
        .bind(format!("{priority:016x}"))
        .bind(unavailable)
        .bind(reason.trim())
        .bind(&on)
        .execute(&mut *tx)
        .await?;
    let detail = serde_json::json!({ "unavailable": unavailable, "replacement": chosen, "priority": format!("{priority:016x}"), "reason": reason.trim(), "on": on });
    crate::audit::append(
        &mut tx,
        &act.actor,
        "inspection.replace",
        &id.to_string(),
        &detail,
        &act.at,
    )
    .await?;
    if job.code.is_some() {
        let key = key.ok_or_else(|| {
            InspectionError::Key(format!(
                "job {id} is approved but there is no code key to sign its new statement"
            ))
        })?;
        super::codes::sign_version(&mut tx, &key, &job, &on, &act.at).await?;
    }
    let member = jobs::members(&mut tx, id)
        .await?
        .into_iter()
        .find(|m| m.inspector == chosen)
        .expect("just inserted");
    tx.commit().await?;
    Ok(member)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> jobs::Job {
        jobs::Job {
            id: 1,
            batch: "B".into(),
            visit: "g/91440300192185379H".into(),
            department: "D".into(),
            uscc: "91440300192185379H".into(),
            region: "440305".into(),
            period: 1,
            period_from: "2026-01-01".into(),
            period_to: "2026-03-31".into(),
            tasks: "T".into(),
            items: "I".into(),
            state: "planned".into(),
            notified_on: None,
            reason: None,
            note: String::new(),
            approved_by: None,
            approved_on: None,
            code: None,
            substitute_for: None,
        }
    }

    fn candidate(id: &str, region: &str, until: &str, specialties: &str) -> Candidate {
        Candidate {
            id: id.into(),
            region: region.into(),
            valid_from: "2024-01-01".into(),
            valid_until: until.into(),
            specialties: list(specialties),
        }
    }

    fn member(id: &str) -> Member {
        Member {
            inspector: id.into(),
            source: "drawn".into(),
            priority: "0".into(),
            active: 1,
            replaces: None,
            reason: None,
            recorded_on: None,
        }
    }

    #[test]
    fn takes_the_eligible_inspector_with_the_smallest_seeded_priority() {
        let f = Frame {
            method: "dr1".into(),
            seed: [7; 32],
            inspectors: vec![
                candidate("A", "440305", "2028-12-31", "食品"),
                candidate("B", "440305", "2028-12-31", "食品"),
                candidate("C", "440305", "2028-12-31", "食品"),
                candidate("D", "440305", "2028-12-31", "食品"),
                candidate("E", "440306", "2028-12-31", "食品"),
                candidate("F", "440305", "2026-02-01", "食品"),
                candidate("G", "440305", "2028-12-31", ""),
                candidate("H", "440305", "2028-12-31", "食品"),
            ],
            conflicts: [("H".to_string(), job().uscc)].into_iter().collect(),
            last_team: ["D".to_string()].into_iter().collect(),
            required: ["食品".to_string()].into_iter().collect(),
        };
        let team = [member("A"), member("X")];
        let (chosen, priority) = choose(&f, &job(), &team, "A").unwrap();
        // Eligible: B and C (A was on the team, D in the last team, E in another region, F's
        // certificate ends in the period, G lacks the specialty, H has a conflict).
        let rho = |i: &str| {
            teams::priority(
                dualdraw_solver::TeamRule::Capacity,
                &f.seed,
                &job().visit,
                "D",
                i,
            )
        };
        let expected = if (rho("B"), "B") < (rho("C"), "C") {
            "B"
        } else {
            "C"
        };
        assert_eq!(chosen, expected);
        assert_eq!(priority, rho(expected));
        let f2 = Frame {
            method: "dr2".into(),
            ..f
        };
        let (chosen2, _) = choose(&f2, &job(), &team, "A").unwrap();
        let rho2 = |i: &str| {
            teams::priority(
                dualdraw_solver::TeamRule::Budget,
                &f2.seed,
                &job().visit,
                "D",
                i,
            )
        };
        let expected2 = if (rho2("B"), "B") < (rho2("C"), "C") {
            "B"
        } else {
            "C"
        };
        assert_eq!(chosen2, expected2, "dr2 uses its own priority");
        // With B and C on the team the specialty stays covered without A: G, who lacks it,
        // now qualifies, and is the only one left.
        let team3 = [member("A"), member("B"), member("C")];
        assert_eq!(
            choose(&f2, &job(), &team3, "A").map(|c| c.0),
            Some("G".to_string())
        );
        let team4 = [member("A"), member("B"), member("C"), member("G")];
        assert!(choose(&f2, &job(), &team4, "A").is_none(), "nobody is left");
    }
}
