"""Platform check of single sign-on: every exposed UI logs in through the one identity provider.

A UI the catalog marks `sso: oidc` must carry its own OIDC login in its values (the entry's `oidc`
facet, with the internal CA trusted where the issuer uses it) and a Secret with the client read from the
client's Vault path; one marked `sso: proxy` must be routed through its OAuth2 Proxy instance; each of
them must be able to reach the issuer through the ingress. `sso: none` endpoints are APIs or the
identity provider itself, as their entries say.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from homelab.catalog.model import Component, Endpoint
from homelab.render import ingress, sso
from homelab.render.argocd import application_values
from homelab.render.values import oidc_issuer, substitute
from homelab.validate.findings import Finding
from homelab.validate.stores import contains, reads

if TYPE_CHECKING:
    from homelab.validate.platform import EnvView

HTTPS = 443


def _values(app: dict[str, Any] | None) -> dict[str, Any]:
    return application_values(app)[1]


def sso_configured(view: EnvView) -> Iterator[Finding]:
    """A UI published without its own login or a proxy in front is open to anyone who reaches the ingress,
    and an OIDC client that cannot reach or trust the issuer logs nobody in."""
    ctx = view.ctx
    if ctx.identity_provider() is None:
        return
    entry = ingress.entry_namespace(ctx)
    for comp, endpoint in ctx.exposed():
        if endpoint.sso == "oidc":
            yield from _own_login(view, comp, endpoint)
        elif endpoint.sso == "proxy":
            yield from _proxied(view, comp, endpoint)
        if endpoint.sso != "none" and entry and not view.network().allows(comp.namespace, entry, HTTPS):
            yield view.finding("sso-configured", view.namespace(comp.namespace), ["metadata", "name"],
                               f"{comp.name}'s login cannot reach the issuer {oidc_issuer(ctx)}: no flow from "
                               f"{comp.namespace} to the ingress in {entry}",
                               f"allow egress from {comp.namespace} to {entry} (and ingress there from it)")


def _own_login(view: EnvView, comp: Component, endpoint: Endpoint) -> Iterator[Finding]:
    ctx = view.ctx
    app = view.application(comp.name)
    if comp.oidc is None:
        yield view.finding("sso-configured", app or view.namespace(comp.namespace), ["metadata", "name"],
                           f"{comp.name} is exposed for login (sso: oidc) but has no OIDC configuration of its own",
                           "give its catalog entry an `oidc` facet in its chart's keys, or put it behind the proxy "
                           "(sso: proxy)")
        return
    wanted = substitute(sso.client_values(ctx, comp), ctx, comp)
    if app is not None and not contains(_values(app), wanted):
        yield view.finding("sso-configured", app, application_values(app)[0],
                           f"{comp.name}'s values do not configure its OIDC login with the platform's issuer"
                           + (" and trust the internal CA" if sso.internal_ca(ctx) and comp.oidc.ca_values else ""),
                           "render its values with the entry's oidc facet")
    secret = comp.oidc.secret
    path = f"{ctx.platform}/{ctx.env}/{comp.name}/oidc-client"
    mine = [o for o in view.of("ExternalSecret") if o["metadata"].get("namespace") == comp.namespace]
    if secret and not any(o["spec"]["target"]["name"] == secret.name and reads(o, path) for o in mine):
        yield view.finding("sso-configured", app or view.namespace(comp.namespace), ["metadata", "name"],
                           f"{comp.name} reads its OIDC client from no Secret {secret.name} built from {path}",
                           f"render the ExternalSecret {secret.name} in {comp.namespace}")
    if sso.internal_ca(ctx) and comp.oidc.ca_values and not _trust(view, comp.namespace):
        yield view.finding("sso-configured", view.namespace(comp.namespace), ["metadata", "name"],
                           f"nothing in {comp.namespace} holds the internal CA that signs the issuer's certificate",
                           f"issue the Certificate {sso.ca_secret(ctx)} there from the CA issuer")


def _trust(view: EnvView, namespace: str) -> bool:
    return any(c["metadata"].get("namespace") == namespace and c["spec"].get("secretName") == sso.ca_secret(view.ctx)
               for c in view.of("Certificate"))


def _proxied(view: EnvView, comp: Component, endpoint: Endpoint) -> Iterator[Finding]:
    ctx = view.ctx
    proxy = ctx.provider("auth-proxy")
    route = next((r for r in [*view.of("Ingress"), *view.of("HTTPRoute")]
                  if r["metadata"]["name"] == f"{comp.name}-{endpoint.name}"), None)
    if proxy is None:
        yield view.finding("sso-configured", route or view.namespace(comp.namespace), ["metadata", "name"],
                           f"{comp.name}'s {endpoint.name} is published without the proxy it needs (no auth-proxy "
                           "in the plan)", "add oauth2-proxy to the plan")
        return
    name = sso.proxy_name(comp, endpoint, proxy)
    if route is not None and name not in str(route.get("spec")):
        yield view.finding("sso-configured", route, ["spec"], f"{comp.name}'s {endpoint.name} is routed around its "
                           f"OAuth2 Proxy {name}", f"send the route to the Service {name}")
    app = view.application(name)
    args = _values(app).get("extraArgs") or {}
    if app is None or args.get("oidc-issuer-url") != oidc_issuer(ctx):
        yield view.finding("sso-configured", app or route, ["metadata", "name"],
                           f"{comp.name}'s {endpoint.name} has no OAuth2 Proxy logging in with the platform's issuer",
                           "render its proxy instance (sso: proxy)")
    elif proxy.oidc and sso.internal_ca(ctx) and not (
            contains(_values(app), substitute(proxy.oidc.ca_values, ctx, proxy)) and _trust(view, comp.namespace)):
        yield view.finding("sso-configured", app, application_values(app)[0],
                           f"{name} does not trust the internal CA that signs the issuer's certificate",
                           "render it with the proxy entry's oidc ca_values and the CA Certificate beside it")
