"""Single sign-on for every exposed UI: OIDC clients in a Keycloak realm import, OAuth2 Proxy otherwise.

- `sso: oidc` UIs get a confidential client in the realm and their own OIDC login in their chart's keys
  (the entry's `oidc` facet): values, and a Secret with the client built from the client's Vault path.
- `sso: proxy` UIs get their own OAuth2 Proxy instance (the auth-proxy provider's chart, one
  Application each, with a client of their own) and their route points at it.
- `sso: none` endpoints have their own login or are APIs; they are published as they are.
Client secrets come from Vault at `<platform>/<env>/<component>/oidc-client` (property
`client-secret`); the realm import and the client's own Secret read that one path, never literals.
With the internal CA, every namespace with an OIDC client gets a Certificate from that CA whose
Secret's `ca.crt` its pods trust the issuer by (`ca_values`: the chart's own CA keys).
"""

from __future__ import annotations

from typing import Any

from homelab.catalog.model import Component, Endpoint
from homelab.errors import CatalogError, Problem
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


def oidc_endpoint(comp: Component) -> Endpoint | None:
    """The UI of `comp` that logs in with OIDC itself."""
    return next((e for e in comp.endpoints if e.expose and e.sso == "oidc"), None)


def placeholder(ctx: Context, comp: Component, token: str) -> str:
    """`${oidc_client_id}`, `${oidc_secret}` or `${ca_secret}` for this component."""
    endpoint = oidc_endpoint(comp)
    if token == "ca_secret":
        return ca_secret(ctx)
    if token == "oidc_secret" and comp.oidc and comp.oidc.secret:
        return comp.oidc.secret.name
    if token == "oidc_client_id" and endpoint:
        return client_id(comp, endpoint)
    raise CatalogError([Problem(f"${{{token}}} in {comp.name}: it has no OIDC login (an exposed endpoint with "
                                "sso: oidc and an `oidc` facet with a secret)", file=ctx.catalog.files.get(comp.name))])


def internal_ca(ctx: Context) -> bool:
    """The issuer's certificate is signed by the platform's own CA, which no image trusts by itself."""
    return ctx.config.tls.mode == "internal-ca" or ctx.config.tls.acme is None


def ca_secret(ctx: Context) -> str:
    return f"{ctx.platform}-ca-trust"


def logs_in(ctx: Context, comp: Component) -> bool:
    """True when this component's own OIDC login is configured in this plan."""
    return comp.oidc is not None and oidc_endpoint(comp) is not None and ctx.identity_provider() is not None


def client_values(ctx: Context, comp: Component) -> dict[str, Any]:
    """The chart values of its own OIDC login, and of trusting the internal CA where the issuer uses it."""
    if comp.oidc is None or not logs_in(ctx, comp):
        return {}
    return merge(comp.oidc.values, comp.oidc.ca_values) if internal_ca(ctx) else comp.oidc.values


def proxy_trust(ctx: Context, proxy: Component) -> dict[str, Any]:
    """An OAuth2 Proxy instance's values that make it trust the internal CA (its `oidc.ca_values`)."""
    return proxy.oidc.ca_values if proxy.oidc and internal_ca(ctx) and ctx.identity_provider() else {}


def client_secret(ctx: Context, comp: Component) -> list[Obj]:
    """The Secret its chart reads the client from: the client id, and the secret from the client's Vault path."""
    if not logs_in(ctx, comp) or comp.oidc is None or comp.oidc.secret is None:
        return []
    endpoint = oidc_endpoint(comp)
    assert endpoint is not None
    wanted = comp.oidc.secret
    text = {key: value.replace("${oidc_client_id}", client_id(comp, endpoint))
            .replace("${oidc_client_secret}", "{{ .client_secret }}") for key, value in wanted.template.items()}
    want = secrets.Wanted(comp, {"client_secret": (_client_path(ctx, comp), "client-secret")},
                          substitute(text, ctx, comp), None, dict(wanted.labels))
    return [secrets.external_secret(ctx, wanted.name, comp.namespace, want, role="sso")]


def talks_to_issuer(ctx: Context) -> list[str]:
    """Namespaces whose pods call the issuer: every UI logging in by itself and every proxy instance's."""
    if ctx.identity_provider() is None:
        return []
    found = {comp.namespace for comp, ep in ctx.exposed() if ep.sso == "oidc" and logs_in(ctx, comp)}
    return sorted(found | {comp.namespace for comp, ep in ctx.exposed() if protected(ctx, ep)})


def trusting_namespaces(ctx: Context) -> list[str]:
    """Namespaces whose pods must trust the issuer's CA: the clients whose charts say how."""
    proxy = ctx.provider("auth-proxy")
    found = {comp.namespace for comp, ep in ctx.exposed() if ep.sso == "oidc" and logs_in(ctx, comp)
             and comp.oidc and comp.oidc.ca_values}
    if proxy is not None and proxy.oidc is not None and proxy.oidc.ca_values:
        found |= {comp.namespace for comp, ep in ctx.exposed() if protected(ctx, ep)}
    return sorted(found)


def ca_trust(ctx: Context) -> list[Obj]:
    """A Certificate from the internal CA in each namespace that must trust the issuer: cert-manager puts the
    CA's certificate in its Secret as `ca.crt`, so nothing copies the CA's key or certificate around."""
    from homelab.render.ingress import CERTS, issuer_name

    if not internal_ca(ctx) or ctx.provider("certificates") is None or ctx.identity_provider() is None:
        return []
    out = []
    for ns in trusting_namespaces(ctx):
        owner = ctx.namespace_members()[ns][0].component
        spec = {"secretName": ca_secret(ctx), "commonName": f"{ctx.platform} CA trust in {ns}"[:64],
                "duration": "2160h", "privateKey": {"algorithm": "ECDSA", "size": 256},
                "issuerRef": {"kind": "ClusterIssuer", "name": issuer_name(ctx), "group": "cert-manager.io"}}
        out.append(ctx.obj(CERTS, "Certificate", ca_secret(ctx), owner=owner.name, role="sso",
                           group=ctx.namespace_group(ns), namespace=ns, spec=spec))
    return out


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
        values = merge(substitute(merge(proxy.values, proxy_trust(ctx, proxy)), ctx, proxy), {
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
    """The OIDC client of every UI that logs in through the identity provider (itself or via a proxy).

    Only `rootUrl` names the UI's host: Keycloak resolves a redirect URI starting with `/` against the
    client's rootUrl, and the web origin `+` stands for the origins of the resolved redirect URIs
    (org.keycloak:keycloak-services 26.7.3 RedirectUtils.resolveValidRedirects and relativeToAbsoluteURI,
    WebOriginsUtils.resolveValidWebOrigins; `+` is Constants.INCLUDE_REDIRECTS in keycloak-server-spi-private).
    So an environment's realm differs from another's in each client's rootUrl alone."""
    out = []
    for comp, endpoint in ctx.exposed():
        if endpoint.sso == "oidc" or protected(ctx, endpoint):
            cid = client_id(comp, endpoint)
            out.append({"clientId": cid, "name": comp.title, "enabled": True, "protocol": "openid-connect",
                        "publicClient": False, "standardFlowEnabled": True,
                        "secret": "${CLIENT_SECRET_" + cid.upper().replace("-", "_") + "}",
                        "rootUrl": f"https://{ctx.host(comp, endpoint)}", "redirectUris": ["/*"], "webOrigins": ["+"]})
    return out


def redirect_patterns(client: dict[str, Any]) -> list[str]:
    """A client's redirect URIs as Keycloak resolves them: a relative one against the client's rootUrl."""
    return [client.get("rootUrl", "") + uri if uri.startswith("/") else uri for uri in client["redirectUris"]]


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
    placeholders = {c["secret"][2:-1]: {"secret": {"name": f"{ctx.realm()}-oidc-clients", "key": cid}}
                    for cid, c in names.items()}
    data = {cid: (_client_path(ctx, owners[cid]), "client-secret") for cid in names}
    keycloak = next((r["metadata"]["name"] for r in idp.resources if r.get("kind") == "Keycloak"), idp.name)
    spec = {"keycloakCRName": keycloak, "placeholders": placeholders,
            "realm": {"realm": ctx.realm(), "enabled": True, "displayName": f"{ctx.platform} ({ctx.env})",
                      "clients": wanted}}
    out = [_secret(ctx, idp, f"{ctx.realm()}-oidc-clients", idp.namespace, data),
           ctx.obj(REALM_API, "KeycloakRealmImport", ctx.realm(), owner=idp.name, role="sso", group="platform/sso",
                   namespace=idp.namespace, wave=ctx.wave_of(idp.name), spec=spec)]
    for obj in out:
        obj.own = True  # a guest's realm, beside its host's on the host's Keycloak
    return out


def render(ctx: Context) -> list[Obj]:
    return [*realm(ctx), *proxies(ctx), *ca_trust(ctx),
            *(obj for p in ctx.components for obj in client_secret(ctx, p.component))]
