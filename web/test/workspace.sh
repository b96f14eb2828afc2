#!/usr/bin/env bash
# Browser test of the officials' workspace (docs/workspace.md §5): installs Debian's chromium
# (and a CJK font, so the screenshots are readable) when missing, builds dualdraw, starts it on a
# fresh SQLite database with the test city's directories and a planner's and an admin's token,
# then runs web/test/workspace.mjs. Screenshots land in target/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/../.."
need=()
command -v chromium >/dev/null || need+=(chromium chromium-driver)
fc-list 2>/dev/null | grep -qi 'wenquanyi\|noto sans cjk' || need+=(fonts-wqy-zenhei)
if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]}"
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
    else sudo apt-get update -qq && sudo apt-get install -y -qq "${need[@]}" >/dev/null; fi
fi
cargo build --quiet --bin dualdraw
bin=target/debug/dualdraw
work=$(mktemp -d)
server=""
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
export DATABASE_URL="sqlite://$work/workspace.db" RUST_LOG=warn
for kind in departments items inspectors; do
    "$bin" import "$kind" "tests/fixtures/$kind.csv" >/dev/null
done
admin=$("$bin" token create --role admin --label "管理员 王" | grep -o 'dd_[0-9a-f]*' | head -1)
planner=$("$bin" token create --role planner --label "计划科 李" | grep -o 'dd_[0-9a-f]*' | head -1)
port=$(( 20000 + RANDOM % 20000 ))
"$bin" serve --bind "127.0.0.1:$port" --no-demo --bundles "$work/bundles" &
server=$!
for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done
WS_BASE="http://127.0.0.1:$port" WS_ADMIN="$admin" WS_PLANNER="$planner" \
    node --experimental-websocket web/test/workspace.mjs
