-- wrk script for bench/activity_webhook.py: every request posts a new ActionKit action id, and done() prints
-- one JSON line the bench reads (latency percentiles in microseconds, counts, errors by kind).
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  counter = tonumber(args[1] or "1") + tid * 100000000
  non2xx = 0
end

request = function()
  counter = counter + 1
  local body = '{"id": ' .. counter .. ', "page": "/rest/v1/petitionpage/1/", "user": "/rest/v1/user/' .. counter ..
               '/", "fields": {"comment": "bench"}}'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end

response = function(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("non2xx") end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "non2xx": %d, "socket_errors": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration / 1e6, bad, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
