#!/usr/bin/env python3
"""Independent verifier for dualdraw bundles of method ``dr3`` (first plans).

Written from ``docs/plan-model.md`` (§1–§10 and "Method dr3") and ``docs/draw-protocol.md``
with the Python 3.11 standard library only; it reuses the ``dr1`` verifier beside it for what
the two methods share. Where the documents leave a detail open, the bundles the Rust
implementation writes decided (each such place is marked "(as the implementation does)").

Usage::

    python3 verifiers/python/verify_dr3.py BUNDLE

Exit status 0 and a one-line summary on standard output when everything checks; exit status
1 and the first failure on standard error otherwise; 2 on a usage error.

What is checked: the manifest and every file digest; the commitment (method ``dr3``, the
twelve committed inputs, the population root); the inputs' validity and canonical form, and
``key-supervision.csv``'s rules; the entropy, the secret and the seed; once revealed, the
selection recomputed (``strata.csv``, ``selections.csv``, ``passed-over.csv`` byte for byte,
with K per department and key-check visits not counted toward caps).

On the plan as published (run or revealed): every drawn check in exactly one visit or in
``unplanned.csv``, visits in their groups' windows and one per enterprise and period, the cap
rule of ``dr3`` (visits holding a key-supervision check exempt; complaint-driven visits, one per
distinct period, counted first and allowed alone over the cap; no new visit on top of a full
cap), and the teams (department, region, certificate, conflicts, not in the enterprise's
last team of the department, no member twice, the specialties the visit's items need, k
members or a stated failure, yearly capacity); the inspector classes recomputed from the inputs
(``classes.csv`` byte for byte but for its ``allocation`` column), each class's allocation only
in certified periods and within its members' capacity left; every team member within their
period budget (the class allocation dealt to the members, §7); and for every region,
department and period in which the department has a new visit, k × visits + complaint reserve ≤
the allocation (§10 step 4; where it has none, the reserve alone may be short).

Once revealed, the optimizer's recorded decisions are checked against the aggregates recomputed
without a solver (§3 and "Method dr3": checks, patterns with needs, cells, blocks with dr3's
partial merges, kinds numbered as specified, classes, reserve, team sizes, specialty families):
``merges.csv`` names exactly the cells with a choice (pattern, enterprises, visits merged and
split) and takes at most the cell's enterprises (merged + partial, partial only at positions
that are partial merges); ``allocation.csv`` names only kinds of its region, places visits only
in periods of the kind's window where it is staffable, and every kind's demand from
``merges.csv`` is its placed plus unplaced visits; dr3's integer inequalities of (d,p) hold on
the allocation (every specialty family; the total wherever d has a visit placed in p); ``regions.csv`` (but its status),
``shortages.csv``, ``changes.csv`` and ``bound.csv`` (but ``planned_bound``, which must lie
between ``planned`` and ``checks``) are recomputed. From those decisions §6 (placement, dr3's
partial merges, the cap pass) is reproduced and ``visits.csv`` and ``unplanned.csv`` must be
identical byte for byte; then §7 (budgets dealt from the allocation, the greedy ρ₂ draw and
dr3's team completion by augmenting search) is reproduced and ``teams.csv`` and
``failures.csv`` must be identical byte for byte.

What is NOT checked: the optimizer's choice among feasible aggregates (``merged``, ``partial``,
``placed``, ``unplaced`` and the allocation are taken as recorded; recomputing them needs the
linear-programming solver, §10), so neither ``regions.csv``'s ``status``, ``bound.csv``'s
``planned_bound`` (a linear-program optimum) nor ``solver.csv``'s backend and weights; nor are
re-plans (bundles with ``previous/``), which are refused by name.
"""

from __future__ import annotations

import hashlib
import sys
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import verify_dr1 as v1

METHOD = "dr3"
ANNUAL_FILES = ("annual.csv", "complaints.csv", "previous-teams.csv", "previous-visits.csv")
KEY_FILE = "key-supervision.csv"
H_KEY = ["uscc", "department"]
H_VISITS = ["visit", "uscc", "region", "tier", "period", "groups", "departments", "tasks",
            "place", "pinned"]
H_UNPLANNED = ["uscc", "group", "tasks", "departments", "reason"]
H_COMPLAINTS = ["uscc", "department", "period"]
H_ANNUAL = ["key", "value"]
SELECTION_FILES = ("strata.csv", "selections.csv", "passed-over.csv")


def fail(message: str) -> None:
    v1.fail(message)


def verify_manifest(bundle: Path) -> dict:
    manifest = v1.load_json("manifest.json", v1.read_file(bundle, "manifest.json"))
    if manifest.get("method") != METHOD:
        fail(f"manifest.json: method: expected {METHOD!r}, found {manifest.get('method')!r}")
    state = manifest.get("state")
    if state not in ("committed", "run", "revealed"):
        fail(f"manifest.json: state: expected committed, run or revealed, found {state!r}")
    files = manifest.get("files")
    if not isinstance(files, dict):
        fail("manifest.json: files is not an object")
    if any(rel.startswith("previous/") for rel in files):
        fail("previous/commitment.json: a re-plan; this verifier checks first plans only")
    for rel, digest in files.items():
        if rel == "manifest.json" or rel.startswith("/") or ".." in rel.split("/"):
            fail(f"manifest.json: files: bad path {rel!r}")
        found = v1.sha256_hex(v1.read_file(bundle, rel))
        if found != digest:
            fail(f"{rel}: SHA-256 expected {digest} (manifest.json), found {found}")
    extra = sorted(v1.list_bundle_files(bundle) - set(files) - {"manifest.json"})
    if extra:
        fail(f"{extra[0]}: file not listed in manifest.json")
    committed = {f"inputs/{n}" for n in (*v1.INPUT_FILES, *ANNUAL_FILES, KEY_FILE)}
    missing = sorted((committed | {"commitment.json"}) - set(files))
    if missing:
        fail(f"{missing[0]}: missing from the bundle")
    if manifest.get("commitment_sha256") != files.get("commitment.json"):
        fail("manifest.json: commitment_sha256 is not the SHA-256 of commitment.json")
    return manifest


def verify_commitment(bundle: Path, inputs: v1.Inputs, raw: dict[str, bytes]) -> dict:
    label = "commitment.json"
    c = v1.load_json(label, v1.read_file(bundle, label))
    if c.get("method") != METHOD:
        fail(f"{label}: method: expected {METHOD!r}, found {c.get('method')!r}")
    names = {*v1.INPUT_FILES, *ANNUAL_FILES, KEY_FILE}
    if not isinstance(c.get("inputs"), dict) or set(c["inputs"]) != names:
        fail(f"{label}: inputs must name exactly {', '.join(sorted(names))}")
    for name in sorted(names):
        found = v1.sha256_hex(raw[name])
        if c["inputs"][name] != found:
            fail(f"inputs/{name}: SHA-256 expected {c['inputs'][name]} ({label}), found {found}")
    if c.get("population_size") != len(inputs.population):
        fail(f"{label}: population_size is not the number of enterprises of inputs/population.csv")
    root = v1.merkle_tree_hash(v1.population_leaves(raw["population.csv"])).hex()
    if c.get("population_root") != root:
        fail(f"{label}: population_root expected {root}, found {c.get('population_root')}")
    if "replaces" in c:
        fail(f"{label}: replaces: a re-plan; this verifier checks first plans only")
    v1.verify_advice(bundle, c)
    return c


def parse_key_supervision(raw: bytes, inputs: v1.Inputs) -> dict[str, set[str]]:
    """docs/plan-model.md, "dr3: key supervision": department -> USCCs it holds."""
    label = f"inputs/{KEY_FILE}"
    rows = v1.parse_csv(label, raw, H_KEY)
    departments = {t.department for t in inputs.tasks.values()}
    held: dict[str, set[str]] = {}
    keys = []
    for r in rows:
        uscc, department = r.fields
        v1.p_uscc(label, r, "uscc", uscc)
        e = inputs.by_uscc.get(uscc)
        if e is None:
            fail(f"{label}:{r.line}: uscc: '{uscc}' is not in population.csv")
        if department not in departments:
            fail(f"{label}:{r.line}: department: '{department}' is not the department of any task")
        if not e.key:
            fail(f"{label}:{r.line}: uscc: '{uscc}' has key_supervision false in population.csv")
        held.setdefault(department, set()).add(uscc)
        keys.append((uscc.encode(), department.encode()))
    v1.check_order(label, rows, keys, "uscc", strict=True)
    v1.check_canonical(label, raw, H_KEY, [list(r.fields) for r in rows])
    holders = set().union(*held.values()) if held else set()
    for e in inputs.population:
        if e.key and e.uscc not in holders:
            fail(f"inputs/population.csv:{e.index + 2}: key_supervision: '{e.uscc}' is true "
                 f"but {KEY_FILE} has no row for it")
    return held


def rows_of(bundle: Path, name: str, header: list[str]) -> list[v1.Row]:
    return v1.parse_csv(f"plan/{name}", v1.read_file(bundle, f"plan/{name}"), header)


class Published:
    """The plan files as parsed by check_plan, for the checks after it."""

    def __init__(self):
        self.visits: list[v1.Row] = []
        self.unplanned: list[v1.Row] = []
        self.teams: list[v1.Row] = []
        self.failures: list[v1.Row] = []
        self.by_id: dict[str, tuple[str, int, list[str]]] = {}
        self.counts: dict[str, int] = {}


def check_plan(bundle: Path, inputs: v1.Inputs, held: dict[str, set[str]],
               complaints: list[v1.Row]) -> Published:
    """docs/plan-model.md §10 step 4 with the cap rule of dr3, on the plan as published."""
    out = Published()
    selections = rows_of(bundle, "selections.csv", v1.H_SELECTIONS)
    visits = out.visits = rows_of(bundle, "visits.csv", H_VISITS)
    unplanned = out.unplanned = rows_of(bundle, "unplanned.csv", H_UNPLANNED)
    teams = out.teams = rows_of(bundle, "teams.csv", v1.H_TEAMS)
    failures = out.failures = rows_of(bundle, "failures.csv", v1.H_FAILURES)
    windows = {t.group: (t.period_from, t.period_to) for t in inputs.tasks.values()}
    # every drawn check of a group: in exactly one visit or unplanned
    drawn = {(r.fields[1], inputs.tasks[r.fields[0]].group) for r in selections
             if r.fields[0] in inputs.tasks}
    seen: dict[tuple[str, str], int] = {}
    periods: set[tuple[str, int]] = set()
    new: dict[str, int] = {}  # new visits without a key-supervision check, per enterprise
    by_id = out.by_id
    tasks_of: dict[str, list[str]] = {}
    for r in visits:
        vid, uscc, _region, _tier, period, groups, departments, tasks, _place, pinned = r.fields
        tasks_of[vid] = tasks.split(";")
        if pinned != "false":
            fail(f"plan/visits.csv:{r.line}: pinned visit in a first plan")
        p = v1.p_decimal("plan/visits.csv", r, "period", period)
        if vid in by_id:
            fail(f"plan/visits.csv:{r.line}: visit {vid} listed twice")
        if uscc not in inputs.by_uscc:
            fail(f"plan/visits.csv:{r.line}: uscc: {uscc} is not in population.csv")
        by_id[vid] = (uscc, p, departments.split(";"))
        if (uscc, p) in periods:
            fail(f"plan/visits.csv:{r.line}: {uscc} has two visits in period {p}")
        periods.add((uscc, p))
        for g in groups.split(";"):
            seen[(uscc, g)] = seen.get((uscc, g), 0) + 1
            lo, hi = windows.get(g, (0, -1))
            if not lo <= p <= hi:
                fail(f"plan/visits.csv:{r.line}: visit {vid} in period {p} is outside group "
                     f"{g}'s window {lo}-{hi}")
        if not any(uscc in held.get(d, set()) for d in departments.split(";")):
            new[uscc] = new.get(uscc, 0) + 1
    for r in unplanned:
        seen[(r.fields[0], r.fields[1])] = seen.get((r.fields[0], r.fields[1]), 0) + 1
    for check in sorted(drawn | set(seen)):
        if seen.get(check, 0) != 1 or check not in drawn:
            fail(f"plan: check of group {check[1]} at {check[0]} appears {seen.get(check, 0)} "
                 f"times in visits and unplanned{'' if check in drawn else ' but was not drawn'}")
    check_caps(inputs, new, complaints)
    # teams
    k = inputs.policy.inspectors_per_department
    last = v1.last_teams(inputs.history)
    size: dict[tuple[str, str], int] = {}
    members: dict[tuple[str, str], list[v1.Inspector]] = {}
    used: dict[str, int] = {}
    for r in teams:
        vid, department, iid, _priority = r.fields
        if vid not in by_id:
            fail(f"plan/teams.csv:{r.line}: unknown visit {vid}")
        uscc, p, departments = by_id[vid]
        i = inputs.inspectors.get(iid)
        e = inputs.by_uscc[uscc]
        start, end = v1.period_dates(inputs.policy, p)
        if i is None or i.department != department or department not in departments:
            fail(f"plan/teams.csv:{r.line}: inspector {iid} is not of the visit's department")
        if i.region != e.region:
            fail(f"plan/teams.csv:{r.line}: inspector {iid} does not serve {e.region}")
        if not (i.valid_from <= start and end <= i.valid_until):
            fail(f"plan/teams.csv:{r.line}: inspector {iid} has no certificate for period {p}")
        if (iid, uscc) in inputs.conflicts:
            fail(f"plan/teams.csv:{r.line}: inspector {iid} has a declared conflict with {uscc}")
        if iid in last.get((uscc, department), set()):
            fail(f"plan/teams.csv:{r.line}: inspector {iid} was in the last team at {uscc} "
                 f"for {department}")
        team = members.setdefault((vid, department), [])
        if any(m.id == iid for m in team):
            fail(f"plan/teams.csv:{r.line}: inspector {iid} twice in the team of {vid} "
                 f"for {department}")
        team.append(i)
        used[iid] = used.get(iid, 0) + 1
        if used[iid] > i.capacity:
            fail(f"plan/teams.csv:{r.line}: inspector {iid} exceeds their yearly capacity")
        size[(vid, department)] = size.get((vid, department), 0) + 1
    for (vid, department), team in members.items():
        uscc = by_id[vid][0]
        for s in needed_specialties(inputs, tasks_of[vid], department, uscc):
            if not any(s in m.specialties for m in team):
                fail(f"plan/teams.csv: team of {vid} for {department} has nobody with "
                     f"specialty {s}")
    # not twice in a row: history's last team, then each team of the plan in visit order
    previous = {key: set(team) for key, team in last.items()}
    for r in visits:
        vid, uscc = r.fields[0], r.fields[1]
        for d in by_id[vid][2]:
            team = members.get((vid, d))
            if team is None:
                continue
            ids = {m.id for m in team}
            twice = sorted(ids & previous.get((uscc, d), set()))
            if twice:
                fail(f"plan/teams.csv: inspector {twice[0]} inspects {uscc} for {d} twice in a "
                     f"row (visit {vid})")
            previous[(uscc, d)] = ids
    failed = {(r.fields[0], r.fields[1]) for r in failures}
    for vid, (_uscc, _p, departments) in by_id.items():
        for d in departments:
            n = size.get((vid, d), 0)
            if (n < k) != ((vid, d) in failed) or ((vid, d) in failed and n > 0):
                fail(f"plan: visit {vid} has {n} inspectors of {d} and "
                     f"{'a' if (vid, d) in failed else 'no'} failure")
    out.counts = {"selections": len(selections), "visits": len(visits), "assigned": len(teams),
                  "failures": len(failures), "unplanned": len(unplanned),
                  "key": sum(1 for r in selections if r.fields[4] == "key")}
    return out


def check_caps(inputs: v1.Inputs, new: dict[str, int], complaints: list[v1.Row]) -> None:
    """§6 Caps, §10 step 4: per enterprise, its complaint-driven visits (one per distinct
    period of complaints.csv; a first plan pins none) are counted first and may alone pass its
    tier's cap (they are not the plan's to refuse); the plan may then add no visit without a
    key-supervision check. So refused only if it has such a new visit and the counted visits
    plus the new ones pass the cap."""
    fixed: dict[str, int] = {}
    for uscc, _period in sorted({(r.fields[0], r.fields[2]) for r in complaints}):
        fixed[uscc] = fixed.get(uscc, 0) + 1
    for uscc, n in sorted(new.items()):
        e = inputs.by_uscc.get(uscc)
        if e is None or n == 0:
            continue
        cap = inputs.policy.caps[e.tier]
        c = fixed.get(uscc, 0)
        if c + n > cap:
            fail(f"plan/visits.csv: {uscc} (tier {e.tier}) has {c + n} visits without a "
                 f"key-supervision check ({n} new, {c} complaint-driven), over its cap {cap}")


def applies(inputs: v1.Inputs, item: v1.Item, uscc: str) -> bool:
    """"Method dr3", Needs: an item applies if its industries are empty or one is a prefix of
    the enterprise's industry."""
    e = inputs.by_uscc.get(uscc)
    industry = e.industry if e is not None else ""
    return not item.industries or v1.starts_with_any(industry, item.industries)


def needed_specialties(inputs: v1.Inputs, visit_tasks: list[str], department: str,
                       uscc: str) -> list[str]:
    """R(d) of a visit: the non-empty specialties of the applicable items of its tasks of d."""
    out = set()
    for tid in visit_tasks:
        t = inputs.tasks.get(tid)
        if t is None or t.department != department:
            continue
        for code in t.items:
            item = inputs.items[code]
            if item.specialty and applies(inputs, item, uscc):
                out.add(item.specialty)
    return sorted(out)


# ---------------------------------------------------------------------------------------
# §3 and "Method dr3": the aggregates, recomputed without a solver
# ---------------------------------------------------------------------------------------
#
# Indices of groups, departments and specialties are ranks in byte order, so the names
# themselves sort as the indices do (Python compares str by code point, which is UTF-8 byte
# order); the aggregates below are keyed by names.

H_MERGES = ["region", "pattern", "enterprises", "visits_merged", "visits_split", "merged",
            "partial"]
H_ALLOCATION = ["region", "departments", "from", "to", "checks", "specialties", "period",
                "visits"]
H_CLASSES = ["region", "department", "inspectors", "capacity", "certified", "allocation"]
H_REGIONS = ["region", "cells", "kinds", "classes", "placed", "unplanned", "status"]
H_SHORTAGES = ["region", "department", "from", "to", "needed", "available", "unplanned",
               "message"]
H_BOUND = ["region", "checks", "planned", "staffed", "planned_bound", "visits", "visits_bound"]
H_CHANGES = ["uscc", "change", "previous_visit", "previous_period", "visit", "period", "groups"]
H_SOLVER = ["key", "value"]
SOLVER_KEYS = ["backend", "first_period", "last_period", "weight_unplanned_check",
               "weight_visit", "weight_peak_load", "weight_late_risk"]
TAG_PLACE = b"dualdraw-dr2-place\x00"
TAG_INSPECTOR2 = b"dualdraw-dr2-inspector\x00"
NO_ASSIGNMENT = ("no swap with the period's other teams of the department completes it "
                 "(augmenting search)")


@dataclass
class Block:
    kind: int
    checks: tuple[int, ...]  # positions in the cell's pattern


@dataclass
class Cell:
    # a check: (group, departments, (from, to), needs), needs ((department, specialties), ...)
    pattern: tuple
    enterprises: list[int]  # population indices, population order
    merged: list[Block]
    split: list[Block]
    partial: list[tuple[int, list[Block]]]  # (position j, blocks)

    def has_choice(self) -> bool:
        return len(self.merged) < len(self.split)


@dataclass
class Kind:
    departments: tuple[str, ...]
    window: tuple[int, int]
    checks: int
    needs: tuple  # ((department, (specialty, ...)), ...), departments with needs only

    def needs_of(self, d: str) -> tuple[str, ...]:
        for x, s in self.needs:
            if x == d:
                return s
        return ()


@dataclass
class Class:
    department: str
    mask: int  # bit p: certified for the whole of period p
    capacity: int  # capacity left of each member
    members: list[v1.Inspector]  # id order
    specialties: tuple[str, ...]

    def valid(self, p: int) -> bool:
        return bool(self.mask >> p & 1)

    def total(self) -> int:
        return self.capacity * len(self.members)


@dataclass
class Region:
    name: str
    cells: list[Cell] = field(default_factory=list)
    kinds: list[Kind] = field(default_factory=list)
    classes: list[Class] = field(default_factory=list)
    reserve: dict[tuple[str, int], int] = field(default_factory=dict)
    # the recorded decisions
    merged: list[int] = field(default_factory=list)
    partial: list[list[int]] = field(default_factory=list)
    placed: list[list[int]] = field(default_factory=list)  # kind -> period offset -> visits
    unplaced: list[int] = field(default_factory=list)
    allocation: list[list[int]] = field(default_factory=list)  # class -> period offset
    status: str = ""
    table: "Table | None" = None

    def departments(self) -> list[str]:
        s = {q.department for q in self.classes}
        s.update(d for kind in self.kinds for d in kind.departments)
        s.update(d for d, _ in self.reserve)
        return sorted(s)

    def inspectors(self, d: str, p: int) -> int:
        return sum(len(q.members) for q in self.classes if q.department == d and q.valid(p))


class Frame:
    """Periods, k and the specialties of "Method dr3" (in byte order)."""

    def __init__(self, inputs: v1.Inputs):
        self.first = 1  # a first plan: pinned_through 0
        self.last = v1.periods_per_year(inputs.policy)
        self.k = inputs.policy.inspectors_per_department
        self.periods = list(range(self.first, self.last + 1))


def complaint_reserve(inputs: v1.Inputs, frame: Frame, complaints: list[v1.Row]
                      ) -> dict[str, dict[tuple[str, int], int]]:
    """§3 Reserve: k per complaints.csv row, by region of the enterprise, department, period."""
    out: dict[str, dict[tuple[str, int], int]] = {}
    for r in complaints:
        uscc, department, period = r.fields
        p = v1.p_decimal("inputs/complaints.csv", r, "period", period)
        e = inputs.by_uscc.get(uscc)
        if e is None or p < frame.first:
            continue
        reserve = out.setdefault(e.region, {})
        reserve[(department, p)] = reserve.get((department, p), 0) + frame.k
    return out


def region_classes(inputs: v1.Inputs, frame: Frame) -> dict[str, list[Class]]:
    """§3 classes, keyed (department, certified periods as the bit mask Σ 2^p, capacity left,
    specialty set) and in that key order (as the implementation does: the mask compared as a
    number, the specialty sets as sorted lists)."""
    keyed: dict[str, dict[tuple, list[v1.Inspector]]] = {}
    for i in inputs.inspectors.values():  # id order
        mask = 0
        for p in frame.periods:
            start, end = v1.period_dates(inputs.policy, p)
            if i.valid_from <= start and end <= i.valid_until:
                mask |= 1 << p
        left = i.capacity  # nothing pinned in a first plan
        if mask == 0 or left == 0:
            continue
        key = (i.department, mask, left, tuple(i.specialties_list))
        keyed.setdefault(i.region, {}).setdefault(key, []).append(i)
    return {region: [Class(d, mask, left, members, specs)
                     for (d, mask, left, specs), members in sorted(by_key.items())]
            for region, by_key in keyed.items()}


def check_needs(inputs: v1.Inputs, visit: v1.Visit) -> tuple:
    """"Method dr3", Needs: per department of the group visit's tasks, the specialties of the
    items that apply to the enterprise; departments without one left out."""
    out: dict[str, set[str]] = {}
    for tid in visit.tasks:
        t = inputs.tasks[tid]
        entry = out.setdefault(t.department, set())
        for code in t.items:
            item = inputs.items[code]
            if item.specialty and applies(inputs, item, visit.e.uscc):
                entry.add(item.specialty)
    return tuple((d, tuple(sorted(s))) for d, s in sorted(out.items()) if s)


def stab(pattern: tuple, positions: list[int]) -> list[list[int]]:
    """§3 greedy stabbing: the check whose window ends first (then start, then position) and
    every check not yet in a block whose window starts by that end; each block in position
    order."""
    order = sorted(positions, key=lambda p: (pattern[p][2][1], pattern[p][2][0], p))
    done: set[int] = set()
    out = []
    for p in order:
        if p in done:
            continue
        point = pattern[p][2][1]
        block = sorted(q for q in order if q not in done and pattern[q][2][0] <= point)
        done.update(block)
        out.append(block)
    return out


def make_cell(pattern: tuple, enterprises: list[int], kinds: dict[Kind, int]) -> Cell:
    def kind_of(positions) -> int:
        departments = tuple(sorted({d for p in positions for d in pattern[p][1]}))
        needs: dict[str, set[str]] = {}
        for p in positions:
            for d, s in pattern[p][3]:
                needs.setdefault(d, set()).update(s)
        kind = Kind(departments,
                    (max(pattern[p][2][0] for p in positions),
                     min(pattern[p][2][1] for p in positions)),
                    len(positions),
                    tuple((d, tuple(sorted(s))) for d, s in sorted(needs.items())))
        key = (kind.departments, kind.window, kind.checks, kind.needs)
        if key not in kinds:
            kinds[key] = len(kinds)
        return kinds[key]

    n = len(pattern)
    split = [Block(kind_of([p]), (p,)) for p in range(n)]
    merged = [Block(kind_of(b), tuple(b)) for b in stab(pattern, list(range(n)))]
    partial = []
    if len(merged) < len(split):
        for j in range(n):
            blocks = stab(pattern, [p for p in range(n) if p != j])
            if len(blocks) + 1 >= len(split) or any(b.checks == (j,) for b in merged):
                continue
            blocks.append([j])
            blocks.sort()
            partial.append((j, [Block(kind_of(b), tuple(b)) for b in blocks]))
    return Cell(pattern, enterprises, merged, split, partial)


def aggregates(inputs: v1.Inputs, frame: Frame, group_visits: list[v1.Visit],
               classes: dict[str, list[Class]], reserve: dict[str, dict]) -> list[Region]:
    """§3 with dr3's needs and partial merges: the regions, their cells, kinds and classes."""
    by_enterprise: dict[int, list[tuple]] = {}
    for v in group_visits:
        lo, hi = v.window
        by_enterprise.setdefault(v.e.index, []).append(
            (v.group, tuple(v.departments), (max(lo, frame.first), hi), check_needs(inputs, v)))
    cells: dict[str, dict[tuple, list[int]]] = {}
    for index in sorted(by_enterprise):
        pattern = tuple(sorted(by_enterprise[index]))
        cells.setdefault(inputs.population[index].region, {}).setdefault(pattern, []).append(index)
    names = sorted(set(cells) | {i.region for i in inputs.inspectors.values()})
    regions = []
    for name in names:
        kinds: dict[tuple, int] = {}
        region = Region(name)
        for pattern, enterprises in sorted(cells.get(name, {}).items()):
            region.cells.append(make_cell(pattern, enterprises, kinds))
        region.kinds = [Kind(*key) for key, _ in sorted(kinds.items(), key=lambda kv: kv[1])]
        region.classes = classes.get(name, [])
        region.reserve = reserve.get(name, {})
        regions.append(region)
    return regions


def pattern_text(cell: Cell) -> str:
    return "+".join(f"{g}[{w[0]}-{w[1]}]" for g, _ds, w, _n in cell.pattern)


def needs_text(needs: tuple) -> str:
    return ";".join(f"{d}={'+'.join(s)}" for d, s in needs)


def cover(sets: list[tuple[str, ...]], target: tuple[str, ...]) -> int | None:
    """"Method dr3": the fewest of `sets` whose union contains `target` (0 if empty)."""
    if not target:
        return 0
    bit = {s: b for b, s in enumerate(target)}
    masks = {m for m in (sum(1 << bit[s] for s in set(x) if s in bit) for x in sets) if m}
    full = (1 << len(target)) - 1
    seen = {0}
    layer = [0]
    for n in range(1, len(target) + 1):
        nxt = []
        for m in layer:
            for s in masks:
                u = m | s
                if u not in seen:
                    seen.add(u)
                    if u == full:
                        return n
                    nxt.append(u)
        if not nxt:
            return None
        layer = nxt
    return None


class Table:
    """"Method dr3", Cover, team size, families: per region."""

    def __init__(self, region: Region, k: int):
        sets: dict[str, list[tuple[str, ...]]] = {}
        for q in region.classes:
            lst = sets.setdefault(q.department, [])
            if q.specialties not in lst:
                lst.append(q.specialties)
        fam: dict[str, set[tuple[str, ...]]] = {}
        for kind in region.kinds:
            for d, needs in kind.needs:
                f = fam.setdefault(d, set())
                f.update((s,) for s in needs)
                if len(needs) > 1:
                    f.add(needs)
        self.families = {d: sorted(f) for d, f in fam.items()}
        self.size: dict[tuple[int, str], int] = {}
        self.coefficients: dict[tuple[int, str], list[int]] = {}
        for v, kind in enumerate(region.kinds):
            for d in kind.departments:
                have = sets.get(d, [])
                needs = kind.needs_of(d)
                full = cover(have, needs)
                if full is None:
                    continue
                self.size[(v, d)] = max(full, k)
                self.coefficients[(v, d)] = [
                    cover(have, tuple(x for x in needs if x in s)) or 0
                    for s in self.families.get(d, [])]

    def staffable(self, region: Region, k: int, v: int, p: int) -> bool:
        kind = region.kinds[v]
        for d in kind.departments:
            if (v, d) not in self.size:
                return False
            sets = [q.specialties for q in region.classes if q.department == d and q.valid(p)]
            if cover(sets, kind.needs_of(d)) is None or region.inspectors(d, p) < k:
                return False
        return True


def kind_demand(region: Region) -> list[int]:
    """§4's demand with the recorded merged and partial counts (dr3: partial merges)."""
    demand = [0] * len(region.kinds)
    for c, cell in enumerate(region.cells):
        m = region.merged[c]
        for b in cell.merged:
            demand[b.kind] += m
        taken = m
        for j, (_pos, blocks) in enumerate(cell.partial):
            n = region.partial[c][j]
            taken += n
            for b in blocks:
                demand[b.kind] += n
        if cell.has_choice():
            for b in cell.split:
                demand[b.kind] += len(cell.enterprises) - taken
    return demand


# ---------------------------------------------------------------------------------------
# The recorded decisions: classes.csv, merges.csv, allocation.csv
# ---------------------------------------------------------------------------------------

def read_classes(bundle: Path, frame: Frame, classes: dict[str, list[Class]]
                 ) -> dict[str, list[list[int]]]:
    """classes.csv: the classes recomputed (every column but `allocation` byte for byte); the
    allocation only in certified periods and within the members' capacity left."""
    label = "plan/classes.csv"
    raw = v1.read_file(bundle, label)
    rows = v1.parse_csv(label, raw, H_CLASSES)
    expected = [(region, q) for region in sorted(classes) for q in classes[region]]
    out: dict[str, list[list[int]]] = {region: [] for region in classes}
    lines = []
    for n, (region, q) in enumerate(expected):
        head = [region, q.department, ";".join(i.id for i in q.members), str(q.capacity),
                ";".join(str(p) for p in frame.periods if q.valid(p))]
        if n >= len(rows):
            fail(f"{label}:{len(rows) + 2}: expected {v1.show(v1.csv_line(head).encode())}"
                 f"…, found end of file")
        r = rows[n]
        if r.fields[:5] != head:
            col = next(c for c in range(5) if r.fields[c] != head[c])
            fail(f"{label}:{r.line}: {H_CLASSES[col]}: expected {head[col]!r} (class {n + 1} "
                 f"recomputed from inputs/inspectors.csv), found {r.fields[col]!r}")
        row = [0] * len(frame.periods)
        text = r.fields[5]
        for part in text.split(";") if text else []:
            p_text, sep, n_text = part.partition(":")
            if not sep or not v1.DECIMAL.match(p_text) or not v1.DECIMAL.match(n_text):
                fail(f"{label}:{r.line}: allocation: expected PERIOD:N, found {part!r}")
            p, w = int(p_text), int(n_text)
            if not frame.first <= p <= frame.last:
                fail(f"{label}:{r.line}: allocation: period {p} is not in "
                     f"{frame.first}-{frame.last}")
            if not q.valid(p):
                fail(f"{label}:{r.line}: allocation: {w} inspector-visits in period {p}, "
                     f"for which the class is not certified")
            row[p - frame.first] = w
        given = sum(row)
        if given > q.total():
            fail(f"{label}:{r.line}: allocation: {given} inspector-visits, more than its "
                 f"{len(q.members)} inspectors' capacity left {q.total()}")
        out[region].append(row)
        lines.append(head + [";".join(f"{frame.first + o}:{w}" for o, w in enumerate(row) if w)])
    if len(rows) > len(expected):
        fail(f"{label}:{rows[len(expected)].line}: no such class among the inputs' inspectors")
    v1.compare_bytes(label, v1.csv_bytes(H_CLASSES, lines), raw)
    return out


def budgets(classes: list[Class], allocation: list[list[int]]) -> dict[str, list[int]]:
    """§7 Budgets: class q's allocation dealt to its s members in id order, the remainders
    rotating (o = Σ (w mod s) over the earlier periods, mod s)."""
    out: dict[str, list[int]] = {}
    for q, cls in enumerate(classes):
        s = len(cls.members)
        offset = 0
        rows = []
        for w in allocation[q]:
            rows.append([w // s + (1 if (j + s - offset % s) % s < w % s else 0)
                         for j in range(s)])
            offset = (offset + w % s) % s
        for j, i in enumerate(cls.members):
            out[i.id] = [r[j] for r in rows]
    return out


def check_budgets(published: Published, frame: Frame, budget: dict[str, list[int]]) -> None:
    """§10 step 4: every team member within their period budget."""
    left = {i: list(b) for i, b in budget.items()}
    for r in published.teams:
        vid, _department, iid, _priority = r.fields
        p = published.by_id[vid][1]
        b = left.get(iid)
        if not frame.first <= p <= frame.last or b is None or b[p - frame.first] == 0:
            fail(f"plan/teams.csv:{r.line}: inspector {iid} exceeds the visits planned for "
                 f"them in period {p} (their share of the class allocation of "
                 f"plan/classes.csv)")
        b[p - frame.first] -= 1


def check_capacity(inputs: v1.Inputs, frame: Frame, published: Published,
                   classes: dict[str, list[Class]], allocation: dict[str, list[list[int]]],
                   reserve: dict[str, dict[tuple[str, int], int]]) -> None:
    """§10 step 4: for every region, department and period in which the department has a new
    visit, k × visits + reserve ≤ the allocation of the department's classes. Where it has
    none, the complaint reserve alone may be short (the integer stage has no visit to leave
    out; the linear program's slack s[d,p]), and that is not the plan's fault."""
    need: dict[tuple[str, str, int], int] = {}
    for region, res in reserve.items():
        for (d, p), n in res.items():
            need[(region, d, p)] = need.get((region, d, p), 0) + n
    visited: set[tuple[str, str, int]] = set()
    for uscc, p, departments in published.by_id.values():
        region = inputs.by_uscc[uscc].region
        for d in departments:
            need[(region, d, p)] = need.get((region, d, p), 0) + frame.k
            visited.add((region, d, p))
    given: dict[tuple[str, str, int], int] = {}
    for region, qs in classes.items():
        for q, row in zip(qs, allocation[region]):
            for o, w in enumerate(row):
                key = (region, q.department, frame.first + o)
                given[key] = given.get(key, 0) + w
    for (region, d, p), n in sorted(need.items()):
        if n > given.get((region, d, p), 0) and (region, d, p) in visited:
            fail(f"plan/classes.csv: {d} in {region} needs {n} inspector-visits in period {p} "
                 f"(k × visits of visits.csv + complaint reserve), "
                 f"{given.get((region, d, p), 0)} were allocated")


def read_merges(bundle: Path, regions: list[Region]) -> None:
    """merges.csv: exactly the cells with a choice, in order; merged and partial counts."""
    label = "plan/merges.csv"
    raw = v1.read_file(bundle, label)
    rows = v1.parse_csv(label, raw, H_MERGES)
    n = 0
    lines = []
    for region in regions:
        region.merged = []
        region.partial = []
        for cell in region.cells:
            size = len(cell.enterprises)
            if not cell.has_choice():
                region.merged.append(size)
                region.partial.append([0] * len(cell.partial))
                continue
            head = [region.name, pattern_text(cell), str(size), str(len(cell.merged)),
                    str(len(cell.split))]
            if n >= len(rows):
                fail(f"{label}:{len(rows) + 2}: expected a row for the cell "
                     f"{v1.show(v1.csv_line(head).encode())} of {region.name}, found end of file")
            r = rows[n]
            n += 1
            if r.fields[:5] != head:
                col = next(c for c in range(5) if r.fields[c] != head[c])
                fail(f"{label}:{r.line}: {H_MERGES[col]}: expected {head[col]!r} (the cell "
                     f"with a choice recomputed from the selection), found {r.fields[col]!r}")
            merged = v1.p_decimal(label, r, "merged", r.fields[5])
            positions = [j for j, _ in cell.partial]
            partial = [0] * len(cell.partial)
            text = r.fields[6]
            for part in text.split(";") if text else []:
                j_text, sep, k_text = part.partition(":")
                if not sep or not v1.DECIMAL.match(j_text) or not v1.DECIMAL.match(k_text):
                    fail(f"{label}:{r.line}: partial: expected POSITION:ENTERPRISES, "
                         f"found {part!r}")
                j = int(j_text) - 1
                if j not in positions:
                    fail(f"{label}:{r.line}: partial: position {j_text} is not a partial "
                         f"merge of the pattern (positions "
                         f"{', '.join(str(x + 1) for x in positions) or 'none'})")
                partial[positions.index(j)] = int(k_text)
            taken = merged + sum(partial)
            if taken > size:
                fail(f"{label}:{r.line}: merged: {merged} merged and {sum(partial)} partially "
                     f"merged of a cell of {size} enterprises")
            region.merged.append(merged)
            region.partial.append(partial)
            lines.append(head + [str(merged), ";".join(
                f"{j + 1}:{x}" for (j, _), x in zip(cell.partial, partial) if x)])
    if n < len(rows):
        fail(f"{label}:{rows[n].line}: no such cell with a choice")
    v1.compare_bytes(label, v1.csv_bytes(H_MERGES, lines), raw)


def kind_key(region: Region, kind: Kind) -> list[str]:
    return [region.name, ";".join(kind.departments), str(kind.window[0]), str(kind.window[1]),
            str(kind.checks), needs_text(kind.needs)]


def read_allocation(bundle: Path, frame: Frame, regions: list[Region],
                    status: dict[str, str]) -> None:
    """allocation.csv: rows of known kinds in known regions, visits placed only in the
    kind's window where it is staffable; every kind's demand from merges.csv is placed plus
    unplaced."""
    label = "plan/allocation.csv"
    raw = v1.read_file(bundle, label)
    rows = v1.parse_csv(label, raw, H_ALLOCATION)
    by_name = {r.name: r for r in regions}
    keys: dict[str, dict[tuple, int]] = {}
    for region in regions:
        region.placed = [[0] * len(frame.periods) for _ in region.kinds]
        region.unplaced = [0] * len(region.kinds)
        keys[region.name] = {tuple(kind_key(region, kind)): v
                             for v, kind in enumerate(region.kinds)}
    for r in rows:
        region = by_name.get(r.fields[0])
        if region is None:
            fail(f"{label}:{r.line}: region: {r.fields[0]!r} is not a region of the plan")
        v = keys[region.name].get(tuple(r.fields[:6]))
        if v is None:
            fail(f"{label}:{r.line}: no kind {v1.show(v1.csv_line(r.fields[1:6]).encode())} "
                 f"in region {region.name} (kinds recomputed from the selection)")
        kind = region.kinds[v]
        visits = v1.p_decimal(label, r, "visits", r.fields[7])
        if r.fields[6] == "":
            region.unplaced[v] += visits
            continue
        p = v1.p_decimal(label, r, "period", r.fields[6])
        if not (frame.first <= p <= frame.last and kind.window[0] <= p <= kind.window[1]):
            fail(f"{label}:{r.line}: period: {p} is outside the kind's window "
                 f"{kind.window[0]}-{kind.window[1]}")
        if status.get(region.name) == "optimal" and not region.table.staffable(
                region, frame.k, v, p):
            fail(f"{label}:{r.line}: period: the kind cannot be staffed in period {p} "
                 f"(too few certified inspectors of a department, or no cover of its "
                 f"specialties among the classes certified for it)")
        region.placed[v][p - frame.first] += visits
    for region in regions:
        for v, d in enumerate(kind_demand(region)):
            placed = sum(region.placed[v])
            if placed + region.unplaced[v] != d:
                kind = region.kinds[v]
                fail(f"{label}: region {region.name}, kind "
                     f"{v1.show(v1.csv_line(kind_key(region, kind)[1:]).encode())}: "
                     f"{placed} visits placed and {region.unplaced[v]} unplaced, but merges.csv "
                     f"gives a demand of {d}")
    lines = []
    for region in regions:
        for v, kind in enumerate(region.kinds):
            base = kind_key(region, kind)
            for o, n in enumerate(region.placed[v]):
                if n:
                    lines.append(base + [str(frame.first + o), str(n)])
            if region.unplaced[v]:
                lines.append(base + ["", str(region.unplaced[v])])
    v1.compare_bytes(label, v1.csv_bytes(H_ALLOCATION, lines), raw)


def visits_of(region: Region, frame: Frame, d: str, o: int) -> int:
    """V(d,p): visits of d in the period, complaint-driven ones included."""
    reserve = region.reserve.get((d, frame.first + o), 0)
    new = sum(region.placed[v][o] for v, kind in enumerate(region.kinds)
              if d in kind.departments)
    return new + -(-reserve // frame.k)


def check_inequalities(frame: Frame, region: Region) -> None:
    """"Method dr3", Integer stage: the allocation is min(W, |q|·V(d,p)) and every inequality
    of (d,p) holds on it: the total, then each specialty family of d. The total may fail only
    where d has no visit placed in p (the complaint reserve alone is short; the integer stage
    has no visit to leave out)."""
    table = region.table
    for d in region.departments():
        qs = [q for q, cls in enumerate(region.classes) if cls.department == d]
        kinds = [v for v, kind in enumerate(region.kinds) if d in kind.departments]
        for o, p in enumerate(frame.periods):
            visits = visits_of(region, frame, d, o)
            for q in qs:
                cls = region.classes[q]
                if region.allocation[q][o] > len(cls.members) * visits:
                    fail(f"plan/classes.csv: a class of {d} in {region.name} ("
                         f"{';'.join(i.id for i in cls.members)}) is allocated "
                         f"{region.allocation[q][o]} inspector-visits in period {p}, more than "
                         f"its {len(cls.members)} members × {visits} visits of {d}")
            placed = sum(region.placed[v][o] for v in kinds)
            need = region.reserve.get((d, p), 0) + sum(
                table.size.get((v, d), frame.k) * region.placed[v][o] for v in kinds)
            have = sum(region.allocation[q][o] for q in qs)
            if need > have and placed > 0:
                fail(f"plan/classes.csv: {d} in {region.name}, period {p}: the visits placed "
                     f"(allocation.csv) need {need} inspector-visits (Σ t(v,d) × visits + "
                     f"reserve) and the classes are allocated {have}")
            for i, s in enumerate(table.families.get(d, [])):
                need = sum(table.coefficients.get((v, d), [0] * (i + 1))[i]
                           * region.placed[v][o] for v in kinds)
                have = sum(region.allocation[q][o] for q in qs
                           if set(region.classes[q].specialties) & set(s))
                if need > have:
                    fail(f"plan/classes.csv: {d} in {region.name}, period {p}: the visits "
                         f"placed (allocation.csv) need {need} inspector-visits of specialists "
                         f"of {'+'.join(s)} and the classes holding one are allocated {have}")


def regions_and_shortages(bundle: Path, inputs: v1.Inputs, frame: Frame,
                          regions: list[Region]) -> None:
    """regions.csv (all but `status`) and §8's shortages.csv, from the recorded decisions."""
    label = "plan/regions.csv"
    raw = v1.read_file(bundle, label)
    rows = v1.parse_csv(label, raw, H_REGIONS)
    lines = []
    for n, region in enumerate(regions):
        status = rows[n].fields[6] if n < len(rows) else ""
        lines.append([region.name, str(len(region.cells)), str(len(region.kinds)),
                      str(len(region.classes)), str(sum(map(sum, region.placed))),
                      str(sum(region.unplaced)), status])
    v1.compare_bytes(label, v1.csv_bytes(H_REGIONS, lines), raw)
    k = frame.k
    mark = "Q" if inputs.policy.periods == "quarter" else "M"
    lines = []
    for region in regions:
        demand = kind_demand(region)
        for d in region.departments():
            unplanned = sum(u for kind, u in zip(region.kinds, region.unplaced)
                            if d in kind.departments)
            if unplanned == 0:
                continue
            best = None
            for a in frame.periods:
                for b in range(a, frame.last + 1):
                    visits = sum(n for kind, n in zip(region.kinds, demand)
                                 if d in kind.departments and a <= kind.window[0]
                                 and kind.window[1] <= b)
                    needed = visits * k + sum(region.reserve.get((d, p), 0)
                                              for p in range(a, b + 1))
                    available = sum(q.total() for q in region.classes if q.department == d
                                    and any(q.valid(p) for p in range(a, b + 1)))
                    deficit = needed - available
                    better = best is None or deficit > best[0] or (
                        deficit == best[0] and (b - a, a) < (best[2] - best[1], best[1]))
                    if needed > 0 and better:
                        best = (deficit, a, b, needed, available)
            if best is not None and best[0] > 0:
                _, a, b, needed, available = best
                when = f"{mark}{a}" if a == b else f"{mark}{a}–{mark}{b}"
                lines.append([region.name, d, f"{mark}{a}", f"{mark}{b}", str(needed),
                              str(available), str(unplanned),
                              f"{d} in {region.name} needs {needed} inspector-visits in {when} "
                              f"and has {available}; {unplanned} visits left unplanned"])
    v1.compare_bytes("plan/shortages.csv", v1.csv_bytes(H_SHORTAGES, lines),
                     v1.read_file(bundle, "plan/shortages.csv"))


# ---------------------------------------------------------------------------------------
# §6 Placement (dr3's partial merges), caps
# ---------------------------------------------------------------------------------------

@dataclass
class NewVisit:
    id: str
    e: v1.Enterprise
    period: int
    place: int
    groups: list[str]
    departments: list[str]
    tasks: list[str]


def place_number(seed: bytes, uscc: str) -> int:
    """§2 π(e)."""
    return int.from_bytes(v1.sha256(TAG_PLACE + seed + uscc.encode("ascii"))[:8], "big")


def placement(inputs: v1.Inputs, frame: Frame, regions: list[Region], held: dict[str, set[str]],
              group_visits: list[v1.Visit], pi: dict[int, int], complaints: list[v1.Row]
              ) -> tuple[list[NewVisit], list[list[str]]]:
    """§6 from merged, partial and placed: the new visits in visit order and the rows of
    unplanned.csv."""
    checks = {(v.e.index, v.group): v for v in group_visits}
    tier_rank = {t: n for n, t in enumerate(v1.TIERS)}
    population = inputs.population
    slots_by: dict[tuple[int, int], set[str]] = {}
    unplanned: list[tuple[str, str, str]] = []  # (uscc, group, reason)
    for region in regions:
        by_kind: list[list[tuple]] = [[] for _ in region.kinds]
        for c, cell in enumerate(region.cells):
            order = sorted(cell.enterprises, key=lambda i: (pi[i], i))
            for rank, i in enumerate(order):
                bound = region.merged[c]
                blocks = cell.merged if rank < bound else cell.split
                if rank >= bound:
                    for j, (_pos, pblocks) in enumerate(cell.partial):
                        bound += region.partial[c][j]
                        if rank < bound:
                            blocks = pblocks
                            break
                for b in blocks:
                    e = population[i]
                    by_kind[b.kind].append(
                        ((not e.key, -tier_rank[e.tier], pi[i], i, b.checks), c))
        for v, slots in enumerate(by_kind):
            slots.sort(key=lambda s: s[0])
            at = 0
            for o, count in enumerate(region.placed[v]):
                for key, c in slots[at:at + count]:
                    i = key[3]
                    groups = slots_by.setdefault((i, frame.first + o), set())
                    groups.update(region.cells[c].pattern[x][0] for x in key[4])
                at += count
            kind = region.kinds[v]
            reason = (f"no inspector capacity for {';'.join(kind.departments)} in {region.name} "
                      f"within periods {kind.window[0]}-{kind.window[1]} (see shortages.csv)")
            for key, c in slots[at:]:
                for x in key[4]:
                    unplanned.append((population[key[3]].uscc,
                                      region.cells[c].pattern[x][0], reason))
    new = []
    for (i, period), groups in sorted(slots_by.items()):
        e = population[i]
        tasks: set[str] = set()
        departments: set[str] = set()
        for g in groups:
            tasks.update(checks[(i, g)].tasks)
            departments.update(checks[(i, g)].departments)
        new.append(NewVisit(f"{e.uscc}/{period}", e, period, pi[i], sorted(groups),
                            sorted(departments), sorted(tasks)))
    # Caps: complaint-driven visits count first (distinct periods), then the new visits in
    # period order; a visit holding a key-supervision check is kept without counting.
    fixed: dict[int, int] = {}
    for uscc, _p in {(r.fields[0], r.fields[2]) for r in complaints}:
        e = inputs.by_uscc.get(uscc)
        if e is not None:
            fixed[e.index] = fixed.get(e.index, 0) + 1
    count: dict[int, int] = {}
    kept = []
    for v in new:  # (enterprise, period) order: each enterprise's visits in period order
        i = v.e.index
        c = fixed.get(i, 0)
        cap = inputs.policy.caps[v.e.tier]
        n = count.setdefault(i, c)
        if any(v.e.uscc in held.get(d, ()) for d in v.departments):
            kept.append(v)
        elif n < cap:
            count[i] = n + 1
            kept.append(v)
        else:
            reason = (f"visit cap {cap} of tier {v.e.tier} reached with 0 pinned and {c} "
                      f"complaint-driven visits")
            unplanned.extend((v.e.uscc, g, reason) for g in v.groups)
    kept.sort(key=lambda v: (v.period, v.place, v.e.uscc))
    unplanned.sort(key=lambda u: (u[0], u[1]))
    rows = []
    for uscc, g, reason in unplanned:
        gv = checks[(inputs.by_uscc[uscc].index, g)]
        rows.append([uscc, g, ";".join(gv.tasks), ";".join(gv.departments), reason])
    return kept, rows


def visits_csv(visits: list[NewVisit]) -> bytes:
    return v1.csv_bytes(H_VISITS, [
        [v.id, v.e.uscc, v.e.region, v.e.tier, str(v.period), ";".join(v.groups),
         ";".join(v.departments), ";".join(v.tasks), v1.hex16(v.place), "false"]
        for v in visits])


# ---------------------------------------------------------------------------------------
# §7 Teams, with dr3's needs and team completion
# ---------------------------------------------------------------------------------------

@dataclass
class Drawn:
    visit: int  # position in the region's visit list
    department: str
    members: list[tuple[int, str]]  # (ρ₂, inspector id)
    before: frozenset


class TeamDraw:
    """One region's team draw (§7 and "Method dr3", Teams)."""

    def __init__(self, inputs: v1.Inputs, frame: Frame, seed: bytes, region: str,
                 budget: dict[str, list[int]], last: dict[tuple[str, str], frozenset]):
        self.inputs = inputs
        self.frame = frame
        self.seed = seed
        self.region = region
        self.budget = budget
        self.last = last
        self.by_department: dict[str, list[v1.Inspector]] = {}
        for i in inputs.inspectors.values():  # id order
            if i.region == region:
                self.by_department.setdefault(i.department, []).append(i)
        self.dates = {p: v1.period_dates(inputs.policy, p) for p in frame.periods}
        self.members: list[tuple[str, str, str, int]] = []
        self.failures: list[tuple[str, str, int, int, str]] = []

    def rho(self, vid: str, d: str, iid: str) -> int:
        data = (TAG_INSPECTOR2 + self.seed + vid.encode("utf-8") + b"\x00" + d.encode("utf-8")
                + b"\x00" + iid.encode("utf-8") + b"\x00")
        return int.from_bytes(v1.sha256(data)[:8], "big")

    def left(self, iid: str, p: int) -> int:
        b = self.budget.get(iid)
        return b[p - self.frame.first] if b is not None else 0

    def certified(self, i: v1.Inspector, p: int) -> bool:
        start, end = self.dates[p]
        return i.valid_from <= start and end <= i.valid_until

    def eligible(self, v: NewVisit, i: v1.Inspector, before: frozenset) -> bool:
        return (self.certified(i, v.period) and (i.id, v.e.uscc) not in self.inputs.conflicts
                and i.id not in before)

    def staff(self, visits: list[NewVisit]) -> None:
        needs = [{d: needed_specialties(self.inputs, v.tasks, d, v.e.uscc)
                  for d in v.departments} for v in visits]
        self.needs = needs
        drawn: list[Drawn] = []
        by_slot: dict[tuple[str, int], list[int]] = {}
        for n, v in enumerate(visits):
            for d in v.departments:
                before = self.last.get((v.e.uscc, d), frozenset())
                ok, team, failure = self.greedy(v, d, needs[n][d])
                if not ok:
                    slot = list(by_slot.get((d, v.period), []))
                    team = self.complete(visits, drawn, slot, n, d, team, before)
                    if team is None:
                        vid, dep, k, found, reason = failure
                        self.failures.append((vid, dep, k, found, f"{reason}; {NO_ASSIGNMENT}"))
                        continue
                o = v.period - self.frame.first
                for _rho, iid in team:
                    if iid in self.budget:
                        self.budget[iid][o] -= 1
                self.last[(v.e.uscc, d)] = frozenset(iid for _r, iid in team)
                by_slot.setdefault((d, v.period), []).append(len(drawn))
                drawn.append(Drawn(n, d, team, before))
        for t in drawn:
            vid = visits[t.visit].id
            self.members.extend((vid, t.department, iid, rho) for rho, iid in t.members)

    def greedy(self, v: NewVisit, d: str, needed: list[str]):
        """§7 steps 2–4 under the budget rule: candidates by (budget left descending, ρ₂, id);
        every needed specialty first (a specialty no candidate has is missing, the others still
        taken), then candidates up to k."""
        k = self.frame.k
        p = v.period
        last = self.last.get((v.e.uscc, d), frozenset())
        region = certificate = conflict = last_time = no_budget = 0
        candidates = []
        prefix = hashlib.sha256(TAG_INSPECTOR2 + self.seed + v.id.encode("utf-8") + b"\x00"
                                + d.encode("utf-8") + b"\x00")
        for i in self.by_department.get(d, []):
            region += 1
            left = self.left(i.id, p)
            if not self.certified(i, p):
                certificate += 1
            elif (i.id, v.e.uscc) in self.inputs.conflicts:
                conflict += 1
            elif i.id in last:
                last_time += 1
            elif left == 0:
                no_budget += 1
            else:
                h = prefix.copy()
                h.update(i.id.encode("utf-8") + b"\x00")
                candidates.append((-left, int.from_bytes(h.digest()[:8], "big"), i.id, i))
        candidates.sort(key=lambda c: c[:3])
        team: list[tuple[int, str]] = []
        missing = []
        for s in needed:
            if any(s in self.inputs.inspectors[iid].specialties for _r, iid in team):
                continue
            pick = next((c for c in candidates if s in c[3].specialties
                         and all(c[2] != iid for _r, iid in team)), None)
            if pick is None:
                missing.append(s)
            else:
                team.append((pick[1], pick[2]))
        if not missing:
            for c in candidates:
                if len(team) >= k:
                    break
                if all(c[2] != iid for _r, iid in team):
                    team.append((c[1], c[2]))
        if not missing and len(team) >= k:
            return True, team, None
        reason = (f"{k} needed, {len(team)} assignable: {region} in department in {self.region}, "
                  f"{certificate} certificate not valid for all of period {p}, {conflict} "
                  f"declared conflict, {last_time} inspected it last time, {no_budget} without "
                  f"budget left in period {p}, {len(candidates)} available")
        if missing:
            reason += "; no available inspector has specialty " + ", ".join(missing)
        return False, team, (v.id, d, k, len(team), reason)

    def valid(self, n: int, d: str, members: list[str]) -> bool:
        specs = [self.inputs.inspectors[iid].specialties for iid in members]
        return len(members) >= self.frame.k and all(
            any(s in x for x in specs) for s in self.needs[n][d])

    def complete(self, visits: list[NewVisit], drawn: list[Drawn], slot: list[int], n: int,
                 d: str, team: list[tuple[int, str]], before: frozenset):
        """"Method dr3", Team completion: each missing place (first the missing specialties in
        byte order, then places up to k) by a breadth-first augmenting path through the
        department's teams of the period; None (and nothing changed) if a place finds none."""
        v = visits[n]
        p = v.period
        o = p - self.frame.first
        k = self.frame.k
        needs = self.needs[n][d]
        inspectors = self.by_department.get(d, [])
        specs = self.inputs.inspectors
        team = list(team)
        journal: list[tuple[int, list[tuple[int, str]]]] = []
        moved: list[tuple[str, str]] = []
        while True:
            missing = next((s for s in needs
                            if not any(s in specs[iid].specialties for _r, iid in team)), None)
            if missing is None and len(team) >= k:
                break
            on_team = {iid for _r, iid in team}
            seen = set(on_team)
            used: set[int] = set()
            parent: dict[str, tuple[str, int]] = {}
            queue: deque[str] = deque()
            found = None
            for i in inspectors:
                if (i.id not in on_team and (missing is None or missing in i.specialties)
                        and self.eligible(v, i, before)):
                    seen.add(i.id)
                    if self.left(i.id, p) > 0:
                        found = i.id
                        break
                    queue.append(i.id)
            while found is None and queue:
                i = queue.popleft()
                for t in slot:
                    if found is not None:
                        break
                    members = [iid for _r, iid in drawn[t].members]
                    if t in used or i not in members:
                        continue
                    w = visits[drawn[t].visit]
                    for j in inspectors:
                        if (j.id in seen or j.id in members
                                or not self.eligible(w, j, drawn[t].before)):
                            continue
                        swapped = [j.id if m == i else m for m in members]
                        if not self.valid(drawn[t].visit, d, swapped):
                            continue
                        seen.add(j.id)
                        parent[j.id] = (i, t)
                        if self.left(j.id, p) > 0:
                            found = j.id
                            break
                        queue.append(j.id)
                    used.add(t)
            if found is None:
                for t, members in reversed(journal):
                    drawn[t].members = members
                for spent, freed in reversed(moved):
                    if spent in self.budget:
                        self.budget[spent][o] += 1
                    if freed in self.budget:
                        self.budget[freed][o] -= 1
                return None
            cur = found
            while cur in parent:
                i, t = parent[cur]
                journal.append((t, list(drawn[t].members)))
                r = self.rho(visits[drawn[t].visit].id, d, cur)
                drawn[t].members = [(r, cur) if iid == i else (rr, iid)
                                    for rr, iid in drawn[t].members]
                cur = i
            if cur != found:
                if found in self.budget:
                    self.budget[found][o] -= 1
                if cur in self.budget:
                    self.budget[cur][o] += 1
                moved.append((found, cur))
            team.append((self.rho(v.id, d, cur), cur))
        for t in sorted({t for t, _ in journal}):
            w = visits[drawn[t].visit]
            self.last[(w.e.uscc, d)] = frozenset(iid for _r, iid in drawn[t].members)
        return team


def last_teams(inputs: v1.Inputs) -> dict[tuple[str, str], frozenset]:
    """§7: the team of history.csv's latest date for (enterprise, department); rows naming an
    inspector or enterprise not in the inputs are left out (as the implementation does)."""
    known = [h for h in inputs.history
             if h.inspector in inputs.inspectors and h.uscc in inputs.by_uscc]
    return {key: frozenset(team) for key, team in v1.last_teams(known).items()}


def bound_csv(inputs: v1.Inputs, frame: Frame, regions: list[Region], visits: list[NewVisit],
              failures: list[tuple], group_visits: list[v1.Visit], bundle: Path) -> None:
    """bound.csv: every column recomputed but planned_bound, which must be empty or lie
    between planned and checks."""
    label = "plan/bound.csv"
    raw = v1.read_file(bundle, label)
    rows = v1.parse_csv(label, raw, H_BOUND)
    failed = {(f[0], f[1]) for f in failures}
    departments = {(v.e.index, v.group): v.departments for v in group_visits}
    windows = {t.group: (max(t.period_from, frame.first), t.period_to)
               for t in inputs.tasks.values()}
    stats = {r.name: [sum(len(c.enterprises) * len(c.pattern) for c in r.cells), 0, 0, 0, 0]
             for r in regions}
    planned: dict[int, list[tuple[int, int]]] = {}
    for v in visits:
        row = stats.get(v.e.region)
        if row is None:
            continue
        row[3] += 1
        for g in v.groups:
            row[1] += 1
            if all((v.id, d) not in failed for d in departments[(v.e.index, g)]):
                row[2] += 1
            planned.setdefault(v.e.index, []).append(windows[g])
    for i, ws in planned.items():
        ws.sort(key=lambda w: (w[1], w[0]))
        point = None
        for lo, hi in ws:
            if point is not None and lo <= point:
                continue
            point = hi
            stats[inputs.population[i].region][4] += 1
    lines = []
    for n, region in enumerate(regions):
        checks, plan, staffed, nvisits, vbound = stats[region.name]
        pb = rows[n].fields[4] if n < len(rows) else ""
        if pb != "":
            r = rows[n]
            x = v1.p_decimal(label, r, "planned_bound", pb)
            if not plan <= x <= checks:
                fail(f"{label}:{r.line}: planned_bound: {x} is not between the checks planned "
                     f"{plan} and the checks {checks}")
        lines.append([region.name, str(checks), str(plan), str(staffed), pb, str(nvisits),
                      str(vbound)])
    v1.compare_bytes(label, v1.csv_bytes(H_BOUND, lines), raw)


def check_solver(bundle: Path, frame: Frame) -> None:
    label = "plan/solver.csv"
    rows = v1.parse_csv(label, v1.read_file(bundle, label), H_SOLVER)
    keys = [r.fields[0] for r in rows]
    if keys != SOLVER_KEYS:
        fail(f"{label}: keys expected {', '.join(SOLVER_KEYS)}, found {', '.join(keys)}")
    for r in rows[1:3]:
        want = str(frame.first if r.fields[0] == "first_period" else frame.last)
        if r.fields[1] != want:
            fail(f"{label}:{r.line}: value: {r.fields[0]} expected {want}, found {r.fields[1]!r}")


def check_decisions(bundle: Path, inputs: v1.Inputs, held: dict[str, set[str]], seed: bytes,
                    draw: v1.Draw, complaints: list[v1.Row], frame: Frame,
                    classes: dict[str, list[Class]], allocation: dict[str, list[list[int]]],
                    reserve: dict[str, dict]) -> None:
    """The recorded decisions against the aggregates, then §6 and §7 reproduced."""
    regions = aggregates(inputs, frame, draw.visits, classes, reserve)
    for region in regions:
        region.allocation = allocation.get(region.name, [])
        region.table = Table(region, frame.k)
    region_rows = rows_of(bundle, "regions.csv", H_REGIONS)
    status = {r.fields[0]: r.fields[6] for r in region_rows}
    read_merges(bundle, regions)
    read_allocation(bundle, frame, regions, status)
    for region in regions:
        check_inequalities(frame, region)
    regions_and_shortages(bundle, inputs, frame, regions)
    check_solver(bundle, frame)
    v1.compare_bytes("plan/changes.csv", v1.csv_bytes(H_CHANGES, []),
                     v1.read_file(bundle, "plan/changes.csv"))
    pi = {e.index: place_number(seed, e.uscc) for e in inputs.population}
    visits, unplanned = placement(inputs, frame, regions, held, draw.visits, pi, complaints)
    v1.compare_bytes("plan/visits.csv", visits_csv(visits), v1.read_file(bundle, "plan/visits.csv"))
    v1.compare_bytes("plan/unplanned.csv", v1.csv_bytes(H_UNPLANNED, unplanned),
                     v1.read_file(bundle, "plan/unplanned.csv"))
    last = last_teams(inputs)
    members: list[tuple] = []
    failures: list[tuple] = []
    by_region: dict[str, list[NewVisit]] = {}
    for v in visits:
        by_region.setdefault(v.e.region, []).append(v)
    for region in regions:
        budget = budgets(region.classes, region.allocation)
        teams = TeamDraw(inputs, frame, seed, region.name, budget, last)
        teams.staff(by_region.get(region.name, []))
        members.extend(teams.members)
        failures.extend(teams.failures)
    rows = sorted([vid, d, iid, v1.hex16(rho)] for vid, d, iid, rho in members)
    v1.compare_bytes("plan/teams.csv", v1.csv_bytes(v1.H_TEAMS, rows),
                     v1.read_file(bundle, "plan/teams.csv"))
    failures.sort(key=lambda f: (f[0], f[1]))
    v1.compare_bytes("plan/failures.csv", v1.csv_bytes(v1.H_FAILURES, [
        [vid, d, str(k), str(found), reason] for vid, d, k, found, reason in failures]),
        v1.read_file(bundle, "plan/failures.csv"))
    bound_csv(inputs, frame, regions, visits, failures, draw.visits, bundle)


def verify(bundle: Path) -> str:
    manifest = verify_manifest(bundle)
    inputs = v1.read_inputs(bundle)
    raw = dict(inputs.raw)
    for name in (*ANNUAL_FILES, KEY_FILE):
        raw[name] = v1.read_file(bundle, f"inputs/{name}")
    commitment = verify_commitment(bundle, inputs, raw)
    held = parse_key_supervision(raw[KEY_FILE], inputs)
    annual = v1.parse_csv("inputs/annual.csv", raw["annual.csv"], H_ANNUAL)
    if [r.fields for r in annual] != [["pinned_through", "0"]]:
        fail("inputs/annual.csv: a first plan has exactly pinned_through,0")
    complaints = v1.parse_csv("inputs/complaints.csv", raw["complaints.csv"], H_COMPLAINTS)
    head = (f"dr3 bundle verified (python): {len(inputs.population)} enterprises, "
            f"{len(inputs.tasks)} tasks")
    state = manifest["state"]
    if state == "committed":
        return f"{head}; committed, not yet run"
    entropy_string, drand = v1.verify_entropy(bundle, commitment)
    note = " (drand signatures not checked)" if drand else ""
    seed = None
    if state == "revealed":
        secret = v1.verify_secret(bundle, commitment)
        seed = v1.compute_seed(v1.read_file(bundle, "commitment.json"), entropy_string, secret)
        if manifest.get("seed") != seed.hex():
            fail(f"manifest.json: seed expected {seed.hex()}, found {manifest.get('seed')}")
        u = [v1.prn(seed, e.uscc) for e in inputs.population]
        draw = v1.Draw()
        v1.select_enterprises(inputs, u, v1.Eligibility(inputs), draw, held)
        expected = v1.plan_files(draw)
        for name in SELECTION_FILES:
            v1.compare_bytes(f"plan/{name}", expected[name],
                             v1.read_file(bundle, f"plan/{name}"))
    published = check_plan(bundle, inputs, held, complaints)
    c = published.counts
    frame = Frame(inputs)
    reserve = complaint_reserve(inputs, frame, complaints)
    classes = region_classes(inputs, frame)
    allocation = read_classes(bundle, frame, classes)
    check_budgets(published, frame, {iid: b for region, qs in classes.items()
                                     for iid, b in budgets(qs, allocation[region]).items()})
    check_capacity(inputs, frame, published, classes, allocation, reserve)
    if seed is not None:
        check_decisions(bundle, inputs, held, seed, draw, complaints, frame, classes,
                        allocation, reserve)
    summary = (f"{head}, {c['selections']} selections ({c['key']} key-supervision checks), "
               f"{c['visits']} visits, {c['assigned']} inspectors assigned, "
               f"{c['failures']} teams not formed, {c['unplanned']} checks unplanned")
    if seed is None:
        return f"{summary}; run, not yet revealed (plan rules checked, selection not recomputed){note}"
    return f"{summary}; seed {seed.hex()}{note}"


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1].startswith("-"):
        print("usage: verify_dr3.py BUNDLE", file=sys.stderr)
        return 2
    bundle = Path(argv[1])
    if not bundle.is_dir():
        print(f"verify_dr3.py: {bundle}: not a directory", file=sys.stderr)
        return 2
    try:
        print(verify(bundle))
        return 0
    except v1.VerificationError as exc:
        print(f"dr3 bundle NOT verified (python): {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
