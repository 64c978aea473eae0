"""Shared stores give each consumer its own database, user or bucket, by the store's own mechanism.

A store's `tenancy` facet says what one tenant gets (CloudNativePG: a `Database` and a managed role;
SeaweedFS: a bucket and an S3 identity). Every consumer that requires one of its capabilities is a
tenant (an optional `uses` consumer only when its entry refers to the store). The tenant's
credentials live in Vault at `<platform>/<env>/<consumer>/<store>`; the store's copy and the
consumer's copy are ExternalSecrets of that one path, so they cannot drift apart.
The consumer points at exactly its own tenancy through `${store:<capability>/<field>}`.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homelab.catalog.loader import Catalog
from homelab.catalog.model import Component, Tenancy
from homelab.catalog.scope import per_environment
from homelab.errors import CatalogError, Problem
from homelab.plan import Plan
from homelab.render.context import Context

TOKEN = re.compile(r"\$\{(tenant|consumer|credential|field:[-\w]+|secret:[-\w]+)\}")
STORE_REF = re.compile(r"\$\{store:([-a-z0-9]+)/([-\w]+)\}")
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Tenant:
    """One consumer of one store through one tenancy facet. A consumer of another environment on the same
    cluster (a guest's, on its host's cluster-wide store) is that environment's (`env`), under its prefix."""

    consumer: Component
    provider: Component
    facet: Tenancy
    env: str
    prefix: str | None = None

    @property
    def who(self) -> str:
        """The consumer as the store knows it: `<prefix>-<consumer>` for a guest's on its host's store."""
        return f"{self.prefix}-{self.consumer.name}" if self.prefix else self.consumer.name

    @property
    def name(self) -> str:
        return self.who.replace("-", "_")

    @property
    def credential(self) -> str:
        """The name of the tenant's Secret in the store's namespace."""
        return f"{self.who}-{self.provider.name}"

    def vault_path(self, ctx: Context) -> str:
        return f"{ctx.platform}/{self.env}/{self.consumer.name}/{self.provider.name}"


def ref(key: str, json_value: bool = False) -> str:
    """An ExternalSecret template reference to the fetched key `key` (Go template syntax)."""
    expr = f".{key}" if IDENT.match(key) else f'index . "{key}"'
    return "{{ " + expr + (" | toJson" if json_value else "") + " }}"


def merge_append(base: Any, over: Any) -> Any:
    """Mappings merge key by key, lists append (without repeats): per-tenant additions accumulate."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = merge_append(out[key], value) if key in out else copy.deepcopy(value)
        return out
    if isinstance(base, list) and isinstance(over, list):
        return base + [v for v in over if v not in base]
    return copy.deepcopy(over)


def refers_to(ctx: Context, comp: Component, capability: str) -> bool:
    """True when the component points at its tenancy of `capability` anywhere: its values, resources and
    secrets, or what a planned backup provider adds to it (its backup's bucket)."""
    wiring = [w.model_dump() for p in ctx.components for w in p.component.backs_up
              if w.method == comp.backup.method]
    text = json.dumps([comp.values, comp.resources, [s.template for s in comp.secrets],
                       [w.values for w in comp.values_when], wiring])
    return f"${{store:{capability}/" in text


def tenants(ctx: Context, provider: str | None = None) -> list[Tenant]:
    """Every tenant in the plan (of one store when `provider` is given), once per consumer and facet: each
    consumer of a store's tenancy capability that refers to it (a required consumer that does not is a
    wiring error `homelab validate` reports)."""
    if "tenants" not in ctx.memo:
        ctx.memo["tenants"] = _all_tenants(ctx)
    return [t for t in ctx.memo["tenants"] if provider is None or t.provider.name == provider]


def _all_tenants(ctx: Context) -> list[Tenant]:
    """This environment's tenants, and on a host also its guests' tenants of its cluster-wide stores (the store's
    side of them is the host's to render: one Secret, one set of values per store)."""
    out: dict[tuple[str, str, str, int], Tenant] = {}
    for env, plan, installs in _on_this_cluster(ctx):
        for edge in plan.edges:
            if not installs(edge.consumer) or edge.provider not in ctx.plan.components:
                continue  # not this environment's own consumer (a guest's host renders the host's)
            store, consumer = ctx.component(edge.provider), plan.components[edge.consumer].component
            if env != ctx.env and per_environment(store, ctx.catalog):
                continue  # a guest's own store: the guest renders it
            guest = env != ctx.env or not ctx.installs(edge.provider)
            prefix = ctx.config.prefix_of(env) if guest else None
            for index, facet in enumerate(store.tenancy):
                if edge.capability in facet.capabilities and refers_to(ctx, consumer, edge.capability):
                    out.setdefault((env, edge.provider, edge.consumer, index),
                                   Tenant(consumer, store, facet, env, prefix))
    return list(out.values())


def _on_this_cluster(ctx: Context) -> list[tuple[str, Plan, Callable[[str], bool]]]:
    """(env, plan, does it install this component) for this environment and, on a host, each of its guests."""
    out: list[tuple[str, Plan, Callable[[str], bool]]] = [(ctx.env, ctx.plan, ctx.installs)]
    out += [(guest, plan, _owns(plan, ctx.catalog)) for guest, plan in ctx.guests().items()]
    return out


def _owns(plan: Plan, catalog: Catalog) -> Callable[[str], bool]:
    """Whether a guest environment installs a component of its plan itself (not its host)."""
    return lambda name: per_environment(plan.components[name].component, catalog)


def tenant_of(ctx: Context, consumer: Component, capability: str) -> Tenant:
    """The consumer's tenancy of `capability`: the store the plan wired to it."""
    for edge in ctx.plan.edges:
        if edge.consumer == consumer.name and edge.capability == capability:
            store = ctx.component(edge.provider)
            for facet in store.tenancy:
                if capability in facet.capabilities:
                    return Tenant(consumer, store, facet, ctx.env, None if ctx.installs(store.name) else ctx.prefix)
    raise CatalogError([Problem(f"{consumer.name} refers to ${{store:{capability}/...}}, but no store in the plan "
                                f"gives it a tenancy of {capability}", file=ctx.catalog.files.get(consumer.name),
                                hint=f"require {capability} from a store whose entry has `tenancy`")])


def fill(value: Any, ctx: Context, tenant: Tenant, secret_ref: dict[str, str] | None = None) -> Any:
    """Substitute ${tenant}, ${consumer}, ${field:..} and ${secret:..} (the latter only where
    `secret_ref` maps each secret field to its template reference), then the usual placeholders."""
    from homelab.render.values import substitute

    def one(match: re.Match[str]) -> str:
        token = match.group(1)
        if token == "tenant":
            return tenant.name
        if token == "consumer":
            return tenant.who
        if token == "credential":
            return tenant.credential
        kind, _, name = token.partition(":")
        if kind == "field" and name in tenant.facet.fields:
            return str(fill(tenant.facet.fields[name], ctx, tenant))
        if kind == "secret" and secret_ref is not None and name in secret_ref:
            return secret_ref[name]
        where = "" if kind == "field" or secret_ref is not None else " here (only Secrets may hold credentials)"
        raise CatalogError([Problem(f"${{{token}}} is not a {'field' if kind == 'field' else 'secret field'} of "
                                    f"{tenant.provider.name}'s tenancy{where}",
                                    file=ctx.catalog.files.get(tenant.provider.name), field="tenancy")])

    def walk(item: Any) -> Any:
        if isinstance(item, dict):
            return {walk(k): walk(v) for k, v in item.items()}
        if isinstance(item, list):
            return [walk(v) for v in item]
        return TOKEN.sub(one, item) if isinstance(item, str) and "${" in item else item

    return substitute(walk(value), ctx, tenant.provider)


def store_field(ctx: Context, consumer: Component, capability: str, field: str) -> str:
    """A connection fact of the consumer's own tenancy, e.g. its database name or bucket."""
    tenant = tenant_of(ctx, consumer, capability)
    if field in tenant.facet.secret_fields:
        raise CatalogError([Problem(f"${{store:{capability}/{field}}} is a credential: use it in one of the entry's "
                                    "secrets[].template, never in values or resources",
                                    file=ctx.catalog.files.get(consumer.name))])
    if field not in tenant.facet.fields:
        raise CatalogError([Problem(f"${{store:{capability}/{field}}}: {tenant.provider.name}'s tenancy has no "
                                    f"field '{field}'", file=ctx.catalog.files.get(consumer.name),
                                    hint=f"fields: {', '.join([*tenant.facet.fields, *tenant.facet.secret_fields])}")])
    return str(fill(tenant.facet.fields[field], ctx, tenant))


def values(ctx: Context, store: Component) -> dict[str, Any]:
    """The store's Helm values every tenant adds (a bucket to create, an ACL user)."""
    out: dict[str, Any] = {}
    for tenant in tenants(ctx, store.name):
        if tenant.facet.values:
            out = merge_append(out, fill(tenant.facet.values, ctx, tenant))
    return out


def patched(ctx: Context, store: Component, body: dict[str, Any]) -> dict[str, Any]:
    """One of the store's own resources with every tenant's patches of its kind (a managed role)."""
    for tenant in tenants(ctx, store.name):
        for patch in tenant.facet.patches:
            if patch.kind == body.get("kind"):
                body = merge_append(body, fill(patch.merge, ctx, tenant))
    return body


def resources(ctx: Context, store: Component) -> list[dict[str, Any]]:
    """Per-tenant objects in the store's namespace (a CloudNativePG Database), before our labels."""
    return [fill(copy.deepcopy(raw), ctx, tenant) for tenant in tenants(ctx, store.name)
            for raw in tenant.facet.resources]
