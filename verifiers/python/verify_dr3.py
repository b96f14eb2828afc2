#!/usr/bin/env python3
"""Independent verifier for dualdraw bundles of method ``dr3`` (first plans).

Written from ``docs/plan-model.md`` (§1, §9, §10 and "Method dr3") and
``docs/draw-protocol.md`` with the Python 3.11 standard library only; it reuses the ``dr1``
verifier beside it for what the two methods share.

Usage::

    python3 verifiers/python/verify_dr3.py BUNDLE

Exit status 0 and a one-line summary on standard output when everything checks; exit status
1 and the first failure on standard error otherwise; 2 on a usage error.

What is checked: the manifest and every file digest; the commitment (method ``dr3``, the
twelve committed inputs, the population root); the inputs' validity and canonical form, and
``key-supervision.csv``'s rules; the entropy, the secret and the seed; once revealed, the
selection recomputed (``strata.csv``, ``selections.csv``, ``passed-over.csv`` byte for byte,
with K per department and key-check visits not counted toward caps); and on the plan as
published: every drawn check in exactly one visit or in ``unplanned.csv``, visits in their
groups' windows and one per enterprise and period, the cap rule of ``dr3`` (visits holding a
key-supervision check exempt, complaint-driven visits counted), and the teams (department,
region, certificate, conflicts, not in the enterprise's last team of the department, no member
twice, the specialties the visit's items need, k members or a stated failure, yearly capacity).

What is NOT checked: the inspectors' period budgets (they follow from ``classes.csv``) and the
order in which teams were drawn (ρ₂ and the completion search); the optimizer's decisions
(``merges.csv``, ``allocation.csv``, ``classes.csv``) are not recomputed — that needs a linear-programming solver
(``docs/plan-model.md`` §10); nor are re-plans (bundles with ``previous/``), which are refused
by name.
"""

from __future__ import annotations

import sys
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


def check_plan(bundle: Path, inputs: v1.Inputs, held: dict[str, set[str]],
               complaints: list[v1.Row]) -> dict[str, int]:
    """docs/plan-model.md §10 step 4 with the cap rule of dr3, on the plan as published."""
    selections = rows_of(bundle, "selections.csv", v1.H_SELECTIONS)
    visits = rows_of(bundle, "visits.csv", H_VISITS)
    unplanned = rows_of(bundle, "unplanned.csv", H_UNPLANNED)
    teams = rows_of(bundle, "teams.csv", v1.H_TEAMS)
    failures = rows_of(bundle, "failures.csv", v1.H_FAILURES)
    windows = {t.group: (t.period_from, t.period_to) for t in inputs.tasks.values()}
    # every drawn check of a group: in exactly one visit or unplanned
    drawn = {(r.fields[1], inputs.tasks[r.fields[0]].group) for r in selections
             if r.fields[0] in inputs.tasks}
    seen: dict[tuple[str, str], int] = {}
    periods: set[tuple[str, int]] = set()
    counted: dict[str, int] = {}
    by_id = {}
    tasks_of: dict[str, list[str]] = {}
    for r in visits:
        vid, uscc, _region, _tier, period, groups, departments, tasks, _place, pinned = r.fields
        tasks_of[vid] = tasks.split(";")
        if pinned != "false":
            fail(f"plan/visits.csv:{r.line}: pinned visit in a first plan")
        p = v1.p_decimal("plan/visits.csv", r, "period", period)
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
            counted[uscc] = counted.get(uscc, 0) + 1
    for r in unplanned:
        seen[(r.fields[0], r.fields[1])] = seen.get((r.fields[0], r.fields[1]), 0) + 1
    for check in sorted(drawn | set(seen)):
        if seen.get(check, 0) != 1 or check not in drawn:
            fail(f"plan: check of group {check[1]} at {check[0]} appears {seen.get(check, 0)} "
                 f"times in visits and unplanned{'' if check in drawn else ' but was not drawn'}")
    for uscc, _period in {(r.fields[0], r.fields[2]) for r in complaints}:
        counted[uscc] = counted.get(uscc, 0) + 1
    for uscc, n in sorted(counted.items()):
        e = inputs.by_uscc.get(uscc)
        if e is not None and n > inputs.policy.caps[e.tier]:
            fail(f"plan/visits.csv: {uscc} (tier {e.tier}) has {n} visits without a "
                 f"key-supervision check, over its cap {inputs.policy.caps[e.tier]}")
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
        for s in v1.required_specialties(inputs, tasks_of[vid], department):
            if not any(s in m.specialties for m in team):
                fail(f"plan/teams.csv: team of {vid} for {department} has nobody with "
                     f"specialty {s}")
    failed = {(r.fields[0], r.fields[1]) for r in failures}
    for vid, (_uscc, _p, departments) in by_id.items():
        for d in departments:
            n = size.get((vid, d), 0)
            if (n < k) != ((vid, d) in failed):
                fail(f"plan: visit {vid} has {n} inspectors of {d} and "
                     f"{'a' if (vid, d) in failed else 'no'} failure")
    return {"selections": len(selections), "visits": len(visits), "assigned": len(teams),
            "failures": len(failures), "unplanned": len(unplanned),
            "key": sum(1 for r in selections if r.fields[4] == "key")}


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
    c = check_plan(bundle, inputs, held, complaints)
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
