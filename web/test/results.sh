#!/usr/bin/env bash
# Browser test of the results pages (docs/workspace.md §3.6, docs/portal.md "抽查结果公告"):
# installs Debian's chromium and a CJK font when missing, builds dualdraw, starts it on a fresh
# SQLite database with the test city's fixtures, prepares and runs batch B1 over the API, creates
# tokens for a member of a staffed SCJG job and for the SCJG department, then runs
# web/test/results.mjs. Screenshots land in target/screenshots/results-*.png.
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
export DATABASE_URL="sqlite://$work/results.db" RUST_LOG=warn
for kind in departments items inspectors enterprises; do
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
base="http://127.0.0.1:$port"
tasks=$'id,department,group,items,regions,industries,quota_a,quota_b,quota_c,quota_d,period_from,period_to\nSCJG-G,SCJG,joint,SCJG-001,,,1/2,1/2,1/2,1/2,1,4\nSTHJ-G,STHJ,joint,STHJ-001,,,1/2,1/2,1/2,1/2,1,4\n'
policy=$'key,value\nyear,2026\nas_of,2026-01-01\nperiods,quarter\nvisit_cap_a,1\nvisit_cap_b,1\nvisit_cap_c,2\nvisit_cap_d,4\ninspectors_per_department,2\nexclusion_months,12\n'
body=$(node -e 'console.log(JSON.stringify({batch:"B1",sources:["lottery:福彩3D:2026001:2026-01-02"],allow_past_entropy:true,tasks_csv:process.argv[1],policy_csv:process.argv[2]}))' "$tasks" "$policy")
curl -fsS -o /dev/null -H "authorization: Bearer $planner" -H 'content-type: application/json' -d "$body" "$base/api/v1/draws"
curl -fsS -o /dev/null -H "authorization: Bearer $planner" -H 'content-type: application/json' -d '{"entropy":["3 7 1"]}' "$base/api/v1/draws/B1/run"
job=$(curl -fsS -H "authorization: Bearer $admin" "$base/api/v1/inspection-jobs?department=SCJG&limit=1000" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s).find(j=>j.team.length===2);console.log(j.id+" "+j.team[0].inspector+" "+j.uscc+" "+j.period_from)})')
read -r job_id member uscc from <<<"$job"
inspector=$("$bin" token create --role inspector --scope "$member" --label "检查员 $member" | grep -o 'dd_[0-9a-f]*' | head -1)
scjg=$("$bin" token create --role department --scope SCJG --label "市场监管 赵" | grep -o 'dd_[0-9a-f]*' | head -1)
RS_BASE="$base" RS_INSPECTOR="$inspector" RS_DEPARTMENT="$scjg" RS_JOB="$job_id" RS_USCC="$uscc" RS_FROM="$from" \
    node --experimental-websocket web/test/results.mjs
