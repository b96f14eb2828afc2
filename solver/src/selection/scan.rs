//! Finding a task's strata in a large population (`docs/draw-protocol.md` §7, step 1 and the
//! walk of step 3) without a pass per tier: every enterprise has a class — its region, industry,
//! tier and key-supervision flag — so a task's eligibility is decided once per class, stratum
//! sizes are sums over classes, and one pass over the classes (on all cores, halves joined in
//! order) collects the key-supervision enterprises and the sampled ones whose ξ falls below the
//! generous threshold of [`threshold`]. The result is exactly the same as testing every
//! enterprise: the classes only save the work.

use crate::inputs::{Inputs, Population};
use crate::Tier;
use std::collections::HashMap;

/// The distinct (region, industry, tier, key supervision) of a population.
pub struct Classes {
    /// Each enterprise's class.
    of: Vec<u32>,
    region: Vec<u32>,
    industry: Vec<u32>,
    tier: Vec<Tier>,
    key: Vec<bool>,
    /// Enterprises per class.
    size: Vec<u64>,
}

impl Classes {
    pub fn new(population: &Population) -> Classes {
        let mut ids: HashMap<(u32, u32, Tier, bool), u32> = HashMap::new();
        let mut c = Classes {
            of: Vec::with_capacity(population.len()),
            region: Vec::new(),
            industry: Vec::new(),
            tier: Vec::new(),
            key: Vec::new(),
            size: Vec::new(),
        };
        let mut last: Option<((u32, u32, Tier, bool), u32)> = None;
        for e in population {
            let k = (e.region, e.industry, e.tier, e.key_supervision);
            let id = match last {
                Some((lk, id)) if lk == k => id,
                _ => *ids.entry(k).or_insert_with(|| {
                    c.region.push(k.0);
                    c.industry.push(k.1);
                    c.tier.push(k.2);
                    c.key.push(k.3);
                    c.size.push(0);
                    (c.size.len() - 1) as u32
                }),
            };
            last = Some((k, id));
            c.size[id as usize] += 1;
            c.of.push(id);
        }
        c
    }
}

/// The walk's threshold (§7 step 3 is a walk in order of ξ; only numbers up to this are
/// sorted, and the whole stratum is sorted if they do not suffice): ξ is uniform, so about
/// `need · 5/4 + 64` of `n` fall below it.
pub fn threshold(n: u64, need: u64) -> u64 {
    let n = n as u128;
    let want = need as u128 + need as u128 / 4 + 64;
    if n == 0 || want >= n {
        u64::MAX
    } else {
        ((want << 64) / n).min(u64::MAX as u128) as u64
    }
}

/// One tier of one task as one pass found it.
#[derive(Default)]
pub struct Found {
    /// Key-supervision enterprises, in population order.
    pub keys: Vec<u32>,
    /// Sampled enterprises with ξ at most the threshold, as (ξ, index), in no order.
    pub sampled: Vec<(u64, u32)>,
}

/// Which enterprises a task takes in full ([`crate::KeySupervision`]).
#[derive(Clone, Copy)]
pub enum Held<'a> {
    /// Those whose class is flagged `key_supervision` (`EveryTask`).
    Flagged,
    /// Those the task's department holds, ascending (`PerDepartment`); the flag is not read.
    Listed(&'a [u32]),
}

/// One task's eligibility over the classes.
pub struct TaskScan<'a> {
    classes: &'a Classes,
    numbers: &'a [u64],
    ok: Vec<bool>,
    /// Excluded enterprises of the task's department, ascending.
    excluded: &'a [u32],
    held: Held<'a>,
}

impl<'a> TaskScan<'a> {
    /// `region_ok`, `industry_ok` by population ids, `tier_ok` by tier: the task's rule.
    pub fn new(
        classes: &'a Classes,
        numbers: &'a [u64],
        rule: (&[bool], &[bool], [bool; 4]),
        excluded: &'a [u32],
        held: Held<'a>,
    ) -> TaskScan<'a> {
        let (region_ok, industry_ok, tier_ok) = rule;
        let ok = (0..classes.size.len())
            .map(|c| {
                region_ok[classes.region[c] as usize]
                    && industry_ok[classes.industry[c] as usize]
                    && tier_ok[classes.tier[c] as usize]
            })
            .collect();
        TaskScan {
            classes,
            numbers,
            ok,
            excluded,
            held,
        }
    }

    /// Whether the class makes its enterprises key for this task (only under `Flagged`).
    fn flagged(&self, c: usize) -> bool {
        matches!(self.held, Held::Flagged) && self.classes.key[c]
    }

    fn eligible_class(&self, i: u32) -> Option<usize> {
        let c = self.classes.of[i as usize] as usize;
        self.ok[c].then_some(c)
    }

    /// The number of eligible sampled (not key-supervision) enterprises of each tier.
    pub fn sampled_counts(&self) -> [u64; 4] {
        let mut n = [0u64; 4];
        for (c, &size) in self.classes.size.iter().enumerate() {
            if self.ok[c] && !self.flagged(c) {
                n[self.classes.tier[c] as usize] += size;
            }
        }
        for &i in self.excluded {
            if let Some(c) = self.eligible_class(i) {
                if !self.flagged(c) {
                    n[self.classes.tier[c] as usize] -= 1;
                }
            }
        }
        if let Held::Listed(held) = self.held {
            for &i in held {
                if let Some(c) = self.eligible_class(i) {
                    if self.excluded.binary_search(&i).is_err() {
                        n[self.classes.tier[c] as usize] -= 1;
                    }
                }
            }
        }
        n
    }

    /// One pass: for each tier with a threshold, its keys and the sampled enterprises with
    /// ξ = (u − start) mod 2⁶⁴ at most the threshold.
    pub fn collect(&self, starts: &[u64; 4], thresholds: [Option<u64>; 4]) -> [Found; 4] {
        let n = self.classes.of.len();
        let threads = if n < 200_000 {
            1
        } else {
            std::thread::available_parallelism().map_or(1, |t| t.get().min(8))
        };
        let chunk = n.div_ceil(threads).max(1);
        let parts: Vec<[Found; 4]> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..n)
                .step_by(chunk)
                .map(|from| {
                    let to = (from + chunk).min(n);
                    s.spawn(move || self.collect_range(from, to, starts, thresholds))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("scan"))
                .collect()
        });
        let mut out: [Found; 4] = Default::default();
        for part in parts {
            for (o, p) in out.iter_mut().zip(part) {
                o.keys.extend(p.keys);
                o.sampled.extend(p.sampled);
            }
        }
        out
    }

    fn collect_range(
        &self,
        from: usize,
        to: usize,
        starts: &[u64; 4],
        thresholds: [Option<u64>; 4],
    ) -> [Found; 4] {
        let mut out: [Found; 4] = Default::default();
        let mut excluded = self.excluded[self.excluded.partition_point(|&x| (x as usize) < from)..]
            .iter()
            .peekable();
        let listed = match self.held {
            Held::Flagged => &[][..],
            Held::Listed(held) => held,
        };
        let mut listed = listed[listed.partition_point(|&x| (x as usize) < from)..]
            .iter()
            .peekable();
        for i in from..to {
            let c = self.classes.of[i] as usize;
            if !self.ok[c] {
                continue;
            }
            let t = self.classes.tier[c] as usize;
            let Some(limit) = thresholds[t] else { continue };
            while excluded.next_if(|&&x| (x as usize) < i).is_some() {}
            if excluded.next_if(|&&x| x as usize == i).is_some() {
                continue;
            }
            while listed.next_if(|&&x| (x as usize) < i).is_some() {}
            let held = listed.next_if(|&&x| x as usize == i).is_some();
            if held || self.flagged(c) {
                out[t].keys.push(i as u32);
            } else {
                let xi = self.numbers[i].wrapping_sub(starts[t]);
                if xi <= limit {
                    out[t].sampled.push((xi, i as u32));
                }
            }
        }
        out
    }
}

/// Excluded enterprises of each department, ascending (for [`TaskScan`]).
pub fn excluded_by_department<'a>(
    inputs: &'a Inputs,
    excluded: &std::collections::BTreeSet<(usize, &'a str)>,
) -> std::collections::BTreeMap<&'a str, Vec<u32>> {
    let mut m: std::collections::BTreeMap<&str, Vec<u32>> = std::collections::BTreeMap::new();
    for t in &inputs.tasks {
        m.entry(t.department.as_str()).or_default();
    }
    for &(i, d) in excluded {
        if let Some(v) = m.get_mut(d) {
            v.push(i as u32);
        }
    }
    for v in m.values_mut() {
        v.sort_unstable();
        v.dedup();
    }
    m
}
