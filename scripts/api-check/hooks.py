"""Schemathesis hooks for `make api-check`: real bearer tokens for the operations that need one.

Each test case registers a user of its own and uses the token that comes back (a logout or a password
change under test touches only that user). Schemathesis then knows which credentials are real, and its
authentication checks send the same request without them and with broken ones.
"""

import os
import uuid

import requests
import schemathesis

BASE = os.environ["API_CHECK_BASE_URL"]


def _token():
    credentials = {"email": f"api-check-{uuid.uuid4().hex}@example.com", "password": "api-check-password"}
    reply = requests.post(f"{BASE}/auth/register", json=credentials, timeout=10)
    reply.raise_for_status()
    return reply.json()["auth_token"]


@schemathesis.auth(refresh_interval=None).apply_to(path_regex="^/admin/events$")
class AdminToken:
    """An administrator's token (run.sh made the user admin), so the events are read, not refused."""

    def get(self, case, ctx):
        return os.environ["API_CHECK_ADMIN_TOKEN"]

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


@schemathesis.auth(refresh_interval=None).apply_to(path_regex="^/auth/(status|logout|sessions.*|password)$")
class FreshToken:
    def get(self, case, ctx):
        return _token()

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
