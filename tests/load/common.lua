-- Shared by the benchmark's wrk scripts: headers from the environment, exact non-2xx counts,
-- and one JSON line of results that tests/load/bench.py reads.
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

non2xx = 0

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function bench_headers(extra)
  local headers = {}
  local cookies = {}
  local session = os.getenv("BENCH_SESSION") or ""
  local csrf = os.getenv("BENCH_CSRF") or ""
  if session ~= "" then table.insert(cookies, "sessionid=" .. session) end
  if csrf ~= "" then
    table.insert(cookies, "csrftoken=" .. csrf)
    headers["X-CSRFToken"] = csrf
  end
  if #cookies > 0 then headers["Cookie"] = table.concat(cookies, "; ") end
  if os.getenv("BENCH_HTMX") == "1" then headers["HX-Request"] = "true" end
  for k, v in pairs(extra or {}) do headers[k] = v end
  return headers
end

function urlencode(s)
  s = tostring(s)
  s = s:gsub("\n", "\r\n")
  s = s:gsub("([^%w%-%.%_%~ ])", function(c) return string.format("%%%02X", string.byte(c)) end)
  return (s:gsub(" ", "+"))
end

function form(fields)
  local parts = {}
  for _, pair in ipairs(fields) do
    table.insert(parts, urlencode(pair[1]) .. "=" .. urlencode(pair[2]))
  end
  return table.concat(parts, "&")
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non2xx") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "non2xx": %d, ' ..
    '"socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), bad,
    e.connect + e.read + e.write + e.timeout))
end
