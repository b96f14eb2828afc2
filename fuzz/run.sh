#!/usr/bin/env bash
# Runs every fuzz target for SECONDS seconds, one after the other, on one core
# (docs/fuzzing.md). Installs cargo-fuzz if it is missing. Exits non-zero on the first crash;
# the crashing input is left in fuzz/artifacts/TARGET/.
#
#   fuzz/run.sh 20     # the CI run
#   fuzz/run.sh 600    # the campaign
#
# New inputs go to a scratch directory: the committed corpus (fuzz/corpus/TARGET) is only read.
set -euo pipefail
seconds=${1:?usage: fuzz/run.sh SECONDS}
cd "$(dirname "$0")"
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
# No sanitizer: dualdraw and its solver have no unsafe code; what is looked for is panics
# (debug assertions on: integer overflow panics too) and hangs.
flags=(--sanitizer none --debug-assertions)
cargo +nightly fuzz build "${flags[@]}"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for target in $(cargo +nightly fuzz list); do
    mkdir -p "$scratch/$target" "corpus/$target"
    log="$scratch/$target.log"
    if ! cargo +nightly fuzz run "${flags[@]}" "$target" "$scratch/$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=30 -print_final_stats=1 >"$log" 2>&1; then
        tail -n 40 "$log"
        echo "fuzz/run.sh: $target failed; the input is in fuzz/artifacts/$target/" >&2
        exit 1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "$target: $runs executions in ${seconds} s, no crash"
done
