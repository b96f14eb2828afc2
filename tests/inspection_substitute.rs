//! Substitute enterprises (docs/results.md §1.4) over real HTTP, on both databases: a job whose
//! enterprise is gone ends as not carried out and the next enterprise of its stratum in the
//! draw's published (ξ, USCC) order gets a job and a team — which this test recomputes from the
//! revealed bundle's files with its own CSV reading and hashing, sharing no code with the
//! service; the public list after the reveal; refusals (wrong reason, another department, a job
//! not open, a second substitute, nobody left) write nothing; two requests at once give one
//! substitute.

mod common;
use dualdraw::auth::Role;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Group `a` (STHJ, one enterprise a tier) is drawn first, so SCJG-G's group starts after its
/// extent (a start other than 0); SCJG-G takes one enterprise of each tier, leaving two or three
/// of the four tier-A enterprises whose order decides the substitute.
const TASKS: &str = "id,department,group,items,regions,industries,quota_a,quota_b,quota_c,quota_d,period_from,period_to\n\
SCJG-G,SCJG,joint,SCJG-001,,,1,1,1,1,1,4\n\
STHJ-G,STHJ,a,STHJ-001,,,1,1,1,1,1,4\n";
/// Every eligible enterprise of every tier drawn: nobody is left to substitute.
const TASKS_ALL: &str = "id,department,group,items,regions,industries,quota_a,quota_b,quota_c,quota_d,period_from,period_to\n\
SCJG-G,SCJG,joint,SCJG-001,,,1/1,1/1,1/1,1/1,1,4\n";
const POLICY: &str = "key,value\nyear,2026\nas_of,2026-01-01\nperiods,quarter\nvisit_cap_a,1\nvisit_cap_b,1\nvisit_cap_c,2\nvisit_cap_d,4\ninspectors_per_department,2\nexclusion_months,12\n";

async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn run_draw(app: &common::TestApp, tasks: &str) -> String {
    run_method(app, tasks, "dr1").await
}

async fn run_method(app: &common::TestApp, tasks: &str, method: &str) -> String {
    let planner = app.token(Role::Planner, None).await;
    let body = json!({ "batch": "B1", "sources": ["lottery:福彩3D:2026001:2026-01-02"], "allow_past_entropy": true, "tasks_csv": tasks, "policy_csv": POLICY, "method": method });
    let (status, b) = send(app.post("/api/v1/draws").bearer_auth(&planner).json(&body)).await;
    assert_eq!(status, 201, "{b}");
    let (status, b) = send(
        app.post("/api/v1/draws/B1/run")
            .bearer_auth(&planner)
            .json(&json!({ "entropy": ["3 7 1"] })),
    )
    .await;
    assert_eq!(status, 200, "{b}");
    planner
}

async fn jobs(app: &common::TestApp, token: &str) -> Vec<Value> {
    let (status, list) = send(
        app.get("/api/v1/inspection-jobs?limit=1000")
            .bearer_auth(token),
    )
    .await;
    assert_eq!(status, 200, "{list}");
    list.as_array().unwrap().clone()
}

fn substitute(
    app: &common::TestApp,
    id: i64,
    token: &str,
    reason: &str,
) -> reqwest::RequestBuilder {
    app.post(&format!("/api/v1/inspection-jobs/{id}/substitute"))
        .bearer_auth(token)
        .json(&json!({ "reason": reason }))
}

/// Rows of a bundle CSV file as maps (the test files have no quoted fields).
fn csv(bundle: &Path, rel: &str) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(bundle.join(rel)).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| {
            assert!(!l.contains('"'), "{rel}: a quoted field: {l}");
            header
                .iter()
                .zip(l.split(','))
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn first_u64(parts: &[&[u8]]) -> u64 {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    u64::from_be_bytes(h.finalize()[..8].try_into().unwrap())
}

fn list(s: &str) -> Vec<&str> {
    s.split(';').filter(|p| !p.is_empty()).collect()
}

/// The substitute and its team for a job (task list `tasks`, department, visit, enterprise,
/// period) recomputed from the revealed bundle by docs/results.md §1.4, with the USCCs and
/// teams of earlier substitutes; `None` if nobody is left.
#[allow(clippy::too_many_arguments)]
fn expected(
    bundle: &Path,
    method: &str,
    tasks: &[&str],
    department: &str,
    visit: &str,
    uscc: &str,
    period: (&str, &str),
    earlier: &BTreeSet<String>,
    earlier_teams: &[String],
) -> Option<(String, Vec<String>)> {
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(bundle.join("manifest.json")).unwrap())
            .unwrap();
    let seed = hex::decode(manifest["seed"].as_str().expect("revealed")).unwrap();
    let u = |e: &str| first_u64(&[b"dualdraw-dr1-prn\0", &seed, e.as_bytes()]);
    let population = csv(bundle, "inputs/population.csv");
    let tier = population.iter().find(|r| r["uscc"] == uscc).unwrap()["tier"].clone();
    let t1 = tasks.iter().min().unwrap();
    let stratum = csv(bundle, "plan/strata.csv")
        .into_iter()
        .find(|r| r["task"] == *t1 && r["tier"] == tier)
        .unwrap();
    let g = u64::from_str_radix(&stratum["start"], 16).unwrap();
    let selections = csv(bundle, "plan/selections.csv");
    let bound = selections
        .iter()
        .filter(|r| r["task"] == *t1 && r["tier"] == tier && r["basis"] == "sample")
        .map(|r| {
            (
                u64::from_str_radix(&r["xi"], 16).unwrap(),
                r["uscc"].clone(),
            )
        })
        .max();
    if let Some((x, _)) = &bound {
        assert_eq!(
            format!("{x:016x}"),
            stratum["cutoff"],
            "the bound is the cutoff"
        );
    }
    let drawn: BTreeSet<&str> = selections.iter().map(|r| r["uscc"].as_str()).collect();
    let visits = csv(bundle, "plan/visits.csv");
    let planned: BTreeSet<&str> = visits.iter().map(|r| r["uscc"].as_str()).collect();
    assert_eq!(
        csv(bundle, "inputs/history.csv").len(),
        0,
        "this test's exclusions and last teams assume no history"
    );
    let policy: BTreeMap<String, String> = csv(bundle, "inputs/policy.csv")
        .into_iter()
        .map(|r| (r["key"].clone(), r["value"].clone()))
        .collect();
    let cap: u32 = policy[&format!("visit_cap_{}", tier.to_lowercase())]
        .parse()
        .unwrap();
    let task_rows = csv(bundle, "inputs/tasks.csv");
    let items = csv(bundle, "inputs/items.csv");
    let eligible = |e: &BTreeMap<String, String>| {
        tasks.iter().all(|t| {
            let t = task_rows.iter().find(|r| r["id"] == *t).unwrap();
            let industry = e["industry"].as_str();
            let regions = list(&t["regions"]);
            let industries = list(&t["industries"]);
            (regions.is_empty() || regions.contains(&e["region"].as_str()))
                && (industries.is_empty() || industries.iter().any(|p| industry.starts_with(p)))
                && list(&t["items"]).iter().any(|code| {
                    let item = items.iter().find(|i| i["code"] == *code).unwrap();
                    let inds = list(&item["industries"]);
                    inds.is_empty() || inds.iter().any(|p| industry.starts_with(p))
                })
                && !t[&format!("quota_{}", tier.to_lowercase())].is_empty()
        })
    };
    let chosen = population
        .iter()
        .filter(|e| e["tier"] == tier)
        .filter(|e| eligible(e))
        .filter(|e| {
            let c = e["uscc"].as_str();
            !drawn.contains(c) && !planned.contains(c) && !earlier.contains(c)
        })
        .filter(|_| cap > 0)
        .map(|e| {
            (
                u(&e["uscc"]).wrapping_sub(g),
                e["uscc"].clone(),
                e["region"].clone(),
            )
        })
        .filter(|(x, c, _)| bound.as_ref().is_none_or(|b| (*x, c) > (b.0, &b.1)))
        .min()?;
    let (_, sub, region) = chosen;
    let new_visit = visit.replace(uscc, &sub);
    // The team (draw-protocol.md §9 for the one new visit).
    let mut used: BTreeMap<String, u32> = BTreeMap::new();
    for r in csv(bundle, "plan/teams.csv") {
        *used.entry(r["inspector"].clone()).or_default() += 1;
    }
    for i in earlier_teams {
        *used.entry(i.clone()).or_default() += 1;
    }
    let conflicts: BTreeSet<(String, String)> = csv(bundle, "inputs/conflicts.csv")
        .into_iter()
        .map(|r| (r["inspector"].clone(), r["uscc"].clone()))
        .collect();
    let required: BTreeSet<String> = tasks
        .iter()
        .flat_map(|t| {
            let t = task_rows.iter().find(|r| r["id"] == *t).unwrap();
            list(&t["items"])
                .into_iter()
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .map(|code| items.iter().find(|i| i["code"] == code).unwrap()["specialty"].clone())
        .filter(|s| !s.is_empty())
        .collect();
    let mut candidates: Vec<(u64, String, Vec<String>)> = csv(bundle, "inputs/inspectors.csv")
        .into_iter()
        .filter(|i| i["department"] == department && i["region"] == region)
        .filter(|i| i["valid_from"].as_str() <= period.0 && period.1 <= i["valid_until"].as_str())
        .filter(|i| !conflicts.contains(&(i["id"].clone(), sub.clone())))
        .filter(|i| {
            used.get(&i["id"]).copied().unwrap_or(0) < i["capacity"].parse::<u32>().unwrap()
        })
        .map(|i| {
            let label: &[u8] = if method == "dr2" {
                b"dualdraw-dr2-inspector\0"
            } else {
                b"dualdraw-dr1-inspector\0"
            };
            let rho = first_u64(&[
                label,
                &seed,
                new_visit.as_bytes(),
                b"\0",
                department.as_bytes(),
                b"\0",
                i["id"].as_bytes(),
                b"\0",
            ]);
            (
                rho,
                i["id"].clone(),
                list(&i["specialties"])
                    .into_iter()
                    .map(String::from)
                    .collect(),
            )
        })
        .collect();
    candidates.sort();
    let k: usize = policy["inspectors_per_department"].parse().unwrap();
    let mut team: Vec<usize> = Vec::new();
    for s in &required {
        if team.iter().any(|&m| candidates[m].2.contains(s)) {
            continue;
        }
        match (0..candidates.len()).find(|&c| !team.contains(&c) && candidates[c].2.contains(s)) {
            Some(c) => team.push(c),
            None => return Some((sub, Vec::new())),
        }
    }
    for c in 0..candidates.len() {
        if team.len() < k && !team.contains(&c) {
            team.push(c);
        }
    }
    if team.len() < k {
        return Some((sub, Vec::new()));
    }
    let mut ids: Vec<String> = team.into_iter().map(|c| candidates[c].1.clone()).collect();
    ids.sort();
    Some((sub, ids))
}

fn team_of(job: &Value) -> Vec<String> {
    job["team"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["inspector"].as_str().unwrap().to_string())
        .collect()
}

async fn count(app: &common::TestApp, sql: &str) -> i64 {
    let mut conn = app.db.pool.acquire().await.unwrap();
    sqlx::query_scalar(sql).fetch_one(&mut *conn).await.unwrap()
}

both!(
    a_substitute_is_the_next_enterprise_of_the_stratum_as_recomputed_from_the_bundle,
    |app| {
        let admin = app.load_fixtures().await;
        let planner = run_draw(app, TASKS).await;
        let bundle = app.dir.path().join("bundles/B1");
        // The SCJG job on a tier-A enterprise: SCJG-G takes 1 of the 4 A enterprises and STHJ-G
        // at most one more, so two or three are left after the stratum's last selected.
        let tiers: BTreeMap<String, String> = csv(&bundle, "plan/visits.csv")
            .into_iter()
            .map(|r| (r["visit"].clone(), r["tier"].clone()))
            .collect();
        let all = jobs(app, &admin).await;
        let job = all
            .iter()
            .find(|j| j["department"] == "SCJG" && tiers[j["visit"].as_str().unwrap()] == "A")
            .expect("an SCJG job on a tier-A enterprise")
            .clone();
        let id = job["id"].as_i64().unwrap();
        let (status, _) = send(app.get("/api/v1/public/batches/B1/substitutes")).await;
        assert_eq!(status, 404, "not before the reveal");

        let scjg = app.token(Role::Department, Some("SCJG")).await;
        let (status, b) = send(substitute(app, id, &scjg, "企业已注销")).await;
        assert_eq!(status, 200, "{b}");
        assert_eq!(b["state"], "not-carried-out");
        assert_eq!(b["reason"], "deregistered");
        let sub = &b["substitute"];
        assert_eq!(sub["substitute_for"], id);
        assert_eq!(sub["state"], "planned");
        assert_eq!(sub["department"], "SCJG");
        assert_eq!(sub["period_from"], job["period_from"]);
        assert_eq!(sub["tasks"], job["tasks"]);
        assert_eq!(sub["items"], job["items"]);
        let sub_uscc = sub["uscc"].as_str().unwrap().to_string();
        assert_ne!(sub_uscc, job["uscc"].as_str().unwrap());
        assert!(
            all.iter().all(|j| j["uscc"] != sub_uscc.as_str()),
            "not drawn by the batch"
        );
        assert_eq!(
            count(
                app,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'inspection.substitute'"
            )
            .await,
            1
        );

        // A second substitute for the same job.
        let (status, b) = send(substitute(app, id, &scjg, "deregistered")).await;
        assert_eq!(
            (status, b["code"].as_str()),
            (409, Some("already_substituted")),
            "{b}"
        );

        // Recompute from the revealed bundle alone.
        let (status, b) = send(app.post("/api/v1/draws/B1/reveal").bearer_auth(&planner)).await;
        assert_eq!(status, 200, "{b}");
        let tasks: Vec<&str> = job["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        let (want, want_team) = expected(
            &bundle,
            "dr1",
            &tasks,
            "SCJG",
            job["visit"].as_str().unwrap(),
            job["uscc"].as_str().unwrap(),
            (
                job["period_from"].as_str().unwrap(),
                job["period_to"].as_str().unwrap(),
            ),
            &BTreeSet::new(),
            &[],
        )
        .expect("a substitute is left");
        assert_eq!(sub_uscc, want);
        assert_eq!(
            sub["visit"].as_str().unwrap(),
            job["visit"]
                .as_str()
                .unwrap()
                .replace(job["uscc"].as_str().unwrap(), &want)
        );
        assert_eq!(team_of(sub), want_team, "{sub}");
        if want_team.is_empty() {
            assert!(
                sub["note"].as_str().unwrap().contains("team not formed"),
                "{sub}"
            );
        }

        // The public list names it, with the team.
        let (status, list) = send(app.get("/api/v1/public/batches/B1/substitutes")).await;
        assert_eq!(status, 200, "{list}");
        let entries = list["substitutes"].as_array().unwrap();
        assert_eq!(entries.len(), 1, "{list}");
        assert_eq!(entries[0]["job"], id);
        assert_eq!(entries[0]["reason"], "deregistered");
        assert_eq!(entries[0]["substitute_uscc"], want.as_str());
        let listed: Vec<&str> = entries[0]["team"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["inspector"].as_str().unwrap())
            .collect();
        assert_eq!(listed, want_team);

        // The substitute's job may itself be substituted (moved out): the next one after it,
        // skipping the enterprise it took.
        let sub_id = sub["id"].as_i64().unwrap();
        let (status, b) = send(substitute(app, sub_id, &admin, "moved-out")).await;
        let earlier: BTreeSet<String> = [sub_uscc.clone()].into_iter().collect();
        let again = expected(
            &bundle,
            "dr1",
            &tasks,
            "SCJG",
            sub["visit"].as_str().unwrap(),
            &sub_uscc,
            (
                job["period_from"].as_str().unwrap(),
                job["period_to"].as_str().unwrap(),
            ),
            &earlier,
            &want_team,
        );
        match again {
            Some((next, next_team)) => {
                assert_eq!(status, 200, "{b}");
                assert_eq!(b["substitute"]["uscc"], next.as_str());
                assert_eq!(team_of(&b["substitute"]), next_team);
            }
            None => {
                assert_eq!(
                    (status, b["code"].as_str()),
                    (409, Some("no_substitute")),
                    "{b}"
                );
            }
        }
    }
);

both!(refused_substitutions_write_nothing, |app| {
    let admin = app.load_fixtures().await;
    run_draw(app, TASKS_ALL).await;
    let all = jobs(app, &admin).await;
    let job = &all[0];
    let id = job["id"].as_i64().unwrap();
    let scjg = app.token(Role::Department, Some("SCJG")).await;
    let sthj = app.token(Role::Department, Some("STHJ")).await;
    let (status, b) = send(substitute(app, id, &scjg, "member-unavailable")).await;
    assert_eq!(
        (status, b["code"].as_str()),
        (422, Some("wrong_reason")),
        "{b}"
    );
    let (status, b) = send(substitute(app, id, &scjg, "倒闭了")).await;
    assert_eq!(
        (status, b["code"].as_str()),
        (422, Some("unknown_reason")),
        "{b}"
    );
    let (status, b) = send(substitute(app, id, &sthj, "closed")).await;
    assert_eq!(
        (status, b["code"].as_str()),
        (403, Some("not_your_department")),
        "{b}"
    );
    // Every eligible enterprise of every tier was drawn: nobody is left in the stratum.
    let (status, b) = send(substitute(app, id, &scjg, "closed")).await;
    assert_eq!(
        (status, b["code"].as_str()),
        (409, Some("no_substitute")),
        "{b}"
    );
    assert!(b["message"].as_str().unwrap().contains("SCJG-G"), "{b}");
    // Nothing was written.
    let (_, now) = send(
        app.get(&format!("/api/v1/inspection-jobs/{id}"))
            .bearer_auth(&admin),
    )
    .await;
    assert_eq!(now["state"], "planned");
    assert_eq!(jobs(app, &admin).await.len(), all.len());
    assert_eq!(
        count(
            app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'inspection.substitute'"
        )
        .await,
        0
    );
    // A job no longer open.
    let (status, b) = send(
        app.post(&format!("/api/v1/inspection-jobs/{id}/not-carried-out"))
            .bearer_auth(&scjg)
            .json(&json!({ "reason": "closed" })),
    )
    .await;
    assert_eq!(status, 200, "{b}");
    let (status, b) = send(substitute(app, id, &scjg, "closed")).await;
    assert_eq!(
        (status, b["code"].as_str()),
        (409, Some("wrong_state")),
        "{b}"
    );
});

both!(
    two_substitutions_of_one_job_at_once_give_one_substitute,
    |app| {
        let admin = app.load_fixtures().await;
        run_draw(app, TASKS).await;
        let bundle = app.dir.path().join("bundles/B1");
        let tiers: BTreeMap<String, String> = csv(&bundle, "plan/visits.csv")
            .into_iter()
            .map(|r| (r["visit"].clone(), r["tier"].clone()))
            .collect();
        let job = jobs(app, &admin)
            .await
            .into_iter()
            .find(|j| j["department"] == "SCJG" && tiers[j["visit"].as_str().unwrap()] == "A")
            .unwrap();
        let id = job["id"].as_i64().unwrap();
        let scjg = app.token(Role::Department, Some("SCJG")).await;
        let (a, b) = tokio::join!(
            send(substitute(app, id, &scjg, "closed")),
            send(substitute(app, id, &admin, "deregistered")),
        );
        let mut statuses = [a.0, b.0];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "{} / {}", a.1, b.1);
        let loser = if a.0 == 409 { &a.1 } else { &b.1 };
        assert!(
            matches!(
                loser["code"].as_str(),
                Some("already_substituted" | "wrong_state")
            ),
            "{loser}"
        );
        assert_eq!(
            count(
                app,
                "SELECT COUNT(*) FROM inspection_jobs WHERE substitute_for IS NOT NULL"
            )
            .await,
            1
        );
        assert_eq!(
            count(
                app,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'inspection.substitute'"
            )
            .await,
            1
        );
    }
);

both!(
    a_dr2_plan_takes_its_substitute_in_the_same_published_order,
    |app| {
        let admin = app.load_fixtures().await;
        let planner = run_method(app, TASKS, "dr2").await;
        let bundle = app.dir.path().join("bundles/B1");
        let tiers: BTreeMap<String, String> = csv(&bundle, "plan/visits.csv")
            .into_iter()
            .map(|r| (r["visit"].clone(), r["tier"].clone()))
            .collect();
        // An SCJG job, on a tier-A or -B enterprise if the plan has one (those strata keep
        // enterprises after their last selected).
        let mut scjg_jobs: Vec<Value> = jobs(app, &admin)
            .await
            .into_iter()
            .filter(|j| j["department"] == "SCJG")
            .collect();
        scjg_jobs.sort_by_key(|j| tiers[j["visit"].as_str().unwrap()].clone());
        let job = scjg_jobs.first().expect("an SCJG job").clone();
        let id = job["id"].as_i64().unwrap();
        let (status, b) = send(substitute(app, id, &admin, "closed")).await;
        let (status2, r) = send(app.post("/api/v1/draws/B1/reveal").bearer_auth(&planner)).await;
        assert_eq!(status2, 200, "{r}");
        let tasks: Vec<&str> = job["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        let want = expected(
            &bundle,
            "dr2",
            &tasks,
            "SCJG",
            job["visit"].as_str().unwrap(),
            job["uscc"].as_str().unwrap(),
            (
                job["period_from"].as_str().unwrap(),
                job["period_to"].as_str().unwrap(),
            ),
            &BTreeSet::new(),
            &[],
        );
        match want {
            Some((uscc, team)) => {
                assert_eq!(status, 200, "{b}");
                let sub = &b["substitute"];
                assert_eq!(sub["uscc"], uscc.as_str());
                // A dr2 visit id is USCC/PERIOD.
                assert_eq!(sub["visit"], format!("{uscc}/{}", job["period"]));
                assert_eq!(team_of(sub), team, "{sub}");
            }
            None => assert_eq!(
                (status, b["code"].as_str()),
                (409, Some("no_substitute")),
                "{b}"
            ),
        }
    }
);
