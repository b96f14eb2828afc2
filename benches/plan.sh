#!/usr/bin/env bash
# Figures of the annual plan (README, "Figures"): a generated jurisdiction of N enterprises
# (default 1,000,000), 20 departments, 12 monthly periods, planned with method $METHOD (default
# dr2; METHOD=dr3 for key supervision per department and capacity by specialty): prepare,
# run (draw + optimization + inspectors), verify and the plan report, each with wall time and
# peak memory. Needs GNU time. 20,000,000 needs about 30 GB of disk for the data.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
METHOD=${METHOD:-dr2}
OUT=bench-data/plan-$N
BIN=target/release/dualdraw
cargo build --release --quiet
mkdir -p bench-data
[ -f "$OUT/city/enterprises.csv" ] || $BIN gen --enterprises "$N" --seed 1 --periods month --out "$OUT/city" 2>/dev/null
rm -rf "$OUT/bundle" "$OUT/.dualdraw"
echo "== $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
t() { /usr/bin/time -f "  $1: wall %e s, peak RSS %M KiB" "${@:2}"; }
echo "$METHOD annual plan of $N generated enterprises (12 months, 20 departments):"
t prepare $BIN draw prepare --from "$OUT/city" --out "$OUT/bundle" --batch bench --method "$METHOD" --allow-past-entropy --source lottery:bench:1:2026-01-01 >/dev/null
t run $BIN draw run "$OUT/bundle" --entropy "1 2 3"
$BIN draw reveal "$OUT/bundle" >/dev/null 2>&1
t verify $BIN verify "$OUT/bundle"
$BIN plan report "$OUT/bundle" | head -4
