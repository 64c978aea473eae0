"""Credentials: an ExternalSecret from Vault for every `secrets[]` entry; never a Secret with data.

One ClusterSecretStore reads Vault's KV v2 engine through Kubernetes auth; each credential lives at
`<platform>/<env>/<component>/<secret>` with one property per key.
"""

from __future__ import annotations

from homelab.render.context import Context, Obj

API = "external-secrets.io/v1"
KV_MOUNT = "secret"
ROLE = "external-secrets"


def store_name(ctx: Context) -> str:
    return f"{ctx.platform}-vault"


def vault_path(ctx: Context, component: str, secret: str) -> str:
    return f"{ctx.platform}/{ctx.env}/{component}/{secret}"


def store(ctx: Context) -> list[Obj]:
    vault = ctx.provider("secrets-store")
    eso = ctx.provider("external-secrets")
    if vault is None or eso is None:
        ctx.warnings.append("no secrets-store (Vault) or external-secrets provider in the plan: ExternalSecrets "
                            "are rendered but nothing will fill them")
        if vault is None:
            return []
    endpoint = vault.endpoints[0] if vault.endpoints else None
    server = (f"http://{endpoint.service}.{vault.namespace}.svc:{endpoint.port}" if endpoint
              else f"http://vault.{vault.namespace}.svc:8200")
    spec = {"provider": {"vault": {
        "server": server, "path": KV_MOUNT, "version": "v2",
        "auth": {"kubernetes": {"mountPath": "kubernetes", "role": ROLE,
                                "serviceAccountRef": {"name": "external-secrets",
                                                      "namespace": eso.namespace if eso else "external-secrets"}}},
    }}}
    return [ctx.obj(API, "ClusterSecretStore", store_name(ctx), owner=vault.name, role="secrets",
                    group="platform/secrets", wave=ctx.wave_of(vault.name), spec=spec)]


def external_secrets(ctx: Context) -> list[Obj]:
    """One ExternalSecret per Secret name in a namespace.

    Components sharing a namespace may name the same Secret (a server and its runner sharing an RPC
    secret): it is one Secret, with the union of their keys, under the first declaring component's path.
    """
    shared: dict[tuple[str, str], tuple[str, list[str]]] = {}
    for planned in ctx.components:
        comp = planned.component
        for secret in comp.secrets:
            owner, keys = shared.setdefault((comp.namespace, secret.name), (comp.name, []))
            keys.extend(k for k in secret.keys if k not in keys)
    out = []
    for (namespace, name), (owner, keys) in shared.items():
        path = vault_path(ctx, owner, name)
        spec = {
            "refreshInterval": "1h",
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": store_name(ctx)},
            "target": {"name": name, "creationPolicy": "Owner"},
            "data": [{"secretKey": key, "remoteRef": {"key": path, "property": key}} for key in keys],
        }
        out.append(ctx.obj(API, "ExternalSecret", name, owner=owner, role="secrets",
                           group=ctx.group_of(ctx.component(owner)), namespace=namespace, spec=spec))
    return out


def render(ctx: Context) -> list[Obj]:
    return [*store(ctx), *external_secrets(ctx)]
