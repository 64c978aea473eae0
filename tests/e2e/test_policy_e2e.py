"""The shipped policies admit the platform's own pods, checked on a real Kubernetes control plane.

Kyverno cannot run here, so admission is split the way it happens: the API server itself admits each
pod our manifests make (a server-side dry run in a namespace carrying the tree's Pod Security labels and
LimitRange: the real PodSecurity and LimitRanger admission plugins), and the ClusterPolicies rendered for
staging (Enforce) are evaluated in Python (homelab.validate.kyverno) on the pod the API server returned.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import pytest

from homelab.catalog import load_catalog
from homelab.cluster.kube import Kube
from homelab.cluster.objects import Ref
from homelab.errors import ExitCode, HomelabError
from homelab.plan import make_plan
from homelab.render import env_objects
from homelab.validate import kyverno, platform
from homelab.validate.podsecurity import pod_spec
from tests.profiles import config_for

pytestmark = pytest.mark.e2e
Obj = dict[str, Any]
ENV = "staging"


def _namespace(kube: Kube, tree_ns: Obj, name: str, limits: list[Obj]) -> None:
    labels = {k: v for k, v in (tree_ns["metadata"].get("labels") or {}).items()
              if k.startswith("pod-security.kubernetes.io/")}
    kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}})
    for limit in limits:
        kube.apply({"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": limit["metadata"]["name"],
                                                                           "namespace": name},
                    "spec": limit["spec"]})
    deadline = time.monotonic() + 60
    while kube.get(Ref("v1", "ServiceAccount", name, "default")) is None:  # pods need it to be admitted
        assert time.monotonic() < deadline, f"no default ServiceAccount in {name}"
        time.sleep(0.5)


def _pod(workload: Obj, namespace: str, suffix: str = "") -> Obj:
    found = pod_spec(workload)
    assert found is not None
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"{workload['metadata']['name']}{suffix}"[:63], "namespace": namespace},
            "spec": copy.deepcopy(found[1])}


def test_enforced_policies_admit_our_pods_as_the_api_server_admits_them(kube: Kube, run_id: str,
                                                                        trees: dict[str, Path]) -> None:
    tree = trees["standard"]
    objects = env_objects(tree, ENV)
    policies = [o for o in objects if o["kind"] == "ClusterPolicy"]
    assert policies and all(r["validate"]["failureAction"] == "Enforce" for p in policies for r in p["spec"]["rules"])
    plan = make_plan(config_for("standard"), load_catalog(), ENV)
    workloads = platform._manifest_objects(tree, plan, {})
    assert {w["metadata"]["name"] for w in workloads} >= {"request-path-app", "request-path-app-worker"}
    made: list[str] = []
    try:
        for tree_ns in sorted({w["metadata"]["namespace"] for w in workloads}):
            name = f"{run_id}-{tree_ns}"[:63]
            ns_obj = next(o for o in objects if o["kind"] == "Namespace" and o["metadata"]["name"] == tree_ns)
            limits = [o for o in objects if o["kind"] == "LimitRange" and o["metadata"]["namespace"] == tree_ns]
            assert limits, f"namespace {tree_ns} has no LimitRange in the tree"
            _namespace(kube, ns_obj, name, limits)
            made.append(name)
            for workload in [w for w in workloads if w["metadata"]["namespace"] == tree_ns]:
                admitted = kube.apply(_pod(workload, name), dry_run=True)  # PodSecurity + LimitRanger, for real
                for container in admitted["spec"]["containers"]:
                    assert container["resources"]["requests"].keys() >= {"cpu", "memory"}
                refused = [r for p in policies for r in kyverno.rejections(p, admitted, None)]
                assert not refused, f"{workload['metadata']['name']}: {refused}"

        # controls: what the same path refuses
        home = made[0]
        bare = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bare", "namespace": home},
                "spec": {"securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                         "containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10", "securityContext": {
                             "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}]}}
        admitted = kube.apply(bare, dry_run=True)
        assert admitted["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "50m", "memory": "64Mi"}
        assert not [r for p in policies for r in kyverno.rejections(p, admitted, None)]
        latest = copy.deepcopy(bare)
        latest["spec"]["containers"][0]["image"] = "registry.k8s.io/pause:latest"
        refused = {r.rule for p in policies for r in kyverno.rejections(p, kube.apply(latest, dry_run=True), None)}
        assert refused == {"no-latest"}
        privileged = copy.deepcopy(bare)
        privileged["spec"]["containers"][0]["securityContext"] = {"privileged": True}
        with pytest.raises(HomelabError) as err:
            kube.apply(privileged, dry_run=True)
        assert err.value.exit_code == ExitCode.FORBIDDEN and "PodSecurity" in str(err.value)
    finally:
        for name in made:
            kube.delete(Ref("v1", "Namespace", "", name))
