-- wrk script: GET keys <path>/<i> for i in 0..WRK_KEYS-1 in turn (default 1000).
local keys = tonumber(os.getenv("WRK_KEYS") or "1000")
local i = 0
function request()
  i = (i + 1) % keys
  return wrk.format("GET", string.format("%s/%d", wrk.path, i))
end
function done(summary, latency, requests)
  io.write(string.format("non2xx=%d\n", summary.errors.status))
end
