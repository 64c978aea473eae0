"""The rendered realm against a real Keycloak (26.7.3, `.ci/servers/keycloak.sh`): dev's KeycloakRealmImport, built
by kubectl kustomize as Argo CD builds it, imports through the admin REST API, and every client accepts the exact
redirect URL its UI is configured with (read from the built objects) and refuses the same path on another host;
one client completes the authorization code flow with its secret, and its web origin `+` admits the UI's origin."""

from __future__ import annotations

import html
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import httpx
import pytest
import yaml
from keycloak import KeycloakAdmin
from tests.keycloak_server import ADMIN, ADMIN_PASSWORD, SERVER, redirect_url, require_keycloak
from tests.render.kubectl import argocd_build

from homelab.catalog import load_catalog
from homelab.catalog.model import Component, Endpoint
from homelab.config import Config, builtin_text
from homelab.render import render_tree, sso, write_tree

ENV = "dev"
USER, PASSWORD = "homelab-tester", secrets.token_urlsafe(16)
FLOW_CLIENT = "grafana"  # logs in by itself (generic OAuth); its redirect URL is root_url + /login/generic_oauth


class Built:
    """The example rendered and dev built: its objects, its realm with test secrets, and each client's UI."""

    def __init__(self, out: Path) -> None:
        rendered = render_tree(Config.model_validate(yaml.safe_load(builtin_text())), load_catalog())
        write_tree(rendered, out)
        self.objects = argocd_build(out, ENV)
        imports = [o for o in self.objects if o["kind"] == "KeycloakRealmImport"]
        assert len(imports) == 1
        self.spec = imports[0]["spec"]
        self.secrets = {name: secrets.token_urlsafe(24) for name in self.spec["placeholders"]}
        self.realm = _filled(self.spec["realm"], self.secrets)
        plan = rendered.plans[ENV]
        self.proxy = next((p.component for p in plan.components.values() if "auth-proxy" in p.component.provides),
                          None)
        self.uis: dict[str, tuple[Component, Endpoint]] = {
            sso.client_id(p.component, ep): (p.component, ep) for p in plan.components.values()
            for ep in p.component.endpoints if ep.expose and ep.sso in ("oidc", "proxy")}

    def client(self, client_id: str) -> dict[str, Any]:
        return next(c for c in self.realm["clients"] if c["clientId"] == client_id)

    def secret(self, client_id: str) -> str:
        """The test secret the realm gave the client: the value of its `${CLIENT_SECRET_...}` placeholder."""
        placeholder = next(c["secret"] for c in self.spec["realm"]["clients"] if c["clientId"] == client_id)
        return self.secrets[placeholder.removeprefix("${").removesuffix("}")]

    def redirect(self, client_id: str) -> str:
        comp, endpoint = self.uis[client_id]
        return redirect_url(self.objects, comp, endpoint, self.proxy)


def _filled(realm: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    """The realm with each `${NAME}` placeholder replaced, as the operator does from the placeholders' Secrets."""
    text = yaml.safe_dump(realm)
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    assert "${" not in text, "a placeholder without a value"
    filled: dict[str, Any] = yaml.safe_load(text)
    return filled


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return Built(tmp_path_factory.mktemp("realm") / "rendered")


@pytest.fixture(scope="module")
def realm(built: Built) -> str:
    """dev's realm imported into the real Keycloak (replacing an earlier run's), with one test user."""
    require_keycloak()
    admin = KeycloakAdmin(server_url=SERVER, username=ADMIN, password=ADMIN_PASSWORD, realm_name="master")
    name = built.realm["realm"]
    if any(r["realm"] == name for r in admin.get_realms()):
        admin.delete_realm(name)
    admin.create_realm(payload=built.realm)
    admin.change_current_realm(name)
    admin.create_user({"username": USER, "enabled": True, "email": f"{USER}@homelab.test", "emailVerified": True,
                       "firstName": "Homelab", "lastName": "Tester",
                       "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}]})
    return name


def _authorize(client: httpx.Client, realm: str, client_id: str, redirect: str) -> httpx.Response:
    return client.get(f"{SERVER}/realms/{realm}/protocol/openid-connect/auth", params={
        "client_id": client_id, "redirect_uri": redirect, "response_type": "code", "scope": "openid",
        "state": "homelab-state"})


def _elsewhere(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc="attacker.example.net"))


def test_the_realm_imports_with_every_client(built: Built, realm: str) -> None:
    admin = KeycloakAdmin(server_url=SERVER, username=ADMIN, password=ADMIN_PASSWORD, realm_name=realm,
                          user_realm_name="master")
    imported = {c["clientId"]: c for c in admin.get_clients()}
    wanted = [c["clientId"] for c in built.realm["clients"]]
    assert len(wanted) >= 30 and set(wanted) <= set(imported)
    for client_id in wanted:
        assert imported[client_id]["rootUrl"] == built.client(client_id)["rootUrl"]
        assert imported[client_id]["redirectUris"] == ["/*"] and imported[client_id]["webOrigins"] == ["+"]


def test_every_client_accepts_its_uis_redirect_url_and_no_other_host(built: Built, realm: str) -> None:
    refused_right, accepted_wrong = [], []
    with httpx.Client(timeout=30) as client:
        for c in built.realm["clients"]:
            redirect = built.redirect(c["clientId"])
            assert redirect.startswith("https://") and ".dev." in redirect, redirect
            answer = _authorize(client, realm, c["clientId"], redirect)
            if answer.status_code != 200 or 'id="kc-form-login"' not in answer.text:
                refused_right.append(f"{c['clientId']}: {redirect} -> {answer.status_code}")
            wrong = _authorize(client, realm, c["clientId"], _elsewhere(redirect))
            if wrong.status_code != 400 or "redirect_uri" not in wrong.text:
                accepted_wrong.append(f"{c['clientId']}: {_elsewhere(redirect)} -> {wrong.status_code}")
            client.cookies.clear()
    assert refused_right == [], "Keycloak refused a UI's own redirect URL"
    assert accepted_wrong == [], "Keycloak accepted a redirect URL on another host"


def test_a_user_logs_in_and_the_code_is_exchanged_with_the_clients_secret(built: Built, realm: str) -> None:
    redirect = built.redirect(FLOW_CLIENT)
    origin = built.client(FLOW_CLIENT)["rootUrl"]
    with httpx.Client(timeout=30) as client:
        page = _authorize(client, realm, FLOW_CLIENT, redirect)
        form = re.search(r'<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"', page.text)
        assert page.status_code == 200 and form, page.text[:500]
        # Keycloak marks its login cookies Secure; a browser sends them to http://127.0.0.1 (a secure context),
        # httpx does not, so they go along by hand
        cookies = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        login = client.post(html.unescape(form.group(1)), data={"username": USER, "password": PASSWORD},
                            headers={"Cookie": cookies})
        assert login.status_code == 302, login.text[:500]
        back = login.headers["location"]
        assert back.startswith(redirect + "?"), back
        query = parse_qs(urlsplit(back).query)
        assert query["state"] == ["homelab-state"]
        token_url = f"{SERVER}/realms/{realm}/protocol/openid-connect/token"
        exchange = {"grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": redirect}
        stolen = client.post(token_url, data=exchange, auth=(FLOW_CLIENT, "not-the-secret"))
        assert stolen.status_code == 401, "a wrong client secret was accepted"
        tokens = client.post(token_url, data=exchange, auth=(FLOW_CLIENT, built.secret(FLOW_CLIENT)),
                             headers={"Origin": origin})
    assert tokens.status_code == 200, tokens.text
    assert tokens.headers.get("access-control-allow-origin") == origin, "webOrigins + did not admit the UI's origin"
    body = tokens.json()
    assert body["token_type"].lower() == "bearer" and body["access_token"] and body["id_token"]
