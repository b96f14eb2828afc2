//! Infeasible is an answer (`docs/plan-model.md`, "Shortages"): when checks are left unplanned,
//! say which department is short of inspectors, where, when and by how much. For a department
//! of a region the statement is the period range [a, b] where the inspector-visits needed by
//! visits that must fall inside it most exceed the capacity of the inspectors certified for some
//! period of it (a Hall-type bound: no plan can do better there).

use crate::inputs::Periods;
use crate::placement::cells::{Frame, Region};
use crate::placement::integer::{kind_demand, Decision};

/// One department short of inspectors in one region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shortage {
    pub region: String,
    pub department: String,
    pub from: u32,
    pub to: u32,
    /// Inspector-visits needed by visits whose windows lie in [from, to].
    pub needed: u64,
    /// Inspector-visits the department's certified inspectors can give there.
    pub available: u64,
    /// Visits involving the department that the plan leaves out.
    pub unplanned: u64,
}

/// Label of a period: Q1–Q4 or M1–M12.
pub fn label(periods: Periods, p: u32) -> String {
    match periods {
        Periods::Quarter => format!("Q{p}"),
        Periods::Month => format!("M{p}"),
    }
}

impl Shortage {
    /// The sentence a planner reads.
    pub fn message(&self, periods: Periods) -> String {
        let when = if self.from == self.to {
            label(periods, self.from)
        } else {
            format!("{}–{}", label(periods, self.from), label(periods, self.to))
        };
        format!(
            "{} in {} needs {} inspector-visits in {} and has {}; {} visits left unplanned",
            self.department, self.region, self.needed, when, self.available, self.unplanned
        )
    }
}

/// The shortages of one region: each department with unplanned visits and a period range where
/// it needs more than its inspectors have, in department order.
pub fn shortages(region: &Region, frame: &Frame, decision: &Decision) -> Vec<Shortage> {
    let demand = kind_demand(region, &decision.merged, &decision.partial);
    let k = frame.k as u64;
    let mut out = Vec::new();
    for d in region.departments() {
        let unplanned: u64 = region
            .kinds
            .iter()
            .zip(&decision.unplaced)
            .filter(|(kind, _)| kind.departments.contains(&d))
            .map(|(_, &u)| u)
            .sum();
        if unplanned == 0 {
            continue;
        }
        let mut best: Option<(i128, u32, u32, u64, u64)> = None;
        for a in frame.first..=frame.last {
            for b in a..=frame.last {
                let visits: u64 = region
                    .kinds
                    .iter()
                    .zip(&demand)
                    .filter(|(kind, _)| {
                        kind.departments.contains(&d) && a <= kind.window.0 && kind.window.1 <= b
                    })
                    .map(|(_, &n)| n)
                    .sum();
                let reserve: u64 = (a..=b)
                    .map(|p| region.reserve.get(&(d, p)).copied().unwrap_or(0))
                    .sum();
                let needed = visits * k + reserve;
                let available: u64 = region
                    .classes
                    .iter()
                    .filter(|q| q.department == d && (a..=b).any(|p| q.valid(p)))
                    .map(|q| q.total())
                    .sum();
                let deficit = needed as i128 - available as i128;
                let better = match best {
                    None => true,
                    Some((bd, ba, bb, _, _)) => {
                        deficit > bd || (deficit == bd && (b - a, a) < (bb - ba, ba))
                    }
                };
                if needed > 0 && better {
                    best = Some((deficit, a, b, needed, available));
                }
            }
        }
        // Only a real deficit is a shortage of this department; joint visits left out because
        // another department is short show up under that department.
        if let Some((_, from, to, needed, available)) = best.filter(|b| b.0 > 0) {
            out.push(Shortage {
                region: region.name.clone(),
                department: frame.departments[d as usize].clone(),
                from,
                to,
                needed,
                available,
                unplanned,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_like_a_planner_would_say_it() {
        let s = Shortage {
            region: "440305".into(),
            department: "市场监管".into(),
            from: 2,
            to: 2,
            needed: 140,
            available: 96,
            unplanned: 22,
        };
        assert_eq!(
            s.message(Periods::Quarter),
            "市场监管 in 440305 needs 140 inspector-visits in Q2 and has 96; 22 visits left unplanned"
        );
    }
}
