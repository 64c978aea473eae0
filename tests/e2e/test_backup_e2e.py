"""`homelab backup` and `homelab verify` scenario `backup` against a real Kubernetes control plane.

The CRDs are the upstream ones from ../shared/crds (Velero, CloudNativePG, Barman Cloud plugin, External
Secrets). The shared copy has no Velero Restore CRD, so a schema-less stand-in CRD for velero.io/v1 Restore
is installed, named as such. Velero's server and the CloudNativePG operator do not run on this control
plane: `ControllerStandIn` (a test double) plays their part by writing the status they would write,
through the API. Everything else is the real CLI, in a subprocess, through the real API server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from homelab.cluster.kube import Kube
from homelab.cluster.objects import Ref
from homelab.cluster.wait import Clock, until_ready
from tests.shared import shared

pytestmark = pytest.mark.e2e
Obj = dict[str, Any]
CRD_FILES = ["velero/velero.io_backups.yaml", "velero/velero.io_schedules.yaml",
             "cloudnative-pg/postgresql.cnpg.io_clusters.yaml", "cloudnative-pg/postgresql.cnpg.io_backups.yaml",
             "cloudnative-pg/postgresql.cnpg.io_scheduledbackups.yaml",
             "plugin-barman-cloud/barmancloud.cnpg.io_objectstores.yaml",
             "external-secrets/external-secrets.io_externalsecrets.yaml"]
RESTORE_STAND_IN = {  # the shared CRDs have no velero.io_restores.yaml: a schema-less stand-in for the kind
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "restores.velero.io", "labels": {"homelab.dev/test-double": "velero-restore-crd"}},
    "spec": {"group": "velero.io", "scope": "Namespaced",
             "names": {"kind": "Restore", "plural": "restores", "singular": "restore", "listKind": "RestoreList"},
             "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                 "type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]}}


# (group, kind) -> (plural, whether status is a subresource): Velero's CRDs have none, CloudNativePG's do
STATUS_PATHS = {("velero.io", "Backup"): ("backups", False), ("velero.io", "Restore"): ("restores", False),
                ("postgresql.cnpg.io", "Backup"): ("backups", True),
                ("postgresql.cnpg.io", "Cluster"): ("clusters", True)}


HOLD = 3.0  # seconds each phase lasts, longer than the CLI's poll interval, so its progress shows every phase


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class ControllerStandIn:
    """Test double for the Velero server and the CloudNativePG operator, which cannot run here: it writes the
    status they would write for the Backups, Restores and Clusters it finds in its namespaces."""

    def __init__(self, kubeconfig: Path, namespaces: list[str]):
        self.kube = Kube.connect(None, kubeconfig)
        self.namespaces, self.seen = namespaces, set()
        self.changed: dict[tuple[str, ...], float] = {}  # when each object last moved: a phase lasts HOLD seconds
        self.errors: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def write_status(self, api_version: str, kind: str, namespace: str, name: str, status: Obj) -> None:
        group, version = api_version.split("/")
        plural, subresource = STATUS_PATHS[(group, kind)]
        path = f"/apis/{group}/{version}/namespaces/{namespace}/{plural}/{name}" + ("/status" if subresource else "")
        response = self.kube.http.request("PATCH", path, json={"status": status},
                                          headers={"Content-Type": "application/merge-patch+json"})
        response.raise_for_status()

    def _loop(self) -> None:
        while not self.stop.is_set():
            for ns in self.namespaces:
                for api, kind in (("velero.io/v1", "Backup"), ("velero.io/v1", "Restore"),
                                  ("postgresql.cnpg.io/v1", "Backup"), ("postgresql.cnpg.io/v1", "Cluster")):
                    for obj in self.kube.list(api, kind, namespace=ns):
                        try:
                            self._advance(api, kind, obj)
                        except Exception as exc:  # kept for the test to show, never silently lost
                            self.errors.append(f"{kind} {obj['metadata']['name']}: {exc}")
            time.sleep(0.3)

    def _advance(self, api: str, kind: str, obj: Obj) -> None:
        meta, status = obj["metadata"], obj.get("status") or {}
        key = (api, kind, meta["namespace"], meta["name"])
        now = datetime.now(UTC)
        if kind == "Cluster":
            if (obj.get("spec") or {}).get("bootstrap", {}).get("recovery") and key not in self.seen:
                self.seen.add(key)
                self.write_status(api, kind, meta["namespace"], meta["name"], {
                    "phase": "Cluster in healthy state", "conditions": [{
                        "type": "Ready", "status": "True", "reason": "ClusterIsReady",
                        "message": "Cluster is Ready", "lastTransitionTime": iso(now)}]})
            return
        velero = api.startswith("velero")
        phase = status.get("phase")
        if time.monotonic() - self.changed.setdefault(key, time.monotonic()) < HOLD:
            return
        self.changed[key] = time.monotonic()
        if phase in (None, "", "New", "pending"):
            started = {"phase": "InProgress", "startTimestamp": iso(now)} if velero else {
                "phase": "running", "startedAt": iso(now)}
            self.write_status(api, kind, meta["namespace"], meta["name"], started)
        elif phase in ("InProgress", "running"):
            done = {"phase": "Completed", "completionTimestamp": iso(now)} if velero else {
                "phase": "completed", "stoppedAt": iso(now), "backupId": now.strftime("%Y%m%dT%H%M%S")}
            self.write_status(api, kind, meta["namespace"], meta["name"], done)

    def __enter__(self) -> ControllerStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.kube.close()


@pytest.fixture(scope="module")
def crds() -> list[Obj]:
    docs = [yaml.safe_load(shared("crds", *f.split("/")).read_text()) for f in CRD_FILES]
    return [*docs, RESTORE_STAND_IN]


def install(kube: Kube, crds: list[Obj]) -> None:
    bodies = [{k: v for k, v in crd.items() if k != "status"} for crd in crds]
    for body in bodies:
        kube.apply(body, force=True)
    until_ready(kube, bodies, 120, Clock(interval=0.5), what="established")
    kube.refresh_crds()


def cli(tmp: Path, kubeconfig: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    return subprocess.run([sys.executable, "-c", "from homelab.cli import main; main()", *args], cwd=tmp, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def lab(kube: Kube, kubeconfig: Path, crds: list[Obj], run_id: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Namespaces, a Velero schedule, a PostgreSQL cluster with its plugin backup wiring, and a homelab.yaml whose
    dev environment is this cluster's context."""
    install(kube, crds)
    names = {k: f"{run_id}-{k}" for k in ("velero", "pg", "app", "drill", "copy")}
    for key in ("velero", "pg", "app"):
        kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": names[key], "labels": {
            "pod-security.kubernetes.io/enforce": "restricted"}}})
    cluster = f"{run_id}-db"
    for obj in [
        {"apiVersion": "velero.io/v1", "kind": "Schedule", "metadata": {"name": f"{run_id}-app", "namespace":
                                                                          names["velero"]},
         "spec": {"schedule": "0 3 * * *", "template": {"includedNamespaces": [names["app"]], "ttl": "720h0m0s"}}},
        {"apiVersion": "velero.io/v1", "kind": "Schedule", "metadata": {"name": f"{run_id}-stale", "namespace":
                                                                          names["velero"]},
         "spec": {"schedule": "0 * * * *", "template": {"includedNamespaces": [names["app"]]}}},
        {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": {"name": cluster,
                                                                                "namespace": names["pg"]},
         "spec": {"instances": 1, "storage": {"size": "1Gi"}, "bootstrap": {"initdb": {"database": "app"}},
                  "plugins": [{"name": "barman-cloud.cloudnative-pg.io", "isWALArchiver": True,
                               "parameters": {"barmanObjectName": f"{cluster}-backup"}}]}},
        {"apiVersion": "postgresql.cnpg.io/v1", "kind": "ScheduledBackup", "metadata": {"name": cluster,
                                                                                        "namespace": names["pg"]},
         "spec": {"schedule": "0 0 3 * * *", "cluster": {"name": cluster}, "method": "plugin",
                  "pluginConfiguration": {"name": "barman-cloud.cloudnative-pg.io"}}},
        {"apiVersion": "barmancloud.cnpg.io/v1", "kind": "ObjectStore", "metadata": {"name": f"{cluster}-backup",
                                                                                     "namespace": names["pg"]},
         "spec": {"configuration": {"destinationPath": f"s3://{cluster}/",
                                    "endpointURL": "http://seaweedfs-s3.seaweedfs.svc:8333",
                                    "s3Credentials": {"accessKeyId": {"name": "barman-s3", "key": "ACCESS_KEY_ID"},
                                                      "secretAccessKey": {"name": "barman-s3",
                                                                          "key": "ACCESS_SECRET_KEY"}}}}},
        {"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret", "metadata": {"name": "barman-s3",
                                                                                        "namespace": names["pg"]},
         "spec": {"secretStoreRef": {"kind": "ClusterSecretStore", "name": "homelab-vault"},
                  "target": {"name": "barman-s3"},
                  "data": [{"secretKey": "ACCESS_KEY_ID", "remoteRef": {"key": "homelab/dev/postgresql/seaweedfs",
                                                                        "property": "access_key"}}]}},
        {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data", "namespace": names["app"]},
         "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "16Mi"}}}},
    ]:
        kube.apply(obj)
    context = yaml.safe_load(kubeconfig.read_text())["current-context"]
    (tmp_path / "homelab.yaml").write_text(yaml.safe_dump({
        "platform": {"name": "homelab", "domain": "home.example.net"},
        "cluster": {"nodes": [{"name": "n1", "cpu": 8, "memory": "32Gi"}]},
        "environments": {"dev": {"kube_context": context}}, "profile": "minimal",
        "gitops": {"repo_url": "https://git.example.net/homelab.git"}}))
    try:
        yield {**names, "cluster": cluster, "context": context, "schedule": f"{run_id}-app",
               "stale": f"{run_id}-stale"}
    finally:
        for key in names:
            kube.delete(Ref("v1", "Namespace", "", names[key]))


def verify(tmp: Path, kubeconfig: Path, only: str) -> subprocess.CompletedProcess[str]:
    (tmp / "targets.yaml").write_text(yaml.safe_dump([{"name": "backups", "kind": "backup", "url": "kubernetes://",
                                                       "options": {"kubeconfig": str(kubeconfig), "only": only}}]))
    return cli(tmp, kubeconfig, "verify", "--targets", "targets.yaml", "--timeout", "60", "--json")


def test_run_list_verify_and_restore_on_a_real_api_server(lab: dict[str, str], kube: Kube, kubeconfig: Path,
                                                          tmp_path: Path) -> None:
    schedule, cluster, stale_schedule = lab["schedule"], lab["cluster"], lab["stale"]
    both = f"{schedule},{cluster}"
    before = verify(tmp_path, kubeconfig, both)
    assert before.returncode == 1 and "no completed backup yet" in before.stdout, before.stdout + before.stderr

    with ControllerStandIn(kubeconfig, [lab["velero"], lab["pg"], lab["drill"]]) as stand_in:
        ran = cli(tmp_path, kubeconfig, "backup", "run", schedule, "--timeout", "120")
        assert ran.returncode == 0, ran.stderr
        assert "InProgress" in ran.stderr and "Completed" in ran.stderr and "Completed" in ran.stdout
        ran = cli(tmp_path, kubeconfig, "backup", "run", cluster, "--timeout", "120")
        assert ran.returncode == 0 and "completed" in ran.stdout, ran.stderr

        listed = json.loads(cli(tmp_path, kubeconfig, "backup", "list", "--json").stdout)
        mine = {row["name"]: row for row in listed if row["namespace"] in (lab["velero"], lab["pg"])}
        assert mine[schedule]["fresh"] and mine[cluster]["fresh"] and not mine[stale_schedule]["fresh"]
        assert mine[cluster]["newest"]["phase"] == "completed"

        after = verify(tmp_path, kubeconfig, both)
        assert after.returncode == 0, after.stdout + after.stderr
        report = json.loads(after.stdout)
        assert report[0]["ok"] and [s["name"] for s in report[0]["steps"]] == ["connect", "read schedules and backups",
                                                                              "fresh"]
        # an hourly schedule whose newest run finished a day ago is stale
        old = {"apiVersion": "velero.io/v1", "kind": "Backup", "metadata": {
            "name": f"{stale_schedule}-old", "namespace": lab["velero"],
            "labels": {"velero.io/schedule-name": stale_schedule}}, "spec": {}}
        kube.apply(old)
        stand_in.write_status("velero.io/v1", "Backup", lab["velero"], old["metadata"]["name"], {
            "phase": "Completed", "completionTimestamp": iso(datetime.now(UTC) - timedelta(days=1))})
        stale = verify(tmp_path, kubeconfig, stale_schedule)
        assert stale.returncode == 1 and "24." in stale.stdout and "h old" in stale.stdout, stale.stdout

        refused = cli(tmp_path, kubeconfig, "backup", "restore", cluster)
        assert refused.returncode == 9 and "live data" in refused.stderr, refused.stderr
        refused = cli(tmp_path, kubeconfig, "backup", "restore", schedule)
        assert refused.returncode == 9 and "PersistentVolumeClaim data" in refused.stderr, refused.stderr

        drill = cli(tmp_path, kubeconfig, "backup", "restore", cluster, "--to-namespace", lab["drill"],
                    "--timeout", "120")
        assert drill.returncode == 0, drill.stderr
        recovered = kube.get(Ref("postgresql.cnpg.io/v1", "Cluster", lab["drill"], cluster))
        assert recovered and recovered["spec"]["bootstrap"]["recovery"]["source"] == "origin"
        assert recovered["spec"]["externalClusters"][0]["plugin"]["parameters"]["serverName"] == cluster
        assert kube.get(Ref("barmancloud.cnpg.io/v1", "ObjectStore", lab["drill"], f"{cluster}-backup"))
        assert kube.get(Ref("external-secrets.io/v1", "ExternalSecret", lab["drill"], "barman-s3"))

        copied = cli(tmp_path, kubeconfig, "backup", "restore", schedule, "--to-namespace", lab["copy"],
                     "--timeout", "120")
        assert copied.returncode == 0, copied.stderr
        restores = kube.list("velero.io/v1", "Restore", namespace=lab["velero"])
        assert [r["spec"]["namespaceMapping"] for r in restores] == [{lab["app"]: lab["copy"]}]
        assert restores[0]["status"]["phase"] == "Completed"
    assert not stand_in.errors
