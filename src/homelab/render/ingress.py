"""Publishing UIs: a ClusterIssuer, then a Certificate and a route per exposed endpoint.

With an `ingress` provider each endpoint gets an Ingress (the controller's default IngressClass);
without one, but with Gateway API and a mesh to implement it, one Gateway with an HTTPS listener per
host and an HTTPRoute per endpoint. TLS always comes from our own Certificate objects.
"""

from __future__ import annotations

from typing import Any

from homelab.catalog.model import Component, Endpoint
from homelab.errors import InputError, Problem
from homelab.render import sso
from homelab.render.context import Context, Obj

CERTS = "cert-manager.io/v1"
GATEWAY_API = "gateway.networking.k8s.io/v1"
GROUP = "platform/tls"
# DNS-01 solver shapes per provider: (cert-manager field, secret reference fields -> key in the Secret).
DNS01 = {
    "cloudflare": ("cloudflare", {"apiTokenSecretRef": "api-token"}),
    "digitalocean": ("digitalocean", {"tokenSecretRef": "access-token"}),
    "route53": ("route53", {"accessKeyIDSecretRef": "access-key-id", "secretAccessKeySecretRef": "secret-access-key"}),
}


def issuer_name(ctx: Context) -> str:
    return f"{ctx.platform}-{'ca' if ctx.config.tls.mode == 'internal-ca' else 'acme'}"


def mode(ctx: Context) -> str | None:
    """'ingress', 'gateway' or None (nothing can publish a UI in this plan)."""
    if ctx.provider("ingress"):
        return "ingress"
    if ctx.provider("gateway-api") and ctx.provider("service-mesh"):
        return "gateway"
    return None


def entry_namespace(ctx: Context) -> str | None:
    """Where outside traffic enters the cluster."""
    found = {"ingress": ctx.provider("ingress"), "gateway": ctx.provider("service-mesh"), None: None}[mode(ctx)]
    return found.namespace if found else None


def issuers(ctx: Context) -> list[Obj]:
    cm = ctx.provider("certificates")
    if cm is None:
        ctx.warnings.append("no certificates provider (cert-manager) in the plan: routes name TLS secrets that "
                            "nothing issues")
        return []
    ns, tls = cm.namespace, ctx.config.tls

    def make(kind: str, name: str, spec: dict[str, Any], namespace: str | None = None) -> Obj:
        return ctx.obj(CERTS, kind, name, owner=cm.name, role="tls", group=GROUP, namespace=namespace,
                       wave=ctx.wave_of(cm.name), spec=spec)

    if tls.mode == "internal-ca" or tls.acme is None:
        root = f"{ctx.platform}-root-ca"
        return [
            make("ClusterIssuer", f"{ctx.platform}-selfsigned", {"selfSigned": {}}),
            make("Certificate", root, {"isCA": True, "commonName": f"{ctx.platform} root CA", "secretName": root,
                                       "duration": "87600h", "privateKey": {"algorithm": "ECDSA", "size": 256},
                                       "issuerRef": {"kind": "ClusterIssuer", "name": f"{ctx.platform}-selfsigned",
                                                     "group": "cert-manager.io"}}, ns),
            make("ClusterIssuer", issuer_name(ctx), {"ca": {"secretName": root}}),
        ]
    acme = tls.acme
    if acme.dns_provider not in DNS01:
        raise InputError([Problem(f"dns_provider '{acme.dns_provider}' needs settings homelab.yaml cannot hold yet",
                                  field="tls.acme.dns_provider", hint=f"use one of: {', '.join(DNS01)}")])
    field, refs = DNS01[acme.dns_provider]
    secret = f"{ctx.platform}-acme-dns"
    solver = {field: {ref: {"name": secret, "key": key} for ref, key in refs.items()}}
    credentials = ctx.obj("external-secrets.io/v1", "ExternalSecret", secret, owner=cm.name, role="tls",
                          group=GROUP, namespace=ns, spec={
                              "refreshInterval": "1h",
                              "secretStoreRef": {"kind": "ClusterSecretStore", "name": f"{ctx.platform}-vault"},
                              "target": {"name": secret, "creationPolicy": "Owner"},
                              "data": [{"secretKey": key, "remoteRef": {"key": acme.credentials_secret,
                                                                        "property": key}}
                                       for key in refs.values()]})
    return [credentials, make("ClusterIssuer", issuer_name(ctx), {"acme": {
        "server": acme.server, "email": acme.email, "privateKeySecretRef": {"name": f"{ctx.platform}-acme-account"},
        "solvers": [{"dns01": solver}]}})]


def tls_secret(comp: Component, endpoint: Endpoint) -> str:
    return f"{comp.name}-{endpoint.name}-tls"


def certificate(ctx: Context, comp: Component, endpoint: Endpoint, namespace: str) -> Obj:
    spec = {"secretName": tls_secret(comp, endpoint), "dnsNames": [ctx.host(comp, endpoint)],
            "issuerRef": {"kind": "ClusterIssuer", "name": issuer_name(ctx), "group": "cert-manager.io"}}
    return ctx.obj(CERTS, "Certificate", tls_secret(comp, endpoint), owner=comp.name, role="tls",
                   group=ctx.group_of(comp), namespace=namespace, spec=spec)


def _ingress(ctx: Context, comp: Component, endpoint: Endpoint) -> Obj:
    host = ctx.host(comp, endpoint)
    service, port = sso.backend(ctx, comp, endpoint)
    spec = {"tls": [{"hosts": [host], "secretName": tls_secret(comp, endpoint)}],
            "rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
                "service": {"name": service, "port": {"number": port}}}}]}}]}
    return ctx.obj("networking.k8s.io/v1", "Ingress", f"{comp.name}-{endpoint.name}", owner=comp.name,
                   role="route", group=ctx.group_of(comp), namespace=comp.namespace, spec=spec)


def _gateway(ctx: Context, namespace: str, class_name: str) -> Obj:
    listeners = [{"name": f"{c.name}-{e.name}", "hostname": ctx.host(c, e), "port": 443, "protocol": "HTTPS",
                  "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": tls_secret(c, e)}]},
                  "allowedRoutes": {"namespaces": {"from": "All"}}} for c, e in ctx.exposed()]
    return ctx.obj(GATEWAY_API, "Gateway", ctx.platform, owner=ctx.platform, role="route", group="platform/gateway",
                   namespace=namespace, wave=max((ctx.wave_of(c.name) for c, _ in ctx.exposed()), default=0),
                   spec={"gatewayClassName": class_name, "listeners": listeners})


def _route(ctx: Context, comp: Component, endpoint: Endpoint, namespace: str) -> Obj:
    service, port = sso.backend(ctx, comp, endpoint)
    section = f"{comp.name}-{endpoint.name}"
    spec = {"parentRefs": [{"name": ctx.platform, "namespace": namespace, "sectionName": section}],
            "hostnames": [ctx.host(comp, endpoint)],
            "rules": [{"backendRefs": [{"name": service, "port": port}]}]}
    return ctx.obj(GATEWAY_API, "HTTPRoute", f"{comp.name}-{endpoint.name}", owner=comp.name, role="route",
                   group=ctx.group_of(comp), namespace=comp.namespace, spec=spec)


def render(ctx: Context) -> list[Obj]:
    out = issuers(ctx)
    how = mode(ctx)
    if how is None:
        if ctx.exposed():
            ctx.warnings.append("no ingress controller (or Gateway API with a mesh) in the plan: UIs are not "
                                "published")
        return out
    entry = entry_namespace(ctx) or ""
    if how == "gateway":
        mesh = ctx.provider("service-mesh")
        out.append(_gateway(ctx, entry, mesh.name if mesh else "default"))
    for comp, endpoint in ctx.exposed():
        if how == "ingress":
            out += [certificate(ctx, comp, endpoint, comp.namespace), _ingress(ctx, comp, endpoint)]
        else:
            out += [certificate(ctx, comp, endpoint, entry), _route(ctx, comp, endpoint, entry)]
    return out
