-- wrk script: GET /api/v1/public/enterprises/{uscc}/inspection-results (no token) for codes
-- drawn in turn from $CODES. Used by benches/results.sh.
local codes = {}
for line in io.lines(os.getenv("CODES") or "bench-data/codes.txt") do
  codes[#codes + 1] = line
end
local counter = 0

request = function()
  counter = counter + 1
  local code = codes[(counter * 7919) % #codes + 1]
  return wrk.format("GET", "/api/v1/public/enterprises/" .. code .. "/inspection-results")
end

done = function(summary, latency, requests)
  io.write(string.format("requests %d, errors %d (status %d, timeout %d), p50 %.2f ms, p99 %.2f ms, %.0f req/s\n",
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6)))
end
