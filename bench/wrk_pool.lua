-- wrk script: replay a pool of pre-signed StartHumanLoop requests, each exactly once.
--
-- SigV4 signatures cover the date and the body and every loop needs a unique name, so Python signs
-- a pool of requests right before the run (bench/harness.py presign_pool) and writes one file per
-- wrk thread: "<x-amz-date>\t<authorization>\t<json body>" a line. If a thread runs out of requests
-- it starts over (repeated names are idempotent retries for the service) and `wrapped` says so; the
-- harness sizes the pool so that this does not happen and reports it if it does.

local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local prefix = args[1]
  reqs = {}
  local f = assert(io.open(prefix .. "." .. tid, "r"))
  for line in f:lines() do
    local d, a, b = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    if d then
      reqs[#reqs + 1] = wrk.format("POST", "/human-loops", {
        ["Host"] = wrk.headers["Host"],
        ["X-Amz-Date"] = d,
        ["Authorization"] = a,
        ["Content-Type"] = "application/json",
      }, b)
    end
  end
  f:close()
  idx = 0
  wrapped = 0
end

function request()
  idx = idx + 1
  if idx > #reqs then
    idx = 1
    wrapped = wrapped + 1
  end
  return reqs[idx]
end

function done(summary, latency, requests)
  local wrapped_total = 0
  for _, t in ipairs(threads) do
    wrapped_total = wrapped_total + (t:get("wrapped") or 0)
  end
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"errors_connect":%d,"errors_read":%d,"errors_write":%d,' ..
    '"errors_status":%d,"errors_timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"wrapped":%d}\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, wrapped_total))
end
