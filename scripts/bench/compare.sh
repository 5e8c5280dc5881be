#!/usr/bin/env bash
# `make bench-compare BASE=<rev>`: status and login throughput of this tree against an earlier revision, on
# the same machine in the same minutes. Both release servers run side by side, each on its own fresh
# database, and are measured in turns (before, after, before, after, ...): these 2-core machines drift by
# more than the differences looked for, and only interleaved turns compare. Medians of the turns and the
# per-turn ratios go to stdout and target/bench-compare/report.md.
#   BASE (default HEAD~1)  COMPARE_ROUNDS (default 5)  BENCH_DURATION (s, default 10)
#   COMPARE_BACKENDS (default "sqlite postgres"; PostgreSQL from TEST_DATABASE_URL, as `make bench` sets it)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

base=${BASE:-HEAD~1}
rounds=${COMPARE_ROUNDS:-5}
duration=${BENCH_DURATION:-10}
backends=${COMPARE_BACKENDS:-sqlite postgres}
out=$root/target/bench-compare
tree=$out/before
mkdir -p "$out"
export BENCH_LUA_DIR=$root/scripts/bench
say() { printf 'bench-compare: %s\n' "$*" >&2; }
if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing wrk (Debian package)"
    apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
  else
    say "wrk is needed: install it (Debian/Ubuntu: sudo apt-get install wrk; macOS: brew install wrk)"
    exit 1
  fi
fi

rev=$(git rev-parse --verify "$base^{commit}")
say "before: $(git log -1 --format='%h %s' "$rev")"
if [ ! -d "$tree" ] || [ "$(git -C "$tree" rev-parse HEAD 2>/dev/null)" != "$rev" ]; then
  git worktree remove --force "$tree" 2>/dev/null || rm -rf "$tree"
  git worktree prune
  git worktree add --detach "$tree" "$rev" >&2
fi
say "building both in release mode"
# the earlier tree builds into a target directory of its own, kept between runs
(cd "$tree" && cargo build --release --locked -p auth-server --bin auth-server >&2)
cargo build --release --locked -p auth-server --bin auth-server >&2

export APP__TOKENS__SECRET="compare-secret-$(date +%s)-0123456789abcdefghijklmnop"
export APP__TOKENS__KEY_ENCRYPTION_KEY=$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')
cores=$(nproc)
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

start() { # name directory database-url: starts that tree's server, prints its port
  local port
  port=$(free_port)
  (cd "$2" && APP_ENVIRONMENT=development APP__SERVER__PORT=$port APP__DATABASE__URL=$3 APP__PASSWORD__BCRYPT_COST=12 \
    APP__ABUSE__REGISTER_PER_IP_PER_HOUR=0 APP__TOKENS__ALGORITHM=EdDSA APP__LOG__LEVEL=warn \
    exec "$2/target/release/auth-server" serve >>"$out/$1.log" 2>&1) &
  pids+=($!)
  for _ in $(seq 1 300); do
    curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && { echo "$port"; return; }
    sleep 0.1
  done
  say "the $1 server did not become ready; see $out/$1.log"
  exit 1
}

post() { curl -s -X POST -H 'Content-Type: application/json' -d "$3" "http://127.0.0.1:$1$2"; }
token_of() { python3 -c 'import json, sys; print(json.load(sys.stdin)["auth_token"])'; }

load() { # port script path connections: prints req/s; a run with any non-2xx or socket error fails
  local result
  result=$(wrk -t1 -c"$4" -d"${duration}s" --latency --timeout 30s -s "$BENCH_LUA_DIR/$2" "http://127.0.0.1:$1$3" | grep '^RESULT')
  if ! grep -q 'non2xx=0 sockerr=0' <<<"$result"; then
    say "errors in $3 on port $1: $result"
    exit 1
  fi
  sed -n 's/^RESULT requests=[0-9]* rps=\([0-9.]*\) .*/\1/p' <<<"$result"
}

median() { python3 -c 'import statistics, sys; m = statistics.median(float(a) for a in sys.argv[1:]); print(f"{m:.0f}" if m >= 100 else f"{m:.1f}")' "$@"; }
ratios() { # befores... -- afters...: each turn's after ÷ before
  python3 -c '
import sys
i = sys.argv.index("--")
b, a = sys.argv[1:i], sys.argv[i + 1:]
print(" ".join(f"{float(y) / float(x):.3f}" for x, y in zip(b, a)))' "$@"
}

report=$out/report.md
{
  echo "## Before ($(git log -1 --format=%h "$rev")) and after ($(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ', with uncommitted changes'))"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $cores cores, $rounds interleaved turns of ${duration} s each; status at 32 connections (EdDSA), login at bcrypt cost 12 with $((cores * 4))."
  echo
  echo "| backend | scenario | before req/s (median) | after req/s (median) | after ÷ before | per-turn ratios |"
  echo "|---|---|---|---|---|---|"
} >"$report"

for backend in $backends; do
  case $backend in
    sqlite)
      rm -f "$out"/before.db* "$out"/after.db*
      url_before="sqlite://$out/before.db" url_after="sqlite://$out/after.db" ;;
    postgres)
      : "${TEST_DATABASE_URL:?PostgreSQL needs TEST_DATABASE_URL (make bench-compare sets it)}"
      for db in compare_before compare_after; do
        psql "$TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
      done
      url_before="${TEST_DATABASE_URL%/*}/compare_before" url_after="${TEST_DATABASE_URL%/*}/compare_after" ;;
    *) say "unknown backend $backend"; exit 1 ;;
  esac
  pids=()
  port_before=$(start before "$tree" "$url_before")
  port_after=$(start after "$root" "$url_after")
  declare -A token
  for side in before after; do
    port_var=port_$side
    token[$side]=$(post "${!port_var}" /auth/register '{"email":"bench@example.com","password":"bench-password"}' | token_of)
    # the concurrent logins take turns among users of their own (scripts/bench/login.lua says why)
    for ((i = 0; i < cores * 4; i++)); do
      post "${!port_var}" /auth/register "{\"email\":\"bench-login-$i@example.com\",\"password\":\"bench-password\"}" >/dev/null
    done
  done
  status_before=() status_after=() login_before=() login_after=()
  for ((turn = 1; turn <= rounds; turn++)); do
    # the order alternates too, so that neither side is always measured second
    if ((turn % 2)); then order="before after"; else order="after before"; fi
    for side in $order; do
      port_var=port_$side
      rps=$(BENCH_TOKEN=${token[$side]} load "${!port_var}" get.lua /auth/status 32)
      eval "status_$side+=($rps)"
      say "$backend turn $turn: $side status $rps req/s"
    done
    for side in $order; do
      port_var=port_$side
      rps=$(BENCH_LOGIN_USERS=$((cores * 4)) load "${!port_var}" login.lua /auth/login $((cores * 4)))
      eval "login_$side+=($rps)"
      say "$backend turn $turn: $side login $rps req/s"
    done
  done
  cleanup
  wait 2>/dev/null || true
  for scenario in status login; do
    eval "b=(\"\${${scenario}_before[@]}\") a=(\"\${${scenario}_after[@]}\")"
    mb=$(median "${b[@]}") ma=$(median "${a[@]}")
    echo "| $backend | $scenario | $mb | $ma | $(python3 -c "print(f'{$ma / $mb:.3f}')") | $(ratios "${b[@]}" -- "${a[@]}") |" >>"$report"
  done
  [ "$backend" = postgres ] && psql "$TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS compare_before WITH (FORCE)" -c "DROP DATABASE IF EXISTS compare_after WITH (FORCE)"
done
cat "$report"
