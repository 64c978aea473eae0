"""Platform checks of data: every consumer of a shared store has its own tenancy there, and backups reach
a planned object store.

The facts (what a tenant gets, what a backup provider adds) come from the catalog's `tenancy` and
`backs_up` facets, computed for the plan exactly as render computes them; whether the tree holds them
is read from the tree, so a stale, hand-edited or older rendering is caught.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from homelab.render import backup, tenancy
from homelab.render.argocd import application_values
from homelab.render.context import Context
from homelab.validate.findings import Finding

if TYPE_CHECKING:
    from homelab.validate.platform import EnvView


def contains(actual: Any, wanted: Any) -> bool:
    """`wanted` is part of `actual`: mappings key by key, every wanted list item inside some actual item."""
    if isinstance(wanted, dict):
        return isinstance(actual, dict) and all(k in actual and contains(actual[k], v) for k, v in wanted.items())
    if isinstance(wanted, list):
        return isinstance(actual, list) and all(any(contains(a, w) for a in actual) for w in wanted)
    return bool(actual == wanted or str(actual) == str(wanted))


def _find(view: EnvView, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
    return next((o for o in view.of(kind) if o["metadata"]["name"] == name
                 and o["metadata"].get("namespace", "") == namespace), None)


def reads(obj: dict[str, Any], path: str) -> bool:
    """An ExternalSecret that fetches something from Vault path `path`."""
    return any((d.get("remoteRef") or {}).get("key") == path for d in (obj.get("spec") or {}).get("data") or [])


def own_tenancy(view: EnvView) -> Iterator[Finding]:
    """A consumer sharing a store's owner role, database or bucket can read and break every other's data,
    and one that has none fails at start (a database nobody created)."""
    ctx = view.ctx
    tenants = tenancy.tenants(ctx)
    have = {(t.consumer.name, t.provider.name) for t in tenants}
    for edge in view.plan.edges:
        store = view.plan.components[edge.provider].component
        if view.ctx.installs(edge.consumer) and (not edge.optional and (edge.consumer, edge.provider) not in have
                and any(edge.capability in f.capabilities for f in store.tenancy)):
            yield view.finding("own-tenancy", view.application(edge.consumer) or view.namespace(store.namespace),
                               ["metadata", "name"], f"{edge.consumer} requires {edge.capability} from {store.name} "
                               "but is wired to no database, user or bucket of its own there",
                               f"point its values or secrets at ${{store:{edge.capability}/...}} in its catalog entry")
    for tenant in tenants:
        yield from _tenant(view, ctx, tenant)


def _tenant(view: EnvView, ctx: Context, tenant: tenancy.Tenant) -> Iterator[Finding]:
    store, who = tenant.provider, tenant.consumer.name
    for raw in tenant.facet.resources:
        body = tenancy.fill(raw, ctx, tenant)
        meta = body["metadata"]
        found = _find(view, body["kind"], meta.get("namespace", store.namespace), meta["name"])
        if found is None or not contains(found.get("spec"), body.get("spec")):
            yield view.finding("own-tenancy", found or view.namespace(store.namespace), ["spec"],
                               f"{who} has no {body['kind']} {meta['name']} of its own on {store.name}"
                               + ("" if found is None else " as the catalog declares it"),
                               f"render it from {store.name}'s tenancy (homelab render)")
    for patch in tenant.facet.patches:
        wanted = tenancy.fill(patch.merge, ctx, tenant)
        for raw in store.resources:
            if raw.get("kind") != patch.kind:
                continue
            found = _find(view, patch.kind, raw["metadata"].get("namespace", store.namespace), raw["metadata"]["name"])
            if found is None or not contains(found, wanted):
                yield view.finding("own-tenancy", found, ["spec"],
                                   f"{store.name}'s {patch.kind} does not give {who} what its tenancy declares "
                                   "(its own role, least privilege, its password Secret)",
                                   f"render {store.name}'s {patch.kind} with every tenant's additions")
    path = tenant.vault_path(ctx)
    if tenant.facet.credential and not any(reads(o, path) for o in view.of("ExternalSecret")
                                           if o["metadata"].get("namespace") == store.namespace):
        yield view.finding("own-tenancy", view.namespace(store.namespace), ["metadata", "name"],
                           f"{store.name} reads {who}'s credentials from no Vault path {path}",
                           f"render the ExternalSecret {tenant.credential} in {store.namespace}")
    if tenant.env != view.env:
        return  # a guest's consumer on this host's store: its own side is checked with the guest
    if tenant.facet.secret_fields and not any(reads(o, path) for o in view.of("ExternalSecret")
                                              if o["metadata"].get("namespace") == tenant.consumer.namespace):
        yield view.finding("own-tenancy", view.application(who) or view.namespace(tenant.consumer.namespace),
                           ["metadata", "name"], f"{who} is not given its own credentials on {store.name} "
                           f"(no ExternalSecret in {tenant.consumer.namespace} reads {path})",
                           "template its Secret from ${store:<capability>/<credential>} in its catalog entry")


def _store_urls(view: EnvView) -> set[str]:
    """Where the planned object stores listen inside the cluster, and the configured off-site target."""
    urls = {f"http://{e.service}.{p.component.namespace}.svc:{e.port}" for p in view.plan.components.values()
            if "object-storage" in p.component.provides for e in p.component.endpoints}
    offsite = view.config.backup.offsite
    return urls | ({offsite.s3_url} if offsite else set())


def _created_buckets(view: EnvView) -> set[str]:
    """Buckets the planned object stores create (their tenancy values, read from their Applications)."""
    ctx = view.ctx
    made: set[str] = set()
    for tenant in tenancy.tenants(ctx):
        if "bucket" in tenant.facet.fields and tenant.facet.values:
            app = view.application(tenant.provider.name)
            values = application_values(app)[1]
            if contains(values, tenancy.fill(tenant.facet.values, ctx, tenant)):
                made.add(tenancy.store_field(ctx, tenant.consumer, "object-storage", "bucket"))
    offsite = view.config.backup.offsite
    return made | ({offsite.bucket} if offsite else set())


def backup_location(view: EnvView) -> Iterator[Finding]:
    """A backup location without an endpoint goes to Amazon S3; one on a bucket nobody creates fails every backup."""
    velero = view.plan.provider_of("cluster-backup")
    if velero is None or not view.ctx.installs(velero):
        return  # a guest's backups are its host's Velero's
    locations = view.of("BackupStorageLocation")
    if not locations:
        yield view.finding("backup-location", view.application(velero), ["metadata", "name"],
                           f"{velero} has no BackupStorageLocation on a planned object store (chart defaults point "
                           "at Amazon S3)", "declare the location on the object store's bucket (velero entry)")
    urls, buckets = _store_urls(view), _created_buckets(view)
    for bsl in locations:
        spec = bsl.get("spec") or {}
        config, bucket = spec.get("config") or {}, (spec.get("objectStorage") or {}).get("bucket")
        if config.get("s3Url") not in urls:
            yield view.finding("backup-location", bsl, ["spec", "config", "s3Url"],
                               f"BackupStorageLocation {bsl['metadata']['name']} writes to "
                               f"{config.get('s3Url') or 'Amazon S3 (no s3Url)'}, not a planned object store",
                               f"set s3Url to one of {sorted(urls)}")
        elif str(config.get("s3ForcePathStyle")).lower() != "true" and config.get("s3Url") != (
                view.config.backup.offsite.s3_url if view.config.backup.offsite else None):
            yield view.finding("backup-location", bsl, ["spec", "config", "s3ForcePathStyle"],
                               "an in-cluster S3 endpoint serves path-style URLs only",
                               "set s3ForcePathStyle: \"true\"")
        if bucket not in buckets:
            yield view.finding("backup-location", bsl, ["spec", "objectStorage", "bucket"],
                               f"bucket {bucket} is created by no planned object store",
                               "make Velero a tenant of the object store (its bucket field)")


def database_backup(view: EnvView) -> Iterator[Finding]:
    """The in-tree barmanObjectStore is deprecated and gone from CloudNativePG 1.28; a plugin backup needs its
    ObjectStore beside the Cluster, on a planned store, with credentials in the same namespace."""
    ctx = view.ctx
    for cluster in view.of("Cluster"):
        if "barmanObjectStore" in ((cluster.get("spec") or {}).get("backup") or {}):
            yield view.finding("database-backup", cluster, ["spec", "backup", "barmanObjectStore"],
                               f"Cluster {cluster['metadata']['name']} uses the deprecated in-tree barmanObjectStore",
                               "back it up through the Barman Cloud plugin (spec.plugins and an ObjectStore)")
    for sched in view.of("ScheduledBackup"):
        if (sched.get("spec") or {}).get("method", "barmanObjectStore") == "barmanObjectStore":
            yield view.finding("database-backup", sched, ["spec", "method"],
                               f"ScheduledBackup {sched['metadata']['name']} uses the deprecated barmanObjectStore "
                               "method", "use method: plugin with pluginConfiguration.name")
    for planned in view.subjects():
        comp = planned.component
        for _, wiring in backup.wirings(ctx, comp):
            if wiring.kind is None:
                yield from _wired(view, ctx, comp, comp.name, wiring)
            for raw in comp.resources:
                if wiring.kind and raw.get("kind") == wiring.kind:
                    yield from _wired(view, ctx, comp, raw["metadata"]["name"], wiring)


def _wired(view: EnvView, ctx: Context, comp: Any, name: str, wiring: Any) -> Iterator[Finding]:
    ns = comp.namespace
    target = _find(view, wiring.kind, ns, name) if wiring.kind else view.application(comp.name)
    if target is None:
        return
    where, values = application_values(target)
    if wiring.kind is None and not contains(values, backup.values(ctx, comp)):
        yield view.finding("database-backup", target, where,
                           f"{comp.name}'s values do not send its backups to its own bucket as its backup provider "
                           "declares", "render its values with the backup wiring")
    if wiring.kind and not contains(target, backup.patched(ctx, comp, {"kind": wiring.kind,
                                                                        "metadata": {"name": name}})):
        yield view.finding("database-backup", target, ["spec"], f"{wiring.kind} {name} ({comp.name}) is not wired "
                           "to its backup provider as the catalog declares", "render it with the backup wiring")
    for raw in wiring.resources:
        body = backup.fill(raw, ctx, comp, name)
        found = _find(view, body["kind"], ns, body["metadata"]["name"])
        if found is None or not contains(found.get("spec"), body.get("spec")):
            yield view.finding("database-backup", found or target, ["spec"],
                               f"{comp.name} has no {body['kind']} {body['metadata']['name']} in {ns} as its backup "
                               "wiring declares (endpoint, its own bucket, credentials beside it)",
                               "render it from the backup provider's backs_up facet")
            continue
        config = (found.get("spec") or {}).get("configuration") or {}
        if "endpointURL" in config and config["endpointURL"] not in _store_urls(view):
            yield view.finding("database-backup", found, ["spec", "configuration", "endpointURL"],
                               f"{body['kind']} {body['metadata']['name']} writes to {config['endpointURL']}, "
                               "not a planned object store", "point it at the planned object store")
    targets = {o["spec"]["target"]["name"] for o in view.of("ExternalSecret") if o["metadata"].get("namespace") == ns}
    for secret in wiring.secrets:
        if secret.name not in targets:
            yield view.finding("database-backup", target, ["metadata", "namespace"],
                               f"the backup credentials {secret.name} of {comp.name} are not made in {ns}",
                               "render its ExternalSecret in the Cluster's namespace")
