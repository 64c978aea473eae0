"""TEST DOUBLE for Argo CD's application controller, which cannot run on the e2e control plane.

It replaces the controller's effects that homelab waits for, and nothing else:
- a Helm-chart Application: the chart cannot be pulled here, so the double installs the CRDs that
  chart would bring, from ../shared/crds (table CHART_CRDS below), and reports Synced/Healthy once
  the API server has Established them;
- an Application whose source is the platform's own Git repository (a `local` kustomization, Argo CD
  itself included): the double builds that folder of the rendered tree with `kubectl kustomize` and
  server-side applies it with force under field manager `argocd-controller`, as Argo CD does; it is
  Healthy once its Deployments and StatefulSets are ready (fake kwok nodes run the pods, so Pod
  Security admission of our own workloads is real); folders that read remote URLs only get their CRDs;
- an environment's gate (the root app-of-apps and the release Application that syncs the environment's
  folder at its revision) only gets its status: syncing it would re-apply the very tree this suite applies;
- `status.sync.comparedTo` mirrors the spec, as Argo CD writes it;
- a deleted Application: the double deletes what it applied and releases the resources finalizer.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml
from lightkube.types import PatchType

from homelab.cluster import objects as o
from homelab.cluster.kinds import resource_class
from homelab.cluster.kube import Kube
from homelab.cluster.readiness import readiness
from tests.shared import vendored

APPLICATION = ("argoproj.io/v1alpha1", "Application")
# Application name -> the folders of ../shared/crds holding the CRDs its chart installs (test data).
CHART_CRDS = {
    "cert-manager": ["cert-manager"], "external-secrets": ["external-secrets"], "prometheus": ["prometheus-operator"],
    "metallb": ["metallb"], "velero": ["velero"], "cloudnative-pg": ["cloudnative-pg"],
    "barman": ["plugin-barman-cloud"], "kyverno": ["kyverno"], "keycloak-operator": ["keycloak"],
    "knative-operator": ["knative-operator"], "tekton-operator": ["tekton-operator"],
    "rabbitmq-cluster-operator": ["rabbitmq"], "cilium": ["cilium"], "envoy-gateway": ["gateway-api"],
    "istio-base": ["istio"], "strimzi": ["strimzi"], "eck-operator": ["eck"], "mongodb-operator": ["mongodb"],
    "clickhouse-operator": ["clickhouse-operator"], "doris-operator": ["doris-operator"],
    "druid-operator": ["druid-operator"], "tidb-operator-crds": ["tidb-operator"],
    "vitess-operator": ["vitess-operator"],
}
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet"}
GATE_ROLES = ("root-application", "release-application")


@functools.cache
def crds_in(folder: Path) -> list[dict[str, Any]]:
    docs = [d for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
            for d in yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader)]
    return [d for d in docs if isinstance(d, dict) and d.get("kind") == "CustomResourceDefinition"]


class ArgoCDControllerDouble:
    """Runs in a thread beside the test; `stop()` ends it. `errors` keeps what went wrong, for the test."""

    def __init__(self, kubeconfig: Path, tree: Path, crds: Path, gitops_path: str = "clusters",
                 namespace: str = "argocd", every: float = 0.2) -> None:
        self.kube = Kube.connect(None, kubeconfig, field_manager="argocd-controller")
        self.tree, self.crds, self.gitops_path, self.namespace = tree, crds, gitops_path.strip("/"), namespace
        self.every = every  # seconds between two reconciliations
        self.synced: dict[str, str] = {}  # Application -> the spec it last synced
        self.applied: dict[str, list[o.Ref]] = {}
        self.health: dict[str, str] = {}
        self.errors: list[str] = []
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="argocd-double")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="argocd-controller-double", daemon=True)

    def __enter__(self) -> ArgoCDControllerDouble:
        self._thread.start()
        return self

    def __exit__(self, *args: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        self._pool.shutdown()
        self.kube.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.reconcile()
            except Exception as exc:  # keep going; the test reads `errors`
                self.errors.append(f"{type(exc).__name__}: {exc}")
            self._stop.wait(self.every)

    def reconcile(self) -> None:
        """One pass over every Application, eight at a time (Argo CD's controller works in parallel too)."""
        if not self.kube.served(*APPLICATION) or any(h != "Healthy" for h in self.health.values()):
            self.kube.refresh_crds()  # waiting for a CRD to be Established: ask discovery again
        if not self.kube.served(*APPLICATION):
            return
        apps = self.kube.list(*APPLICATION, namespace=self.namespace)
        list(self._pool.map(self._reconcile_one, apps))

    def _reconcile_one(self, app: dict[str, Any]) -> None:
        name = str(app["metadata"]["name"])
        if app["metadata"].get("deletionTimestamp"):
            self._finalize(app)
            return
        spec = json.dumps(app.get("spec") or {}, sort_keys=True)
        if self.synced.get(name) != spec:
            self._sync(app)
            self.synced[name] = spec
        health = self._health(name)
        if self.health.get(name) != health or not (app.get("status") or {}).get("sync"):
            self._write_status(app, health)
            self.health[name] = health

    def _folder(self, source: dict[str, Any]) -> Path | None:
        path = str(source.get("path") or "").strip("/")
        if source.get("chart") or not path.startswith(self.gitops_path + "/"):
            return None
        return self.tree / path[len(self.gitops_path) + 1:]

    def _sync(self, app: dict[str, Any]) -> None:
        name = str(app["metadata"]["name"])
        if o.labels(app).get("app.kubernetes.io/component") in GATE_ROLES:
            return
        for chart in CHART_CRDS.get(name, []):
            for crd in crds_in(self.crds / chart):
                if not self._served(crd):
                    self.kube.apply(crd, force=True)
        folder = self._folder((app.get("spec") or {}).get("source") or {})
        if folder is None or not (folder / "kustomization.yaml").is_file():
            return
        objects = self._build(folder)
        if objects is None:
            return  # a remote upstream manifest with no copy here: its CRDs came from the table
        destination = ((app.get("spec") or {}).get("destination") or {}).get("namespace")
        refs = []
        for obj in o.apply_order(objects):
            info = self.kube.kind(str(obj["apiVersion"]), str(obj["kind"]))
            if info is not None and info.namespaced and destination:
                obj["metadata"].setdefault("namespace", destination)
            self.kube.apply(obj, force=True)
            refs.append(o.ref(obj))
        self.applied[name] = refs

    def _build(self, folder: Path) -> list[dict[str, Any]] | None:
        """`kubectl kustomize` of the folder, a pinned remote manifest replaced by its copy in ../shared/vendor."""
        with tempfile.TemporaryDirectory() as scratch:
            copy = Path(scratch) / folder.name
            shutil.copytree(folder, copy)
            kustomization = copy / "kustomization.yaml"
            text = kustomization.read_text()
            for url in re.findall(r"https://\S+", text):
                local = vendored(url)
                if local is None:
                    return None
                shutil.copy(local, copy / local.name)
                text = text.replace(url, local.name)
            kustomization.write_text(text)
            built = subprocess.run(["kubectl", "kustomize", str(copy)], capture_output=True, text=True, check=True)
        return [d for d in yaml.load_all(built.stdout, Loader=yaml.CSafeLoader) if isinstance(d, dict)]

    def _health(self, name: str) -> str:
        for chart in CHART_CRDS.get(name, []):
            if not all(self._served(crd) for crd in crds_in(self.crds / chart)):
                return "Progressing"
        for ref in self.applied.get(name, []):
            if ref.kind in WORKLOADS:
                live = self.kube.get(ref)
                if live is None or not readiness(live).ready:
                    return "Progressing"
        return "Healthy"

    def _served(self, crd: dict[str, Any]) -> bool:
        spec = crd["spec"]
        return any(self.kube.served(f"{spec['group']}/{v['name']}", spec["names"]["kind"])
                   for v in spec["versions"] if v.get("served"))

    def _write_status(self, app: dict[str, Any], health: str) -> None:
        spec = app.get("spec") or {}
        status = {"sync": {"status": "Synced", "revision": "test-double",
                           "comparedTo": {"source": spec.get("source"), "destination": spec.get("destination")}},
                  "health": {"status": health}, "reconciledAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        res = resource_class(self.kube.kind(*APPLICATION))  # type: ignore[arg-type]
        self.kube.client.patch(res, app["metadata"]["name"], {"status": status}, namespace=self.namespace,
                               patch_type=PatchType.MERGE)

    def _finalize(self, app: dict[str, Any]) -> None:
        name = str(app["metadata"]["name"])
        for ref in reversed(self.applied.pop(name, [])):
            self.kube.delete(ref)
        res = resource_class(self.kube.kind(*APPLICATION))  # type: ignore[arg-type]
        self.kube.client.patch(res, name, {"metadata": {"finalizers": None}}, namespace=self.namespace,
                               patch_type=PatchType.MERGE)
        self.synced.pop(name, None)
        self.health.pop(name, None)
