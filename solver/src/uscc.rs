//! The unified social credit code (统一社会信用代码, GB 32100-2015).
//!
//! Every draw is keyed on the USCC (`docs/architecture.md`, rule 3), so a code that reaches the core must be
//! valid by construction: 18 characters from the 31-character alphabet (no I, O, S, V, Z), with
//! the check character of GB 32100-2015 §4.3 at position 18. Lower case is reported, never fixed
//! silently (`docs/domain.md`).

use std::fmt;
use std::str::FromStr;

/// The 31 characters of GB 32100-2015, in value order 0–30.
pub const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weights of positions 1–17: 3^(i−1) mod 31.
pub const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A valid unified social credit code.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uscc([u8; 18]);

/// Why a string is not a valid unified social credit code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    #[error("must be 18 characters, got {0}")]
    WrongLength(usize),
    #[error("lower-case letter '{ch}' at position {position}; codes are upper case")]
    LowerCase { position: usize, ch: char },
    #[error(
        "letter '{ch}' at position {position} is not used in codes (I, O, S, V and Z are excluded)"
    )]
    ExcludedLetter { position: usize, ch: char },
    #[error("character '{ch}' at position {position} is not a digit or code letter")]
    InvalidCharacter { position: usize, ch: char },
    #[error("check character is '{expected}', got '{got}'")]
    WrongCheck { expected: char, got: char },
}

/// The value of each byte in the alphabet, or `u8::MAX` (a table, so a code of 18 characters
/// is checked without searching the alphabet 35 times).
const VALUES: [u8; 256] = {
    let mut t = [u8::MAX; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        t[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// The value 0–30 of one code character, if it is in the alphabet.
pub fn char_value(c: u8) -> Option<u32> {
    match VALUES[c as usize] {
        u8::MAX => None,
        v => Some(v as u32),
    }
}

/// The check character for the first 17 characters of a code (which must be in the alphabet).
pub fn check_character(first17: &[u8]) -> Option<u8> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (c, w) in first17.iter().zip(WEIGHTS) {
        sum += char_value(*c)? * w;
    }
    Some(ALPHABET[((31 - sum % 31) % 31) as usize])
}

impl Uscc {
    /// Parses a code exactly as written: no trimming, no case folding.
    pub fn parse(s: &str) -> Result<Uscc, UsccError> {
        // The common case, a valid code, without walking characters; anything else below, to
        // name what is wrong.
        if let Ok(bytes) = <[u8; 18]>::try_from(s.as_bytes()) {
            if bytes.iter().all(|&b| VALUES[b as usize] != u8::MAX)
                && check_character(&bytes[..17]) == Some(bytes[17])
            {
                return Ok(Uscc(bytes));
            }
        }
        let count = s.chars().count();
        if count != 18 {
            return Err(UsccError::WrongLength(count));
        }
        let mut bytes = [0u8; 18];
        for (i, ch) in s.chars().enumerate() {
            let position = i + 1;
            if ch.is_ascii_lowercase() {
                return Err(UsccError::LowerCase { position, ch });
            }
            if matches!(ch, 'I' | 'O' | 'S' | 'V' | 'Z') {
                return Err(UsccError::ExcludedLetter { position, ch });
            }
            if !ch.is_ascii() || char_value(ch as u8).is_none() {
                return Err(UsccError::InvalidCharacter { position, ch });
            }
            bytes[i] = ch as u8;
        }
        let expected = check_character(&bytes[..17]).expect("17 valid characters");
        if expected != bytes[17] {
            return Err(UsccError::WrongCheck {
                expected: expected as char,
                got: bytes[17] as char,
            });
        }
        Ok(Uscc(bytes))
    }

    /// Completes 17 valid characters with their check character.
    pub fn with_check(first17: &str) -> Result<Uscc, UsccError> {
        let bytes = first17.as_bytes();
        if first17.chars().count() != 17 {
            return Err(UsccError::WrongLength(first17.chars().count() + 1));
        }
        match check_character(bytes) {
            Some(c) => Uscc::parse(&format!("{first17}{}", c as char)),
            None => Uscc::parse(&format!("{first17}0")),
        }
    }

    /// The code as a string slice.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ASCII by construction")
    }

    /// The 18 ASCII bytes of the code.
    pub fn as_bytes(&self) -> &[u8; 18] {
        &self.0
    }

    /// Positions 3–8: the administrative division of the registering authority.
    pub fn registering_division(&self) -> &str {
        &self.as_str()[2..8]
    }
}

impl FromStr for Uscc {
    type Err = UsccError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uscc::parse(s)
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uscc({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Codes of real companies, as published on the national enterprise credit publicity system.
    const LISTED: &[(&str, &str)] = &[
        ("91440300708461136T", "腾讯科技（深圳）有限公司"),
        ("914403001922038216", "华为技术有限公司"),
        ("91440300192185379H", "万科企业股份有限公司"),
        ("91330100799655058B", "阿里巴巴（中国）有限公司"),
        ("91110108551385082Q", "小米通讯技术有限公司"),
    ];

    #[test]
    fn accepts_codes_of_listed_companies() {
        for (code, name) in LISTED {
            assert!(
                Uscc::parse(code).is_ok(),
                "{name} {code}: {:?}",
                Uscc::parse(code)
            );
        }
    }

    #[test]
    fn weights_are_powers_of_three_mod_31() {
        let mut w = 1u32;
        for expected in WEIGHTS {
            assert_eq!(w, expected);
            w = w * 3 % 31;
        }
    }

    #[test]
    fn completes_made_up_codes_with_their_check_character() {
        let code = Uscc::with_check("91310115MA1K4ABC1").unwrap();
        assert_eq!(code.as_str().len(), 18);
        assert!(Uscc::parse(code.as_str()).is_ok());
        assert_eq!(code.registering_division(), "310115");
    }

    #[test]
    fn refuses_wrong_length() {
        assert_eq!(
            Uscc::parse("91440300708461136"),
            Err(UsccError::WrongLength(17))
        );
        assert_eq!(Uscc::parse(""), Err(UsccError::WrongLength(0)));
    }

    #[test]
    fn refuses_lower_case_without_fixing_it() {
        assert_eq!(
            Uscc::parse("91440300708461136t"),
            Err(UsccError::LowerCase {
                position: 18,
                ch: 't'
            })
        );
    }

    #[test]
    fn refuses_excluded_letters() {
        for ch in ['I', 'O', 'Z', 'S', 'V'] {
            assert_eq!(
                Uscc::parse(&format!("91440300708461136{ch}")),
                Err(UsccError::ExcludedLetter { position: 18, ch }),
                "check character {ch}"
            );
            assert_eq!(
                Uscc::parse(&format!("9144030070846{ch}136T")),
                Err(UsccError::ExcludedLetter { position: 14, ch }),
                "body character {ch}"
            );
        }
    }

    #[test]
    fn refuses_other_characters() {
        assert_eq!(
            Uscc::parse("91440300708461136-"),
            Err(UsccError::InvalidCharacter {
                position: 18,
                ch: '-'
            })
        );
        assert!(matches!(
            Uscc::parse("9144030070846113６T"),
            Err(UsccError::InvalidCharacter { position: 17, .. })
        ));
    }

    #[test]
    fn refuses_a_wrong_check_character() {
        assert_eq!(
            Uscc::parse("914403007084611360"),
            Err(UsccError::WrongCheck {
                expected: 'T',
                got: '0'
            })
        );
    }
}
