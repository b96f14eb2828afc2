#!/usr/bin/env bash
# Issue 15's figures for method dr3 against dr2 (docs/plan-model.md, "dr3: capacity, teams,
# merging, bound"): a generated year of N enterprises (default 100,000; 12 monthly periods),
# planned with each method; prints the department checks drawn, those planned with a complete
# team (share), the bound on checks that can be planned, visits and the visit lower bound, wall
# time and peak RSS of `draw run`, and whether the plan bytes are the same on 1 and 2 threads.
# Needs GNU time. Data goes to /tmp/staffable-N (deleted at the end unless KEEP=1).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
METHODS=${METHODS:-"dr2 dr3"}
DATA=/tmp/staffable-$N
BIN=$PWD/target/release/dualdraw
cargo build --release --quiet
mkdir -p "$DATA"
[ -f "$DATA/city/enterprises.csv" ] || $BIN gen --enterprises "$N" --seed 1 --periods month --out "$DATA/city" >/dev/null 2>&1
echo "$N generated enterprises, 12 months; machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for M in $METHODS; do
  B=$DATA/$M
  rm -rf "$B" "$B-one" "$DATA/.dualdraw"
  $BIN draw prepare --from "$DATA/city" --out "$B" --batch bench --method "$M" \
    --allow-past-entropy --source lottery:bench:1:2026-01-01 >/dev/null
  cp -r "$B" "$B-one"
  cp "$DATA/.dualdraw/$M.secret" "$DATA/.dualdraw/$M-one.secret"
  /usr/bin/time -f "%e %M" -o "$DATA/time" $BIN draw run "$B" --entropy "1 2 3" >/dev/null
  read -r WALL RSS < "$DATA/time"
  RAYON_NUM_THREADS=1 taskset -c 0 $BIN draw run "$B-one" --entropy "1 2 3" >/dev/null
  SAME=yes
  for f in "$B"/plan/*.csv; do cmp -s "$f" "$B-one/plan/$(basename "$f")" || SAME=no; done
  python3 - "$B" "$M" "$WALL" "$RSS" "$SAME" <<'PY'
import csv, sys
b, m, wall, rss, same = sys.argv[1:]
def rows(name):
    with open(f"{b}/plan/{name}", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))
failed = {(r["visit"], r["department"]) for r in rows("failures.csv")}
visits = [r for r in rows("visits.csv") if r["pinned"] == "false"]
checks = sum(len(v["departments"].split(";")) for v in visits)
staffed = sum(1 for v in visits for d in v["departments"].split(";") if (v["visit"], d) not in failed)
unplanned = sum(len(r["departments"].split(";")) for r in rows("unplanned.csv"))
drawn = checks + unplanned
print(f"{m}: department checks drawn {drawn}, planned {checks}, planned with a complete team "
      f"{staffed} ({100 * staffed / max(drawn, 1):.1f} %), teams not formed {len(failed)}, "
      f"visits {len(visits)}")
try:
    bound = rows("bound.csv")
    pb = sum(int(r["planned_bound"]) for r in bound if r["planned_bound"] != "")
    print(f"  group checks {sum(int(r['checks']) for r in bound)}, planned {sum(int(r['planned']) for r in bound)}, "
          f"staffed {sum(int(r['staffed']) for r in bound)}, bound on planned {pb}; "
          f"visits {sum(int(r['visits']) for r in bound)}, lower bound {sum(int(r['visits_bound']) for r in bound)}")
except FileNotFoundError:
    pass
print(f"  draw run: wall {wall} s, peak RSS {rss} KiB; same plan bytes on 1 core and all: {same}")
PY
  rm -rf "$B-one"
done
[ "${KEEP:-0}" = 1 ] || rm -rf "$DATA"
