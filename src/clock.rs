//! The only place the service reads the clock: timestamps of audit entries and repair steps,
//! and "today" in China Standard Time (UTC+8) for deadlines. Nothing that decides a draw
//! reads it (`docs/architecture.md`, rule 4).

use chrono::{FixedOffset, NaiveDate, SecondsFormat, Utc};

/// Now, as an RFC 3339 UTC timestamp with seconds.
pub fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Today's date in China Standard Time.
pub fn today() -> NaiveDate {
    let cst = FixedOffset::east_opt(8 * 3600).expect("valid offset");
    Utc::now().with_timezone(&cst).date_naive()
}
