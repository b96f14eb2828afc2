//! Credit records: one fact that moves an enterprise's credit (`docs/architecture.md`, "Vocabulary").
//!
//! Kinds and publicity windows follow `docs/domain.md` ("Credit repair"): minor, general and serious
//! administrative penalties, the abnormal-operation list (经营异常名录), the serious-dishonesty
//! list (严重违法失信名单), and commendations. The windows' defaults live in the rule table
//! `seeds/credit-rules.csv`, never in code.

use chrono::NaiveDate;
use dualdraw_solver::Uscc;
use serde::Serialize;
use std::fmt;

/// What kind of fact a record is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RecordKind {
    PenaltyMinor,
    PenaltyGeneral,
    PenaltySerious,
    AbnormalList,
    SeriousList,
    Commendation,
}

impl RecordKind {
    pub const ALL: [RecordKind; 6] = [
        RecordKind::PenaltyMinor,
        RecordKind::PenaltyGeneral,
        RecordKind::PenaltySerious,
        RecordKind::AbnormalList,
        RecordKind::SeriousList,
        RecordKind::Commendation,
    ];

    /// The stable English name used in files and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::PenaltyMinor => "penalty-minor",
            RecordKind::PenaltyGeneral => "penalty-general",
            RecordKind::PenaltySerious => "penalty-serious",
            RecordKind::AbnormalList => "abnormal-list",
            RecordKind::SeriousList => "serious-list",
            RecordKind::Commendation => "commendation",
        }
    }

    /// The Chinese name, also accepted on import.
    pub fn label_zh(self) -> &'static str {
        match self {
            RecordKind::PenaltyMinor => "轻微行政处罚",
            RecordKind::PenaltyGeneral => "一般行政处罚",
            RecordKind::PenaltySerious => "严重行政处罚",
            RecordKind::AbnormalList => "经营异常名录",
            RecordKind::SeriousList => "严重违法失信名单",
            RecordKind::Commendation => "表彰",
        }
    }

    /// Whether the record speaks against the enterprise.
    pub fn is_negative(self) -> bool {
        self != RecordKind::Commendation
    }

    pub fn parse(s: &str) -> Result<RecordKind, String> {
        RecordKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.label_zh() == s)
            .ok_or_else(|| {
                format!(
                    "unknown record kind '{s}'; expected one of {}",
                    RecordKind::ALL.map(|k| k.as_str()).join(", ")
                )
            })
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The stored status of a record. Expiry at the maximum publicity date is derived from the
/// date asked about, so a record whose window has passed needs no update to stop counting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RecordStatus {
    /// In force until its maximum publicity date.
    Active,
    /// Publicity ended early by an approved repair request.
    Repaired,
    /// The decision was revoked; withdrawn from publicity.
    Revoked,
}

impl RecordStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordStatus::Active => "active",
            RecordStatus::Repaired => "repaired",
            RecordStatus::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Result<RecordStatus, String> {
        match s {
            "active" | "有效" | "公示中" => Ok(RecordStatus::Active),
            "repaired" | "已修复" => Ok(RecordStatus::Repaired),
            "revoked" | "已撤销" => Ok(RecordStatus::Revoked),
            _ => Err(format!(
                "unknown status '{s}'; expected active, repaired or revoked"
            )),
        }
    }
}

/// One credit record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = StoredCreditRecord)]
pub struct CreditRecord {
    /// Database id; 0 before the record is stored.
    pub id: i64,
    #[serde(serialize_with = "crate::serde_display")]
    #[schema(value_type = String, pattern = "^[0-9A-HJ-NP-RTUWXY]{18}$")]
    pub uscc: Uscc,
    pub kind: RecordKind,
    /// Code of the source department.
    pub department: String,
    /// Decision document number (决定书文号); unique per department.
    pub document_no: String,
    pub decided_on: NaiveDate,
    /// Earliest date on which publicity may end early by repair.
    pub publicity_min_until: NaiveDate,
    /// Date on which publicity ends by itself (exclusive: not in publicity on this date).
    pub publicity_max_until: NaiveDate,
    /// False for records that can never end early (licence revoked, business banned).
    pub early_end_allowed: bool,
    pub status: RecordStatus,
    /// Date publicity ended early (repair approved or decision revoked); `null` while it has not.
    #[schema(required = true)]
    pub ended_on: Option<NaiveDate>,
    pub summary: String,
}

impl CreditRecord {
    /// The first day the record is no longer in publicity.
    pub fn publicity_end(&self) -> NaiveDate {
        match self.ended_on {
            Some(ended) if self.status != RecordStatus::Active => {
                ended.min(self.publicity_max_until)
            }
            _ => self.publicity_max_until,
        }
    }

    /// Whether the record is in publicity (and so counts) on `on`.
    pub fn in_publicity(&self, on: NaiveDate) -> bool {
        self.decided_on <= on && on < self.publicity_end()
    }

    /// The status as seen on `on`: `expired` once the maximum publicity date is reached.
    pub fn status_on(&self, on: NaiveDate) -> &'static str {
        match self.status {
            RecordStatus::Active if on >= self.publicity_max_until => "expired",
            s => s.as_str(),
        }
    }
}
