"""Single sign-on for every exposed UI: OIDC clients in a Keycloak realm import, OAuth2 Proxy otherwise.

- `sso: oidc` UIs get a confidential client in the realm; the UI reads its client secret itself.
- `sso: proxy` UIs get their own OAuth2 Proxy instance (the auth-proxy provider's chart, one
  Application each, with a client of their own) and their route points at it.
- `sso: none` endpoints have their own login or are APIs; they are published as they are.
Client secrets come from Vault at `<platform>/<env>/<component>/oidc-client` (property
`client-secret`); the realm import reads them through placeholders, never as literals.
"""

from __future__ import annotations

from typing import Any

from homelab.catalog.model import Component, Endpoint
from homelab.render import argocd, secrets
from homelab.render.context import Context, Obj
from homelab.render.values import merge, oidc_issuer, substitute

REALM_API = "k8s.keycloak.org/v2alpha1"


def protected(ctx: Context, endpoint: Endpoint) -> bool:
    """True when the UI sits behind OAuth2 Proxy in this plan."""
    return endpoint.sso == "proxy" and ctx.provider("auth-proxy") is not None


def proxy_name(comp: Component, endpoint: Endpoint, proxy: Component) -> str:
    """Release name containing the chart name, so the chart's Service is called exactly this."""
    return f"{comp.name}-{endpoint.name}-{proxy.source.chart or proxy.name}"


def backend(ctx: Context, comp: Component, endpoint: Endpoint) -> tuple[str, int]:
    """The Service and port a route sends this UI's traffic to."""
    proxy = ctx.provider("auth-proxy")
    if proxy is None or not protected(ctx, endpoint):
        return endpoint.service, endpoint.port
    return proxy_name(comp, endpoint, proxy), proxy.endpoints[0].port if proxy.endpoints else 80


def client_id(comp: Component, endpoint: Endpoint) -> str:
    return comp.name if endpoint == next(e for e in comp.endpoints if e.expose) else f"{comp.name}-{endpoint.name}"


def _secret(ctx: Context, owner: Component, name: str, namespace: str, data: dict[str, tuple[str, str]],
            plain: dict[str, str] | None = None) -> Obj:
    """An ExternalSecret: Secret key -> (Vault path, property); `plain` adds non-secret keys (a client id)."""
    target: dict[str, Any] = {"name": name, "creationPolicy": "Owner"}
    if plain:
        target["template"] = {"engineVersion": "v2", "mergePolicy": "Merge", "data": plain}
    spec = {"refreshInterval": "1h",
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": secrets.store_name(ctx)},
            "target": target,
            "data": [{"secretKey": key, "remoteRef": {"key": path, "property": prop}}
                     for key, (path, prop) in sorted(data.items())]}
    return ctx.obj(secrets.API, "ExternalSecret", name, owner=owner.name, role="sso", group=ctx.group_of(owner),
                   namespace=namespace, spec=spec)


def _client_path(ctx: Context, comp: Component) -> str:
    return secrets.vault_path(ctx, comp.name, "oidc-client")


def proxies(ctx: Context) -> list[Obj]:
    proxy = ctx.provider("auth-proxy")
    if proxy is None or proxy.source.kind == "none":
        return []
    out = []
    issuer = oidc_issuer(ctx)
    for comp, endpoint in ctx.exposed():
        if not protected(ctx, endpoint):
            continue
        name = proxy_name(comp, endpoint, proxy)
        path = _client_path(ctx, comp)
        out.append(_secret(ctx, comp, name, comp.namespace, {
            "client-secret": (path, "client-secret"), "cookie-secret": (path, "cookie-secret")},
            plain={"client-id": client_id(comp, endpoint)}))
        values = merge(substitute(proxy.values, ctx, proxy), {
            "config": {"existingSecret": name},
            "extraArgs": {"provider": "oidc", "oidc-issuer-url": issuer, "email-domain": "*",
                          "upstream": f"http://{endpoint.service}.{comp.namespace}.svc:{endpoint.port}",
                          "redirect-url": f"https://{ctx.host(comp, endpoint)}/oauth2/callback",
                          "cookie-secure": "true"}})
        planned = ctx.plan.components[comp.name]
        version = ctx.plan.components[proxy.name].version or proxy.source.version or ""
        src = argocd.source(ctx, proxy, version, values)
        src.setdefault("helm", {})["releaseName"] = name
        spec = {"project": argocd.project_name(ctx, comp.layer), "source": src,
                "destination": {"server": argocd.IN_CLUSTER, "namespace": comp.namespace},
                "syncPolicy": argocd.sync_policy(ctx)}
        out.append(ctx.obj(argocd.API, "Application", name, owner=comp.name, role="sso", group=ctx.group_of(comp),
                           namespace=ctx.argocd_namespace(), wave=max(planned.wave, ctx.wave_of(proxy.name)),
                           spec=spec))
    return out


def clients(ctx: Context) -> list[dict[str, Any]]:
    """The OIDC client of every UI that logs in through the identity provider (itself or via a proxy)."""
    out = []
    for comp, endpoint in ctx.exposed():
        if endpoint.sso == "oidc" or protected(ctx, endpoint):
            cid = client_id(comp, endpoint)
            host = ctx.host(comp, endpoint)
            out.append({"clientId": cid, "name": comp.title, "enabled": True, "protocol": "openid-connect",
                        "publicClient": False, "standardFlowEnabled": True,
                        "secret": "${CLIENT_SECRET_" + cid.upper().replace("-", "_") + "}",
                        "redirectUris": [f"https://{host}/*"], "webOrigins": [f"https://{host}"]})
    return out


def realm(ctx: Context) -> list[Obj]:
    idp = ctx.identity_provider()
    wanted = clients(ctx)
    if idp is None:
        if wanted:
            ctx.warnings.append("no identity-provider in the plan: UIs have no single sign-on")
        return []
    if not wanted:
        return []
    if not any(r.get("kind") == "Keycloak" for r in idp.resources):
        ctx.warnings.append(f"identity provider {idp.name} is not run as a Keycloak resource: register the OIDC "
                            "clients listed in docs/sso.md with it by hand")
        return []
    names = {c["clientId"]: c for c in wanted}
    owners = {client_id(comp, ep): comp for comp, ep in ctx.exposed()}
    placeholders = {c["secret"][2:-1]: {"secret": {"name": f"{ctx.platform}-oidc-clients", "key": cid}}
                    for cid, c in names.items()}
    data = {cid: (_client_path(ctx, owners[cid]), "client-secret") for cid in names}
    keycloak = next((r["metadata"]["name"] for r in idp.resources if r.get("kind") == "Keycloak"), idp.name)
    spec = {"keycloakCRName": keycloak, "placeholders": placeholders,
            "realm": {"realm": ctx.platform, "enabled": True, "displayName": f"{ctx.platform} ({ctx.env})",
                      "clients": wanted}}
    return [_secret(ctx, idp, f"{ctx.platform}-oidc-clients", idp.namespace, data),
            ctx.obj(REALM_API, "KeycloakRealmImport", ctx.platform, owner=idp.name, role="sso", group="platform/sso",
                    namespace=idp.namespace, wave=ctx.wave_of(idp.name), spec=spec)]


def render(ctx: Context) -> list[Obj]:
    return [*realm(ctx), *proxies(ctx)]
