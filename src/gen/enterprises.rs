//! The directory of inspected objects (检查对象名录库) of a synthetic jurisdiction, generated one
//! enterprise at a time in the sorted order of their codes.
//!
//! The population is first split into cells of (entity type, division) by exact integer
//! apportionment; companies of a cell are further split into those registered before the unified
//! code (numeric organisation codes, 1995 – September 2015) and after (`MA…` codes). Inside a
//! segment codes and registration dates both grow, as real codes are issued in order.

use super::codes::{self, BodyKind, BodySequence, City, Region};
use super::industries::{Classes, Risk};
use super::names;
use super::rng::{ymd, Rng, Stream};
use crate::registry::model::{Enterprise, EnterpriseStatus};
use chrono::{Days, NaiveDate};
use dualdraw_solver::Tier;
use std::collections::BTreeSet;

/// Entity types with their share of the population, out of 10,000.
const KINDS: [(u8, u64); 3] = [(b'1', 8_800), (b'2', 1_100), (b'3', 100)];

/// Share of companies registered before the unified code, in percent.
const OLD_COMPANIES_PERCENT: u64 = 35;

/// Base tiers out of 10,000: A 65.4 %, B 25.3 %, C 7.7 %, D 1.5 % (`docs/domain.md`, "Credit tiers").
const TIER_THRESHOLDS: [(u64, Tier); 4] = [
    (6_540, Tier::A),
    (9_070, Tier::B),
    (9_850, Tier::C),
    (10_000, Tier::D),
];

/// Jurisdictions up to this size get unique enterprise names; beyond it, remembering every
/// name would break flat memory, so names may repeat.
const UNIQUE_NAMES_UP_TO: u64 = 200_000;

/// One run of enterprises with the same entity type, division and kind of organisation code.
struct Segment {
    kind: u8,
    region: usize,
    body: BodyKind,
    count: u64,
    registered_from: NaiveDate,
    registered_until: NaiveDate,
}

/// An enterprise as generated, with what the credit generator needs to know about it.
pub struct Generated {
    pub enterprise: Enterprise,
    /// Index into the jurisdiction's regions.
    pub region: usize,
    pub risk: Risk,
}

/// Generates the enterprises of a jurisdiction in sorted code order.
pub struct Enterprises {
    regions: Vec<Region>,
    segments: Vec<Segment>,
    classes: [Classes; 3],
    rng: Rng,
    segment: usize,
    position: u64,
    bodies: Option<BodySequence>,
    names: Option<BTreeSet<String>>,
}

impl Enterprises {
    /// The population of `count` enterprises of `city` for `seed`.
    pub fn new(city: City, count: u64, seed: u64) -> Enterprises {
        let mut layout_rng = Rng::new(seed, Stream::Layout);
        let regions = codes::regions(city, count, &mut layout_rng);
        let weights: Vec<u64> = KINDS
            .iter()
            .flat_map(|&(_, share)| regions.iter().map(move |r| share * r.weight))
            .collect();
        let counts = codes::apportion(count, &weights);
        let mut segments = Vec::new();
        for (cell, &cell_count) in counts.iter().enumerate() {
            let kind = KINDS[cell / regions.len()].0;
            let region = cell % regions.len();
            let segment = |body, count, from, until| Segment {
                kind,
                region,
                body,
                count,
                registered_from: from,
                registered_until: until,
            };
            match kind {
                b'1' => {
                    let old = cell_count * OLD_COMPANIES_PERCENT / 100;
                    let cutover = ymd(2015, 10, 1);
                    segments.push(segment(
                        BodyKind::Numeric,
                        old,
                        ymd(1995, 1, 1),
                        ymd(2015, 9, 30),
                    ));
                    segments.push(segment(
                        BodyKind::Unified,
                        cell_count - old,
                        cutover,
                        ymd(2026, 6, 30),
                    ));
                }
                b'2' => segments.push(segment(
                    BodyKind::Unified,
                    cell_count,
                    ymd(2005, 1, 1),
                    ymd(2026, 6, 30),
                )),
                _ => segments.push(segment(
                    BodyKind::Unified,
                    cell_count,
                    ymd(2007, 7, 1),
                    ymd(2026, 6, 30),
                )),
            }
        }
        segments.retain(|s| s.count > 0);
        Enterprises {
            regions,
            segments,
            classes: [Classes::of(b'1'), Classes::of(b'2'), Classes::of(b'3')],
            rng: Rng::new(seed, Stream::Enterprises),
            segment: 0,
            position: 0,
            bodies: None,
            names: (count <= UNIQUE_NAMES_UP_TO).then(BTreeSet::new),
        }
    }

    /// The divisions of the jurisdiction, sorted by code.
    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    /// How many enterprises each division has.
    pub fn region_counts(&self) -> Vec<u64> {
        let mut counts = vec![0; self.regions.len()];
        for s in &self.segments {
            counts[s.region] += s.count;
        }
        counts
    }

    fn generate(&mut self) -> Generated {
        let s = &self.segments[self.segment];
        let (kind, region, count, position) = (s.kind, s.region, s.count, self.position);
        let bodies = match &mut self.bodies {
            Some(b) => b,
            None => self
                .bodies
                .insert(BodySequence::new(s.body, count, &mut self.rng)),
        };
        let body = bodies.next_body(&mut self.rng);
        let uscc = codes::uscc(kind, &self.regions[region].code, &body);
        let span = (s.registered_until - s.registered_from).num_days() as u64 + 1;
        let step = (span / count).max(1);
        let day = (position * span / count + self.rng.below(step)).min(span - 1);
        let registered_on = s.registered_from + Days::new(day);

        let classes = &self.classes[usize::from(kind - b'1')];
        let class = self.rng.weighted(&classes.weights);
        let industry = &classes.table[class];
        let tier = draw_tier(&mut self.rng);
        let status = match self.rng.below(10_000) {
            0..=9_699 => EnterpriseStatus::Operating,
            9_700..=9_899 => EnterpriseStatus::Revoked,
            _ => EnterpriseStatus::Deregistered,
        };
        let key_supervision = self.rng.chance(industry.risk.key_supervision_per_10000());
        let prefix = &self.regions[region].name_prefix;
        let mut name = names::enterprise(&mut self.rng, kind, prefix, industry.words);
        if let Some(seen) = &mut self.names {
            for _ in 0..50 {
                if seen.insert(name.clone()) {
                    break;
                }
                name = names::enterprise(&mut self.rng, kind, prefix, industry.words);
            }
        }
        Generated {
            enterprise: Enterprise {
                uscc,
                name,
                region: self.regions[region].code.clone(),
                industry: classes.codes[class].clone(),
                registered_on,
                status,
                base_tier: tier,
                key_supervision,
                key_departments: Vec::new(),
            },
            region,
            risk: industry.risk,
        }
    }
}

fn draw_tier(rng: &mut Rng) -> Tier {
    let r = rng.below(10_000);
    TIER_THRESHOLDS
        .iter()
        .find(|&&(limit, _)| r < limit)
        .map(|&(_, tier)| tier)
        .expect("thresholds end at 10,000")
}

impl Iterator for Enterprises {
    type Item = Generated;

    fn next(&mut self) -> Option<Generated> {
        if self.segment >= self.segments.len() {
            return None;
        }
        let generated = self.generate();
        self.position += 1;
        if self.position == self.segments[self.segment].count {
            self.segment += 1;
            self.position = 0;
            self.bodies = None;
        }
        Some(generated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dualdraw_solver::Uscc;

    #[test]
    fn codes_are_valid_unique_and_sorted() {
        let mut last: Option<Uscc> = None;
        let mut n = 0;
        for g in Enterprises::new(City::Guangdong, 30_000, 11) {
            let e = g.enterprise;
            assert_eq!(Uscc::parse(e.uscc.as_str()), Ok(e.uscc));
            assert_eq!(e.uscc.registering_division(), e.region.as_str());
            if let Some(prev) = last {
                assert!(prev.as_str() < e.uscc.as_str(), "{prev} then {}", e.uscc);
            }
            last = Some(e.uscc);
            n += 1;
        }
        assert_eq!(n, 30_000);
    }

    #[test]
    fn tier_mix_is_within_two_points_of_the_published_distribution() {
        let mut counts = [0u64; 4];
        for g in Enterprises::new(City::Shenzhen, 20_000, 20260101) {
            counts[g.enterprise.base_tier as usize] += 1;
        }
        for (count, per_10000) in counts.iter().zip([6_540u64, 2_530, 770, 150]) {
            let share = count * 10_000 / 20_000;
            assert!(share.abs_diff(per_10000) <= 200, "{counts:?}");
        }
    }

    #[test]
    fn about_one_percent_are_key_supervision_and_dates_are_in_range() {
        let all: Vec<Generated> = Enterprises::new(City::Shenzhen, 20_000, 3).collect();
        let key = all.iter().filter(|g| g.enterprise.key_supervision).count();
        assert!((100..=300).contains(&key), "{key} of 20,000");
        assert!(all.iter().all(|g| {
            let d = g.enterprise.registered_on;
            ymd(1995, 1, 1) <= d && d <= ymd(2026, 6, 30)
        }));
        let names: BTreeSet<&str> = all.iter().map(|g| g.enterprise.name.as_str()).collect();
        assert_eq!(names.len(), all.len());
    }
}
