"""The custom resources a catalog entry declares (an operator's Cluster, a metrics Service), as-is.

Placeholders are substituted, our labels are added beside the entry's own, and each object syncs
in its component's wave. A CloudNativePG Cluster gets its Barman object store wired in (see backup).
"""

from __future__ import annotations

import copy

from homelab.render import backup
from homelab.render.context import Context, Obj
from homelab.render.values import substitute


def render(ctx: Context) -> list[Obj]:
    out = []
    for planned in ctx.components:
        comp = planned.component
        for raw in comp.resources:
            body = substitute(copy.deepcopy(raw), ctx, comp)
            store = backup.barman_store(ctx, comp)
            if store and body.get("apiVersion") == backup.CNPG and body.get("kind") == "Cluster":
                body.setdefault("spec", {}).setdefault("backup", store)
            meta = body.setdefault("metadata", {})
            made = ctx.obj(body["apiVersion"], body["kind"], meta["name"], owner=comp.name, role="resource",
                           group=ctx.group_of(comp), namespace=meta.get("namespace"))
            made_meta = made.body["metadata"]
            meta["labels"] = {**meta.get("labels", {}), **made_meta["labels"]}
            meta["annotations"] = {**meta.get("annotations", {}), **made_meta["annotations"]}
            out.append(Obj(body, made.group))
    return out
