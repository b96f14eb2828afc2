//! The schemas of the inspection routes' JSON (`docs/results.md` §8). Those values are built in
//! `crate::inspection` (`jobs::view`, `results::view`, `public::view`, `public::announcement`)
//! as JSON, not as types; these types document them field by field for the OpenAPI document,
//! and the schema-driven fuzz run (`.ci/schemathesis.sh`) checks every response against them.
//! They are never built. A field the value always has but may be `null` is `Option` and
//! `required = true`.
#![allow(dead_code)]

use serde::Serialize;
use utoipa::ToSchema;

/// One job: a department's check of one visit of a run plan (`jobs::view`).
#[derive(Serialize, ToSchema)]
#[schema(as = Job)]
pub struct Job {
    id: i64,
    batch: String,
    visit: String,
    department: String,
    #[schema(pattern = "^[0-9A-HJ-NP-RTUWXY]{18}$")]
    uscc: String,
    region: String,
    period: i64,
    #[schema(format = Date)]
    period_from: String,
    #[schema(format = Date)]
    period_to: String,
    /// The plan's task ids.
    tasks: Vec<String>,
    /// Item codes.
    items: Vec<String>,
    /// planned, notified, done or not-carried-out.
    state: String,
    #[schema(required = true)]
    notified_on: Option<String>,
    /// Why it was not carried out: deregistered, closed, moved-out or member-unavailable.
    #[schema(required = true)]
    reason: Option<String>,
    /// The reason in Chinese.
    #[schema(required = true)]
    reason_zh: Option<String>,
    note: String,
    #[schema(required = true)]
    approved_by: Option<String>,
    #[schema(required = true)]
    approved_on: Option<String>,
    /// The inspection code, once approved (`docs/results.md` §12).
    #[schema(required = true)]
    code: Option<String>,
    /// The job this one substitutes for (`docs/results.md` §1.4).
    #[schema(required = true)]
    substitute_for: Option<i64>,
    team: Vec<Member>,
    /// Every result version (`GET /inspection-jobs/{id}` only).
    #[schema(nullable = false)]
    results: Option<Vec<InspectionResult>>,
    /// The substitute enterprise's new job (`POST /inspection-jobs/{id}/substitute` only).
    #[schema(nullable = false, no_recursion)]
    substitute: Option<Box<Job>>,
}

/// The substitute enterprises of a revealed batch (`docs/results.md` §1.4).
#[derive(Serialize, ToSchema)]
pub struct Substitutes {
    batch: String,
    substitutes: Vec<Substitution>,
}

/// One substitution, in recorded order.
#[derive(Serialize, ToSchema)]
pub struct Substitution {
    /// The ended job.
    job: i64,
    visit: String,
    department: String,
    #[schema(pattern = "^[0-9A-HJ-NP-RTUWXY]{18}$")]
    uscc: String,
    /// deregistered, closed or moved-out.
    reason: String,
    substitute_job: i64,
    substitute_visit: String,
    #[schema(pattern = "^[0-9A-HJ-NP-RTUWXY]{18}$")]
    substitute_uscc: String,
    /// The substitute's drawn team with each member's priority.
    team: Vec<SubstituteMember>,
}

/// A drawn member of a substitute's team.
#[derive(Serialize, ToSchema)]
pub struct SubstituteMember {
    inspector: String,
    priority: String,
}

/// A member of a job's team.
#[derive(Serialize, ToSchema)]
#[schema(as = JobMember)]
pub struct Member {
    inspector: String,
    /// drawn or replacement.
    source: String,
    priority: String,
    /// 1 while on the team, 0 once replaced.
    active: i64,
    #[schema(required = true)]
    replaces: Option<String>,
    #[schema(required = true)]
    reason: Option<String>,
    #[schema(required = true)]
    recorded_on: Option<String>,
}

/// One item's outcome.
#[derive(Serialize, ToSchema)]
pub struct ItemOutcome {
    item: String,
    category: String,
    category_zh: String,
}

/// One result version (`results::view`).
#[derive(Serialize, ToSchema)]
#[schema(as = InspectionResult)]
pub struct InspectionResult {
    id: i64,
    job_id: i64,
    version: i64,
    #[schema(pattern = "^[0-9A-HJ-NP-RTUWXY]{18}$")]
    uscc: String,
    department: String,
    entered_by: String,
    #[schema(format = Date)]
    checked_on: String,
    method: String,
    method_zh: String,
    items: Vec<ItemOutcome>,
    categories: Vec<String>,
    follow_up: String,
    #[schema(required = true)]
    follow_up_done_on: Option<String>,
    #[schema(format = Date)]
    due_on: String,
    #[schema(required = true)]
    published_on: Option<String>,
    /// A correction's reason.
    #[schema(required = true)]
    reason: Option<String>,
    recorded_at: String,
    actor: String,
}

/// An unpublished version past its due date.
#[derive(Serialize, ToSchema)]
pub struct OverdueResult {
    result: InspectionResult,
    #[schema(format = Date)]
    due_on: String,
    working_days_late: u32,
}

/// A result category.
#[derive(Serialize, ToSchema)]
pub struct Category {
    code: String,
    name: String,
}

/// A rule of `seeds/result-credit-rules.csv`: results of `category` propose a record of `kind`.
#[derive(Serialize, ToSchema)]
pub struct CreditRule {
    category: String,
    kind: String,
    basis: String,
}

/// The result categories and the credit rule table.
#[derive(Serialize, ToSchema)]
pub struct Categories {
    categories: Vec<Category>,
    credit_rules: Vec<CreditRule>,
}

/// A credit proposal raised by a result.
#[derive(Serialize, ToSchema)]
#[schema(as = Proposal)]
pub struct Proposal {
    id: i64,
    result_id: i64,
    #[schema(pattern = "^[0-9A-HJ-NP-RTUWXY]{18}$")]
    uscc: String,
    department: String,
    category: String,
    kind: String,
    basis: String,
    /// proposed, confirmed or rejected.
    state: String,
    #[schema(required = true)]
    decided_by: Option<String>,
    #[schema(required = true)]
    decided_on: Option<String>,
    #[schema(required = true)]
    reason: Option<String>,
    /// The credit record a confirmation created.
    #[schema(required = true)]
    record_id: Option<i64>,
    created_at: String,
}

/// What a results import did.
#[derive(Serialize, ToSchema)]
#[schema(as = ResultsImport)]
pub struct ResultsImport {
    file: String,
    results: u64,
    proposals: u64,
}

/// A published result as the public record shows it (`public::view`).
#[derive(Serialize, ToSchema)]
pub struct PublicResult {
    #[schema(pattern = "^[0-9A-HJ-NP-RTUWXY]{18}$")]
    uscc: String,
    enterprise: String,
    batch: String,
    visit: String,
    department: String,
    inspecting_body: String,
    /// Always 双随机抽查.
    #[serde(rename = "type")]
    kind: String,
    #[schema(format = Date)]
    checked_on: String,
    method: String,
    method_zh: String,
    /// The categories' Chinese names, joined with ；.
    result: String,
    categories: Vec<String>,
    items: Vec<ItemOutcome>,
    follow_up: String,
    #[schema(required = true)]
    follow_up_done_on: Option<String>,
    version: i64,
    #[schema(required = true)]
    correction_reason: Option<String>,
    #[schema(format = Date)]
    published_on: String,
}

/// 抽查检查结果信息 of one enterprise.
#[derive(Serialize, ToSchema)]
pub struct EnterpriseResults {
    uscc: String,
    results: Vec<PublicResult>,
}

/// 抽查结果公告 of one batch.
#[derive(Serialize, ToSchema)]
pub struct BatchResults {
    batch: String,
    results: Vec<PublicResult>,
}

/// An item of an announced task.
#[derive(Serialize, ToSchema)]
pub struct AnnouncedItem {
    code: String,
    name: String,
}

/// How many of each tier a task draws (as written in the policy).
#[derive(Serialize, ToSchema)]
pub struct Quota {
    #[serde(rename = "A")]
    a: String,
    #[serde(rename = "B")]
    b: String,
    #[serde(rename = "C")]
    c: String,
    #[serde(rename = "D")]
    d: String,
}

/// Whom a task may draw.
#[derive(Serialize, ToSchema)]
pub struct Scope {
    regions: Vec<String>,
    industries: Vec<String>,
    quota: Quota,
}

/// A drawn enterprise, once the draw is revealed.
#[derive(Serialize, ToSchema)]
pub struct DrawnEnterprise {
    #[schema(pattern = "^[0-9A-HJ-NP-RTUWXY]{18}$")]
    uscc: String,
    name: String,
}

/// One task of an announcement.
#[derive(Serialize, ToSchema)]
pub struct AnnouncedTask {
    task: String,
    department: String,
    inspecting_body: String,
    group: String,
    /// Whether the task's group has more than one task (a joint check).
    joint: bool,
    /// 定向 or 不定向.
    #[serde(rename = "type")]
    kind: String,
    items: Vec<AnnouncedItem>,
    scope: Scope,
    #[schema(required = true)]
    check_from: Option<String>,
    #[schema(required = true)]
    check_to: Option<String>,
    /// How many enterprises the task drew.
    drawn: u64,
    /// The drawn enterprises, `null` until the draw is revealed.
    #[schema(required = true)]
    drawn_list: Option<Vec<DrawnEnterprise>>,
}

/// 抽查任务公告 of a run batch.
#[derive(Serialize, ToSchema)]
pub struct Announcement {
    batch: String,
    /// run or revealed.
    state: String,
    year: i32,
    tasks: Vec<AnnouncedTask>,
}

/// A result as submitted (`crate::inspection::results::NewResult`).
#[derive(Serialize, ToSchema)]
#[schema(as = NewResult)]
pub struct NewResultBody {
    /// The team member who checked and enters (an inspector's token may omit it: its own id).
    #[schema(nullable = false)]
    inspector: Option<String>,
    /// YYYY-MM-DD, within the job's period and not in the future.
    #[schema(format = Date)]
    checked_on: String,
    /// The check method's code (`docs/results.md`).
    method: String,
    /// Item code → category (code or Chinese name): every item of the job, no other.
    items: std::collections::BTreeMap<String, String>,
    #[schema(nullable = false)]
    follow_up: Option<String>,
    #[schema(format = Date, nullable = false)]
    follow_up_done_on: Option<String>,
    /// For a correction: why (required there, refused on a first result).
    #[schema(nullable = false)]
    reason: Option<String>,
}
