//! Credit records consistent with each enterprise's base tier (`docs/architecture.md`, "Vocabulary"):
//! most D enterprises carry a serious-list entry or a serious penalty, C enterprises abnormal-list
//! entries and general penalties, some B enterprises minor penalties, a few A enterprises
//! commendations.
//!
//! Publicity windows are left to the importer's rule table, except for market-regulation
//! penalties in food, drugs and special equipment, whose early end is allowed only after
//! 12 months of a 3-year publicity (`docs/domain.md`, "Credit repair"), written out explicitly.

use super::departments::DepartmentSpec;
use super::enterprises::Generated;
use super::industries::Risk;
use super::rng::{add_months, ymd, Rng, Stream};
use crate::credit::record::{RecordKind, RecordStatus};
use chrono::{Datelike, Days, NaiveDate};
use dualdraw_solver::{Tier, Uscc};

/// The last day a generated decision may bear.
pub const LAST_DECISION: NaiveDate = match NaiveDate::from_ymd_opt(2026, 10, 31) {
    Some(d) => d,
    None => panic!("valid date"),
};

/// A credit record before its document number is assigned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    pub uscc: Uscc,
    pub kind: RecordKind,
    /// Index into the jurisdiction's departments.
    pub department: usize,
    pub decided_on: NaiveDate,
    /// Explicit (minimum, maximum) publicity, where the rule table's default does not apply.
    pub window: Option<(NaiveDate, NaiveDate)>,
    pub early_end_allowed: bool,
    pub status: RecordStatus,
    pub ended_on: Option<NaiveDate>,
    pub summary: String,
}

/// Months from the decision before repair may be asked, by default (`docs/domain.md`).
pub fn minimum_months(kind: RecordKind) -> u32 {
    match kind {
        RecordKind::PenaltyGeneral => 3,
        RecordKind::PenaltySerious | RecordKind::SeriousList => 12,
        _ => 0,
    }
}

/// Months from the decision after which publicity ends by itself, at the shortest.
pub fn maximum_months(kind: RecordKind) -> u32 {
    match kind {
        RecordKind::PenaltyMinor => 3,
        RecordKind::PenaltyGeneral => 12,
        _ => 36,
    }
}

/// The first day repair may be asked for a record.
pub fn minimum_until(
    kind: RecordKind,
    decided_on: NaiveDate,
    window: Option<(NaiveDate, NaiveDate)>,
) -> NaiveDate {
    window.map_or_else(|| add_months(decided_on, minimum_months(kind)), |w| w.0)
}

/// The word of a document number that names the kind of decision.
pub fn document_word(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::AbnormalList => "经异",
        RecordKind::SeriousList => "严失",
        RecordKind::Commendation => "表",
        _ => "罚",
    }
}

/// Draws the credit records of each enterprise from the credit stream.
pub struct CreditGenerator {
    rng: Rng,
    departments: Vec<&'static DepartmentSpec>,
}

impl CreditGenerator {
    /// The generator for a jurisdiction whose departments are `departments` (market regulation
    /// first).
    pub fn new(seed: u64, departments: Vec<&'static DepartmentSpec>) -> CreditGenerator {
        assert_eq!(
            departments[0].code, "SCJG",
            "market regulation keeps the credit lists"
        );
        CreditGenerator {
            rng: Rng::new(seed, Stream::Credit),
            departments,
        }
    }

    /// The records of one enterprise, and whether one of them revoked its business licence.
    pub fn records(&mut self, g: &Generated) -> (Vec<Draft>, bool) {
        use RecordKind::*;
        let mut kinds = Vec::new();
        let r = self.rng.below(10_000);
        match g.enterprise.base_tier {
            Tier::D => {
                kinds.push(match r {
                    0..=2_699 => SeriousList,
                    2_700..=5_999 => PenaltySerious,
                    6_000..=7_999 => PenaltyGeneral,
                    _ => AbnormalList,
                });
                if self.rng.chance(3_000) {
                    kinds.push(if self.rng.chance(5_000) {
                        AbnormalList
                    } else {
                        PenaltyGeneral
                    });
                }
            }
            Tier::C => {
                match r {
                    0..=3_999 => kinds.push(AbnormalList),
                    4_000..=6_999 => kinds.push(PenaltyGeneral),
                    7_000..=7_999 => kinds.push(PenaltyMinor),
                    _ => {}
                }
                if self.rng.chance(1_500) {
                    kinds.push(PenaltyMinor);
                }
            }
            Tier::B => match r {
                0..=1_199 => kinds.push(PenaltyMinor),
                1_200..=1_499 => kinds.push(AbnormalList),
                _ => {}
            },
            Tier::A => {
                if r < 120 {
                    kinds.push(Commendation);
                }
            }
        }
        let mut revokes_licence = false;
        let drafts = kinds
            .into_iter()
            .map(|kind| {
                let draft = self.draft(g, kind);
                revokes_licence |= !draft.early_end_allowed && draft.department == 0;
                draft
            })
            .collect();
        (drafts, revokes_licence)
    }

    fn draft(&mut self, g: &Generated, kind: RecordKind) -> Draft {
        let e = &g.enterprise;
        let earliest = (e.registered_on + Days::new(30)).max(ymd(2024, 1, 1));
        let department = match kind {
            RecordKind::AbnormalList | RecordKind::SeriousList => 0,
            _ => self.deciding_department(g),
        };
        let (decided_on, mut summary) = match kind {
            RecordKind::AbnormalList => self.abnormal_listing(e.registered_on, earliest),
            _ => (
                self.rng.date(earliest, LAST_DECISION),
                self.summary(g, kind, department),
            ),
        };
        let early_end_allowed = !(kind == RecordKind::PenaltySerious && self.rng.chance(500));
        if !early_end_allowed {
            summary.push_str(if department == 0 {
                "，依法吊销营业执照"
            } else {
                "，依法吊销相关许可证件"
            });
        }
        let strict = matches!(g.risk, Risk::Food | Risk::Drug | Risk::SpecialEquipment);
        let window = (department == 0 && kind == RecordKind::PenaltyGeneral && strict)
            .then(|| (add_months(decided_on, 12), add_months(decided_on, 36)));
        let (status, ended_on) = self.status(kind, decided_on, window, early_end_allowed);
        Draft {
            uscc: e.uscc,
            kind,
            department,
            decided_on,
            window,
            early_end_allowed,
            status,
            ended_on,
            summary,
        }
    }

    /// A listing for a missing annual report, decided in July–September after the June 30
    /// deadline; or, for enterprises too young to owe a report, for an unreachable address.
    fn abnormal_listing(
        &mut self,
        registered_on: NaiveDate,
        earliest: NaiveDate,
    ) -> (NaiveDate, String) {
        let years: Vec<i32> = (2024..=2026)
            .filter(|&y| y > registered_on.year())
            .collect();
        if !years.is_empty() && self.rng.chance(7_500) {
            let y = *self.rng.pick(&years);
            let decided = self.rng.date(ymd(y, 7, 1), ymd(y, 9, 30));
            return (decided, format!("未按规定报送{}年度报告", y - 1));
        }
        let reason = if self.rng.chance(8_000) {
            "通过登记的住所或者经营场所无法联系"
        } else {
            "公示企业信息隐瞒真实情况、弄虚作假"
        };
        (self.rng.date(earliest, LAST_DECISION), reason.to_string())
    }

    /// Market regulation half of the time; else a department with an item for the industry,
    /// or now and then one whose items cover every industry.
    fn deciding_department(&mut self, g: &Generated) -> usize {
        if self.rng.chance(5_000) {
            return 0;
        }
        let weights: Vec<u64> = self
            .departments
            .iter()
            .enumerate()
            .map(|(i, d)| match i {
                0 => 0,
                _ if d.targets(&g.enterprise.industry) => 4,
                _ if d.items.iter().any(|item| item.industries.is_empty()) => 1,
                _ => 0,
            })
            .collect();
        if weights.iter().all(|&w| w == 0) {
            return 0;
        }
        self.rng.weighted(&weights)
    }

    fn summary(&mut self, g: &Generated, kind: RecordKind, department: usize) -> String {
        let d = self.departments[department];
        let texts: &[&str] = match kind {
            RecordKind::SeriousList => &[
                "被列入经营异常名录届满三年仍未履行相关义务",
                "提交虚假材料取得市场主体登记",
                "因同一性质违法行为一年内受到三次以上较重行政处罚",
            ],
            RecordKind::Commendation => return format!("获评{}", d.commendation),
            RecordKind::PenaltyMinor if department == 0 => d.penalties[0],
            _ if department == 0 => market_penalties(g.risk, kind == RecordKind::PenaltySerious),
            RecordKind::PenaltyMinor => d.penalties[0],
            RecordKind::PenaltyGeneral => d.penalties[1],
            _ => d.penalties[2],
        };
        self.rng.pick(texts).to_string()
    }

    /// Active mostly; a few records repaired after their minimum publicity or revoked soon after
    /// the decision.
    fn status(
        &mut self,
        kind: RecordKind,
        decided_on: NaiveDate,
        window: Option<(NaiveDate, NaiveDate)>,
        early_end_allowed: bool,
    ) -> (RecordStatus, Option<NaiveDate>) {
        if kind == RecordKind::Commendation {
            return (RecordStatus::Active, None);
        }
        let r = self.rng.below(10_000);
        if r < 300 && early_end_allowed {
            let from = minimum_until(kind, decided_on, window).max(decided_on + Days::new(10));
            let until = (from + Days::new(180)).min(LAST_DECISION);
            if from <= until {
                return (RecordStatus::Repaired, Some(self.rng.date(from, until)));
            }
        } else if (300..400).contains(&r) {
            let ended = decided_on + Days::new(self.rng.between(5, 90));
            if ended <= LAST_DECISION {
                return (RecordStatus::Revoked, Some(ended));
            }
        }
        (RecordStatus::Active, None)
    }
}

/// Facts of market-regulation penalties, by the risk of the enterprise's industry.
fn market_penalties(risk: Risk, serious: bool) -> &'static [&'static str] {
    match (risk, serious) {
        (Risk::Food, false) => &[
            "销售不符合食品安全标准的食品",
            "经营超过保质期的食品",
            "未按规定公示食品经营许可证",
        ],
        (Risk::Food, true) => &[
            "生产经营添加非食用物质的食品",
            "未取得食品生产许可从事食品生产活动",
        ],
        (Risk::Drug, false) => &["未凭处方销售处方药", "未按规定储存药品"],
        (Risk::Drug, true) => &["销售假药", "未取得药品经营许可证销售药品"],
        (Risk::SpecialEquipment, false) => {
            &["使用未经定期检验的特种设备", "特种设备未按规定办理使用登记"]
        }
        (Risk::SpecialEquipment, true) => &["未取得许可生产特种设备"],
        (_, false) => &["发布虚假广告", "销售不合格产品", "不正当价格行为"],
        (_, true) => &["生产销售伪劣产品货值金额较大", "虚假宣传情节严重"],
    }
}
