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
use chrono::NaiveDate;
use dualdraw_solver::Uscc;
use serde::{Deserialize, Serialize};

mod eligibility;
mod row;

pub use eligibility::{check_eligibility, Ineligible};
pub use row::{RepairRow, RowError};

/// One act on a request: who, on which (working) day, and the exact time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Step {
    /// Who acted (applicant or officer id).
    pub by: String,
    /// The day of the act; deadlines count from it.
    pub on: NaiveDate,
    /// RFC 3339 timestamp given by the caller.
    pub at: String,
}

/// Filed, waiting for intake.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Submitted {
    pub filed: Step,
    pub intake_due: NaiveDate,
}

/// Accepted at intake, waiting for the decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Accepted {
    pub filed: Step,
    pub intake_due: NaiveDate,
    pub intake: Step,
    pub decision_due: NaiveDate,
}

/// Refused at intake (final).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Refused {
    pub filed: Step,
    pub intake_due: NaiveDate,
    pub intake: Step,
    pub reasons: Vec<String>,
}

/// Approved: the record's publicity ends on the decision day (final).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Approved {
    pub filed: Step,
    pub intake_due: NaiveDate,
    pub intake: Step,
    pub decision_due: NaiveDate,
    pub decision: Step,
}

/// Denied after examination (final).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Denied {
    pub filed: Step,
    pub intake_due: NaiveDate,
    pub intake: Step,
    pub decision_due: NaiveDate,
    pub decision: Step,
    pub reasons: Vec<String>,
}

/// The state of a request; serialized as `"state": "accepted"` next to that state's fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RepairRequest {
    /// Database id; 0 before the request is stored.
    pub id: i64,
    /// The credit record to repair.
    pub record_id: i64,
    /// The enterprise that asks.
    #[serde(serialize_with = "crate::serde_display")]
    #[schema(value_type = String, pattern = "^[0-9A-HJ-NP-RTUWXY]{18}$")]
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::credit::record::RecordKind;
    use crate::credit::rules::RuleTable;

    pub(crate) fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    pub(crate) fn step(by: &str, on: &str) -> Step {
        Step {
            by: by.to_string(),
            on: d(on),
            at: format!("{on}T09:30:00+08:00"),
        }
    }

    pub(crate) fn cal() -> WorkCalendar {
        WorkCalendar::builtin()
    }

    pub(crate) fn record(kind: RecordKind, doc: &str, decided: &str) -> CreditRecord {
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

    pub(crate) fn general() -> CreditRecord {
        record(
            RecordKind::PenaltyGeneral,
            "深市监罚〔2026〕1号",
            "2026-03-02",
        )
    }

    pub(crate) fn check(r: &CreditRecord, others: &[CreditRecord], on: &str) -> Vec<Ineligible> {
        check_eligibility(
            r,
            others,
            &RuleTable::builtin(),
            "承诺书.pdf",
            "缴款凭证.pdf",
            d(on),
        )
    }

    pub(crate) fn request(state: RepairState) -> RepairRequest {
        RepairRequest {
            id: 7,
            record_id: 1,
            uscc: general().uscc,
            commitment: "c".into(),
            proof: "p".into(),
            state,
        }
    }

    pub(crate) fn submitted(on: &str) -> Submitted {
        file(step("applicant", on), &cal(), &RepairSettings::default()).unwrap()
    }

    pub(crate) fn accepted(filed: &str, intake: &str) -> Accepted {
        submitted(filed)
            .accept(step("clerk", intake), &cal(), &RepairSettings::default())
            .unwrap()
    }

    pub(crate) fn every_state() -> Vec<RepairRequest> {
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
