//! A `dr1` plan as the draw computes it: positions (enterprise, task, group, department,
//! inspector) instead of names, so a province's plan of millions of visits holds no string per
//! row. The plan files are written from it line by line ([`Drawn::write_file`]); the public
//! [`Plan`] with its names is made from it ([`Drawn::to_plan`]) and, for the independent
//! checks, read back into it ([`Drawn::from_plan`]).

use crate::inputs::{Inputs, Task};
use crate::selection::{Basis, PassedOver, Plan, Selection, Stratum, Visit};
use crate::teams::{Failure, Member};
use crate::Tier;
use std::collections::{BTreeMap, BTreeSet};

/// One enterprise selected by one task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pick {
    pub task: u32,
    pub index: u32,
    pub tier: Tier,
    pub basis: Basis,
    pub xi: u64,
    pub inclusion: (u64, u64),
}

/// An enterprise passed over at its cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pass {
    pub task: u32,
    pub index: u32,
    pub tier: Tier,
    pub visits: u32,
    pub xi: u64,
}

/// One visit; its tasks are `Drawn::call_tasks[tasks.0 .. tasks.0 + tasks.1]` (task positions,
/// ascending, so in order of id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Call {
    pub index: u32,
    pub group: u32,
    pub period: u32,
    pub tasks: (u32, u32),
    pub xi: u64,
}

/// One inspector on one department's team of one visit (`call`: position in `Drawn::calls`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seat {
    pub call: u32,
    pub department: u32,
    pub inspector: u32,
    pub priority: u64,
}

/// Why inspectors of a department were not assignable, counted for the failure message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub department: u32,
    pub other_region: u32,
    pub certificate: u32,
    pub conflict: u32,
    pub last_time: u32,
    pub capacity: u32,
    pub available: u32,
}

/// A department's team that could not be formed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gap {
    pub call: u32,
    pub department: u32,
    pub needed: u32,
    pub found: u32,
    pub counts: Counts,
    /// Required specialties (positions in `Drawn::specialties`) no candidate has.
    pub missing: Vec<u32>,
}

/// A plan by positions, with the names it needs.
#[derive(Clone, Debug, Default)]
pub struct Drawn {
    /// Group names in byte order; a group's position is its processing order.
    pub groups: Vec<String>,
    /// Tasks of each group, by position in `Inputs::tasks` (so in order of id).
    pub group_tasks: Vec<Vec<u32>>,
    /// Departments of tasks, items and inspectors in byte order.
    pub departments: Vec<String>,
    pub task_department: Vec<u32>,
    /// Specialties of items and inspectors in byte order.
    pub specialties: Vec<String>,
    pub strata: Vec<Stratum>,
    /// Sorted by (task, ξ, enterprise).
    pub picks: Vec<Pick>,
    /// Sorted by (task, ξ, enterprise).
    pub passes: Vec<Pass>,
    /// In visit order.
    pub calls: Vec<Call>,
    pub call_tasks: Vec<u32>,
    /// Sorted by (visit id, department, inspector id).
    pub seats: Vec<Seat>,
    /// Sorted by (visit id, department).
    pub gaps: Vec<Gap>,
}

fn position(names: &[String], name: &str) -> Option<u32> {
    names
        .binary_search_by(|n| n.as_str().cmp(name))
        .ok()
        .map(|i| i as u32)
}

impl Drawn {
    /// An empty plan with the names of the inputs.
    pub fn frame(inputs: &Inputs) -> Drawn {
        let groups: BTreeSet<&str> = inputs.tasks.iter().map(|t| t.group.as_str()).collect();
        let groups: Vec<String> = groups.into_iter().map(String::from).collect();
        let mut group_tasks = vec![Vec::new(); groups.len()];
        for (i, t) in inputs.tasks.iter().enumerate() {
            group_tasks[position(&groups, &t.group).expect("listed") as usize].push(i as u32);
        }
        let departments: BTreeSet<&str> = inputs
            .tasks
            .iter()
            .map(|t| t.department.as_str())
            .chain(inputs.items.values().map(|i| i.department.as_str()))
            .chain(inputs.inspectors.iter().map(|i| i.department.as_str()))
            .collect();
        let departments: Vec<String> = departments.into_iter().map(String::from).collect();
        let task_department = inputs
            .tasks
            .iter()
            .map(|t| position(&departments, &t.department).expect("listed"))
            .collect();
        let specialties: BTreeSet<&str> = inputs
            .items
            .values()
            .map(|i| i.specialty.as_str())
            .filter(|s| !s.is_empty())
            .chain(
                inputs
                    .inspectors
                    .iter()
                    .flat_map(|i| i.specialties.iter().map(String::as_str)),
            )
            .collect();
        Drawn {
            groups,
            group_tasks,
            departments,
            task_department,
            specialties: specialties.into_iter().map(String::from).collect(),
            ..Drawn::default()
        }
    }

    pub fn department_id(&self, name: &str) -> Option<u32> {
        position(&self.departments, name)
    }

    pub fn specialty_id(&self, name: &str) -> Option<u32> {
        position(&self.specialties, name)
    }

    /// The tasks of a visit (positions in `Inputs::tasks`, ascending).
    pub fn tasks_of(&self, c: &Call) -> &[u32] {
        &self.call_tasks[c.tasks.0 as usize..(c.tasks.0 + c.tasks.1) as usize]
    }

    /// The departments of a visit, ascending (so in byte order of their names).
    pub fn departments_of(&self, c: &Call, out: &mut Vec<u32>) {
        out.clear();
        out.extend(
            self.tasks_of(c)
                .iter()
                .map(|&t| self.task_department[t as usize]),
        );
        out.sort_unstable();
        out.dedup();
    }

    /// A visit's id, `GROUP/USCC`, into `out`.
    pub fn visit_id(&self, inputs: &Inputs, c: &Call, out: &mut String) {
        out.clear();
        out.push_str(&self.groups[c.group as usize]);
        out.push('/');
        out.push_str(inputs.population[c.index as usize].uscc.as_str());
    }

    /// For each visit, its rank in byte order of visit ids (teams and failures are sorted by it).
    pub fn id_ranks(&self, inputs: &Inputs) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.calls.len() as u32).collect();
        if self.groups.iter().any(|g| g.contains('/')) {
            let mut ids = vec![String::new(); self.calls.len()];
            for (c, id) in self.calls.iter().zip(&mut ids) {
                self.visit_id(inputs, c, id);
            }
            order.sort_by(|&a, &b| ids[a as usize].cmp(&ids[b as usize]));
        } else {
            // Without '/' in group names, `GROUP/USCC` orders as (GROUP + "/", USCC).
            let mut by_slash: Vec<u32> = (0..self.groups.len() as u32).collect();
            by_slash.sort_by_key(|&g| format!("{}/", self.groups[g as usize]));
            let mut rank = vec![0u32; self.groups.len()];
            for (r, g) in by_slash.into_iter().enumerate() {
                rank[g as usize] = r as u32;
            }
            let key = |c: &Call| {
                (
                    rank[c.group as usize],
                    inputs.population[c.index as usize].uscc,
                )
            };
            order.sort_unstable_by_key(|&c| key(&self.calls[c as usize]));
        }
        let mut ranks = vec![0u32; self.calls.len()];
        for (r, c) in order.into_iter().enumerate() {
            ranks[c as usize] = r as u32;
        }
        ranks
    }

    /// The failure message of a team not formed (`docs/draw-protocol.md` §9).
    pub fn reason(&self, inputs: &Inputs, g: &Gap) -> String {
        let mut text = String::new();
        self.write_reason(inputs, g, &mut text);
        text
    }

    /// [`Drawn::reason`] into a reused string.
    pub fn write_reason(&self, inputs: &Inputs, g: &Gap, text: &mut String) {
        use std::fmt::Write;
        let c = &g.counts;
        let call = &self.calls[g.call as usize];
        let region = inputs.region_of(call.index as usize);
        text.clear();
        write!(
            text,
            "{} needed, {} assignable: {} in department, {} in other regions than {region}, {} certificate not valid for all of period {}, {} declared conflict, {} inspected it last time, {} at capacity, {} available",
            g.needed, g.found, c.department, c.other_region, c.certificate, call.period, c.conflict, c.last_time, c.capacity, c.available
        )
        .expect("writing to a string");
        for (n, &s) in g.missing.iter().enumerate() {
            text.push_str(if n == 0 {
                "; no available inspector has specialty "
            } else {
                ", "
            });
            text.push_str(&self.specialties[s as usize]);
        }
    }

    /// The plan with names.
    pub fn to_plan(&self, inputs: &Inputs) -> Plan {
        let task = |t: u32| inputs.tasks[t as usize].id.clone();
        let mut id = String::new();
        let ids: Vec<String> = self
            .calls
            .iter()
            .map(|c| {
                self.visit_id(inputs, c, &mut id);
                id.clone()
            })
            .collect();
        let mut deps = Vec::new();
        Plan {
            strata: self.strata.clone(),
            selections: self
                .picks
                .iter()
                .map(|p| Selection {
                    task: task(p.task),
                    index: p.index as usize,
                    tier: p.tier,
                    xi: p.xi,
                    basis: p.basis,
                    inclusion: p.inclusion,
                })
                .collect(),
            passed_over: self
                .passes
                .iter()
                .map(|p| PassedOver {
                    task: task(p.task),
                    index: p.index as usize,
                    tier: p.tier,
                    xi: p.xi,
                    visits: p.visits,
                })
                .collect(),
            visits: self
                .calls
                .iter()
                .zip(&ids)
                .map(|(c, id)| {
                    self.departments_of(c, &mut deps);
                    Visit {
                        id: id.clone(),
                        index: c.index as usize,
                        group: self.groups[c.group as usize].clone(),
                        period: c.period,
                        xi: c.xi,
                        tasks: self.tasks_of(c).iter().map(|&t| task(t)).collect(),
                        departments: deps
                            .iter()
                            .map(|&d| self.departments[d as usize].clone())
                            .collect(),
                    }
                })
                .collect(),
            teams: self
                .seats
                .iter()
                .map(|s| Member {
                    visit: ids[s.call as usize].clone(),
                    department: self.departments[s.department as usize].clone(),
                    inspector: inputs.inspectors[s.inspector as usize].id.clone(),
                    priority: s.priority,
                })
                .collect(),
            failures: self
                .gaps
                .iter()
                .map(|g| Failure {
                    visit: ids[g.call as usize].clone(),
                    department: self.departments[g.department as usize].clone(),
                    needed: g.needed,
                    found: g.found,
                    reason: self.reason(inputs, g),
                })
                .collect(),
        }
    }

    /// A plan with names read back into positions, for the independent checks. Failure reasons
    /// are not kept (the checks do not read them).
    pub fn from_plan(inputs: &Inputs, plan: &Plan) -> Result<Drawn, String> {
        let mut d = Drawn::frame(inputs);
        let tasks: BTreeMap<&str, u32> = inputs
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.as_str(), i as u32))
            .collect();
        let inspectors: BTreeMap<&str, u32> = inputs
            .inspectors
            .iter()
            .enumerate()
            .map(|(i, x)| (x.id.as_str(), i as u32))
            .collect();
        let population = inputs.population_len();
        let index = |i: usize| -> Result<u32, String> {
            if i < population {
                Ok(i as u32)
            } else {
                Err(format!("no enterprise at position {i}"))
            }
        };
        d.strata = plan.strata.clone();
        for s in &plan.selections {
            let task = *tasks
                .get(s.task.as_str())
                .ok_or(format!("selection for unknown task {}", s.task))?;
            d.picks.push(Pick {
                task,
                index: index(s.index)?,
                tier: s.tier,
                basis: s.basis,
                xi: s.xi,
                inclusion: s.inclusion,
            });
        }
        for p in &plan.passed_over {
            let task = *tasks
                .get(p.task.as_str())
                .ok_or(format!("passed over for unknown task {}", p.task))?;
            d.passes.push(Pass {
                task,
                index: index(p.index)?,
                tier: p.tier,
                visits: p.visits,
                xi: p.xi,
            });
        }
        let mut calls: BTreeMap<&str, u32> = BTreeMap::new();
        for v in &plan.visits {
            let mut ts = v
                .tasks
                .iter()
                .map(|t| tasks.get(t.as_str()).copied())
                .collect::<Option<Vec<u32>>>()
                .filter(|ts| !ts.is_empty())
                .ok_or(format!("visit {} names unknown task", v.id))?;
            ts.sort_unstable();
            let group = position(&d.groups, &v.group)
                .ok_or(format!("visit {} names unknown group {}", v.id, v.group))?;
            calls.insert(v.id.as_str(), d.calls.len() as u32);
            d.calls.push(Call {
                index: index(v.index)?,
                group,
                period: v.period,
                tasks: (d.call_tasks.len() as u32, ts.len() as u32),
                xi: v.xi,
            });
            d.call_tasks.extend(ts);
        }
        for m in &plan.teams {
            let call = *calls
                .get(m.visit.as_str())
                .ok_or(format!("team member for unknown visit {}", m.visit))?;
            let inspector = *inspectors
                .get(m.inspector.as_str())
                .ok_or(format!("unknown inspector {}", m.inspector))?;
            let i = &inputs.inspectors[inspector as usize];
            let department = d.department_id(&m.department).ok_or(format!(
                "visit {} {}: inspector {} belongs to {}",
                m.visit, m.department, i.id, i.department
            ))?;
            d.seats.push(Seat {
                call,
                department,
                inspector,
                priority: m.priority,
            });
        }
        for f in &plan.failures {
            if let (Some(&call), Some(department)) =
                (calls.get(f.visit.as_str()), d.department_id(&f.department))
            {
                d.gaps.push(Gap {
                    call,
                    department,
                    needed: f.needed,
                    found: f.found,
                    counts: Counts::default(),
                    missing: Vec::new(),
                });
            }
        }
        Ok(d)
    }
}

/// The tasks of a group, by reference.
pub fn group_tasks<'a>(inputs: &'a Inputs, d: &Drawn, group: usize) -> Vec<&'a Task> {
    d.group_tasks[group]
        .iter()
        .map(|&t| &inputs.tasks[t as usize])
        .collect()
}
