#!/usr/bin/env bash
# Figures of the draw (README, "Figures"): prepare, run and verify of a generated jurisdiction
# of N enterprises (default 1,000,000; 20,000,000 needs about 1.5 GB of memory and ~3 minutes),
# with the time of sha256sum over the same population file for comparison. Needs GNU time.
# SKIP_PYTHON=1 leaves out the Python verifier (hours at 20,000,000).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
OUT=bench-data/draw-$N
BIN=target/release/dualdraw
cargo build --release --quiet
mkdir -p bench-data
[ -f "$OUT/city/enterprises.csv" ] || $BIN gen --enterprises "$N" --seed 1 --out "$OUT/city" 2>/dev/null
rm -rf "$OUT/bundle" "$OUT/.dualdraw"
t() { /usr/bin/time -f "  $1: wall %e s, peak RSS %M KiB" "${@:2}"; }
echo "dr1 on $N generated enterprises:"
t prepare $BIN draw prepare --from "$OUT/city" --out "$OUT/bundle" --batch bench --allow-past-entropy --source lottery:bench:1:2026-01-01 >/dev/null
t run $BIN draw run "$OUT/bundle" --entropy "1 2 3"
$BIN draw reveal "$OUT/bundle" >/dev/null 2>&1
t verify $BIN verify "$OUT/bundle"
t sha256sum sha256sum "$OUT/bundle/inputs/population.csv" >/dev/null
if [ -z "${SKIP_PYTHON:-}" ] && command -v python3 >/dev/null; then t python-verifier python3 verifiers/python/verify_dr1.py "$OUT/bundle"; fi
