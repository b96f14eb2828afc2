//! One public (一公开): the work a drawn plan becomes (`docs/results.md`). Each (visit,
//! department) of a run plan is an inspection **job** with its team, period and items; the
//! drawn team (or its recorded replacement) records the **result** (谁检查、谁录入); the
//! department **publishes** it within the working days of `results.publication_workdays`
//! (谁公开, 企业信息公示暂行条例 art. 6), never editing a published version; results that the
//! rule table ties to a credit consequence raise **proposals** the credit office decides.

pub mod catalog;
pub mod code_key;
pub mod codes;
pub mod id_set;
pub mod jobs;
pub mod plan;
pub mod proposals;
pub mod public;
pub mod publication;
pub mod replacement;
pub mod results;
pub mod results_csv;
pub mod substitute;

/// Why an inspection step was refused; each has a stable code (`docs/results.md` §8).
#[derive(Debug, thiserror::Error)]
pub enum InspectionError {
    #[error("{0}")]
    NotFound(String),
    /// The caller may not act on this job (403).
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    /// The request is wrong in itself (422).
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    /// The request clashes with what is recorded (409).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// A bulk file with located errors (`FILE:LINE: column: …`).
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    File(Vec<crate::import::source::FieldError>),
    #[error(transparent)]
    Calendar(#[from] crate::calendar::CalendarError),
    /// The code key's file cannot be read or written (`docs/results.md` §12.3).
    #[error("{0}")]
    Key(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl InspectionError {
    pub fn invalid(code: &'static str, message: impl Into<String>) -> InspectionError {
        InspectionError::Invalid {
            code,
            message: message.into(),
        }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> InspectionError {
        InspectionError::Conflict {
            code,
            message: message.into(),
        }
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> InspectionError {
        InspectionError::Forbidden {
            code,
            message: message.into(),
        }
    }
}

/// A date as stored: `YYYY-MM-DD`.
pub fn day(d: chrono::NaiveDate) -> String {
    crate::import::source::iso_date(d)
}

/// A stored date; a malformed one is a corrupt row.
pub fn parse_day(s: &str) -> Result<chrono::NaiveDate, sqlx::Error> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| sqlx::Error::Decode(format!("stored date '{s}': {e}").into()))
}
