#!/usr/bin/env bash
# Memory at the body boundary (docs/http-limits.md, "Memory"): a release `dualdraw serve` on a
# fresh SQLite database; its resident memory before and after N concurrent anonymous 300 MB
# uploads to /api/v1/imports/enterprises (each must get 401 without the body being read), then
# the peak during one authorized streamed import of a generated file of E enterprises.
#   N=4 E=1000000 benches/upload_memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-4}
E=${E:-1000000}
# The same build as benches/soak.sh (the example's dev-dependencies change feature unification).
cargo build --release --quiet --bin dualdraw --example soak
BIN=$PWD/target/release/dualdraw
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
url="sqlite://$work/mem.db"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$work" && RUST_LOG=warn exec "$BIN" serve --no-demo --db "$url" --bind "127.0.0.1:$port") >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.5; done
rss() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$pid/status"; }
echo "server pid $pid: RSS $(rss VmRSS) KiB at rest"
truncate -s 300M "$work/big.bin"
# `Expect:` off, so curl starts sending the body at once instead of waiting for a 100 Continue.
for i in $(seq 1 "$N"); do
  curl -s -o /dev/null -w "upload $i: %{http_code}, %{size_upload} bytes sent of 314572800\n" \
    -H 'Expect:' -H 'Content-Type: text/csv' -T "$work/big.bin" -X POST \
    "http://127.0.0.1:$port/api/v1/imports/enterprises" || true &
done
wait $(jobs -p | grep -v "^$pid$") 2>/dev/null || true
echo "after $N anonymous 300 MB uploads: RSS $(rss VmRSS) KiB, peak $(rss VmHWM) KiB"
"$BIN" gen --enterprises "$E" --seed 1 --out "$work/city" >/dev/null 2>&1
size=$(stat -c %s "$work/city/enterprises.csv")
admin=$("$BIN" token create --db "$url" --role admin --label mem)
"$BIN" import departments "$work/city/departments.csv" --db "$url" >/dev/null 2>&1 || true
start=$(date +%s.%N)
code=$(curl -s -o "$work/import.json" -w '%{http_code}' -H 'Expect:' -H "Authorization: Bearer $admin" \
  -T "$work/city/enterprises.csv" -X POST "http://127.0.0.1:$port/api/v1/imports/enterprises")
end=$(date +%s.%N)
echo "streamed import of $E enterprises ($size bytes): HTTP $code in $(python3 -c "print(round($end - $start, 1))") s, $(head -c 200 "$work/import.json")"
echo "after the import: RSS $(rss VmRSS) KiB, peak $(rss VmHWM) KiB over the whole run"
kill "$pid"; wait "$pid" 2>/dev/null || true
