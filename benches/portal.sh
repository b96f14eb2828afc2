#!/usr/bin/env bash
# Figures of the public portal (docs/portal.md, "Figures"): p50/p99 and req/s of each public
# page and of the fairness check's proof JSON at 64 connections on a database of $N enterprises (default 1,000,000, made by
# `dualdraw gen` and imported as benches/foundation.sh does) with a revealed dr1 draw over the
# whole population, and the page weight of the home and lookup pages (HTML and every file they
# load). Needs wrk (apt-get install wrk), curl and jq.
#
#   benches/portal.sh                 # 1,000,000 enterprises, SQLite, 20 s per page
#   N=20000 SECONDS_PER_PAGE=3 benches/portal.sh   # a quick run that proves the script works
#   DATA=/tmp/portal-1000000 benches/portal.sh      # generated data (city, database, bundle) there
#   PAGES='/fair?batch=bench-q1&uscc={uscc} proof' benches/portal.sh   # only these pages
#
# Latencies depend on a quiet machine: the load average is printed with each page. So is the
# service's CPU time per request (user + system time of the `dualdraw serve` process over the
# page's run, from /proc, divided by the requests answered), which load changes far less.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
SECONDS_PER_PAGE=${SECONDS_PER_PAGE:-20}
PORT=${PORT:-18090}
OUT=${DATA:-bench-data/portal-$N}
if [ -z "${BIN:-}" ]; then
    BIN=target/release/dualdraw
    cargo build --release --quiet
fi
BIN=$(realpath "$BIN")
LUA=$PWD/benches/portal_page.lua
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
[ -f "$OUT/city/enterprises.csv" ] || $BIN gen --enterprises "$N" --seed 1 --out "$OUT/city" 2>/dev/null
cut -d, -f1 "$OUT/city/enterprises.csv" | tail -n +2 | awk 'NR % 97 == 0' > "$OUT/codes.txt"
load_average() { cut -d' ' -f1 /proc/loadavg; }

DB="sqlite://$OUT/portal.db"
if [ ! -f "$OUT/portal.db" ]; then
    echo "importing $N enterprises into $OUT/portal.db"
    for kind in departments enterprises items inspectors conflicts credit-records; do
        DATABASE_URL=$DB $BIN import "$kind" "$OUT/city/$kind.csv" >/dev/null 2>&1
    done
fi
cd "$OUT"
DATABASE_URL=$DB $BIN serve --bind "127.0.0.1:$PORT" --no-demo >serve.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
base="http://127.0.0.1:$PORT"
for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.2; done
if [ "$(curl -s "$base/api/v1/draws" | jq length)" = 0 ]; then
    echo "preparing, running and revealing draw bench-q1 over the whole population"
    token=$(DATABASE_URL=$DB $BIN token create --role planner --label portal-bench 2>/dev/null)
    body=$(jq -n --rawfile tasks city/tasks.csv --rawfile policy city/policy.csv --rawfile history city/history.csv \
        '{batch: "bench-q1", sources: ["lottery:bench:1:2026-01-01"], allow_past_entropy: true, tasks_csv: $tasks, policy_csv: $policy, history_csv: $history}')
    curl -sf -H "authorization: Bearer $token" -H 'content-type: application/json' -d "$body" "$base/api/v1/draws" >/dev/null
    curl -sf -H "authorization: Bearer $token" -H 'content-type: application/json' -d '{"entropy":["1 2 3"]}' "$base/api/v1/draws/bench-q1/run" >/dev/null
    curl -sf -H "authorization: Bearer $token" -H 'content-type: application/json' -d '{}' "$base/api/v1/draws/bench-q1/reveal" >/dev/null
fi
# Codes of the draw's population (operating enterprises), for the proof JSON (404 for others).
tail -n +2 bundles/bench-q1/inputs/population.csv | cut -d, -f1 | awk 'NR % 97 == 0' > population-codes.txt
code=$(head -1 codes.txt)
name=$(grep "^$code," city/enterprises.csv | cut -d, -f2)
fragment=${name: -6:3}

echo "page weight (bytes, uncompressed):"
weight() { # PATH...
    local total=0 b
    for p in "$@"; do
        b=$(curl -s -o /dev/null -w '%{size_download}' "$base$p")
        printf '  %-46s %8d\n' "$p" "$b"
        total=$((total + b))
    done
    printf '  %-46s %8d\n' "total" "$total"
}
echo " home:"; weight / /assets/portal.css /assets/icon.svg
echo " lookup by USCC (enterprise page):"; weight "/enterprises/$code" /assets/portal.css /assets/icon.svg
echo " lookup by name:"; weight "/enterprises?q=$(jq -rn --arg s "$fragment" '$s|@uri')" /assets/portal.css /assets/icon.svg

# CPU seconds (user + system) the service has used so far.
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$pid/stat"; }
# One page at 64 connections: wrk's line, then the service's CPU per request.
measure() { # PAGE CODES
    local before after line requests
    printf '  %-40s load %s: ' "$1" "$(load_average)"
    before=$(cpu_seconds)
    line=$(PAGE=$1 CODES=$2 wrk -t2 -c64 -d"${SECONDS_PER_PAGE}s" -s "$LUA" "$base" | tail -1)
    after=$(cpu_seconds)
    requests=$(sed -n 's/^requests \([0-9]*\),.*/\1/p' <<<"$line")
    echo "$line, service CPU $(awk -v a="$after" -v b="$before" -v n="${requests:-0}" \
        'BEGIN { if (n > 0) printf "%.0f", (a - b) * 1e6 / n; else printf "?" }') µs/request"
}
proof="/public/draws/bench-q1/proof/{uscc}"
echo "public pages, 64 connections, ${SECONDS_PER_PAGE} s each (N = $N):"
if [ -n "${PAGES:-}" ]; then
    read -ra pages <<<"$PAGES"
else
    pages=(/ /items /draws /draws/bench-q1 "/enterprises/{uscc}" /log "/fair?batch=bench-q1&uscc={uscc}"
        "/enterprises?q=$(jq -rn --arg s "$fragment" '$s|@uri')" proof)
fi
for page in "${pages[@]}"; do
    case $page in
        proof) measure "$proof" population-codes.txt ;;
        *) measure "$page" codes.txt ;;
    esac
done
