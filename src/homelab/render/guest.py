"""What an environment running as prefixed namespaces on its host's cluster writes (`namespace_prefix`).

Its own components are the per-environment ones (catalog/scope), which the plan has already moved to
`<prefix>-<namespace>` (plan/sharing), so renderers need not know: they derive hosts, peers and
destinations from the namespaces as always. The cluster-wide components stay in the plan where they
are (the host's: cert-manager, the operators, the ingress controller, Vault...), so NetworkPolicies
admit them and Certificates, ExternalSecrets and ServiceMonitors name them; but the
guest writes none of their objects. What it writes is what lives in its own namespaces, plus what
it needs in the host's namespaces (its Applications and AppProjects in Argo CD's, a NetworkPolicy
admitting its namespaces to a store or an operator), each named `<prefix>-<name>` beside the host's.
"""

from __future__ import annotations

from typing import Any

from homelab.render.context import OWNER_LABEL, Context, Obj


def _mentions(value: Any, namespaces: set[str]) -> bool:
    """True when `value` names one of `namespaces` (as a value, or in a service's DNS name)."""
    if isinstance(value, dict):
        return any(_mentions(v, namespaces) for v in value.values())
    if isinstance(value, list):
        return any(_mentions(v, namespaces) for v in value)
    return isinstance(value, str) and (value in namespaces or any(f".{ns}.svc" in value for ns in namespaces))


def own_objects(ctx: Context, objects: list[Obj]) -> list[Obj]:
    """What a guest writes: everything in its own namespaces, and in the host's only what is its own (its
    Applications, AppProjects, backup Schedules) or adds to the host's (a NetworkPolicy admitting its
    namespaces: policies add up), renamed `<prefix>-<name>`. The host's own objects, cluster-scoped ones
    included (ClusterIssuer, ClusterSecretStore, ClusterPolicies), are left to the host."""
    if ctx.prefix is None:
        return objects
    mine = {p.component.namespace for p in ctx.components if ctx.installs(p.name)}
    owners = {p.name for p in ctx.components if ctx.installs(p.name)}
    out = []
    for obj in objects:
        ns = obj.namespace
        if obj.kind == "Namespace":
            keep, rename = obj.name in mine, False
        elif ns in mine or obj.own:
            keep, rename = True, False
        else:
            owner = obj.body["metadata"].get("labels", {}).get(OWNER_LABEL)
            keep = ns is not None and (owner in owners or obj.kind == "AppProject" or
                                       (obj.kind == "NetworkPolicy" and _mentions(obj.body, mine)))
            rename = obj.kind != "AppProject"  # its name carries the prefix already (argocd.project_name)
        if keep and rename:
            obj.body["metadata"]["name"] = f"{ctx.prefix}-{obj.name}"
        if keep:
            out.append(obj)
    return out
