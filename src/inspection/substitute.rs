//! Substitute enterprises (`docs/results.md` §1.4). When a job cannot be carried out because its
//! enterprise is deregistered, closed or moved out, nobody chooses the enterprise checked
//! instead: it is the next enterprise of the job's stratum in the draw's own published order —
//! (ξ, USCC), `docs/draw-protocol.md` §7 — after the stratum's last selected enterprise, that
//! the batch did not draw, that no job of the batch names already and that is below its visit
//! cap. Its team is drawn by the plan's team rule (`docs/draw-protocol.md` §9) for the new
//! visit. The original job ends as not carried out with the reason, the new job is recorded
//! with `substitute_for`, and the audit entry `inspection.substitute` — one transaction.

use super::jobs::{self, Act, Job, JobState};
use super::plan::rows;
use super::{day, InspectionError};
use crate::auth::Principal;
use crate::db::{Backend, Db};
use crate::draw::bundle::{Bundle, BundleError};
use dualdraw_solver::inputs::Inputs;
use dualdraw_solver::selection as select;
use dualdraw_solver::Uscc;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The reasons for which an enterprise is substituted: the enterprise itself is gone.
pub const REASONS: [&str; 3] = ["deregistered", "closed", "moved-out"];

/// A stratum of `plan/strata.csv` as the rule reads it.
#[derive(Clone, Debug)]
struct Stratum {
    /// g[T], the group's start for the tier.
    start: u64,
    /// (ξ, USCC) of the last enterprise the stratum took by sampling (its `cutoff`), if any.
    last: Option<(u64, String)>,
}

/// What the rule reads from a run bundle.
pub struct Frame {
    pub method: String,
    pub seed: [u8; 32],
    pub inputs: Inputs,
    strata: BTreeMap<(String, String), Stratum>,
    /// USCCs of `plan/selections.csv`.
    drawn: BTreeSet<String>,
    /// Visits counted against the cap: rows of `plan/visits.csv`, plus (dr2) the distinct
    /// complaint periods of `inputs/complaints.csv`.
    visits: BTreeMap<String, u32>,
    /// Rows of `plan/teams.csv` per inspector.
    used: BTreeMap<String, u32>,
}

/// The substitute an application of the rule gives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    pub uscc: String,
    pub region: String,
    pub xi: u64,
    pub visit: String,
    /// The team (inspector, ρ) in inspector order, or why none could be formed.
    pub team: Result<Vec<(String, u64)>, String>,
}

fn bad(m: impl Into<String>) -> BundleError {
    BundleError::Invalid(m.into())
}

fn hex64(s: &str, what: &str) -> Result<u64, BundleError> {
    u64::from_str_radix(s, 16).map_err(|_| bad(format!("{what}: '{s}' is not 16 hex digits")))
}

/// Reads what the rule needs from the bundle (a run or revealed `dr1` or `dr2` bundle).
pub fn frame(bundle: &Bundle) -> Result<Frame, BundleError> {
    let method = bundle.read_json("commitment.json")?["method"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let inputs = crate::draw::run::read_inputs(bundle).map_err(|e| bad(e.to_string()))?;
    let seed = super::replacement::seed(bundle)?;
    let mut last: BTreeMap<(String, String), (u64, String)> = BTreeMap::new();
    let mut drawn = BTreeSet::new();
    for r in rows(bundle, "plan/selections.csv")? {
        drawn.insert(r["uscc"].clone());
        if r["basis"] == "sample" {
            let xi = hex64(&r["xi"], "plan/selections.csv xi")?;
            let key = (r["task"].clone(), r["tier"].clone());
            let here = (xi, r["uscc"].clone());
            if last.get(&key).is_none_or(|l| *l < here) {
                last.insert(key, here);
            }
        }
    }
    let mut strata = BTreeMap::new();
    for r in rows(bundle, "plan/strata.csv")? {
        let key = (r["task"].clone(), r["tier"].clone());
        let start = hex64(&r["start"], "plan/strata.csv start")?;
        strata.insert(
            key.clone(),
            Stratum {
                start,
                last: last.remove(&key),
            },
        );
    }
    let mut visits: BTreeMap<String, u32> = BTreeMap::new();
    for r in rows(bundle, "plan/visits.csv")? {
        *visits.entry(r["uscc"].clone()).or_default() += 1;
    }
    if bundle.dir.join("inputs/complaints.csv").exists() {
        let periods: BTreeSet<(String, String)> = rows(bundle, "inputs/complaints.csv")?
            .into_iter()
            .map(|r| (r["uscc"].clone(), r["period"].clone()))
            .collect();
        for (uscc, _) in periods {
            *visits.entry(uscc).or_default() += 1;
        }
    }
    let mut used: BTreeMap<String, u32> = BTreeMap::new();
    for r in rows(bundle, "plan/teams.csv")? {
        *used.entry(r["inspector"].clone()).or_default() += 1;
    }
    Ok(Frame {
        method,
        seed,
        inputs,
        strata,
        drawn,
        visits,
        used,
    })
}

fn tasks_of(job: &Job) -> Vec<String> {
    dualdraw_solver::inputs::split(&job.tasks)
}

/// The visit id of the substitute: the job's visit id with the enterprise's USCC replaced
/// (`GROUP/USCC` for `dr1`, `USCC/PERIOD` for `dr2`).
pub fn substitute_visit(visit: &str, old: &str, new: &str) -> String {
    if visit.split('/').any(|p| p == old) {
        visit
            .split('/')
            .map(|p| if p == old { new } else { p })
            .collect::<Vec<_>>()
            .join("/")
    } else {
        format!("{visit}/{new}")
    }
}

/// The rule (`docs/results.md` §1.4): the population index and ξ of the substitute for `job`,
/// given the USCCs that jobs of the batch name already (`taken`); `Err` says why there is none.
pub fn choose_enterprise(
    f: &Frame,
    job: &Job,
    taken: &BTreeSet<String>,
) -> Result<(usize, u64), String> {
    if !matches!(f.method.as_str(), "dr1" | "dr2" | "dr3") {
        return Err(format!(
            "method {} publishes no (ξ, USCC) order to take a substitute from",
            f.method
        ));
    }
    let inputs = &f.inputs;
    let tasks = tasks_of(job);
    let Some(first) = tasks.first() else {
        return Err(format!("job {} names no task", job.id));
    };
    let uscc = Uscc::parse(&job.uscc).map_err(|e| format!("{}: {e}", job.uscc))?;
    let Some(own) = inputs.index_of(&uscc) else {
        return Err(format!(
            "{} is not in inputs/population.csv, so it has no stratum",
            job.uscc
        ));
    };
    let tier = inputs.population.entries()[own].tier;
    let Some(stratum) = f.strata.get(&(first.clone(), tier.as_str().to_string())) else {
        return Err(format!(
            "task {first} drew no stratum of tier {}",
            tier.as_str()
        ));
    };
    let job_tasks: Vec<_> = inputs
        .tasks
        .iter()
        .filter(|t| tasks.contains(&t.id))
        .collect();
    let excluded = select::exclusions(inputs);
    let cap = inputs.policy.cap(tier);
    let bound = stratum.last.clone();
    let mut best: Option<(u64, String, usize)> = None;
    for (i, e) in inputs.population.entries().iter().enumerate() {
        if e.tier != tier {
            continue;
        }
        let code = e.uscc.as_str();
        if f.drawn.contains(code) || taken.contains(code) {
            continue;
        }
        if f.visits.get(code).copied().unwrap_or(0) >= cap {
            continue;
        }
        if !job_tasks
            .iter()
            .all(|t| select::eligible(inputs, &excluded, t, i, e))
        {
            continue;
        }
        let xi = dualdraw_solver::seed::prn(&f.seed, &e.uscc).wrapping_sub(stratum.start);
        if let Some((bx, bu)) = &bound {
            if (xi, code) <= (*bx, bu.as_str()) {
                continue;
            }
        }
        if best
            .as_ref()
            .is_none_or(|(x, u, _)| (xi, code) < (*x, u.as_str()))
        {
            best = Some((xi, code.to_string(), i));
        }
    }
    best.map(|(xi, _, i)| (i, xi)).ok_or_else(|| {
        format!(
            "no enterprise of stratum ({first}, {}) is left: every one after the last selected is drawn, named by a job of the batch, at its visit cap or not eligible for every task of the job",
            tier.as_str()
        )
    })
}

/// The team of the substitute's visit by the plan's rule (`docs/draw-protocol.md` §9 steps
/// 1–4) with the method's priority ρ; `extra` counts places on earlier substitute teams.
pub fn draw_team(
    f: &Frame,
    job: &Job,
    visit: &str,
    index: usize,
    extra: &BTreeMap<String, u32>,
) -> Result<Vec<(String, u64)>, String> {
    let inputs = &f.inputs;
    let e = &inputs.population.entries()[index];
    let region = inputs.population.region(e.region);
    let (from, to) = job.period().map_err(|e| e.to_string())?;
    let k = inputs.policy.inspectors_per_department as usize;
    let items = job.items();
    let required: BTreeSet<&str> = items
        .iter()
        .filter_map(|c| inputs.items.get(c))
        .map(|i| i.specialty.as_str())
        .filter(|s| !s.is_empty())
        .collect();
    let last = dualdraw_solver::teams::last_teams(inputs);
    let last_team = last.get(&(e.uscc, job.department.as_str()));
    // The priority of the method's team rule (`docs/architecture.md`, "Adding a method").
    let rule = dualdraw_solver::Method::parse(&f.method)
        .unwrap_or(dualdraw_solver::Method::Dr1)
        .team_rule();
    let rho = |i: &str| dualdraw_solver::teams::priority(rule, &f.seed, visit, &job.department, i);
    let mut candidates: Vec<(u64, &dualdraw_solver::inputs::Inspector)> = inputs
        .inspectors
        .iter()
        .filter(|i| i.department == job.department)
        .filter(|i| i.region == region)
        .filter(|i| i.valid_from <= from && to <= i.valid_until)
        .filter(|i| !inputs.conflicts.contains(&(i.id.clone(), e.uscc)))
        .filter(|i| !last_team.is_some_and(|t| t.contains(i.id.as_str())))
        .filter(|i| {
            let used =
                f.used.get(&i.id).copied().unwrap_or(0) + extra.get(&i.id).copied().unwrap_or(0);
            used < i.capacity
        })
        .map(|i| (rho(&i.id), i))
        .collect();
    candidates.sort_by(|a, b| (a.0, &a.1.id).cmp(&(b.0, &b.1.id)));
    let mut team: Vec<usize> = Vec::new();
    for s in &required {
        let covered = team
            .iter()
            .any(|&m| candidates[m].1.specialties.iter().any(|x| x == s));
        if covered {
            continue;
        }
        match (0..candidates.len())
            .find(|&c| !team.contains(&c) && candidates[c].1.specialties.iter().any(|x| x == s))
        {
            Some(c) => team.push(c),
            None => {
                return Err(format!(
                    "{k} needed, {} assignable: no available inspector has specialty {s}",
                    team.len()
                ))
            }
        }
    }
    for c in 0..candidates.len() {
        if team.len() >= k {
            break;
        }
        if !team.contains(&c) {
            team.push(c);
        }
    }
    if team.len() < k {
        return Err(format!(
            "{k} needed, {} assignable in {region} for period {} to {}",
            team.len(),
            job.period_from,
            job.period_to
        ));
    }
    let mut out: Vec<(String, u64)> = team
        .into_iter()
        .map(|c| (candidates[c].1.id.clone(), candidates[c].0))
        .collect();
    out.sort();
    Ok(out)
}

/// The whole rule: the substitute for `job` and its team.
pub fn choose(
    f: &Frame,
    job: &Job,
    taken: &BTreeSet<String>,
    extra: &BTreeMap<String, u32>,
) -> Result<Choice, String> {
    let (index, xi) = choose_enterprise(f, job, taken)?;
    let e = &f.inputs.population.entries()[index];
    let uscc = e.uscc.as_str().to_string();
    let visit = substitute_visit(&job.visit, &job.uscc, &uscc);
    let team = draw_team(f, job, &visit, index, extra);
    Ok(Choice {
        region: f.inputs.population.region(e.region).to_string(),
        uscc,
        xi,
        visit,
        team,
    })
}

async fn substituted_by(
    conn: &mut sqlx::AnyConnection,
    id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM inspection_jobs WHERE substitute_for = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

fn already(id: i64, by: i64) -> InspectionError {
    InspectionError::conflict(
        "already_substituted",
        format!("job {id} has its substitute already: job {by}"),
    )
}

/// Ends job `id` as not carried out for `reason` (one of [`REASONS`]) and records the job of its
/// substitute enterprise by the rule; returns (the ended job, the substitute's job).
pub async fn substitute(
    db: &Db,
    bundles: &Path,
    p: &Principal,
    id: i64,
    reason: &str,
    act: &Act,
) -> Result<(Job, Job), InspectionError> {
    let reason = super::catalog::not_done_reason(reason)
        .map_err(|m| InspectionError::invalid("unknown_reason", m))?;
    if !REASONS.contains(&reason) {
        return Err(InspectionError::invalid(
            "wrong_reason",
            format!("reason {reason}: an enterprise is substituted only when it is deregistered, closed or moved out; replace the member instead (replace), or end the job as not carried out"),
        ));
    }
    // The checks that need no bundle first, so that a refused request reads no files.
    let job = {
        let mut conn = db.pool.acquire().await?;
        let job = jobs::get(&mut conn, id).await?;
        jobs::check_department(p, &job)?;
        if let Some(by) = substituted_by(&mut conn, id).await? {
            return Err(already(id, by));
        }
        job
    };
    if !job.state().is_open() {
        return Err(InspectionError::conflict(
            "wrong_state",
            format!(
                "job {id} is {}; only a planned or notified job can be substituted",
                job.state
            ),
        ));
    }
    let bundle = Bundle::new(bundles.join(&job.batch));
    let f = tokio::task::spawn_blocking(move || frame(&bundle))
        .await
        .map_err(|e| InspectionError::invalid("invalid", e.to_string()))?
        .map_err(|e| InspectionError::invalid("no_bundle", format!("batch {}: {e}", job.batch)))?;
    let mut tx = db.begin().await?;
    if Backend::of(&tx) == Backend::Postgres {
        // Substitutes of one batch take turns: each must see the enterprises the others took.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(format!("dualdraw-substitute/{}", job.batch))
            .execute(&mut *tx)
            .await?;
    }
    let job = jobs::get(&mut tx, id).await?;
    if let Some(by) = substituted_by(&mut tx, id).await? {
        return Err(already(id, by));
    }
    if !job.state().is_open() {
        return Err(InspectionError::conflict(
            "wrong_state",
            format!(
                "job {id} is {}; only a planned or notified job can be substituted",
                job.state
            ),
        ));
    }
    let taken: BTreeSet<String> =
        sqlx::query_scalar("SELECT DISTINCT uscc FROM inspection_jobs WHERE batch = $1")
            .bind(&job.batch)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
    let extra: BTreeMap<String, u32> = sqlx::query_as::<_, (String, i64)>(
        "SELECT m.inspector, COUNT(*) FROM job_members m JOIN inspection_jobs j ON j.id = m.job_id WHERE j.batch = $1 AND j.substitute_for IS NOT NULL AND m.source = 'drawn' GROUP BY m.inspector",
    )
    .bind(&job.batch)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|(i, n)| (i, n as u32))
    .collect();
    let choice = choose(&f, &job, &taken, &extra)
        .map_err(|m| InspectionError::conflict("no_substitute", format!("job {id}: {m}")))?;
    jobs::set_state(
        &mut tx,
        &job,
        JobState::NotCarriedOut,
        None,
        Some(reason),
        &act.at,
    )
    .await?;
    let note = match &choice.team {
        Ok(_) => format!(
            "substitute for job {id} ({}, {}): {reason}",
            job.visit, job.uscc
        ),
        Err(why) => format!(
            "substitute for job {id} ({}, {}): {reason}; team not formed: {why}",
            job.visit, job.uscc
        ),
    };
    sqlx::query("INSERT INTO inspection_jobs (batch, visit, department, uscc, region, period, period_from, period_to, tasks, items, state, note, substitute_for, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)")
        .bind(&job.batch)
        .bind(&choice.visit)
        .bind(&job.department)
        .bind(&choice.uscc)
        .bind(&choice.region)
        .bind(job.period)
        .bind(&job.period_from)
        .bind(&job.period_to)
        .bind(&job.tasks)
        .bind(&job.items)
        .bind(JobState::Planned.as_str())
        .bind(&note)
        .bind(id)
        .bind(&act.at)
        .bind(&act.at)
        .execute(&mut *tx)
        .await?;
    let new_id: i64 =
        sqlx::query_scalar("SELECT id FROM inspection_jobs WHERE substitute_for = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    let team = choice.team.clone().unwrap_or_default();
    for (inspector, rho) in &team {
        sqlx::query("INSERT INTO job_members (job_id, inspector, source, priority, active) VALUES ($1, $2, 'drawn', $3, 1)")
            .bind(new_id)
            .bind(inspector)
            .bind(format!("{rho:016x}"))
            .execute(&mut *tx)
            .await?;
    }
    let detail = serde_json::json!({
        "reason": reason, "on": day(act.on), "batch": job.batch, "visit": job.visit,
        "department": job.department, "uscc": job.uscc,
        "substitute": { "job": new_id, "visit": choice.visit, "uscc": choice.uscc,
            "xi": format!("{:016x}", choice.xi),
            "team": team.iter().map(|(i, r)| serde_json::json!({"inspector": i, "priority": format!("{r:016x}")})).collect::<Vec<_>>(),
            "team_failure": choice.team.as_ref().err() },
    });
    crate::audit::append(
        &mut tx,
        &act.actor,
        "inspection.substitute",
        &id.to_string(),
        &detail,
        &act.at,
    )
    .await?;
    let ended = jobs::get(&mut tx, id).await?;
    let new = jobs::get(&mut tx, new_id).await?;
    tx.commit().await?;
    Ok((ended, new))
}

/// One recorded substitution as published for verifiers (`docs/results.md` §1.4).
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow)]
pub struct Published {
    pub job: i64,
    pub visit: String,
    pub department: String,
    pub uscc: String,
    pub reason: Option<String>,
    pub substitute_job: i64,
    pub substitute_visit: String,
    pub substitute_uscc: String,
    /// The substitute's drawn team, `{inspector, priority}` in inspector order.
    #[sqlx(skip)]
    pub team: Vec<serde_json::Value>,
}

/// The substitutions of a revealed batch in the order they were recorded (the substitute jobs'
/// ids); `None` while the draw is not revealed (before, nobody may learn who will be checked).
pub async fn published(
    conn: &mut sqlx::AnyConnection,
    batch: &str,
) -> Result<Option<Vec<Published>>, sqlx::Error> {
    let state: Option<String> = sqlx::query_scalar("SELECT state FROM draws WHERE batch = $1")
        .bind(batch)
        .fetch_optional(&mut *conn)
        .await?;
    if state.as_deref() != Some("revealed") {
        return Ok(None);
    }
    let mut list = sqlx::query_as::<_, Published>(
        "SELECT o.id AS job, o.visit, o.department, o.uscc, o.reason, n.id AS substitute_job, n.visit AS substitute_visit, n.uscc AS substitute_uscc FROM inspection_jobs n JOIN inspection_jobs o ON o.id = n.substitute_for WHERE n.batch = $1 ORDER BY n.id",
    )
    .bind(batch)
    .fetch_all(&mut *conn)
    .await?;
    for p in &mut list {
        p.team = sqlx::query_as::<_, (String, String)>(
            "SELECT inspector, priority FROM job_members WHERE job_id = $1 AND source = 'drawn' ORDER BY inspector",
        )
        .bind(p.substitute_job)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|(i, r)| serde_json::json!({ "inspector": i, "priority": r }))
        .collect();
    }
    Ok(Some(list))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_substitute_visit_names_the_substitute_in_place_of_the_enterprise() {
        let (old, new) = ("91440300192185379H", "91440305MA5DA0002X");
        assert_eq!(
            substitute_visit(&format!("joint/{old}"), old, new),
            format!("joint/{new}")
        );
        assert_eq!(
            substitute_visit(&format!("{old}/3"), old, new),
            format!("{new}/3")
        );
        assert_eq!(substitute_visit("odd", old, new), format!("odd/{new}"));
    }
}
