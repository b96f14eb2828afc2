//! The directories of 一单两库 (`docs/domain.md`): enterprises (检查对象名录库), departments and
//! their inspection items (抽查事项清单), inspectors (执法检查人员名录库) and conflicts (回避).
//!
//! Values here are valid by construction; the import module parses text into them.

use chrono::NaiveDate;
use dualdraw_solver::{Tier, Uscc};
use serde::Serialize;
use std::fmt;

/// A 6-digit administrative division code (行政区划代码, GB/T 2260).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(pattern = "^[0-9]{6}$")]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(s: &str) -> Result<RegionCode, String> {
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("region must be a 6-digit division code, got '{s}'"));
        }
        let province: u32 = s[..2].parse().expect("digits");
        if !matches!(province, 11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71 | 81 | 82)
        {
            return Err(format!(
                "region '{s}': '{}' is not a province code",
                &s[..2]
            ));
        }
        Ok(RegionCode(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An industry code of GB/T 4754-2017: a section letter A–T, optionally followed by the
/// 2-digit division, 3-digit group or 4-digit class (`C`, `C13`, `C135`, `C1351`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(pattern = "^[A-T]([0-9]{2,4})?$")]
pub struct IndustryCode(String);

impl IndustryCode {
    pub fn parse(s: &str) -> Result<IndustryCode, String> {
        let mut chars = s.chars();
        let section_ok = matches!(chars.next(), Some('A'..='T'));
        let digits = chars.as_str();
        let digits_ok =
            matches!(digits.len(), 0 | 2 | 3 | 4) && digits.bytes().all(|b| b.is_ascii_digit());
        if !section_ok || !digits_ok {
            return Err(format!(
                "industry must be a GB/T 4754 code: a section letter A-T and 0, 2, 3 or 4 digits (e.g. C1351), got '{s}'"
            ));
        }
        Ok(IndustryCode(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this code lies within `scope` (a code of the same or a coarser level).
    pub fn within(&self, scope: &IndustryCode) -> bool {
        self.0.starts_with(&scope.0)
    }
}

impl fmt::Display for IndustryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Registration status of an enterprise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EnterpriseStatus {
    /// 存续 / 在业: in business, can be drawn.
    Operating,
    /// 吊销: business licence revoked.
    Revoked,
    /// 注销: deregistered.
    Deregistered,
}

impl EnterpriseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EnterpriseStatus::Operating => "operating",
            EnterpriseStatus::Revoked => "revoked",
            EnterpriseStatus::Deregistered => "deregistered",
        }
    }

    pub fn parse(s: &str) -> Result<EnterpriseStatus, String> {
        match s {
            "operating" | "存续" | "在业" | "开业" => Ok(EnterpriseStatus::Operating),
            "revoked" | "吊销" => Ok(EnterpriseStatus::Revoked),
            "deregistered" | "注销" => Ok(EnterpriseStatus::Deregistered),
            _ => Err(format!(
                "unknown status '{s}'; expected operating (存续), revoked (吊销) or deregistered (注销)"
            )),
        }
    }
}

/// An enterprise of the directory of inspected objects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Enterprise {
    #[serde(serialize_with = "crate::serde_display")]
    pub uscc: Uscc,
    pub name: String,
    pub region: RegionCode,
    pub industry: IndustryCode,
    pub registered_on: NaiveDate,
    pub status: EnterpriseStatus,
    /// The imported base classification, before credit records.
    #[serde(serialize_with = "crate::serde_display")]
    pub base_tier: Tier,
    /// 重点监管: full coverage instead of sampling.
    pub key_supervision: bool,
    /// 重点监管部门: the departments that keep it under key supervision, sorted (empty: the
    /// flag alone, i.e. every department, `docs/domain.md`, "Key supervision").
    pub key_departments: Vec<String>,
}

/// A participating department (市场监管, 生态环境, …).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Department {
    /// Short stable code, e.g. `SCJG`.
    pub code: String,
    pub name: String,
}

/// General items have a strictly limited ratio; key items none (`docs/domain.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ItemKind {
    General,
    Key,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::General => "general",
            ItemKind::Key => "key",
        }
    }

    pub fn parse(s: &str) -> Result<ItemKind, String> {
        match s {
            "general" | "一般" | "一般检查事项" => Ok(ItemKind::General),
            "key" | "重点" | "重点检查事项" => Ok(ItemKind::Key),
            _ => Err(format!(
                "unknown item kind '{s}'; expected general (一般) or key (重点)"
            )),
        }
    }
}

/// An inspection item of a department's published list (抽查事项).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Item {
    pub code: String,
    pub department: String,
    pub name: String,
    pub kind: ItemKind,
    pub legal_basis: String,
    /// Industries it applies to; empty means all.
    pub industries: Vec<IndustryCode>,
    /// The specialty an inspector needs for it; empty means any certified officer.
    pub specialty: String,
}

/// An enforcement officer of the inspector directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Inspector {
    /// Stable id, e.g. the staff number.
    pub id: String,
    pub name: String,
    pub department: String,
    pub region: RegionCode,
    pub certificate_no: String,
    pub certificate_valid_from: NaiveDate,
    /// Last day the enforcement certificate is valid.
    pub certificate_valid_until: NaiveDate,
    /// Sorted, without duplicates.
    pub specialties: Vec<String>,
    /// Inspections per year this officer can take.
    pub capacity: u32,
}

impl Inspector {
    /// Whether the enforcement certificate is valid on `on` (only certified officers may inspect).
    pub fn certified_on(&self, on: NaiveDate) -> bool {
        self.certificate_valid_from <= on && on <= self.certificate_valid_until
    }
}

/// An inspector who must not inspect an enterprise (回避).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Conflict {
    pub inspector: String,
    #[serde(serialize_with = "crate::serde_display")]
    #[schema(value_type = String, pattern = "^[0-9A-HJ-NP-RTUWXY]{18}$")]
    pub uscc: Uscc,
    pub reason: String,
    pub declared_on: NaiveDate,
}
