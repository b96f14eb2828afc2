//! The first difference verification finds (`docs/draw-protocol.md` §11): where it is — the
//! bundle file, the line, the field, when the check knows them — and the sentence
//! `dualdraw verify` prints after `verification failed: `.

use crate::files::FileError;
use dualdraw_solver::inputs::InputError;

/// The first difference between a bundle and what it claims. Its text (`Display`) is the one
/// `dualdraw verify` prints, byte for byte, which the Python and JavaScript verifiers match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// The bundle file it is in (relative path), when it is in one file.
    pub file: Option<String>,
    /// The line of that file (1-based), when a line is named.
    pub line: Option<u64>,
    /// The field (JSON key or CSV column), when one is named.
    pub field: Option<String>,
    text: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for Difference {}

impl Difference {
    /// A difference in `file`: `FILE: WHAT`.
    pub fn in_file(file: &str, what: impl std::fmt::Display) -> Difference {
        Difference {
            file: Some(file.to_string()),
            line: None,
            field: None,
            text: format!("{file}: {what}"),
        }
    }

    /// A difference in field `field` of `file`: `FILE: WHAT` (`what` names the field).
    pub fn in_field(file: &str, field: &str, what: impl std::fmt::Display) -> Difference {
        Difference {
            field: Some(field.to_string()),
            ..Difference::in_file(file, what)
        }
    }

    /// A difference in no one file (a broken rule of the plan): the sentence alone.
    pub fn other(text: impl Into<String>) -> Difference {
        Difference {
            file: None,
            line: None,
            field: None,
            text: text.into(),
        }
    }

    /// The text `dualdraw verify` prints.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The same difference, its text prefixed (`previous/` for the replaced draw's files).
    pub(crate) fn prefixed(self, prefix: &str) -> Difference {
        Difference {
            file: self.file.map(|f| format!("{prefix}{f}")),
            text: format!("{prefix}{}", self.text),
            ..self
        }
    }

    /// Input files that do not parse: every problem, one a line, `inputs/FILE:LINE: column:
    /// what`; the location is the first problem's.
    pub(crate) fn inputs(errors: &[InputError]) -> Difference {
        let first = errors.first();
        Difference {
            file: first.map(|e| format!("inputs/{}", e.file)),
            line: first.map(|e| e.line),
            field: first.map(|e| e.column.clone()),
            text: errors
                .iter()
                .map(|e| format!("inputs/{e}"))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    /// The first line where the recomputed text of `file` and the stored one differ. `shown`
    /// is how the message names the file (`inputs/tasks.csv (canonical form)`).
    pub(crate) fn first_line(file: &str, shown: &str, expected: &str, found: &str) -> Difference {
        let (e, f): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), found.lines().collect());
        for i in 0..e.len().max(f.len()) {
            let (a, b) = (e.get(i).copied(), f.get(i).copied());
            if a != b {
                return Difference {
                    file: Some(file.to_string()),
                    line: Some(i as u64 + 1),
                    field: None,
                    text: format!(
                        "{shown}:{}: expected `{}`, found `{}`",
                        i + 1,
                        a.unwrap_or("<end of file>"),
                        b.unwrap_or("<end of file>")
                    ),
                };
            }
        }
        Difference {
            file: Some(file.to_string()),
            line: None,
            field: None,
            text: format!("{shown}: differs (line endings or final newline)"),
        }
    }
}

impl From<FileError> for Difference {
    /// A file that could not be read is a difference in that file, named as its source names
    /// it.
    fn from(e: FileError) -> Difference {
        Difference {
            file: (!e.path.is_empty()).then(|| e.path.clone()),
            line: None,
            field: None,
            text: e.to_string(),
        }
    }
}
