-- POST /auth/login as the login benchmark user (BENCH_LOGIN_EMAIL, default bench-login@example.com): not the
-- user whose token the status scenarios use, whose session a flood of logins would otherwise push out.
-- With BENCH_LOGIN_USERS=N (N > 1) the requests take turns among <prefix>-0@example.com ... -(N-1)@
-- (BENCH_LOGIN_PREFIX, default bench-login):
-- attempts in flight count against the per-(client, email) limit (abuse.login_pair_max_failures, 5) until
-- they succeed, so more concurrent logins of one user than that are answered 429 by design.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
wrk.method = "POST"
wrk.path = "/auth/login"
wrk.headers["Content-Type"] = "application/json"
local users = tonumber(os.getenv("BENCH_LOGIN_USERS") or "1")
local prefix = os.getenv("BENCH_LOGIN_PREFIX") or "bench-login"
if users > 1 then
  local bodies = {}
  for i = 0, users - 1 do
    bodies[i + 1] = string.format('{"email":"%s-%d@example.com","password":"bench-password"}', prefix, i)
  end
  local n = 0
  request = function()
    n = n + 1
    return wrk.format(nil, nil, nil, bodies[(n % users) + 1])
  end
else
  local email = os.getenv("BENCH_LOGIN_EMAIL") or "bench-login@example.com"
  wrk.body = string.format('{"email":"%s","password":"bench-password"}', email)
end
