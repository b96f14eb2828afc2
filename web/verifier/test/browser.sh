#!/usr/bin/env bash
# Browser test of the JavaScript verifier page (docs/js-verifier.md): installs Debian's
# chromium (and a CJK font, so the screenshots are readable) when missing, then runs
# web/verifier/test/browser.mjs. Screenshots land in target/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/../../.."
need=()
command -v chromium >/dev/null || need+=(chromium chromium-driver)
fc-list 2>/dev/null | grep -qi 'wenquanyi\|noto sans cjk' || need+=(fonts-wqy-zenhei)
if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]}"
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
    else sudo apt-get update -qq && sudo apt-get install -y -qq "${need[@]}" >/dev/null; fi
fi
exec node --experimental-websocket web/verifier/test/browser.mjs
