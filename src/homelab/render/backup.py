"""Backups: Velero Schedules for the data and application layers; Barman for CloudNativePG clusters.

A component whose backup method is `barman` gets a ScheduledBackup of its Cluster, and the Cluster
archives WAL and base backups to the object store the plan chose, with credentials from Vault.
Everything else with a backup method (and every data or application component) is covered by a
Velero Schedule of its namespace.
"""

from __future__ import annotations

from typing import Any

from homelab.catalog.model import Component
from homelab.render import secrets
from homelab.render.context import Context, Obj

VELERO = "velero.io/v1"
CNPG = "postgresql.cnpg.io/v1"
LAYERS = frozenset({"data", "application"})


def bucket(ctx: Context) -> str:
    return f"{ctx.platform}-{ctx.env}-backups"


def cnpg_clusters(comp: Component) -> list[str]:
    return [r["metadata"]["name"] for r in comp.resources if r.get("apiVersion") == CNPG and r.get("kind") == "Cluster"]


def barman_store(ctx: Context, comp: Component) -> dict[str, Any] | None:
    """The `spec.backup` a CloudNativePG Cluster of `comp` gets: Barman to the planned object store."""
    store = ctx.provider("object-storage")
    if comp.backup.method != "barman" or store is None or not store.endpoints:
        return None
    ep = store.endpoints[0]
    creds = f"{comp.name}-barman-s3"
    return {"retentionPolicy": "30d", "barmanObjectStore": {
        "destinationPath": f"s3://{bucket(ctx)}/{comp.name}",
        "endpointURL": f"http://{ep.service}.{store.namespace}.svc:{ep.port}",
        "s3Credentials": {"accessKeyId": {"name": creds, "key": "ACCESS_KEY_ID"},
                          "secretAccessKey": {"name": creds, "key": "ACCESS_SECRET_KEY"}},
        "wal": {"compression": "gzip"}}}


def _barman(ctx: Context, comp: Component) -> list[Obj]:
    if barman_store(ctx, comp) is None:
        ctx.warnings.append(f"{comp.name}: barman backups need an object-storage provider; only Velero covers it")
        return []
    creds = f"{comp.name}-barman-s3"
    path = secrets.vault_path(ctx, comp.name, "barman-s3")
    out = [ctx.obj(secrets.API, "ExternalSecret", creds, owner=comp.name, role="backup", group=ctx.group_of(comp),
                   namespace=comp.namespace, spec={
                       "refreshInterval": "1h",
                       "secretStoreRef": {"kind": "ClusterSecretStore", "name": secrets.store_name(ctx)},
                       "target": {"name": creds, "creationPolicy": "Owner"},
                       "data": [{"secretKey": k, "remoteRef": {"key": path, "property": k}}
                                for k in ("ACCESS_KEY_ID", "ACCESS_SECRET_KEY")]})]
    if ctx.has("ScheduledBackup"):
        for cluster in cnpg_clusters(comp):
            out.append(ctx.obj(CNPG, "ScheduledBackup", cluster, owner=comp.name, role="backup",
                               group=ctx.group_of(comp), namespace=comp.namespace, spec={
                                   "schedule": f"0 {comp.backup.schedule}", "cluster": {"name": cluster},
                                   "method": "barmanObjectStore", "backupOwnerReference": "self"}))
    return out


def _velero(ctx: Context) -> list[Obj]:
    velero = ctx.provider("cluster-backup")
    wanted: dict[str, Component] = {}
    for planned in ctx.components:
        comp = planned.component
        if comp.backup.method == "velero" or (comp.layer in LAYERS and comp.backup.method not in ("none", "barman")):
            wanted.setdefault(comp.namespace, comp)
    if velero is None or not ctx.has("Schedule"):
        if wanted:
            ctx.warnings.append("no cluster-backup provider (Velero) in the plan: no backup Schedules rendered")
        return []
    out = []
    for ns, comp in sorted(wanted.items()):
        spec = {"schedule": comp.backup.schedule, "useOwnerReferencesInBackup": False,
                "template": {"includedNamespaces": [ns], "snapshotVolumes": True,
                             "defaultVolumesToFsBackup": True, "ttl": "720h0m0s"}}
        out.append(ctx.obj(VELERO, "Schedule", f"{ctx.platform}-{ns}", owner=comp.name, role="backup",
                           group="platform/backup", namespace=velero.namespace, spec=spec))
    return out


def render(ctx: Context) -> list[Obj]:
    out = _velero(ctx)
    for planned in ctx.components:
        if planned.component.backup.method == "barman":
            out.extend(_barman(ctx, planned.component))
    return out
