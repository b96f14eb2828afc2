#!/usr/bin/env bash
# The PostgreSQL results import of several builds, alternated on copies of one database, with
# the CPU seconds of the server backends serving each (docs/benchmarks.md): for comparing builds
# on a machine whose speed drifts, where one run of benches/results.sh per build is not enough.
#
# Usage: benches/results_alternate.sh BIN… (ROUNDS=2 rounds, each importing once with every
# build). Needs the database that benches/results.sh leaves (dd_results_bench) and its file of
# results; PG as in that script. The template dd_results_template is made from it afresh: its
# results and proposals deleted, its jobs back to `planned`, VACUUM FULL, ANALYZE.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
OUT=${OUT:-/tmp/dualdraw-bench/results-$N}
ROUNDS=${ROUNDS:-2}
[ $# -ge 1 ] || { echo "usage: $0 BIN…" >&2; exit 2; }
[ -f "$OUT/results.csv" ] || { echo "run benches/results.sh $N first" >&2; exit 2; }

jobs=$(psql -qAt "$PG/dd_results_bench" -c "SELECT count(*) FROM inspection_jobs WHERE batch = 'BENCH'" 2>/dev/null || echo 0)
[ "$jobs" = "$N" ] || { echo "dd_results_bench has $jobs jobs, not $N: run benches/results.sh $N first" >&2; exit 2; }
psql -q "$PG/test" -c "DROP DATABASE IF EXISTS dd_results_template" \
    -c "CREATE DATABASE dd_results_template TEMPLATE dd_results_bench"
psql -q "$PG/dd_results_template" <<'SQL'
DELETE FROM credit_proposals;
DELETE FROM inspection_results;
UPDATE inspection_jobs SET state = 'planned';
SQL
psql -q "$PG/dd_results_template" -c "VACUUM FULL" -c "ANALYZE"

. benches/pg_backends.sh

for round in $(seq "$ROUNDS"); do
    for bin in "$@"; do
        psql -q "$PG/test" -c "DROP DATABASE IF EXISTS dd_results_run" \
            -c "CREATE DATABASE dd_results_run TEMPLATE dd_results_template"
        psql -q "$PG/dd_results_run" -c CHECKPOINT
        DATABASE_URL=$PG/dd_results_run /usr/bin/time -o "$OUT/alternate-time.txt" -f "%e %U %S %M" \
            "$bin" inspection import "$OUT/results.csv" >/dev/null &
        pid=$!
        cpu=$(backends_cpu_while dd_results_run "$pid")
        wait "$pid"
        read -r wall user sys rss < "$OUT/alternate-time.txt"
        awk -v b="$bin" -v r="$round" -v n="$N" -v w="$wall" -v u="$user" -v s="$sys" -v m="$rss" -v c="$cpu" 'BEGIN {
            printf "round %d %s: wall %.2f s = %.0f rows/s; importer %.2f CPU-s, %.1f MiB; backends, CPU-s: %s\n",
                r, b, w, n / w, u + s, m / 1024, c
        }'
    done
done
psql -q "$PG/test" -c "DROP DATABASE IF EXISTS dd_results_run" -c "DROP DATABASE IF EXISTS dd_results_template"
