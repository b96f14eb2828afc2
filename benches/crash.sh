#!/usr/bin/env bash
# Crash campaign (docs/draw-state.md §5): kill -9 during `dualdraw draw run`, `dualdraw draw
# reveal` and an HTTP draw (prepare, run or reveal through the service, in turn), TRIALS times
# each, at a random moment within the step's measured duration. After each kill it checks that
# the state (the database's row for the service, the manifest offline) and the bundle agree and
# `dualdraw verify` passes; where they do not, that the interrupted step can be taken again,
# after which they must agree and verify. Prints the counts per campaign.
#
# Usage: benches/crash.sh [TRIALS] [ENTERPRISES]      (defaults: 20, 200000)
# Needs curl and jq. Work files under bench-data/crash-N/. With CRASH_PG set (e.g.
# postgres://postgres@127.0.0.1:5432, psql needed) the HTTP campaign runs on PostgreSQL too.
set -uo pipefail
cd "$(dirname "$0")/.."
TRIALS=${1:-20}
N=${2:-200000}
BIN=$PWD/target/release/dualdraw
W=$PWD/bench-data/crash-$N
PORT=${CRASH_PORT:-18473}
cargo build --release --quiet || exit 1
mkdir -p "$W"
[ -f "$W/city/enterprises.csv" ] || "$BIN" gen --enterprises "$N" --seed 1 --out "$W/city" 2>/dev/null
# CLI steps on offline bundles: a database file that does not exist is never created.
export DATABASE_URL=sqlite:///nonexistent-dualdraw-crash/none.db RUST_LOG=warn

ms() { date +%s%3N; }
# A random delay in seconds, uniform in [0, $1 ms).
delay() { awk -v r="$RANDOM$RANDOM" -v d="$1" 'BEGIN { srand(r); printf "%.3f", rand() * d / 1000 }'; }
state_of() { jq -r .state "$1/manifest.json" 2>/dev/null || echo none; }
verifies() { "$BIN" verify "$1" >/dev/null 2>&1; }

# Copies bundle $1 (with its kept secret) to $2, a fresh directory.
copy_bundle() {
    rm -rf "$(dirname "$2")"
    mkdir -p "$(dirname "$2")" && mkdir -m 700 "$(dirname "$2")/.dualdraw"
    cp -a "$1" "$2"
    local kept; kept="$(dirname "$1")/.dualdraw/$(basename "$1").secret"
    [ -f "$kept" ] && cp -p "$kept" "$(dirname "$2")/.dualdraw/$(basename "$2").secret"
    return 0
}

echo "templates: prepare, run and reveal of $N generated enterprises (uninterrupted)"
T=$W/tpl
rm -rf "$T" && mkdir -p "$T"
"$BIN" draw prepare --from "$W/city" --out "$T/committed" --batch crash --allow-past-entropy \
    --source lottery:crash:1:2026-01-01 >/dev/null 2>&1 || { echo "prepare failed"; exit 1; }
copy_bundle "$T/committed" "$T/r/run"
t0=$(ms); "$BIN" draw run "$T/r/run" --entropy "1 2 3" 2>/dev/null || { echo "run failed"; exit 1; }
RUN_MS=$(($(ms) - t0))
copy_bundle "$T/r/run" "$T/v/revealed"
t0=$(ms); "$BIN" draw reveal "$T/v/revealed" >/dev/null 2>&1 || { echo "reveal failed"; exit 1; }
REVEAL_MS=$(($(ms) - t0))
echo "  run $RUN_MS ms, reveal $REVEAL_MS ms"

# One CLI campaign: $1 = run|reveal, $2 = template bundle, $3 = duration (ms), $4 = end state.
cli_campaign() {
    local step=$1 tpl=$2 dur=$3 want=$4 killed=0 agreed=0 repeated=0 failures=0 i
    local args=(); [ "$step" = run ] && args=(--entropy "1 2 3")
    for i in $(seq 1 "$TRIALS"); do
        local b=$W/cli/b
        copy_bundle "$tpl" "$b"
        "$BIN" draw "$step" "$b" "${args[@]}" >/dev/null 2>&1 &
        local pid=$!
        sleep "$(delay "$dur")"
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        [ $? -eq 137 ] && killed=$((killed + 1))
        if [ "$(state_of "$b")" = "$want" ] && verifies "$b"; then
            agreed=$((agreed + 1))
        elif "$BIN" draw "$step" "$b" "${args[@]}" >/dev/null 2>&1 \
            && [ "$(state_of "$b")" = "$want" ] && verifies "$b"; then
            repeated=$((repeated + 1))
        else
            failures=$((failures + 1)); echo "  trial $i: FAILED (state $(state_of "$b"))"
            cp -a "$W/cli" "$W/failed-$step-$i"
        fi
        if [ "$want" = revealed ] && [ -e "$W/cli/.dualdraw/b.secret" ]; then
            # A reveal killed after its manifest and before removing the kept copy: a repeated
            # reveal (refused, already revealed) removes it.
            "$BIN" draw reveal "$b" >/dev/null 2>&1
            [ -e "$W/cli/.dualdraw/b.secret" ] && { failures=$((failures + 1)); echo "  trial $i: kept secret left"; }
        fi
    done
    echo "draw $step (CLI, offline bundle): $TRIALS trials, $killed killed during the step," \
        "$agreed consistent as found, $repeated repeated successfully, $failures failures"
    FAILED=$((FAILED + failures))
}

FAILED=0
cli_campaign run "$T/committed" "$RUN_MS" run
cli_campaign reveal "$T/r/run" "$REVEAL_MS" revealed

# --- the service ---------------------------------------------------------------------------
BASE=http://127.0.0.1:$PORT/api/v1
SERVER=
start_server() {
    "$BIN" --db "$DB" serve --bind "127.0.0.1:$PORT" --bundles "$H/bundles" --no-demo \
        >>"$H/server.log" 2>&1 &
    SERVER=$!
    for _ in $(seq 1 200); do
        curl -sf "$BASE/draws" >/dev/null && return 0
        sleep 0.05
    done
    echo "the service did not start"; exit 1
}
stop_server() { kill -9 "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; }
trap stop_server EXIT
# Takes step $2 (prepare|run|reveal) of batch $1; prints the HTTP status.
http_step() {
    case $2 in
    prepare)
        jq -n --arg b "$1" --rawfile t "$W/city/tasks.csv" --rawfile p "$W/city/policy.csv" \
            '{batch: $b, sources: ["lottery:crash:1:2026-01-01"], allow_past_entropy: true, tasks_csv: $t, policy_csv: $p}' |
            curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
                -H 'Content-Type: application/json' --data-binary @- "$BASE/draws" ;;
    run)
        curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
            -H 'Content-Type: application/json' -d '{"entropy":["1 2 3"]}' "$BASE/draws/$1/run" ;;
    reveal)
        curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
            -X POST "$BASE/draws/$1/reveal" ;;
    esac
}
row_state() {
    curl -s "$BASE/draws/$1" | jq -r '.state // "none"'
}
after() { case $1 in prepare) echo committed ;; run) echo run ;; reveal) echo revealed ;; esac; }
before() { case $1 in prepare) echo none ;; run) echo committed ;; reveal) echo run ;; esac; }


# One HTTP campaign: $1 = database URL (empty, migrated on start), $2 = its name.
http_campaign() {
    DB=$1 LABEL=$2 H=$W/http-${2,,}
    rm -rf "$H" && mkdir -p "$H"
    echo "service: importing the city into $DB"
    for kind in departments items inspectors enterprises conflicts credit-records; do
        [ -f "$W/city/$kind.csv" ] || continue
        "$BIN" --db "$DB" import "$kind" "$W/city/$kind.csv" >/dev/null 2>&1 || { echo "import $kind failed"; exit 1; }
    done
    TOKEN=$("$BIN" --db "$DB" token create --role planner --label crash 2>/dev/null | tail -n 1)
    local killed agreed repeated failures i batch target client row found ok code s t0
    start_server
    echo "service: measuring one uninterrupted draw"
    declare -A HTTP_MS
    for s in prepare run reveal; do
        t0=$(ms); code=$(http_step warm "$s"); HTTP_MS[$s]=$(($(ms) - t0))
        [ "${code:0:1}" = 2 ] || { echo "warm-up $s: HTTP $code"; exit 1; }
    done
    echo "  prepare ${HTTP_MS[prepare]} ms, run ${HTTP_MS[run]} ms, reveal ${HTTP_MS[reveal]} ms"

    killed=0 agreed=0 repeated=0 failures=0
    steps=(prepare run reveal)
    for i in $(seq 1 "$TRIALS"); do
        batch=t$i
        target=${steps[$(( (i - 1) % 3 ))]}
        for s in "${steps[@]}"; do
            [ "$s" = "$target" ] && break
            http_step "$batch" "$s" >/dev/null
        done
        http_step "$batch" "$target" >"$H/client" &
        client=$!
        sleep "$(delay "${HTTP_MS[$target]}")"
        kill -9 "$SERVER" 2>/dev/null
        wait "$SERVER" 2>/dev/null
        wait "$client" 2>/dev/null
        # The step was interrupted unless its answer (2xx) came before the kill.
        [ "$(head -c 1 "$H/client")" = 2 ] || killed=$((killed + 1))
        start_server
        row=$(row_state "$batch")
        found=$(state_of "$H/bundles/$batch")
        ok=1
        if [ "$row" = "$found" ]; then
            case $row in
            "$(after "$target")") agreed=$((agreed + 1)) ;;
            "$(before "$target")")
                # Killed before anything was renamed into place: the step is taken again.
                agreed=$((agreed + 1))
                code=$(http_step "$batch" "$target"); [ "${code:0:1}" = 2 ] || ok=0 ;;
            *) ok=0 ;;
            esac
        else
            code=$(http_step "$batch" "$target")
            if [ "${code:0:1}" = 2 ] && [ "$(row_state "$batch")" = "$(state_of "$H/bundles/$batch")" ]; then
                repeated=$((repeated + 1))
            else
                ok=0
            fi
        fi
        # Finish the draw and verify it.
        if [ "$ok" = 1 ]; then
            for s in "${steps[@]}"; do
                case "$(row_state "$batch"):$s" in
                committed:run | run:reveal) http_step "$batch" "$s" >/dev/null ;;
                esac
            done
            # A reveal killed after its commit leaves the kept copy; a later reveal removes it.
            [ -e "$H/bundles/.dualdraw/$batch.secret" ] && http_step "$batch" reveal >/dev/null
            [ "$(row_state "$batch")" = revealed ] && [ "$(state_of "$H/bundles/$batch")" = revealed ] \
                && verifies "$H/bundles/$batch" && [ ! -e "$H/bundles/.dualdraw/$batch.secret" ] || ok=0
        fi
        if [ "$ok" = 0 ]; then
            failures=$((failures + 1))
            echo "  trial $i ($target): FAILED (row $row, bundle $found, now row $(row_state "$batch"), bundle $(state_of "$H/bundles/$batch"))"
        fi
    done
    echo "HTTP draw (service on $LABEL; prepare, run, reveal in turn): $TRIALS trials," \
        "$killed killed during the step, $agreed with row and bundle agreeing as found, $repeated repeated successfully," \
        "$failures failures"
    FAILED=$((FAILED + failures))
    stop_server
}

http_campaign "sqlite://$W/http-sqlite/db.sqlite" SQLite
if [ -n "${CRASH_PG:-}" ]; then
    # CRASH_PG=postgres://postgres@127.0.0.1:5432: a database dualdraw_crash is made afresh.
    psql "$CRASH_PG/postgres" -qc "DROP DATABASE IF EXISTS dualdraw_crash" \
        -c "CREATE DATABASE dualdraw_crash" >/dev/null || exit 1
    http_campaign "$CRASH_PG/dualdraw_crash" PostgreSQL
fi
exit $((FAILED > 0))
