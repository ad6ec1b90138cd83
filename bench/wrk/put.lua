-- wrk script: PUT a fixed-size body to a new key on every request (keys unique per thread).
-- Environment: WRK_SIZE (bytes, default 4096), WRK_PREFIX (key prefix, default "k").
local counter = 0
local threads = 0
local size = tonumber(os.getenv("WRK_SIZE") or "4096")
local prefix = os.getenv("WRK_PREFIX") or "k"
-- Each body starts with its thread and counter, so no two are equal (no server can dedupe them).
local filler = string.rep("x", size)

function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

function init(args)
  wrk.method = "PUT"
  wrk.headers["Content-Type"] = "application/octet-stream"
end

function request()
  counter = counter + 1
  local head = string.format("%s/%d/%d/", prefix, tid, counter)
  return wrk.format(nil, string.format("%s/%s/%d/%d", wrk.path, prefix, tid, counter), nil, head .. filler:sub(#head + 1))
end

function done(summary, latency, requests)
  io.write(string.format("non2xx=%d\n", summary.errors.status))
end
