"""`minimal` on a real kube-apiserver: bootstrap --local, status, diff, a conflict, prune and destroy.

Argo CD's controller does not run here: ArgoCDControllerDouble (tests/e2e/argocd_double.py, a test
double) installs the CRDs each chart would bring and writes the Applications' status. Everything
else is the real API server, its admission (Pod Security included) and kube-controller-manager.
One bootstrap serves the module's tests, in order; teardown destroys everything, data included.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from lightkube.types import PatchType

from homelab.cluster import argocd
from homelab.cluster import objects as o
from homelab.cluster.bootstrap import is_root
from homelab.cluster.kinds import established, resource_class
from homelab.cluster.kube import Kube
from tests.shared import shared, vendored

from .argocd_double import ArgoCDControllerDouble
from .workspace import Workspace, cluster_nodes, current_context, e2e_kubeconfig, terminating, wait_until

pytestmark = pytest.mark.e2e
LOCAL_APPS = ("argo-cd",)  # sourced from the platform's own repository: deferred by bootstrap --local


@dataclass
class Lab:
    workspace: Workspace
    kube: Kube
    double: ArgoCDControllerDouble
    objects: list[dict[str, Any]]
    bootstrap: Any


def bootstrap_local(workspace: Workspace, timeout: int = 420) -> Any:
    manifest = vendored(argocd.MANIFEST_URL)
    assert manifest is not None
    return workspace.homelab("bootstrap", "--local", "--argocd-manifest", str(manifest), "--timeout", str(timeout),
                             timeout=timeout + 120)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    kubeconfig = e2e_kubeconfig()
    kube = Kube.connect(current_context(kubeconfig), kubeconfig)
    workspace = Workspace(tmp_path_factory.mktemp("minimal"), kubeconfig, current_context(kubeconfig))
    workspace.configure("minimal", cluster_nodes(kube), choices={})
    objects = workspace.render()
    with ArgoCDControllerDouble(kubeconfig, workspace.tree, shared("crds")) as double:
        done = bootstrap_local(workspace)
        yield Lab(workspace, kube, double, objects, done)
        workspace.homelab("destroy", "--yes", "--delete-data", "--timeout", "300", timeout=420)
    kube.close()


def test_bootstrap_local_of_minimal_reaches_ready(lab: Lab) -> None:
    assert lab.bootstrap.returncode == 0, lab.bootstrap.stderr[-3000:]
    assert "bootstrapped dev" in lab.bootstrap.stderr and "ok capacity" in lab.bootstrap.stderr
    missing = [str(o.ref(obj)) for obj in lab.objects if not is_root(obj) and lab.kube.get(o.ref(obj)) is None]
    assert missing == [], "every object of the tree was accepted by the API server and its admission"
    assert lab.double.errors == []


def test_crds_were_established_before_their_custom_resources(lab: Lab) -> None:
    """The CRDs came from the charts' Applications (the double), in an earlier wave than their resources."""
    crds = {(c["spec"]["group"], c["spec"]["names"]["kind"]): c
            for c in lab.kube.list("apiextensions.k8s.io/v1", "CustomResourceDefinition")}
    checked = 0
    for obj in lab.objects:
        r = o.ref(obj)
        crd = crds.get((r.group, r.kind))
        if crd is None or r.group == "argoproj.io" or is_root(obj):
            continue
        assert established(crd)
        since = next(c["lastTransitionTime"] for c in crd["status"]["conditions"] if c["type"] == "Established")
        live = lab.kube.get(r)
        assert live is not None, r
        assert live["metadata"]["creationTimestamp"] >= since, f"{r} before {crd['metadata']['name']}"
        checked += 1
    assert checked >= 10, "minimal has ServiceMonitors, Certificates, ExternalSecrets and Schedules"


def test_our_own_workloads_pass_pod_security_and_argo_cd_syncs_itself(lab: Lab) -> None:
    """Argo CD's own Application (deferred by bootstrap) syncs the very objects bootstrap applied: same
    selectors, so no adoption failure; its pods are admitted under the namespace's `restricted` level."""
    wait_until("the local-source Applications Healthy (their pods admitted and ready)",
               lambda: all(lab.double.health.get(name) == "Healthy" for name in LOCAL_APPS), timeout=180)
    namespace = lab.kube.get(o.Ref("v1", "Namespace", "", "argocd"))
    assert namespace is not None
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    server = lab.kube.get(o.Ref("apps/v1", "Deployment", "argocd", "argocd-server"))
    assert server is not None
    managers = {m["manager"] for m in server["metadata"]["managedFields"]}
    assert {"homelab-argocd", "argocd-controller"} <= managers, managers
    pods = lab.kube.list("v1", "Pod", namespace="argocd")
    assert pods and all(p["status"].get("phase") == "Running" for p in pods)
    assert lab.double.errors == []


def test_status_lists_every_component(lab: Lab) -> None:
    done = lab.workspace.homelab("status", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    apps = {obj["metadata"]["name"] for obj in lab.objects if obj["kind"] == "Application" and not is_root(obj)}
    rows = {c["name"]: c for c in report["components"]}
    assert set(rows) == apps
    assert all(rows[name]["sync"] == "Synced" and rows[name]["health"] == "Healthy" for name in apps)


def changes(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.split(" ")[0] in ("create", "change", "delete")]


def test_diff_shows_no_drift_after_bootstrap_and_exactly_an_edit_by_another_tool(lab: Lab) -> None:
    clean = lab.workspace.homelab("diff", "--exit-code")
    assert changes(clean.stdout) == ["create Application/argocd/homelab-dev"], "only the root, left for --handover"
    policy = next(obj for obj in lab.objects if obj["kind"] == "NetworkPolicy")
    r = o.ref(policy)
    edit = {"apiVersion": r.api_version, "kind": r.kind, "metadata": {"name": r.name, "namespace": r.namespace},
            "spec": {**policy["spec"], "policyTypes": ["Ingress"]}}
    info = lab.kube.kind(r.api_version, r.kind)
    assert info is not None
    lab.kube.client.patch(resource_class(info), r.name, edit, namespace=r.namespace, patch_type=PatchType.APPLY,
                          field_manager="kubectl-edit", force=True)
    drift = lab.workspace.homelab("diff", "--exit-code")
    assert drift.returncode == 1, drift.stderr
    assert changes(drift.stdout) == [f"change {r}", "create Application/argocd/homelab-dev"]
    assert "policyTypes" in drift.stdout
    assert 'apply needs --force-conflicts: conflict while applying' in drift.stdout and "kubectl-edit" in drift.stdout


def test_a_field_manager_conflict_is_exit_6_until_forced(lab: Lab) -> None:
    conflict = lab.workspace.homelab("apply", "--yes", "--timeout", "120")
    assert conflict.returncode == 6, conflict.stderr[-2000:]
    assert 'conflict with "kubectl-edit"' in conflict.stderr and "--force-conflicts" in conflict.stderr
    forced = lab.workspace.homelab("apply", "--yes", "--force-conflicts", "--timeout", "300")
    assert forced.returncode == 0, forced.stderr[-2000:]
    after = lab.workspace.homelab("diff", "--exit-code")
    assert after.returncode == 0 and "no differences" in after.stderr, after.stdout[-2000:]


def test_prune_removes_a_component_taken_out_of_the_config(lab: Lab) -> None:
    config = lab.workspace.configure("minimal", cluster_nodes(lab.kube), choices={}, remove=["nats"])
    assert config["remove"] == ["nats"]
    smaller = lab.workspace.render()
    gone = [obj for obj in lab.objects if o.ref(obj) not in {o.ref(x) for x in smaller}]
    assert any(obj["kind"] == "Application" and obj["metadata"]["name"] == "nats" for obj in gone)
    done = lab.workspace.homelab("apply", "--yes", "--timeout", "300")
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"pruned {len(gone)}" in done.stderr
    assert [str(o.ref(x)) for x in gone if lab.kube.get(o.ref(x)) is not None] == []
    wait_until("nothing left Terminating after prune", lambda: terminating(lab.kube) == [])
    lab.objects = smaller


def test_destroy_keeps_argo_cd_and_data_unless_asked(lab: Lab) -> None:
    namespace = next(obj["metadata"]["name"] for obj in lab.objects
                     if obj["kind"] == "Namespace" and not o.protected(obj))
    claim = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
             "metadata": {"name": "data-0", "namespace": namespace},  # made by a chart, as a StatefulSet's would be
             "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}
    lab.kube.apply(claim)
    done = lab.workspace.homelab("destroy", "--yes", "--timeout", "300")
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"Namespace/{namespace} (holds PersistentVolumeClaims)" in done.stderr
    wait_until("no object stuck in Terminating", lambda: terminating(lab.kube) == [], timeout=180)
    assert lab.kube.get(o.ref(claim)) is not None, "the claim and its namespace are kept"
    controller = next(x for x in lab.objects if o.protected(x) and x["kind"] == "Application")
    kept = {f"Namespace/{namespace}", f"AppProject/argocd/{controller['spec']['project']}"}
    left = [str(o.ref(x)) for x in lab.objects if lab.kube.get(o.ref(x)) is not None and not o.protected(x)
            and str(o.ref(x)) not in kept and not is_root(x)]
    assert left == []
    server = lab.kube.get(o.Ref("apps/v1", "Deployment", "argocd", "argocd-server"))
    assert server is not None and server["status"].get("availableReplicas") == 1, "Argo CD still works"
    assert lab.kube.served("argoproj.io/v1alpha1", "Application")
    assert lab.kube.get(o.Ref("argoproj.io/v1alpha1", "Application", "argocd", "argo-cd")) is not None
    everything = lab.workspace.homelab("destroy", "--yes", "--delete-data", "--timeout", "300")
    assert everything.returncode == 0, everything.stderr[-3000:]
    wait_until("the namespace with data deleted", lambda: lab.kube.get(o.Ref("v1", "Namespace", "", namespace)) is None,
               timeout=180)
    assert terminating(lab.kube) == []
