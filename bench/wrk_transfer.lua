-- wrk script for bench/transfer_bench.py: the server's own rate for the request shapes a
-- transfer client sends (presigned URLs, so the server verifies a signature on every request).
--
--   GET: wrk -t T -c C -d 8s -s wrk_transfer.lua http://127.0.0.1:PORT -- GET TARGETS_FILE T
--        TARGETS_FILE has one "PATH?QUERY RANGE" a line (RANGE "-" for the whole object);
--        thread k of T takes lines k+1, k+1+T, ... and sends each with its Range header.
--   PUT: WRK_TRANSFER_PUT=1 wrk -t T -c T -d 8s -s wrk_transfer.lua http://127.0.0.1:PORT --
--        PUT TARGETS_FILE T BYTES
--        thread k sends line k+1 (e.g. an UploadPart URL) again and again with a BYTES body.
--        The request is built once per thread: with WRK_TRANSFER_PUT set the script defines no
--        request() function (wrk decides that when it loads the script), so wrk only writes.
--   PUTN: wrk -t T -c C -d 8s -s wrk_transfer.lua http://127.0.0.1:PORT -- PUTN TARGETS_FILE T BYTES
--        thread k sends lines k+1, k+1+T, ... each with a BYTES body: every request stores new
--        data (costs wrk two copies of the body per request: wrk.format and wrk's buffer).
--
-- At the end one machine-readable line "WRKJSON {...}" is printed with totals (bytes counts
-- response bytes received) and latency percentiles in microseconds.

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

local function load(path)
  local f = assert(io.open(path, "r"))
  for line in f:lines() do
    if #line > 0 then
      local target, range = line:match("^(%S+)%s*(%S*)$")
      targets[#targets + 1] = {target = target, range = range}
    end
  end
  f:close()
  assert(#targets > 0, "no targets in " .. path)
end

function init(args)
  method = args[1]
  load(args[2])
  step = tonumber(args[3] or "1")
  local me = (tid or 0) % #targets
  if method == "PUT" or method == "PUTN" then
    local size = tonumber(args[4])
    local pattern = "ferry-bench-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
    body = string.rep(pattern, math.ceil(size / #pattern)):sub(1, size)
  end
  if method == "PUT" then
    wrk.method = "PUT"
    wrk.path = targets[me + 1].target
    wrk.body = body
  else
    index = me + 1
  end
end

local function next_request()
  local t = targets[index]
  index = index + step
  if index > #targets then index = ((index - 1) % #targets) + 1 end
  if method == "PUTN" then return wrk.format("PUT", t.target, nil, body) end
  local headers = {}
  if t.range ~= "" and t.range ~= "-" then headers["Range"] = "bytes=" .. t.range end
  return wrk.format("GET", t.target, headers, nil)
end

if not os.getenv("WRK_TRANSFER_PUT") then request = next_request end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "bytes": %d, "duration_us": %d, "err_connect": %d, ' ..
    '"err_read": %d, "err_write": %d, "err_status": %d, "err_timeout": %d, ' ..
    '"lat_mean_us": %.1f, "lat_p50_us": %d, "lat_p99_us": %d}\n',
    summary.requests, summary.bytes, summary.duration, e.connect, e.read, e.write, e.status,
    e.timeout, latency.mean, latency:percentile(50), latency:percentile(99)))
end
