"""The portal's login against a real OpenID provider: Dex, started by .ci/servers/dex.sh (tests/dex.py).

Once as a program follows it (Dex's own login form posted with httpx), once in headless Chromium as a
person would, each ending with logout: the portal's session must really end, so the cookie it had
no longer opens anything. Dex offers no RP-initiated logout (no end_session_endpoint), so logout ends
at the portal there; tests/portal/test_login.py covers the provider side with the test double.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from homelab.catalog.loader import Catalog
from homelab.config import Config
from homelab.portal import create_app
from homelab.portal.auth import OidcSettings
from tests import dex

from .conftest import LiveServer


def _settings(public_url: str) -> OidcSettings:
    return OidcSettings(issuer=dex.ISSUER, client_id=dex.CLIENT_ID, client_secret=dex.CLIENT_SECRET,
                        public_url=public_url)


@pytest.fixture
def portal(config: Config, catalog: Catalog, state_dir: Path) -> TestClient:
    dex.require_dex()
    app = create_app(config, catalog, "dev", state_root=state_dir, oidc=_settings(dex.TEST_PORTAL))
    return TestClient(app, base_url=dex.TEST_PORTAL, follow_redirects=False)


def _through_dex(portal: TestClient, password: str = dex.PASSWORD) -> httpx.Response:
    """/login, then Dex's login form as a browser would fill it, then back to the portal's callback."""
    location = portal.get("/login").headers["location"]
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        answer = browser.get(location)
        while answer.status_code in (302, 303) and not answer.headers["location"].startswith(dex.TEST_PORTAL):
            answer = browser.get(httpx.URL(str(answer.url)).join(answer.headers["location"]))
        form = re.search(r'<form[^>]*action="([^"]*)"', answer.text)
        assert form, answer.text[:500]
        posted = browser.post(httpx.URL(str(answer.url)).join(form.group(1).replace("&amp;", "&")),
                              data={"login": dex.EMAIL, "password": password})
        while posted.status_code in (302, 303) and not posted.headers["location"].startswith(dex.TEST_PORTAL):
            posted = browser.get(httpx.URL(str(posted.url)).join(posted.headers["location"]))
    if posted.status_code not in (302, 303):
        return posted  # Dex said no (its login page again)
    return portal.get(posted.headers["location"].removeprefix(dex.TEST_PORTAL))


def test_login_through_dex_then_logout_ends_the_session(portal: TestClient) -> None:
    assert portal.get("/api/overview").status_code == 401
    done = _through_dex(portal)
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert portal.get("/api/overview").status_code == 200
    assert dex.USER in portal.get("/").text  # Dex's preferred_username
    kept = dict(portal.cookies)
    out = portal.get("/logout")
    assert out.status_code == 303 and out.headers["location"] == "/logged-out"  # Dex has no end_session_endpoint
    again = TestClient(portal.app, base_url=dex.TEST_PORTAL, follow_redirects=False, cookies=kept)
    assert again.get("/api/overview").status_code == 401


def test_wrong_password_makes_no_session(portal: TestClient) -> None:
    refused = _through_dex(portal, password="not-the-password")
    assert str(refused.url).startswith(dex.ISSUER) and "Invalid" in refused.text  # Dex's own form, shown again
    assert portal.get("/api/overview").status_code == 401


def test_a_code_dex_issued_cannot_be_replayed(portal: TestClient) -> None:
    location = portal.get("/login").headers["location"]
    assert location.startswith(f"{dex.ISSUER}/auth?")
    query = httpx.URL(location).params
    assert query["code_challenge_method"] == "S256" and query["nonce"] and query["state"]
    assert _through_dex(portal).status_code == 303
    portal.get("/logout")
    assert portal.get("/auth/callback?code=replayed&state=" + query["state"]).status_code == 401


@pytest.fixture
def live_portal(config: Config, catalog: Catalog, state_dir: Path) -> Iterator[str]:
    """A real portal on one of the loopback ports registered at Dex as redirect URIs."""
    dex.require_dex()
    for port in dex.LIVE_PORTS:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                break
    else:
        pytest.fail(f"every port registered at Dex is busy: {dex.LIVE_PORTS}")
    url = f"http://127.0.0.1:{port}"
    app = create_app(config, catalog, "dev", state_root=state_dir, oidc=_settings(url),
                     allowed_hosts=["127.0.0.1"])
    with LiveServer(app, port=port):
        yield url


def test_login_in_chromium_through_dex_then_logout(page: Any, live_portal: str, screenshot: Any) -> None:
    page.goto(live_portal + "/")
    assert page.url.startswith(dex.ISSUER)  # sent to the provider's own login page
    page.fill('input[name="login"]', dex.EMAIL)
    page.fill('input[name="password"]', dex.PASSWORD)
    screenshot(page, "dex-login")
    page.click('button[type="submit"]')
    page.wait_for_url(live_portal + "/")
    assert dex.USER in page.locator("header .user").inner_text()
    assert page.request.get(live_portal + "/api/overview").status == 200
    cookies = page.context.cookies()
    page.click("header .user a")  # log out
    page.wait_for_url(live_portal + "/logged-out")
    screenshot(page, "logged-out")
    page.context.add_cookies(cookies)  # the old cookie, put back as a thief would
    assert page.request.get(live_portal + "/api/overview").status == 401
    assert page.console_errors == []
