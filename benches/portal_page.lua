-- wrk script: GET the portal page PAGE (env), where {uscc} is replaced by codes drawn in turn
-- from CODES (env, default bench-data/codes.txt). Used by benches/portal.sh.
local page = os.getenv("PAGE") or "/"
local codes = {}
if page:find("{uscc}", 1, true) then
  for line in io.lines(os.getenv("CODES") or "bench-data/codes.txt") do
    codes[#codes + 1] = line
  end
end
local counter = 0

request = function()
  counter = counter + 1
  local path = page
  if #codes > 0 then
    path = page:gsub("{uscc}", codes[(counter * 7919) % #codes + 1])
  end
  return wrk.format("GET", path)
end

done = function(summary, latency, requests)
  io.write(string.format("requests %d, errors %d (status %d, timeout %d), p50 %.2f ms, p99 %.2f ms, %.0f req/s\n",
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6)))
end
