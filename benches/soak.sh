#!/usr/bin/env bash
# The soak campaign (docs/http-limits.md, "Soak campaign"): for each database, a release
# `dualdraw serve` on a fresh database (the demo city), CLIENTS concurrent clients for SECONDS
# mixing reads, repair steps, small imports (some invalid: 422 expected) and small draws
# (benches/soak/), then `dualdraw audit verify`. Fails on any unexpected status, any 5xx or a
# broken audit chain. Everything on 127.0.0.1; figures in target/soak/DB.json.
#   CLIENTS=64 SECONDS=300 DBS="sqlite postgres" PG=postgres://postgres@127.0.0.1:5432 benches/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS=${CLIENTS:-64}
DURATION=${SECONDS_OVERRIDE:-${SOAK_SECONDS:-300}}
DBS=${DBS:-"sqlite postgres"}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
OUT=${OUT:-target/soak}
cargo build --release --quiet --bin dualdraw --example soak
BIN=$PWD/target/release/dualdraw
SOAK=$PWD/target/release/examples/soak
mkdir -p "$OUT"
status=0
for db in $DBS; do
  work=$(mktemp -d)
  case $db in
    sqlite) url="sqlite://$work/soak.db" ;;
    postgres)
      name="dd_soak_$$"
      psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
      url="$PG/$name" ;;
    *) echo "unknown database $db" >&2; exit 2 ;;
  esac
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  (cd "$work" && RUST_LOG=warn exec "$BIN" serve --db "$url" --bind "127.0.0.1:$port" --bundles "$work/bundles") >"$work/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 240); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
    sleep 0.5
  done
  token() { "$BIN" token create --db "$url" --role "$1" --label "soak-$1"; }
  admin=$(token admin); credit=$(token credit); planner=$(token planner)
  echo "== $db: $CLIENTS clients, $DURATION s (server pid $pid, $url)"
  rc=0
  "$SOAK" "http://127.0.0.1:$port" "$admin" "$credit" "$planner" seeds/demo "$CLIENTS" "$DURATION" >"$OUT/$db.json" || rc=$?
  peak=$(awk '/VmHWM/ {print $2, $3}' "/proc/$pid/status")
  kill "$pid"; wait "$pid" || true
  verify=$("$BIN" audit verify --db "$url" 2>&1) || rc=1
  python3 - "$OUT/$db.json" "$peak" "$verify" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"requests {s['requests']} ({s['requests_per_second']}/s), p50 {s['p50_ms']} ms, p99 {s['p99_ms']} ms, "
      f"5xx {s['responses_5xx']}, unexpected {s['unexpected']}, server peak RSS {sys.argv[2]}")
for k, v in s["kinds"].items():
    print(f"  {k:15} {v['requests']:8}  statuses {v['statuses']}  p50 {v['p50_ms']} ms  p99 {v['p99_ms']} ms")
for u in s["first_unexpected"]:
    print("  UNEXPECTED", u)
print("  audit verify:", sys.argv[3].strip().splitlines()[-1] if sys.argv[3].strip() else "(no output)")
PY
  [ "$rc" -eq 0 ] || status=1
  if [ "$db" = postgres ]; then psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)"; fi
  rm -rf "$work"
done
exit $status
