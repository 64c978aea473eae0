"""OIDC login (authorization code + PKCE) against a real HTTP provider, and when login is required."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from homelab.catalog.loader import Catalog
from homelab.cli.portal_cmd import oidc_settings
from homelab.config import Config
from homelab.errors import InputError
from homelab.portal import create_app
from homelab.portal.auth import OidcSettings

from .conftest import LiveServer
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
    assert "homelab_portal=" in cookie and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert portal.get("/api/overview").status_code == 200
    page = portal.get("/")
    assert page.status_code == 200 and "alice" in page.text
    assert portal.get("/logout").status_code == 200
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
