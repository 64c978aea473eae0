"""The custom resources a catalog entry declares (an operator's Cluster, a metrics Service), as-is.

Placeholders are substituted, an operator-run store's member count is the environment's (see
availability.members, with a budget beside it where its operator writes none), our labels are added
beside the entry's own, and each object syncs in its component's wave. A store's resources carry what
its tenants add (a managed role per consumer, see tenancy) and the per-tenant objects follow them (a
Database each); a resource a backup provider serves gets its additions (a CloudNativePG Cluster's
`spec.plugins`, see backup).
"""

from __future__ import annotations

import copy

from homelab.render import availability, backup, tenancy
from homelab.render.context import Context, Obj
from homelab.render.values import substitute


def render(ctx: Context) -> list[Obj]:
    out = []
    for planned in ctx.components:
        comp = planned.component
        bodies = [tenancy.patched(ctx, comp, availability.members(
            comp.instances, substitute(copy.deepcopy(raw), ctx, comp), planned.replicas)) for raw in comp.resources]
        if comp.availability:
            bodies += availability.budgets(comp.availability, planned.replicas, comp.namespace)
        bodies += [pdb for body in bodies if (pdb := availability.store_budget(comp.instances, body, planned.replicas))]
        for body in [*bodies, *tenancy.resources(ctx, comp)]:
            body = backup.patched(ctx, comp, body)
            meta = body.setdefault("metadata", {})
            made = ctx.obj(body["apiVersion"], body["kind"], meta["name"], owner=comp.name, role="resource",
                           group=ctx.group_of(comp), namespace=meta.get("namespace"))
            made_meta = made.body["metadata"]
            meta["labels"] = {**meta.get("labels", {}), **made_meta["labels"]}
            meta["annotations"] = {**meta.get("annotations", {}), **made_meta["annotations"]}
            out.append(Obj(body, made.group))
    return out
