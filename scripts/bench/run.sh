#!/usr/bin/env bash
# `make bench`: the load benchmark. Builds in release mode, then for each backend (SQLite, then PostgreSQL,
# each on a fresh database) starts the server, creates a user and tokens, and drives load with wrk over
# loopback. Every figure is also given as a ratio to the ceiling (GET /health/live in the same server, the
# same run): these machines are noisy, and only ratios from one run compare across runs.
# Writes a Markdown table to stdout and target/bench/report.md.
#   BENCH_DURATION (s, default 10)  BENCH_CONNECTIONS (default 32)  BENCH_BACKENDS (default "sqlite postgres")
#   BENCH_FILL_ROWS (default 1000000)  BENCH_FILL_ROUNDS (default 7): the big-table comparison
# PostgreSQL comes from TEST_DATABASE_URL, which `make bench` sets with scripts/with-test-postgres.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

duration=${BENCH_DURATION:-10}
connections=${BENCH_CONNECTIONS:-32}
backends=${BENCH_BACKENDS:-sqlite postgres}
out=$root/target/bench
mkdir -p "$out"
export BENCH_LUA_DIR=$root/scripts/bench
say() { printf 'bench: %s\n' "$*" >&2; }

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing wrk (Debian package)"
    apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
  else
    say "wrk is needed: install it (Debian/Ubuntu: sudo apt-get install wrk; macOS: brew install wrk)"
    exit 1
  fi
fi
command -v python3 >/dev/null 2>&1 || { say "python3 is needed (to fill the tables)"; exit 1; }

say "building in release mode"
cargo build --release --locked -p auth-server --bin auth-server -p xtask >&2
bin=$root/target/release/auth-server
export APP__TOKENS__SECRET="bench-secret-$(date +%s)-0123456789abcdefghijklmnop"
# the key-encryption key the server seals its signing keys with, and `auth-server tokens mint` opens them with
export APP__TOKENS__KEY_ENCRYPTION_KEY=$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')
cores=$(nproc)
run_id=$(date +%s)
report=$out/report.md
# the same figures, one row per line and tab-separated, for the chart
tsv=$out/report.tsv
: >"$tsv"
rows=()
targets=()
peak_rss_kb=0
server_pid=""
port=""

# Real sessions for the logout scenario, through the service's own code (`auth-server tokens mint`): at
# most sessions.max_per_user (1000) per user, so one user per thousand tokens, two users at a time.
mint_tokens() { # database url, how many
  local url=$1 want=$2 users i
  users=$(((want + 999) / 1000))
  rm -rf "$out/minted" && mkdir -p "$out/minted"
  # each user's tokens go to a file of their own: two writers on one pipe could interleave mid-line
  seq 0 $((users - 1)) | xargs -P 2 -I{} env APP_ENVIRONMENT=development APP__DATABASE__URL="$url" \
    APP__PASSWORD__BCRYPT_COST=4 APP__SESSIONS__MAX_PER_USER=1000 APP__LOG__LEVEL=warn sh -c \
    'echo bench-password | "$0" user create --email "bench-logout-$1@example.com" >/dev/null &&
     "$0" tokens mint --email "bench-logout-$1@example.com" --count 1000 >"$2/minted/$1"' "$bin" {} "$out"
  cat "$out"/minted/*
  rm -rf "$out/minted"
}

register_users() { # prefix count: <prefix>-0@example.com ... at the running server's cost
  local i
  for ((i = 0; i < $2; i++)); do
    post /auth/register "{\"email\":\"$1-$i@example.com\",\"password\":\"bench-password\"}" | grep -q auth_token ||
      { say "registering $1-$i failed; see $out/server.log"; exit 1; }
  done
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start_server() { # database url, bcrypt cost[, token algorithm (default: the configured one, EdDSA)]
  port=$(free_port)
  # The register scenarios create thousands of users from one address: the per-client registration
  # limit (abuse.register_per_ip_per_hour) is off here, so they measure hashing and storing.
  APP_ENVIRONMENT=development APP__SERVER__PORT=$port APP__DATABASE__URL=$1 APP__PASSWORD__BCRYPT_COST=$2 \
    APP__ABUSE__REGISTER_PER_IP_PER_HOUR=0 APP__TOKENS__ALGORITHM=${3:-EdDSA} APP__LOG__LEVEL=warn "$bin" serve >>"$out/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 200); do
    if APP_ENVIRONMENT=development APP__DATABASE__URL=$1 "$bin" healthcheck --url "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  say "the server did not become ready; see $out/server.log"
  exit 1
}

stop_server() {
  local rss
  rss=$(awk '/VmHWM/ { print $2 }' "/proc/$server_pid/status" 2>/dev/null || echo 0)
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  echo "$rss"
}

post() { curl -s -X POST "http://127.0.0.1:$port$1" -H 'Content-Type: application/json' ${3:+-H "Authorization: Bearer $3"} -d "${2:-}"; }
token_of() { sed -n 's/.*"auth_token":"\([^"]*\)".*/\1/p'; }

# wrk SCRIPT PATH CONNECTIONS [extra wrk args] -> prints "rps p50 p99 non2xx sockerr"
load() {
  local script=$1 path=$2 conns=$3
  shift 3
  wrk -t1 -c"$conns" -d"${duration}s" --latency --timeout 30s -s "$BENCH_LUA_DIR/$script" "$@" "http://127.0.0.1:$port$path" \
    | tee -a "$out/wrk.log" | sed -n 's/^RESULT requests=[0-9]* rps=\([0-9.]*\) p50_ms=\([0-9.]*\) p99_ms=\([0-9.]*\) non2xx=\([0-9]*\) sockerr=\([0-9]*\)/\1 \2 \3 \4 \5/p'
}

ratio() { python3 -c 'import sys; print(f"{float(sys.argv[1]) / float(sys.argv[2]):.2f}")' "$1" "$2"; }

ceiling_rps=1
row() { # backend scenario "rps p50 p99 non2xx sockerr" expected-non2xx(yes/no) rss_kb
  local backend=$1 scenario=$2 rps p50 p99 non2xx sockerr errors
  read -r rps p50 p99 non2xx sockerr <<<"$3"
  errors=$sockerr
  [ "$4" = yes ] || errors=$((sockerr + non2xx))
  rows+=("| $backend | $scenario | $(printf '%.0f' "$rps") | $(ratio "$rps" "$ceiling_rps") | $p50 | $p99 | $errors | ${5:-} |")
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$backend" "$scenario" "$rps" "$(ratio "$rps" "$ceiling_rps")" "$p50" "$p99" >>"$tsv"
  say "$backend / $scenario: $rps req/s, p50 $p50 ms, p99 $p99 ms, errors $errors"
}

# As an operator would after a bulk load, PostgreSQL is vacuumed and checkpointed before status is
# measured again: otherwise autovacuum works through the new rows during the measurement.
fill_tables() { # backend url count: that many more users, each with a live session and a revoked token
  say "filling users, sessions and revoked_tokens with $3 rows each"
  if [ "$1" = sqlite ]; then
    python3 - "$2" "$3" <<'PY'
import datetime, sqlite3, sys, uuid
db = sqlite3.connect(sys.argv[1].removeprefix("sqlite://"))
n = int(sys.argv[2])
hash_ = "$2b$12$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZa"
# now, so that the sessions are live (an idle one would be pruned at the next start)
at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
first = db.execute("SELECT coalesce(max(id), 0) + 1 FROM users").fetchone()[0]
db.executemany("INSERT INTO users (id, email, password, registered_on, admin) VALUES (?, ?, ?, ?, 0)",
               ((first + i, f"fill{i}@fill.example.com", hash_, at) for i in range(n)))
db.executemany("INSERT INTO sessions (id, user_id, created_at, last_active_at) VALUES (?, ?, ?, ?)",
               ((str(uuid.uuid4()), first + i, at, at) for i in range(n)))
db.executemany("INSERT INTO revoked_tokens VALUES (?, ?, ?, '2999-01-01 00:00:00')",
               ((str(uuid.uuid4()), first + i, at) for i in range(n)))
db.commit()
PY
  else
    psql "$2" -qc "INSERT INTO users (email, password, registered_on) SELECT 'fill' || g || '@fill.example.com', '\$2b\$12\$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZa', now() FROM generate_series(1, $3) g" \
      -c "INSERT INTO sessions (id, user_id, created_at, last_active_at) SELECT gen_random_uuid()::text, id, now(), now() FROM users WHERE email LIKE 'fill%'" \
      -c "INSERT INTO revoked_tokens SELECT gen_random_uuid()::text, id, now(), '2999-01-01' FROM users WHERE email LIKE 'fill%'" \
      -c "VACUUM ANALYZE" -c "CHECKPOINT"
  fi
}

for backend in $backends; do
  case $backend in
    sqlite)
      rm -rf "$out/sqlite" && mkdir -p "$out/sqlite"
      url="sqlite://$out/sqlite/auth.db" ;;
    postgres)
      : "${TEST_DATABASE_URL:?PostgreSQL is needed: run make bench (it provides one) or set TEST_DATABASE_URL}"
      db="auth_bench_$run_id"
      psql "$TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
      url="${TEST_DATABASE_URL%/*}/$db" ;;
    *) say "unknown backend $backend"; exit 1 ;;
  esac

  say "== $backend: bcrypt cost 12"
  start_server "$url" 12
  token=$(post /auth/register '{"email":"bench@example.com","password":"bench-password"}' | token_of)
  revoked=$(post /auth/login '{"email":"bench@example.com","password":"bench-password"}' | token_of)
  post /auth/logout "" "$revoked" >/dev/null
  # The login scenarios log in as another user: every login starts a session, and past
  # sessions.max_per_user the status token's own session would be ended (and status answer 401).
  post /auth/register '{"email":"bench-login@example.com","password":"bench-password"}' >/dev/null
  # the concurrent logins take turns among users of their own (login.lua says why)
  register_users bench-login $((cores * 4))
  mint_tokens "$url" "${BENCH_LOGOUT_TOKENS:-120000}" >"$out/tokens.txt"

  ceiling_rps=1
  ceiling=$(BENCH_TOKEN= load get.lua /health/live "$connections")
  ceiling_rps=$(cut -d' ' -f1 <<<"$ceiling")
  row "$backend" "ceiling: GET /health/live" "$ceiling" no
  status_line=$(BENCH_TOKEN=$token load get.lua /auth/status "$connections")
  status_rps=$(cut -d' ' -f1 <<<"$status_line")
  row "$backend" "status, valid token, EdDSA" "$status_line" no
  # HS256 on the same database in the same minutes: a second server beside the first, signing HS256
  # (measured at the end of the run instead, it met a database grown by every scenario before it)
  eddsa_port=$port eddsa_pid=$server_pid
  start_server "$url" 12 HS256
  hs_token=$(post /auth/login '{"email":"bench@example.com","password":"bench-password"}' | token_of)
  hs_line=$(BENCH_TOKEN=$hs_token load get.lua /auth/status "$connections")
  row "$backend" "status, valid token, HS256 (a second server, same database)" "$hs_line" no
  hs_rps=$(cut -d' ' -f1 <<<"$hs_line")
  stop_server >/dev/null
  port=$eddsa_port server_pid=$eddsa_pid
  # the revocation feed: 1,000 logouts (the last minted tokens; the logout scenario below uses the first
  # ones) while a subscriber reads the stream, then status with 500 idle subscribers against none
  tail -n 1000 "$out/tokens.txt" >"$out/feed-tokens.txt"
  read -r feed_p50 feed_p99 feed_max feed_missing feed_count <<<"$(python3 "$BENCH_LUA_DIR/feed.py" propagation "$port" "$out/feed-tokens.txt")"
  rows+=("| $backend | feed: logout → entry at a subscriber, $feed_count logouts | | | $feed_p50 | $feed_p99 | $feed_missing missing | |")
  say "$backend / feed propagation: p50 $feed_p50 ms, p99 $feed_p99 ms, max $feed_max ms, $feed_missing of $feed_count missing"
  python3 "$BENCH_LUA_DIR/feed.py" hold "$port" 500 >"$out/feed-hold.log" 2>&1 &
  holder=$!
  for _ in $(seq 1 100); do grep -q holding "$out/feed-hold.log" && break; sleep 0.1; done
  held_line=$(BENCH_TOKEN=$token load get.lua /auth/status "$connections")
  kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null || true
  row "$backend" "status, EdDSA, 500 idle feed subscribers" "$held_line" no
  held_rps=$(cut -d' ' -f1 <<<"$held_line")
  targets+=("$backend: feed propagation p50 $feed_p50 ms, p99 $feed_p99 ms (bar: p99 < 1000); status with 500 idle subscribers ÷ without $(ratio "$held_rps" "$status_rps") (bar: 0.95)")
  row "$backend" "status, revoked token (401 expected)" "$(BENCH_TOKEN=$revoked load get.lua /auth/status "$connections")" yes
  row "$backend" "logout, a fresh token each request" "$(BENCH_TOKENS_FILE=$out/tokens.txt load logout.lua /auth/logout "$connections")" no
  one_login=$(load login.lua /auth/login 1)
  row "$backend" "login, cost 12, 1 connection" "$one_login" no
  # the bar for login: the C bcrypt (libxcrypt) on this machine, one process per core, timed right before
  c_line=$(python3 "$root/scripts/bench/bcrypt-c.py" 2>/dev/null || true)
  c_rate=$(sed -n 's/.*, \([0-9.]*\) hashes\/s together.*/\1/p' <<<"$c_line")
  [ -n "$c_rate" ] && say "C bcrypt (libxcrypt), cost 12, all cores: $c_line"
  login_line=$(BENCH_LOGIN_USERS=$((cores * 4)) load login.lua /auth/login $((cores * 4)))
  row "$backend" "login, cost 12, $((cores * 4)) connections" "$login_line" no
  row "$backend" "register, cost 12, $((cores * 4)) connections" "$(BENCH_RUN_ID=${run_id}a load register.lua /auth/register $((cores * 4)))" no
  # the mixed load on a server of its own, so that its peak RSS is the mixed load's
  rss=$(stop_server)
  [ "$rss" -gt "$peak_rss_kb" ] && peak_rss_kb=$rss
  rows+=("| $backend | server peak RSS (scenarios above) | | | | | | $((rss / 1024)) MiB |")
  start_server "$url" 12
  row "$backend" "mixed 90% status / 8% login / 2% register" "$(BENCH_TOKEN=$token BENCH_RUN_ID=${run_id}m load mixed.lua /auth/status "$connections")" no
  rss_mixed=$(awk '/VmHWM/ { print $2 }' "/proc/$server_pid/status")
  rows+=("| $backend | server peak RSS, mixed load (fresh server) | | | | | | $((rss_mixed / 1024)) MiB |")
  # status while 64 connections keep bcrypt saturated with logins (the issue's bar: p99 under 50 ms)
  wrk -t1 -c64 -d"$((duration + 4))s" --timeout 30s -s "$BENCH_LUA_DIR/login.lua" "http://127.0.0.1:$port/auth/login" >"$out/flood.log" 2>&1 &
  flood=$!
  sleep 2
  flooded=$(BENCH_TOKEN=$token load get.lua /auth/status "$connections")
  wait "$flood" || true
  row "$backend" "status during a 64-connection login flood" "$flooded" no
  flooded_rps=$(cut -d' ' -f1 <<<"$flooded")
  flooded_p99=$(cut -d' ' -f3 <<<"$flooded")
  # 1,000 concurrent logins: past password.max_waiting_hashes they are answered 503 at once, so the
  # server's memory must stay flat (VmRSS before, and the high-water mark after)
  rss_before=$(awk '/VmRSS/ { print $2 }' "/proc/$server_pid/status")
  storm=$( (ulimit -n 4096 && wrk -t1 -c1000 -d"${duration}s" --timeout 30s -s "$BENCH_LUA_DIR/login.lua" "http://127.0.0.1:$port/auth/login") | tee -a "$out/wrk.log" | sed -n 's/^RESULT requests=[0-9]* rps=\([0-9.]*\) p50_ms=\([0-9.]*\) p99_ms=\([0-9.]*\) non2xx=\([0-9]*\) sockerr=\([0-9]*\)/\1 \2 \3 \4 \5/p')
  rss_storm=$(awk '/VmHWM/ { print $2 }' "/proc/$server_pid/status")
  row "$backend" "1,000-connection login flood (503 past the hash queue expected)" "$storm" yes "$((rss_before / 1024)) → $((rss_storm / 1024)) MiB"
  # let the logins still queued in the server drain; this server's part ends here
  sleep 5
  rss=$(stop_server)
  [ "$rss" -gt "$peak_rss_kb" ] && peak_rss_kb=$rss
  rows+=("| $backend | server peak RSS (cost 12 run) | | | | | | $((rss / 1024)) MiB |")
  # Status on the database as it is against a copy of it with a million more rows in each table, each
  # behind a server of its own, measured in turns (BENCH_FILL_ROUNDS, default 7) and compared by the
  # medians: measured once before and once after, the machine's drift (±25 % on PostgreSQL) hid the
  # tables' effect. The copy holds the same user, session and signing keys, so one token serves both.
  fill_rows=${BENCH_FILL_ROWS:-1000000}
  fill_rounds=${BENCH_FILL_ROUNDS:-7}
  if [ "$backend" = sqlite ]; then
    # the backup API copies what the write-ahead log still holds, too
    python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).backup(sqlite3.connect(sys.argv[2]))' \
      "$out/sqlite/auth.db" "$out/sqlite/filled.db"
    filled_url="sqlite://$out/sqlite/filled.db"
  else
    psql "$TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS ${db}_filled" -c "CREATE DATABASE ${db}_filled TEMPLATE $db"
    filled_url="${TEST_DATABASE_URL%/*}/${db}_filled"
  fi
  fill_tables "$backend" "$filled_url" "$fill_rows"
  start_server "$url" 12
  as_is_port=$port as_is_pid=$server_pid
  start_server "$filled_url" 12
  filled_port=$port filled_pid=$server_pid
  as_is_lines=() filled_lines=() turn_ratios=()
  # each turn the other one first (as is, filled; filled, as is; ...), so a drift favours neither
  for turn in $(seq 1 "$fill_rounds"); do
    for which in $([ $((turn % 2)) = 1 ] && echo "as_is filled" || echo "filled as_is"); do
      if [ "$which" = as_is ]; then
        port=$as_is_port
        as_is_lines+=("$(BENCH_TOKEN=$token load get.lua /auth/status "$connections")")
      else
        port=$filled_port
        filled_lines+=("$(BENCH_TOKEN=$token load get.lua /auth/status "$connections")")
      fi
    done
    turn_ratios+=("$(ratio "$(cut -d' ' -f1 <<<"${filled_lines[-1]}")" "$(cut -d' ' -f1 <<<"${as_is_lines[-1]}")")")
  done
  median_line() { printf '%s\n' "$@" | sort -n -k1,1 | sed -n "$((($# + 1) / 2))p"; }
  baseline=$(median_line "${as_is_lines[@]}")
  big=$(median_line "${filled_lines[@]}")
  row "$backend" "status, median of $fill_rounds turns" "$baseline" no
  row "$backend" "status, $fill_rows more users, sessions and revocations (median of $fill_rounds turns)" "$big" no
  baseline_rps=$(cut -d' ' -f1 <<<"$baseline")
  big_rps=$(cut -d' ' -f1 <<<"$big")
  turns="filled ÷ as is per turn: $(IFS=' '; echo "${turn_ratios[*]}")"
  say "$backend: $turns"
  server_pid=$filled_pid
  stop_server >/dev/null
  server_pid=$as_is_pid
  stop_server >/dev/null
  [ "$backend" = postgres ] && psql "$TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS ${db}_filled" || true

  say "== $backend: bcrypt cost 4"
  start_server "$url" 4
  # a user whose stored hash has cost 4 (the cost-12 user's hash stays at 12)
  post /auth/register '{"email":"bench4@example.com","password":"bench-password"}' | grep -q auth_token \
    || { say "registering the cost-4 user failed; see $out/server.log"; exit 1; }
  register_users bench4 "$connections"
  row "$backend" "login, cost 4" "$(BENCH_LOGIN_USERS=$connections BENCH_LOGIN_PREFIX=bench4 load login.lua /auth/login "$connections")" no
  row "$backend" "register, cost 4" "$(BENCH_RUN_ID=${run_id}b load register.lua /auth/register "$connections")" no
  rss=$(stop_server)
  [ "$rss" -gt "$peak_rss_kb" ] && peak_rss_kb=$rss
  rows+=("| $backend | server peak RSS (cost 4 run) | | | | | | $((rss / 1024)) MiB |")

  one_p50=$(cut -d' ' -f2 <<<"$one_login")
  login_rps=$(cut -d' ' -f1 <<<"$login_line")
  hash_capacity=$(python3 -c 'import sys; print(int(sys.argv[1]) / (float(sys.argv[2]) / 1000))' "$cores" "$one_p50")
  if [ -n "$c_rate" ]; then
    c_ratio="; login ÷ C bcrypt on every core ($c_rate hashes/s) $(ratio "$login_rps" "$c_rate") (bar: 1.0)"
  else
    c_ratio="; no C bcrypt here to compare login with"
  fi
  slowdown=$(python3 -c 'import sys; print(f"{(1 - float(sys.argv[1]) / float(sys.argv[2])) * 100:.1f}%")' "$big_rps" "$baseline_rps")
  targets+=("$backend: status ÷ ceiling $(ratio "$status_rps" "$ceiling_rps") (EdDSA), $(ratio "$hs_rps" "$ceiling_rps") (HS256); status EdDSA ÷ HS256 $(ratio "$status_rps" "$hs_rps") (bar: 0.85); login ÷ (cores ÷ one hash) $(ratio "$login_rps" "$hash_capacity"); status in a 64-connection login flood ÷ idle $(ratio "$flooded_rps" "$status_rps"), its p99 $flooded_p99 ms (bar: 50); RSS before and after 1,000 concurrent logins $((rss_before / 1024)) → $((rss_storm / 1024)) MiB; status slowdown with $fill_rows more users, sessions and revocations $slowdown, medians of $fill_rounds interleaved turns ($turns) (bar: 10%); peak RSS under the mixed load $((rss_mixed / 1024)) MiB (bar: 48)$c_ratio")
  [ "$backend" = postgres ] && psql "$TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db" || true
done

{
  echo "## auth-service load benchmark"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), wrk -t1, ${duration} s per scenario, $connections connections unless stated; wrk, the server and PostgreSQL share the cores."
  echo
  echo "| backend | scenario | req/s | ÷ ceiling | p50 ms | p99 ms | errors | peak RSS |"
  echo "|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  printf -- '- %s\n' "${targets[@]}"
  echo "- peak server RSS over the whole run: $((peak_rss_kb / 1024)) MiB"
} | tee "$report"
"$root/target/release/xtask" bench-chart "$tsv" "$out/report.svg"
say "report written to $report, chart to $out/report.svg"
