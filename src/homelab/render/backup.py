"""Backups: Velero Schedules for the data and application layers; a backup provider's own wiring otherwise.

A component whose backup method a planned provider serves (`backs_up`: Barman Cloud for `barman`)
gets that provider's objects beside each resource of the kind it backs up, and its additions merged
into that resource: for a CloudNativePG Cluster, an ObjectStore pointing at the Cluster's own bucket
on the planned object store (credentials from its tenant Vault path), `spec.plugins`, and a
ScheduledBackup with `method: plugin`. Everything else with a backup method (every data or
application store no planned provider serves) is covered by a Velero Schedule of its namespace, written to the
BackupStorageLocation the Velero entry declares on its own bucket; `backup.offsite` in homelab.yaml adds
a second location outside the cluster and a Schedule per namespace to it (the off-site copy of 3-2-1).
"""

from __future__ import annotations

import copy
from typing import Any

from homelab.catalog.model import BackupWiring, Component
from homelab.render import secrets, tenancy
from homelab.render.context import Context, Obj
from homelab.render.values import substitute

VELERO = "velero.io/v1"
LAYERS = frozenset({"data", "application"})
OFFSITE = "offsite"


def wirings(ctx: Context, comp: Component) -> list[tuple[Component, BackupWiring]]:
    """The planned providers' wiring for this component's backup method."""
    return [(p.component, w) for p in ctx.components for w in p.component.backs_up if w.method == comp.backup.method]


def _ready(ctx: Context, comp: Component, wiring: BackupWiring) -> bool:
    """Only with a store to write to: the component's tenancy of the wiring's capability."""
    return any(t.consumer.name == comp.name and wiring.capability in t.facet.capabilities
               for t in tenancy.tenants(ctx))


def fill(value: Any, ctx: Context, comp: Component, name: str) -> Any:
    def walk(item: Any) -> Any:
        if isinstance(item, dict):
            return {walk(k): walk(v) for k, v in item.items()}
        if isinstance(item, list):
            return [walk(v) for v in item]
        if isinstance(item, str):
            return item.replace("${name}", name).replace("${schedule}", comp.backup.schedule)
        return item

    return substitute(walk(copy.deepcopy(value)), ctx, comp)


def patched(ctx: Context, comp: Component, body: dict[str, Any]) -> dict[str, Any]:
    """One of the component's resources with what its backup provider adds (a Cluster's `spec.plugins`)."""
    for _, wiring in wirings(ctx, comp):
        if body.get("kind") == wiring.kind and _ready(ctx, comp, wiring):
            body = tenancy.merge_append(body, fill(wiring.merge, ctx, comp, body["metadata"]["name"]))
    return body


def values(ctx: Context, comp: Component) -> dict[str, Any]:
    """What its backup provider adds to a chart's values (a storage on its own bucket and a schedule to it)."""
    out: dict[str, Any] = {}
    for _, wiring in wirings(ctx, comp):
        if wiring.values and _ready(ctx, comp, wiring):
            out = tenancy.merge_append(out, fill(wiring.values, ctx, comp, comp.name))
    return out


def _provider_objects(ctx: Context, comp: Component) -> list[Obj]:
    out: list[Obj] = []
    for provider, wiring in wirings(ctx, comp):
        targets = ([r["metadata"]["name"] for r in comp.resources if r.get("kind") == wiring.kind] if wiring.kind
                   else [comp.name])
        if not targets:
            continue
        if not _ready(ctx, comp, wiring):
            ctx.warnings.append(f"{comp.name}: {provider.name} backups need a {wiring.capability} provider; only "
                                "Velero covers it")
            continue
        for secret in wiring.secrets:
            out.append(secrets.secret_object(ctx, comp, secret, role="backup"))
        for name in targets:
            for raw in wiring.resources:
                body = fill(raw, ctx, comp, name)
                meta = body["metadata"]
                made = ctx.obj(body["apiVersion"], body["kind"], meta["name"], owner=comp.name, role="backup",
                               group=ctx.group_of(comp), namespace=meta.get("namespace", comp.namespace))
                meta["namespace"] = meta.get("namespace", comp.namespace)
                meta["labels"] = {**meta.get("labels", {}), **made.body["metadata"]["labels"]}
                meta["annotations"] = {**meta.get("annotations", {}), **made.body["metadata"]["annotations"]}
                out.append(Obj(body, made.group))
    return out


def _velero(ctx: Context) -> list[Obj]:
    velero = ctx.provider("cluster-backup")
    wanted: dict[str, Component] = {}
    for planned in ctx.components:
        comp = planned.component
        # Velero covers its own method, and a data or application store whose method no planned provider
        # serves (PostgreSQL without Barman in `minimal`: its volume, at least)
        if comp.backup.method == "velero" or (comp.layer in LAYERS and comp.backup.method != "none"
                                              and not wirings(ctx, comp)):
            wanted.setdefault(comp.namespace, comp)
    if velero is None or not ctx.has("Schedule"):
        if wanted:
            ctx.warnings.append("no cluster-backup provider (Velero) in the plan: no backup Schedules rendered")
        return []
    offsite = ctx.config.backup.offsite
    out = _offsite_location(ctx, velero) if offsite else []
    for ns, comp in sorted(wanted.items()):
        for location in ("", OFFSITE) if offsite else ("",):
            spec: dict[str, Any] = {
                "schedule": offsite.schedule if location and offsite else comp.backup.schedule,
                "useOwnerReferencesInBackup": False,
                "template": {"includedNamespaces": [ns], "snapshotVolumes": False,
                             "defaultVolumesToFsBackup": True, "ttl": "720h0m0s"}}
            if location:
                spec["template"]["storageLocation"] = location
            name = f"{ctx.platform}-{ns}" + (f"-{location}" if location else "")
            out.append(ctx.obj(VELERO, "Schedule", name, owner=comp.name, role="backup", group="platform/backup",
                               namespace=velero.namespace, spec=spec))
    return out


def _offsite_location(ctx: Context, velero: Component) -> list[Obj]:
    """A second BackupStorageLocation outside the cluster (homelab.yaml `backup.offsite`), its key from Vault."""
    offsite = ctx.config.backup.offsite
    assert offsite is not None
    creds = f"{velero.name}-{OFFSITE}"
    want = secrets.Wanted(velero, {key: (offsite.credentials_secret, key) for key in ("access_key", "secret_key")},
                          {"cloud": "[default]\naws_access_key_id=" + tenancy.ref("access_key")
                           + "\naws_secret_access_key=" + tenancy.ref("secret_key") + "\n"})
    spec = {"provider": "aws", "default": False, "accessMode": "ReadWrite",
            "objectStorage": {"bucket": offsite.bucket, **({"prefix": offsite.prefix} if offsite.prefix else {})},
            "credential": {"name": creds, "key": "cloud"},
            "config": {"s3Url": offsite.s3_url, "region": offsite.region,
                       "s3ForcePathStyle": "true" if offsite.path_style else "false"}}
    return [secrets.external_secret(ctx, creds, velero.namespace, want, role="backup"),
            ctx.obj(VELERO, "BackupStorageLocation", OFFSITE, owner=velero.name, role="backup",
                    group="platform/backup", namespace=velero.namespace, spec=spec)]


def render(ctx: Context) -> list[Obj]:
    out = _velero(ctx)
    for planned in ctx.components:
        out.extend(_provider_objects(ctx, planned.component))
    return out
