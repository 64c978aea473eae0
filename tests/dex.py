"""Dex, the real OpenID provider `.ci/servers/dex.sh` starts: its address, client and user, and its tokens.

The names here match the script's static configuration. Tests that need Dex call `require_dex()`:
it skips with the reason when Dex is not running, and fails under `CI=true`.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.needs import missing

ISSUER = "http://127.0.0.1:55556/dex"
CLIENT_ID = "homelab-portal"
CLIENT_SECRET = "homelab-portal-test-secret"
USER, EMAIL, PASSWORD = "admin", "admin@homelab.test", "homelab-test-password"
# Redirect URIs registered for the client: the TestClient's base URL and four loopback ports.
TEST_PORTAL = "http://testserver"
LIVE_PORTS = (55560, 55561, 55562, 55563)


def require_dex() -> dict[str, Any]:
    """Dex's discovery document, or a skip (a failure under CI) saying how to start it."""
    try:
        discovery: dict[str, Any] = httpx.get(f"{ISSUER}/.well-known/openid-configuration", timeout=3).json()
    except (httpx.HTTPError, ValueError) as exc:
        missing(f"Dex is not running at {ISSUER} (bash .ci/servers/dex.sh starts it): {exc!r}")
    return discovery


def password_grant_tokens(scope: str = "openid profile email") -> dict[str, Any]:
    """Tokens for the static user straight from Dex's token endpoint (its local password connector)."""
    token_endpoint = require_dex()["token_endpoint"]
    answer = httpx.post(token_endpoint, auth=(CLIENT_ID, CLIENT_SECRET), timeout=10, data={
        "grant_type": "password", "username": EMAIL, "password": PASSWORD, "scope": scope})
    answer.raise_for_status()
    tokens: dict[str, Any] = answer.json()
    return tokens
