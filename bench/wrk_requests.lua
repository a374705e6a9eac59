-- wrk script for bench/http_ratio.py: replays requests read from a file, one picked at random
-- per request. A line is "METHOD<TAB>PATH" or "METHOD<TAB>PATH<TAB>JSON BODY".
-- Usage: wrk -t2 -c8 -d10s -s bench/wrk_requests.lua http://127.0.0.1:PORT -- FILE
-- WRK_DELAY_MS=n paces each connection: n ms between its requests (for a set, lower rate).
-- WRK_ACCEPT=MEDIA-TYPE sends that Accept header with every request (e.g. the Arrow stream).
-- done() prints one JSON line: counts, errors and latency percentiles in microseconds.

local requests = {}
local next_thread = 0
local accept = os.getenv("WRK_ACCEPT") or ""

local pause_ms = tonumber(os.getenv("WRK_DELAY_MS") or "")
if pause_ms and pause_ms > 0 then
  function delay()
    return pause_ms
  end
end

function setup(thread)
  next_thread = next_thread + 1
  thread:set("thread_number", next_thread)
end

function init(args)
  local file = assert(io.open(args[1], "r"), "cannot open " .. tostring(args[1]))
  for line in file:lines() do
    local method, path, body = line:match("^(%u+)\t([^\t]+)\t?(.*)$")
    assert(method, "bad request line: " .. line:sub(1, 80))
    local headers = {}
    if accept ~= "" then
      headers["Accept"] = accept
    end
    if body == "" then
      body = nil
    else
      headers["Content-Type"] = "application/json"
    end
    requests[#requests + 1] = wrk.format(method, path, headers, body)
  end
  file:close()
  assert(#requests > 0, "no requests in " .. args[1])
  -- Each thread draws its own sequence, so threads do not replay the same ids in step.
  math.randomseed(os.time() + 7919 * (thread_number or 0))
end

function request()
  return requests[math.random(#requests)]
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,'
      .. '"write_errors":%d,"status_errors":%d,"timeouts":%d,'
      .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean
  ))
end
