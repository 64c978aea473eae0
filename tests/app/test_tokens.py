"""Bearer tokens against a real OpenID provider (Dex, started by .ci/servers/dex.sh), and hostile ones.

Dex issues the good tokens (its password grant for the static user); the hostile ones are minted here
with our own keys or none, carrying Dex's issuer, audience and key id so only the flaw differs.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from homelab_app.web import create_app
from tests import dex
from tests.app.conftest import settings_from
from tests.portal.conftest import LiveServer
from tests.portal.provider import Provider

pytestmark = pytest.mark.servers


@pytest.fixture
def dex_token() -> str:
    return str(dex.password_grant_tokens()["id_token"])


@pytest.fixture
def client(app_env) -> Iterator[TestClient]:
    dex.require_dex()
    env = app_env(oidc_issuer=dex.ISSUER, oidc_audience=dex.CLIENT_ID)
    with TestClient(create_app(settings_from(env))) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def test_items_need_a_token_from_the_issuer(client: TestClient, dex_token: str) -> None:
    refused = client.get("/items/k")
    assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer")
    assert client.put("/items/k", json={"value": "v"}).status_code == 401
    assert client.put("/items/k", json={"value": "v"}, headers=bearer(dex_token)).status_code == 200
    assert client.get("/items/k", headers=bearer(dex_token)).json()["value"] == "v"
    assert client.get("/healthz").status_code == 200 and client.get("/readyz").status_code == 200


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def _kid(token: str) -> str:
    header = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"])


def _unsigned(claims: dict[str, Any]) -> str:
    encode = lambda part: base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()  # noqa: E731
    return f"{encode({'alg': 'none', 'typ': 'JWT'})}.{encode(claims)}."


def _tampered(token: str, changes: dict[str, Any]) -> str:
    """Dex's header and signature over changed claims."""
    head, _, signature = token.split(".")
    body = base64.urlsafe_b64encode(json.dumps(_claims(token) | changes).encode()).rstrip(b"=").decode()
    return f"{head}.{body}.{signature}"


HOSTILE = {
    "signed by another key with Dex's kid": lambda t: jwt.encode(
        {"alg": "RS256", "kid": _kid(t)}, _claims(t), RSAKey.generate_key(2048, private=True)),
    "claims changed under Dex's signature": lambda t: _tampered(t, {"sub": "someone-else"}),
    "alg none": lambda t: _unsigned(_claims(t)),
    "HS256 with the client secret": lambda t: jwt.encode(
        {"alg": "HS256"}, _claims(t), OctKey.import_key(dex.CLIENT_SECRET.encode() * 2)),
    "not a JWT": lambda t: "not.a.jwt",
}


@pytest.mark.parametrize("flaw", list(HOSTILE))
def test_hostile_tokens_are_401(client: TestClient, dex_token: str, flaw: str) -> None:
    token = HOSTILE[flaw](dex_token)
    answer = client.get("/items/k", headers=bearer(token))
    assert answer.status_code == 401, (flaw, answer.text)
    assert token not in answer.text


@pytest.fixture
def double() -> Iterator[Provider]:
    """The test double provider (tests/portal/provider.py): it signs whatever claims a test asks for."""
    idp = Provider("request-path-app", "unused", "http://unused/callback")
    with LiveServer(idp.app) as server:
        idp.issuer = server.url
        yield idp


@pytest.mark.parametrize(("flaw", "changes"), [
    ("none: a well-formed token", {}),
    ("wrong audience", {"aud": "another-client"}),
    ("expired", {"exp": -3600}),
    ("another issuer", {"iss": "http://127.0.0.1:1/evil"}),
    ("no subject", {"sub": None}),
])
def test_claims_are_checked(app_env, double: Provider, flaw: str, changes: dict[str, Any]) -> None:
    """Signed by the trusted issuer's own key, so only the claim differs."""
    now = int(time.time())
    claims = {"iss": double.issuer, "sub": "user-1", "aud": "request-path-app", "iat": now, "exp": now + 300}
    claims |= {k: (now + v if k == "exp" else v) for k, v in changes.items()}
    token = jwt.encode({"alg": "RS256", "kid": "test-key"}, {k: v for k, v in claims.items() if v is not None},
                       RSAKey.import_key(double.key.as_dict(is_private=True)))
    env = app_env(oidc_issuer=double.issuer, oidc_audience="request-path-app")
    with TestClient(create_app(settings_from(env))) as client:
        expected = 404 if not changes else 401
        assert client.get("/items/absent", headers=bearer(token)).status_code == expected, flaw


def test_readyz_details_for_token_holders_only(app_env, dex_token: str, private_redis) -> None:
    dex.require_dex()
    env = app_env(oidc_issuer=dex.ISSUER, oidc_audience=dex.CLIENT_ID,
                  redis_url=f"redis://127.0.0.1:{private_redis.port}/0")
    with TestClient(create_app(settings_from(env))) as client:  # the test client is not a loopback address
        private_redis.kill()
        anonymous = client.get("/readyz")
        assert anonymous.json() == {"status": "unready", "failed": {"redis": "unreachable"}}
        assert "detail" in client.get("/readyz", headers=bearer(dex_token)).json()
