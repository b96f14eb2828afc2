//! Who may ask for credit repair, and on which day (`docs/domain.md`, "Credit repair"): the
//! minimum publicity period has passed, the record ends early at all, a commitment letter and
//! proof are given, and the same kind of violation was not repeated.

use crate::credit::record::CreditRecord;
use crate::credit::rules::{RepairRule, RuleTable};
use chrono::NaiveDate;
use serde::Serialize;
use std::fmt;

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

#[cfg(test)]
mod tests {
    use crate::credit::record::{RecordKind, RecordStatus};
    use crate::credit::repair::tests::*;
    use crate::credit::repair::*;
    use crate::credit::rules::RuleTable;

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
}
