//! The plan files of a `dr1` bundle (`docs/draw-protocol.md`, "Plan files"): CSV, UTF-8, LF, in
//! a fixed order, numbers ξ and priorities as 16 lower-case hex digits. Verification recomputes
//! these bytes and compares them.

use crate::inputs::text::set_row;
use crate::inputs::Inputs;
use crate::selection::drawn::Drawn;
use crate::selection::{Basis, Plan};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// The plan files (under `plan/` in a bundle), in byte order, with their headers.
pub const PLAN_FILES: [(&str, &[&str]); 6] = [
    (
        "failures.csv",
        &["visit", "department", "needed", "found", "reason"],
    ),
    ("passed-over.csv", &["task", "uscc", "tier", "xi", "visits"]),
    (
        "selections.csv",
        &["task", "uscc", "tier", "xi", "basis", "inclusion"],
    ),
    (
        "strata.csv",
        &[
            "task",
            "tier",
            "eligible",
            "quota",
            "key",
            "start",
            "cutoff",
            "taken",
            "passed_over",
        ],
    ),
    (
        "teams.csv",
        &["visit", "department", "inspector", "priority"],
    ),
    (
        "visits.csv",
        &[
            "visit",
            "uscc",
            "region",
            "tier",
            "group",
            "period",
            "xi",
            "departments",
            "tasks",
        ],
    ),
];

/// A 64-bit number as 16 hex digits.
pub fn hex64(x: u64) -> String {
    format!("{x:016x}")
}

impl Plan {
    /// The selection files of this plan (strata, selections, passed over), by name: the bytes
    /// [`Drawn::write_file`] writes for them. Method `dr2` publishes them as they are.
    pub fn selection_files(&self, inputs: &Inputs) -> BTreeMap<&'static str, String> {
        let drawn = Drawn::from_plan(inputs, self).expect("a plan of these inputs");
        ["strata.csv", "selections.csv", "passed-over.csv"]
            .into_iter()
            .map(|name| (name, drawn.file_text(inputs, name)))
            .collect()
    }
}

/// A number in decimal without allocating.
struct Dec([u8; 20], usize);

impl Dec {
    fn new(mut x: u64) -> Dec {
        let mut d = Dec([0; 20], 20);
        loop {
            d.1 -= 1;
            d.0[d.1] = b'0' + (x % 10) as u8;
            x /= 10;
            if x == 0 {
                return d;
            }
        }
    }

    fn bytes(&self) -> &[u8] {
        &self.0[self.1..]
    }
}

/// A 64-bit number as 16 hex digits without allocating.
fn hex16(x: u64) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (i, o) in out.iter_mut().enumerate() {
        *o = b"0123456789abcdef"[(x >> (60 - 4 * i)) as usize & 15];
    }
    out
}

fn basis_text(b: Basis) -> &'static str {
    match b {
        Basis::Key => "key",
        Basis::Sample => "sample",
    }
}

/// Writes rows as lines, reusing one buffer.
struct Lines<'w> {
    out: &'w mut dyn Write,
    line: Vec<u8>,
}

impl Lines<'_> {
    fn row<'a>(&mut self, fields: impl IntoIterator<Item = &'a [u8]>) -> io::Result<()> {
        set_row(&mut self.line, fields);
        self.line.push(b'\n');
        self.out.write_all(&self.line)
    }
}

impl Drawn {
    /// Writes plan file `name` (one of [`PLAN_FILES`]) to `out`, line by line: the same bytes
    /// as [`Plan::to_files`] of [`Drawn::to_plan`].
    pub fn write_file(&self, inputs: &Inputs, name: &str, out: &mut dyn Write) -> io::Result<()> {
        let header = PLAN_FILES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, h)| *h)
            .ok_or_else(|| {
                io::Error::new(io::ErrorKind::NotFound, format!("no plan file {name}"))
            })?;
        let mut w = Lines {
            out,
            line: Vec::with_capacity(256),
        };
        w.row(header.iter().map(|h| h.as_bytes()))?;
        let task = |t: u32| inputs.tasks[t as usize].id.as_bytes();
        let uscc = |i: u32| inputs.population[i as usize].uscc;
        let mut id = String::new();
        match name {
            "strata.csv" => {
                for s in &self.strata {
                    let cutoff = s.cutoff.map(hex64).unwrap_or_default();
                    w.row([
                        s.task.as_bytes(),
                        s.tier.as_str().as_bytes(),
                        s.eligible.to_string().as_bytes(),
                        s.quota.to_string().as_bytes(),
                        s.key.to_string().as_bytes(),
                        hex64(s.start).as_bytes(),
                        cutoff.as_bytes(),
                        s.taken.to_string().as_bytes(),
                        s.passed_over.to_string().as_bytes(),
                    ])?;
                }
            }
            "selections.csv" => {
                let mut inclusion = Vec::with_capacity(42);
                for p in &self.picks {
                    inclusion.clear();
                    inclusion.extend_from_slice(Dec::new(p.inclusion.0).bytes());
                    inclusion.push(b'/');
                    inclusion.extend_from_slice(Dec::new(p.inclusion.1).bytes());
                    w.row([
                        task(p.task),
                        uscc(p.index).as_bytes().as_slice(),
                        p.tier.as_str().as_bytes(),
                        &hex16(p.xi),
                        basis_text(p.basis).as_bytes(),
                        &inclusion,
                    ])?;
                }
            }
            "passed-over.csv" => {
                for p in &self.passes {
                    w.row([
                        task(p.task),
                        uscc(p.index).as_bytes().as_slice(),
                        p.tier.as_str().as_bytes(),
                        &hex16(p.xi),
                        Dec::new(p.visits.into()).bytes(),
                    ])?;
                }
            }
            "visits.csv" => {
                let (mut deps, mut list, mut departments) = (Vec::new(), Vec::new(), Vec::new());
                for c in &self.calls {
                    self.visit_id(inputs, c, &mut id);
                    let e = inputs.population[c.index as usize];
                    self.departments_of(c, &mut deps);
                    departments.clear();
                    for (n, &d) in deps.iter().enumerate() {
                        if n > 0 {
                            departments.push(b';');
                        }
                        departments.extend_from_slice(self.departments[d as usize].as_bytes());
                    }
                    list.clear();
                    for (n, &t) in self.tasks_of(c).iter().enumerate() {
                        if n > 0 {
                            list.push(b';');
                        }
                        list.extend_from_slice(task(t));
                    }
                    w.row([
                        id.as_bytes(),
                        e.uscc.as_bytes().as_slice(),
                        inputs.population.region(e.region).as_bytes(),
                        e.tier.as_str().as_bytes(),
                        self.groups[c.group as usize].as_bytes(),
                        Dec::new(c.period.into()).bytes(),
                        &hex16(c.xi),
                        departments.as_slice(),
                        list.as_slice(),
                    ])?;
                }
            }
            "teams.csv" => {
                for s in &self.seats {
                    self.visit_id(inputs, &self.calls[s.call as usize], &mut id);
                    w.row([
                        id.as_bytes(),
                        self.departments[s.department as usize].as_bytes(),
                        inputs.inspectors[s.inspector as usize].id.as_bytes(),
                        &hex16(s.priority),
                    ])?;
                }
            }
            _ => {
                let mut reason = String::new();
                for g in &self.gaps {
                    self.visit_id(inputs, &self.calls[g.call as usize], &mut id);
                    self.write_reason(inputs, g, &mut reason);
                    w.row([
                        id.as_bytes(),
                        self.departments[g.department as usize].as_bytes(),
                        Dec::new(g.needed.into()).bytes(),
                        Dec::new(g.found.into()).bytes(),
                        reason.as_bytes(),
                    ])?;
                }
            }
        }
        Ok(())
    }

    /// The plan files by name, as texts (for small plans and tests).
    pub fn to_files(&self, inputs: &Inputs) -> BTreeMap<&'static str, String> {
        PLAN_FILES
            .iter()
            .map(|(name, _)| (*name, self.file_text(inputs, name)))
            .collect()
    }

    /// One plan file as text.
    fn file_text(&self, inputs: &Inputs, name: &str) -> String {
        let mut out = Vec::new();
        self.write_file(inputs, name, &mut out).expect("in memory");
        String::from_utf8(out).expect("UTF-8 in, UTF-8 out")
    }
}
