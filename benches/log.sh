#!/usr/bin/env bash
# Figures of the public draw log (docs/log.md §10), on a release build:
#   1. append and checkpoint 100,000 events (one transaction and one signed checkpoint each);
#   2. tiles and entry bundles served to 64 concurrent clients (wrk; target p99 <= 10 ms), after
#      a warm-up pass; then hash tiles alone and the checkpoint alone. Each mix ends with a line
#      `SUMMARY mode: req/s, p50, p90, p99`. WRK_THREADS (default 2) sets wrk's threads;
#      wrk shares the machine's cores with the service, so note the load printed;
#   3. `dualdraw log check` over the 100,000 events (HTTP, then a directory mirror).
# Usage: benches/log.sh [EVENTS] [DB_URL]   (default 100000, a fresh SQLite file)
# CHECKPOINT_EVERY=N signs a checkpoint every N events in step 1 (default 1: the figure to report;
# a larger N only to prepare a log quickly for step 2).
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${1:-100000}
WORK=$(mktemp -d)
DB=${2:-sqlite://$WORK/log.db}
PORT=${PORT:-18088}
BIN=target/release/dualdraw
cargo build --release --quiet
export DUALDRAW_LOG_KEY=$WORK/keys/log.key RUST_LOG=warn
echo "== $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD), $(nproc) cores, db ${DB%%\?*}"

echo "== 1. append and checkpoint $EVENTS events"
$BIN --db "$DB" log bench-append --events "$EVENTS" --checkpoint-every "${CHECKPOINT_EVERY:-1}"

echo "== 2. tiles to 64 concurrent clients"
$BIN --db "$DB" serve --no-demo --bind 127.0.0.1:$PORT > "$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/log/checkpoint" > /dev/null && break; sleep 0.2; done
FULL=$((EVENTS / 256))
if [ "$FULL" -lt 1 ]; then echo "needs at least 256 events for a full tile" >&2; exit 2; fi
# One wrk script per mix: MODE is "mixed" (hash tiles and entry bundles alternately, every full
# level-0 tile), "hashes" (hash tiles only) or "checkpoint" (the latest checkpoint only).
tiles_lua() {
  cat <<LUA
local n = 0
request = function()
  n = n + 1
  if "$1" == "checkpoint" then return wrk.format("GET", "/log/checkpoint") end
  local i = (n * 7919) % $FULL
  local p = string.format("%03d", i % 1000)
  if i >= 1000 then p = string.format("x%03d/", math.floor(i / 1000)) .. p end
  if "$1" == "hashes" or n % 2 == 0 then return wrk.format("GET", "/log/tile/0/" .. p) end
  return wrk.format("GET", "/log/tile/entries/" .. p)
end
LUA
}
# Prints wrk's figures and one summary line: req/s, p50, p90, p99 (and whether p99 <= 10 ms).
run_wrk() {
  local mode=$1 secs=$2
  tiles_lua "$mode" > "$WORK/$mode.lua"
  wrk -t"$WRK_THREADS" -c64 -d"${secs}s" --latency -s "$WORK/$mode.lua" "http://127.0.0.1:$PORT" \
    > "$WORK/$mode.txt"
  sed -n '1,20p' "$WORK/$mode.txt"
  awk -v mode="$mode" '
    $1 == "50%" { p50 = $2 } $1 == "90%" { p90 = $2 } $1 == "99%" { p99 = $2 }
    $1 == "Requests/sec:" { rps = $2 } $1 == "Transfer/sec:" { tps = $2 }
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    END { printf "SUMMARY %s: %s req/s, %s/s, p50 %.2f ms, p90 %.2f ms, p99 %.2f ms (target p99 <= 10 ms: %s)\n",
          mode, rps, tps, ms(p50), ms(p90), ms(p99), (ms(p99) <= 10 ? "met" : "NOT met") }' "$WORK/$mode.txt"
}
WRK_THREADS=${WRK_THREADS:-2}
echo "load before: $(uptime)"
# A first pass reads every full tile once (the service then holds them, docs/log.md §4).
run_wrk mixed 3 > /dev/null
echo "-- mixed: level-0 hash tiles and entry bundles, 64 connections, wrk -t$WRK_THREADS, 15 s"
run_wrk mixed 15
echo "-- hash tiles only, 10 s"
run_wrk hashes 10
echo "-- the checkpoint only, 10 s"
run_wrk checkpoint 10
echo "load after: $(uptime)"

echo "== 3. log check over $EVENTS events"
/usr/bin/time -f "log check (HTTP): %e s, max RSS %M KB" \
  $BIN log check "http://127.0.0.1:$PORT/log" --state "$WORK/state.json" > "$WORK/check.txt"
head -1 "$WORK/check.txt"; echo "($(($(wc -l < "$WORK/check.txt") - 1)) batches listed)"
$BIN log mirror "http://127.0.0.1:$PORT/log" "$WORK/mirror"
/usr/bin/time -f "log check (mirror): %e s, max RSS %M KB" \
  $BIN log check "$WORK/mirror" --state "$WORK/state.json" > "$WORK/check.txt"
head -1 "$WORK/check.txt"
