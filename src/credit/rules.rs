//! The published credit rule table (`docs/domain.md`, "Credit repair" and "Credit tiers"): for each
//! kind of record, its publicity window, its effect on the credit tier, and whether repair may
//! be asked.
//!
//! Sources: 国家发展改革委令第36号 (信用修复管理办法); 国市监信规〔2021〕3号 (市场监督管理信用修复
//! 管理办法); 国办发〔2025〕22号; 国市监信发〔2022〕6号 (企业信用风险分类). The numbers are local
//! settings with national defaults, so they live in `seeds/credit-rules.csv`, never in code.

use crate::credit::record::RecordKind;
use chrono::{Months, NaiveDate};
use dualdraw_solver::Tier;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

const SEED_FILE: &str = "seeds/credit-rules.csv";
const SEED: &str = include_str!("../../seeds/credit-rules.csv");
const HEADER: &str =
    "kind,label_zh,min_publicity_months,max_publicity_months,tier_effect,repair,note";

/// How a record in publicity moves the enterprise's credit tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TierEffect {
    /// No effect on the tier.
    None,
    /// The effective tier is at least this risk.
    Floor(Tier),
    /// One tier better, only while no negative record is in publicity.
    Raise,
}

impl TierEffect {
    /// Parses `none`, `floor:B`, `floor:C`, `floor:D` or `raise`.
    pub fn parse(s: &str) -> Result<TierEffect, String> {
        match s {
            "none" => Ok(TierEffect::None),
            "raise" => Ok(TierEffect::Raise),
            _ => match s.strip_prefix("floor:").map(Tier::parse) {
                Some(Ok(Tier::A)) => Err("floor:A has no effect; write none".to_string()),
                Some(Ok(tier)) => Ok(TierEffect::Floor(tier)),
                _ => Err(format!(
                    "expected none, floor:B, floor:C, floor:D or raise, got '{s}'"
                )),
            },
        }
    }
}

impl fmt::Display for TierEffect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TierEffect::None => f.write_str("none"),
            TierEffect::Floor(tier) => write!(f, "floor:{tier}"),
            TierEffect::Raise => f.write_str("raise"),
        }
    }
}

impl Serialize for TierEffect {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// When credit repair (信用修复) may be asked for a kind of record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RepairRule {
    /// Once the minimum publicity period has passed.
    AfterMinimum,
    /// Never (commendations: nothing to repair).
    Never,
}

impl RepairRule {
    /// The name used in the rule file: `after-minimum` or `never`.
    pub fn as_str(self) -> &'static str {
        match self {
            RepairRule::AfterMinimum => "after-minimum",
            RepairRule::Never => "never",
        }
    }

    /// Parses `after-minimum` or `never`.
    pub fn parse(s: &str) -> Result<RepairRule, String> {
        match s {
            "after-minimum" => Ok(RepairRule::AfterMinimum),
            "never" => Ok(RepairRule::Never),
            _ => Err(format!("expected after-minimum or never, got '{s}'")),
        }
    }
}

/// The rule for one kind of record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KindRule {
    /// The kind of record the rule is for.
    pub kind: RecordKind,
    /// The Chinese name shown to users.
    pub label_zh: String,
    /// Publicity may end early by repair once this many months from the decision have passed.
    pub min_publicity_months: u32,
    /// Publicity ends by itself this many months after the decision.
    pub max_publicity_months: u32,
    /// How a record in publicity moves the tier.
    pub tier_effect: TierEffect,
    /// When repair may be asked.
    pub repair: RepairRule,
    /// The legal source and any remark.
    pub note: String,
}

/// The rule table: exactly one rule per record kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleTable {
    rules: BTreeMap<RecordKind, KindRule>,
}

impl RuleTable {
    /// The table shipped in `seeds/credit-rules.csv`.
    ///
    /// Panics only if the shipped file is broken, which the tests rule out.
    pub fn builtin() -> RuleTable {
        RuleTable::parse_csv(SEED, SEED_FILE)
            .unwrap_or_else(|errors| panic!("shipped rule table is broken: {}", errors.join("; ")))
    }

    /// Parses a rule file. Problems are reported as `FILE:LINE: column: what is wrong` (the
    /// header is line 1); every kind must appear exactly once, with min ≤ max months.
    pub fn parse_csv(text: &str, file: &str) -> Result<RuleTable, Vec<String>> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text.lines().enumerate();
        let header = lines.next().map_or("", |(_, h)| h.trim());
        if header != HEADER {
            return Err(vec![format!(
                "{file}:1: header: expected '{HEADER}', got '{header}'"
            )]);
        }
        let mut errors = Vec::new();
        let mut rules = BTreeMap::new();
        let mut seen_on: BTreeMap<RecordKind, usize> = BTreeMap::new();
        for (index, line) in lines {
            let line_no = index + 1;
            if line.trim().is_empty() {
                continue;
            }
            match parse_row(line) {
                Ok(rule) => {
                    if let Some(first) = seen_on.insert(rule.kind, line_no) {
                        errors.push(format!(
                            "{file}:{line_no}: kind: {} already defined on line {first}",
                            rule.kind
                        ));
                    }
                    rules.insert(rule.kind, rule);
                }
                Err(problems) => errors.extend(
                    problems
                        .into_iter()
                        .map(|(column, what)| format!("{file}:{line_no}: {column}: {what}")),
                ),
            }
        }
        if errors.is_empty() {
            for kind in RecordKind::ALL.iter().filter(|k| !rules.contains_key(k)) {
                errors.push(format!("{file}: kind: no rule for {kind}"));
            }
        }
        if errors.is_empty() {
            Ok(RuleTable { rules })
        } else {
            Err(errors)
        }
    }

    /// The rule for `kind`.
    pub fn rule(&self, kind: RecordKind) -> &KindRule {
        // A table exists only once parse_csv checked that every kind has a rule.
        &self.rules[&kind]
    }

    /// The default publicity window of a record decided on `decided_on`: `(min_until,
    /// max_until)`, counted in calendar months from the decision (clamped to the month end:
    /// 31 Jan + 1 month = 28 or 29 Feb).
    pub fn default_window(
        &self,
        kind: RecordKind,
        decided_on: NaiveDate,
    ) -> (NaiveDate, NaiveDate) {
        let rule = self.rule(kind);
        let add = |months: u32| {
            decided_on
                .checked_add_months(Months::new(months))
                .unwrap_or(NaiveDate::MAX)
        };
        (
            add(rule.min_publicity_months),
            add(rule.max_publicity_months),
        )
    }

    /// Every rule, in the order of [`RecordKind`].
    pub fn rules(&self) -> impl Iterator<Item = &KindRule> {
        self.rules.values()
    }
}

/// Parses one data row, returning every `(column, problem)` it has.
fn parse_row(line: &str) -> Result<KindRule, Vec<(&'static str, String)>> {
    let fields: Vec<&str> = line.splitn(7, ',').map(str::trim).collect();
    if fields.len() < 7 {
        return Err(vec![(
            "row",
            format!("expected 7 columns, got {}", fields.len()),
        )]);
    }
    let mut problems = Vec::new();
    let kind = take(&mut problems, "kind", RecordKind::parse(fields[0]));
    let label_zh = take(&mut problems, "label_zh", non_blank(fields[1]));
    let min = take(&mut problems, "min_publicity_months", months(fields[2]));
    let max = take(&mut problems, "max_publicity_months", months(fields[3]));
    let tier_effect = take(&mut problems, "tier_effect", TierEffect::parse(fields[4]));
    let repair = take(&mut problems, "repair", RepairRule::parse(fields[5]));
    if let (Some(min), Some(max)) = (min, max) {
        if min > max {
            let what = format!("{max} is less than the minimum {min}");
            problems.push(("max_publicity_months", what));
        }
    }
    match (kind, tier_effect) {
        (Some(kind), Some(TierEffect::Raise)) if kind.is_negative() => {
            let what = format!("raise is only for commendations, not {kind}");
            problems.push(("tier_effect", what));
        }
        (Some(kind), Some(TierEffect::Floor(_))) if !kind.is_negative() => {
            problems.push(("tier_effect", format!("{kind} cannot set a floor")));
        }
        _ => {}
    }
    let note = unquote(fields[6]);
    match (kind, label_zh, min, max, tier_effect, repair) {
        (Some(kind), Some(label_zh), Some(min), Some(max), Some(tier_effect), Some(repair))
            if problems.is_empty() =>
        {
            Ok(KindRule {
                kind,
                label_zh,
                min_publicity_months: min,
                max_publicity_months: max,
                tier_effect,
                repair,
                note,
            })
        }
        _ => Err(problems),
    }
}

/// Records a failed cell as `(column, problem)` and keeps the value of a good one.
fn take<T>(
    problems: &mut Vec<(&'static str, String)>,
    column: &'static str,
    cell: Result<T, String>,
) -> Option<T> {
    cell.map_err(|what| problems.push((column, what))).ok()
}

fn non_blank(s: &str) -> Result<String, String> {
    if s.is_empty() {
        Err("missing".to_string())
    } else {
        Ok(s.to_string())
    }
}

fn months(s: &str) -> Result<u32, String> {
    s.parse::<u32>()
        .ok()
        .filter(|m| *m <= 1200)
        .ok_or_else(|| format!("expected a whole number of months (0–1200), got '{s}'"))
}

/// Removes the quotes of a quoted CSV field (so a note may contain commas).
fn unquote(s: &str) -> String {
    match s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn shipped_table_has_the_domain_defaults() {
        let t = RuleTable::builtin();
        assert_eq!(t.rules().count(), 6);
        let row = |k| {
            let r = t.rule(k);
            (
                r.min_publicity_months,
                r.max_publicity_months,
                r.tier_effect,
                r.repair,
            )
        };
        use RepairRule::*;
        assert_eq!(
            row(RecordKind::PenaltyMinor),
            (0, 3, TierEffect::None, AfterMinimum)
        );
        assert_eq!(
            row(RecordKind::PenaltyGeneral),
            (3, 12, TierEffect::Floor(Tier::B), AfterMinimum)
        );
        assert_eq!(
            row(RecordKind::PenaltySerious),
            (12, 36, TierEffect::Floor(Tier::C), AfterMinimum)
        );
        assert_eq!(
            row(RecordKind::AbnormalList),
            (0, 36, TierEffect::Floor(Tier::C), AfterMinimum)
        );
        assert_eq!(
            row(RecordKind::SeriousList),
            (12, 36, TierEffect::Floor(Tier::D), AfterMinimum)
        );
        assert_eq!(
            row(RecordKind::Commendation),
            (0, 12, TierEffect::Raise, Never)
        );
        assert_eq!(t.rule(RecordKind::SeriousList).label_zh, "严重违法失信名单");
        assert!(t.rules().all(|r| !r.note.is_empty()));
    }

    #[test]
    fn windows_run_from_the_decision_in_calendar_months() {
        let t = RuleTable::builtin();
        assert_eq!(
            t.default_window(RecordKind::PenaltyGeneral, d("2026-03-02")),
            (d("2026-06-02"), d("2027-03-02"))
        );
        assert_eq!(
            t.default_window(RecordKind::PenaltyMinor, d("2026-03-02")),
            (d("2026-03-02"), d("2026-06-02"))
        );
    }

    #[test]
    fn windows_clamp_to_the_month_end() {
        let t = RuleTable::builtin();
        let (min, _) = t.default_window(RecordKind::PenaltyGeneral, d("2025-11-30"));
        assert_eq!(min, d("2026-02-28"));
    }

    #[test]
    fn parses_effects_and_prints_them_back() {
        for s in ["none", "floor:B", "floor:C", "floor:D", "raise"] {
            assert_eq!(TierEffect::parse(s).unwrap().to_string(), s);
        }
        assert!(TierEffect::parse("floor:A").is_err());
        assert!(TierEffect::parse("floor:E").is_err());
    }

    #[test]
    fn reports_every_bad_cell_with_file_line_and_column() {
        let text = format!(
            "{HEADER}\n{}{}{}",
            "penalty-minor,轻微,x,3,none,after-minimum,n\n",
            "penalty-general,一般,12,3,floor:Q,sometimes,n\n",
            "penalty-minor,轻微,0,3,raise,after-minimum,n\n"
        );
        let errors = RuleTable::parse_csv(&text, "rules.csv").unwrap_err();
        assert_eq!(
            errors,
            vec![
                "rules.csv:2: min_publicity_months: expected a whole number of months (0–1200), got 'x'",
                "rules.csv:3: tier_effect: expected none, floor:B, floor:C, floor:D or raise, got 'floor:Q'",
                "rules.csv:3: repair: expected after-minimum or never, got 'sometimes'",
                "rules.csv:3: max_publicity_months: 3 is less than the minimum 12",
                "rules.csv:4: tier_effect: raise is only for commendations, not penalty-minor",
            ]
        );
    }

    #[test]
    fn requires_every_kind_exactly_once() {
        let mut text: String = SEED.to_string();
        text.push_str("serious-list,严重违法失信名单,12,36,floor:D,after-minimum,again\n");
        let errors = RuleTable::parse_csv(&text, "r.csv").unwrap_err();
        assert_eq!(
            errors,
            vec!["r.csv:8: kind: serious-list already defined on line 6"]
        );

        let without: String = SEED
            .lines()
            .filter(|l| !l.starts_with("commendation"))
            .map(|l| format!("{l}\n"))
            .collect();
        let errors = RuleTable::parse_csv(&without, "r.csv").unwrap_err();
        assert_eq!(errors, vec!["r.csv: kind: no rule for commendation"]);
    }

    #[test]
    fn accepts_a_bom_and_chinese_kind_names() {
        let text = format!(
            "\u{feff}{}",
            SEED.replacen("penalty-minor,", "轻微行政处罚,", 1)
        );
        assert_eq!(
            RuleTable::parse_csv(&text, "r.csv"),
            Ok(RuleTable::builtin())
        );
    }
}
