#!/usr/bin/env python3
"""Independent verifier for dualdraw draw bundles of method ``dr1``.

Written from the specification ``docs/draw-protocol.md`` only (not from the Rust
implementation), with the Python 3.11 standard library only.  Section numbers in this
file (§2 ... §11) refer to that document.

Usage::

    python3 verifiers/python/verify_dr1.py BUNDLE

Exit status 0 and a one-line summary on standard output when everything recomputes;
exit status 1 and the first difference on standard error otherwise; exit status 2 on a
usage error.

What is checked (§11): the manifest and every file digest, the commitment digest, the
input digests, the RFC 6962 Merkle root of the population, the validity (§2.2) and the
canonical form (§2) of the inputs, the entropy record and its canonical string, the secret
commitment, the seed (§6), the whole plan recomputed from §7-§9 and compared byte for byte
(§10), and the independent rule checks of §11 step 5.

What is NOT checked: the BLS signatures of drand rounds (§4) need pairing arithmetic on
BLS12-381, which the standard library lacks; only randomness = SHA-256(signature) is
checked, and the summary says "(drand signatures not checked)".  Lottery values are taken
as published (§4: people check them against the official announcement).
"""

from __future__ import annotations

import calendar
import csv
import datetime
import hashlib
import io
import json
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import log_evidence  # docs/log.md §8: the bundle's log evidence (beside this script)

METHOD = "dr1"
MASK64 = 0xFFFFFFFFFFFFFFFF
TIERS = ("A", "B", "C", "D")

INPUT_FILES = (
    "conflicts.csv",
    "history.csv",
    "inspectors.csv",
    "items.csv",
    "policy.csv",
    "population.csv",
    "tasks.csv",
)
PLAN_FILES = (
    "failures.csv",
    "passed-over.csv",
    "selections.csv",
    "strata.csv",
    "teams.csv",
    "visits.csv",
)

# §2 headers
H_POLICY = ["key", "value"]
H_POPULATION = ["uscc", "region", "industry", "tier", "key_supervision"]
H_ITEMS = ["code", "department", "industries", "specialty"]
H_INSPECTORS = ["id", "department", "region", "valid_from", "valid_until", "specialties", "capacity"]
H_CONFLICTS = ["inspector", "uscc"]
H_HISTORY = ["uscc", "department", "inspector", "visited_on"]
H_TASKS = ["id", "department", "group", "items", "regions", "industries",
           "quota_a", "quota_b", "quota_c", "quota_d", "period_from", "period_to"]
POLICY_KEYS = ["year", "as_of", "periods", "visit_cap_a", "visit_cap_b", "visit_cap_c",
               "visit_cap_d", "inspectors_per_department", "exclusion_months"]

# §10 plan headers
H_STRATA = ["task", "tier", "eligible", "quota", "key", "start", "cutoff", "taken", "passed_over"]
H_SELECTIONS = ["task", "uscc", "tier", "xi", "basis", "inclusion"]
H_PASSED = ["task", "uscc", "tier", "xi", "visits"]
H_VISITS = ["visit", "uscc", "region", "tier", "group", "period", "xi", "departments", "tasks"]
H_TEAMS = ["visit", "department", "inspector", "priority"]
H_FAILURES = ["visit", "department", "needed", "found", "reason"]

# §4 pinned drand chains (chain name -> chain hash)
DRAND_CHAINS = {
    "default": "8990e7a9aaed2ffed73dbd7092123d6f289930540d7651336225dc172e51b2ce",
    "quicknet": "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971",
}
# compressed signature sizes: default signs on G2 (96 bytes), quicknet on G1 (48 bytes)
DRAND_SIGNATURE_BYTES = {"default": 96, "quicknet": 48}

# §6 domain separation tags
TAG_SECRET = b"dualdraw-dr1-secret\x00"
TAG_SEED = b"dualdraw-dr1-seed\x00"
TAG_PRN = b"dualdraw-dr1-prn\x00"
TAG_INSPECTOR = b"dualdraw-dr1-inspector\x00"

HEX64 = re.compile(r"[0-9a-f]{64}\Z")
HEX16 = re.compile(r"[0-9a-f]{16}\Z")
HEX_ANY = re.compile(r"(?:[0-9a-f]{2})+\Z")
DECIMAL = re.compile(r"[0-9]+\Z")
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


class VerificationError(Exception):
    """The first difference found; the message is printed and the exit status is 1."""


def fail(message: str) -> None:
    raise VerificationError(message)


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def hex16(value: int) -> str:
    return format(value & MASK64, "016x")


def show(line: bytes | None) -> str:
    """A line of a file for an error message (JSON-quoted so control characters show)."""
    if line is None:
        return "end of file"
    text = line.decode("utf-8", errors="replace")
    if text.endswith("\n"):
        return json.dumps(text[:-1], ensure_ascii=False)
    return json.dumps(text, ensure_ascii=False) + " (no final LF)"


def split_lines(data: bytes) -> list[bytes]:
    """Split on LF only, keeping each LF."""
    parts = data.split(b"\n")
    lines = [p + b"\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def compare_bytes(label: str, expected: bytes, found: bytes) -> None:
    """Fail at the first line where `found` differs from `expected`."""
    if expected == found:
        return
    exp, got = split_lines(expected), split_lines(found)
    for n in range(max(len(exp), len(got))):
        e = exp[n] if n < len(exp) else None
        g = got[n] if n < len(got) else None
        if e != g:
            fail(f"{label}:{n + 1}: expected {show(e)}, found {show(g)}")
    fail(f"{label}: differs")  # not reached


# ---------------------------------------------------------------------------------------
# §2 CSV: RFC 4180, LF line endings, minimal quoting
# ---------------------------------------------------------------------------------------
#
# Python's csv.writer with lineterminator="\n" and QUOTE_MINIMAL does not quote a field
# that contains a bare CR (it only looks at the delimiter, the quote character and the
# characters of the line terminator), so the writer below is our own.  The reader is the
# standard csv module (strict mode); canonical form is then checked by re-serializing.

def csv_field(value: str) -> str:
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_line(fields: list[str]) -> str:
    return ",".join(csv_field(f) for f in fields) + "\n"


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    out = [csv_line(header)]
    out.extend(csv_line(r) for r in rows)
    return "".join(out).encode("utf-8")


@dataclass
class Row:
    line: int  # 1-based line of the row's first physical line
    fields: list[str]


def parse_csv(label: str, data: bytes, header: list[str]) -> list[Row]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        fail(f"{label}: not UTF-8: {exc}")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[Row] = []
    previous = 0
    try:
        for record in reader:
            rows.append(Row(previous + 1, record))
            previous = reader.line_num
    except csv.Error as exc:
        fail(f"{label}:{reader.line_num}: malformed CSV: {exc}")
    if not rows:
        fail(f"{label}:1: expected header {show(csv_line(header).encode())}, found end of file")
    if rows[0].fields != header:
        fail(f"{label}:1: expected header {show(csv_line(header).encode())}, "
             f"found {show(csv_line(rows[0].fields).encode())}")
    for row in rows[1:]:
        if len(row.fields) != len(header):
            fail(f"{label}:{row.line}: expected {len(header)} fields, found {len(row.fields)}")
    return rows[1:]


# field parsers; each fails with file:line
def p_decimal(label: str, row: Row, name: str, value: str) -> int:
    if not DECIMAL.match(value):
        fail(f"{label}:{row.line}: {name}: expected a decimal integer, found {value!r}")
    return int(value)


def p_date(label: str, row: Row, name: str, value: str) -> datetime.date:
    if not DATE.match(value):
        fail(f"{label}:{row.line}: {name}: expected a date YYYY-MM-DD, found {value!r}")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        fail(f"{label}:{row.line}: {name}: invalid date {value!r}")


def p_list(label: str, row: Row, name: str, value: str) -> list[str]:
    """§2 list field: items sorted by byte order, unique, joined with ';' (empty: none)."""
    if value == "":
        return []
    items = value.split(";")
    if any(i == "" for i in items):
        fail(f"{label}:{row.line}: {name}: empty list item in {value!r}")
    # str order in Python is code point order, which equals UTF-8 byte order
    return sorted(set(items))


def s_list(items: list[str]) -> str:
    return ";".join(items)


def p_nonempty(label: str, row: Row, name: str, value: str) -> str:
    if value == "":
        fail(f"{label}:{row.line}: {name} is empty")
    return value


def p_bool(label: str, row: Row, name: str, value: str) -> bool:
    if value not in ("true", "false"):
        fail(f"{label}:{row.line}: {name}: expected true or false, found {value!r}")
    return value == "true"


def p_tier(label: str, row: Row, name: str, value: str) -> str:
    if value not in TIERS:
        fail(f"{label}:{row.line}: {name}: expected a tier A-D, found {value!r}")
    return value


# GB 32100-2015 unified social credit code
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_valid(code: str) -> bool:
    if len(code) != 18 or any(c not in USCC_CHARS for c in code):
        return False
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(code[:17], USCC_WEIGHTS))
    check = (31 - total % 31) % 31
    return USCC_CHARS[check] == code[17]


def p_uscc(label: str, row: Row, name: str, value: str) -> str:
    if not uscc_valid(value):
        fail(f"{label}:{row.line}: {name}: not a valid GB 32100-2015 code: {value!r}")
    return value


# ---------------------------------------------------------------------------------------
# §2 Inputs
# ---------------------------------------------------------------------------------------

@dataclass
class Policy:
    year: int
    as_of: datetime.date
    periods: str
    caps: dict[str, int]
    inspectors_per_department: int
    exclusion_months: int


@dataclass
class Enterprise:
    index: int
    uscc: str
    region: str
    industry: str
    tier: str
    key: bool


@dataclass
class Item:
    code: str
    department: str
    industries: list[str]
    specialty: str


@dataclass
class Inspector:
    id: str
    department: str
    region: str
    valid_from: datetime.date
    valid_until: datetime.date
    specialties: frozenset[str]
    specialties_list: list[str]
    capacity: int


@dataclass
class Task:
    id: str
    department: str
    group: str
    items: list[str]
    regions: list[str]
    industries: list[str]
    quotas: dict[str, tuple | None]  # None, ("count", c) or ("fraction", p, q)
    period_from: int
    period_to: int


@dataclass
class HistoryRow:
    uscc: str
    department: str
    inspector: str
    visited_on: datetime.date


@dataclass
class Inputs:
    raw: dict[str, bytes]
    policy: Policy
    population: list[Enterprise]
    by_uscc: dict[str, Enterprise]
    items: dict[str, Item]
    inspectors: dict[str, Inspector]
    conflicts: set[tuple[str, str]]
    history: list[HistoryRow]
    tasks: dict[str, Task]  # in id order


def s_quota(q: tuple | None) -> str:
    if q is None:
        return ""
    if q[0] == "count":
        return str(q[1])
    return f"{q[1]}/{q[2]}"


def p_quota(label: str, row: Row, name: str, value: str) -> tuple | None:
    """§2.1: empty, a count c, or a fraction p/q in lowest terms with 0 < p <= q."""
    if value == "":
        return None
    if "/" in value:
        p_text, _, q_text = value.partition("/")
        p = p_decimal(label, row, name, p_text)
        q = p_decimal(label, row, name, q_text)
        if not (0 < p <= q) or math.gcd(p, q) != 1:
            fail(f"{label}:{row.line}: {name}: fraction {value!r} is not p/q in lowest "
                 f"terms with 0 < p <= q")
        return ("fraction", p, q)
    return ("count", p_decimal(label, row, name, value))


def quota_applied(q: tuple, n_sampled: int) -> int:
    """§2.1: number to take from a stratum of N sampled enterprises (exact integers)."""
    if q[0] == "count":
        return min(q[1], n_sampled)
    p, d = q[1], q[2]
    return (2 * p * n_sampled + d) // (2 * d)


def check_order(label: str, rows: list[Row], keys: list, what: str, strict: bool) -> None:
    for n in range(1, len(keys)):
        if keys[n] < keys[n - 1] or (strict and keys[n] == keys[n - 1]):
            fail(f"{label}:{rows[n].line}: rows not sorted by {what}"
                 + (" or not unique" if strict else ""))


def check_canonical(label: str, data: bytes, header: list[str], rows: list[list[str]]) -> None:
    """§2: re-serializing the parsed inputs gives the same bytes."""
    expected = csv_bytes(header, rows)
    if expected != data:
        exp, got = split_lines(expected), split_lines(data)
        for n in range(max(len(exp), len(got))):
            e = exp[n] if n < len(exp) else None
            g = got[n] if n < len(got) else None
            if e != g:
                fail(f"{label}:{n + 1}: not in canonical form: expected {show(e)}, found {show(g)}")


def parse_policy(raw: bytes) -> Policy:
    label = "inputs/policy.csv"
    rows = parse_csv(label, raw, H_POLICY)
    keys = [r.fields[0] for r in rows]
    if keys != POLICY_KEYS:
        for n, want in enumerate(POLICY_KEYS):
            got = keys[n] if n < len(keys) else None
            if got != want:
                line = rows[n].line if n < len(rows) else len(rows) + 2
                fail(f"{label}:{line}: expected key {want!r}, found {got!r}")
        fail(f"{label}:{rows[len(POLICY_KEYS)].line}: unexpected key {keys[len(POLICY_KEYS)]!r}")
    v = {r.fields[0]: (r, r.fields[1]) for r in rows}

    def num(key: str) -> int:
        return p_decimal(label, v[key][0], key, v[key][1])

    periods = v["periods"][1]
    if periods not in ("quarter", "month"):
        fail(f"{label}:{v['periods'][0].line}: periods: expected quarter or month, found {periods!r}")
    policy = Policy(
        year=num("year"),
        as_of=p_date(label, v["as_of"][0], "as_of", v["as_of"][1]),
        periods=periods,
        caps={t: num(f"visit_cap_{t.lower()}") for t in TIERS},
        inspectors_per_department=num("inspectors_per_department"),
        exclusion_months=num("exclusion_months"),
    )
    if policy.inspectors_per_department < 2:
        fail(f"{label}:{v['inspectors_per_department'][0].line}: inspectors_per_department must be >= 2")
    check_canonical(label, raw, H_POLICY, [
        ["year", str(policy.year)],
        ["as_of", policy.as_of.isoformat()],
        ["periods", policy.periods],
        *[[f"visit_cap_{t.lower()}", str(policy.caps[t])] for t in TIERS],
        ["inspectors_per_department", str(policy.inspectors_per_department)],
        ["exclusion_months", str(policy.exclusion_months)],
    ])
    return policy


def parse_population(raw: bytes) -> list[Enterprise]:
    label = "inputs/population.csv"
    rows = parse_csv(label, raw, H_POPULATION)
    out = []
    for n, r in enumerate(rows):
        uscc, region, industry, tier, key = r.fields
        out.append(Enterprise(n, p_uscc(label, r, "uscc", uscc), p_nonempty(label, r, "region", region),
                              industry, p_tier(label, r, "tier", tier),
                              p_bool(label, r, "key_supervision", key)))
    check_order(label, rows, [e.uscc for e in out], "uscc", strict=True)
    check_canonical(label, raw, H_POPULATION, [
        [e.uscc, e.region, e.industry, e.tier, "true" if e.key else "false"] for e in out])
    return out


def parse_items(raw: bytes) -> dict[str, Item]:
    label = "inputs/items.csv"
    rows = parse_csv(label, raw, H_ITEMS)
    out = []
    for r in rows:
        code, dept, industries, specialty = r.fields
        out.append(Item(p_nonempty(label, r, "code", code), p_nonempty(label, r, "department", dept),
                        p_list(label, r, "industries", industries), specialty))
    check_order(label, rows, [i.code for i in out], "code", strict=True)
    check_canonical(label, raw, H_ITEMS, [
        [i.code, i.department, s_list(i.industries), i.specialty] for i in out])
    return {i.code: i for i in out}


def parse_inspectors(raw: bytes) -> dict[str, Inspector]:
    label = "inputs/inspectors.csv"
    rows = parse_csv(label, raw, H_INSPECTORS)
    out = []
    for r in rows:
        iid, dept, region, vf, vu, specs, cap = r.fields
        spec_list = p_list(label, r, "specialties", specs)
        out.append(Inspector(p_nonempty(label, r, "id", iid), p_nonempty(label, r, "department", dept),
                             p_nonempty(label, r, "region", region),
                             p_date(label, r, "valid_from", vf), p_date(label, r, "valid_until", vu),
                             frozenset(spec_list), spec_list, p_decimal(label, r, "capacity", cap)))
    check_order(label, rows, [i.id for i in out], "id", strict=True)
    check_canonical(label, raw, H_INSPECTORS, [
        [i.id, i.department, i.region, i.valid_from.isoformat(), i.valid_until.isoformat(),
         s_list(i.specialties_list), str(i.capacity)] for i in out])
    return {i.id: i for i in out}


def parse_conflicts(raw: bytes) -> set[tuple[str, str]]:
    label = "inputs/conflicts.csv"
    rows = parse_csv(label, raw, H_CONFLICTS)
    out = []
    for r in rows:
        out.append((p_nonempty(label, r, "inspector", r.fields[0]), p_uscc(label, r, "uscc", r.fields[1])))
    check_order(label, rows, out, "(inspector, uscc)", strict=True)
    check_canonical(label, raw, H_CONFLICTS, [list(c) for c in out])
    return set(out)


def parse_history(raw: bytes) -> list[HistoryRow]:
    label = "inputs/history.csv"
    rows = parse_csv(label, raw, H_HISTORY)
    out = []
    for r in rows:
        uscc, dept, insp, on = r.fields
        out.append(HistoryRow(p_uscc(label, r, "uscc", uscc), p_nonempty(label, r, "department", dept),
                              p_nonempty(label, r, "inspector", insp), p_date(label, r, "visited_on", on)))
    check_order(label, rows, [(h.uscc, h.department, h.inspector, h.visited_on) for h in out],
                "(uscc, department, inspector, visited_on)", strict=False)
    check_canonical(label, raw, H_HISTORY, [
        [h.uscc, h.department, h.inspector, h.visited_on.isoformat()] for h in out])
    return out


def parse_tasks(raw: bytes) -> tuple[dict[str, Task], list[Row]]:
    label = "inputs/tasks.csv"
    rows = parse_csv(label, raw, H_TASKS)
    out = []
    for r in rows:
        f = r.fields
        out.append(Task(
            id=p_nonempty(label, r, "id", f[0]),
            department=p_nonempty(label, r, "department", f[1]),
            group=p_nonempty(label, r, "group", f[2]),
            items=p_list(label, r, "items", f[3]),
            regions=p_list(label, r, "regions", f[4]),
            industries=p_list(label, r, "industries", f[5]),
            quotas={t: p_quota(label, r, f"quota_{t.lower()}", f[6 + n]) for n, t in enumerate(TIERS)},
            period_from=p_decimal(label, r, "period_from", f[10]),
            period_to=p_decimal(label, r, "period_to", f[11]),
        ))
    check_order(label, rows, [t.id for t in out], "id", strict=True)
    check_canonical(label, raw, H_TASKS, [
        [t.id, t.department, t.group, s_list(t.items), s_list(t.regions), s_list(t.industries),
         *[s_quota(t.quotas[T]) for T in TIERS], str(t.period_from), str(t.period_to)] for t in out])
    return {t.id: t for t in out}, rows


def periods_per_year(policy: Policy) -> int:
    return 4 if policy.periods == "quarter" else 12


def check_validity(inputs: Inputs, task_rows: list[Row]) -> None:
    """§2.2 validity rules."""
    label = "inputs/tasks.csv"
    big_p = periods_per_year(inputs.policy)
    windows: dict[str, tuple[int, int]] = {}
    for task, row in zip(inputs.tasks.values(), task_rows):
        if not task.items:
            fail(f"{label}:{row.line}: task {task.id} has no item")
        for code in task.items:
            item = inputs.items.get(code)
            if item is None:
                fail(f"{label}:{row.line}: task {task.id}: item {code} does not exist")
            if item.department != task.department:
                fail(f"{label}:{row.line}: task {task.id}: item {code} belongs to "
                     f"{item.department}, not {task.department}")
        if not (1 <= task.period_from <= task.period_to <= big_p):
            fail(f"{label}:{row.line}: task {task.id}: periods {task.period_from}-{task.period_to} "
                 f"not within 1-{big_p}")
        window = (task.period_from, task.period_to)
        if windows.setdefault(task.group, window) != window:
            fail(f"{label}:{row.line}: task {task.id}: group {task.group} has tasks with "
                 f"different period windows")


def read_inputs(bundle: Path) -> Inputs:
    raw = {name: read_file(bundle, f"inputs/{name}") for name in INPUT_FILES}
    policy = parse_policy(raw["policy.csv"])
    population = parse_population(raw["population.csv"])
    tasks, task_rows = parse_tasks(raw["tasks.csv"])
    inputs = Inputs(
        raw=raw,
        policy=policy,
        population=population,
        by_uscc={e.uscc: e for e in population},
        items=parse_items(raw["items.csv"]),
        inspectors=parse_inspectors(raw["inspectors.csv"]),
        conflicts=parse_conflicts(raw["conflicts.csv"]),
        history=parse_history(raw["history.csv"]),
        tasks=tasks,
    )
    check_validity(inputs, task_rows)
    return inputs


# ---------------------------------------------------------------------------------------
# §3 Population Merkle root (RFC 6962)
# ---------------------------------------------------------------------------------------

def merkle_tree_hash(leaves: list[bytes]) -> bytes:
    n = len(leaves)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return sha256(b"\x00" + leaves[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return sha256(b"\x01" + merkle_tree_hash(leaves[:k]) + merkle_tree_hash(leaves[k:]))


def population_leaves(raw: bytes) -> list[bytes]:
    lines = raw.split(b"\n")
    # header first, and the file ends with LF (checked by the canonical form)
    return lines[1:-1]


# ---------------------------------------------------------------------------------------
# Bundle files, JSON (§5, §10) and the manifest (§11 step 1)
# ---------------------------------------------------------------------------------------

def read_file(bundle: Path, rel: str) -> bytes:
    try:
        return (bundle / rel).read_bytes()
    except OSError as exc:
        fail(f"{rel}: cannot read: {exc.strerror or exc}")


def canonical_json(value) -> bytes:
    """§5: keys sorted by byte order, no whitespace, one final LF."""
    return (json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            + "\n").encode("utf-8")


def reject_float(text: str):
    raise ValueError(f"floating point number {text} not allowed")


def load_json(label: str, data: bytes):
    def pairs(items):
        obj = {}
        for k, v in items:
            if k in obj:
                raise ValueError(f"duplicate key {k!r}")
            obj[k] = v
        return obj
    try:
        value = json.loads(data.decode("utf-8"), object_pairs_hook=pairs, parse_float=reject_float,
                           parse_constant=reject_float)
    except (UnicodeDecodeError, ValueError) as exc:
        fail(f"{label}: invalid JSON: {exc}")
    compare_bytes(f"{label} (canonical JSON)", canonical_json(value), data)
    if not isinstance(value, dict):
        fail(f"{label}: not a JSON object")
    return value


def is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def expect_keys(label: str, obj: dict, keys: set[str]) -> None:
    if set(obj) != keys:
        fail(f"{label}: expected keys {sorted(keys)}, found {sorted(obj)}")


def list_bundle_files(bundle: Path) -> set[str]:
    return {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if not p.is_dir()}


def verify_manifest(bundle: Path) -> dict:
    """§11 step 1 (manifest format: §10)."""
    manifest = load_json("manifest.json", read_file(bundle, "manifest.json"))
    if manifest.get("method") != METHOD:
        fail(f"manifest.json: method: expected {METHOD!r}, found {manifest.get('method')!r}")
    state = manifest.get("state")
    if state not in ("committed", "run", "revealed"):
        fail(f"manifest.json: state: expected committed, run or revealed, found {state!r}")
    keys = {"commitment_sha256", "files", "method", "state"} | ({"seed"} if state == "revealed" else set())
    expect_keys("manifest.json", manifest, keys)
    files = manifest["files"]
    if not isinstance(files, dict):
        fail("manifest.json: files is not an object")
    for rel, digest in files.items():
        if not isinstance(digest, str) or not HEX64.match(digest):
            fail(f"manifest.json: files: {rel}: not a SHA-256 hex digest")
        if rel == "manifest.json" or rel.startswith("/") or ".." in rel.split("/") or "\\" in rel:
            fail(f"manifest.json: files: bad path {rel!r}")
        path = bundle / rel
        if not path.is_file():
            fail(f"{rel}: listed in manifest.json but missing")
        found = sha256_hex(read_file(bundle, rel))
        if found != digest:
            fail(f"{rel}: SHA-256 expected {digest} (manifest.json), found {found}")
    extra = sorted(list_bundle_files(bundle) - set(files) - {"manifest.json"})
    if extra:
        fail(f"{extra[0]}: file not listed in manifest.json")
    expected_files = {"commitment.json"} | {f"inputs/{n}" for n in INPUT_FILES}
    if state in ("run", "revealed"):
        expected_files |= {"entropy.json"} | {f"plan/{n}" for n in PLAN_FILES}
    if state == "revealed":
        expected_files |= {"secret.txt"}
    missing = sorted(expected_files - set(files))
    if missing:
        fail(f"{missing[0]}: missing from a bundle in state {state}")
    # docs/log.md §8: optional log evidence, written at run (keys, commitment leaf) and reveal.
    if state in ("run", "revealed"):
        expected_files |= {log_evidence.KEYS_FILE, "log/prepare.json", "log/replan.json"}
    if state == "revealed":
        expected_files |= {"log/run.json"}
    unexpected = sorted(set(files) - expected_files)
    if unexpected:
        fail(f"{unexpected[0]}: not part of a bundle in state {state}")
    commitment_digest = sha256_hex(read_file(bundle, "commitment.json"))
    if manifest["commitment_sha256"] != commitment_digest:
        fail(f"manifest.json: commitment_sha256 expected {commitment_digest}, "
             f"found {manifest['commitment_sha256']}")
    return manifest


# ---------------------------------------------------------------------------------------
# §5 Commitment and §3 root, §11 step 2
# ---------------------------------------------------------------------------------------

def verify_commitment(bundle: Path, inputs: Inputs) -> dict:
    label = "commitment.json"
    c = load_json(label, read_file(bundle, label))
    # docs/log.md §7.3: "allow_past_entropy":true is present only when prepare was told to.
    past = {"allow_past_entropy"} if "allow_past_entropy" in c else set()
    expect_keys(label, c, {"batch", "inputs", "method", "population_root", "population_size",
                           "secret_commitment", "sources"} | past)
    if past and c["allow_past_entropy"] is not True:
        fail(f"{label}: allow_past_entropy must be true when present")
    if c["method"] != METHOD:
        fail(f"{label}: method: expected {METHOD!r}, found {c['method']!r}")
    if not isinstance(c["batch"], str):
        fail(f"{label}: batch is not a string")
    if not isinstance(c["inputs"], dict) or set(c["inputs"]) != set(INPUT_FILES):
        fail(f"{label}: inputs must name exactly {', '.join(INPUT_FILES)}")
    for name in INPUT_FILES:
        found = sha256_hex(inputs.raw[name])
        if c["inputs"][name] != found:
            fail(f"inputs/{name}: SHA-256 expected {c['inputs'][name]} ({label}), found {found}")
    if not is_int(c["population_size"]) or c["population_size"] != len(inputs.population):
        fail(f"{label}: population_size {c['population_size']!r} but inputs/population.csv "
             f"has {len(inputs.population)} enterprises")
    root = merkle_tree_hash(population_leaves(inputs.raw["population.csv"])).hex()
    if c["population_root"] != root:
        fail(f"{label}: population_root expected {root} (RFC 6962 root of inputs/population.csv), "
             f"found {c['population_root']}")
    if not isinstance(c["secret_commitment"], str) or not HEX64.match(c["secret_commitment"]):
        fail(f"{label}: secret_commitment is not 64 hex digits")
    if not isinstance(c["sources"], list) or not c["sources"]:
        fail(f"{label}: sources is not a non-empty list")
    for n, src in enumerate(c["sources"]):
        check_declaration(f"{label}: sources[{n}]", src)
    return c


# ---------------------------------------------------------------------------------------
# §4 Public entropy, §11 step 3
# ---------------------------------------------------------------------------------------

LOTTERY_KEYS = {"kind", "name", "issue", "date"}
DRAND_KEYS = {"kind", "chain", "chain_hash", "round"}


def check_declaration(label: str, src) -> None:
    if not isinstance(src, dict):
        fail(f"{label}: not an object")
    kind = src.get("kind")
    if kind == "lottery":
        expect_keys(label, src, LOTTERY_KEYS)
        for k in ("name", "issue", "date"):
            if not isinstance(src[k], str):
                fail(f"{label}: {k} is not a string")
    elif kind == "drand":
        expect_keys(label, src, DRAND_KEYS)
        if src["chain"] not in DRAND_CHAINS:
            fail(f"{label}: unknown drand chain {src['chain']!r}")
        if src["chain_hash"] != DRAND_CHAINS[src["chain"]]:
            fail(f"{label}: chain_hash of {src['chain']} expected {DRAND_CHAINS[src['chain']]}, "
                 f"found {src['chain_hash']}")
        if not is_int(src["round"]) or src["round"] < 1:
            fail(f"{label}: round is not a positive integer")
    else:
        fail(f"{label}: unknown kind {kind!r}")


def canonical_entropy_string(sources: list[dict]) -> str:
    """§4: lottery integers sorted ascending, each + '.'; drand randomness + '.'; then '/'."""
    out = []
    for src in sources:
        if src["kind"] == "lottery":
            out.extend(f"{v}." for v in sorted(src["values"]))
        else:
            out.append(src["randomness"] + ".")
        out.append("/")
    return "".join(out)


def verify_entropy(bundle: Path, commitment: dict) -> tuple[str, int]:
    """Returns the entropy string and the number of drand sources (signatures not checked)."""
    label = "entropy.json"
    ent = load_json(label, read_file(bundle, label))
    expect_keys(label, ent, {"sources", "string"})
    sources = ent["sources"]
    declared = commitment["sources"]
    if not isinstance(sources, list) or len(sources) != len(declared):
        fail(f"{label}: sources: expected {len(declared)} sources as declared in commitment.json")
    drand = 0
    for n, (src, decl) in enumerate(zip(sources, declared)):
        where = f"{label}: sources[{n}]"
        if not isinstance(src, dict):
            fail(f"{where}: not an object")
        base = {k: v for k, v in src.items() if k in decl}
        if base != decl or any(k not in src for k in decl):
            fail(f"{where}: does not equal its declaration in commitment.json")
        if decl["kind"] == "lottery":
            expect_keys(where, src, LOTTERY_KEYS | {"values"})
            values = src["values"]
            if not isinstance(values, list) or not values or not all(is_int(v) and v >= 0 for v in values):
                fail(f"{where}: values is not a non-empty list of non-negative integers")
        else:
            drand += 1
            chain = decl["chain"]
            keys = DRAND_KEYS | {"signature", "randomness"}
            if chain == "default":
                keys |= {"previous_signature"}
            expect_keys(where, src, keys)
            for k in keys - DRAND_KEYS:
                if not isinstance(src[k], str) or not HEX_ANY.match(src[k]):
                    fail(f"{where}: {k} is not lower-case hex")
            sig = bytes.fromhex(src["signature"])
            if len(sig) != DRAND_SIGNATURE_BYTES[chain]:
                fail(f"{where}: signature of chain {chain} must be {DRAND_SIGNATURE_BYTES[chain]} bytes")
            randomness = sha256_hex(sig)
            if src["randomness"] != randomness:
                fail(f"{where}: randomness expected {randomness} (SHA-256 of signature), "
                     f"found {src['randomness']}")
            # The BLS signature itself is not verified here (see the module docstring).
    string = canonical_entropy_string(sources)
    if ent["string"] != string:
        fail(f"{label}: string expected {string!r}, found {ent['string']!r}")
    return string, drand


# ---------------------------------------------------------------------------------------
# §5 secret commitment and §6 seed and random numbers, §11 step 4
# ---------------------------------------------------------------------------------------

def verify_secret(bundle: Path, commitment: dict) -> bytes:
    raw = read_file(bundle, "secret.txt")
    text = raw.decode("ascii", errors="replace")
    if not text.endswith("\n") or not HEX64.match(text[:-1]):
        fail(f"secret.txt: expected 64 lower-case hex digits and LF, found {show(raw)}")
    secret = bytes.fromhex(text[:-1])
    found = sha256_hex(TAG_SECRET + secret)
    if found != commitment["secret_commitment"]:
        fail(f"secret.txt: does not match secret_commitment: SHA-256 gives {found}, "
             f"commitment.json has {commitment['secret_commitment']}")
    return secret


def compute_seed(commitment_bytes: bytes, entropy_string: str, secret: bytes) -> bytes:
    return sha256(TAG_SEED + sha256(commitment_bytes) + entropy_string.encode("utf-8")
                  + b"\x00" + secret)


def prn(seed: bytes, uscc: str) -> int:
    """§6 u(e): the enterprise's permanent random number."""
    return int.from_bytes(sha256(TAG_PRN + seed + uscc.encode("ascii"))[:8], "big")


def inspector_priority(seed: bytes, visit: str, department: str, inspector: str) -> int:
    """§6 rho(v, d, i)."""
    data = (TAG_INSPECTOR + seed + visit.encode("utf-8") + b"\x00" + department.encode("utf-8")
            + b"\x00" + inspector.encode("utf-8") + b"\x00")
    return int.from_bytes(sha256(data)[:8], "big")


# ---------------------------------------------------------------------------------------
# §7 Selecting enterprises
# ---------------------------------------------------------------------------------------

def months_before(day: datetime.date, months: int) -> datetime.date:
    """Calendar month subtraction, the day clamped to the month's last day."""
    total = day.year * 12 + (day.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    if year < datetime.MINYEAR:
        return datetime.date.min
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def exclusions(inputs: Inputs) -> set[tuple[str, str]]:
    """(uscc, department) pairs visited in [as_of - exclusion_months, as_of)."""
    as_of = inputs.policy.as_of
    since = months_before(as_of, inputs.policy.exclusion_months)
    return {(h.uscc, h.department) for h in inputs.history if since <= h.visited_on < as_of}


def starts_with_any(industry: str, prefixes: list[str]) -> bool:
    return any(industry.startswith(p) for p in prefixes)


class Eligibility:
    """§7 eligibility of an enterprise for a task."""

    def __init__(self, inputs: Inputs):
        self.inputs = inputs
        self.excluded = exclusions(inputs)
        self.cache: dict[str, list[Enterprise]] = {}

    def eligible(self, e: Enterprise, t: Task) -> bool:
        if t.regions and e.region not in t.regions:
            return False
        if t.industries and not starts_with_any(e.industry, t.industries):
            return False
        if not any(not self.inputs.items[c].industries
                   or starts_with_any(e.industry, self.inputs.items[c].industries) for c in t.items):
            return False
        if t.quotas[e.tier] is None:
            return False
        return (e.uscc, t.department) not in self.excluded

    def eligible_list(self, t: Task) -> list[Enterprise]:
        """All eligible enterprises of task t, in population order."""
        if t.id not in self.cache:
            self.cache[t.id] = [e for e in self.inputs.population if self.eligible(e, t)]
        return self.cache[t.id]


@dataclass
class Stratum:
    task: str
    tier: str
    eligible: int  # N = |S|
    quota: int  # n
    key: int  # |K|
    start: int  # g[T]
    cutoff: int | None
    taken: int  # from S
    passed_over: int


@dataclass
class Selection:
    task: str
    e: Enterprise
    xi: int
    basis: str
    inclusion: str


@dataclass
class PassedOver:
    task: str
    e: Enterprise
    xi: int
    visits: int


@dataclass
class Visit:
    id: str
    e: Enterprise
    group: str
    xi: int
    tasks: list[str]
    departments: list[str]
    window: tuple[int, int]
    period: int = 0


@dataclass
class Draw:
    strata: list[Stratum] = field(default_factory=list)
    selections: list[Selection] = field(default_factory=list)
    passed_over: list[PassedOver] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)  # in visit order after §8
    team_rows: list[tuple[str, str, str, int]] = field(default_factory=list)
    failure_rows: list[tuple[str, str, int, int, str]] = field(default_factory=list)


def groups_in_order(tasks: dict[str, Task]) -> list[tuple[str, list[Task]]]:
    groups: dict[str, list[Task]] = {}
    for t in sorted(tasks.values(), key=lambda t: t.id):
        groups.setdefault(t.group, []).append(t)
    return sorted(groups.items())


def select_enterprises(inputs: Inputs, u: list[int], elig: Eligibility, draw: Draw,
                       held: dict[str, set[str]] | None = None) -> None:
    """§7, then §8's visits of each group (periods are given by visits_and_periods).

    `held` (method dr3, docs/plan-model.md "dr3: key supervision"): department -> the USCCs it
    holds under key supervision; K is then what the task's department holds, and a group's
    visit that holds a key check does not count toward the cap."""
    caps = inputs.policy.caps
    visits_so_far = [0] * len(inputs.population)
    s = {T: 0 for T in TIERS}
    for group, tasks in groups_in_order(inputs.tasks):
        g = dict(s)
        members: dict[int, list[str]] = {}
        exempt: set[int] = set()
        x: dict[str, int | None] = {T: None for T in TIERS}

        def take(e: Enterprise, t: Task, key: bool = False) -> None:
            new = e.index not in members
            if new:
                members[e.index] = []
            if held is not None and key:
                if e.index not in exempt:
                    exempt.add(e.index)
                    if not new:
                        visits_so_far[e.index] -= 1
            elif new:
                visits_so_far[e.index] += 1
            members[e.index].append(t.id)

        for t in tasks:
            eligible = elig.eligible_list(t)
            for T in TIERS:
                q = t.quotas[T]
                if q is None:
                    continue
                tier_e = [e for e in eligible if e.tier == T]
                if held is None:
                    key_e = [e for e in tier_e if e.key]
                else:
                    mine = held.get(t.department, set())
                    key_e = [e for e in tier_e if e.uscc in mine]
                keys = {e.index for e in key_e}
                sampled = [e for e in tier_e if e.index not in keys]
                n_sampled = len(sampled)
                n = quota_applied(q, n_sampled)
                cap = caps[T]
                for e in key_e:
                    take(e, t, key=True)
                    draw.selections.append(Selection(t.id, e, (u[e.index] - g[T]) & MASK64, "key", "1/1"))
                walk = sorted(((u[e.index] - g[T]) & MASK64, e.index, e) for e in sampled)
                taken = passed = 0
                cutoff = None
                for xi, _, e in walk:
                    if taken >= n:
                        break
                    if e.index in members or visits_so_far[e.index] < cap:
                        take(e, t)
                        draw.selections.append(Selection(t.id, e, xi, "sample", f"{n}/{n_sampled}"))
                        taken += 1
                        cutoff = xi
                    else:
                        draw.passed_over.append(PassedOver(t.id, e, xi, visits_so_far[e.index]))
                        passed += 1
                if cutoff is not None:
                    x[T] = cutoff if x[T] is None else max(x[T], cutoff)
                draw.strata.append(Stratum(t.id, T, n_sampled, n, len(key_e), g[T], cutoff, taken, passed))
        for T in TIERS:
            if x[T] is not None:
                s[T] = (g[T] + x[T] + 1) & MASK64
        # §8: each (group, enterprise in M) is one visit
        window = (tasks[0].period_from, tasks[0].period_to)
        for index, task_ids in members.items():
            e = inputs.population[index]
            task_ids = sorted(set(task_ids))
            draw.visits.append(Visit(
                id=f"{group}/{e.uscc}", e=e, group=group,
                xi=(u[index] - g[e.tier]) & MASK64, tasks=task_ids,
                departments=sorted({inputs.tasks[tid].department for tid in task_ids}),
                window=window))


# ---------------------------------------------------------------------------------------
# §8 Visits and periods
# ---------------------------------------------------------------------------------------

def visits_and_periods(draw: Draw) -> None:
    by_group: dict[str, list[Visit]] = {}
    for v in draw.visits:
        by_group.setdefault(v.group, []).append(v)
    for visits in by_group.values():
        start, end = visits[0].window
        length = end - start + 1
        visits.sort(key=lambda v: (v.xi, v.e.uscc))
        for rank, v in enumerate(visits):
            v.period = start + rank % length
    draw.visits.sort(key=lambda v: (v.period, v.group, v.xi, v.e.uscc))


def period_dates(policy: Policy, period: int) -> tuple[datetime.date, datetime.date]:
    """§2.2: period p runs from the first day of month (p-1)m+1 to the last day of month pm."""
    m = 3 if policy.periods == "quarter" else 1
    first_month, last_month = (period - 1) * m + 1, period * m
    return (datetime.date(policy.year, first_month, 1),
            datetime.date(policy.year, last_month, calendar.monthrange(policy.year, last_month)[1]))


# ---------------------------------------------------------------------------------------
# §9 Inspector teams
# ---------------------------------------------------------------------------------------

def last_teams(history: list[HistoryRow]) -> dict[tuple[str, str], set[str]]:
    """(uscc, department) -> inspectors of the rows with the greatest visited_on."""
    best: dict[tuple[str, str], tuple[datetime.date, set[str]]] = {}
    for h in history:
        key = (h.uscc, h.department)
        cur = best.get(key)
        if cur is None or h.visited_on > cur[0]:
            best[key] = (h.visited_on, {h.inspector})
        elif h.visited_on == cur[0]:
            cur[1].add(h.inspector)
    return {k: v[1] for k, v in best.items()}


def required_specialties(inputs: Inputs, visit_tasks: list[str], department: str) -> list[str]:
    return sorted({inputs.items[code].specialty
                   for tid in visit_tasks if inputs.tasks[tid].department == department
                   for code in inputs.tasks[tid].items if inputs.items[code].specialty})


def inspectors_by_department(inputs: Inputs) -> dict[str, list[Inspector]]:
    out: dict[str, list[Inspector]] = {}
    for i in inputs.inspectors.values():  # id order
        out.setdefault(i.department, []).append(i)
    return out


def inspector_teams(inputs: Inputs, seed: bytes, draw: Draw) -> None:
    k = inputs.policy.inspectors_per_department
    used = {iid: 0 for iid in inputs.inspectors}
    last = last_teams(inputs.history)
    by_dept = inspectors_by_department(inputs)
    for v in draw.visits:
        e = v.e
        start, end = period_dates(inputs.policy, v.period)
        for d in v.departments:
            required = required_specialties(inputs, v.tasks, d)
            in_dept = by_dept.get(d, [])
            last_team = last.get((e.uscc, d), set())
            other_region = certificate = conflict = last_time = capacity = 0
            candidates = []
            for i in in_dept:
                if i.region != e.region:
                    other_region += 1
                elif not (i.valid_from <= start and end <= i.valid_until):
                    certificate += 1
                elif (i.id, e.uscc) in inputs.conflicts:
                    conflict += 1
                elif i.id in last_team:
                    last_time += 1
                elif used[i.id] >= i.capacity:
                    capacity += 1
                else:
                    candidates.append((inspector_priority(seed, v.id, d, i.id), i.id, i))
            candidates.sort(key=lambda c: (c[0], c[1]))
            members: list[tuple[int, str, Inspector]] = []
            member_ids: set[str] = set()
            failed = False
            for s in required:
                if any(s in m[2].specialties for m in members):
                    continue
                pick = next((c for c in candidates if s in c[2].specialties and c[1] not in member_ids), None)
                if pick is None:
                    failed = True
                    break
                members.append(pick)
                member_ids.add(pick[1])
            if not failed:
                for c in candidates:
                    if len(members) >= k:
                        break
                    if c[1] not in member_ids:
                        members.append(c)
                        member_ids.add(c[1])
                failed = len(members) < k
            if not failed:
                for rho, iid, _ in members:
                    used[iid] += 1
                    draw.team_rows.append((v.id, d, iid, rho))
            else:
                reason = (f"{k} needed, {len(members)} assignable: {len(in_dept)} in department, "
                          f"{other_region} in other regions than {e.region}, {certificate} certificate "
                          f"not valid for all of period {v.period}, {conflict} declared conflict, "
                          f"{last_time} inspected it last time, {capacity} at capacity, "
                          f"{len(candidates)} available")
                missing = [s for s in required if not any(s in c[2].specialties for c in candidates)]
                if missing:
                    reason += "; no available inspector has specialty " + ", ".join(missing)
                draw.failure_rows.append((v.id, d, k, len(members), reason))
    draw.team_rows.sort(key=lambda r: (r[0], r[1], r[2]))
    draw.failure_rows.sort(key=lambda r: (r[0], r[1]))


# ---------------------------------------------------------------------------------------
# §10 The plan files
# ---------------------------------------------------------------------------------------

def plan_files(draw: Draw) -> dict[str, bytes]:
    selections = sorted(draw.selections, key=lambda s: (s.task, s.xi, s.e.uscc))
    passed = sorted(draw.passed_over, key=lambda p: (p.task, p.xi, p.e.uscc))
    return {
        "strata.csv": csv_bytes(H_STRATA, [
            [s.task, s.tier, str(s.eligible), str(s.quota), str(s.key), hex16(s.start),
             "" if s.cutoff is None else hex16(s.cutoff), str(s.taken), str(s.passed_over)]
            for s in draw.strata]),
        "selections.csv": csv_bytes(H_SELECTIONS, [
            [s.task, s.e.uscc, s.e.tier, hex16(s.xi), s.basis, s.inclusion] for s in selections]),
        "passed-over.csv": csv_bytes(H_PASSED, [
            [p.task, p.e.uscc, p.e.tier, hex16(p.xi), str(p.visits)] for p in passed]),
        "visits.csv": csv_bytes(H_VISITS, [
            [v.id, v.e.uscc, v.e.region, v.e.tier, v.group, str(v.period), hex16(v.xi),
             s_list(v.departments), s_list(v.tasks)] for v in draw.visits]),
        "teams.csv": csv_bytes(H_TEAMS, [[vid, d, iid, hex16(rho)] for vid, d, iid, rho in draw.team_rows]),
        "failures.csv": csv_bytes(H_FAILURES, [
            [vid, d, str(needed), str(found), reason] for vid, d, needed, found, reason in draw.failure_rows]),
    }


def compute_plan(inputs: Inputs, seed: bytes) -> Draw:
    u = [prn(seed, e.uscc) for e in inputs.population]
    draw = Draw()
    select_enterprises(inputs, u, Eligibility(inputs), draw)
    visits_and_periods(draw)
    inspector_teams(inputs, seed, draw)
    return draw


# ---------------------------------------------------------------------------------------
# §11 step 5: the rules, checked on the published plan independently of the recomputation
# ---------------------------------------------------------------------------------------

def check_rules(bundle: Path, inputs: Inputs) -> dict[str, int]:
    P = "plan/"
    policy = inputs.policy
    k = policy.inspectors_per_department
    elig = Eligibility(inputs)
    rows = {name: parse_csv(P + name, read_file(bundle, P + name), header) for name, header in (
        ("strata.csv", H_STRATA), ("selections.csv", H_SELECTIONS), ("passed-over.csv", H_PASSED),
        ("visits.csv", H_VISITS), ("teams.csv", H_TEAMS), ("failures.csv", H_FAILURES))}

    def enterprise(label: str, row: Row, uscc: str, tier: str) -> Enterprise:
        e = inputs.by_uscc.get(uscc)
        if e is None:
            fail(f"{label}:{row.line}: rule: {uscc} is not in the population")
        if e.tier != tier:
            fail(f"{label}:{row.line}: rule: {uscc} has tier {e.tier}, not {tier}")
        return e

    def task_of(label: str, row: Row, tid: str) -> Task:
        t = inputs.tasks.get(tid)
        if t is None:
            fail(f"{label}:{row.line}: rule: unknown task {tid}")
        return t

    # strata
    label = P + "strata.csv"
    strata: dict[tuple[str, str], tuple[Row, list[str]]] = {}
    for r in rows["strata.csv"]:
        task_of(label, r, r.fields[0])
        if (r.fields[0], r.fields[1]) in strata:
            fail(f"{label}:{r.line}: rule: stratum ({r.fields[0]}, {r.fields[1]}) twice")
        strata[(r.fields[0], r.fields[1])] = (r, r.fields)
    expected_strata = {(t.id, T) for t in inputs.tasks.values() for T in TIERS if t.quotas[T] is not None}
    if set(strata) != expected_strata:
        missing = sorted(expected_strata - set(strata))
        fail(f"{label}: rule: strata are not exactly the non-empty quotas of the tasks"
             + (f" (missing {missing[0]})" if missing else ""))

    # selections: each is eligible; key basis for key supervision
    label = P + "selections.csv"
    selected: dict[tuple[str, str], set[str]] = {}
    key_selected: dict[tuple[str, str], set[str]] = {}
    selected_pairs: set[tuple[str, str]] = set()
    for r in rows["selections.csv"]:
        tid, uscc, tier, xi, basis, inclusion = r.fields
        t = task_of(label, r, tid)
        e = enterprise(label, r, uscc, tier)
        if (tid, uscc) in selected_pairs:
            fail(f"{label}:{r.line}: rule: {uscc} selected twice for {tid}")
        selected_pairs.add((tid, uscc))
        if not elig.eligible(e, t):
            fail(f"{label}:{r.line}: rule: {uscc} is not eligible for task {tid}")
        if not HEX16.match(xi):
            fail(f"{label}:{r.line}: rule: xi is not 16 hex digits")
        srow = strata[(tid, tier)][1]
        if e.key:
            if basis != "key" or inclusion != "1/1":
                fail(f"{label}:{r.line}: rule: key-supervision enterprise must have basis key, inclusion 1/1")
            key_selected.setdefault((tid, tier), set()).add(uscc)
        else:
            if basis != "sample" or inclusion != f"{srow[3]}/{srow[2]}":
                fail(f"{label}:{r.line}: rule: expected basis sample, inclusion {srow[3]}/{srow[2]}")
            selected.setdefault((tid, tier), set()).add(uscc)

    # passed over
    label = P + "passed-over.csv"
    passed: dict[tuple[str, str], set[str]] = {}
    for r in rows["passed-over.csv"]:
        tid, uscc, tier, xi, visits = r.fields
        t = task_of(label, r, tid)
        e = enterprise(label, r, uscc, tier)
        if e.key or not elig.eligible(e, t):
            fail(f"{label}:{r.line}: rule: {uscc} cannot be passed over for {tid}")
        if (tid, uscc) in selected_pairs:
            fail(f"{label}:{r.line}: rule: {uscc} both selected and passed over for {tid}")
        if p_decimal(label, r, "visits", visits) < policy.caps[tier]:
            fail(f"{label}:{r.line}: rule: {uscc} passed over below its tier's visit cap")
        passed.setdefault((tid, tier), set()).add(uscc)

    # strata: quota, no more than the quota, no less while unused eligible enterprises remain
    label = P + "strata.csv"
    for (tid, T), (r, f) in strata.items():
        t = inputs.tasks[tid]
        tier_e = [e for e in elig.eligible_list(t) if e.tier == T]
        sampled = {e.uscc for e in tier_e if not e.key}
        keys = {e.uscc for e in tier_e if e.key}
        n = quota_applied(t.quotas[T], len(sampled))
        taken = selected.get((tid, T), set())
        if f[2] != str(len(sampled)) or f[3] != str(n) or f[4] != str(len(keys)):
            fail(f"{label}:{r.line}: rule: expected eligible {len(sampled)}, quota {n}, key {len(keys)}")
        if key_selected.get((tid, T), set()) != keys:
            fail(f"{label}:{r.line}: rule: not every key-supervision enterprise of the stratum is taken")
        if f[7] != str(len(taken)) or f[8] != str(len(passed.get((tid, T), set()))):
            fail(f"{label}:{r.line}: rule: taken/passed_over do not match the published lists")
        if len(taken) > n:
            fail(f"{label}:{r.line}: rule: stratum takes {len(taken)}, more than its quota {n}")
        if len(taken) < n:
            unused = sampled - taken - passed.get((tid, T), set())
            if unused:
                fail(f"{label}:{r.line}: rule: stratum takes {len(taken)} < quota {n} while "
                     f"{min(unused)} is eligible and unused")

    # visits: cover exactly the selections, periods in windows, caps
    label = P + "visits.csv"
    visits: dict[str, tuple[Row, Enterprise, int, list[str]]] = {}
    visit_count: dict[str, int] = {}
    covered: set[tuple[str, str]] = set()
    for r in rows["visits.csv"]:
        vid, uscc, region, tier, group, period, xi, depts, tids = r.fields
        e = enterprise(label, r, uscc, tier)
        if vid != f"{group}/{uscc}" or region != e.region or vid in visits:
            fail(f"{label}:{r.line}: rule: bad or duplicate visit row {vid}")
        period_n = p_decimal(label, r, "period", period)
        task_ids = tids.split(";") if tids else []
        if not task_ids:
            fail(f"{label}:{r.line}: rule: visit without task")
        for tid in task_ids:
            t = task_of(label, r, tid)
            if t.group != group or (tid, uscc) not in selected_pairs:
                fail(f"{label}:{r.line}: rule: task {tid} of visit {vid} did not select it in group {group}")
            if not (t.period_from <= period_n <= t.period_to):
                fail(f"{label}:{r.line}: rule: period {period_n} outside task {tid}'s window "
                     f"{t.period_from}-{t.period_to}")
            covered.add((tid, uscc))
        dept_list = sorted({inputs.tasks[tid].department for tid in task_ids})
        if depts != ";".join(dept_list):
            fail(f"{label}:{r.line}: rule: departments should be {';'.join(dept_list)}")
        visits[vid] = (r, e, period_n, task_ids)
        visit_count[uscc] = visit_count.get(uscc, 0) + 1
        if not e.key and visit_count[uscc] > policy.caps[tier]:
            fail(f"{label}:{r.line}: rule: {uscc} has {visit_count[uscc]} visits, more than "
                 f"its tier {tier} cap {policy.caps[tier]}")
    if covered != selected_pairs:
        tid, uscc = min(selected_pairs - covered)
        fail(f"{label}: rule: selection of {uscc} by {tid} has no visit")

    # teams: each member may serve; capacities; specialties covered
    label = P + "teams.csv"
    last = last_teams(inputs.history)
    used: dict[str, int] = {}
    teams: dict[tuple[str, str], list[Inspector]] = {}
    for r in rows["teams.csv"]:
        vid, d, iid, rho = r.fields
        if vid not in visits:
            fail(f"{label}:{r.line}: rule: unknown visit {vid}")
        _, e, period_n, task_ids = visits[vid]
        if d not in {inputs.tasks[t].department for t in task_ids}:
            fail(f"{label}:{r.line}: rule: department {d} has no task in visit {vid}")
        i = inputs.inspectors.get(iid)
        if i is None:
            fail(f"{label}:{r.line}: rule: unknown inspector {iid}")
        start, end = period_dates(policy, period_n)
        if i.department != d:
            fail(f"{label}:{r.line}: rule: {iid} does not belong to department {d}")
        if i.region != e.region:
            fail(f"{label}:{r.line}: rule: {iid} does not serve region {e.region}")
        if not (i.valid_from <= start and end <= i.valid_until):
            fail(f"{label}:{r.line}: rule: {iid}'s certificate is not valid for all of period {period_n}")
        if (iid, e.uscc) in inputs.conflicts:
            fail(f"{label}:{r.line}: rule: {iid} declared a conflict with {e.uscc}")
        if iid in last.get((e.uscc, d), set()):
            fail(f"{label}:{r.line}: rule: {iid} was in the last team at {e.uscc} for {d}")
        team = teams.setdefault((vid, d), [])
        if any(m.id == iid for m in team):
            fail(f"{label}:{r.line}: rule: {iid} twice in the team")
        team.append(i)
        used[iid] = used.get(iid, 0) + 1
        if used[iid] > i.capacity:
            fail(f"{label}:{r.line}: rule: {iid} exceeds its capacity {i.capacity}")
    for (vid, d), team in teams.items():
        for s in required_specialties(inputs, visits[vid][3], d):
            if not any(s in m.specialties for m in team):
                fail(f"{label}: rule: team of {vid} for {d} has nobody with specialty {s}")

    # every (visit, department) has at least k members or a stated failure
    label = P + "failures.csv"
    failures: set[tuple[str, str]] = set()
    for r in rows["failures.csv"]:
        vid, d, needed, found, reason = r.fields
        if vid not in visits or (vid, d) in failures or needed != str(k) or not reason:
            fail(f"{label}:{r.line}: rule: bad failure row for ({vid}, {d})")
        if (vid, d) in teams:
            fail(f"{label}:{r.line}: rule: ({vid}, {d}) has both a team and a failure")
        failures.add((vid, d))
    for vid, (r, e, period_n, task_ids) in visits.items():
        for d in sorted({inputs.tasks[t].department for t in task_ids}):
            if (vid, d) not in failures and len(teams.get((vid, d), [])) < k:
                fail(f"plan/visits.csv:{r.line}: rule: ({vid}, {d}) has fewer than {k} inspectors "
                     f"and no stated failure")

    return {"selections": len(rows["selections.csv"]), "visits": len(rows["visits.csv"]),
            "assigned": len(rows["teams.csv"]), "failures": len(rows["failures.csv"])}


# ---------------------------------------------------------------------------------------
# §11 Verification
# ---------------------------------------------------------------------------------------

def verify(bundle: Path, keys=None) -> str:
    """§11, then the log evidence (docs/log.md §8.1) with `keys` (None: log/keys.json)."""
    manifest = verify_manifest(bundle)
    inputs = read_inputs(bundle)
    commitment = verify_commitment(bundle, inputs)
    summary = verify_draw(bundle, manifest, commitment, inputs)
    facts = log_evidence.BundleFacts(
        commitment,
        manifest["commitment_sha256"],
        manifest["files"].get("entropy.json"),
        bytes.fromhex(read_file(bundle, "secret.txt").decode().strip())
        if manifest["state"] == "revealed" else None,
        {rel: d for rel, d in manifest["files"].items() if rel.startswith("plan/")},
    )
    files = {rel: read_file(bundle, rel) for rel in manifest["files"] if rel.startswith("log/")}
    try:
        tail = log_evidence.check(facts, files, keys, load_json)
    except log_evidence.TlogError as exc:
        fail(str(exc))
    return f"{summary}; {tail}"


def verify_draw(bundle: Path, manifest: dict, commitment: dict, inputs: Inputs) -> str:
    """§11 steps 3-5 (steps 1 and 2 are done by the caller)."""
    state = manifest["state"]
    head = f"dr1 bundle verified (python): {len(inputs.population)} enterprises, {len(inputs.tasks)} tasks"
    if state == "committed":
        return f"{head}; committed, not yet run"
    # step 3
    entropy_string, drand = verify_entropy(bundle, commitment)
    note = " (drand signatures not checked)" if drand else ""
    seed = None
    # step 4
    if state == "revealed":
        secret = verify_secret(bundle, commitment)
        seed = compute_seed(read_file(bundle, "commitment.json"), entropy_string, secret)
        if manifest["seed"] != seed.hex():
            fail(f"manifest.json: seed expected {seed.hex()}, found {manifest['seed']}")
        expected = plan_files(compute_plan(inputs, seed))
        for name in PLAN_FILES:
            compare_bytes(f"plan/{name}", expected[name], read_file(bundle, f"plan/{name}"))
    # step 5
    counts = check_rules(bundle, inputs)
    summary = (f"{head}, {counts['selections']} selections, {counts['visits']} visits, "
               f"{counts['assigned']} inspectors assigned, {counts['failures']} teams not formed")
    if seed is None:
        return f"{summary}; run, not yet revealed (plan rules checked, not recomputed){note}"
    return f"{summary}; seed {seed.hex()}{note}"


USAGE = "usage: verify_dr1.py BUNDLE [--log-key VKEY [--witness VKEY]... [--quorum Q]]"


def parse_args(argv: list[str]):
    """(bundle, keys or None); raises ValueError with a message for a usage error."""
    args = argv[1:]
    if not args or args[0] in ("-h", "--help") or args[0].startswith("--"):
        raise ValueError(USAGE)
    bundle, log_key, witnesses, quorum = Path(args[0]), None, [], None
    rest = args[1:]
    while rest:
        if len(rest) < 2 or rest[0] not in ("--log-key", "--witness", "--quorum"):
            raise ValueError(USAGE)
        flag, value, rest = rest[0], rest[1], rest[2:]
        if flag == "--quorum":
            if not DECIMAL.match(value):
                raise ValueError(f"--quorum {value!r}: not a whole number")
            quorum = int(value)
        else:
            try:
                key = log_evidence.tlog.parse_verifier_key(value)
            except log_evidence.TlogError as exc:
                raise ValueError(f"{flag}: {exc}") from None
            if flag == "--log-key":
                log_key = key
            else:
                witnesses.append(key)
    if log_key is None:
        if witnesses or quorum is not None:
            raise ValueError("--witness and --quorum need --log-key")
        return bundle, None
    try:
        keys = log_evidence.Keys(log_key, witnesses, len(witnesses) if quorum is None else quorum,
                                 "command line")
    except log_evidence.TlogError as exc:
        raise ValueError(str(exc)) from None
    return bundle, keys


def main(argv: list[str]) -> int:
    try:
        bundle, keys = parse_args(argv)
    except ValueError as exc:
        print(f"verify_dr1.py: {exc}", file=sys.stderr)
        return 2
    if not bundle.is_dir():
        print(f"verify_dr1.py: {bundle}: not a directory", file=sys.stderr)
        return 2
    try:
        print(verify(bundle, keys))
        return 0
    except VerificationError as exc:
        print(f"dr1 bundle NOT verified (python): {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
