//! Chance for the generator: one ChaCha8 stream per concern, integer draws only.
//!
//! Every file must come out byte-identical on every machine (`docs/architecture.md`, rule 4), so draws use
//! nothing but `next_u64` of a seeded ChaCha8 generator and integer arithmetic: no floating
//! point, no platform-sized integers. Each concern (layout, enterprises, credit, …) reads its own
//! ChaCha stream of the same seed, so changing how many inspectors a city has does not change
//! its enterprises.

use crate::calendar::WorkCalendar;
use chrono::{Datelike, Days, Months, NaiveDate, Weekday};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The ChaCha stream numbers of the generator's concerns.
#[derive(Clone, Copy, Debug)]
pub enum Stream {
    Layout = 1,
    Enterprises = 2,
    Credit = 3,
    Inspectors = 4,
    Conflicts = 5,
    Numbering = 6,
    Repairs = 7,
}

/// A deterministic source of integers.
pub struct Rng(ChaCha8Rng);

impl Rng {
    /// The stream `stream` of the generator seeded with `seed`.
    pub fn new(seed: u64, stream: Stream) -> Rng {
        let mut inner = ChaCha8Rng::seed_from_u64(seed);
        inner.set_stream(stream as u64);
        Rng(inner)
    }

    /// A number in `0..n` (`n > 0`), by the multiply-shift mapping of a 64-bit draw.
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        ((u128::from(self.0.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `lo..=hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `per_10000 / 10,000`.
    pub fn chance(&mut self, per_10000: u64) -> bool {
        self.below(10_000) < per_10000
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An index drawn with probability proportional to `weights` (not all zero).
    pub fn weighted(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut r = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if r < w {
                return i;
            }
            r -= w;
        }
        unreachable!("r < total")
    }

    /// A day in `lo..=hi`.
    pub fn date(&mut self, lo: NaiveDate, hi: NaiveDate) -> NaiveDate {
        let span = (hi - lo).num_days();
        debug_assert!(span >= 0, "{lo} > {hi}");
        lo + Days::new(self.below(span as u64 + 1))
    }

    /// `k` distinct numbers of `0..n`, sorted (Floyd's algorithm).
    pub fn sample(&mut self, n: u64, k: u64) -> Vec<u64> {
        let k = k.min(n);
        let mut chosen = std::collections::BTreeSet::new();
        for j in n - k..n {
            let t = self.below(j + 1);
            if !chosen.insert(t) {
                chosen.insert(j);
            }
        }
        chosen.into_iter().collect()
    }

    /// Shuffles `items` in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

/// A calendar date; panics on an impossible one (used for constants only).
pub fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid constant date")
}

/// `date` plus `months` calendar months (clamped to the month's last day).
pub fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .expect("date in range")
}

/// Whether `d` is an official working day of the shipped 2026 schedule
/// (`seeds/calendar/2026.csv`; `docs/domain.md`, "Working days"). Outside 2026 only weekends
/// count as rest days, so that generated files do not change when a schedule is added; the
/// generator uses it for autumn 2026 dates.
pub fn is_working_day(d: NaiveDate) -> bool {
    static CALENDAR: std::sync::OnceLock<WorkCalendar> = std::sync::OnceLock::new();
    if d.year() == 2026 {
        let calendar = CALENDAR.get_or_init(WorkCalendar::builtin);
        return calendar.is_workday(d).expect("2026 is shipped");
    }
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The first working day on or after `d`.
pub fn working_day_on_or_after(mut d: NaiveDate) -> NaiveDate {
    while !is_working_day(d) {
        d = d.succ_opt().expect("date in range");
    }
    d
}

/// The working day `n` working days after `d`.
pub fn add_working_days(mut d: NaiveDate, n: u32) -> NaiveDate {
    for _ in 0..n {
        d = working_day_on_or_after(d.succ_opt().expect("date in range"));
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_of_one_seed_differ_and_repeat() {
        let a: Vec<u64> = (0..4)
            .map(|_| Rng::new(7, Stream::Layout).below(1 << 40))
            .collect();
        let mut r = Rng::new(7, Stream::Layout);
        let first = r.below(1 << 40);
        assert_eq!(first, a[0]);
        let mut other = Rng::new(7, Stream::Credit);
        assert_ne!(other.below(1 << 40), first);
    }

    #[test]
    fn sample_is_sorted_distinct_and_complete_when_k_is_n() {
        let mut r = Rng::new(1, Stream::Conflicts);
        let s = r.sample(1000, 50);
        assert_eq!(s.len(), 50);
        assert!(s.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(r.sample(5, 9), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn working_days_skip_the_national_day_week_and_count_make_up_days() {
        assert_eq!(add_working_days(ymd(2026, 9, 30), 1), ymd(2026, 10, 8));
        assert!(is_working_day(ymd(2026, 10, 10)));
        assert!(!is_working_day(ymd(2026, 10, 11)));
    }
}
