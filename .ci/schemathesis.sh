#!/usr/bin/env bash
# Schema-driven API fuzzing (docs/api.md, "Checking the document"): builds dualdraw, starts it on
# a fresh SQLite database with the demo city, makes an admin token, and runs schemathesis (pinned,
# installed from PyPI into a venv under target/) against the document the service serves at
# /api/v1/openapi.json. Every response must be a documented status with a documented content type,
# headers and body, and none may be a 5xx; a route that needs a token must answer 401 without
# one; a request the document allows must not be refused with 400 (.ci/schemathesis.toml). Any
# finding fails the run.
#
#   .ci/schemathesis.sh                 # default: 25 examples per operation
#   ST_EXAMPLES=100 .ci/schemathesis.sh # a longer run
#   DUALDRAW_BIN=path/to/dualdraw .ci/schemathesis.sh   # an already built binary
set -euo pipefail
cd "$(dirname "$0")/.."
version=4.32.5
examples=${ST_EXAMPLES:-25}
seed=${ST_SEED:-20261202}
venv=target/schemathesis-venv
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi
if [ -z "${DUALDRAW_BIN:-}" ]; then
    cargo build --quiet --bin dualdraw
    DUALDRAW_BIN=target/debug/dualdraw
fi
bin=$(realpath "$DUALDRAW_BIN")
work=$(mktemp -d)
server=""
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
export DATABASE_URL="sqlite://$work/fuzz.db" RUST_LOG=warn
"$bin" demo >/dev/null
admin=$("$bin" token create --role admin --label "schemathesis" | grep -o 'dd_[0-9a-f]*' | head -1)
port=$(( 20000 + RANDOM % 20000 ))
"$bin" serve --bind "127.0.0.1:$port" --no-demo --bundles "$work/bundles" 2>"$work/serve.log" &
server=$!
for _ in $(seq 150); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done
# Something behind every kind of identifier (.ci/schemathesis.toml names them): the demo city
# has credit records and repair requests 1-14; add a draw B1, run and revealed, whose job 1 has
# a published result that raised a credit proposal, and whose job 2 has a result left overdue.
base="http://127.0.0.1:$port/api/v1"
call() { curl -fsS -o /dev/null -H "authorization: Bearer $admin" -H 'content-type: application/json' "$@"; }
python3 -c 'import json, sys; print(json.dumps({"batch": "B1", "sources": ["lottery:福彩3D:2026001:2026-01-02"], "allow_past_entropy": True, "tasks_csv": open(sys.argv[1]).read(), "policy_csv": open(sys.argv[2]).read()}))' \
    seeds/demo/tasks.csv seeds/demo/policy.csv >"$work/draw.json"
call --data-binary @"$work/draw.json" "$base/draws"
call -d '{"entropy":["3 7 1"]}' "$base/draws/B1/run"
call -X POST "$base/draws/B1/reveal"
for job in 1 2; do
    member=$(curl -fsS -H "authorization: Bearer $admin" "$base/inspection-jobs/$job" |
        python3 -c 'import json, sys; j = json.load(sys.stdin); print(j["team"][0]["inspector"], *j["items"])')
    read -r inspector items <<<"$member"
    outcomes=$(for item in $items; do printf '"%s":"falsified",' "$item"; done)
    call -d '{"on":"2026-01-05"}' "$base/inspection-jobs/$job/notify"
    call -d "{\"inspector\":\"$inspector\",\"checked_on\":\"2026-01-10\",\"method\":\"on-site\",\"items\":{${outcomes%,}}}" \
        "$base/inspection-jobs/$job/result"
done
call -X POST "$base/inspection-results/1/publish?on=2026-01-12"
# schemathesis keeps its example database and reports in its working directory: target/.
report=$(realpath -m target/schemathesis)
config=$(realpath .ci/schemathesis.toml)
venv=$(realpath "$venv")
mkdir -p "$report"
cd "$report"
status=0
checks=not_a_server_error,status_code_conformance,content_type_conformance
checks=$checks,response_schema_conformance,response_headers_conformance
checks=$checks,missing_required_header,ignored_auth,positive_data_acceptance
# One worker: with two, hypothesis parses lambdas' source on two threads at once, and CPython
# 3.11.7 then sometimes fails inside `ast.parse` ("SystemError: AST constructor recursion depth
# mismatch"), a runtime error of the tool that failed a run with every API check passing.
"$venv/bin/schemathesis" --config-file "$config" \
    run "http://127.0.0.1:$port/api/v1/openapi.json" \
    --header "Authorization: Bearer $admin" \
    --checks "$checks" \
    --phases examples,coverage,fuzzing \
    --max-examples "$examples" --seed "$seed" --workers 1 --no-color \
    --request-timeout 30 \
    --generation-database none --report junit --report-dir "$report" || status=$?
if grep -q ' ERROR \| panicked' "$work/serve.log"; then
    echo "the service logged errors:"; grep ' ERROR \| panicked' "$work/serve.log" | head -20
    status=1
fi
exit $status
