"""Schemathesis hooks for `make api-check`: real bearer tokens for the operations that need one.

Each test case logs in afresh (a logout under test revokes only its own token), as a user registered
once. Schemathesis then knows which credentials are real, and its authentication checks send the same
request without them and with broken ones.
"""

import os

import requests
import schemathesis

BASE = os.environ["API_CHECK_BASE_URL"]
CREDENTIALS = {"email": "api-check@example.com", "password": "api-check-password"}


def _token():
    reply = requests.post(f"{BASE}/auth/login", json=CREDENTIALS, timeout=10)
    if reply.status_code == 404:
        requests.post(f"{BASE}/auth/register", json=CREDENTIALS, timeout=10).raise_for_status()
        reply = requests.post(f"{BASE}/auth/login", json=CREDENTIALS, timeout=10)
    reply.raise_for_status()
    return reply.json()["auth_token"]


@schemathesis.auth(refresh_interval=None).apply_to(path_regex="^/auth/(status|logout)$")
class FreshToken:
    def get(self, case, ctx):
        return _token()

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
