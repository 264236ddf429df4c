-- Create annotations as the htmx toolbar does: one valid selection after another.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local data = dofile(os.getenv("BENCH_DATA"))
local n = 0
local headers

function init(args)
  headers = bench_headers({["Content-Type"] = "application/x-www-form-urlencoded"})
  n = (id or 0) * 37
end

function request()
  n = n + 1
  local s = data.selections[(n % #data.selections) + 1]
  local body = form({
    {"start_block", s.start_block}, {"start_offset", s.start_offset},
    {"end_block", s.end_block}, {"end_offset", s.end_offset},
    {"exact", s.exact}, {"prefix", s.prefix}, {"suffix", s.suffix},
    {"label", ({"claim", "evidence", "opinion"})[(n % 3) + 1]},
    {"note", "Benchmark note."}, {"visibility", "public"},
  })
  return wrk.format("POST", data.path, headers, body)
end
