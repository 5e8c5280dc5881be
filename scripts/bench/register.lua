-- POST /auth/register with a new email every request.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local run = os.getenv("BENCH_RUN_ID") or "0"
local i = 0
request = function()
  i = i + 1
  local body = string.format('{"email":"r%s-%d@bench.example.com","password":"bench-password"}', run, i)
  return wrk.format("POST", "/auth/register", { ["Content-Type"] = "application/json" }, body)
end
