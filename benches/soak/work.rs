//! The operations of the soak campaign, each a few requests with the statuses they expect.

use rand::rngs::StdRng;
use rand::Rng;
use serde_json::{json, Value};
use std::time::Instant;

/// What every client shares: the service, its tokens and the files the operations send.
pub struct World {
    pub base: String,
    pub client: reqwest::Client,
    pub admin: String,
    pub credit: String,
    pub planner: String,
    pub usccs: Vec<String>,
    /// Header and rows of the exported enterprise file, for small re-imports.
    pub header: String,
    pub rows: Vec<Vec<String>>,
    pub tasks_csv: String,
    pub policy_csv: String,
}

/// One request's outcome, as the report counts it.
pub struct Outcome {
    pub kind: &'static str,
    pub status: u16,
    pub micros: u64,
    /// The status was not one the operation expects (429 for uploads is expected).
    pub unexpected: Option<String>,
}

/// An answer an operation expects: a status, and for errors the JSON `code` it must carry.
type Expected = (u16, Option<&'static str>);
const OK: Expected = (200, None);
const CREATED: Expected = (201, None);
/// A repair the credit rules refuse (a later violation of the same kind in the demo city).
const NOT_ELIGIBLE: Expected = (422, Some("not_eligible"));
/// Every upload slot taken: the documented refusal, not a fault.
const BUSY: Expected = (429, Some("too_many_uploads"));

/// Sends one request and checks its status (and error code) against `expected`.
async fn call(
    out: &mut Vec<Outcome>,
    kind: &'static str,
    req: reqwest::RequestBuilder,
    expected: &[Expected],
) -> Option<Value> {
    let started = Instant::now();
    let result = req.send().await;
    let (status, body) = match result {
        Ok(res) => {
            let status = res.status().as_u16();
            let text = res.text().await.unwrap_or_default();
            (
                status,
                serde_json::from_str(&text).unwrap_or(Value::String(text)),
            )
        }
        Err(e) => (0, Value::String(format!("transport error: {e}"))),
    };
    let micros = started.elapsed().as_micros() as u64;
    let code = body["code"].as_str();
    let fits = |&(st, c): &Expected| st == status && (c.is_none() || c == code);
    let unexpected = (!expected.iter().any(fits))
        .then(|| format!("{kind}: {status} {}", truncate(&body.to_string())));
    out.push(Outcome {
        kind,
        status,
        micros,
        unexpected,
    });
    (status / 100 == 2).then_some(body)
}

fn truncate(s: &str) -> String {
    s.chars().take(300).collect()
}

impl World {
    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(format!("{}{path}", self.base))
    }

    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.post(format!("{}{path}", self.base))
    }

    fn any_uscc(&self, rng: &mut StdRng) -> &str {
        &self.usccs[rng.gen_range(0..self.usccs.len())]
    }

    /// Public and staff reads: lists, one enterprise, tiers, records, directories, the log.
    pub async fn read(&self, rng: &mut StdRng, out: &mut Vec<Outcome>) {
        let uscc = self.any_uscc(rng).to_string();
        let req = match rng.gen_range(0..9) {
            0 => self.get(&format!(
                "/api/v1/enterprises?limit=50&after={}",
                &uscc[..10]
            )),
            1 | 2 => self.get(&format!("/api/v1/enterprises/{uscc}")),
            3 => self
                .get(&format!("/api/v1/enterprises/{uscc}/tier?on=2026-06-01"))
                .bearer_auth(&self.credit),
            4 => self
                .get(&format!("/api/v1/credit-records?uscc={uscc}"))
                .bearer_auth(&self.credit),
            5 => self
                .get("/api/v1/inspectors?department=SCJG")
                .bearer_auth(&self.admin),
            6 => self
                .get("/api/v1/exports/departments")
                .bearer_auth(&self.admin),
            7 => self.get("/api/v1/draws"),
            _ => self.get("/api/v1/audit?limit=50").bearer_auth(&self.admin),
        };
        call(out, "read", req, &[OK]).await;
    }

    /// The whole audit chain recomputed, as an auditor would while the service works.
    pub async fn verify_audit(&self, out: &mut Vec<Outcome>) {
        let req = self.get("/api/v1/audit/verify").bearer_auth(&self.admin);
        if let Some(v) = call(out, "audit-verify", req, &[OK]).await {
            if !v["problem"].is_null() {
                out.last_mut().unwrap().unexpected = Some(format!("audit chain: {v}"));
            }
        }
    }

    /// A record, then a repair request against it taken to approval or denial.
    pub async fn repair(&self, rng: &mut StdRng, tag: &str, out: &mut Vec<Outcome>) {
        let record = json!({
            "uscc": self.any_uscc(rng), "kind": "abnormal-list", "department": "SCJG",
            "document_no": format!("soak〔2026〕{tag}号"), "decided_on": "2026-05-20",
            "summary": "soak: 未按规定报送年度报告",
        });
        let req = self
            .post("/api/v1/credit-records")
            .bearer_auth(&self.credit)
            .json(&record);
        let Some(record) = call(out, "repair-record", req, &[CREATED]).await else {
            return;
        };
        let filing = json!({ "record_id": record["id"], "commitment": "本企业承诺依法诚信经营",
            "proof": "年度报告已补报", "on": "2026-06-01" });
        let req = self
            .post("/api/v1/repairs")
            .bearer_auth(&self.credit)
            .json(&filing);
        let Some(filed) = call(out, "repair-file", req, &[CREATED, NOT_ELIGIBLE]).await else {
            return;
        };
        let id = filed["id"].as_i64().unwrap_or(0);
        let accept = self
            .post(&format!("/api/v1/repairs/{id}/accept"))
            .bearer_auth(&self.credit)
            .json(&json!({ "on": "2026-06-03" }));
        if call(out, "repair-accept", accept, &[OK]).await.is_none() {
            return;
        }
        let (action, body) = if rng.gen_bool(0.7) {
            ("approve", json!({ "on": "2026-06-05" }))
        } else {
            (
                "deny",
                json!({ "on": "2026-06-05", "reasons": ["soak: proof incomplete"] }),
            )
        };
        let req = self
            .post(&format!("/api/v1/repairs/{id}/{action}"))
            .bearer_auth(&self.credit)
            .json(&body);
        // Approval re-checks eligibility: a later violation of the same kind in the demo city
        // makes some records not repairable, a refusal the service must give.
        let (kind, expected): (_, &[Expected]) = match action {
            "approve" => ("repair-approve", &[OK, NOT_ELIGIBLE]),
            _ => ("repair-deny", &[OK]),
        };
        call(out, kind, req, expected).await;
    }

    /// A small enterprise file: 20 exported rows with new names, or with one broken code.
    pub async fn import(&self, rng: &mut StdRng, tag: &str, out: &mut Vec<Outcome>) {
        let start = rng.gen_range(0..self.rows.len().saturating_sub(20).max(1));
        let invalid = rng.gen_bool(0.3);
        let mut csv = format!("{}\n", self.header);
        for (i, row) in self.rows.iter().skip(start).take(20).enumerate() {
            let mut row = row.clone();
            row[1] = format!("{}（{tag}）", row[1].split('（').next().unwrap_or(""));
            if invalid && i == 7 {
                let wrong = if row[0].ends_with('0') { "1" } else { "0" };
                row[0].replace_range(17..18, wrong);
            }
            let mut w = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(vec![]);
            w.write_record(&row).unwrap();
            csv.push_str(std::str::from_utf8(&w.into_inner().unwrap()).unwrap());
        }
        let req = self
            .post(&format!("/api/v1/imports/enterprises?file=soak-{tag}.csv"))
            .bearer_auth(&self.admin)
            .body(csv);
        let (kind, expected): (_, &[Expected]) = if invalid {
            ("import-invalid", &[(422, Some("invalid_file")), BUSY])
        } else {
            ("import", &[OK, BUSY])
        };
        call(out, kind, req, expected).await;
    }

    /// A small draw (two tasks of the demo city) prepared, run and revealed.
    pub async fn draw(&self, tag: &str, out: &mut Vec<Outcome>) {
        let batch = format!("soak-{tag}");
        let new = json!({ "batch": batch, "sources": ["lottery:福彩3D:2026001:2026-01-02"], "allow_past_entropy": true,
            "tasks_csv": self.tasks_csv, "policy_csv": self.policy_csv });
        let req = self
            .post("/api/v1/draws")
            .bearer_auth(&self.planner)
            .json(&new);
        if call(out, "draw-prepare", req, &[CREATED, BUSY])
            .await
            .is_none()
        {
            return;
        }
        let run = self
            .post(&format!("/api/v1/draws/{batch}/run"))
            .bearer_auth(&self.planner)
            .json(&json!({ "entropy": ["3 7 1"] }));
        if call(out, "draw-run", run, &[OK]).await.is_none() {
            return;
        }
        let reveal = self
            .post(&format!("/api/v1/draws/{batch}/reveal"))
            .bearer_auth(&self.planner)
            .json(&json!({}));
        if let Some(v) = call(out, "draw-reveal", reveal, &[OK]).await {
            let verdict = v["result"]["verification"].as_str().unwrap_or("");
            if verdict.starts_with("verification failed") {
                out.last_mut().unwrap().unexpected = Some(format!("draw {batch}: {verdict}"));
            }
        }
    }
}
