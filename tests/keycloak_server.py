"""Keycloak, the real server `.ci/servers/keycloak.sh` starts: its address and admin, and where a rendered UI
holds the redirect URL its login sends (the catalog's `oidc.redirect`), read from the built objects.

Tests that need Keycloak call `require_keycloak()`: it skips with the reason when Keycloak is not running, and
fails under `CI=true`.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import yaml

from homelab.catalog.model import Component, Endpoint, OidcRedirect
from homelab.render import sso
from tests.needs import missing

SERVER = "http://127.0.0.1:58380"
ADMIN, ADMIN_PASSWORD = "homelab-admin", "homelab-keycloak-admin"  # test-only, as in .ci/servers/keycloak.sh


def require_keycloak() -> None:
    """Nothing when the master realm answers its discovery document, else a skip (a failure under CI)."""
    try:
        httpx.get(f"{SERVER}/realms/master/.well-known/openid-configuration", timeout=5).raise_for_status()
    except httpx.HTTPError as exc:
        missing(f"Keycloak is not running at {SERVER} (bash .ci/servers/keycloak.sh starts it): {exc!r}")


def _at(node: Any, pointer: str) -> Any:
    for part in pointer.lstrip("/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _named(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind} {name} is built {len(found)} times"
    return found[0]


def read_redirect(objects: list[dict[str, Any]], where: OidcRedirect, application: str) -> str:
    """The redirect URL as rendered: the value at `where` in the named object (default: `application`)."""
    kind, _, name = (where.object or f"Application/{application}").partition("/")
    obj = _named(objects, kind, name)
    if where.patch:
        patch_kind, _, patch_name = where.patch.partition("/")
        patches = [p["patch"] for p in obj["spec"]["source"]["kustomize"]["patches"]
                   if p.get("target", {}).get("kind") == patch_kind and p["target"].get("name") == patch_name]
        assert len(patches) == 1, f"{kind} {name} has {len(patches)} kustomize patches of {where.patch}"
        value = patches[0]
    else:
        assert where.pointer
        value = _at(obj, where.pointer)
    if where.key:  # YAML text; an ExternalSecret's is a Go template, whose expressions are read as text
        value = yaml.safe_load(re.sub(r"\{\{.*?\}\}", "templated", value))
        for part in where.key.split("."):
            value = value[part]
    return str(value) + where.append


def redirect_url(objects: list[dict[str, Any]], comp: Component, endpoint: Endpoint, proxy: Component | None) -> str:
    """The redirect URL the UI's own login or its OAuth2 Proxy instance sends, read from the built objects."""
    if endpoint.sso == "proxy":
        assert proxy is not None and proxy.oidc and proxy.oidc.redirect, "the auth proxy's entry has no oidc.redirect"
        return read_redirect(objects, proxy.oidc.redirect, sso.proxy_name(comp, endpoint, proxy))
    assert comp.oidc and comp.oidc.redirect, f"{comp.name} logs in by itself but its entry has no oidc.redirect"
    return read_redirect(objects, comp.oidc.redirect, comp.name)
