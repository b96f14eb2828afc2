//! When the value of a declared entropy source may be public (`docs/verifiers.md`, "Source
//! timing"; the order rule of `docs/draw-protocol.md` §1: commit before chance exists).
//!
//! A drand round is published at `genesis + period × (round − 1)` (drand's `TimeOfRound`, see
//! [`crate::drand::time_of`]). A lottery draw's numbers are taken to be public from the start
//! of its draw date in China Standard Time (UTC+8, no daylight saving), since the official
//! announcement's hour is not part of the declaration. Time is a parameter: this module never
//! reads a clock.

use crate::drand::{self, Chain};
use chrono::{DateTime, NaiveDate};
use std::fmt;

/// Seconds China Standard Time is ahead of UTC.
pub const CHINA_STANDARD_TIME_OFFSET: i64 = 8 * 3600;

/// A declared source of public entropy, as far as its timing goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Round `round` of a pinned drand chain.
    Drand { chain: Chain, round: u64 },
    /// A lottery draw held on `date` (a date in China).
    Lottery { date: NaiveDate },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Drand { chain, round } => write!(f, "drand {chain} round {round}"),
            Source::Lottery { date } => write!(f, "the lottery draw of {date}"),
        }
    }
}

/// The Unix time from which the source's value may be public: the drand round's publication
/// time, or 00:00 China Standard Time on the lottery's draw date.
pub fn public_from(source: &Source) -> i64 {
    match *source {
        Source::Drand { chain, round } => {
            i64::try_from(drand::time_of(chain, round)).unwrap_or(i64::MAX)
        }
        Source::Lottery { date } => {
            let midnight_utc = date
                .and_hms_opt(0, 0, 0)
                .expect("midnight exists")
                .and_utc()
                .timestamp();
            midnight_utc - CHINA_STANDARD_TIME_OFFSET
        }
    }
}

/// Why a source cannot be declared now: its value is, or may already be, public.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlreadyPublic {
    /// The source.
    pub source: Source,
    /// When its value may be public (Unix seconds).
    pub public_from: i64,
    /// The time of the check (Unix seconds).
    pub now: i64,
    /// The margin that was applied (seconds; always 0 for a lottery).
    pub margin_seconds: u64,
}

impl fmt::Display for AlreadyPublic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} may be public from {} (Unix {}), which is not after now, {}",
            self.source,
            utc(self.public_from),
            self.public_from,
            utc(self.now)
        )?;
        if self.margin_seconds > 0 {
            write!(f, ", plus the margin of {} s", self.margin_seconds)?;
        }
        Ok(())
    }
}

impl std::error::Error for AlreadyPublic {}

/// A Unix time as `YYYY-MM-DDTHH:MM:SSZ`, or the number if it is out of chrono's range.
pub fn utc(unix: i64) -> String {
    DateTime::from_timestamp(unix, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| unix.to_string())
}

/// `Ok(())` if the source's value cannot be public yet, with room to spare; otherwise why.
///
/// - a drand round: its time must be strictly after `now_unix + margin_seconds` (the margin
///   leaves time to log and cosign the commitment before the round exists);
/// - a lottery draw: its date must be after today in China, that is 00:00 CST of the draw
///   date strictly after `now_unix`; the margin does not apply (`docs/log.md` §7.2: the date is
///   all a declaration fixes, and `draw run` still requires the commitment to be cosigned
///   before that midnight).
pub fn may_be_public(
    source: &Source,
    now_unix: i64,
    margin_seconds: u64,
) -> Result<(), AlreadyPublic> {
    let from = public_from(source);
    let margin = match source {
        Source::Drand { .. } => margin_seconds,
        Source::Lottery { .. } => 0,
    };
    let deadline = now_unix.saturating_add(i64::try_from(margin).unwrap_or(i64::MAX));
    if from > deadline {
        Ok(())
    } else {
        Err(AlreadyPublic {
            source: *source,
            public_from: from,
            now: now_unix,
            margin_seconds: margin,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn quicknet(round: u64) -> Source {
        Source::Drand {
            chain: Chain::Quicknet,
            round,
        }
    }

    #[test]
    fn drand_round_times_follow_genesis_and_period() {
        assert_eq!(public_from(&quicknet(1)), 1_692_803_367);
        assert_eq!(public_from(&quicknet(2)), 1_692_803_370);
        assert_eq!(public_from(&quicknet(123)), 1_692_803_367 + 3 * 122);
        let default = Source::Drand {
            chain: Chain::Default,
            round: 1000,
        };
        assert_eq!(public_from(&default), 1_595_431_050 + 30 * 999);
    }

    #[test]
    fn lottery_is_public_from_midnight_china_standard_time() {
        // 2026-01-02 00:00 in Beijing is 2026-01-01 16:00 UTC.
        let s = Source::Lottery {
            date: date("2026-01-02"),
        };
        assert_eq!(utc(public_from(&s)), "2026-01-01T16:00:00Z");
        assert_eq!(public_from(&s), 1_767_283_200);
    }

    #[test]
    fn drand_round_at_the_boundary() {
        let round = 100_000_000;
        let t = public_from(&quicknet(round));
        let margin = 60;
        // Accepted while the round's time is strictly after now + margin.
        assert_eq!(
            may_be_public(&quicknet(round), t - margin as i64 - 1, margin),
            Ok(())
        );
        // Refused from the instant now + margin reaches it.
        let err = may_be_public(&quicknet(round), t - margin as i64, margin).unwrap_err();
        assert_eq!(err.public_from, t);
        assert!(may_be_public(&quicknet(round), t, 0).is_err());
        assert!(may_be_public(&quicknet(round), t - 1, 0).is_ok());
    }

    #[test]
    fn old_round_is_refused_with_a_reason() {
        // Issue 10's example: quicknet round 123 was published in 2023.
        let now = 1_764_633_600; // 2025-12-02T00:00:00Z
        let err = may_be_public(&quicknet(123), now, 30).unwrap_err();
        assert_eq!(
            err.to_string(),
            "drand quicknet round 123 may be public from 2023-08-23T15:15:33Z (Unix 1692803733), \
             which is not after now, 2025-12-02T00:00:00Z, plus the margin of 30 s"
        );
    }

    #[test]
    fn lottery_today_is_refused_tomorrow_accepted() {
        // 2026-01-01 23:59:59 in Beijing (15:59:59 UTC): the draw of 2026-01-02 is tomorrow.
        let before_midnight = 1_767_283_199;
        let draw = Source::Lottery {
            date: date("2026-01-02"),
        };
        assert_eq!(may_be_public(&draw, before_midnight, 0), Ok(()));
        // One second later it is the draw date in China: refused.
        let err = may_be_public(&draw, before_midnight + 1, 0).unwrap_err();
        assert_eq!(err.public_from, before_midnight + 1);
        // The margin is for drand rounds only: a lottery keeps its midnight boundary.
        assert_eq!(may_be_public(&draw, before_midnight, 3600), Ok(()));
        let err = may_be_public(&draw, before_midnight + 1, 3600).unwrap_err();
        assert_eq!(err.margin_seconds, 0);
        let past = Source::Lottery {
            date: date("2025-12-31"),
        };
        let err = may_be_public(&past, before_midnight, 0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the lottery draw of 2025-12-31 may be public from 2025-12-30T16:00:00Z \
             (Unix 1767110400), which is not after now, 2026-01-01T15:59:59Z"
        );
    }

    #[test]
    fn huge_rounds_and_margins_saturate() {
        assert_eq!(public_from(&quicknet(u64::MAX)), i64::MAX);
        assert!(may_be_public(&quicknet(u64::MAX), 0, u64::MAX).is_err());
        assert_eq!(may_be_public(&quicknet(u64::MAX), 0, 0), Ok(()));
    }
}
