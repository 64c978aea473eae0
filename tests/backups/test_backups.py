"""`homelab backup` logic over the in-memory API stand-in (tests/cluster/fakeapi.py): what it reads, what it
creates, how it follows a run, and that it refuses to restore over live data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from homelab.backups.model import Source, freshness, period, snapshot_of, source_of
from homelab.backups.ops import Backups
from homelab.cluster.wait import Clock
from homelab.errors import ExitCode, HomelabError
from tests.cluster.fakeapi import FakeAPI, ready_status

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
Obj = dict[str, Any]


def crd(group: str, kind: str, plural: str, version: str = "v1") -> Obj:
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.{group}"},
            "spec": {"group": group, "scope": "Namespaced", "names": {"kind": kind, "plural": plural},
                     "versions": [{"name": version, "served": True, "storage": True}]},
            "status": ready_status({"kind": "CustomResourceDefinition"})}  # served only once Established


CRDS = [crd("velero.io", "Schedule", "schedules"), crd("velero.io", "Backup", "backups"),
        crd("velero.io", "Restore", "restores"), crd("postgresql.cnpg.io", "ScheduledBackup", "scheduledbackups"),
        crd("postgresql.cnpg.io", "Backup", "backups"), crd("postgresql.cnpg.io", "Cluster", "clusters"),
        crd("barmancloud.cnpg.io", "ObjectStore", "objectstores"),
        crd("external-secrets.io", "ExternalSecret", "externalsecrets")]
SCHEDULE = {"apiVersion": "velero.io/v1", "kind": "Schedule",
            "metadata": {"name": "homelab-redis", "namespace": "velero"},
            "spec": {"schedule": "0 3 * * *", "template": {"includedNamespaces": ["redis"], "ttl": "720h0m0s"}}}
SCHEDULED = {"apiVersion": "postgresql.cnpg.io/v1", "kind": "ScheduledBackup",
             "metadata": {"name": "postgresql", "namespace": "postgresql"},
             "spec": {"schedule": "0 0 3 * * *", "cluster": {"name": "postgresql"}, "method": "plugin",
                      "pluginConfiguration": {"name": "barman-cloud.cloudnative-pg.io"}}}
CLUSTER = {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": {"name": "postgresql",
                                                                                  "namespace": "postgresql"},
           "spec": {"instances": 1, "storage": {"size": "10Gi"}, "bootstrap": {"initdb": {"database": "app"}},
                    "managed": {"roles": [{"name": "gitea"}]},
                    "plugins": [{"name": "barman-cloud.cloudnative-pg.io", "isWALArchiver": True,
                                 "parameters": {"barmanObjectName": "postgresql-backup"}}]}}
STORE = {"apiVersion": "barmancloud.cnpg.io/v1", "kind": "ObjectStore",
         "metadata": {"name": "postgresql-backup", "namespace": "postgresql"},
         "spec": {"configuration": {"destinationPath": "s3://postgresql/", "endpointURL": "http://s3.seaweedfs.svc:8333",
                                    "s3Credentials": {"accessKeyId": {"name": "barman-s3", "key": "ACCESS_KEY_ID"},
                                                      "secretAccessKey": {"name": "barman-s3",
                                                                          "key": "ACCESS_SECRET_KEY"}}}}}
CREDENTIALS = {"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
               "metadata": {"name": "barman-s3", "namespace": "postgresql"},
               "spec": {"target": {"name": "barman-s3"}, "data": [{"secretKey": "ACCESS_KEY_ID", "remoteRef": {
                   "key": "homelab/dev/postgresql/seaweedfs", "property": "access_key"}}]}}


def velero_backup(name: str, phase: str, completed: datetime | None) -> Obj:
    status: Obj = {"phase": phase, "startTimestamp": "2026-11-26T03:00:00Z"}
    if completed:
        status["completionTimestamp"] = completed.isoformat().replace("+00:00", "Z")
    return {"apiVersion": "velero.io/v1", "kind": "Backup", "metadata": {
        "name": name, "namespace": "velero", "labels": {"velero.io/schedule-name": "homelab-redis"}},
        "spec": {"includedNamespaces": ["redis"]}, "status": status}


def pg_backup(name: str, phase: str, stopped: datetime | None) -> Obj:
    status: Obj = {"phase": phase, "startedAt": "2026-11-26T03:00:00Z", "backupId": "20261126T030000"}
    if stopped:
        status["stoppedAt"] = stopped.isoformat().replace("+00:00", "Z")
    return {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Backup",
            "metadata": {"name": name, "namespace": "postgresql"},
            "spec": {"cluster": {"name": "postgresql"}, "method": "plugin"}, "status": status}


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def api() -> FakeAPI:
    fake = FakeAPI()
    fake.auto_ready = False
    fake.add(*CRDS, SCHEDULE, SCHEDULED, CLUSTER, STORE, CREDENTIALS,
             {"apiVersion": "v1", "kind": "Namespace", "metadata": {
                 "name": "postgresql", "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}})
    return fake


def backups(api: FakeAPI, tmp_path: Path, lines: list[str] | None = None) -> Backups:
    clock = FakeClock()
    return Backups(api.kube(tmp_path), say=(lines.append if lines is not None else lambda _: None),
                   clock=Clock(now=clock.now, sleep=clock.sleep, interval=1.0), now=lambda: NOW)


def test_schedule_periods_five_and_six_fields_and_every() -> None:
    velero, pg = source_of(SCHEDULE), source_of(SCHEDULED)
    assert velero and pg and period(velero, NOW) == timedelta(days=1) == period(pg, NOW)
    hourly = Source("velero", "h", "velero", "@every 1h30m", ("x",), {})
    assert period(hourly, NOW) == timedelta(hours=1, minutes=30)


def test_freshness_reads_the_newest_completed_run() -> None:
    source = source_of(SCHEDULE)
    assert source is not None
    recent = snapshot_of(velero_backup("recent", "Completed", NOW - timedelta(hours=9)))
    old = snapshot_of(velero_backup("old", "Completed", NOW - timedelta(days=3)))
    failed = snapshot_of(velero_backup("failed", "Failed", NOW - timedelta(hours=1)))
    assert recent and old and failed
    assert freshness(source, [old, recent, failed], NOW, timedelta(hours=1))[0]
    ok, why = freshness(source, [old, failed], NOW, timedelta(hours=1))
    assert not ok and "old" in why and "72.0 h old" in why
    assert not freshness(source, [failed], NOW, timedelta(hours=1))[0]


def test_list_reads_both_systems(api: FakeAPI, tmp_path: Path) -> None:
    api.add(velero_backup("homelab-redis-1", "Completed", NOW - timedelta(hours=9)),
            pg_backup("postgresql-1", "completed", NOW - timedelta(hours=9)))
    b = backups(api, tmp_path)
    assert [s.label for s in b.sources()] == ["postgresql/postgresql", "velero/homelab-redis"]
    assert {(s.kind, s.name, s.done) for s in b.snapshots()} == {("velero", "homelab-redis-1", True),
                                                                 ("cnpg", "postgresql-1", True)}


def test_run_starts_from_the_schedule_and_follows_it(api: FakeAPI, tmp_path: Path) -> None:
    name = "homelab-redis-20261126120000"
    api.script("Backup", name, [{"phase": "New"}, {"phase": "InProgress", "progress": {"itemsBackedUp": 3,
                                                                                        "totalItems": 9}},
                                {"phase": "Completed", "completionTimestamp": "2026-11-26T12:01:00Z"}])
    lines: list[str] = []
    snap = backups(api, tmp_path, lines).run("homelab-redis", timeout=60)
    assert snap.done and snap.name == name
    made = api.objects[("velero.io", "backups", "velero", name)]
    assert made["metadata"]["labels"]["velero.io/schedule-name"] == "homelab-redis"
    assert made["spec"] == SCHEDULE["spec"]["template"]
    assert any("InProgress (3/9 items)" in line for line in lines) and any("Completed" in line for line in lines)


def test_run_of_a_cluster_makes_a_plugin_backup(api: FakeAPI, tmp_path: Path) -> None:
    snap = backups(api, tmp_path).run("postgresql", wait=False)
    made = api.objects[("postgresql.cnpg.io", "backups", "postgresql", snap.name)]
    assert made["spec"] == {"cluster": {"name": "postgresql"}, "method": "plugin",
                            "pluginConfiguration": {"name": "barman-cloud.cloudnative-pg.io"}}


def test_a_failed_run_exits_with_findings_and_a_stuck_one_times_out(api: FakeAPI, tmp_path: Path) -> None:
    api.script("Backup", "homelab-redis-20261126120000", [{"phase": "Failed", "failureReason": "bucket not found"}])
    with pytest.raises(HomelabError) as failed:
        backups(api, tmp_path).run("homelab-redis", timeout=60)
    assert failed.value.exit_code == ExitCode.FINDINGS and "bucket not found" in str(failed.value)
    api.script("Backup", "postgresql-20261126120000", [{"phase": "running"}])
    with pytest.raises(HomelabError) as stuck:
        backups(api, tmp_path).run("postgresql", timeout=5)
    assert stuck.value.exit_code == ExitCode.TIMEOUT


def test_unknown_names_are_bad_input(api: FakeAPI, tmp_path: Path) -> None:
    with pytest.raises(HomelabError) as err:
        backups(api, tmp_path).run("mysql")
    assert err.value.exit_code == ExitCode.BAD_INPUT and "velero/homelab-redis" in str(err.value)


def test_restore_refuses_a_live_cluster_without_yes(api: FakeAPI, tmp_path: Path) -> None:
    api.add(pg_backup("postgresql-1", "completed", NOW - timedelta(hours=9)))
    with pytest.raises(HomelabError) as err:
        backups(api, tmp_path).restore("postgresql")
    assert err.value.exit_code == ExitCode.ABORTED and "live data" in str(err.value)
    assert not api.deleted_names()


def test_restore_into_another_namespace_recovers_through_the_plugin(api: FakeAPI, tmp_path: Path) -> None:
    api.add(pg_backup("postgresql-1", "completed", NOW - timedelta(hours=9)))
    api.script("Cluster", "postgresql", [{"phase": "Setting up primary"},
                                         {"phase": "Cluster in healthy state",
                                          "conditions": [{"type": "Ready", "status": "True"}]}])
    result = backups(api, tmp_path).restore("postgresql-1", to_namespace="drill", timeout=60)
    assert result["metadata"]["namespace"] == "drill"
    spec = api.objects[("postgresql.cnpg.io", "clusters", "drill", "postgresql")]["spec"]
    assert spec["bootstrap"] == {"recovery": {"source": "origin", "recoveryTarget": {"backupID": "20261126T030000"}}}
    assert spec["externalClusters"][0]["plugin"]["parameters"] == {"barmanObjectName": "postgresql-backup",
                                                                   "serverName": "postgresql"}
    assert "plugins" not in spec and "managed" not in spec  # a drill neither archives nor manages live roles
    assert ("barmancloud.cnpg.io", "objectstores", "drill", "postgresql-backup") in api.objects
    copied = api.objects[("external-secrets.io", "externalsecrets", "drill", "barman-s3")]
    assert copied["spec"] == CREDENTIALS["spec"]  # the ExternalSecret, never the Secret's data
    assert api.objects[("", "namespaces", "", "drill")]["metadata"]["labels"][
        "pod-security.kubernetes.io/enforce"] == "restricted"
    assert not [r for r in api.requests if "/secrets" in r.url.path]


def test_restore_in_place_with_yes_replaces_the_cluster(api: FakeAPI, tmp_path: Path) -> None:
    api.add(pg_backup("postgresql-1", "completed", NOW - timedelta(hours=9)))
    backups(api, tmp_path).restore("postgresql", yes=True, wait=False)
    assert api.deleted_names() == ["postgresql"]
    spec = api.objects[("postgresql.cnpg.io", "clusters", "postgresql", "postgresql")]["spec"]
    assert spec["plugins"][0]["parameters"]["serverName"] == "postgresql-r20261126120000"
    assert spec["managed"] == CLUSTER["spec"]["managed"]


def test_velero_restore_refuses_a_namespace_with_data(api: FakeAPI, tmp_path: Path) -> None:
    api.add(velero_backup("homelab-redis-1", "Completed", NOW - timedelta(hours=9)),
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "redis"}},
            {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data", "namespace": "redis"}})
    with pytest.raises(HomelabError) as err:
        backups(api, tmp_path).restore("homelab-redis")
    assert err.value.exit_code == ExitCode.ABORTED and "PersistentVolumeClaim data" in str(err.value)
    made = backups(api, tmp_path).restore("homelab-redis", to_namespace="redis-drill", wait=False)
    assert made["spec"]["namespaceMapping"] == {"redis": "redis-drill"}
    assert made["spec"]["existingResourcePolicy"] == "none"
    over = backups(api, tmp_path).restore("homelab-redis-1", yes=True, wait=False)
    assert over["spec"]["existingResourcePolicy"] == "update" and "namespaceMapping" not in over["spec"]
