#!/usr/bin/env bash
# Figures of the service foundation (README, "Figures"): import of 1,000,000 enterprise rows into
# SQLite and PostgreSQL (rows/s, peak memory), and GET /api/v1/enterprises/{uscc} on the
# 1,000,000-enterprise database at 64 connections (req/s, p99). Needs wrk (apt-get install wrk)
# and GNU time; PostgreSQL at $PG (default postgres://postgres@127.0.0.1:5432).
#
# Every figure is measured $REPEAT times (default 3): the machine is shared, so read the spread,
# and the load average printed with each run, not one number. BIN=… measures another build.
set -euo pipefail
cd "$(dirname "$0")/.."
PG=${PG:-postgres://postgres@127.0.0.1:5432}
REPEAT=${REPEAT:-3}
OUT=bench-data
if [ -z "${BIN:-}" ]; then
    BIN=target/release/dualdraw
    cargo build --release --quiet
fi
mkdir -p "$OUT"
[ -f "$OUT/1m/enterprises.csv" ] || $BIN gen --enterprises 1000000 --seed 1 --out "$OUT/1m"
cut -d, -f1 "$OUT/1m/enterprises.csv" | tail -n +2 | awk 'NR % 97 == 0' > "$OUT/codes.txt"

load_average() { cut -d' ' -f1 /proc/loadavg; }

import() { # URL
    DATABASE_URL=$1 $BIN import departments "$OUT/1m/departments.csv" 2>/dev/null
    DATABASE_URL=$1 /usr/bin/time -f "  wall %e s, peak RSS %M KiB, load $(load_average)" \
        $BIN import enterprises "$OUT/1m/enterprises.csv" 2>&1 | grep wall
    DATABASE_URL=$1 $BIN import credit-records "$OUT/1m/credit-records.csv" 2>/dev/null
}

load() { # URL PORT
    DATABASE_URL=$1 $BIN serve --bind "127.0.0.1:$2" --no-demo 2>/dev/null &
    local pid=$!
    sleep 2
    local token
    token=$(DATABASE_URL=$1 $BIN token create --role planner --label bench 2>/dev/null)
    for _ in $(seq "$REPEAT"); do
        echo "  planner token (tier, reason, all records), load $(load_average):"
        TOKEN=$token wrk -t2 -c64 -d20s -s benches/get_enterprise.lua "http://127.0.0.1:$2" | tail -1
        echo "  anonymous (registration, records in publicity), load $(load_average):"
        wrk -t2 -c64 -d20s -s benches/get_enterprise.lua "http://127.0.0.1:$2" | tail -1
    done
    kill "$pid"
}

for run in $(seq "$REPEAT"); do
    echo "SQLite import of 1,000,000 enterprises ($run/$REPEAT):"
    rm -f "$OUT"/bench.db*
    import "sqlite://$OUT/bench.db"
    echo "PostgreSQL import of 1,000,000 enterprises ($run/$REPEAT):"
    psql "$PG/test" -qc "DROP DATABASE IF EXISTS dd_bench" -c "CREATE DATABASE dd_bench" 2>/dev/null
    import "$PG/dd_bench"
done
echo "GET /api/v1/enterprises/{uscc}, SQLite, 64 connections, 20 s:"
load "sqlite://$OUT/bench.db" 18080
echo "GET /api/v1/enterprises/{uscc}, PostgreSQL, 64 connections, 20 s:"
# The import's dirty pages are written out first, so that the server's next checkpoint does not
# land in the measurement.
psql "$PG/dd_bench" -qc CHECKPOINT
load "$PG/dd_bench" 18081
