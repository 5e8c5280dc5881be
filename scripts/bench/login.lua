-- POST /auth/login as the login benchmark user (BENCH_LOGIN_EMAIL, default bench-login@example.com): not the
-- user whose token the status scenarios use, whose session a flood of logins would otherwise push out.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
wrk.method = "POST"
wrk.path = "/auth/login"
wrk.headers["Content-Type"] = "application/json"
local email = os.getenv("BENCH_LOGIN_EMAIL") or "bench-login@example.com"
wrk.body = string.format('{"email":"%s","password":"bench-password"}', email)
