"""Helm values per environment: catalog defaults <- homelab.yaml overrides <- the user's overrides/ files.

Placeholders in strings are substituted last, so the user's own files may use them too:
`${domain}`, `${env}`, `${platform}`, `${namespace}`, `${host:<endpoint>}` (this component's
published host), `${host:<component>/<endpoint>}` (another component's), `${oidc_issuer}`,
`${oidc_client_id}`, `${oidc_secret}` and `${ca_secret}` (its OIDC client, the Secret holding it, the
Secret holding the internal CA's certificate) and `${store:<capability>/<field>}` (this component's
own database, user or bucket on that store).
Other `${...}` text (shell or chart templating) is left alone.

Layout of the user's files (never written by us): `overrides/all/<component>.yaml` applies to every
environment, `overrides/<env>/<component>.yaml` to one; later files win, mappings merge key by key.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

from homelab import yamlsrc
from homelab.catalog.model import Component
from homelab.errors import CatalogError, InputError, Problem
from homelab.render.context import Context

OVERRIDES = "overrides"
PLACEHOLDER = re.compile(r"\$\{(domain|env|platform|namespace|oidc_issuer|oidc_client_id|oidc_secret|ca_secret"
                         r"|host:[^}]*|store:[^}]*)\}")
REPLICA_KEYS = ("replicaCount", "replicas")


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Deep merge: mappings merge key by key, anything else in `over` replaces."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def read_overrides(tree: Path | None, env: str, name: str, own: bool = True) -> list[tuple[Path, dict[str, Any]]]:
    """The user's override files for `name` in `env`, in the order they apply (`own`: with `env`'s own)."""
    if tree is None:
        return []
    found = []
    for scope in ("all", env) if own else ("all",):
        path = tree / OVERRIDES / scope / f"{name}.yaml"
        if not path.is_file():
            continue
        data = yamlsrc.read(path, "overrides file").data or {}
        if not isinstance(data, dict):
            raise InputError([Problem("an overrides file must hold a mapping of Helm values", file=str(path),
                                      line=1)])
        found.append((path, data))
    return found


def oidc_issuer(ctx: Context) -> str:
    idp = ctx.identity_provider()
    exposed = [e for e in idp.endpoints if e.expose] if idp else []
    if not idp or not exposed:
        return ""
    return f"https://{ctx.host(idp, exposed[0])}/realms/{ctx.realm()}"


def substitute(value: Any, ctx: Context, comp: Component) -> Any:
    """Replace placeholders in every string of `value` for this component and environment."""
    if isinstance(value, dict):
        return {substitute(k, ctx, comp): substitute(v, ctx, comp) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, ctx, comp) for v in value]
    if not isinstance(value, str) or "${" not in value:
        return value
    return PLACEHOLDER.sub(lambda m: _one(m.group(1), ctx, comp), value)


def _one(token: str, ctx: Context, comp: Component) -> str:
    simple = {"domain": ctx.config.platform.domain, "env": ctx.env, "platform": ctx.platform,
              "namespace": comp.namespace}
    if token in simple:
        return simple[token]
    if token == "oidc_issuer":
        return oidc_issuer(ctx)
    if token in ("oidc_client_id", "oidc_secret", "ca_secret"):
        from homelab.render import sso

        return sso.placeholder(ctx, comp, token)
    if token.startswith("store:"):
        from homelab.render import tenancy

        capability, _, name = token.removeprefix("store:").partition("/")
        return tenancy.store_field(ctx, comp, capability, name)
    ref = token.removeprefix("host:")
    owner_name, _, endpoint = ref.rpartition("/")
    owner = comp
    if owner_name:
        if owner_name not in ctx.plan.components:
            # The other component is not installed in this environment: no host to point at.
            ctx.warnings.append(f"{comp.name}: ${{{token}}} names '{owner_name}', which is not in the plan")
            return ""
        owner = ctx.component(owner_name)
    for ep in owner.endpoints:
        if ep.name == endpoint:
            return ctx.host(owner, ep)
    raise CatalogError([Problem(f"placeholder ${{{token}}}: '{owner.name}' has no endpoint '{endpoint}'",
                                file=ctx.catalog.files.get(comp.name), field="values",
                                hint=f"endpoints: {', '.join(e.name for e in owner.endpoints) or 'none'}")])


def wiring_values(ctx: Context, comp: Component) -> dict[str, Any]:
    """Values the catalog's facets add in this plan: a CNI's node-selecting ipBlock, what Argo CD needs,
    the wiring to peers that exist (`values_when`), and what a store's tenants add (buckets, users)."""
    from homelab.render import sso, tenancy

    out: dict[str, Any] = merge(tenancy.values(ctx, comp), sso.client_values(ctx, comp))
    if comp.ip_block_nodes:
        out = merge(out, comp.ip_block_nodes.values)
    if comp.gitops and comp.gitops.values and not ctx.is_bootstrap(comp.name) and ctx.provider("gitops"):
        out = merge(out, comp.gitops.values)
    for extra in comp.values_when:
        present = ctx.provider(extra.when or extra.unless or "") is not None
        if present == (extra.when is not None):
            out = merge(out, extra.values)
    return out


def helm_values(ctx: Context, name: str, tree: Path | None) -> dict[str, Any]:
    """The values one component's Application carries inline in this environment."""
    from homelab.render import availability, backup, tenancy

    planned = ctx.plan.components[name]
    comp = planned.component
    values = tenancy.merge_append(copy.deepcopy(comp.values), backup.values(ctx, comp))
    if comp.availability:
        values = merge(values, availability.values(comp.availability, planned.replicas))
    elif planned.replicas != comp.footprint.replicas and not comp.instances:
        keys = [key for key in REPLICA_KEYS if key in values]
        for key in keys:
            values[key] = planned.replicas
        if not keys:
            ctx.warnings.append(f"{name}: replicas {planned.replicas} not applied: its catalog values have no "
                                f"top-level {' or '.join(REPLICA_KEYS)}; set the chart's key in overrides.values")
    values = merge(values, wiring_values(ctx, comp))
    values = merge(values, ctx.config.env(ctx.env).overrides.values.get(name, {}))
    for _, data in read_overrides(tree, ctx.env, name, own=ctx.own_files):
        values = merge(values, data)
    return substitute(values, ctx, comp)
