#!/usr/bin/env bash
# Runs a command with TEST_DATABASE_URL pointing at a PostgreSQL server the tests may use:
#   1. TEST_DATABASE_URL, when it is set;
#   2. otherwise the server on 127.0.0.1:5432, when it accepts postgres@127.0.0.1 (or $USER) without a password;
#   3. otherwise a throwaway cluster started from the installed PostgreSQL binaries in target/pgtest,
#      stopped again when the command ends.
# If none of these works it fails and says how to get one: the PostgreSQL tests are never skipped.
# AUTH_TEST_POSTGRES=throwaway forces step 3.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
say() { printf 'with-test-postgres: %s\n' "$*" >&2; }

can_connect() {
  command -v psql >/dev/null 2>&1 && psql "$1" -Atqc 'SELECT 1' >/dev/null 2>&1
}

find_pg_bin() {
  local dir
  for dir in "$(pg_config --bindir 2>/dev/null || true)" $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      echo "$dir"
      return 0
    fi
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v initdb)"
    return 0
  fi
  return 1
}

start_throwaway() {
  local bin data port run_as=()
  if ! bin=$(find_pg_bin); then
    say "no PostgreSQL server binaries (initdb, pg_ctl) found."
    say "Install them (Debian: apt-get install postgresql), or set TEST_DATABASE_URL=postgres://user:password@host:port/db."
    exit 1
  fi
  data="$root/target/pgtest"
  rm -rf "$data"
  mkdir -p "$data"
  if [ "$(id -u)" = 0 ]; then
    # initdb refuses to run as root: run the cluster as the postgres system user.
    if ! id postgres >/dev/null 2>&1; then
      say "running as root and there is no 'postgres' user to own the throwaway cluster; set TEST_DATABASE_URL."
      exit 1
    fi
    chown postgres "$data"
    run_as=(runuser -u postgres --)
  fi
  for port in $(seq 55432 55462); do
    if ! (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  done
  say "starting a throwaway PostgreSQL ($("$bin/postgres" --version)) on 127.0.0.1:$port in $data"
  "${run_as[@]}" "$bin/initdb" -D "$data/db" -U postgres -A trust --no-sync -E UTF8 >"$data/initdb.log" 2>&1 ||
    { cat "$data/initdb.log" >&2; exit 1; }
  "${run_as[@]}" "$bin/pg_ctl" -D "$data/db" -l "$data/db/server.log" -w -t 60 \
    -o "-p $port -k $data/db -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null ||
    { cat "$data/db/server.log" >&2; exit 1; }
  stop_cmd=("${run_as[@]}" "$bin/pg_ctl" -D "$data/db" -m fast -w stop)
  trap '"${stop_cmd[@]}" >/dev/null 2>&1 || true' EXIT
  TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
}

if [ -n "${TEST_DATABASE_URL:-}" ] && [ "${AUTH_TEST_POSTGRES:-}" != throwaway ]; then
  can_connect "$TEST_DATABASE_URL" || say "warning: cannot check TEST_DATABASE_URL with psql; using it as given"
else
  TEST_DATABASE_URL=""
  if [ "${AUTH_TEST_POSTGRES:-}" != throwaway ]; then
    for candidate in "postgres://postgres@127.0.0.1:5432/postgres" "postgres://${USER:-root}@127.0.0.1:5432/postgres"; do
      if can_connect "$candidate"; then
        TEST_DATABASE_URL=$candidate
        say "using the PostgreSQL server on 127.0.0.1:5432"
        break
      fi
    done
  fi
  [ -n "$TEST_DATABASE_URL" ] || start_throwaway
fi

export TEST_DATABASE_URL
"$@"
