-- POST /auth/logout with a fresh token from BENCH_TOKENS_FILE for every request.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS_FILE")) do tokens[#tokens + 1] = line end
local i = 0
request = function()
  i = i + 1
  return wrk.format("POST", "/auth/logout", { ["Authorization"] = "Bearer " .. tokens[((i - 1) % #tokens) + 1] })
end
