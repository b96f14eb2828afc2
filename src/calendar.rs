//! Official working days (`docs/domain.md`, "Working days"): Monday–Friday, minus public holidays,
//! plus the weekend days declared make-up working days (调休上班).
//!
//! The State Council publishes each year's schedule in November (2025: 国办发明电〔2024〕12号;
//! 2026: notice of 2025-11-04). The schedule is data (`seeds/calendar/YEAR.csv`, one row per
//! special day), and counting into a year without a schedule is an error, never a guess.

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The shipped schedules, one CSV per year.
const SEEDS: [(&str, &str); 2] = [
    (
        "seeds/calendar/2025.csv",
        include_str!("../seeds/calendar/2025.csv"),
    ),
    (
        "seeds/calendar/2026.csv",
        include_str!("../seeds/calendar/2026.csv"),
    ),
];

/// What a special day of the schedule is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DayKind {
    /// A public holiday (休): no work even on a weekday.
    Off,
    /// A make-up working day (班): work on a Saturday or Sunday.
    Work,
}

impl DayKind {
    /// The name used in the CSV files: `off` or `work`.
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Off => "off",
            DayKind::Work => "work",
        }
    }

    /// Parses `off`/`work`, also accepting the characters printed on Chinese calendars, 休/班.
    pub fn parse(s: &str) -> Result<DayKind, String> {
        match s {
            "off" | "休" => Ok(DayKind::Off),
            "work" | "班" => Ok(DayKind::Work),
            _ => Err(format!("expected off (休) or work (班), got '{s}'")),
        }
    }
}

impl fmt::Display for DayKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One special day of an official schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CalendarDay {
    /// The day.
    pub date: NaiveDate,
    /// Holiday or make-up working day.
    pub kind: DayKind,
    /// The holiday it belongs to, e.g. `国庆节` or `春节调休上班`.
    pub note: String,
}

/// A date the calendar cannot count.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The year has no official schedule loaded.
    #[error("no official working-day schedule for {0}; import it with `dualdraw calendar import`")]
    NoSchedule(i32),
    /// Counting ran past the last date chrono can represent.
    #[error("date out of range counting working days from {0}")]
    OutOfRange(NaiveDate),
}

/// The official working-day calendar of the years whose schedule is loaded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    years: BTreeSet<i32>,
    special: BTreeMap<NaiveDate, (DayKind, String)>,
}

impl WorkCalendar {
    /// The schedules shipped in `seeds/calendar/` (2025 and 2026).
    ///
    /// Panics only if a shipped file is broken, which the tests rule out.
    pub fn builtin() -> WorkCalendar {
        let mut cal = WorkCalendar::default();
        for (file, text) in SEEDS {
            match WorkCalendar::parse_csv(text, file) {
                Ok(days) => cal.add_days(&days),
                Err(errors) => panic!("shipped calendar is broken: {}", errors.join("; ")),
            }
        }
        cal
    }

    /// Parses a schedule file with header `date,kind,note`, one row per special day.
    ///
    /// Every problem is reported as `FILE:LINE: column: what is wrong` (the header is line 1).
    /// A `work` day must fall on a weekend; a date may be listed only once.
    pub fn parse_csv(text: &str, file: &str) -> Result<Vec<CalendarDay>, Vec<String>> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        // RFC 4180 by the csv crate: a note may be quoted and hold commas, quotes and newlines.
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let mut records = reader.records();
        match records.next() {
            Some(Ok(header)) if header.iter().eq(["date", "kind", "note"]) => {}
            other => {
                let got = match other {
                    Some(Ok(h)) => h.iter().collect::<Vec<_>>().join(","),
                    _ => String::new(),
                };
                return Err(vec![format!(
                    "{file}:1: header: expected 'date,kind,note', got '{got}'"
                )]);
            }
        }
        let mut seen: BTreeMap<NaiveDate, u64> = BTreeMap::new();
        let mut days = Vec::new();
        let mut errors = Vec::new();
        for record in records {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    errors.push(format!("{file}:{line}: not valid CSV: {e}"));
                    break;
                }
            };
            let line_no = record.position().map_or(0, |p| p.line());
            if record.iter().all(str::is_empty) {
                continue;
            }
            match day_of(&record) {
                Ok(day) => {
                    if day.kind == DayKind::Work && !is_weekend(day.date) {
                        errors.push(format!(
                            "{file}:{line_no}: kind: {} is a {}; a make-up working day (work) must be a Saturday or Sunday",
                            day.date,
                            day.date.weekday()
                        ));
                    }
                    if let Some(first) = seen.insert(day.date, line_no) {
                        let date = day.date;
                        errors.push(format!(
                            "{file}:{line_no}: date: {date} already listed on line {first}"
                        ));
                    }
                    days.push(day);
                }
                Err((column, what)) => errors.push(format!("{file}:{line_no}: {column}: {what}")),
            }
        }
        if errors.is_empty() {
            Ok(days)
        } else {
            Err(errors)
        }
    }

    /// Adds the schedules of the years these days fall in, replacing any schedule those years
    /// had. A year is scheduled once any of its days is added.
    pub fn add_days(&mut self, days: &[CalendarDay]) {
        let years: BTreeSet<i32> = days.iter().map(|d| d.date.year()).collect();
        self.special.retain(|date, _| !years.contains(&date.year()));
        self.years.extend(&years);
        for day in days {
            self.special.insert(day.date, (day.kind, day.note.clone()));
        }
    }

    /// The years with a schedule, in order.
    pub fn years(&self) -> Vec<i32> {
        self.years.iter().copied().collect()
    }

    /// Every special day, sorted by date, for export and storage.
    pub fn days(&self) -> Vec<CalendarDay> {
        self.special
            .iter()
            .map(|(date, (kind, note))| CalendarDay {
                date: *date,
                kind: *kind,
                note: note.clone(),
            })
            .collect()
    }

    /// The special days as a CSV file that [`WorkCalendar::parse_csv`] reads back.
    pub fn to_csv(&self) -> String {
        let mut out = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        let row = |out: &mut csv::Writer<Vec<u8>>, fields: [&str; 3]| {
            out.write_record(fields).expect("writing to memory");
        };
        row(&mut out, ["date", "kind", "note"]);
        for day in self.days() {
            row(
                &mut out,
                [&day.date.to_string(), day.kind.as_str(), &day.note],
            );
        }
        String::from_utf8(out.into_inner().expect("writing to memory")).expect("UTF-8 fields")
    }

    /// Whether `date` is an official working day.
    pub fn is_workday(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        if !self.years.contains(&date.year()) {
            return Err(CalendarError::NoSchedule(date.year()));
        }
        Ok(match self.special.get(&date) {
            Some((kind, _)) => *kind == DayKind::Work,
            None => !is_weekend(date),
        })
    }

    /// The date `n` working days after `date` (which itself is not counted); `n = 0` gives
    /// `date`. Counting into or through a year without a schedule is an error.
    pub fn add_workdays(&self, date: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        let mut day = date;
        let mut left = n;
        while left > 0 {
            day = day.succ_opt().ok_or(CalendarError::OutOfRange(date))?;
            if self.is_workday(day)? {
                left -= 1;
            }
        }
        Ok(day)
    }

    /// The number of working days in `(from, to]`: 0 when `to <= from`.
    pub fn workdays_between(&self, from: NaiveDate, to: NaiveDate) -> Result<u32, CalendarError> {
        let mut count = 0;
        let mut day = from;
        while day < to {
            day = day.succ_opt().ok_or(CalendarError::OutOfRange(from))?;
            if self.is_workday(day)? {
                count += 1;
            }
        }
        Ok(count)
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Parses a strict `YYYY-MM-DD` date.
fn parse_iso_date(s: &str) -> Result<NaiveDate, String> {
    match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Ok(d) if d.format("%Y-%m-%d").to_string() == s => Ok(d),
        _ => Err(format!("expected a date YYYY-MM-DD, got '{s}'")),
    }
}

/// One data row of a schedule file, or the column at fault and what is wrong.
fn day_of(record: &csv::StringRecord) -> Result<CalendarDay, (String, String)> {
    let field = |i: usize| record.get(i);
    if record.len() > 3 {
        return Err((
            "field 4".into(),
            "extra field; the header has 3 columns (quote a note that holds a comma)".into(),
        ));
    }
    let date = parse_iso_date(field(0).unwrap_or("")).map_err(|e| ("date".to_string(), e))?;
    let kind = match field(1) {
        Some(k) => DayKind::parse(k).map_err(|e| ("kind".to_string(), e))?,
        None => return Err(("kind".into(), "missing".into())),
    };
    let note = field(2).unwrap_or("").to_string();
    Ok(CalendarDay { date, kind, note })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn cal() -> WorkCalendar {
        WorkCalendar::builtin()
    }

    #[test]
    fn builtin_schedules_2025_and_2026() {
        assert_eq!(cal().years(), vec![2025, 2026]);
        assert_eq!(d("2025-01-01").weekday(), Weekday::Wed);
        assert_eq!(d("2026-01-01").weekday(), Weekday::Thu);
    }

    #[test]
    fn holidays_are_off_and_make_up_weekends_are_work() {
        let c = cal();
        for off in [
            "2025-01-01",
            "2025-02-04",
            "2025-06-02",
            "2025-10-08",
            "2026-02-23",
        ] {
            assert_eq!(c.is_workday(d(off)), Ok(false), "{off}");
        }
        for work in [
            "2025-01-26",
            "2025-02-08",
            "2025-04-27",
            "2025-09-28",
            "2025-10-11",
        ] {
            assert_eq!(c.is_workday(d(work)), Ok(true), "{work}");
        }
        for work in [
            "2026-01-04",
            "2026-02-14",
            "2026-02-28",
            "2026-05-09",
            "2026-09-20",
        ] {
            assert_eq!(c.is_workday(d(work)), Ok(true), "{work}");
        }
        assert_eq!(c.is_workday(d("2026-10-10")), Ok(true));
        // An ordinary Saturday and an ordinary Monday.
        assert_eq!(c.is_workday(d("2025-03-01")), Ok(false));
        assert_eq!(c.is_workday(d("2025-03-03")), Ok(true));
    }

    #[test]
    fn counts_over_the_2025_national_day_holiday() {
        // Tue 30 Sep; 1–8 Oct off; Thu 9 Oct is the next working day.
        assert_eq!(cal().add_workdays(d("2025-09-30"), 1), Ok(d("2025-10-09")));
        // Thu 9, Fri 10, Sat 11 (make-up day), Mon 13.
        assert_eq!(cal().add_workdays(d("2025-09-30"), 4), Ok(d("2025-10-13")));
    }

    #[test]
    fn counts_a_sunday_make_up_day() {
        // Fri 26 Sep 2025 + 1: Sat 27 off, Sun 28 make-up working day.
        assert_eq!(cal().add_workdays(d("2025-09-26"), 1), Ok(d("2025-09-28")));
    }

    #[test]
    fn counts_a_saturday_make_up_day() {
        assert_eq!(cal().add_workdays(d("2026-02-13"), 1), Ok(d("2026-02-14")));
        // Sat 14 Feb, then 15–23 off: Tue 24 Feb.
        assert_eq!(cal().add_workdays(d("2026-02-13"), 2), Ok(d("2026-02-24")));
    }

    #[test]
    fn zero_working_days_is_the_date_itself() {
        assert_eq!(cal().add_workdays(d("2025-10-01"), 0), Ok(d("2025-10-01")));
    }

    #[test]
    fn counts_across_the_new_year() {
        // Wed 31 Dec 2025; 1–3 Jan 2026 off; Sun 4 Jan make-up day.
        assert_eq!(cal().add_workdays(d("2025-12-31"), 1), Ok(d("2026-01-04")));
        assert_eq!(cal().add_workdays(d("2025-12-31"), 2), Ok(d("2026-01-05")));
    }

    #[test]
    fn refuses_to_count_into_an_unscheduled_year() {
        assert_eq!(
            cal().add_workdays(d("2026-12-31"), 1),
            Err(CalendarError::NoSchedule(2027))
        );
        assert_eq!(
            cal().is_workday(d("2024-12-31")),
            Err(CalendarError::NoSchedule(2024))
        );
        assert_eq!(
            CalendarError::NoSchedule(2027).to_string(),
            "no official working-day schedule for 2027; import it with `dualdraw calendar import`"
        );
    }

    #[test]
    fn workdays_between_excludes_from_and_includes_to() {
        let c = cal();
        assert_eq!(c.workdays_between(d("2025-09-30"), d("2025-10-09")), Ok(1));
        // Sun 28, Mon 29, Tue 30 Sep; Thu 9, Fri 10, Sat 11, Mon 13 Oct.
        assert_eq!(c.workdays_between(d("2025-09-26"), d("2025-10-13")), Ok(7));
        assert_eq!(c.workdays_between(d("2025-10-09"), d("2025-10-09")), Ok(0));
        assert_eq!(c.workdays_between(d("2025-10-09"), d("2025-09-01")), Ok(0));
        // Whole years: 261 weekdays − 18 (2025) or 19 (2026) holidays + 5 or 6 make-up days.
        assert_eq!(
            c.workdays_between(d("2025-01-01"), d("2025-12-31")),
            Ok(248)
        );
        assert_eq!(
            c.workdays_between(d("2025-12-31"), d("2026-12-31")),
            Ok(248)
        );
        assert_eq!(
            c.workdays_between(d("2024-12-30"), d("2025-01-02")),
            Err(CalendarError::NoSchedule(2024))
        );
    }

    #[test]
    fn add_and_between_agree() {
        let c = cal();
        let start = d("2025-01-20");
        for n in [1, 5, 17, 60, 200] {
            let end = c.add_workdays(start, n).unwrap();
            assert_eq!(c.workdays_between(start, end), Ok(n));
        }
    }

    #[test]
    fn reports_bad_rows_with_file_line_and_column() {
        let text = concat!(
            "\u{feff}date,kind,note\n",
            "2027-01-01,off,元旦\n",
            "2027-02-30,off,x\n",
            "2027-01-05,work,Tue\n",
            "2027-01-09,maybe,x\n",
            "2027-01-01,work,dup\n",
        );
        let errors = WorkCalendar::parse_csv(text, "2027.csv").unwrap_err();
        assert_eq!(
            errors,
            vec![
                "2027.csv:3: date: expected a date YYYY-MM-DD, got '2027-02-30'",
                "2027.csv:4: kind: 2027-01-05 is a Tue; a make-up working day (work) must be a Saturday or Sunday",
                "2027.csv:5: kind: expected off (休) or work (班), got 'maybe'",
                "2027.csv:6: kind: 2027-01-01 is a Fri; a make-up working day (work) must be a Saturday or Sunday",
                "2027.csv:6: date: 2027-01-01 already listed on line 2",
            ]
        );
    }

    #[test]
    fn rejects_a_wrong_header() {
        let errors = WorkCalendar::parse_csv("day,kind\n", "x.csv").unwrap_err();
        assert_eq!(
            errors,
            vec!["x.csv:1: header: expected 'date,kind,note', got 'day,kind'"]
        );
    }

    #[test]
    fn accepts_chinese_kinds_and_crlf() {
        let days = WorkCalendar::parse_csv(
            "date,kind,note\r\n2027-01-01,休,元旦\r\n2027-02-06,班,\"春节调休上班, 周六\"\r\n",
            "x.csv",
        )
        .unwrap();
        assert_eq!(days.len(), 2);
        assert_eq!(days[1].kind, DayKind::Work);
        assert_eq!(days[1].note, "春节调休上班, 周六");
    }

    #[test]
    fn imported_year_replaces_the_old_schedule() {
        let mut c = cal();
        let days =
            WorkCalendar::parse_csv("date,kind,note\n2025-03-03,off,test\n", "x.csv").unwrap();
        c.add_days(&days);
        assert_eq!(c.is_workday(d("2025-03-03")), Ok(false));
        assert_eq!(
            c.is_workday(d("2025-10-01")),
            Ok(true),
            "old 2025 holidays are gone"
        );
        assert_eq!(c.is_workday(d("2026-10-01")), Ok(false), "2026 untouched");
    }

    #[test]
    fn export_reads_back_to_the_same_calendar() {
        let c = cal();
        let mut again = WorkCalendar::default();
        again.add_days(&WorkCalendar::parse_csv(&c.to_csv(), "export.csv").unwrap());
        assert_eq!(again, c);
        let days = c.days();
        assert!(days.windows(2).all(|w| w[0].date < w[1].date));
    }

    #[test]
    fn a_note_with_a_comma_quote_or_newline_round_trips() {
        let mut c = WorkCalendar::default();
        let note = "春节调休上班, 周六 \"补班\"\n第二行";
        c.add_days(&[CalendarDay {
            date: d("2027-02-06"),
            kind: DayKind::Work,
            note: note.to_string(),
        }]);
        let text = c.to_csv();
        let days = WorkCalendar::parse_csv(&text, "x.csv").unwrap();
        assert_eq!(days.len(), 1);
        assert_eq!(days[0].note, note);
    }

    #[test]
    fn an_unquoted_extra_comma_is_named() {
        let errors =
            WorkCalendar::parse_csv("date,kind,note\n2027-01-01,off,a,b\n", "x.csv").unwrap_err();
        assert_eq!(
            errors,
            vec!["x.csv:2: field 4: extra field; the header has 3 columns (quote a note that holds a comma)"]
        );
    }

    #[test]
    fn line_numbers_count_the_lines_of_a_quoted_note() {
        let text = "date,kind,note\n2027-01-02,off,\"two\nlines\"\n2027-01-03,maybe,x\n";
        let errors = WorkCalendar::parse_csv(text, "x.csv").unwrap_err();
        assert_eq!(
            errors,
            vec!["x.csv:4: kind: expected off (休) or work (班), got 'maybe'"]
        );
    }
}
