"""Security headers, read-only methods, and no inline script or style in any page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from homelab.catalog.loader import Catalog
from homelab.cli.portal_cmd import allowed_hosts
from homelab.config import Config
from homelab.errors import InputError
from homelab.portal import create_app

PAGES = ["/", "/components/grafana", "/diagrams", "/api", "/components/nope"]


@pytest.mark.parametrize("path", [*PAGES, "/api/overview", "/openapi.json", "/static/portal.css"])
def test_security_headers_on_every_response(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
@pytest.mark.parametrize("path", ["/", "/api/components", "/api/components/grafana", "/no/such/path"])
def test_only_get_and_head(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
    assert "content-security-policy" in response.headers


def test_head_is_allowed(client: TestClient) -> None:
    assert client.head("/api/overview").status_code == 200


@pytest.mark.parametrize("path", PAGES)
def test_pages_have_no_inline_script_or_style(client: TestClient, path: str) -> None:
    html = client.get(path).text
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts, "every page loads its script from /static"
    for attrs, body in scripts:
        assert 'src="/static/' in attrs and body.strip() == ""
    assert "<style" not in html and not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html), "no inline event handlers"


def test_host_header_is_checked_against_dns_rebinding(config: Config, catalog: Catalog, state_dir: Path) -> None:
    app = create_app(config, catalog, "dev", state_root=state_dir, allowed_hosts=allowed_hosts("127.0.0.1", None))
    client = TestClient(app, base_url="http://127.0.0.1:8080")
    assert client.get("/api/overview").status_code == 200
    assert client.get("/api/overview", headers={"host": "localhost:8080"}).status_code == 200
    rebound = client.get("/api/overview", headers={"host": "attacker.example:8080"})
    assert rebound.status_code == 400 and "content-security-policy" in rebound.headers


def test_allowed_hosts_follow_the_binding() -> None:
    assert "portal.example.net" in allowed_hosts("10.0.0.5", "https://portal.example.net")
    assert "10.0.0.5" in allowed_hosts("10.0.0.5", None) and "localhost" not in allowed_hosts("10.0.0.5", None)
    assert "127.0.0.2" in allowed_hosts("127.0.0.2", None)  # its own address, not only 127.0.0.1
    wildcard = allowed_hosts("0.0.0.0", None, ["lab.example.net"])
    assert "*" not in wildcard and "lab.example.net" in wildcard
    assert "portal.example.net" in allowed_hosts("0.0.0.0", "https://portal.example.net")


def test_a_wildcard_address_needs_an_allow_list() -> None:
    with pytest.raises(InputError, match="DNS rebinding"):
        allowed_hosts("0.0.0.0", None)


def test_only_allowed_names_answer_on_a_wildcard_address(config: Config, catalog: Catalog, state_dir: Path) -> None:
    hosts = allowed_hosts("0.0.0.0", None, ["lab.example.net"])
    client = TestClient(create_app(config, catalog, "dev", state_root=state_dir, allowed_hosts=hosts),
                        base_url="http://lab.example.net:8080")
    assert client.get("/api/overview").status_code == 200
    assert client.get("/api/overview", headers={"host": "rebound.attacker.example"}).status_code == 400
