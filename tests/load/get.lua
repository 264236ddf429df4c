-- GET one path (wrk's URL), with the session cookie and htmx header when the driver sets them.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

function init(args)
  wrk.headers = bench_headers()
end
