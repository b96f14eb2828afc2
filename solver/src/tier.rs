//! Credit risk tiers (企业信用风险分类, 国市监信发〔2022〕6号): A low risk · B · C · D high risk.
//!
//! Tiers are strata of the draw, so they are a closed enum with a total order (A < D by risk).

use std::fmt;
use std::str::FromStr;

/// A credit risk tier. Ordered by risk: `A < B < C < D`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    A,
    B,
    C,
    D,
}

/// A string that is not a tier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("credit tier must be one of A, B, C, D (or 甲 乙 丙 丁), got '{0}'")]
pub struct TierError(pub String);

impl Tier {
    /// All tiers, lowest risk first.
    pub const ALL: [Tier; 4] = [Tier::A, Tier::B, Tier::C, Tier::D];

    /// The letter of the tier.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::A => "A",
            Tier::B => "B",
            Tier::C => "C",
            Tier::D => "D",
        }
    }

    /// One tier lower in risk, or the same for A.
    pub fn better(self) -> Tier {
        match self {
            Tier::A | Tier::B => Tier::A,
            Tier::C => Tier::B,
            Tier::D => Tier::C,
        }
    }

    /// Parses `A`–`D`, also accepting the Chinese forms 甲乙丙丁 and `A类`.
    pub fn parse(s: &str) -> Result<Tier, TierError> {
        let t = s.strip_suffix('类').unwrap_or(s);
        match t {
            "A" | "甲" => Ok(Tier::A),
            "B" | "乙" => Ok(Tier::B),
            "C" | "丙" => Ok(Tier::C),
            "D" | "丁" => Ok(Tier::D),
            _ => Err(TierError(s.to_string())),
        }
    }
}

impl FromStr for Tier {
    type Err = TierError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Tier::parse(s)
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_risk() {
        assert!(Tier::A < Tier::B && Tier::B < Tier::C && Tier::C < Tier::D);
    }

    #[test]
    fn parses_letters_and_chinese_forms() {
        assert_eq!(Tier::parse("C"), Ok(Tier::C));
        assert_eq!(Tier::parse("丁"), Ok(Tier::D));
        assert_eq!(Tier::parse("A类"), Ok(Tier::A));
        assert!(Tier::parse("a").is_err());
        assert!(Tier::parse("E").is_err());
    }

    #[test]
    fn better_stops_at_a() {
        assert_eq!(Tier::D.better(), Tier::C);
        assert_eq!(Tier::A.better(), Tier::A);
    }
}
