-- Post replies as the htmx thread form does, spread over many threads.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local data = dofile(os.getenv("BENCH_DATA"))
local n = 0
local headers

function init(args)
  headers = bench_headers({["Content-Type"] = "application/x-www-form-urlencoded"})
  n = (id or 0) * 53
end

function request()
  n = n + 1
  local target = data.targets[(n % #data.targets) + 1]
  local body = form({
    {"body", "A benchmark reply with *emphasis*."},
    {"stance", ({"agree", "disagree", "question"})[(n % 3) + 1]},
  })
  return wrk.format("POST", "/annotations/" .. target .. "/replies/", headers, body)
end
