"""`standard` on a real kube-apiserver: bootstrap --local reaches ready, our own workloads pass Pod Security,
and destroy --delete-data leaves nothing behind but Argo CD.

ArgoCDControllerDouble (a test double, see tests/e2e/argocd_double.py) stands in for Argo CD's controller.
"""

from __future__ import annotations

import pytest

from homelab.cluster import objects as o
from homelab.cluster.bootstrap import is_root
from homelab.cluster.kube import Kube
from tests.shared import shared

from .argocd_double import ArgoCDControllerDouble
from .test_bootstrap_e2e import bootstrap_local
from .workspace import Workspace, cluster_nodes, current_context, e2e_kubeconfig, terminating, wait_until

pytestmark = pytest.mark.e2e


def test_standard_bootstraps_runs_our_workloads_and_destroys_cleanly(tmp_path_factory: pytest.TempPathFactory) -> None:
    kubeconfig = e2e_kubeconfig()
    kube = Kube.connect(current_context(kubeconfig), kubeconfig)
    workspace = Workspace(tmp_path_factory.mktemp("standard"), kubeconfig, current_context(kubeconfig))
    workspace.configure("standard", cluster_nodes(kube))
    objects = workspace.render()
    local = {obj["metadata"]["name"]: obj["spec"]["destination"]["namespace"] for obj in objects
             if obj["kind"] == "Application" and not is_root(obj)
             and str(obj["spec"]["source"].get("repoURL")) == "https://git.home.example.net/homelab/platform.git"}
    assert "request-path-app" in local
    with ArgoCDControllerDouble(kubeconfig, workspace.tree, shared("crds")) as double:
        try:
            done = bootstrap_local(workspace)
            assert done.returncode == 0, done.stderr[-3000:]
            missing = [str(o.ref(x)) for x in objects if not is_root(x) and kube.get(o.ref(x)) is None]
            assert missing == []
            wait_until("our own workloads admitted under their namespace's Pod Security level and ready",
                       lambda: all(double.health.get(name) == "Healthy" for name in local), timeout=240,
                       explain=lambda: {name: double.health.get(name) for name in local})
            for name in ("argo-cd", "request-path-app"):
                pods = kube.list("v1", "Pod", namespace=local[name])
                assert pods and all(p["status"].get("phase") == "Running" for p in pods), name
            assert double.errors == []
        finally:
            gone = workspace.homelab("destroy", "--yes", "--delete-data", "--timeout", "300", timeout=420)
    assert gone.returncode == 0, gone.stderr[-3000:]
    wait_until("no object stuck in Terminating", lambda: terminating(kube) == [], timeout=180)
    left = [str(o.ref(x)) for x in objects if not o.protected(x) and not is_root(x) and x["kind"] != "AppProject"
            and kube.get(o.ref(x)) is not None]
    assert left == []
    kube.close()
