//! The OpenAPI 3.1 document of `/api/v1`, served at `/api/v1/openapi.json`. A test checks that
//! every route of [`super::ROUTES`] is described here.

use serde_json::{json, Value};

fn op(summary: &str, who: &str, params: Value, body: Option<&str>, ok: (&str, Value)) -> Value {
    let mut o = json!({
        "summary": summary,
        "description": format!("Who may call: {who}."),
        "parameters": params,
        "responses": {
            ok.0: { "description": "success", "content": { "application/json": { "schema": ok.1 } } },
            "400": { "$ref": "#/components/responses/Error" },
            "401": { "$ref": "#/components/responses/Error" },
            "403": { "$ref": "#/components/responses/Error" },
            "404": { "$ref": "#/components/responses/Error" },
            "422": { "$ref": "#/components/responses/Error" }
        }
    });
    if who != "anyone" {
        o["security"] = json!([{ "bearer": [] }]);
    }
    if let Some(schema) = body {
        body_limits(&mut o, schema);
        let content = if schema == "csv" {
            json!({ "text/csv": { "schema": { "type": "string" } } })
        } else {
            json!({ "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } })
        };
        o["requestBody"] = json!({ "required": true, "content": content });
    }
    o
}

/// The 413 of every route with a body, and the 429 of uploads (`docs/http-limits.md`).
fn body_limits(o: &mut Value, schema: &str) {
    let limits = super::limits::Limits::default();
    let (limit, upload) = match schema {
        "csv" => (limits.import, true),
        "NewDraw" => (limits.draw, true),
        _ => (limits.json, false),
    };
    let limit = super::limits::human(limit);
    o["responses"]["413"] = json!({ "description": format!("payload_too_large: the body is over {limit} (limit_bytes names the limit); refused before reading when Content-Length says so"), "content": { "application/json": { "schema": r("Error") } } });
    if upload {
        o["responses"]["429"] = json!({ "description": format!("too_many_uploads: all {} upload slots are taken; retry after the Retry-After header's seconds", limits.uploads), "headers": { "Retry-After": { "schema": { "type": "integer" } } }, "content": { "application/json": { "schema": r("Error") } } });
    }
    let who = o["description"].as_str().unwrap_or_default().to_string();
    o["description"] = json!(format!(
        "{who} The caller is checked before the body is read; the body may be at most {limit}."
    ));
}

fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn list(name: &str) -> Value {
    json!({ "type": "array", "items": r(name) })
}

fn path_param(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "description": description, "schema": { "type": "string" } })
}

fn query(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": { "type": "string" } })
}

fn obj(props: &[(&str, &str)]) -> Value {
    let mut p = serde_json::Map::new();
    for (k, t) in props {
        p.insert(k.to_string(), json!({ "type": t }));
    }
    json!({ "type": "object", "properties": p })
}

/// What `POST /api/v1/draws` takes (`docs/draw-protocol.md`, `docs/log.md` §7).
fn new_draw() -> Value {
    let mut d = obj(&[
        ("batch", "string"),
        ("sources", "array"),
        ("tasks_csv", "string"),
        ("policy_csv", "string"),
        ("history_csv", "string"),
        ("method", "string"),
        ("complaints_csv", "string"),
    ]);
    d["required"] = json!(["batch", "sources", "tasks_csv", "policy_csv"]);
    d["properties"]["allow_past_entropy"] = json!({
        "type": "boolean",
        "default": false,
        "description": "FOR TESTS AND DEMOS ONLY (docs/log.md §7.3): accept sources whose value is, or may already be, public (a drand round not after now plus the margin, a lottery draw not after today in CST). Recorded in commitment.json and in the log's prepare event; every verifier then states that the draw proves nothing about order. Without it such a source is refused with 422 invalid_step."
    });
    d
}

/// `POST /api/v1/draws/{batch}/abandon` (`docs/log.md` §10).
fn abandon() -> Value {
    let mut o = op(
        "Abandon a committed or run draw, with its reason: the draw becomes abandoned, and the public draw log's abandon event and the audit entry commit with it. The batch name is never used again (a new draw needs a new name, and the log shows both).",
        "admin, planner",
        json!([path_param("batch", "batch name")]),
        Some("AbandonDraw"),
        ("200", r("DrawStep")),
    );
    let responses = &mut o["responses"];
    responses["400"] = json!({ "description": "bad_request: the body is not JSON", "content": { "application/json": { "schema": r("Error") } } });
    responses["404"] = json!({ "description": "not_found: no draw of this batch", "content": { "application/json": { "schema": r("Error") } } });
    responses["409"] = json!({ "description": "conflict: the draw is revealed or already abandoned, or another step of it is in progress", "content": { "application/json": { "schema": r("Error") } } });
    responses["422"] = json!({ "description": "invalid_step: the reason is empty; invalid_request: the body is JSON but not {\"reason\": string}", "content": { "application/json": { "schema": r("Error") } } });
    o
}

/// The whole document.
pub fn document() -> Value {
    let mut doc = base();
    inspections(&mut doc);
    doc
}

/// Inspection jobs, results, publication, credit proposals and the public record
/// (`docs/results.md` §8).
fn inspections(doc: &mut Value) {
    let id = path_param("id", "numeric id");
    let on = query(
        "on",
        "date YYYY-MM-DD (default: today in China Standard Time)",
    );
    let format = query("format", "json (default) or csv");
    let batch = path_param("batch", "batch name");
    let staff = "admin, planner, department (its own), credit, inspector (own jobs)";
    let schemas = &mut doc["components"]["schemas"];
    schemas["Job"] = obj(&[
        ("id", "integer"),
        ("batch", "string"),
        ("visit", "string"),
        ("department", "string"),
        ("uscc", "string"),
        ("region", "string"),
        ("period", "integer"),
        ("period_from", "string"),
        ("period_to", "string"),
        ("tasks", "array"),
        ("items", "array"),
        ("state", "string"),
        ("notified_on", "string"),
        ("reason", "string"),
        ("substitute_for", "integer"),
        ("team", "array"),
        ("results", "array"),
    ]);
    schemas["JobStep"] = obj(&[
        ("on", "string"),
        ("reason", "string"),
        ("inspector", "string"),
    ]);
    schemas["NewResult"] = obj(&[
        ("inspector", "string"),
        ("checked_on", "string"),
        ("method", "string"),
        ("items", "object"),
        ("follow_up", "string"),
        ("follow_up_done_on", "string"),
        ("reason", "string"),
    ]);
    schemas["Result"] = obj(&[
        ("id", "integer"),
        ("job_id", "integer"),
        ("version", "integer"),
        ("uscc", "string"),
        ("department", "string"),
        ("entered_by", "string"),
        ("checked_on", "string"),
        ("method", "string"),
        ("items", "array"),
        ("categories", "array"),
        ("follow_up", "string"),
        ("follow_up_done_on", "string"),
        ("due_on", "string"),
        ("published_on", "string"),
        ("reason", "string"),
    ]);
    schemas["ResultsImport"] = obj(&[
        ("file", "string"),
        ("results", "integer"),
        ("proposals", "integer"),
    ]);
    schemas["Proposal"] = obj(&[
        ("id", "integer"),
        ("result_id", "integer"),
        ("uscc", "string"),
        ("department", "string"),
        ("category", "string"),
        ("kind", "string"),
        ("basis", "string"),
        ("state", "string"),
        ("decided_by", "string"),
        ("decided_on", "string"),
        ("reason", "string"),
        ("record_id", "integer"),
    ]);
    schemas["ProposalDecision"] = obj(&[
        ("on", "string"),
        ("document_no", "string"),
        ("decided_on", "string"),
        ("summary", "string"),
        ("reason", "string"),
    ]);
    let paths = &mut doc["paths"];
    paths["/api/v1/inspection-jobs"] = json!({ "get": op("Inspection jobs in id order (keyset paging with `after`)", staff, json!([query("batch", "batch"), query("department", "department code"), query("state", "planned, notified, done, not-carried-out"), query("uscc", "USCC"), query("inspector", "inspector id (active member)"), query("after", "last id of the previous page"), query("limit", "1-1000, default 100")]), None, ("200", list("Job"))) });
    paths["/api/v1/inspection-jobs/{id}"] = json!({ "get": op("One job with its team and every result version", staff, json!([id.clone()]), None, ("200", r("Job"))) });
    paths["/api/v1/inspection-jobs/{id}/approve"] = json!({ "post": op("Approve an open job (批准) and give it its inspection code (docs/results.md §12)", "admin, department (its own jobs)", json!([id.clone()]), Some("JobStep"), ("200", r("Job"))) });
    paths["/api/v1/inspection-jobs/{id}/notify"] = json!({ "post": op("Record the notice to the enterprise (告知): planned → notified", "admin, department (its own jobs)", json!([id.clone()]), Some("JobStep"), ("200", r("Job"))) });
    paths["/api/v1/inspection-jobs/{id}/not-carried-out"] = json!({ "post": op("End a job without a check: reason deregistered, closed, moved-out or member-unavailable", "admin, department (its own jobs)", json!([id.clone()]), Some("JobStep"), ("200", r("Job"))) });
    paths["/api/v1/inspection-jobs/{id}/replace"] = json!({ "post": op("Replace an unavailable team member ({inspector, reason, on}) by the plan's deterministic rule (docs/results.md §1.2); 409 no_replacement when nobody qualifies", "admin, department (its own jobs)", json!([id.clone()]), Some("JobStep"), ("200", r("Job"))) });
    paths["/api/v1/inspection-jobs/{id}/substitute"] = json!({ "post": op("End a job whose enterprise is deregistered, closed or moved out ({reason, on}) and record the job of its substitute enterprise by the plan's deterministic rule (docs/results.md §1.4): the response is the ended job with `substitute`, the new job; 409 no_substitute when nobody is left in the stratum, already_substituted, wrong_state; 422 wrong_reason", "admin, department (its own jobs)", json!([id.clone()]), Some("JobStep"), ("200", r("Job"))) });
    paths["/api/v1/public/batches/{batch}/substitutes"] = json!({ "get": op("The batch's substitute enterprises in recorded order, with the original job, reason and drawn team, once the draw is revealed (docs/results.md §1.4); 404 before", "anyone", json!([{"name": "batch", "in": "path", "required": true, "schema": {"type": "string"}}]), None, ("200", json!({"type": "object", "description": "{batch, substitutes: [{job, visit, department, uscc, reason, substitute_job, substitute_visit, substitute_uscc, team: [{inspector, priority}]}]}"}))) });
    paths["/api/v1/inspection-jobs/{id}/result"] = json!({ "post": op("Record the job's result (谁检查、谁录入); 403 not_on_team, 422 outside_period / in_future / unknown_category / unknown_method / missing_item / unknown_item / no_schedule, 409 duplicate_result", "inspector (an active team member, as themself); department officer or admin naming the member", json!([id.clone()]), Some("NewResult"), ("201", r("Result"))) });
    paths["/api/v1/inspection-results/overdue"] = json!({ "get": op("Unpublished result versions past their due date, most overdue first, with the working days late", "admin, planner, department (its own)", json!([on.clone(), query("department", "department code"), query("limit", "1-10000, default 1000")]), None, ("200", json!({ "type": "array" }))) });
    paths["/api/v1/inspection-results/import"] = json!({ "post": op("Import results from a CSV file (the request body), one transaction; 422 invalid_file lists FILE:LINE: column: what is wrong", "admin, department (its own jobs)", json!([query("file", "file name used in messages")]), Some("csv"), ("200", r("ResultsImport"))) });
    paths["/api/v1/inspection-results/{id}"] = json!({ "get": op("One result version", staff, json!([id.clone()]), None, ("200", r("Result"))) });
    paths["/api/v1/inspection-results/{id}/publish"] = json!({ "post": op("Publish a result version on a date (谁公开); 409 already_published", "admin, department (its own)", json!([id.clone(), on.clone()]), None, ("200", r("Result"))) });
    paths["/api/v1/inspection-results/{id}/corrections"] = json!({ "post": op("Correct the latest version: a new version with its reason (never an edit); 409 not_latest, 422 reason_required", "as for a result", json!([id.clone()]), Some("NewResult"), ("201", r("Result"))) });
    paths["/api/v1/result-categories"] = json!({ "get": op("Result categories and the credit rule table", "anyone", json!([]), None, ("200", obj(&[("categories", "array"), ("credit_rules", "array")]))) });
    paths["/api/v1/credit-proposals"] = json!({ "get": op("Credit proposals raised by results", "admin, credit", json!([query("state", "proposed, confirmed, rejected"), query("uscc", "USCC")]), None, ("200", list("Proposal"))) });
    paths["/api/v1/credit-proposals/{id}/confirm"] = json!({ "post": op("Confirm: creates the credit record (document_no, decided_on) and so changes the tier", "admin, credit", json!([id.clone()]), Some("ProposalDecision"), ("200", r("Proposal"))) });
    paths["/api/v1/credit-proposals/{id}/reject"] = json!({ "post": op("Reject with a reason", "admin, credit", json!([id.clone()]), Some("ProposalDecision"), ("200", r("Proposal"))) });
    paths["/api/v1/public/batches/{batch}/announcement"] = json!({ "get": op("抽查任务公告 of a run batch: per task its body, type 定向/不定向, items, scope, dates, number drawn; the drawn list once revealed", "anyone", json!([batch.clone(), format.clone()]), None, ("200", json!({ "type": "object" }))) });
    paths["/api/v1/public/batches/{batch}/results"] = json!({ "get": op("抽查结果公告: the published result versions of a batch", "anyone", json!([batch.clone(), format.clone()]), None, ("200", json!({ "type": "object" }))) });
    paths["/api/v1/public/enterprises/{uscc}/inspection-results"] = json!({ "get": op("抽查检查结果信息 of one enterprise: every published version", "anyone", json!([path_param("uscc", "统一社会信用代码"), format]), None, ("200", json!({ "type": "object" }))) });
}

fn base() -> Value {
    let uscc = path_param("uscc", "统一社会信用代码 (18 characters, GB 32100)");
    let id = path_param("id", "numeric id");
    let kind = path_param(
        "kind",
        "enterprises, credit-records, departments, items, inspectors or conflicts",
    );
    let on = query(
        "on",
        "date YYYY-MM-DD (default: today in China Standard Time)",
    );
    let staff = "admin, planner, department, credit, inspector";
    let step = |summary: &str| {
        op(
            summary,
            "admin, credit",
            json!([id.clone()]),
            Some("RepairStep"),
            ("200", r("RepairRequest")),
        )
    };
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "dualdraw",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Enterprise directory, credit records and tiers, credit repair, inspection directories, working-day calendar and audit log of dualdraw. Errors are JSON {code, message[, details]}."
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "description": "token from `dualdraw token create`" } },
            "responses": {
                "Error": { "description": "error", "content": { "application/json": { "schema": r("Error") } } }
            },
            "schemas": {
                "Error": obj(&[("code", "string"), ("message", "string"), ("details", "object"), ("limit_bytes", "integer")]),
                "Enterprise": obj(&[("uscc", "string"), ("name", "string"), ("region", "string"), ("industry", "string"), ("registered_on", "string"), ("status", "string"), ("base_tier", "string"), ("key_supervision", "boolean")]),
                "EnterpriseDetail": obj(&[("enterprise", "object"), ("credit", "object"), ("records", "array")]),
                "CreditRecord": obj(&[("id", "integer"), ("uscc", "string"), ("kind", "string"), ("department", "string"), ("document_no", "string"), ("decided_on", "string"), ("publicity_min_until", "string"), ("publicity_max_until", "string"), ("early_end_allowed", "boolean"), ("status", "string"), ("ended_on", "string"), ("summary", "string")]),
                "NewCreditRecord": obj(&[("uscc", "string"), ("kind", "string"), ("department", "string"), ("document_no", "string"), ("decided_on", "string"), ("publicity_min_until", "string"), ("publicity_max_until", "string"), ("early_end_allowed", "boolean"), ("summary", "string")]),
                "TierDecision": obj(&[("on", "string"), ("base", "string"), ("tier", "string"), ("reasons", "array"), ("explanation", "string")]),
                "RepairRequest": obj(&[("id", "integer"), ("record_id", "integer"), ("uscc", "string"), ("state", "string"), ("commitment", "string"), ("proof", "string")]),
                "NewRepair": obj(&[("record_id", "integer"), ("commitment", "string"), ("proof", "string"), ("on", "string")]),
                "RepairStep": obj(&[("on", "string"), ("reasons", "array")]),
                "Overdue": obj(&[("request", "object"), ("step", "string"), ("due", "string"), ("working_days_late", "integer")]),
                "Department": obj(&[("code", "string"), ("name", "string")]),
                "Item": obj(&[("code", "string"), ("department", "string"), ("name", "string"), ("kind", "string"), ("legal_basis", "string"), ("industries", "array"), ("specialty", "string")]),
                "Inspector": obj(&[("id", "string"), ("name", "string"), ("department", "string"), ("region", "string"), ("certificate_no", "string"), ("certificate_valid_from", "string"), ("certificate_valid_until", "string"), ("specialties", "array"), ("capacity", "integer")]),
                "Conflict": obj(&[("inspector", "string"), ("uscc", "string"), ("reason", "string"), ("declared_on", "string")]),
                "ImportReport": obj(&[("kind", "string"), ("file", "string"), ("encoding", "string"), ("rows", "integer"), ("written", "integer"), ("unchanged", "integer"), ("ignored_columns", "array")]),
                "AuditEntry": obj(&[("seq", "integer"), ("at", "string"), ("actor", "string"), ("action", "string"), ("subject", "string"), ("detail", "string"), ("prev_hash", "string"), ("hash", "string")]),
                "NewDraw": new_draw(),
                "AbandonDraw": {
                    "type": "object",
                    "required": ["reason"],
                    "properties": { "reason": { "type": "string", "minLength": 1, "description": "why the batch is abandoned; published in the draw log's abandon event (docs/log.md §1) and in the audit log" } }
                },
                "DrawStep": {
                    "type": "object",
                    "properties": {
                        "batch": { "type": "string" },
                        "state": { "type": "string", "description": "the draw's new state: run, revealed or abandoned" },
                        "result": { "type": "object", "description": "run: visits, inspectors_assigned, teams_not_formed; reveal: seed, verification; abandon: reason" }
                    }
                },
                "PlanReport": obj(&[("batch", "string"), ("method", "string"), ("visits", "integer"), ("joint_visits", "integer"), ("department_checks", "integer"), ("joint_department_checks", "integer"), ("joint_rate_permille", "integer"), ("uncoordinated_visits", "integer"), ("overlap_enterprises", "integer"), ("overlap_visits", "integer"), ("overlap_uncoordinated_visits", "integer"), ("unplanned_checks", "integer"), ("teams_not_formed", "integer"), ("shortages", "array"), ("tiers", "array"), ("load", "array"), ("inclusion", "array")]),
                "RunDraw": obj(&[("entropy", "array")]),
                "AuditVerification": obj(&[("entries", "integer"), ("head_seq", "integer"), ("problem", "object")])
            }
        },
        "paths": {
            "/healthz": { "get": op("Liveness", "anyone", json!([]), None, ("200", obj(&[("status", "string")]))) },
            "/api/v1/openapi.json": { "get": op("This document", "anyone", json!([]), None, ("200", json!({ "type": "object" }))) },
            "/api/v1/enterprises": { "get": op("List enterprises in code order (keyset paging with `after`)", "anyone (base_tier and key_supervision only for staff)", json!([query("region", "6-digit division code"), query("industry", "GB/T 4754 code prefix"), query("base_tier", "A-D (staff only)"), query("status", "operating, revoked, deregistered"), query("q", "part of the name"), query("after", "last USCC of the previous page"), query("limit", "1-1000, default 50")]), None, ("200", list("Enterprise"))) },
            "/api/v1/enterprises/{uscc}": { "get": op("One enterprise: registration, records in publicity; tier and reason for staff and the enterprise itself", "anyone", json!([uscc.clone(), on.clone()]), None, ("200", r("EnterpriseDetail"))) },
            "/api/v1/enterprises/{uscc}/tier": { "get": op("Effective credit tier on a date, with the reason", "staff, or the enterprise itself", json!([uscc.clone(), on.clone()]), None, ("200", r("TierDecision"))) },
            "/api/v1/credit-records": {
                "get": op("List credit records (anonymous callers: only records in publicity today)", "anyone", json!([query("uscc", "USCC"), query("department", "source department"), query("kind", "record kind"), query("in_publicity_on", "date"), query("after_id", "paging"), query("limit", "1-1000")]), None, ("200", list("CreditRecord"))),
                "post": op("Add one credit record (publicity window defaults from the rule table)", "admin, credit, department (its own records)", json!([]), Some("NewCreditRecord"), ("201", r("CreditRecord")))
            },
            "/api/v1/credit-records/{id}": { "get": op("One credit record", "anyone (staff for records not in publicity)", json!([id.clone()]), None, ("200", r("CreditRecord"))) },
            "/api/v1/repairs": {
                "get": op("List repair requests", "admin, credit; enterprise (its own)", json!([query("state", "submitted, accepted, refused, approved, denied"), query("uscc", "USCC")]), None, ("200", list("RepairRequest"))),
                "post": op("File a repair request (eligibility checked; 422 names every reason)", "enterprise (its own records), credit, admin", json!([]), Some("NewRepair"), ("201", r("RepairRequest")))
            },
            "/api/v1/repairs/overdue": { "get": op("Requests past their intake or decision deadline (working days)", "admin, credit", json!([on.clone()]), None, ("200", list("Overdue"))) },
            "/api/v1/repairs/{id}": { "get": op("One repair request with every step", "admin, credit; enterprise (its own)", json!([id.clone()]), None, ("200", r("RepairRequest"))) },
            "/api/v1/repairs/{id}/accept": { "post": step("Accept at intake (re-checks eligibility)") },
            "/api/v1/repairs/{id}/refuse": { "post": step("Refuse at intake, with reasons") },
            "/api/v1/repairs/{id}/approve": { "post": step("Approve: ends the record's publicity and re-derives the tier at once") },
            "/api/v1/repairs/{id}/deny": { "post": step("Deny, with reasons") },
            "/api/v1/departments": { "get": op("Departments", "anyone", json!([]), None, ("200", list("Department"))) },
            "/api/v1/items": { "get": op("Inspection items (抽查事项清单)", "anyone", json!([query("department", "department code")]), None, ("200", list("Item"))) },
            "/api/v1/inspectors": { "get": op("Inspector directory", staff, json!([query("department", "department code")]), None, ("200", list("Inspector"))) },
            "/api/v1/conflicts": {
                "get": op("Conflicts (回避); department officers see their department's, inspectors their own", "admin, planner, department, inspector", json!([]), None, ("200", list("Conflict"))),
                "post": op("Declare a conflict", "admin, planner, department (its inspectors), inspector (self)", json!([]), Some("Conflict"), ("201", r("Conflict")))
            },
            "/api/v1/imports/{kind}": { "post": op("Import a CSV file (the request body) in one transaction; 422 lists FILE:LINE: column: what is wrong", "admin, planner; credit-records: admin, credit", json!([kind.clone(), query("file", "file name used in messages")]), Some("csv"), ("200", r("ImportReport"))) },
            "/api/v1/exports/{kind}": { "get": op("Export a table as CSV", "admin, planner; credit-records: admin, credit", json!([kind.clone()]), None, ("200", json!({ "type": "string" }))) },
            "/api/v1/calendar/add-workdays": { "get": op("The date N official working days after DATE", "anyone", json!([query("date", "YYYY-MM-DD"), query("n", "working days")]), None, ("200", obj(&[("date", "string"), ("n", "integer"), ("result", "string")]))) },
            "/api/v1/calendar/years": { "get": op("Years with an official schedule", "anyone", json!([]), None, ("200", obj(&[("years", "array")]))) },
            "/api/v1/draws": {
                "get": op("Draws and their states", "anyone", json!([]), None, ("200", json!({ "type": "array" }))),
                "post": op("Prepare a draw from the database: freeze the directories with the submitted tasks, policy and history (canonical CSV of docs/draw-protocol.md) and commit; method dr1 (default) or dr2 (the annual plan, docs/plan-model.md, with optional complaints_csv: uscc,department,period)", "admin, planner", json!([]), Some("NewDraw"), ("201", obj(&[("batch", "string"), ("state", "string"), ("commitment_sha256", "string")])))
            },
            "/api/v1/draws/{batch}": { "get": op("A draw: state, commitment, public files, and the verification once revealed", "anyone", json!([path_param("batch", "batch name")]), None, ("200", json!({ "type": "object" }))) },
            "/api/v1/draws/{batch}/run": { "post": op("Run: one public value per declared source, in order (lottery numbers, or a drand signature in hex)", "admin, planner", json!([path_param("batch", "batch name")]), Some("RunDraw"), ("200", r("DrawStep"))) },
            "/api/v1/draws/{batch}/abandon": { "post": abandon() },
            "/api/v1/draws/{batch}/reveal": { "post": op("Reveal the secret and the seed", "admin, planner", json!([path_param("batch", "batch name")]), None, ("200", json!({ "type": "object" }))) },
            "/api/v1/draws/{batch}/report": { "get": op("Report of a dr2 annual plan: joint-visit rate, visits per enterprise by tier against the caps, inspector load per department and period, inclusion probabilities against the realized selection, comparison with separate draws per task, shortages", "anyone once revealed; admin, planner once run", json!([path_param("batch", "batch name")]), None, ("200", r("PlanReport"))) },
            "/api/v1/draws/{batch}/files/{path}": { "get": op("One file of the bundle: commitment, manifest and inputs at once, the rest after the reveal", "anyone", json!([path_param("batch", "batch name"), path_param("path", "file path in the bundle, e.g. plan/visits.csv")]), None, ("200", json!({ "type": "string" }))) },
            "/api/v1/audit": { "get": op("Audit log entries", "admin, planner", json!([query("after", "seq"), query("limit", "1-1000")]), None, ("200", list("AuditEntry"))) },
            "/api/v1/audit/verify": { "get": op("Recompute the audit hash chain", "admin, planner", json!([]), None, ("200", r("AuditVerification"))) }
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_the_body_limits() {
        let doc = super::document();
        let import = &doc["paths"]["/api/v1/imports/{kind}"]["post"]["responses"];
        assert!(import["413"]["description"]
            .as_str()
            .unwrap()
            .contains("2 GiB"));
        assert!(import["429"].is_object());
        let record = &doc["paths"]["/api/v1/credit-records"]["post"]["responses"];
        assert!(record["413"]["description"]
            .as_str()
            .unwrap()
            .contains("64 KiB"));
        assert!(record["429"].is_null());
    }

    #[test]
    fn describes_abandon_and_allow_past_entropy() {
        let doc = super::document();
        let abandon = &doc["paths"]["/api/v1/draws/{batch}/abandon"]["post"];
        assert_eq!(
            abandon["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/AbandonDraw"
        );
        for status in ["200", "404", "409", "422", "413"] {
            assert!(abandon["responses"][status].is_object(), "{status}");
        }
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["AbandonDraw"]["required"],
            serde_json::json!(["reason"])
        );
        let past = &schemas["NewDraw"]["properties"]["allow_past_entropy"];
        assert_eq!(past["type"], "boolean");
        assert!(past["description"]
            .as_str()
            .unwrap()
            .contains("FOR TESTS AND DEMOS ONLY"));
    }

    #[test]
    fn describes_every_route() {
        let doc = super::document();
        for (method, path) in super::super::ROUTES {
            assert!(
                doc["paths"][path][method].is_object(),
                "{method} {path} is not in the OpenAPI document"
            );
        }
    }
}
