//! Credit-repair requests (信用修复申请) for the demo city, in every state of their procedure
//! (`docs/architecture.md`, "Vocabulary": submitted → accepted or refused at intake → approved or denied).
//!
//! Requests are filed in autumn 2026 against active negative records whose minimum publicity
//! has passed, that may end early and that the enterprise did not repeat (`docs/domain.md`, "Credit
//! repair"). Steps fall on official working days within the default intake (3) and decision
//! (10 working days) deadlines. Records stay `active` in `credit-records.csv`: loading the demo
//! replays each request, and an approval ends its record then.

use super::credit::{maximum_months, minimum_until};
use super::rng::{add_months, add_working_days, working_day_on_or_after, ymd, Rng, Stream};
use super::spool::{RecordRow, Spools};
use crate::credit::record::RecordKind;
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter};
use std::path::Path;

/// Where a request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RepairState {
    Submitted,
    Accepted,
    Refused,
    Approved,
    Denied,
}

impl RepairState {
    pub fn as_str(self) -> &'static str {
        match self {
            RepairState::Submitted => "submitted",
            RepairState::Accepted => "accepted",
            RepairState::Refused => "refused",
            RepairState::Approved => "approved",
            RepairState::Denied => "denied",
        }
    }
}

/// The requests of the demo: three in each state, two refused at intake.
const STATES: [(RepairState, usize); 5] = [
    (RepairState::Submitted, 3),
    (RepairState::Accepted, 3),
    (RepairState::Approved, 3),
    (RepairState::Denied, 3),
    (RepairState::Refused, 2),
];

/// The header of `repairs.csv`.
pub const HEADER: [&str; 9] = [
    "department",
    "document_no",
    "filed_on",
    "commitment",
    "proof",
    "state",
    "intake_on",
    "decided_on",
    "reason",
];

/// Whether a request filed any day from September to November 2026 may be made against `row`:
/// negative, active, allowed to end early, past its minimum and before its maximum publicity.
fn may_be_repaired(row: &RecordRow) -> bool {
    let Ok(kind) = RecordKind::parse(&row.kind) else {
        return false;
    };
    let window = row.publicity_min_until.zip(row.publicity_max_until);
    let maximum = row
        .publicity_max_until
        .unwrap_or_else(|| add_months(row.decided_on, maximum_months(kind)));
    kind.is_negative()
        && row.status == "active"
        && row.early_end_allowed
        && minimum_until(kind, row.decided_on, window) <= ymd(2026, 9, 1)
        && maximum > ymd(2026, 12, 1)
}

/// How many records each enterprise has of each kind: a request against a record whose kind
/// the enterprise repeated would be ineligible.
type KindCounts = BTreeMap<(String, String), u32>;

fn is_candidate(row: &RecordRow, counts: &KindCounts) -> bool {
    may_be_repaired(row) && counts[&(row.uscc.clone(), row.kind.clone())] == 1
}

/// Picks requests among the candidates in file order and writes `repairs.csv`.
pub struct RepairPlan {
    chosen: BTreeMap<u64, RepairState>,
    counts: KindCounts,
    seen: u64,
    rng: Rng,
    writer: csv::Writer<BufWriter<File>>,
    written: u64,
}

impl RepairPlan {
    /// Looks at every record of `spools` and plans the requests, writing to `path`.
    pub fn new(spools: &Spools, seed: u64, path: &Path) -> io::Result<RepairPlan> {
        let mut counts = KindCounts::new();
        let mut eligible = Vec::new();
        spools.visit(seed, |row, _| {
            *counts
                .entry((row.uscc.clone(), row.kind.clone()))
                .or_default() += 1;
            eligible.push((row.uscc.clone(), row.kind.clone(), may_be_repaired(row)));
            Ok(())
        })?;
        // Candidates by kind, so the demo shows requests against several kinds of record.
        let mut by_kind: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        let candidates = eligible
            .into_iter()
            .filter(|(uscc, kind, ok)| *ok && counts[&(uscc.clone(), kind.clone())] == 1);
        for (ordinal, (_, kind, _)) in candidates.enumerate() {
            by_kind.entry(kind).or_default().push(ordinal as u64);
        }
        let mut rng = Rng::new(seed, Stream::Repairs);
        let mut states: Vec<RepairState> = STATES
            .iter()
            .flat_map(|&(s, n)| std::iter::repeat_n(s, n))
            .collect();
        rng.shuffle(&mut states);
        let picks = round_robin(&mut rng, by_kind.into_values().collect(), states.len());
        let mut writer = csv::Writer::from_writer(BufWriter::new(File::create(path)?));
        writer.write_record(HEADER)?;
        Ok(RepairPlan {
            chosen: picks.into_iter().zip(states).collect(),
            counts,
            seen: 0,
            rng,
            writer,
            written: 0,
        })
    }

    /// Looks at the next record of the file; files a request against it if it was picked.
    pub fn visit(&mut self, row: &RecordRow, document_no: &str) -> io::Result<()> {
        if !is_candidate(row, &self.counts) {
            return Ok(());
        }
        let ordinal = self.seen;
        self.seen += 1;
        let Some(&state) = self.chosen.get(&ordinal) else {
            return Ok(());
        };
        let request = self.request(row, state);
        let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        self.writer.write_record([
            row.department.as_str(),
            document_no,
            &request.filed_on.to_string(),
            "已签署《信用承诺书》，承诺依法诚信经营、自觉接受社会监督",
            request.proof,
            state.as_str(),
            &date(request.intake_on),
            &date(request.decided_on),
            request.reason,
        ])?;
        self.written += 1;
        Ok(())
    }

    /// Flushes the file and returns how many requests it holds.
    pub fn finish(mut self) -> io::Result<u64> {
        self.writer.flush()?;
        Ok(self.written)
    }

    fn request(&mut self, row: &RecordRow, state: RepairState) -> Request {
        use RepairState::*;
        let (from, until) = match state {
            Submitted => (ymd(2026, 11, 16), ymd(2026, 11, 20)),
            Accepted => (ymd(2026, 10, 26), ymd(2026, 11, 10)),
            Refused => (ymd(2026, 9, 1), ymd(2026, 11, 6)),
            Approved | Denied => (ymd(2026, 9, 1), ymd(2026, 10, 20)),
        };
        let filed_on = working_day_on_or_after(self.rng.date(from, until));
        let intake_on =
            (state != Submitted).then(|| add_working_days(filed_on, self.rng.between(1, 3) as u32));
        let decided_on = matches!(state, Approved | Denied)
            .then(|| add_working_days(intake_on.expect("taken in"), self.rng.between(2, 9) as u32));
        let reason = match state {
            Refused => *self.rng.pick(&[
                "申请材料不齐全，未提交履行义务的证明材料",
                "未提交加盖公章的《信用承诺书》",
            ]),
            Denied => *self.rng.pick(&[
                "经核查，失信行为尚未完成整改",
                "未全部履行行政处罚决定确定的义务",
            ]),
            _ => "",
        };
        Request {
            filed_on,
            intake_on,
            decided_on,
            proof: proof(row),
            reason,
        }
    }
}

/// Up to `wanted` ordinals, taken from the groups in turn, each group in random order; sorted.
fn round_robin(rng: &mut Rng, mut groups: Vec<Vec<u64>>, wanted: usize) -> Vec<u64> {
    for group in &mut groups {
        rng.shuffle(group);
    }
    let mut picks = Vec::new();
    for turn in 0.. {
        let before = picks.len();
        for group in &groups {
            if picks.len() < wanted {
                picks.extend(group.get(turn).copied());
            }
        }
        if picks.len() == before || picks.len() == wanted {
            break;
        }
    }
    picks.sort_unstable();
    picks
}

struct Request {
    filed_on: NaiveDate,
    intake_on: Option<NaiveDate>,
    decided_on: Option<NaiveDate>,
    proof: &'static str,
    reason: &'static str,
}

/// What the enterprise shows to prove the act corrected and its obligations met.
fn proof(row: &RecordRow) -> &'static str {
    match row.kind.as_str() {
        "abnormal-list" if row.summary.contains("年度报告") => {
            "已补报年度报告并通过国家企业信用信息公示系统公示"
        }
        "abnormal-list" => "已办理住所变更登记并提交可联系的经营场所证明",
        "serious-list" => "已履行相关法定义务，提交整改报告及履行义务的证明材料",
        "penalty-minor" => "已按要求完成整改，提交整改情况说明",
        _ => "已全额缴纳罚没款（附缴款凭证），提交整改报告",
    }
}
