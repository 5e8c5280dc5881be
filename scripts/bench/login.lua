-- POST /auth/login as the benchmark user (BENCH_LOGIN_EMAIL, default bench@example.com).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
wrk.method = "POST"
wrk.path = "/auth/login"
wrk.headers["Content-Type"] = "application/json"
local email = os.getenv("BENCH_LOGIN_EMAIL") or "bench@example.com"
wrk.body = string.format('{"email":"%s","password":"bench-password"}', email)
