#!/usr/bin/env bash
# The domain crate must not depend on web, database, runtime or configuration frameworks.
set -euo pipefail
tree=$(cargo tree --locked -e normal -p auth-domain --prefix none --format '{p}')
forbidden=$(printf '%s\n' "$tree" | grep -E '^(actix-web|actix-[a-z-]+|diesel|diesel_migrations|r2d2|tokio|config) v' || true)
if [ -n "$forbidden" ]; then
  echo "auth-domain must not depend on these crates:" >&2
  printf '%s\n' "$forbidden" | sed 's/^/  /' >&2
  exit 1
fi
echo "auth-domain dependency check: ok ($(printf '%s\n' "$tree" | sort -u | wc -l) crates, none forbidden)"

# The verifier crate is for other services: it must not pull in any crate of the service itself.
tree=$(cargo tree --locked -e normal -p auth-verify --all-features --prefix none --format '{p}')
forbidden=$(printf '%s\n' "$tree" | grep -E '^auth-(server|api|persistence|domain|testkit|bcrypt) v' || true)
if [ -n "$forbidden" ]; then
  echo "auth-verify must not depend on these crates:" >&2
  printf '%s\n' "$forbidden" | sed 's/^/  /' >&2
  exit 1
fi
echo "auth-verify dependency check: ok ($(printf '%s\n' "$tree" | sort -u | wc -l) crates, none of the service's)"
