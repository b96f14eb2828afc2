//! The effective credit tier of an enterprise on a date, with the records that decided it
//! (`docs/domain.md`, "Credit tiers" and "Credit repair").
//!
//! Source: 国市监信发〔2022〕6号 (企业信用风险分类): the classification weighs penalties, list
//! entries and other credit records. dualdraw starts from the imported base classification and
//! applies the rule table (`seeds/credit-rules.csv`): each record in publicity with a floor
//! lifts the tier to at least that floor; a commendation makes it one tier better, only while no
//! negative record is in publicity.

use crate::credit::record::{CreditRecord, RecordKind};
use crate::credit::rules::{RuleTable, TierEffect};
use chrono::NaiveDate;
use dualdraw_solver::Tier;
use serde::Serialize;

/// A record that determined an effective tier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TierReason {
    /// The record's database id.
    pub record_id: i64,
    /// The record's kind.
    pub kind: RecordKind,
    /// Code of the department that decided it.
    pub department: String,
    /// Decision document number (决定书文号).
    pub document_no: String,
    /// The decision date: publicity starts here.
    pub since: NaiveDate,
    /// The first day the record no longer counts.
    pub until: NaiveDate,
    /// The rule applied, e.g. `floor:D` or `raise`.
    pub effect: String,
}

/// The effective tier on a date and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TierDecision {
    /// The date the tier holds on.
    pub on: NaiveDate,
    /// The imported base classification.
    #[serde(serialize_with = "crate::serde_display")]
    #[schema(value_type = String, pattern = "^[A-D]$")]
    pub base: Tier,
    /// The tier after credit records.
    #[serde(serialize_with = "crate::serde_display")]
    #[schema(value_type = String, pattern = "^[A-D]$")]
    pub tier: Tier,
    /// The records that determined `tier`, sorted by (since, document_no); empty when the
    /// base classification stands.
    pub reasons: Vec<TierReason>,
    /// One English sentence, e.g. `D because of 严重违法失信名单 entry 深市监严〔2026〕3号 (SCJG)
    /// since 2026-03-02`.
    pub explanation: String,
}

/// The effective tier of an enterprise with base classification `base` and credit records
/// `records`, on `on`.
pub fn effective_tier(
    base: Tier,
    records: &[CreditRecord],
    rules: &RuleTable,
    on: NaiveDate,
) -> TierDecision {
    let mut in_publicity: Vec<(&CreditRecord, TierEffect)> = records
        .iter()
        .filter(|r| r.in_publicity(on))
        .map(|r| (r, rules.rule(r.kind).tier_effect))
        .collect();
    in_publicity.sort_by(|(a, _), (b, _)| {
        (a.decided_on, &a.document_no, a.id).cmp(&(b.decided_on, &b.document_no, b.id))
    });

    let floor = in_publicity
        .iter()
        .filter_map(|(_, effect)| match effect {
            TierEffect::Floor(tier) => Some(*tier),
            _ => None,
        })
        .max();
    let any_negative = in_publicity.iter().any(|(r, _)| r.kind.is_negative());
    let raising: Vec<&CreditRecord> = in_publicity
        .iter()
        .filter(|(_, effect)| *effect == TierEffect::Raise)
        .map(|(r, _)| *r)
        .collect();

    let (tier, deciding): (Tier, Vec<&CreditRecord>) = match floor {
        Some(floor) if floor > base => {
            let hits = in_publicity
                .iter()
                .filter(|(_, effect)| *effect == TierEffect::Floor(floor))
                .map(|(r, _)| *r)
                .collect();
            (floor, hits)
        }
        _ if !any_negative && !raising.is_empty() && base.better() != base => {
            (base.better(), raising)
        }
        _ => (base, Vec::new()),
    };

    let reasons: Vec<TierReason> = deciding
        .iter()
        .map(|r| TierReason {
            record_id: r.id,
            kind: r.kind,
            department: r.department.clone(),
            document_no: r.document_no.clone(),
            since: r.decided_on,
            until: r.publicity_end(),
            effect: rules.rule(r.kind).tier_effect.to_string(),
        })
        .collect();
    let explanation = explain(base, tier, &deciding, in_publicity.len(), rules, on);
    TierDecision {
        on,
        base,
        tier,
        reasons,
        explanation,
    }
}

/// The sentence of a decision.
fn explain(
    base: Tier,
    tier: Tier,
    deciding: &[&CreditRecord],
    counted: usize,
    rules: &RuleTable,
    on: NaiveDate,
) -> String {
    let cited = deciding
        .iter()
        .map(|r| cite(r, rules))
        .collect::<Vec<_>>()
        .join(" and ");
    if tier > base {
        format!("{tier} because of {cited}")
    } else if tier < base {
        format!("{tier}: base classification {base}, one tier better for {cited}")
    } else if counted == 0 {
        format!("{tier}: base classification; no credit record in publicity on {on}")
    } else {
        let records = if counted == 1 { "record" } else { "records" };
        format!(
            "{tier}: base classification; {counted} credit {records} in publicity on {on}, {}",
            "none changes the tier"
        )
    }
}

/// `严重违法失信名单 entry 深市监严〔2026〕3号 (SCJG) since 2026-03-02`.
fn cite(record: &CreditRecord, rules: &RuleTable) -> String {
    let noun = match record.kind {
        RecordKind::AbnormalList | RecordKind::SeriousList => " entry",
        RecordKind::PenaltyMinor | RecordKind::PenaltyGeneral | RecordKind::PenaltySerious => {
            " decision"
        }
        RecordKind::Commendation => "",
    };
    format!(
        "{}{noun} {} ({}) since {}",
        rules.rule(record.kind).label_zh,
        record.document_no,
        record.department,
        record.decided_on
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credit::record::RecordStatus;
    use dualdraw_solver::Uscc;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn record(id: i64, kind: RecordKind, doc: &str, decided: &str) -> CreditRecord {
        let rules = RuleTable::builtin();
        let (min, max) = rules.default_window(kind, d(decided));
        CreditRecord {
            id,
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

    fn tier_of(base: Tier, records: &[CreditRecord], on: &str) -> TierDecision {
        effective_tier(base, records, &RuleTable::builtin(), d(on))
    }

    #[test]
    fn base_stands_without_records() {
        let t = tier_of(Tier::B, &[], "2026-05-01");
        assert_eq!(t.tier, Tier::B);
        assert!(t.reasons.is_empty());
        assert_eq!(
            t.explanation,
            "B: base classification; no credit record in publicity on 2026-05-01"
        );
    }

    #[test]
    fn serious_list_sets_tier_d() {
        let records = [
            record(
                1,
                RecordKind::PenaltyGeneral,
                "深市监罚〔2026〕1号",
                "2026-01-05",
            ),
            record(
                2,
                RecordKind::SeriousList,
                "深市监严〔2026〕3号",
                "2026-03-02",
            ),
        ];
        let t = tier_of(Tier::A, &records, "2026-05-01");
        assert_eq!(t.tier, Tier::D);
        assert_eq!(t.reasons.len(), 1);
        assert_eq!(t.reasons[0].record_id, 2);
        assert_eq!(t.reasons[0].effect, "floor:D");
        assert_eq!(t.reasons[0].until, d("2029-03-02"));
        assert_eq!(
            t.explanation,
            "D because of 严重违法失信名单 entry 深市监严〔2026〕3号 (SCJG) since 2026-03-02"
        );
    }

    #[test]
    fn floor_below_base_changes_nothing() {
        let records = [record(1, RecordKind::PenaltyGeneral, "罚1", "2026-01-05")];
        let t = tier_of(Tier::C, &records, "2026-05-01");
        assert_eq!(t.tier, Tier::C);
        assert!(t.reasons.is_empty());
        assert_eq!(
            t.explanation,
            "C: base classification; 1 credit record in publicity on 2026-05-01, none changes the tier"
        );
    }

    #[test]
    fn lists_every_record_at_the_final_floor_in_order() {
        let records = [
            record(7, RecordKind::AbnormalList, "异2", "2026-02-01"),
            record(5, RecordKind::PenaltySerious, "罚9", "2025-06-01"),
            record(6, RecordKind::PenaltyGeneral, "罚3", "2026-01-01"),
        ];
        let t = tier_of(Tier::A, &records, "2026-05-01");
        assert_eq!(t.tier, Tier::C);
        let ids: Vec<i64> = t.reasons.iter().map(|r| r.record_id).collect();
        assert_eq!(ids, vec![5, 7]);
        assert_eq!(
            t.explanation,
            "C because of 严重行政处罚 decision 罚9 (SCJG) since 2025-06-01 and 经营异常名录 entry 异2 (SCJG) since 2026-02-01"
        );
    }

    #[test]
    fn commendation_raises_one_tier() {
        let records = [record(
            3,
            RecordKind::Commendation,
            "深府奖〔2026〕1号",
            "2026-01-10",
        )];
        let t = tier_of(Tier::B, &records, "2026-05-01");
        assert_eq!(t.tier, Tier::A);
        assert_eq!(t.reasons[0].effect, "raise");
        assert_eq!(
            t.explanation,
            "A: base classification B, one tier better for 表彰 深府奖〔2026〕1号 (SCJG) since 2026-01-10"
        );
    }

    #[test]
    fn commendation_does_not_count_while_a_negative_record_is_in_publicity() {
        let records = [
            record(3, RecordKind::Commendation, "奖1", "2026-01-10"),
            record(4, RecordKind::PenaltyMinor, "简罚1", "2026-04-01"),
        ];
        let t = tier_of(Tier::C, &records, "2026-05-01");
        assert_eq!(t.tier, Tier::C);
        assert!(t.reasons.is_empty());
        // Once the minor penalty's 3 months are over, the commendation counts again.
        assert_eq!(tier_of(Tier::C, &records, "2026-07-01").tier, Tier::B);
    }

    #[test]
    fn records_count_only_inside_their_publicity_window() {
        let records = [record(2, RecordKind::SeriousList, "严1", "2026-03-02")];
        assert_eq!(tier_of(Tier::B, &records, "2026-03-01").tier, Tier::B);
        assert_eq!(tier_of(Tier::B, &records, "2026-03-02").tier, Tier::D);
        assert_eq!(tier_of(Tier::B, &records, "2029-03-02").tier, Tier::B);
    }

    #[test]
    fn repaired_record_stops_counting() {
        let mut r = record(2, RecordKind::PenaltyGeneral, "罚1", "2026-01-05");
        r.status = RecordStatus::Repaired;
        r.ended_on = Some(d("2026-04-10"));
        assert_eq!(tier_of(Tier::A, &[r.clone()], "2026-04-09").tier, Tier::B);
        assert_eq!(tier_of(Tier::A, &[r], "2026-04-10").tier, Tier::A);
    }

    #[test]
    fn serializes_tiers_as_letters() {
        let records = [record(2, RecordKind::SeriousList, "严1", "2026-03-02")];
        let json = serde_json::to_value(tier_of(Tier::B, &records, "2026-05-01")).unwrap();
        assert_eq!(json["base"], "B");
        assert_eq!(json["tier"], "D");
        assert_eq!(json["reasons"][0]["kind"], "serious-list");
        assert_eq!(json["reasons"][0]["since"], "2026-03-02");
    }
}
