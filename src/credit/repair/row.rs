//! The flat form of a repair request in the database, and its checked conversion back into
//! the state enum ([`super::RepairState`]): a stored row that is not a valid request names its
//! bad field instead of panicking.

use super::*;
use serde::Deserialize;

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
    use crate::credit::repair::tests::*;
    use crate::credit::repair::*;

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
}
