#!/usr/bin/env bash
# Browser test of the public portal (docs/portal.md): installs Debian's chromium (and a CJK
# font, so the screenshots are readable) when missing, builds dualdraw, then runs
# web/test/portal.mjs. Screenshots land in target/screenshots/.
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
DUALDRAW_BIN=target/debug/dualdraw exec node --experimental-websocket web/test/portal.mjs
