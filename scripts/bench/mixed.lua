-- 90% status, 8% login, 2% register.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local token = os.getenv("BENCH_TOKEN")
local run = os.getenv("BENCH_RUN_ID") or "0"
local login = '{"email":"bench-login@example.com","password":"bench-password"}'
local json = { ["Content-Type"] = "application/json" }
local i = 0
request = function()
  i = i + 1
  local roll = i % 50
  if roll < 4 then
    return wrk.format("POST", "/auth/login", json, login)
  elseif roll == 4 then
    return wrk.format("POST", "/auth/register", json, string.format('{"email":"m%s-%d@bench.example.com","password":"bench-password"}', run, i))
  end
  return wrk.format("GET", "/auth/status", { ["Authorization"] = "Bearer " .. token })
end
