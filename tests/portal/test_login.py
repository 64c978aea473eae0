"""OIDC login (authorization code + PKCE) against a real HTTP provider, and when login is required."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from authlib.jose import jwt
from fastapi.testclient import TestClient

from homelab.catalog.loader import Catalog
from homelab.cli.portal_cmd import oidc_settings
from homelab.config import Config
from homelab.errors import InputError
from homelab.portal import create_app
from homelab.portal.auth import OidcSettings

from .conftest import LiveServer, free_port
from .provider import Provider

PORTAL = "http://testserver"


@pytest.fixture
def provider() -> Iterator[Provider]:
    idp = Provider("homelab-portal", "s3cret", f"{PORTAL}/auth/callback")
    with LiveServer(idp.app) as server:
        idp.issuer = server.url
        yield idp


@pytest.fixture
def portal(config: Config, catalog: Catalog, state_dir: Path, provider: Provider) -> TestClient:
    settings = OidcSettings(issuer=provider.issuer, client_id="homelab-portal", client_secret="s3cret",
                            public_url=PORTAL)
    return TestClient(create_app(config, catalog, "dev", state_root=state_dir, oidc=settings),
                      base_url=PORTAL, follow_redirects=False)


def _login(portal: TestClient) -> httpx.Response:
    to_provider = portal.get("/login")
    assert to_provider.status_code == 302
    back = httpx.get(to_provider.headers["location"], follow_redirects=False)
    assert back.status_code == 302 and back.headers["location"].startswith(f"{PORTAL}/auth/callback?")
    return portal.get(back.headers["location"].removeprefix(PORTAL))


def test_everything_needs_login_first(portal: TestClient) -> None:
    assert portal.get("/api/overview").status_code == 401
    assert portal.get("/openapi.json").status_code == 401
    page = portal.get("/")
    assert page.status_code == 303 and page.headers["location"] == "/login"
    assert portal.get("/static/portal.css").status_code == 200  # the login page's own assets stay open


def test_authorization_code_flow_with_pkce(portal: TestClient, provider: Provider) -> None:
    location = portal.get("/login").headers["location"]
    assert location.startswith(f"{provider.issuer}/authorize?")
    query = httpx.URL(location).params
    assert query["code_challenge_method"] == "S256" and query["nonce"] and query["state"]
    assert query["redirect_uri"] == f"{PORTAL}/auth/callback"
    done = _login(portal)
    assert done.status_code == 303 and done.headers["location"] == "/"
    cookie = done.headers["set-cookie"]
    assert "homelab_portal_80=" in cookie and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert portal.get("/api/overview").status_code == 200
    page = portal.get("/")
    assert page.status_code == 200 and "alice" in page.text
    assert portal.get("/logout").status_code == 303
    assert portal.get("/api/overview").status_code == 401


def test_forged_or_replayed_callback_is_refused(portal: TestClient) -> None:
    assert portal.get("/auth/callback?code=made-up&state=made-up").status_code == 401
    to_provider = portal.get("/login")
    back = httpx.get(to_provider.headers["location"], follow_redirects=False).headers["location"]
    assert portal.get(back.removeprefix(PORTAL)).status_code == 303
    portal.get("/logout")
    assert portal.get(back.removeprefix(PORTAL)).status_code == 401  # state and code are single-use
    assert portal.get("/api/overview").status_code == 401


def test_wrong_client_secret_fails_login(config: Config, catalog: Catalog, state_dir: Path,
                                         provider: Provider) -> None:
    settings = OidcSettings(issuer=provider.issuer, client_id="homelab-portal", client_secret="wrong",
                            public_url=PORTAL)
    portal = TestClient(create_app(config, catalog, "dev", state_root=state_dir, oidc=settings),
                        base_url=PORTAL, follow_redirects=False)
    assert _login(portal).status_code == 401
    assert portal.get("/api/overview").status_code == 401


@pytest.mark.parametrize(("host", "insecure"), [
    ("127.0.0.1", False), ("::1", False), ("localhost", False), ("0.0.0.0", True), ("192.168.1.5", True)])
def test_login_optional_on_loopback_or_when_explicitly_insecure(host: str, insecure: bool) -> None:
    assert oidc_settings(host, 8080, None, None, "X", None, insecure) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5", "portal.example.net"])
def test_login_required_beyond_loopback(host: str) -> None:
    with pytest.raises(InputError, match="needs a login"):
        oidc_settings(host, 8080, None, None, "X", None, False)


def test_oidc_secret_comes_from_the_environment(monkeypatch: Any) -> None:
    monkeypatch.delenv("PORTAL_TEST_SECRET", raising=False)
    with pytest.raises(InputError, match="client secret"):
        oidc_settings("0.0.0.0", 8080, "https://sso.example.net/realms/homelab", "portal", "PORTAL_TEST_SECRET",
                      None, False)
    monkeypatch.setenv("PORTAL_TEST_SECRET", "from-env")
    settings = oidc_settings("0.0.0.0", 8080, "https://sso.example.net/realms/homelab", "portal",
                             "PORTAL_TEST_SECRET", "https://portal.example.net", False)
    assert settings is not None and settings.client_secret == "from-env"
    assert settings.redirect_uri == "https://portal.example.net/auth/callback"
    assert "from-env" not in repr(settings)


def test_logout_ends_the_session_on_the_server_and_at_the_provider(portal: TestClient, provider: Provider) -> None:
    _login(portal)
    stolen = dict(portal.cookies)  # what an attacker copied while the user was logged in
    assert portal.get("/api/overview").status_code == 200
    out = portal.get("/logout")
    assert out.status_code == 303 and out.headers["location"].startswith(f"{provider.issuer}/logout?")
    back = httpx.get(out.headers["location"], follow_redirects=False)  # RP-initiated logout at the provider
    assert back.headers["location"] == f"{PORTAL}/logged-out"
    assert provider.logouts[-1]["id_token_hint"] and provider.logouts[-1]["client_id"] == "homelab-portal"
    assert "logged out" in portal.get("/logged-out").text.lower()
    replay = TestClient(portal.app, base_url=PORTAL, follow_redirects=False, cookies=stolen)
    assert replay.get("/api/overview").status_code == 401  # the old cookie no longer works anywhere


def _b64(part: dict[str, Any]) -> str:
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def _signed(provider: Provider, claims: dict[str, Any]) -> str:
    return jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, provider.key).decode()


HOSTILE: dict[str, Callable[[Provider, dict[str, Any]], str]] = {
    "wrong audience": lambda p, c: _signed(p, c | {"aud": "another-client"}),
    "expired": lambda p, c: _signed(p, c | {"exp": int(time.time()) - 600, "iat": int(time.time()) - 900}),
    "wrong issuer": lambda p, c: _signed(p, c | {"iss": "http://127.0.0.1:1/evil"}),
    "wrong nonce": lambda p, c: _signed(p, c | {"nonce": "replayed"}),
    "alg none": lambda p, c: f"{_b64({'alg': 'none'})}.{_b64(c)}.",
    "HS256 with the client secret": lambda p, c: jwt.encode({"alg": "HS256"}, c, "s3cret" * 6).decode(),
    "bad signature": lambda p, c: _signed(p, c)[:-8] + "AAAAAAAA",
    "not a JWT": lambda p, c: "garbage",
}


@pytest.mark.parametrize("flaw", list(HOSTILE))
def test_hostile_id_tokens_make_no_session(portal: TestClient, provider: Provider, flaw: str,
                                           caplog: pytest.LogCaptureFixture) -> None:
    minted: list[str] = []
    provider.mint = lambda claims: minted.append(HOSTILE[flaw](provider, claims)) or minted[-1]
    answer = _login(portal)
    assert answer.status_code == 401 and "Login failed" in answer.text, (flaw, answer.status_code)
    assert portal.get("/api/overview").status_code == 401
    assert minted and minted[0] not in caplog.text and minted[0] not in answer.text


def test_provider_unreachable_at_callback_is_502(portal: TestClient, provider: Provider) -> None:
    to_provider = portal.get("/login")
    back = httpx.get(to_provider.headers["location"], follow_redirects=False).headers["location"]
    provider.app.router.routes = [r for r in provider.app.router.routes if getattr(r, "path", "") != "/token"]
    failed = portal.get(back.removeprefix(PORTAL))  # the token endpoint is gone: a page, not a dropped connection
    assert failed.status_code == 502 and "did not answer" in failed.text


def test_callback_from_another_issuer_is_refused(portal: TestClient, provider: Provider) -> None:
    provider.callback_extra = {"iss": "http://127.0.0.1:1/evil"}
    assert _login(portal).status_code == 401
    provider.callback_extra = {"iss": provider.issuer}
    assert _login(portal).status_code == 303


def test_discovery_naming_another_issuer_fails_at_start(config: Config, catalog: Catalog, state_dir: Path,
                                                        provider: Provider) -> None:
    provider.discovered = {"issuer": "http://127.0.0.1:1/evil"}
    settings = OidcSettings(issuer=provider.issuer, client_id="homelab-portal", client_secret="s3cret",
                            public_url=PORTAL)
    with pytest.raises(InputError, match="names issuer"):
        create_app(config, catalog, "dev", state_root=state_dir, oidc=settings)


def test_unreachable_issuer_fails_at_start(config: Config, catalog: Catalog, state_dir: Path) -> None:
    settings = OidcSettings(issuer=f"http://127.0.0.1:{free_port()}/realms/x", client_id="c", client_secret="s",
                            public_url=PORTAL)
    with pytest.raises(InputError, match="cannot read the OIDC discovery document"):
        create_app(config, catalog, "dev", state_root=state_dir, oidc=settings)


def test_provider_error_is_not_echoed(portal: TestClient) -> None:
    portal.get("/login")
    hostile = portal.get("/auth/callback", params={"error": "<script>alert(1)</script>", "state": "x"})
    assert hostile.status_code == 401 and "unknown" in hostile.text and "alert(1)" not in hostile.text
    known = portal.get("/auth/callback", params={"error": "access_denied", "state": "x"})
    assert known.status_code == 401 and "access_denied" in known.text


def test_long_user_name_keeps_the_cookie_small(portal: TestClient, provider: Provider) -> None:
    provider.user = "x" * 20_000
    done = _login(portal)
    assert done.status_code == 303 and len(done.headers["set-cookie"]) < 400
    assert "x" * 64 in portal.get("/").text and "x" * 65 not in portal.get("/").text


def test_session_secret_must_be_long(monkeypatch: Any) -> None:
    monkeypatch.setenv("PORTAL_TEST_SECRET", "from-env")
    monkeypatch.setenv("HOMELAB_PORTAL_SESSION_SECRET", "short")
    with pytest.raises(InputError, match="at least 32") as caught:
        oidc_settings("127.0.0.1", 8080, "https://sso.example.net", "portal", "PORTAL_TEST_SECRET", None, False)
    assert "short" not in str(caught.value)


def test_two_portals_on_one_host_have_their_own_cookies() -> None:
    one = OidcSettings(issuer="i", client_id="c", client_secret="s", public_url="http://127.0.0.1:8080")
    two = OidcSettings(issuer="i", client_id="c", client_secret="s", public_url="http://127.0.0.1:8081")
    assert one.cookie_name != two.cookie_name


def test_oidc_on_a_wildcard_address_needs_the_public_url(monkeypatch: Any) -> None:
    monkeypatch.setenv("PORTAL_TEST_SECRET", "from-env")
    with pytest.raises(InputError, match="--public-url"):
        oidc_settings("0.0.0.0", 8080, "https://sso.example.net", "portal", "PORTAL_TEST_SECRET", None, False)
