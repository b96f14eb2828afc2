#!/usr/bin/env bash
# Figures of the JavaScript verifier (docs/js-verifier.md): makes a revealed dr1 bundle of a
# generated jurisdiction of N enterprises (gen, draw prepare, run, reveal) and times its
# verification by `dualdraw verify` (for comparison), by Node (web/verifier/cli.mjs) and by
# headless Chromium (the page web/verifier/index.html in a Web Worker).
#   benches/jsverify.sh          # N = 100000 and 1000000
#   benches/jsverify.sh 250000   # one N
#   DATA=/tmp/jsverify benches/jsverify.sh 1000000   # generated data in /tmp/jsverify/jsverify-N
# Needs GNU time, node, and chromium (apt-get install chromium). DUALDRAW_BIN=PATH uses that
# binary instead of building target/release/dualdraw (the bundle's bytes do not depend on it; the
# rust-verify line then times that binary).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${DUALDRAW_BIN:-}" ]; then BIN=$DUALDRAW_BIN; else BIN=target/release/dualdraw; cargo build --release --quiet; fi
t() { /usr/bin/time -f "  $1: wall %e s, peak RSS %M KiB" "${@:2}"; }
for N in "${@:-100000 1000000}"; do
  for n in $N; do
    OUT=${DATA:-bench-data}/jsverify-$n
    mkdir -p "$OUT"
    [ -f "$OUT/city/enterprises.csv" ] || $BIN gen --enterprises "$n" --seed 1 --out "$OUT/city" 2>/dev/null
    if [ ! -f "$OUT/bundle/secret.txt" ]; then
      rm -rf "$OUT/bundle" "$OUT/bundle.secret"
      $BIN draw prepare --from "$OUT/city" --out "$OUT/bundle" --batch bench --allow-past-entropy --source lottery:bench:1:2026-01-01 >/dev/null
      $BIN draw run "$OUT/bundle" --entropy "1 2 3" >/dev/null
      $BIN draw reveal "$OUT/bundle" >/dev/null 2>&1
    fi
    echo "dr1 verification of $n generated enterprises ($(du -shL "$OUT/bundle/" | cut -f1) bundle), $(date -u '+%Y-%m-%d %H:%M'), node $(node --version), $(chromium --version 2>/dev/null | head -1), load average $(cut -d' ' -f1-3 /proc/loadavg):"
    t "rust-verify ($BIN)" $BIN verify "$OUT/bundle" >/dev/null
    t node node web/verifier/cli.mjs "$OUT/bundle"
    node --experimental-websocket web/verifier/test/bench.mjs "$(realpath "$OUT/bundle")"
  done
done
