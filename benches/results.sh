#!/usr/bin/env bash
# Figures of one public (docs/results.md): on N generated enterprises (default 1,000,000), each
# with one inspection job of a synthetic batch BENCH (team BENCH-1, BENCH-2; written by SQL, not
# by a draw, so that only the results are measured):
#   1. `dualdraw inspection import` of N results (rows/s, peak RSS) into SQLite and PostgreSQL,
#      with the CPU seconds it took (user + sys: stable when the machine is shared) and, on
#      PostgreSQL, those of the server processes serving it;
#   2. the overdue-publication list over the N unpublished results, then with 1 % unpublished;
#   3. GET /api/v1/public/enterprises/{uscc}/inspection-results at 64 connections, 20 s (wrk).
# Usage: benches/results.sh [N]. Needs wrk, sqlite3, psql and GNU time; PostgreSQL at $PG
# (default postgres://postgres@127.0.0.1:5432). BIN=… measures another build; PORT=… moves the
# services; the generated data is kept in $OUT (default /tmp/dualdraw-bench/results-N).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
PORT=${PORT:-18090} # the SQLite service; PostgreSQL's on PORT + 1
OUT=${OUT:-/tmp/dualdraw-bench/results-$N}
if [ -z "${BIN:-}" ]; then
    BIN=target/release/dualdraw
    cargo build --release --quiet
fi
mkdir -p "$OUT"
[ -f "$OUT/city/enterprises.csv" ] || $BIN gen --enterprises "$N" --seed 1 --out "$OUT/city" >/dev/null
DEPT=$(sed -n 2p "$OUT/city/departments.csv" | cut -d, -f1)
cut -d, -f1 "$OUT/city/enterprises.csv" | tail -n +2 | awk 'NR % 97 == 1' > "$OUT/codes.txt"
# One result per enterprise: every 1,000th unreachable (a credit proposal), the rest clean.
awk -F, -v d="$DEPT" 'NR == 1 { print "抽查批次,检查编号,部门代码,检查人员编号,检查日期,检查方式,检查结果,后续处置"; next }
    { day = sprintf("2026-02-%02d", (NR % 28) + 1); cat = (NR % 1000 == 0) ? "通过登记的住所（经营场所）无法联系" : "未发现问题";
      print "BENCH,g/" $1 "," d ",BENCH-1," day ",实地," cat "," }' "$OUT/city/enterprises.csv" > "$OUT/results.csv"

load_average() { cut -d' ' -f1 /proc/loadavg; }

. benches/pg_backends.sh

# CPU seconds (user + sys) of the PostgreSQL server processes of database $1 while $2 (a pid)
# runs, summed.
pg_cpu_while() {
    backends_cpu_while "$1" "$2" | awk '{ for (i = 1; i <= NF; i++) s += $i } END { printf "%.2f", s }'
}

JOBS="INSERT INTO inspection_jobs (batch, visit, department, uscc, region, period, period_from, period_to, tasks, items, state, note, created_at, updated_at)
  SELECT 'BENCH', 'g/' || uscc, '$DEPT', uscc, region, 1, '2026-01-01', '2026-03-31', 'T', 'ITEM', 'planned', '', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z' FROM enterprises;
INSERT INTO job_members (job_id, inspector, source, priority, active) SELECT id, 'BENCH-1', 'drawn', '0', 1 FROM inspection_jobs WHERE batch = 'BENCH';
INSERT INTO job_members (job_id, inspector, source, priority, active) SELECT id, 'BENCH-2', 'drawn', '1', 1 FROM inspection_jobs WHERE batch = 'BENCH';"

setup() { # URL SQL-RUNNER…
    local url=$1; shift
    DATABASE_URL=$url $BIN import departments "$OUT/city/departments.csv" 2>/dev/null
    DATABASE_URL=$url $BIN import enterprises "$OUT/city/enterprises.csv" 2>/dev/null
    echo "$JOBS" | "$@"
}

measure() { # URL PORT
    local url=$1 port=$2
    echo "  import of $N results, load $(load_average):"
    DATABASE_URL=$url /usr/bin/time -o "$OUT/time.txt" -f "%e %U %S %M" \
        $BIN inspection import "$OUT/results.csv" 2>&1 | sed 's/^/    /' &
    local importer=$!
    local server_cpu=""
    case $url in
        postgres*) server_cpu=$(pg_cpu_while "${url##*/}" "$importer") ;;
    esac
    wait "$importer"
    read -r wall user sys rss < "$OUT/time.txt"
    awk -v n="$N" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v pg="$server_cpu" -v l="$(load_average)" 'BEGIN {
        printf "    wall %.2f s = %.0f rows/s; CPU %.2f s (user %.2f + sys %.2f) = %.0f rows per CPU-second; peak RSS %.1f MiB; load after %s\n",
            w, n / w, u + s, u, s, n / (u + s), r / 1024, l
        if (pg != "") printf "    PostgreSQL server processes: CPU %.2f s; %.0f rows per CPU-second of importer and server together\n", pg, n / (u + s + pg)
    }'
    echo "  overdue list (first 1,000 of $N unpublished), load $(load_average):"
    DATABASE_URL=$url /usr/bin/time -f "    wall %e s" $BIN inspection overdue --on 2026-12-31 --limit 1000 2>&1 >/dev/null | sed 's/^/    /'
    echo "UPDATE inspection_results SET published_on = checked_on WHERE id % 100 <> 0;" | sql_of "$url"
    echo "  overdue list (1 % unpublished), load $(load_average):"
    DATABASE_URL=$url /usr/bin/time -f "    wall %e s" $BIN inspection overdue --on 2026-12-31 --limit 1000 2>&1 >/dev/null | sed 's/^/    /'
    # The read is measured on a settled database, as a service meets it: the UPDATE above left
    # 990,000 row versions in SQLite's write-ahead log or PostgreSQL's heap, which a checkpoint
    # or (auto)vacuum clears in normal running.
    case $url in
        sqlite://*) echo "PRAGMA wal_checkpoint(TRUNCATE);" | sql_of "$url" >/dev/null ;;
        *) echo "VACUUM ANALYZE inspection_results;" | sql_of "$url" ;;
    esac
    DATABASE_URL=$url $BIN serve --bind "127.0.0.1:$port" --no-demo >/dev/null 2>&1 &
    local pid=$!
    sleep 2
    kill -0 "$pid" 2>/dev/null || { echo "the service did not start on port $port (in use? set PORT=…)" >&2; exit 1; }
    echo "  GET /api/v1/public/enterprises/{uscc}/inspection-results, 64 connections, 20 s, load $(load_average):"
    CODES=$OUT/codes.txt wrk -t2 -c64 -d20s -s benches/public_results.lua "http://127.0.0.1:$port" | tail -1 | sed 's/^/    /'
    kill "$pid"
}

sql_of() { # URL: a command reading SQL on stdin for this database
    case $1 in
        sqlite://*) sqlite3 "${1#sqlite://}" ;;
        *) psql -q "$1" ;;
    esac
}

echo "SQLite, $N results:"
rm -f "$OUT"/bench.db*
setup "sqlite://$OUT/bench.db" sqlite3 "$OUT/bench.db"
measure "sqlite://$OUT/bench.db" "$PORT"
echo "PostgreSQL, $N results:"
psql "$PG/test" -qc "DROP DATABASE IF EXISTS dd_results_bench" -c "CREATE DATABASE dd_results_bench" 2>/dev/null
setup "$PG/dd_results_bench" psql -q "$PG/dd_results_bench"
psql "$PG/dd_results_bench" -qc "ANALYZE" -c CHECKPOINT
measure "$PG/dd_results_bench" $((PORT + 1))
