-- wrk script for bench/server_bench.py: cycles through a list of request targets (presigned
-- URLs: path and query, one a line) so that every request is a distinct, signed request.
--
--   wrk -t T -c C -d 10s -s wrk_urls.lua http://127.0.0.1:PORT -- URLS_FILE METHOD BODY_BYTES T
--
-- Thread k of T takes targets k+1, k+1+T, k+1+2T, ... so threads never send the same target at
-- the same time. For PUT every request carries a BODY_BYTES body (wrk adds Content-Length).
-- At the end one machine-readable line "WRKJSON {...}" is printed with totals and latency
-- percentiles in microseconds.

local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

local targets = {}
local index = 1
local step = 1
local method = "GET"
local body = nil

function init(args)
  local f = assert(io.open(args[1], "r"))
  for line in f:lines() do
    if #line > 0 then targets[#targets + 1] = line end
  end
  f:close()
  assert(#targets > 0, "no targets in " .. args[1])
  method = args[2] or "GET"
  local size = tonumber(args[3] or "0")
  if size > 0 then
    local pattern = "ferry-bench-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
    body = string.rep(pattern, math.ceil(size / #pattern)):sub(1, size)
  end
  step = tonumber(args[4] or "1")
  index = ((tid or 0) % #targets) + 1
end

function request()
  local target = targets[index]
  index = index + step
  if index > #targets then index = ((index - 1) % #targets) + 1 end
  return wrk.format(method, target, nil, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "bytes": %d, "duration_us": %d, "err_connect": %d, ' ..
    '"err_read": %d, "err_write": %d, "err_status": %d, "err_timeout": %d, ' ..
    '"lat_mean_us": %.1f, "lat_p50_us": %d, "lat_p90_us": %d, "lat_p99_us": %d, ' ..
    '"lat_max_us": %d}\n',
    summary.requests, summary.bytes, summary.duration, e.connect, e.read, e.write, e.status,
    e.timeout, latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
end
