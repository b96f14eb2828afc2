//! Credit repair requests (信用修复, `docs/domain.md`, "Credit repair"): who may ask, and the life of
//! a request from filing to decision, with its deadlines in official working days.
//!
//! Sources: 国家发展改革委令第36号 (信用修复管理办法, in force 2026-04-01); 国市监信规〔2021〕3号
//! (市场监督管理信用修复管理办法); 国办发〔2025〕22号. Conditions: the minimum publicity period has
//! passed, the obligations are met (proof), a public credit commitment (信用承诺书) is given, and
//! the same kind of violation was not repeated. Intake and decision deadlines are sector
//! settings ([`RepairSettings`]).
//!
//! A request is an enum of its states; each transition consumes one state and returns the next,
//! so an impossible transition (approving a refused request) does not compile.

use crate::calendar::{CalendarError, WorkCalendar};
use crate::credit::record::{CreditRecord, RecordStatus};
use crate::credit::rules::{RepairRule, RuleTable};
use chrono::NaiveDate;
use dualdraw_solver::Uscc;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One act on a request: who, on which (working) day, and the exact time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Who acted (applicant or officer id).
    pub by: String,
    /// The day of the act; deadlines count from it.
    pub on: NaiveDate,
    /// RFC 3339 timestamp given by the caller.
    pub at: String,
}

/// Filed, waiting for intake.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Submitted {
    pub filed: Step,
    pub intake_due: NaiveDate,
}

/// Accepted at intake, waiting for the decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Accepted {
    pub filed: Step,
    pub intake_due: NaiveDate,
    pub intake: Step,
    pub decision_due: NaiveDate,
}

/// Refused at intake (final).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refused {
    pub filed: Step,
    pub intake_due: NaiveDate,
    pub intake: Step,
    pub reasons: Vec<String>,
}

/// Approved: the record's publicity ends on the decision day (final).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Approved {
    pub filed: Step,
    pub intake_due: NaiveDate,
    pub intake: Step,
    pub decision_due: NaiveDate,
    pub decision: Step,
}

/// Denied after examination (final).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Denied {
    pub filed: Step,
    pub intake_due: NaiveDate,
    pub intake: Step,
    pub decision_due: NaiveDate,
    pub decision: Step,
    pub reasons: Vec<String>,
}

/// The state of a request; serialized as `"state": "accepted"` next to that state's fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum RepairState {
    /// Filed, waiting for intake.
    Submitted(Submitted),
    /// Accepted, waiting for the decision.
    Accepted(Accepted),
    /// Refused at intake.
    Refused(Refused),
    /// Approved: publicity ended.
    Approved(Approved),
    /// Denied.
    Denied(Denied),
}

impl RepairState {
    /// `submitted`, `accepted`, `refused`, `approved` or `denied`.
    pub fn name(&self) -> &'static str {
        match self {
            RepairState::Submitted(_) => "submitted",
            RepairState::Accepted(_) => "accepted",
            RepairState::Refused(_) => "refused",
            RepairState::Approved(_) => "approved",
            RepairState::Denied(_) => "denied",
        }
    }

    /// The filing step, present in every state.
    pub fn filed(&self) -> &Step {
        match self {
            RepairState::Submitted(s) => &s.filed,
            RepairState::Accepted(s) => &s.filed,
            RepairState::Refused(s) => &s.filed,
            RepairState::Approved(s) => &s.filed,
            RepairState::Denied(s) => &s.filed,
        }
    }

    /// Whether the request still waits for an act (submitted or accepted).
    pub fn is_open(&self) -> bool {
        matches!(self, RepairState::Submitted(_) | RepairState::Accepted(_))
    }
}

/// Processing deadlines, set per sector (`docs/domain.md`: local practice decides within 10 working
/// days).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepairSettings {
    /// Working days from filing to intake (accept or refuse).
    pub intake_workdays: u32,
    /// Working days from acceptance to decision.
    pub decision_workdays: u32,
}

impl Default for RepairSettings {
    fn default() -> Self {
        RepairSettings {
            intake_workdays: 3,
            decision_workdays: 10,
        }
    }
}

/// A credit repair request for one record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RepairRequest {
    /// Database id; 0 before the request is stored.
    pub id: i64,
    /// The credit record to repair.
    pub record_id: i64,
    /// The enterprise that asks.
    #[serde(serialize_with = "crate::serde_display")]
    pub uscc: Uscc,
    /// The credit commitment letter (信用承诺书).
    pub commitment: String,
    /// Proof that every obligation is met.
    pub proof: String,
    /// Where the request stands, with every step so far.
    #[serde(flatten)]
    pub state: RepairState,
}

/// Files a request: intake is due `intake_workdays` working days after filing.
pub fn file(
    filed: Step,
    cal: &WorkCalendar,
    s: &RepairSettings,
) -> Result<Submitted, CalendarError> {
    let intake_due = cal.add_workdays(filed.on, s.intake_workdays)?;
    Ok(Submitted { filed, intake_due })
}

impl Submitted {
    /// Accepts at intake: the decision is due `decision_workdays` working days later.
    pub fn accept(
        self,
        intake: Step,
        cal: &WorkCalendar,
        s: &RepairSettings,
    ) -> Result<Accepted, CalendarError> {
        let decision_due = cal.add_workdays(intake.on, s.decision_workdays)?;
        Ok(Accepted {
            filed: self.filed,
            intake_due: self.intake_due,
            intake,
            decision_due,
        })
    }

    /// Refuses at intake with the reasons given to the applicant.
    pub fn refuse(self, intake: Step, reasons: Vec<String>) -> Refused {
        Refused {
            filed: self.filed,
            intake_due: self.intake_due,
            intake,
            reasons,
        }
    }
}

impl Accepted {
    /// Approves: publicity of the record ends on `decision.on` (see [`repaired_record`]).
    pub fn approve(self, decision: Step) -> Approved {
        Approved {
            filed: self.filed,
            intake_due: self.intake_due,
            intake: self.intake,
            decision_due: self.decision_due,
            decision,
        }
    }

    /// Denies with the reasons given to the applicant.
    pub fn deny(self, decision: Step, reasons: Vec<String>) -> Denied {
        Denied {
            filed: self.filed,
            intake_due: self.intake_due,
            intake: self.intake,
            decision_due: self.decision_due,
            decision,
            reasons,
        }
    }
}

/// The record after an approved repair: publicity ends on the decision day, all at once.
pub fn repaired_record(record: &CreditRecord, approved: &Approved) -> CreditRecord {
    CreditRecord {
        status: RecordStatus::Repaired,
        ended_on: Some(approved.decision.on),
        ..record.clone()
    }
}

/// Why a record cannot be repaired now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "kebab-case")]
pub enum Ineligible {
    /// Not in publicity: expired, repaired, revoked, or not yet decided.
    NotInPublicity {
        /// The record's status on the date asked about.
        status: String,
    },
    /// The kind's repair rule is `never` (commendations).
    NotRepairable,
    /// Licence revoked or business banned: publicity runs its full term.
    NeverEndsEarly,
    /// The minimum publicity period has not passed.
    MinimumNotReached {
        /// The first day repair may be asked.
        min_until: NaiveDate,
    },
    /// No credit commitment letter.
    CommitmentMissing,
    /// No proof that the obligations are met.
    ProofMissing,
    /// A later record of the same kind is in publicity.
    RepeatViolation {
        /// The later record's document number.
        document_no: String,
        /// The later record's decision date.
        decided_on: NaiveDate,
    },
}

impl fmt::Display for Ineligible {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ineligible::NotInPublicity { status } => {
                write!(f, "record is not in publicity (status: {status})")
            }
            Ineligible::NotRepairable => {
                f.write_str("commendations are not subject to credit repair")
            }
            Ineligible::NeverEndsEarly => {
                f.write_str("record kind can never end early (licence revoked or business banned)")
            }
            Ineligible::MinimumNotReached { min_until } => {
                write!(f, "minimum publicity period runs until {min_until}")
            }
            Ineligible::CommitmentMissing => {
                f.write_str("credit commitment letter (信用承诺书) missing")
            }
            Ineligible::ProofMissing => f.write_str("proof that every obligation is met missing"),
            Ineligible::RepeatViolation {
                document_no,
                decided_on,
            } => write!(
                f,
                "repeat violation of the same kind: {} decided {} after this record",
                document_no, decided_on
            ),
        }
    }
}

/// Every reason `record` cannot be repaired on `on`; empty when it can. `same_enterprise` holds
/// the enterprise's records (it may include `record` itself).
pub fn check_eligibility(
    record: &CreditRecord,
    same_enterprise: &[CreditRecord],
    rules: &RuleTable,
    commitment: &str,
    proof: &str,
    on: NaiveDate,
) -> Vec<Ineligible> {
    let mut problems = Vec::new();
    if !record.in_publicity(on) {
        let status = if on < record.decided_on {
            "not yet decided"
        } else {
            record.status_on(on)
        };
        problems.push(Ineligible::NotInPublicity {
            status: status.to_string(),
        });
    }
    if rules.rule(record.kind).repair == RepairRule::Never {
        problems.push(Ineligible::NotRepairable);
    }
    if !record.early_end_allowed {
        problems.push(Ineligible::NeverEndsEarly);
    }
    if on < record.publicity_min_until {
        problems.push(Ineligible::MinimumNotReached {
            min_until: record.publicity_min_until,
        });
    }
    if commitment.trim().is_empty() {
        problems.push(Ineligible::CommitmentMissing);
    }
    if proof.trim().is_empty() {
        problems.push(Ineligible::ProofMissing);
    }
    let mut repeats: Vec<&CreditRecord> = same_enterprise
        .iter()
        .filter(|r| r.uscc == record.uscc && r.kind == record.kind)
        .filter(|r| (&r.department, &r.document_no) != (&record.department, &record.document_no))
        .filter(|r| r.decided_on > record.decided_on && r.in_publicity(on))
        .collect();
    repeats.sort_by(|a, b| (a.decided_on, &a.document_no).cmp(&(b.decided_on, &b.document_no)));
    problems.extend(repeats.into_iter().map(|r| Ineligible::RepeatViolation {
        document_no: r.document_no.clone(),
        decided_on: r.decided_on,
    }));
    problems
}

/// An open request past its deadline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Overdue {
    /// `intake` or `decision`.
    pub step: &'static str,
    /// The missed deadline.
    pub due: NaiveDate,
    /// Working days in `(due, today]`.
    pub working_days_late: u32,
}

impl RepairRequest {
    /// The open step and its deadline, if the request waits for one.
    fn pending(&self) -> Option<(&'static str, NaiveDate)> {
        match &self.state {
            RepairState::Submitted(s) => Some(("intake", s.intake_due)),
            RepairState::Accepted(s) => Some(("decision", s.decision_due)),
            _ => None,
        }
    }

    /// Whether the request is past its intake or decision deadline on `today`, and by how many
    /// official working days; an error when that count runs into a year without a schedule.
    pub fn overdue(
        &self,
        today: NaiveDate,
        cal: &WorkCalendar,
    ) -> Result<Option<Overdue>, CalendarError> {
        match self.pending().filter(|(_, due)| today > *due) {
            None => Ok(None),
            Some((step, due)) => Ok(Some(Overdue {
                step,
                due,
                working_days_late: cal.workdays_between(due, today)?,
            })),
        }
    }

    /// The JSON the API returns: the request's fields, `"state"` and that state's steps.
    pub fn view(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a repair request always serializes")
    }
}

/// The flat form of a request stored in the database; dates are `YYYY-MM-DD`, `reasons` a JSON
/// array of strings (`[]` when none).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepairRow {
    pub id: i64,
    pub record_id: i64,
    pub uscc: String,
    pub state: String,
    pub commitment: String,
    pub proof: String,
    pub filed_by: String,
    pub filed_on: String,
    pub filed_at: String,
    pub intake_due: String,
    pub intake_by: Option<String>,
    pub intake_on: Option<String>,
    pub intake_at: Option<String>,
    pub decision_due: Option<String>,
    pub decided_by: Option<String>,
    pub decided_on: Option<String>,
    pub decided_at: Option<String>,
    pub reasons: String,
}

/// A stored row that is not a valid request, naming the bad field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("repair request {id}: {field}: {problem}")]
pub struct RowError {
    /// The row's id.
    pub id: i64,
    /// The column at fault.
    pub field: &'static str,
    /// What is wrong with it.
    pub problem: String,
}

/// Checks of one row, to name the bad field.
struct RowCheck<'a> {
    id: i64,
    state: &'a str,
}

impl RowCheck<'_> {
    fn err(&self, field: &'static str, problem: impl Into<String>) -> RowError {
        RowError {
            id: self.id,
            field,
            problem: problem.into(),
        }
    }

    fn date(&self, field: &'static str, s: &str) -> Result<NaiveDate, RowError> {
        match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) if d.format("%Y-%m-%d").to_string() == s => Ok(d),
            _ => Err(self.err(field, format!("expected a date YYYY-MM-DD, got '{s}'"))),
        }
    }

    /// A step stored in three nullable columns: all set or all NULL.
    fn step(
        &self,
        names: [&'static str; 3],
        values: [&Option<String>; 3],
    ) -> Result<Option<Step>, RowError> {
        match values {
            [None, None, None] => Ok(None),
            [Some(by), Some(on), Some(at)] => Ok(Some(Step {
                by: by.clone(),
                on: self.date(names[1], on)?,
                at: at.clone(),
            })),
            _ => {
                let missing = (0..3).find(|i| values[*i].is_none()).unwrap_or(0);
                let set = (0..3).find(|i| values[*i].is_some()).unwrap_or(0);
                Err(self.err(names[missing], format!("NULL while {} is set", names[set])))
            }
        }
    }

    fn need<T>(&self, field: &'static str, value: Option<T>) -> Result<T, RowError> {
        value.ok_or_else(|| self.err(field, format!("required for a {} request", self.state)))
    }

    fn empty<T>(&self, field: &'static str, value: &Option<T>) -> Result<(), RowError> {
        match value {
            Some(_) => Err(self.err(field, format!("must be NULL for a {} request", self.state))),
            None => Ok(()),
        }
    }
}

impl TryFrom<RepairRow> for RepairRequest {
    type Error = RowError;

    fn try_from(row: RepairRow) -> Result<Self, RowError> {
        let c = RowCheck {
            id: row.id,
            state: &row.state,
        };
        let uscc = Uscc::parse(&row.uscc).map_err(|e| c.err("uscc", e.to_string()))?;
        let filed = Step {
            by: row.filed_by.clone(),
            on: c.date("filed_on", &row.filed_on)?,
            at: row.filed_at.clone(),
        };
        let intake_due = c.date("intake_due", &row.intake_due)?;
        let intake = c.step(
            ["intake_by", "intake_on", "intake_at"],
            [&row.intake_by, &row.intake_on, &row.intake_at],
        )?;
        let decision = c.step(
            ["decided_by", "decided_on", "decided_at"],
            [&row.decided_by, &row.decided_on, &row.decided_at],
        )?;
        let decision_due = row
            .decision_due
            .as_deref()
            .map(|s| c.date("decision_due", s))
            .transpose()?;
        let reasons: Vec<String> = serde_json::from_str(&row.reasons)
            .map_err(|e| c.err("reasons", format!("expected a JSON array of strings: {e}")))?;
        let no_reasons = || match reasons.is_empty() {
            true => Ok(()),
            false => Err(c.err("reasons", format!("must be [] for a {} request", c.state))),
        };
        let need_intake = || c.need("intake_on", intake.clone());
        let need_due = || c.need("decision_due", decision_due);
        let state = match c.state {
            "submitted" => {
                c.empty("intake_on", &intake)?;
                c.empty("decision_due", &decision_due)?;
                c.empty("decided_on", &decision)?;
                no_reasons()?;
                RepairState::Submitted(Submitted { filed, intake_due })
            }
            "accepted" => {
                c.empty("decided_on", &decision)?;
                no_reasons()?;
                let (intake, decision_due) = (need_intake()?, need_due()?);
                RepairState::Accepted(Accepted {
                    filed,
                    intake_due,
                    intake,
                    decision_due,
                })
            }
            "refused" => {
                c.empty("decision_due", &decision_due)?;
                c.empty("decided_on", &decision)?;
                let intake = need_intake()?;
                RepairState::Refused(Refused {
                    filed,
                    intake_due,
                    intake,
                    reasons,
                })
            }
            "approved" => {
                no_reasons()?;
                let (intake, decision_due) = (need_intake()?, need_due()?);
                let decision = c.need("decided_on", decision)?;
                RepairState::Approved(Approved {
                    filed,
                    intake_due,
                    intake,
                    decision_due,
                    decision,
                })
            }
            "denied" => {
                let (intake, decision_due) = (need_intake()?, need_due()?);
                let decision = c.need("decided_on", decision)?;
                RepairState::Denied(Denied {
                    filed,
                    intake_due,
                    intake,
                    decision_due,
                    decision,
                    reasons,
                })
            }
            other => {
                let expected = "submitted, accepted, refused, approved or denied";
                let what = format!("unknown state '{other}'; expected {expected}");
                return Err(c.err("state", what));
            }
        };
        Ok(RepairRequest {
            id: row.id,
            record_id: row.record_id,
            uscc,
            commitment: row.commitment,
            proof: row.proof,
            state,
        })
    }
}

impl From<&RepairRequest> for RepairRow {
    fn from(request: &RepairRequest) -> Self {
        let none = || -> (Option<&Step>, Option<NaiveDate>, Option<&Step>, &[String]) {
            (None, None, None, &[])
        };
        let (intake_due, (intake, decision_due, decision, reasons)) = match &request.state {
            RepairState::Submitted(s) => (s.intake_due, none()),
            RepairState::Accepted(s) => (
                s.intake_due,
                (Some(&s.intake), Some(s.decision_due), None, &[][..]),
            ),
            RepairState::Refused(s) => {
                (s.intake_due, (Some(&s.intake), None, None, &s.reasons[..]))
            }
            RepairState::Approved(s) => (
                s.intake_due,
                (
                    Some(&s.intake),
                    Some(s.decision_due),
                    Some(&s.decision),
                    &[][..],
                ),
            ),
            RepairState::Denied(s) => (
                s.intake_due,
                (
                    Some(&s.intake),
                    Some(s.decision_due),
                    Some(&s.decision),
                    &s.reasons[..],
                ),
            ),
        };
        let filed = request.state.filed();
        RepairRow {
            id: request.id,
            record_id: request.record_id,
            uscc: request.uscc.to_string(),
            state: request.state.name().to_string(),
            commitment: request.commitment.clone(),
            proof: request.proof.clone(),
            filed_by: filed.by.clone(),
            filed_on: filed.on.to_string(),
            filed_at: filed.at.clone(),
            intake_due: intake_due.to_string(),
            intake_by: intake.map(|s| s.by.clone()),
            intake_on: intake.map(|s| s.on.to_string()),
            intake_at: intake.map(|s| s.at.clone()),
            decision_due: decision_due.map(|d| d.to_string()),
            decided_by: decision.map(|s| s.by.clone()),
            decided_on: decision.map(|s| s.on.to_string()),
            decided_at: decision.map(|s| s.at.clone()),
            reasons: serde_json::to_string(reasons).expect("strings always serialize"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credit::record::RecordKind;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn step(by: &str, on: &str) -> Step {
        Step {
            by: by.to_string(),
            on: d(on),
            at: format!("{on}T09:30:00+08:00"),
        }
    }

    fn cal() -> WorkCalendar {
        WorkCalendar::builtin()
    }

    fn record(kind: RecordKind, doc: &str, decided: &str) -> CreditRecord {
        let (min, max) = RuleTable::builtin().default_window(kind, d(decided));
        CreditRecord {
            id: 1,
            uscc: Uscc::with_check("91440300MA5FXXXXX").unwrap(),
            kind,
            department: "SCJG".to_string(),
            document_no: doc.to_string(),
            decided_on: d(decided),
            publicity_min_until: min,
            publicity_max_until: max,
            early_end_allowed: true,
            status: RecordStatus::Active,
            ended_on: None,
            summary: String::new(),
        }
    }

    fn general() -> CreditRecord {
        record(
            RecordKind::PenaltyGeneral,
            "深市监罚〔2026〕1号",
            "2026-03-02",
        )
    }

    fn check(r: &CreditRecord, others: &[CreditRecord], on: &str) -> Vec<Ineligible> {
        check_eligibility(
            r,
            others,
            &RuleTable::builtin(),
            "承诺书.pdf",
            "缴款凭证.pdf",
            d(on),
        )
    }

    fn request(state: RepairState) -> RepairRequest {
        RepairRequest {
            id: 7,
            record_id: 1,
            uscc: general().uscc,
            commitment: "c".into(),
            proof: "p".into(),
            state,
        }
    }

    fn submitted(on: &str) -> Submitted {
        file(step("applicant", on), &cal(), &RepairSettings::default()).unwrap()
    }

    fn accepted(filed: &str, intake: &str) -> Accepted {
        submitted(filed)
            .accept(step("clerk", intake), &cal(), &RepairSettings::default())
            .unwrap()
    }

    #[test]
    fn intake_is_due_three_working_days_after_filing_across_national_day() {
        // Mon 29 Sep 2025: Tue 30 Sep, then 1–8 Oct off, Thu 9, Fri 10.
        assert_eq!(submitted("2025-09-29").intake_due, d("2025-10-10"));
    }

    #[test]
    fn decision_is_due_ten_working_days_after_acceptance() {
        // Filed Wed 24 Sep 2025: intake due Thu 25, Fri 26, Sun 28 (make-up day).
        // Accepted Fri 26 Sep: Sun 28, 29, 30 Sep, 9, 10, Sat 11, 13, 14, 15, 16 Oct.
        let a = accepted("2025-09-24", "2025-09-26");
        assert_eq!(a.intake_due, d("2025-09-28"));
        assert_eq!(a.decision_due, d("2025-10-16"));
        assert_eq!(a.intake.by, "clerk");
    }

    #[test]
    fn acceptance_fails_when_the_deadline_runs_into_an_unscheduled_year() {
        let s = submitted("2026-12-21");
        let err = s.accept(
            step("clerk", "2026-12-24"),
            &cal(),
            &RepairSettings::default(),
        );
        assert_eq!(err, Err(CalendarError::NoSchedule(2027)));
    }

    #[test]
    fn refusal_keeps_the_reasons() {
        let r = submitted("2026-05-06")
            .refuse(step("clerk", "2026-05-07"), vec!["proof unreadable".into()]);
        assert_eq!(r.reasons, vec!["proof unreadable"]);
        assert_eq!(r.filed.on, d("2026-05-06"));
    }

    #[test]
    fn approval_ends_publicity_on_the_decision_day() {
        let a = accepted("2026-06-03", "2026-06-04").approve(step("chief", "2026-06-10"));
        let repaired = repaired_record(&general(), &a);
        assert_eq!(repaired.status, RecordStatus::Repaired);
        assert!(repaired.in_publicity(d("2026-06-09")));
        assert!(!repaired.in_publicity(d("2026-06-10")));
    }

    #[test]
    fn denial_keeps_deadlines_and_reasons() {
        let denied = accepted("2026-06-03", "2026-06-04")
            .deny(step("chief", "2026-06-10"), vec!["fine unpaid".into()]);
        assert_eq!(denied.decision_due, d("2026-06-18"));
        assert_eq!(denied.reasons, vec!["fine unpaid"]);
    }

    #[test]
    fn allows_repair_of_a_general_penalty_after_the_minimum() {
        assert_eq!(check(&general(), &[general()], "2026-06-02"), vec![]);
    }

    #[test]
    fn allows_repair_of_a_minor_penalty_at_once() {
        assert_eq!(
            check(
                &record(RecordKind::PenaltyMinor, "简1", "2026-03-02"),
                &[],
                "2026-03-02"
            ),
            vec![]
        );
    }

    #[test]
    fn refuses_repair_before_minimum_publicity() {
        let problems = check(&general(), &[], "2026-06-01");
        assert_eq!(
            problems,
            vec![Ineligible::MinimumNotReached {
                min_until: d("2026-06-02")
            }]
        );
        assert_eq!(
            problems[0].to_string(),
            "minimum publicity period runs until 2026-06-02"
        );
    }

    #[test]
    fn refuses_repair_of_a_record_no_longer_in_publicity() {
        let mut r = general();
        assert_eq!(
            check(&r, &[], "2027-03-02"),
            vec![Ineligible::NotInPublicity {
                status: "expired".into()
            }]
        );
        r.status = RecordStatus::Revoked;
        r.ended_on = Some(d("2026-07-01"));
        let problems = check(&r, &[], "2026-07-01");
        assert_eq!(
            problems[0].to_string(),
            "record is not in publicity (status: revoked)"
        );
    }

    #[test]
    fn refuses_repair_of_a_commendation() {
        let r = record(RecordKind::Commendation, "深府奖〔2026〕1号", "2026-01-10");
        assert_eq!(
            check(&r, &[], "2026-05-01"),
            vec![Ineligible::NotRepairable]
        );
    }

    #[test]
    fn refuses_repair_of_a_record_that_never_ends_early() {
        let mut r = record(RecordKind::PenaltySerious, "吊1", "2025-01-10");
        r.early_end_allowed = false;
        let problems = check(&r, &[], "2026-05-01");
        assert_eq!(problems, vec![Ineligible::NeverEndsEarly]);
        assert_eq!(
            problems[0].to_string(),
            "record kind can never end early (licence revoked or business banned)"
        );
    }

    #[test]
    fn refuses_repair_without_a_commitment_letter() {
        let problems = check_eligibility(
            &general(),
            &[],
            &RuleTable::builtin(),
            "  ",
            "p",
            d("2026-06-02"),
        );
        assert_eq!(problems, vec![Ineligible::CommitmentMissing]);
        assert_eq!(
            problems[0].to_string(),
            "credit commitment letter (信用承诺书) missing"
        );
    }

    #[test]
    fn refuses_repair_without_proof() {
        let problems = check_eligibility(
            &general(),
            &[],
            &RuleTable::builtin(),
            "c",
            "",
            d("2026-06-02"),
        );
        assert_eq!(problems, vec![Ineligible::ProofMissing]);
    }

    #[test]
    fn refuses_repair_after_a_repeat_violation() {
        let later = record(
            RecordKind::PenaltyGeneral,
            "深市监罚〔2026〕9号",
            "2026-04-01",
        );
        let earlier = record(
            RecordKind::PenaltyGeneral,
            "深市监罚〔2025〕5号",
            "2025-12-01",
        );
        let other_kind = record(RecordKind::AbnormalList, "异1", "2026-04-02");
        let problems = check(
            &general(),
            &[earlier, general(), later, other_kind],
            "2026-06-02",
        );
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].to_string(),
            "repeat violation of the same kind: 深市监罚〔2026〕9号 decided 2026-04-01 after this record"
        );
    }

    #[test]
    fn counts_working_days_late_after_the_deadline() {
        let r = request(RepairState::Submitted(submitted("2025-09-29")));
        assert_eq!(r.overdue(d("2025-10-10"), &cal()), Ok(None));
        // Due Fri 10 Oct; Sat 11 is a make-up working day, then Mon 13, Tue 14.
        let late = Overdue {
            step: "intake",
            due: d("2025-10-10"),
            working_days_late: 3,
        };
        assert_eq!(r.overdue(d("2025-10-14"), &cal()), Ok(Some(late)));
        let a = request(RepairState::Accepted(accepted("2025-09-24", "2025-09-26")));
        assert_eq!(
            a.overdue(d("2025-10-17"), &cal()).unwrap().unwrap().step,
            "decision"
        );
        let done = request(RepairState::Approved(
            accepted("2025-09-24", "2025-09-26").approve(step("chief", "2025-10-20")),
        ));
        assert_eq!(done.overdue(d("2025-12-01"), &cal()), Ok(None));
    }

    #[test]
    fn lateness_into_an_unscheduled_year_is_refused() {
        let r = request(RepairState::Submitted(submitted("2026-12-25")));
        assert_eq!(r.state.name(), "submitted");
        // Due Wed 30 Dec 2026; counting on into 2027 needs its schedule.
        assert_eq!(
            r.overdue(d("2027-01-05"), &cal()),
            Err(CalendarError::NoSchedule(2027))
        );
    }

    fn every_state() -> Vec<RepairRequest> {
        let acc = || accepted("2025-09-24", "2025-09-26");
        vec![
            request(RepairState::Submitted(submitted("2025-09-29"))),
            request(RepairState::Accepted(acc())),
            request(RepairState::Refused(submitted("2025-09-29").refuse(
                step("clerk", "2025-09-30"),
                vec!["a \"quoted\" reason".into(), "二".into()],
            ))),
            request(RepairState::Approved(
                acc().approve(step("chief", "2025-10-15")),
            )),
            request(RepairState::Denied(
                acc().deny(step("chief", "2025-10-15"), vec!["fine unpaid".into()]),
            )),
        ]
    }

    #[test]
    fn storage_rows_round_trip_every_state() {
        for req in every_state() {
            let row = RepairRow::from(&req);
            assert_eq!(row.state, req.state.name());
            assert_eq!(RepairRequest::try_from(row.clone()), Ok(req));
        }
        let row = RepairRow::from(&every_state()[0]);
        assert_eq!(
            (row.reasons.as_str(), row.intake_on, row.filed_on.as_str()),
            ("[]", None, "2025-09-29")
        );
    }

    #[test]
    fn names_the_field_of_an_inconsistent_row() {
        let accepted_row = RepairRow::from(&every_state()[1]);
        let bad = |f: fn(&mut RepairRow)| {
            let mut row = accepted_row.clone();
            f(&mut row);
            RepairRequest::try_from(row).unwrap_err()
        };
        let e = bad(|r| r.intake_on = None);
        assert_eq!(
            (e.field, e.to_string().as_str()),
            (
                "intake_on",
                "repair request 7: intake_on: NULL while intake_by is set"
            )
        );
        let e = bad(|r| (r.intake_by, r.intake_on, r.intake_at) = (None, None, None));
        assert_eq!(
            e.to_string(),
            "repair request 7: intake_on: required for a accepted request"
        );
        assert_eq!(bad(|r| r.decision_due = None).field, "decision_due");
        assert_eq!(bad(|r| r.reasons = "[\"x\"]".into()).field, "reasons");
        assert_eq!(bad(|r| r.reasons = "x".into()).field, "reasons");
        assert_eq!(bad(|r| r.state = "lost".into()).field, "state");
        assert_eq!(bad(|r| r.state = "submitted".into()).field, "intake_on");
        assert_eq!(bad(|r| r.filed_on = "2025-9-24".into()).field, "filed_on");
        assert_eq!(bad(|r| r.uscc = "91440300MA5FXXXXX0".into()).field, "uscc");
    }

    #[test]
    fn view_shows_the_state_and_its_steps() {
        let v = every_state()[1].view();
        assert_eq!(v["state"], "accepted");
        assert_eq!(v["uscc"], general().uscc.to_string());
        assert_eq!(v["intake"]["by"], "clerk");
        assert_eq!(v["decision_due"], "2025-10-16");
        assert_eq!(v["filed"]["at"], "2025-09-24T09:30:00+08:00");
        let problem = serde_json::to_value(Ineligible::MinimumNotReached {
            min_until: d("2026-06-02"),
        })
        .unwrap();
        assert_eq!(
            problem,
            serde_json::json!({"code": "minimum-not-reached", "min_until": "2026-06-02"})
        );
    }
}
