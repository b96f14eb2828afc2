//! Methods: the identifier a bundle names in `manifest.json` and `commitment.json`, and the
//! rules that differ between methods (`docs/architecture.md`, "Adding a method").
//!
//! A method identifier is data: it is published in every bundle, so a method's rules never
//! change once a bundle names it. A new method adds a variant and the rows of the tables below
//! that differ; the concept modules (`inputs`, `selection`, `teams`, `placement`, `plan`) hold
//! every rule once and ask the method which one applies.

use std::fmt;

/// A draw method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    /// The verifiable double-random draw (`docs/draw-protocol.md`).
    Dr1,
    /// The annual plan (`docs/plan-model.md`): the `Dr1` selection, visits placed by the
    /// annual plan, teams within the planned budgets.
    Dr2,
    /// The annual plan with key supervision per department (`docs/plan-model.md`,
    /// "Method dr3") and capacity counted by specialty.
    Dr3,
}

/// Which tasks take key-supervision enterprises in full (`docs/domain.md`, "Key supervision").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySupervision {
    /// Every task takes every eligible key-supervision enterprise (`key_supervision` of
    /// `population.csv`), whatever its department.
    EveryTask,
    /// A task of department d takes in full the eligible enterprises d holds under key
    /// supervision (`inputs/key-supervision.csv`); it samples every other one.
    PerDepartment,
}

/// What the annual plan's optimizer counts as capacity (`docs/plan-model.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CapacityModel {
    /// The inspectors of a department, whatever their specialties.
    Department,
    /// The inspectors of a department by specialty.
    Specialty,
}

/// How inspectors are put on teams (`docs/draw-protocol.md`, "Inspectors";
/// `docs/plan-model.md`, "Teams").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TeamRule {
    /// Within each inspector's yearly capacity, by seeded priority ρ.
    Capacity,
    /// Within each inspector's per-period budget of the annual plan, by remaining budget, then
    /// seeded priority ρ₂.
    Budget,
}

impl Method {
    /// Every method, in order of introduction.
    pub const ALL: [Method; 3] = [Method::Dr1, Method::Dr2, Method::Dr3];

    /// The identifier written in every bundle.
    pub const fn id(self) -> &'static str {
        match self {
            Method::Dr1 => "dr1",
            Method::Dr2 => "dr2",
            Method::Dr3 => "dr3",
        }
    }

    /// The method an identifier names, if any.
    pub fn parse(id: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.id() == id)
    }

    /// Whether the annual plan places the visits in periods (`docs/plan-model.md`) and reads
    /// the annual inputs; otherwise visits take the periods of the selection
    /// (`docs/draw-protocol.md`, "Visits").
    pub const fn places_annually(self) -> bool {
        match self {
            Method::Dr1 => false,
            Method::Dr2 | Method::Dr3 => true,
        }
    }

    /// How inspectors are put on teams.
    pub const fn team_rule(self) -> TeamRule {
        match self {
            Method::Dr1 => TeamRule::Capacity,
            Method::Dr2 | Method::Dr3 => TeamRule::Budget,
        }
    }

    /// Which tasks take key-supervision enterprises in full.
    pub const fn key_supervision(self) -> KeySupervision {
        match self {
            Method::Dr1 | Method::Dr2 => KeySupervision::EveryTask,
            Method::Dr3 => KeySupervision::PerDepartment,
        }
    }

    /// What the annual plan's optimizer counts as capacity.
    pub const fn capacity_model(self) -> CapacityModel {
        match self {
            Method::Dr1 | Method::Dr2 => CapacityModel::Department,
            Method::Dr3 => CapacityModel::Specialty,
        }
    }
}

impl TeamRule {
    /// The domain tag of the rule's inspector priority (ρ of `docs/draw-protocol.md`,
    /// "Inspectors"; ρ₂ of `docs/plan-model.md`, "Random numbers").
    pub const fn priority_tag(self) -> &'static [u8] {
        match self {
            TeamRule::Capacity => b"dualdraw-dr1-inspector\0",
            TeamRule::Budget => b"dualdraw-dr2-inspector\0",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_round_trip_and_unknown_ones_are_refused() {
        for m in Method::ALL {
            assert_eq!(Method::parse(m.id()), Some(m));
            assert_eq!(m.to_string(), m.id());
        }
        assert_eq!(Method::parse("dr4"), None);
        assert_eq!(Method::parse("DR1"), None);
        assert_eq!(Method::parse(""), None);
    }

    #[test]
    fn rules_of_the_published_methods() {
        assert!(!Method::Dr1.places_annually());
        assert!(Method::Dr2.places_annually());
        assert_eq!(Method::Dr1.team_rule(), TeamRule::Capacity);
        assert_eq!(Method::Dr2.team_rule(), TeamRule::Budget);
        assert_eq!(Method::Dr2.key_supervision(), KeySupervision::EveryTask);
        assert_eq!(Method::Dr2.capacity_model(), CapacityModel::Department);
        assert_eq!(Method::Dr1.key_supervision(), KeySupervision::EveryTask);
        assert!(Method::Dr3.places_annually());
        assert_eq!(Method::Dr3.team_rule(), TeamRule::Budget);
        assert_eq!(Method::Dr3.key_supervision(), KeySupervision::PerDepartment);
    }
}
