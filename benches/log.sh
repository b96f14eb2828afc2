#!/usr/bin/env bash
# Figures of the public draw log (docs/log.md §10), on a release build:
#   1. append and checkpoint 100,000 events (one transaction and one signed checkpoint each);
#   2. tiles and entry bundles served to 64 concurrent clients (wrk; target p99 <= 10 ms);
#   3. `dualdraw log check` over the 100,000 events (HTTP, then a directory mirror).
# Usage: benches/log.sh [EVENTS] [DB_URL]   (default 100000, a fresh SQLite file)
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
$BIN --db "$DB" log bench-append --events "$EVENTS" --checkpoint-every 1

echo "== 2. tiles to 64 concurrent clients"
$BIN --db "$DB" serve --no-demo --bind 127.0.0.1:$PORT > "$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/log/checkpoint" > /dev/null && break; sleep 0.2; done
FULL=$((EVENTS / 256))
cat > "$WORK/tiles.lua" <<LUA
local n = 0
request = function()
  n = n + 1
  local i = (n * 7919) % $FULL
  local p = string.format("%03d", i % 1000)
  if i >= 1000 then p = string.format("x%03d/", math.floor(i / 1000)) .. p end
  if n % 2 == 0 then return wrk.format("GET", "/log/tile/0/" .. p) end
  return wrk.format("GET", "/log/tile/entries/" .. p)
end
LUA
wrk -t2 -c64 -d15s --latency -s "$WORK/tiles.lua" "http://127.0.0.1:$PORT" | sed -n '1,20p'

echo "== 3. log check over $EVENTS events"
/usr/bin/time -f "log check (HTTP): %e s, max RSS %M KB" \
  $BIN log check "http://127.0.0.1:$PORT/log" --state "$WORK/state.json" > "$WORK/check.txt"
head -1 "$WORK/check.txt"; echo "($(($(wc -l < "$WORK/check.txt") - 1)) batches listed)"
$BIN log mirror "http://127.0.0.1:$PORT/log" "$WORK/mirror"
/usr/bin/time -f "log check (mirror): %e s, max RSS %M KB" \
  $BIN log check "$WORK/mirror" --state "$WORK/state.json" > "$WORK/check.txt"
head -1 "$WORK/check.txt"
