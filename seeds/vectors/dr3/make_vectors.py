#!/usr/bin/env python3
"""Rebuilds the small dr3 test vectors `complaints-over-cap` and `reserve-short` of this
directory with the `dualdraw` CLI (docs/plan-model.md, "Test vector"). Python standard library
only. Run from the repository root:

    cargo build --release
    python3 seeds/vectors/dr3/make_vectors.py target/release/dualdraw [NAME…]

Each vector is a 300-enterprise `gen` city (`dualdraw gen --enterprises 300 --seed 3 --periods
month`) with a few complaint-driven checks (`--complaints`) and, for `reserve-short`, one
certificate shortened; prepared as `dr3` with the lottery source 福彩3D 2026001 of 2026-01-02
(`--allow-past-entropy`), entropy `3 7 1`, revealed:

- `complaints-over-cap`: enterprises whose complaint-driven visits (one per distinct period)
  alone pass their tier's cap — the first tier-A or -B enterprise (cap 1) without key
  supervision, with complaints in 2 periods, and the first tier-D one (cap 4), with complaints
  in 5 periods (6 rows, two in one period). Both are drawn; the plan adds them no visit (their
  checks are in unplanned.csv, "visit cap … reached with 0 pinned and N complaint-driven
  visits"), so it keeps the cap rule (§6, §10 step 4): complaints are not the plan's to refuse.
- `reserve-short`: the second GAJ inspector of region 440308 certified only until 2026-10-31
  and a GAJ complaint in 440308 in period 11. GAJ's only task has the window 4-9, so GAJ has no
  new visit there; the reserve (k = 2 inspector-visits) finds one certified inspector (at most
  one place per member and visit): the reserve alone is short, which the integer stage cannot
  mend (it has no visit to leave out) and the verifiers accept (§10 step 4).

The same enterprises are chosen every time (population order among those that qualify, from a
scratch `draw prepare` without complaints), and `draw prepare`'s fresh secret is replaced
before the run by SHA-256("dualdraw dr3 test vector " ‖ NAME) (`secret_commitment` and the
manifest rewritten to match), so running it again gives the same bytes. The bundle NAME/ is
rewritten; NAME.expected (the output of `dualdraw verify NAME`) only if that verify accepts it.
The script asserts the facts each vector exists for.
"""

import csv
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent.parent
SOURCE = "lottery:福彩3D:2026001:2026-01-02"  # a past draw: --allow-past-entropy
ENTROPY = "3 7 1"
VECTORS = ["complaints-over-cap", "reserve-short"]
CAPS_KEYS = {"A": "visit_cap_a", "B": "visit_cap_b", "C": "visit_cap_c", "D": "visit_cap_d"}


def canonical(value):
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return (text + "\n").encode()


def sh(*args, check=True):
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    if check and done.returncode != 0:
        sys.exit(f"{' '.join(map(str, args))}: exit {done.returncode}\n{done.stdout}{done.stderr}")
    return done


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write_csv(path, header, rows):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    Path(path).write_text(out.getvalue(), encoding="utf-8")


def prepare(dualdraw, city, bundle, name, complaints=None):
    extra = ["--complaints", complaints] if complaints else []
    sh(dualdraw, "draw", "prepare", "-q", "--from", city, "--out", bundle, "--batch", name,
       "--method", "dr3", "--source", SOURCE, "--allow-past-entropy", *extra)


def fix_secret(bundle, name, secret_path):
    secret = hashlib.sha256(f"dualdraw dr3 test vector {name}".encode()).digest()
    c = json.loads((bundle / "commitment.json").read_text(encoding="utf-8"))
    c["secret_commitment"] = hashlib.sha256(b"dualdraw-dr1-secret\x00" + secret).hexdigest()
    data = canonical(c)
    (bundle / "commitment.json").write_bytes(data)
    m = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    m["files"]["commitment.json"] = m["commitment_sha256"] = hashlib.sha256(data).hexdigest()
    (bundle / "manifest.json").write_bytes(canonical(m))
    secret_path.write_text(secret.hex() + "\n")


def population(dualdraw, work, city):
    """population.csv of a scratch bundle without complaints: tiers and key supervision as
    prepare derives them."""
    scratch = work / "scratch"
    prepare(dualdraw, city, scratch, "scratch")
    return read_csv(scratch / "inputs" / "population.csv")


def policy_caps(city):
    values = {r["key"]: r["value"] for r in read_csv(city / "policy.csv")}
    return {t: int(values[k]) for t, k in CAPS_KEYS.items()}


def tweak_complaints_over_cap(dualdraw, work, city):
    people = [e for e in population(dualdraw, work, city) if e["key_supervision"] == "false"]
    caps = policy_caps(city)
    low = next(e for e in people if caps[e["tier"]] == 1)
    high = next(e for e in people if e["tier"] == "D")
    assert caps["D"] == 4, caps
    rows = [(low["uscc"], "SCJG", 2), (low["uscc"], "SCJG", 5)]
    rows += [(high["uscc"], "SCJG", 1), (high["uscc"], "SWJ", 1)]
    rows += [(high["uscc"], "SCJG", p) for p in (3, 5, 7, 9)]
    rows.sort()
    write_csv(work / "complaints.csv", ["uscc", "department", "period"], rows)
    return {"over": {low["uscc"]: 2, high["uscc"]: 5}, "caps": caps}


def tweak_reserve_short(dualdraw, work, city):
    path = city / "inspectors.csv"
    inspectors = read_csv(path)
    header = list(inspectors[0])
    target = next(i for i in inspectors if i["id"] == "GAJ-440308-0002")
    assert target["certificate_valid_from"] <= "2026-01-01", target
    target["certificate_valid_until"] = "2026-10-31"
    write_csv(path, header, [[i[h] for h in header] for i in inspectors])
    tasks = [t for t in read_csv(city / "tasks.csv") if t["department"] == "GAJ"]
    assert [(t["period_from"], t["period_to"]) for t in tasks] == [("4", "9")], tasks
    people = [e for e in population(dualdraw, work, city)
              if e["region"] == "440308" and e["key_supervision"] == "false"]
    rows = [(people[0]["uscc"], "GAJ", 11)]
    write_csv(work / "complaints.csv", ["uscc", "department", "period"], rows)
    return {"short": ("440308", "GAJ", 11)}


def check_complaints_over_cap(bundle, facts):
    visits = {r["uscc"] for r in read_csv(bundle / "plan" / "visits.csv")}
    tiers = {e["uscc"]: e["tier"] for e in read_csv(bundle / "inputs" / "population.csv")}
    unplanned = read_csv(bundle / "plan" / "unplanned.csv")
    for uscc, n in facts["over"].items():
        assert n > facts["caps"][tiers[uscc]], (uscc, n)
        assert uscc not in visits, f"{uscc} has a new visit"
    high = max(facts["over"], key=lambda u: facts["over"][u])
    reason = "visit cap 4 of tier D reached with 0 pinned and 5 complaint-driven visits"
    assert any(r["uscc"] == high and r["reason"] == reason for r in unplanned), \
        f"{high}: no check left unplanned by the cap"


def check_reserve_short(bundle, facts):
    region, d, p = facts["short"]
    k = 2
    given = 0
    for r in read_csv(bundle / "plan" / "classes.csv"):
        if r["region"] == region and r["department"] == d:
            for part in filter(None, r["allocation"].split(";")):
                period, n = part.split(":")
                given += int(n) if int(period) == p else 0
    assert given < k, f"{d} in {region} is given {given} inspector-visits in period {p}"
    visits = [v for v in read_csv(bundle / "plan" / "visits.csv")
              if v["region"] == region and v["period"] == str(p)
              and d in v["departments"].split(";")]
    assert not visits, visits


TWEAKS = {"complaints-over-cap": (tweak_complaints_over_cap, check_complaints_over_cap),
          "reserve-short": (tweak_reserve_short, check_reserve_short)}


def make(dualdraw, name):
    tweak, check = TWEAKS[name]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        city = work / "city"
        sh(dualdraw, "gen", "-q", "--enterprises", "300", "--seed", "3", "--periods", "month",
           "--out", city)
        facts = tweak(dualdraw, work, city)
        bundle = work / name
        prepare(dualdraw, city, bundle, name, work / "complaints.csv")
        secret = work / "secret"
        fix_secret(bundle, name, secret)
        sh(dualdraw, "draw", "run", "-q", bundle, "--entropy", ENTROPY, "--secret", secret)
        sh(dualdraw, "draw", "reveal", "-q", bundle, "--secret", secret)
        check(bundle, facts)
        target = HERE / name
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(bundle, target)
    python = sh(sys.executable, ROOT / "verifiers/python/verify_dr3.py", target, check=False)
    print(f"{name}: python: {(python.stdout + python.stderr).strip()}")
    done = sh(dualdraw, "verify", target, check=False)
    expected = HERE / f"{name}.expected"
    if done.returncode == 0:
        expected.write_text(done.stdout)
        print(f"{name}: {done.stdout}", end="")
    else:
        print(f"{name}: dualdraw verify refuses it, {name}.expected not written: "
              f"{(done.stdout + done.stderr).strip()}")
    return done.returncode == 0 and python.returncode == 0


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    ok = [make(argv[1], name) for name in argv[2:] or VECTORS]
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
