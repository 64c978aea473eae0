"""Credentials: an ExternalSecret from Vault for every `secrets[]` entry; never a Secret with data.

One ClusterSecretStore reads Vault's KV v2 engine through Kubernetes auth; each credential lives at
`<platform>/<env>/<component>/<secret>` with one property per key. A Secret with a `template` is
built by the ExternalSecret's template engine from the stores the component is a tenant of (its
database name, its role's password from the tenant's Vault path) and its own keys; a store's own
Secret gains every tenant's entry (tenancy `provider_secret`); each tenancy `credential` is a Secret
in the store's namespace.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from homelab.catalog.model import Component, Secret
from homelab.render import tenancy
from homelab.render.context import Context, Obj

API = "external-secrets.io/v1"
KV_MOUNT = "secret"
ROLE = "external-secrets"


def store_name(ctx: Context) -> str:
    return f"{ctx.platform}-vault"


def vault_path(ctx: Context, component: str, secret: str) -> str:
    return f"{ctx.platform}/{ctx.env}/{component}/{secret}"


@dataclass
class Wanted:
    """One Secret to build: Vault sources (Secret key -> path, property) and, if templated, its text per key."""

    owner: Component
    sources: dict[str, tuple[str, str]] = field(default_factory=dict)
    template: dict[str, str] | None = None
    type: str | None = None
    labels: dict[str, str] = field(default_factory=dict)

    def templated(self) -> dict[str, str]:
        if self.template is None:
            self.template = {key: tenancy.ref(key) for key in self.sources}
        return self.template


def external_secret(ctx: Context, name: str, namespace: str, want: Wanted, role: str = "secrets") -> Obj:
    target: dict[str, Any] = {"name": name, "creationPolicy": "Owner"}
    if want.template is not None or want.type or want.labels:
        body: dict[str, Any] = {"engineVersion": "v2", "data": want.templated()}
        if want.type:
            body["type"] = want.type
        if want.labels:
            body["metadata"] = {"labels": want.labels}
        target["template"] = body
    spec = {"refreshInterval": "1h", "secretStoreRef": {"kind": "ClusterSecretStore", "name": store_name(ctx)},
            "target": target,
            "data": [{"secretKey": key, "remoteRef": {"key": path, "property": prop}}
                     for key, (path, prop) in want.sources.items()]}
    return ctx.obj(API, "ExternalSecret", name, owner=want.owner.name, role=role, group=ctx.group_of(want.owner),
                   namespace=namespace, spec=spec)


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


def _template_key(ctx: Context, comp: Component, want: Wanted, text: str) -> str:
    """One templated key: store facts filled in now, the tenant's credentials fetched from its Vault path."""
    def one(match: Any) -> str:
        capability, name = match.group(1), match.group(2)
        tenant = tenancy.tenant_of(ctx, comp, capability)
        if name in tenant.facet.secret_fields:
            key = f"{capability}_{name}".replace("-", "_")
            want.sources[key] = (tenant.vault_path(ctx), name)
            return tenancy.ref(key)
        return tenancy.store_field(ctx, comp, capability, name)

    return tenancy.STORE_REF.sub(one, text)


def _declare(ctx: Context, comp: Component, secret: Secret, want: Wanted) -> None:
    path = vault_path(ctx, comp.name, secret.name)
    # a key another declaration of this Secret already builds from a template is not read from Vault
    own = [key for key in secret.keys if key not in secret.template
           and (want.template is None or key not in want.template or key in want.sources)]
    for key in own:
        want.sources.setdefault(key, (path, key))
    if secret.template:
        templated = want.templated()
        for key in own:
            templated.setdefault(key, tenancy.ref(key))
        for key, text in secret.template.items():
            templated[key] = _template_key(ctx, comp, want, text)
    elif want.template is not None:
        for key in own:
            want.template.setdefault(key, tenancy.ref(key))
    want.type = want.type or secret.type
    want.labels.update(secret.labels)


def secret_object(ctx: Context, comp: Component, secret: Secret, role: str = "secrets") -> Obj:
    """One declared Secret of `comp` on its own (a backup provider's credentials beside a resource)."""
    want = Wanted(comp)
    _declare(ctx, comp, secret, want)
    return external_secret(ctx, secret.name, secret.namespace or comp.namespace, want, role=role)


def _provider_entries(ctx: Context, shared: dict[tuple[str, str], Wanted]) -> None:
    """Each store's own Secret gains its tenants' entries (a user's password key, an identity in a document)."""
    documents: dict[tuple[str, str, str], tuple[dict[str, Any], list[Any]]] = {}
    for tenant in tenancy.tenants(ctx):
        extra = tenant.facet.provider_secret
        if extra is None:
            continue
        where = (tenant.provider.namespace, extra.name)
        want = shared.setdefault(where, Wanted(tenant.provider))
        templated = want.templated()  # the store's own keys pass through; the tenants' keys only feed the entries
        refs = {}
        for name in tenant.facet.secret_fields:
            key = f"{tenant.who}__{name}"
            want.sources[key] = (tenant.vault_path(ctx), name)
            refs[name] = tenancy.ref(key, json_value=extra.document is not None)
        entry = tenancy.fill(extra.entry, ctx, tenant, refs)
        if extra.document is None:
            templated[str(tenancy.fill(extra.key, ctx, tenant))] = str(entry)
        else:
            documents.setdefault((*where, extra.key), (extra.document, []))[1].append(entry)
    for (ns, name, key), (document, entries) in documents.items():
        shared[(ns, name)].templated()[key] = _document(document, entries)


def _document(document: dict[str, Any], entries: list[Any]) -> str:
    """The JSON document with every tenant's entry where a list holds "${entries}", and the store's own
    keys where it says "${own:<key>}"; credential references stay template expressions."""
    def place(item: Any) -> Any:
        if isinstance(item, dict):
            return {k: place(v) for k, v in item.items()}
        if isinstance(item, list):
            return [x for v in item for x in (entries if v == "${entries}" else [place(v)])]
        if isinstance(item, str) and item.startswith("${own:") and item.endswith("}"):
            return tenancy.ref(item[6:-1], json_value=True)
        return item

    text = json.dumps(place(document), sort_keys=True)
    # a reference rendered with `| toJson` is a JSON value itself: unquote it
    return text.replace('"{{ ', "{{ ").replace(' }}"', " }}")


def external_secrets(ctx: Context) -> list[Obj]:
    """One ExternalSecret per Secret name in a namespace.

    Components sharing a namespace may name the same Secret (a server and its runner sharing an RPC
    secret): it is one Secret, with the union of their keys, under the first declaring component's path.
    """
    shared: dict[tuple[str, str], Wanted] = {}
    for planned in ctx.components:
        comp = planned.component
        for secret in comp.secrets:
            want = shared.setdefault((secret.namespace or comp.namespace, secret.name), Wanted(comp))
            _declare(ctx, want.owner, secret, want)
    _provider_entries(ctx, shared)
    out = [external_secret(ctx, name, ns, want) for (ns, name), want in shared.items()]
    for tenant in tenancy.tenants(ctx):
        cred = tenant.facet.credential
        if cred is None:
            continue
        refs = {name: tenancy.ref(name) for name in tenant.facet.secret_fields}
        want = Wanted(tenant.provider, {name: (tenant.vault_path(ctx), name) for name in tenant.facet.secret_fields},
                      {key: str(tenancy.fill(text, ctx, tenant, refs)) for key, text in cred.template.items()},
                      cred.type, dict(cred.labels))
        out.append(external_secret(ctx, tenant.credential, tenant.provider.namespace, want, role="tenancy"))
    return out


def render(ctx: Context) -> list[Obj]:
    return [*store(ctx), *external_secrets(ctx)]
