#!/usr/bin/env bash
# Figures of key supervision per department (docs/benchmarks.md, "Key supervision per department
# (dr3)"; docs/domain.md, "Generated years"): a generated year of N enterprises (default 100,000)
# by month, planned with dr2 and with dr3 from the same directory and entropy; for each, the
# selections, how many are key-supervision checks, the visits, and per department the demand
# (inspectors_per_department × drawn checks) against the yearly capacity of its certified
# inspectors. Data under /tmp/keysup-N (deleted unless KEEP=1).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
OUT=/tmp/keysup-$N
BIN=target/release/dualdraw
cargo build --release --quiet
rm -rf "$OUT"
mkdir -p "$OUT"
$BIN gen --enterprises "$N" --seed 1 --periods month --out "$OUT/city" -q >/dev/null 2>&1
for m in dr2 dr3; do
    /usr/bin/time -f "  $m prepare+run: wall %e s, peak RSS %M KiB" sh -c "
        $BIN draw prepare --from '$OUT/city' --out '$OUT/$m' --batch bench --method $m \
            --allow-past-entropy --source lottery:bench:1:2026-01-01 >/dev/null &&
        $BIN draw run '$OUT/$m' --entropy '1 2 3' >/dev/null"
done
python3 - "$OUT" <<'PY'
import csv, sys
from collections import Counter
out = sys.argv[1]
def rows(p):
    with open(p, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))
policy = {r["key"]: r["value"] for r in rows(f"{out}/dr3/inputs/policy.csv")}
k = int(policy["inspectors_per_department"])
cap = Counter()
for i in rows(f"{out}/dr3/inputs/inspectors.csv"):
    if i["valid_from"] <= "2026-01-01" and i["valid_until"] >= "2026-12-31":
        cap[i["department"]] += int(i["capacity"])
dept = {t["id"]: t["department"] for t in rows(f"{out}/dr3/inputs/tasks.csv")}
ratios = {}
for m in ("dr2", "dr3"):
    sel = rows(f"{out}/{m}/plan/selections.csv")
    visits = rows(f"{out}/{m}/plan/visits.csv")
    unplanned = rows(f"{out}/{m}/plan/unplanned.csv")
    key = sum(1 for s in sel if s["basis"] == "key")
    held = len({s["uscc"] for s in sel if s["basis"] == "key"})
    per = Counter(dept[s["task"]] for s in sel)
    ratios[m] = {d: k * per[d] * 100 / cap[d] for d in sorted(cap)}
    print(f"{m}: {len(sel)} selections, {key} key-supervision checks on {held} enterprises, "
          f"{len(visits)} visits, {len(unplanned)} checks unplanned")
print("demand/capacity by department (k × drawn checks ÷ yearly capacity), dr2 → dr3:")
print("  " + ", ".join(f"{d} {ratios['dr2'][d]:.0f}%→{ratios['dr3'][d]:.0f}%" for d in sorted(cap)))
r = sorted(ratios["dr3"].values())
print(f"dr3: {sum(1 for x in r if 40 <= x <= 90)} of {len(r)} departments at 40–90 %, "
      f"{sum(1 for x in r if 100 <= x <= 130)} at 100–130 %, min {r[0]:.0f}%, max {r[-1]:.0f}%")
PY
[ "${KEEP:-0}" = 1 ] || rm -rf "$OUT"
