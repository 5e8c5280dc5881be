#!/usr/bin/env bash
# make api-check: Schemathesis (an OpenAPI fuzzer we did not write), pinned, in a virtualenv under target/,
# against a release server on a fresh SQLite database, with every check. The seed's 403 for a logout
# without a token is the one documented exception (scripts/api-check/schemathesis.toml).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
say() { printf 'api-check: %s\n' "$*" >&2; }

version=4.32.5
venv=target/api-check/venv
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
  say "installing schemathesis $version into $venv"
  if ! python3 -m venv "$venv" 2>/dev/null; then
    command -v apt-get >/dev/null && [ "$(id -u)" = 0 ] || { say "python3 with venv is needed"; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get update -qq && apt-get install -y -qq python3-venv
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$version"
fi

binary=${AUTH_SERVER_BINARY:-}
if [ -z "$binary" ]; then
  cargo build --locked --release -p auth-server --bin auth-server
  binary=target/release/auth-server
fi

work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
# hooks.py registers a user per case from this one address: the per-client registration limit is off
# (the login limits stay on, and their 429 is in the document)
# email is on (written to the server's log): the email endpoints answer as a configured service's do
APP_ENVIRONMENT=test APP__DATABASE__URL="sqlite://$work/auth.db" APP__SERVER__PORT=0 APP__ABUSE__REGISTER_PER_IP_PER_HOUR=0 \
  APP__EMAIL__TRANSPORT=log "$binary" serve --print-address > "$work/address" 2> "$work/server.log" &
server=$!
for _ in $(seq 1 300); do
  [ -s "$work/address" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; say "the server did not start"; exit 1; }
  sleep 0.1
done
address=$(sed -n 's/^listening on //p' "$work/address")
[ -n "$address" ] || { cat "$work/server.log" >&2; say "no address reported"; exit 1; }
say "server on $address"

# An administrator, for GET /admin/events: registered over the API, made admin with the command line.
admin_email="api-check-admin@example.com"
admin_token=$(python3 - "http://$address/auth/register" "$admin_email" <<'PY'
import json, sys, urllib.request
body = json.dumps({"email": sys.argv[2], "password": "api-check-password"}).encode()
request = urllib.request.Request(sys.argv[1], data=body, headers={"Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(request, timeout=10))["auth_token"])
PY
)
APP_ENVIRONMENT=test APP__DATABASE__URL="sqlite://$work/auth.db" \
  "$binary" user set-admin --email "$admin_email" --admin true >/dev/null
export API_CHECK_ADMIN_TOKEN=$admin_token

cd scripts/api-check
export API_CHECK_BASE_URL="http://$address" SCHEMATHESIS_HOOKS=hooks PYTHONPATH=.
"$root/$venv/bin/schemathesis" run "http://$address/openapi.json" \
  ${API_CHECK_CHECKS:+--checks "$API_CHECK_CHECKS"} \
  --max-examples "${API_CHECK_EXAMPLES:-50}" \
  --seed "${API_CHECK_SEED:-20261129}" \
  --generation-deterministic \
  --no-color \
  --report junit --report-dir "$root/target/api-check" \
  "$@"
