//! The population of a `dr1` batch as the draw holds it (`docs/draw-protocol.md` §2,
//! `population.csv`): one fixed-size [`Entry`] per enterprise, no heap string, with regions and
//! industries interned once. A province of 20 million enterprises is about 560 MB.
//!
//! Interned ids are positions in first-seen order; nothing that reaches an output depends on
//! them (outputs use the names), so the same rows give the same bytes whatever the order they
//! were added in.

use crate::{Tier, Uscc};
use std::collections::HashMap;
use std::ops::Index;

/// An enterprise of the population (operating enterprises only), with its codes as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enterprise {
    pub uscc: Uscc,
    /// 6-digit division code.
    pub region: String,
    /// GB/T 4754 code.
    pub industry: String,
    /// Effective credit tier on the policy's `as_of` date.
    pub tier: Tier,
    pub key_supervision: bool,
}

/// An enterprise as stored: its region and industry are ids into the population's lists
/// ([`Population::region`], [`Population::industry`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub uscc: Uscc,
    pub region: u32,
    pub industry: u32,
    pub tier: Tier,
    pub key_supervision: bool,
}

/// Distinct strings, each with a small id. The map is only looked up, never iterated, so its
/// order reaches nothing.
#[derive(Clone, Debug, Default)]
struct Interner {
    names: Vec<String>,
    ids: HashMap<String, u32>,
    /// The id returned last: consecutive enterprises often share a region (it is part of the
    /// USCC they are sorted by).
    last: Option<u32>,
}

impl Interner {
    fn id(&mut self, s: &str) -> u32 {
        if let Some(l) = self.last {
            if self.names[l as usize] == s {
                return l;
            }
        }
        let id = match self.ids.get(s) {
            Some(&id) => id,
            None => {
                let id = u32::try_from(self.names.len()).expect("fewer than 2^32 distinct codes");
                self.names.push(s.to_string());
                self.ids.insert(s.to_string(), id);
                id
            }
        };
        self.last = Some(id);
        id
    }
}

/// The enterprises of a batch, in order (sorted by USCC once [`Population::sort`] ran).
#[derive(Clone, Debug, Default)]
pub struct Population {
    entries: Vec<Entry>,
    regions: Interner,
    industries: Interner,
}

impl Population {
    pub fn new() -> Population {
        Population::default()
    }

    /// Adds an enterprise at the end.
    pub fn push(
        &mut self,
        uscc: Uscc,
        region: &str,
        industry: &str,
        tier: Tier,
        key_supervision: bool,
    ) {
        let region = self.regions.id(region);
        let industry = self.industries.id(industry);
        self.entries.push(Entry {
            uscc,
            region,
            industry,
            tier,
            key_supervision,
        });
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Entry> {
        self.entries.iter()
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The region code of an id.
    pub fn region(&self, id: u32) -> &str {
        &self.regions.names[id as usize]
    }

    /// The industry code of an id.
    pub fn industry(&self, id: u32) -> &str {
        &self.industries.names[id as usize]
    }

    /// Every distinct region code, by id.
    pub fn regions(&self) -> &[String] {
        &self.regions.names
    }

    /// Every distinct industry code, by id.
    pub fn industries(&self) -> &[String] {
        &self.industries.names
    }

    /// The id of a region code, if some enterprise has it.
    pub fn region_id(&self, code: &str) -> Option<u32> {
        self.regions.ids.get(code).copied()
    }

    /// Enterprise `i` with its codes as text.
    pub fn enterprise(&self, i: usize) -> Enterprise {
        let e = self.entries[i];
        Enterprise {
            uscc: e.uscc,
            region: self.region(e.region).to_string(),
            industry: self.industry(e.industry).to_string(),
            tier: e.tier,
            key_supervision: e.key_supervision,
        }
    }

    /// Sorts by USCC (stable, so repeated codes keep their order).
    pub fn sort(&mut self) {
        if !self.entries.windows(2).all(|w| w[0].uscc <= w[1].uscc) {
            self.entries.sort_by_key(|e| e.uscc);
        }
    }

    /// Position of an enterprise by code (the population is sorted).
    pub fn index_of(&self, uscc: &Uscc) -> Option<usize> {
        self.entries.binary_search_by(|e| e.uscc.cmp(uscc)).ok()
    }

    /// Keeps the enterprises for which `keep` is true, in order.
    pub fn retain(&mut self, keep: impl FnMut(&Entry) -> bool) {
        self.entries.retain(keep);
    }

    pub fn set_tier(&mut self, i: usize, tier: Tier) {
        self.entries[i].tier = tier;
    }

    pub fn set_key_supervision(&mut self, i: usize, key: bool) {
        self.entries[i].key_supervision = key;
    }
}

impl Index<usize> for Population {
    type Output = Entry;
    fn index(&self, i: usize) -> &Entry {
        &self.entries[i]
    }
}

impl<'a> IntoIterator for &'a Population {
    type Item = &'a Entry;
    type IntoIter = std::slice::Iter<'a, Entry>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter()
    }
}

impl FromIterator<Enterprise> for Population {
    fn from_iter<I: IntoIterator<Item = Enterprise>>(iter: I) -> Population {
        let mut p = Population::new();
        for e in iter {
            p.push(e.uscc, &e.region, &e.industry, e.tier, e.key_supervision);
        }
        p
    }
}

impl From<Vec<Enterprise>> for Population {
    fn from(v: Vec<Enterprise>) -> Population {
        v.into_iter().collect()
    }
}

/// Equal when the same enterprises are in the same order, whatever the ids.
impl PartialEq for Population {
    fn eq(&self, other: &Population) -> bool {
        self.len() == other.len()
            && self.iter().zip(other.iter()).all(|(a, b)| {
                a.uscc == b.uscc
                    && a.tier == b.tier
                    && a.key_supervision == b.key_supervision
                    && self.region(a.region) == other.region(b.region)
                    && self.industry(a.industry) == other.industry(b.industry)
            })
    }
}

impl Eq for Population {}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(code: &str, region: &str) -> Enterprise {
        Enterprise {
            uscc: Uscc::with_check(code).unwrap(),
            region: region.into(),
            industry: "C1391".into(),
            tier: Tier::B,
            key_supervision: false,
        }
    }

    #[test]
    fn interns_codes_and_compares_by_text() {
        let a: Population = vec![
            e("91440305MA0000001", "440305"),
            e("91440305MA0000002", "440306"),
        ]
        .into();
        let mut b: Population = vec![
            e("91440305MA0000000", "440306"),
            e("91440305MA0000001", "440305"),
            e("91440305MA0000002", "440306"),
        ]
        .into();
        b.entries.remove(0);
        assert_eq!(a.regions().len(), 2);
        assert_eq!(a, b);
        assert_ne!(
            a[0].region, b[0].region,
            "ids differ, the populations do not"
        );
        assert_eq!(b.enterprise(1), e("91440305MA0000002", "440306"));
    }
}
