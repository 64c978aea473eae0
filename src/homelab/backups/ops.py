"""`homelab backup list | run | restore` against a live cluster, through the Kubernetes API only.

- list: every schedule (Velero Schedule, CloudNativePG ScheduledBackup) with its newest runs.
- run NAME: a Velero Backup from the Schedule's template (labelled with the schedule, as
  `velero backup create --from-schedule` does), or a CloudNativePG Backup of the cluster through the
  ScheduledBackup's method and plugin; then follows its phase to the end.
- restore NAME: NAME is a backup, or a schedule/cluster meaning its newest completed backup. Velero: a
  Restore of the backup's namespaces (mapped with --to-namespace). CloudNativePG: a new Cluster that
  recovers from the backup through the Barman Cloud plugin, in --to-namespace (the ObjectStore and the
  ExternalSecret of its credentials copied there: nothing secret passes through here) or in place.
  A target that holds live data (a Cluster of that name, a namespace with pods or volumes) is refused
  unless --yes; with --yes Velero updates existing objects and the old Cluster is deleted first.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from homelab.backups.model import (
    CNPG,
    RESTORE_DONE,
    RESTORE_FAILED,
    SCHEDULE_LABEL,
    VELERO,
    Obj,
    Snapshot,
    Source,
    runs_of,
    snapshot_of,
    source_of,
)
from homelab.cluster.kube import Kube
from homelab.cluster.objects import Ref
from homelab.cluster.wait import Clock, until_gone
from homelab.errors import ExitCode, InputError, Problem, cluster_error

BARMAN = "barman-cloud.cloudnative-pg.io"
BARMAN_API = "barmancloud.cnpg.io/v1"
ESO_API = "external-secrets.io/v1"
STARTED_BY = {"app.kubernetes.io/managed-by": "homelab-backup"}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Backups:
    """The backups of one cluster. `say` reports progress; `clock` and `now` are injectable for tests."""

    def __init__(self, kube: Kube, say: Callable[[str], None] = lambda line: None, clock: Clock | None = None,
                 now: Callable[[], datetime] = utcnow):
        self.kube, self.say, self.clock, self.now = kube, say, clock or Clock(), now

    # --- reading -------------------------------------------------------------------------------------------

    def _kinds(self) -> list[tuple[str, str, str]]:
        """(apiVersion, schedule kind, backup kind) of the backup systems this cluster serves."""
        found = [(api, sched, "Backup") for api, sched in ((VELERO, "Schedule"), (CNPG, "ScheduledBackup"))
                 if self.kube.served(api, sched) and self.kube.served(api, "Backup")]
        if not found:
            raise cluster_error(ExitCode.PREFLIGHT, "this cluster serves neither Velero nor CloudNativePG backups",
                                "sync the platform first (`homelab apply` or Argo CD); the CRDs come with them")
        return found

    def sources(self) -> list[Source]:
        return sorted((s for api, kind, _ in self._kinds() for o in self.kube.list(api, kind)
                       if (s := source_of(o)) is not None), key=lambda s: (s.kind, s.namespace, s.name))

    def snapshots(self) -> list[Snapshot]:
        return [s for api, _, kind in self._kinds() for o in self.kube.list(api, kind)
                if (s := snapshot_of(o)) is not None]

    def _source(self, name: str) -> Source:
        sources = self.sources()
        found = [s for s in sources if name in (s.name, s.label) or (s.kind == "cnpg" and name in s.covers)]
        if len(found) == 1:
            return found[0]
        known = ", ".join(s.label for s in sources) or "none"
        if not found:
            raise InputError([Problem(f"no backup schedule or cluster named '{name}'", field="NAME",
                                      hint=f"`homelab backup list` shows them: {known}")])
        raise InputError([Problem(f"'{name}' names several schedules", field="NAME",
                                  hint=f"use one of {', '.join(s.label for s in found)}")])

    # --- run -----------------------------------------------------------------------------------------------

    def run(self, name: str, wait: bool = True, timeout: float = 3600) -> Snapshot:
        """Start a backup of the schedule or cluster `name` now; follow it to the end when `wait`."""
        source = self._source(name)
        stamp = self.now().strftime("%Y%m%d%H%M%S")
        spec = source.body.get("spec") or {}
        body: dict[str, Any]
        if source.kind == "velero":
            body = {"apiVersion": VELERO, "kind": "Backup", "metadata": {
                "name": f"{source.name}-{stamp}"[-63:].lstrip("-"), "namespace": source.namespace,
                "labels": {SCHEDULE_LABEL: source.name, **STARTED_BY}}, "spec": copy.deepcopy(spec.get("template"))}
        else:
            wanted = {k: spec[k] for k in ("method", "pluginConfiguration", "online", "target") if k in spec}
            body = {"apiVersion": CNPG, "kind": "Backup", "metadata": {
                "name": f"{source.covers[0]}-{stamp}"[-63:].lstrip("-"), "namespace": source.namespace,
                "labels": dict(STARTED_BY)}, "spec": {"cluster": {"name": source.covers[0]}, **wanted}}
        self.kube.apply(body)
        self.say(f"started {source.kind} backup {source.namespace}/{body['metadata']['name']} of {source.label}")
        ref = Ref(body["apiVersion"], "Backup", source.namespace, body["metadata"]["name"])
        snap = snapshot_of({**body, "status": {}})
        assert snap is not None
        return self._follow_backup(ref, timeout) if wait else snap

    def _follow_backup(self, ref: Ref, timeout: float) -> Snapshot:
        def state(live: Obj) -> tuple[bool, bool, str]:
            snap = snapshot_of(live)
            assert snap is not None
            progress = (live.get("status") or {}).get("progress") or {}
            items = f" ({progress.get('itemsBackedUp', 0)}/{progress.get('totalItems', '?')} items)" if progress else ""
            return snap.done, snap.failed, f"{snap.phase}{items}" + (f": {snap.message}" if snap.message else "")

        live = self._follow(ref, timeout, state)
        snap = snapshot_of(live)
        assert snap is not None
        return snap

    def _follow(self, ref: Ref, timeout: float, state: Callable[[Obj], tuple[bool, bool, str]]) -> Obj:
        """Poll `ref`, saying each new state, until it is done (returned) or failed (FINDINGS) or time runs out."""
        deadline, last = self.clock.now() + timeout, ""
        while True:
            live = self.kube.get(ref)
            done, failed, text = state(live) if live is not None else (False, False, "not created yet")
            if text != last:
                self.say(f"{ref.kind.lower()} {ref.namespace}/{ref.name}: {text}")
                last = text
            if done and live is not None:
                return live
            if failed:
                raise cluster_error(ExitCode.FINDINGS, f"{ref.kind} {ref.namespace}/{ref.name} failed: {text}",
                                    f"kubectl -n {ref.namespace} describe {ref.kind.lower()} {ref.name}")
            if self.clock.now() >= deadline:
                raise cluster_error(ExitCode.TIMEOUT, f"{ref.kind} {ref.namespace}/{ref.name} is still '{text}' "
                                    f"after {timeout:.0f}s", f"follow it with kubectl -n {ref.namespace} get "
                                    f"{ref.kind.lower()} {ref.name} -w")
            self.clock.sleep(self.clock.interval)

    # --- restore -------------------------------------------------------------------------------------------

    def backup(self, name: str) -> Snapshot:
        """The backup called `name`, or the newest completed run of the schedule or cluster `name`."""
        snapshots = self.snapshots()
        named = [s for s in snapshots if s.name == name]
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            raise InputError([Problem(f"'{name}' names backups in several namespaces", field="NAME",
                                      hint=", ".join(f"{s.namespace}/{s.name}" for s in named))])
        source = self._source(name)
        done = [s for s in runs_of(source, snapshots) if s.done]
        if not done:
            raise InputError([Problem(f"{source.label} has no completed backup to restore", field="NAME",
                                      hint=f"run one: homelab backup run {source.name}")])
        return done[0]

    def restore(self, name: str, to_namespace: str | None = None, yes: bool = False, wait: bool = True,
                timeout: float = 3600) -> Obj:
        snap = self.backup(name)
        if not snap.done:
            raise InputError([Problem(f"backup {snap.namespace}/{snap.name} is {snap.phase}, not completed",
                                      field="NAME", hint="restore a completed backup (`homelab backup list`)")])
        stamp = self.now().strftime("%Y%m%d%H%M%S")
        if snap.kind == "velero":
            return self._restore_velero(snap, to_namespace, yes, wait, timeout, stamp)
        return self._restore_cnpg(snap, to_namespace, yes, wait, timeout, stamp)

    def _live(self, namespace: str) -> list[str]:
        """What in `namespace` is running or holds data now."""
        if self.kube.get(Ref("v1", "Namespace", "", namespace)) is None:
            return []
        return [f"{kind} {o['metadata']['name']}" for kind in ("PersistentVolumeClaim", "Pod")
                for o in self.kube.list("v1", kind, namespace=namespace)]

    def _refuse(self, what: str, live: list[str]) -> None:
        raise cluster_error(ExitCode.ABORTED, f"refusing to restore over live data: {what} holds "
                            f"{', '.join(live[:5])}{' ...' if len(live) > 5 else ''}",
                            "restore into another namespace with --to-namespace, or pass --yes to restore over it")

    def _restore_velero(self, snap: Snapshot, to_ns: str | None, yes: bool, wait: bool, timeout: float,
                        stamp: str) -> Obj:
        backup = self.kube.get(Ref(VELERO, "Backup", snap.namespace, snap.name)) or {}
        namespaces = list((backup.get("spec") or {}).get("includedNamespaces") or [])
        if to_ns and len(namespaces) != 1:
            raise InputError([Problem(f"backup {snap.name} holds {len(namespaces)} namespaces; --to-namespace maps "
                                      "exactly one", field="--to-namespace")])
        mapping = {namespaces[0]: to_ns} if to_ns else {}
        for target in [mapping.get(ns, ns) for ns in namespaces]:
            live = self._live(target)
            if live and not yes:
                self._refuse(f"namespace {target}", live)
        spec: dict[str, Any] = {"backupName": snap.name, "includedNamespaces": namespaces, "restorePVs": True,
                                "existingResourcePolicy": "update" if yes else "none"}
        if mapping:
            spec["namespaceMapping"] = mapping
        body: dict[str, Any] = {"apiVersion": VELERO, "kind": "Restore", "metadata": {
            "name": f"{snap.name}-restore-{stamp}"[-63:].lstrip("-"), "namespace": snap.namespace,
            "labels": dict(STARTED_BY)}, "spec": spec}
        self.kube.apply(body)
        self.say(f"started velero restore {snap.namespace}/{body['metadata']['name']} of backup {snap.name}"
                 + (f" into {to_ns}" if to_ns else ""))
        if not wait:
            return body

        def state(live: Obj) -> tuple[bool, bool, str]:
            status = live.get("status") or {}
            phase = str(status.get("phase") or "New")
            reason = status.get("failureReason") or ""
            return phase in RESTORE_DONE, phase in RESTORE_FAILED, phase + (f": {reason}" if reason else "")

        return self._follow(Ref(VELERO, "Restore", snap.namespace, body["metadata"]["name"]), timeout, state)

    def _restore_cnpg(self, snap: Snapshot, to_ns: str | None, yes: bool, wait: bool, timeout: float,
                      stamp: str) -> Obj:
        backup = self.kube.get(Ref(CNPG, "Backup", snap.namespace, snap.name)) or {}
        source = self.kube.get(Ref(CNPG, "Cluster", snap.namespace, snap.source))
        if source is None or (backup.get("spec") or {}).get("method") != "plugin":
            raise InputError([Problem(f"backup {snap.name}: only plugin backups of an existing cluster's object store "
                                      "can be restored here", field="NAME",
                                      hint="see docs/backup.md for restoring by hand")])
        spec = source.get("spec") or {}
        plugin = next((p for p in spec.get("plugins") or [] if p.get("name") == BARMAN), None)
        if plugin is None:
            raise InputError([Problem(f"cluster {snap.namespace}/{snap.source} archives through no Barman Cloud plugin",
                                      field="NAME")])
        store = str((plugin.get("parameters") or {}).get("barmanObjectName"))
        target_ns = to_ns or snap.namespace
        target = Ref(CNPG, "Cluster", target_ns, snap.source)
        if self.kube.get(target) is not None:
            if not yes:
                self._refuse(f"Cluster {target_ns}/{snap.source}", [f"a running PostgreSQL cluster {snap.source}"])
            self.say(f"deleting the live Cluster {target_ns}/{snap.source} (--yes)")
            self.kube.delete(target)
            until_gone(self.kube, [target], timeout, self.clock)
        if target_ns != snap.namespace:
            self._copy_store(snap.namespace, target_ns, store)
        recovered = {k: copy.deepcopy(v) for k, v in spec.items()
                     if k not in ("bootstrap", "plugins", "managed", "replica", "externalClusters")}
        recovery: dict[str, Any] = {"source": "origin"}
        if (backup.get("status") or {}).get("backupId"):
            recovery["recoveryTarget"] = {"backupID": backup["status"]["backupId"]}
        recovered["bootstrap"] = {"recovery": recovery}
        recovered["externalClusters"] = [{"name": "origin", "plugin": {"name": BARMAN, "parameters": {
            "barmanObjectName": store, "serverName": snap.source}}}]
        if target_ns == snap.namespace:  # in place: keep archiving, under a new server name (the old one is full)
            recovered["plugins"] = [{**plugin, "parameters": {**(plugin.get("parameters") or {}),
                                                              "serverName": f"{snap.source}-r{stamp}"}}]
            recovered["managed"] = copy.deepcopy(spec.get("managed") or {})
        body: dict[str, Any] = {"apiVersion": CNPG, "kind": "Cluster", "metadata": {
            "name": snap.source, "namespace": target_ns, "labels": dict(STARTED_BY),
            "annotations": {"homelab.dev/restored-from": f"{snap.namespace}/{snap.name}"}}, "spec": recovered}
        self.kube.apply(body)
        self.say(f"created Cluster {target_ns}/{snap.source} recovering from backup {snap.namespace}/{snap.name}")
        if not wait:
            return body

        def state(live: Obj) -> tuple[bool, bool, str]:
            status = live.get("status") or {}
            phase = str(status.get("phase") or "creating")
            ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
            return ready, "fail" in phase.lower(), phase

        return self._follow(target, timeout, state)

    def _copy_store(self, source_ns: str, target_ns: str, store: str) -> None:
        """The ObjectStore and the ExternalSecrets of its credentials, in the namespace the drill restores into."""
        if self.kube.get(Ref("v1", "Namespace", "", target_ns)) is None:
            labels = ((self.kube.get(Ref("v1", "Namespace", "", source_ns)) or {}).get("metadata") or {}).get(
                "labels") or {}
            psa = {k: v for k, v in labels.items() if k.startswith("pod-security.kubernetes.io/")}
            self.kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": target_ns,
                                                                                 "labels": {**psa, **STARTED_BY}}})
        found = self.kube.get(Ref(BARMAN_API, "ObjectStore", source_ns, store))
        if found is None:
            raise InputError([Problem(f"no ObjectStore {source_ns}/{store} to recover from", field="NAME")])
        self.kube.apply(_copy(found, target_ns))
        wanted = {str(v.get("name")) for v in ((found.get("spec") or {}).get("configuration") or {})
                  .get("s3Credentials", {}).values() if isinstance(v, dict)}
        for secret in self.kube.list(ESO_API, "ExternalSecret", namespace=source_ns):
            if str(((secret.get("spec") or {}).get("target") or {}).get("name")) in wanted:
                self.kube.apply(_copy(secret, target_ns))
        self.say(f"copied ObjectStore {store} and its credentials' ExternalSecrets to {target_ns}")


def _copy(obj: Obj, namespace: str) -> Obj:
    meta = obj.get("metadata") or {}
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"],
            "metadata": {"name": meta["name"], "namespace": namespace, "labels": dict(STARTED_BY)},
            "spec": copy.deepcopy(obj.get("spec") or {})}
