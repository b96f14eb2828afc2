//! Inspection work in the workspace (`docs/workspace.md` §3.6): the jobs of a role, one job's
//! page with its steps (告知, 未实施, result entry by a member of the drawn team, publication of
//! each version, a correction as a new version), the overdue-publication list and the credit
//! office's proposal queue. Every form is CSRF-checked ([`Posted`]) and calls the same use
//! cases as the JSON API (`crate::inspection`, `docs/results.md`), dated today; a refusal
//! re-renders the page with the reason and its stable code, nothing changed.

use super::{render, Frame, Officer, Posted, Problem};
use crate::auth::{Principal, Role};
use crate::http::AppState;
use crate::inspection::catalog::{self, Categories, Method};
use crate::inspection::jobs::{self, Act, Job, JobFilter, Member};
use crate::inspection::results::{self, NewResult, StoredResult};
use crate::inspection::{proposals, publication, InspectionError};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Who sees inspection jobs (the API's `STAFF` without the credit office, which has its queue).
pub const JOB_ROLES: &[Role] = &[
    Role::Admin,
    Role::Planner,
    Role::Department,
    Role::Inspector,
];
/// Who takes a job's steps and publishes (the API's roles for notify and publish).
const DEPARTMENT: &[Role] = &[Role::Admin, Role::Department];
/// Who enters a result (the API's roles; the use case checks the team and the department).
const ENTRY: &[Role] = &[Role::Admin, Role::Department, Role::Inspector];
/// Who reads the overdue list.
pub const OVERDUE_ROLES: &[Role] = &[Role::Admin, Role::Planner, Role::Department];
/// Who decides credit proposals.
pub const CREDIT: &[Role] = &[Role::Admin, Role::Credit];

fn chrome() -> crate::web::Chrome {
    crate::web::Chrome::new("workspace")
}

fn act(p: &Principal) -> Act {
    Act {
        actor: p.actor(),
        on: crate::clock::today(),
        at: crate::clock::now(),
    }
}

/// The Chinese name of a job state.
pub fn state_zh(state: &str) -> &'static str {
    match state {
        "planned" => "待检查",
        "notified" => "已告知",
        "done" => "已检查",
        "not-carried-out" => "未实施",
        _ => "未知",
    }
}

/// The status and Chinese message of a refused step; nothing was changed.
fn refused(e: InspectionError) -> (StatusCode, String) {
    let (status, code, message) = match e {
        InspectionError::NotFound(m) => (StatusCode::NOT_FOUND, "not_found", m),
        InspectionError::Forbidden { code, message } => (StatusCode::FORBIDDEN, code, message),
        InspectionError::Invalid { code, message } => {
            (StatusCode::UNPROCESSABLE_ENTITY, code, message)
        }
        InspectionError::Conflict { code, message } => (StatusCode::CONFLICT, code, message),
        InspectionError::File(errors) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_file",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        ),
        InspectionError::Calendar(e) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_schedule",
            e.to_string(),
        ),
        InspectionError::Key(m) => {
            tracing::error!(error = %m, "inspection step");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "已记录日志".to_string(),
            )
        }
        InspectionError::Db(e) => {
            tracing::error!(error = ?e, "inspection step");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "已记录日志".to_string(),
            )
        }
    };
    (
        status,
        format!("未办理，没有做任何更改：{message}（{code}）"),
    )
}

// ---- the job list -------------------------------------------------------------------------

pub struct JobRow {
    pub id: i64,
    pub batch: String,
    pub uscc: String,
    pub department: String,
    pub period: String,
    pub state: &'static str,
    pub team: String,
}

#[derive(Template)]
#[template(path = "workspace/jobs.html")]
pub struct JobsPage {
    pub chrome: crate::web::Chrome,
    pub frame: Frame,
    pub rows: Vec<JobRow>,
    pub batch: String,
    pub state: String,
    pub states: Vec<(&'static str, &'static str)>,
    pub can_import: bool,
}

#[derive(Deserialize, Default)]
pub struct JobQuery {
    #[serde(default)]
    batch: String,
    #[serde(default)]
    state: String,
}

/// Rows shown on the list page; the API pages through the rest.
const LISTED: i64 = 500;

/// `GET /workspace/jobs`: a department officer sees its department's jobs, an inspector the
/// jobs it is an active member of (as `GET /api/v1/inspection-jobs`).
pub async fn list(
    State(s): State<AppState>,
    officer: Officer,
    Query(q): Query<JobQuery>,
) -> Response {
    let p = match officer.require(JOB_ROLES) {
        Ok(p) => p.clone(),
        Err(e) => return e.into_response(),
    };
    let mut f = JobFilter {
        batch: Some(q.batch.trim().to_string()).filter(|b| !b.is_empty()),
        state: Some(q.state.trim().to_string()).filter(|b| !b.is_empty()),
        limit: Some(LISTED),
        ..JobFilter::default()
    };
    match p.role {
        Role::Department => f.department = p.scope.clone(),
        Role::Inspector => f.inspector = p.scope.clone(),
        _ => {}
    }
    let rows = async {
        let mut conn = s.db.pool.acquire().await?;
        let mut rows = Vec::new();
        for j in jobs::list(&mut conn, &f).await? {
            let team = jobs::members(&mut conn, j.id).await?;
            rows.push(JobRow {
                id: j.id,
                batch: j.batch.clone(),
                uscc: j.uscc.clone(),
                department: j.department.clone(),
                period: format!("{} 至 {}", j.period_from, j.period_to),
                state: state_zh(&j.state),
                team: team
                    .iter()
                    .filter(|m| m.active != 0)
                    .map(|m| m.inspector.as_str())
                    .collect::<Vec<_>>()
                    .join("、"),
            });
        }
        Ok::<_, sqlx::Error>(rows)
    }
    .await;
    match rows {
        Ok(rows) => render(
            StatusCode::OK,
            &JobsPage {
                chrome: chrome(),
                frame: officer.frame(),
                rows,
                batch: q.batch,
                state: q.state,
                states: vec![
                    ("planned", "待检查"),
                    ("notified", "已告知"),
                    ("done", "已检查"),
                    ("not-carried-out", "未实施"),
                ],
                can_import: DEPARTMENT.contains(&p.role),
            },
        ),
        Err(e) => Problem::from(e).with(officer.frame()).into_response(),
    }
}

// ---- one job ------------------------------------------------------------------------------

pub struct VersionRow {
    pub id: i64,
    pub version: i64,
    pub entered_by: String,
    pub checked_on: String,
    pub method: String,
    pub result: String,
    pub items: String,
    pub follow_up: String,
    pub due_on: String,
    pub published_on: Option<String>,
    pub reason: Option<String>,
    pub latest: bool,
}

/// What the result form shows (again, after a refusal).
#[derive(Default)]
pub struct ResultForm {
    pub inspector: String,
    pub checked_on: String,
    pub method: String,
    pub items: BTreeMap<String, String>,
    pub follow_up: String,
    pub follow_up_done_on: String,
    pub reason: String,
}

impl ResultForm {
    /// The category chosen for `item`, or "".
    pub fn item(&self, item: &str) -> &str {
        self.items.get(item).map_or("", String::as_str)
    }
}

#[derive(Template)]
#[template(path = "workspace/job.html")]
pub struct JobPage {
    pub chrome: crate::web::Chrome,
    pub frame: Frame,
    pub job: Job,
    pub state: &'static str,
    pub reason: &'static str,
    pub team: Vec<Member>,
    pub items: Vec<String>,
    pub versions: Vec<VersionRow>,
    pub categories: Vec<(String, String)>,
    pub methods: Vec<(&'static str, &'static str)>,
    pub reasons: Vec<(&'static str, &'static str)>,
    pub today: String,
    /// The caller may approve the job (its department officer or an admin).
    pub approver: bool,
    /// The caller may notify, end and publish (its department's job, or an admin).
    pub steps: bool,
    /// The caller may enter a result or a correction.
    pub entry: bool,
    /// An inspector enters as itself: no choice of member.
    pub as_self: Option<String>,
    pub form: ResultForm,
    pub message: Option<String>,
    pub error: Option<String>,
}

impl JobPage {
    pub fn is_open(&self) -> bool {
        self.job.state().is_open()
    }

    /// The latest version's id, if the job has one (a correction corrects it).
    pub fn latest(&self) -> Option<i64> {
        self.versions.iter().find(|v| v.latest).map(|v| v.id)
    }
}

fn version_row(r: &StoredResult, cats: &Categories, latest: bool) -> VersionRow {
    VersionRow {
        id: r.id,
        version: r.version,
        entered_by: r.entered_by.clone(),
        checked_on: r.checked_on.clone(),
        method: Method::parse(&r.method)
            .map(|m| m.name_zh().to_string())
            .unwrap_or_else(|_| r.method.clone()),
        result: r
            .categories
            .split(';')
            .filter(|c| !c.is_empty())
            .map(|c| cats.name(c))
            .collect::<Vec<_>>()
            .join("；"),
        items: r
            .item_results
            .split(';')
            .filter_map(|p| p.split_once('='))
            .map(|(i, c)| format!("{i}：{}", cats.name(c)))
            .collect::<Vec<_>>()
            .join("；"),
        follow_up: r.follow_up.clone(),
        due_on: r.due_on.clone(),
        published_on: r.published_on.clone(),
        reason: r.reason.clone(),
        latest,
    }
}

async fn job_page(
    s: &AppState,
    officer: &Officer,
    id: i64,
    status: StatusCode,
    form: Option<ResultForm>,
    message: Option<String>,
    error: Option<String>,
) -> Response {
    let p = officer.principal().clone();
    let loaded = async {
        let mut conn = s.db.pool.acquire().await?;
        let job = jobs::find(&mut conn, id).await?;
        let Some(job) = job else {
            return Ok(None);
        };
        let team = jobs::members(&mut conn, id).await?;
        let cats = Categories::load(&mut conn).await?;
        let stored = results::versions(&mut conn, id).await?;
        let last = stored.iter().map(|r| r.version).max();
        let versions = stored
            .iter()
            .map(|r| version_row(r, &cats, Some(r.version) == last))
            .collect();
        Ok::<_, sqlx::Error>(Some((job, team, cats, versions)))
    }
    .await;
    let (job, team, cats, versions) = match loaded {
        Ok(Some(found)) => found,
        Ok(None) => {
            return Problem::new(
                StatusCode::NOT_FOUND,
                "没有这个检查任务",
                format!("没有编号为 {id} 的检查任务。"),
            )
            .with(officer.frame())
            .into_response()
        }
        Err(e) => return Problem::from(e).with(officer.frame()).into_response(),
    };
    let steps = jobs::check_department(&p, &job).is_ok() && DEPARTMENT.contains(&p.role);
    let entry = match p.role {
        Role::Inspector => jobs::is_active_member(&p, &team),
        Role::Department | Role::Admin => steps,
        _ => false,
    };
    let as_self = (p.role == Role::Inspector)
        .then(|| p.scope.clone())
        .flatten();
    let today = crate::clock::today().to_string();
    let form = form.unwrap_or_else(|| ResultForm {
        checked_on: today.clone(),
        method: "on-site".into(),
        ..ResultForm::default()
    });
    render(
        status,
        &JobPage {
            chrome: chrome(),
            frame: officer.frame(),
            state: state_zh(&job.state),
            reason: job.reason.as_deref().map_or("", catalog::not_done_name),
            items: job.items(),
            job,
            team,
            versions,
            categories: cats.0,
            methods: catalog::methods().collect(),
            reasons: catalog::not_done_reasons().collect(),
            today,
            approver: steps && matches!(p.role, Role::Admin | Role::Department),
            steps,
            entry,
            as_self,
            form,
            message,
            error,
        },
    )
}

/// `GET /workspace/jobs/{id}`.
pub async fn one(State(s): State<AppState>, officer: Officer, Path(id): Path<i64>) -> Response {
    if let Err(p) = officer.require(JOB_ROLES) {
        return p.into_response();
    }
    job_page(&s, &officer, id, StatusCode::OK, None, None, None).await
}

/// The form's fields in order; `item.CODE` fields carry each item's category.
type Fields = Vec<(String, String)>;

fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.trim())
}

fn result_form(fields: &Fields) -> ResultForm {
    ResultForm {
        inspector: field(fields, "inspector").to_string(),
        checked_on: field(fields, "checked_on").to_string(),
        method: field(fields, "method").to_string(),
        items: fields
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("item.")?.to_string(), v.trim().into())))
            .collect(),
        follow_up: field(fields, "follow_up").to_string(),
        follow_up_done_on: field(fields, "follow_up_done_on").to_string(),
        reason: field(fields, "reason").to_string(),
    }
}

fn new_result(form: &ResultForm, correction: bool) -> NewResult {
    NewResult {
        inspector: Some(form.inspector.clone()).filter(|i| !i.is_empty()),
        checked_on: form.checked_on.clone(),
        method: form.method.clone(),
        items: form.items.clone(),
        follow_up: form.follow_up.clone(),
        follow_up_done_on: Some(form.follow_up_done_on.clone()).filter(|d| !d.is_empty()),
        reason: correction.then(|| form.reason.clone()),
    }
}

/// `POST /workspace/jobs/{id}/{action}`: `notify`, `not-carried-out` or `result`, today.
pub async fn job_step(
    State(s): State<AppState>,
    Path((id, action)): Path<(i64, String)>,
    posted: Posted<Fields>,
) -> Response {
    let Posted { officer, form } = posted;
    let roles = if action == "result" {
        ENTRY
    } else {
        DEPARTMENT
    };
    let p = match officer.require(roles) {
        Ok(p) => p.clone(),
        Err(e) => return e.into_response(),
    };
    let mut act = act(&p);
    let on = field(&form, "on");
    if !on.is_empty() {
        match chrono::NaiveDate::parse_from_str(on, "%Y-%m-%d") {
            Ok(d) => act.on = d,
            Err(_) => {
                let m =
                    format!("未办理，没有做任何更改：日期“{on}”不是 YYYY-MM-DD 格式（invalid）");
                return job_page(
                    &s,
                    &officer,
                    id,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    None,
                    None,
                    Some(m),
                )
                .await;
            }
        }
    }
    let mut entered = None;
    let done = match action.as_str() {
        "approve" => crate::inspection::codes::approve(&s.db, &s.code_key, &p, id, &act)
            .await
            .map(|j| {
                format!(
                    "已批准（{}），检查码 {}。",
                    j.approved_on.unwrap_or_default(),
                    j.code.unwrap_or_default()
                )
            }),
        "notify" => jobs::notify(&s.db, &p, id, &act)
            .await
            .map(|j| format!("已登记告知（{}）。", j.notified_on.unwrap_or_default())),
        "not-carried-out" => jobs::not_carried_out(&s.db, &p, id, field(&form, "reason"), &act)
            .await
            .map(|j| {
                format!(
                    "已登记为未实施：{}。",
                    catalog::not_done_name(j.reason.as_deref().unwrap_or(""))
                )
            }),
        "result" => {
            let f = result_form(&form);
            let new = new_result(&f, false);
            entered = Some(f);
            results::record(&s.db, &p, id, new, &act.at, act.on)
                .await
                .map(|r| {
                    format!(
                        "已录入检查结果（第 {} 版），应于 {} 前公示。",
                        r.version, r.due_on
                    )
                })
        }
        _ => {
            return Problem::new(
                StatusCode::NOT_FOUND,
                "没有这个操作",
                "检查任务的操作只有批准、告知、未实施和录入结果。",
            )
            .with(officer.frame())
            .into_response()
        }
    };
    match done {
        Ok(m) => job_page(&s, &officer, id, StatusCode::OK, None, Some(m), None).await,
        Err(e) => {
            let (status, m) = refused(e);
            job_page(&s, &officer, id, status, entered, None, Some(m)).await
        }
    }
}

/// `POST /workspace/results/{id}/{action}`: `publish` (today) or `correct` (a new version with
/// its reason); the page shown afterwards is the job's.
pub async fn result_step(
    State(s): State<AppState>,
    Path((id, action)): Path<(i64, String)>,
    posted: Posted<Fields>,
) -> Response {
    let Posted { officer, form } = posted;
    let roles = if action == "correct" {
        ENTRY
    } else {
        DEPARTMENT
    };
    let p = match officer.require(roles) {
        Ok(p) => p.clone(),
        Err(e) => return e.into_response(),
    };
    let job_id = {
        let found = async {
            let mut conn = s.db.pool.acquire().await?;
            results::get(&mut conn, id).await
        }
        .await;
        match found {
            Ok(r) => r.job_id,
            Err(e) => {
                let (status, m) = refused(e);
                return Problem::new(status, "没有这条检查结果", m)
                    .with(officer.frame())
                    .into_response();
            }
        }
    };
    let act = act(&p);
    let mut entered = None;
    let done = match action.as_str() {
        "publish" => publication::publish(&s.db, &p, id, &act).await.map(|r| {
            format!(
                "第 {} 版已公示（{}），公众可在抽查结果公告中看到。",
                r.version,
                r.published_on.unwrap_or_default()
            )
        }),
        "correct" => {
            let f = result_form(&form);
            let new = new_result(&f, true);
            entered = Some(f);
            publication::correct(&s.db, &p, id, new, &act, act.on)
                .await
                .map(|r| {
                    format!(
                        "已录入更正（第 {} 版），原版本继续公示；更正应于 {} 前公示。",
                        r.version, r.due_on
                    )
                })
        }
        _ => {
            return Problem::new(
                StatusCode::NOT_FOUND,
                "没有这个操作",
                "检查结果的操作只有公示和更正。",
            )
            .with(officer.frame())
            .into_response()
        }
    };
    match done {
        Ok(m) => job_page(&s, &officer, job_id, StatusCode::OK, None, Some(m), None).await,
        Err(e) => {
            let (status, m) = refused(e);
            job_page(&s, &officer, job_id, status, entered, None, Some(m)).await
        }
    }
}

// ---- overdue publications -----------------------------------------------------------------

pub struct OverdueRow {
    pub result: i64,
    pub job: i64,
    pub version: i64,
    pub uscc: String,
    pub department: String,
    pub checked_on: String,
    pub due_on: String,
    pub late: u32,
}

#[derive(Template)]
#[template(path = "workspace/overdue.html")]
pub struct OverduePage {
    pub chrome: crate::web::Chrome,
    pub frame: Frame,
    pub today: String,
    pub rows: Vec<OverdueRow>,
}

/// `GET /workspace/results/overdue`: unpublished versions past their due date, most overdue
/// first (a department officer sees its own department's).
pub async fn overdue(State(s): State<AppState>, officer: Officer) -> Response {
    let p = match officer.require(OVERDUE_ROLES) {
        Ok(p) => p.clone(),
        Err(e) => return e.into_response(),
    };
    let today = crate::clock::today();
    let department = (p.role == Role::Department)
        .then(|| p.scope.clone())
        .flatten();
    let late = async {
        let mut conn = s.db.pool.acquire().await?;
        publication::overdue(&mut conn, today, department.as_deref(), 1000).await
    }
    .await;
    match late {
        Ok(late) => render(
            StatusCode::OK,
            &OverduePage {
                chrome: chrome(),
                frame: officer.frame(),
                today: today.to_string(),
                rows: late
                    .into_iter()
                    .map(|o| OverdueRow {
                        result: o.result.id,
                        job: o.result.job_id,
                        version: o.result.version,
                        uscc: o.result.uscc,
                        department: o.result.department,
                        checked_on: o.result.checked_on,
                        due_on: o.result.due_on,
                        late: o.working_days_late,
                    })
                    .collect(),
            },
        ),
        Err(e) => {
            let (status, m) = refused(e);
            Problem::new(status, "无法列出逾期未公示的结果", m)
                .with(officer.frame())
                .into_response()
        }
    }
}

// ---- credit proposals ---------------------------------------------------------------------

pub struct ProposalRow {
    pub id: i64,
    pub result: i64,
    pub uscc: String,
    pub department: String,
    pub category: String,
    pub kind: String,
    pub basis: String,
    pub created_at: String,
}

#[derive(Template)]
#[template(path = "workspace/proposals.html")]
pub struct ProposalsPage {
    pub chrome: crate::web::Chrome,
    pub frame: Frame,
    pub today: String,
    pub rows: Vec<ProposalRow>,
    pub message: Option<String>,
    pub error: Option<String>,
}

/// The Chinese name of a proposed credit record kind.
fn kind_zh(kind: &str) -> String {
    crate::credit::record::RecordKind::parse(kind)
        .map(|k| k.label_zh().to_string())
        .unwrap_or_else(|_| kind.to_string())
}

async fn proposals_page(
    s: &AppState,
    officer: &Officer,
    status: StatusCode,
    message: Option<String>,
    error: Option<String>,
) -> Response {
    let rows = async {
        let mut conn = s.db.pool.acquire().await?;
        let cats = Categories::load(&mut conn).await?;
        let list = proposals::list(&mut conn, Some("proposed"), None).await?;
        Ok::<_, sqlx::Error>(
            list.into_iter()
                .map(|p| ProposalRow {
                    id: p.id,
                    result: p.result_id,
                    uscc: p.uscc,
                    department: p.department,
                    category: cats.name(&p.category),
                    kind: kind_zh(&p.kind),
                    basis: p.basis,
                    created_at: p.created_at,
                })
                .collect::<Vec<_>>(),
        )
    }
    .await;
    match rows {
        Ok(rows) => render(
            status,
            &ProposalsPage {
                chrome: chrome(),
                frame: officer.frame(),
                today: crate::clock::today().to_string(),
                rows,
                message,
                error,
            },
        ),
        Err(e) => Problem::from(e).with(officer.frame()).into_response(),
    }
}

/// `GET /workspace/proposals`: the proposals waiting for the credit office.
pub async fn proposals(State(s): State<AppState>, officer: Officer) -> Response {
    if let Err(p) = officer.require(CREDIT) {
        return p.into_response();
    }
    proposals_page(&s, &officer, StatusCode::OK, None, None).await
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    document_no: String,
    #[serde(default)]
    decided_on: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    reason: String,
}

/// `POST /workspace/proposals/{id}/{action}`: `confirm` (creates the credit record) or
/// `reject` (with a reason).
pub async fn decide(
    State(s): State<AppState>,
    Path((id, action)): Path<(i64, String)>,
    posted: Posted<DecisionForm>,
) -> Response {
    let Posted { officer, form } = posted;
    let p = match officer.require(CREDIT) {
        Ok(p) => p.clone(),
        Err(e) => return e.into_response(),
    };
    let act = act(&p);
    let done = match action.as_str() {
        "confirm" => {
            let decided_on = if form.decided_on.trim().is_empty() {
                Ok(act.on)
            } else {
                chrono::NaiveDate::parse_from_str(form.decided_on.trim(), "%Y-%m-%d").map_err(
                    |_| {
                        InspectionError::invalid(
                            "invalid",
                            format!("决定日期“{}”不是 YYYY-MM-DD 格式", form.decided_on),
                        )
                    },
                )
            };
            match decided_on {
                Ok(decided_on) => {
                    let c = proposals::Confirmation {
                        document_no: form.document_no.trim().to_string(),
                        decided_on,
                        summary: form.summary.trim().to_string(),
                    };
                    proposals::confirm(&s.db, &s.rules, id, c, &act)
                        .await
                        .map(|_| format!("建议 {id} 已确认，已生成信用记录，信用等级已重新计算。"))
                }
                Err(e) => Err(e),
            }
        }
        "reject" => proposals::reject(&s.db, id, form.reason.trim(), &act)
            .await
            .map(|_| format!("建议 {id} 已驳回。")),
        _ => {
            return Problem::new(
                StatusCode::NOT_FOUND,
                "没有这个操作",
                "信用处置建议的操作只有确认和驳回。",
            )
            .with(officer.frame())
            .into_response()
        }
    };
    match done {
        Ok(m) => proposals_page(&s, &officer, StatusCode::OK, Some(m), None).await,
        Err(e) => {
            let (status, m) = refused(e);
            proposals_page(&s, &officer, status, None, Some(format!("建议 {id}：{m}"))).await
        }
    }
}

/// The scan URL of a code: `DUALDRAW_PUBLIC_URL` (e.g. `https://sjs.example.gov.cn`), else the
/// address this request came to.
fn scan_url(headers: &axum::http::HeaderMap, code: &str) -> String {
    let base = std::env::var("DUALDRAW_PUBLIC_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .map(|u| u.trim().trim_end_matches('/').to_string())
        .unwrap_or_else(|| {
            let host = headers
                .get(axum::http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost");
            format!("http://{host}")
        });
    format!("{base}/code/{code}")
}

/// `GET /workspace/jobs/{id}/code.svg`: the QR image of the approved job's scan URL.
pub async fn code_svg(
    State(s): State<AppState>,
    officer: Officer,
    Path(id): Path<i64>,
    headers: axum::http::HeaderMap,
) -> Response {
    if let Err(p) = officer.require(JOB_ROLES) {
        return p.into_response();
    }
    let job = match s.db.pool.acquire().await {
        Ok(mut conn) => jobs::find(&mut conn, id).await,
        Err(e) => Err(e),
    };
    let code = match job {
        Ok(Some(j)) => j.code,
        Ok(None) => None,
        Err(e) => return Problem::from(e).with(officer.frame()).into_response(),
    };
    let Some(code) = code else {
        return Problem::new(
            StatusCode::NOT_FOUND,
            "没有检查码",
            format!("检查任务 {id} 不存在或尚未批准，没有检查码。"),
        )
        .with(officer.frame())
        .into_response();
    };
    match crate::inspection::codes::qr_svg(&scan_url(&headers, &code)) {
        Ok(svg) => (
            [
                (axum::http::header::CONTENT_TYPE, "image/svg+xml"),
                (axum::http::header::CACHE_CONTROL, "no-store"),
            ],
            svg,
        )
            .into_response(),
        Err(e) => Problem::internal(e).with(officer.frame()).into_response(),
    }
}
