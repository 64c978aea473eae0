"""Preflight over recorded Nodes and StorageClasses against a plan's fit."""

from __future__ import annotations

import copy

from homelab.catalog.model import Component
from homelab.catalog.synthetic import entry
from homelab.cluster import preflight
from homelab.plan.model import NodeFit, Plan, Planned

from .helpers import load

GI = 2**30


def plan(fits: list[NodeFit], provides: dict[str, str] | None = None) -> Plan:
    components = {}
    for capability, name in (provides or {}).items():
        comp = Component.model_validate(entry(name, layer="infrastructure", category="network", provides=[capability]))
        components[name] = Planned(component=comp)
    return Plan(env="dev", profile="minimal", components=components, edges=[], nodes=fits, headroom=0.15)


def fit(name: str, arch: str = "amd64", cpu: int = 2000, memory: int = 4 * GI) -> NodeFit:
    return NodeFit(name=name, arch=arch, cpu_total=4000, memory_total=16 * GI, storage_total=0, cpu_used=cpu,
                   memory_used=memory, placed=["a", "b"])


def test_version_checks() -> None:
    assert preflight.check_version({"major": "1", "minor": "33", "gitVersion": "v1.33.4+k3s1"}, "1.33").ok
    eks = preflight.check_version({"major": "1", "minor": "31+", "gitVersion": "v1.31.2-eks-7f9249a"}, "1.33")
    assert eks.ok and eks.warning and "set cluster.kubernetes.version" in eks.message
    old = preflight.check_version({"major": "1", "minor": "28", "gitVersion": "v1.28.9"}, "1.33")
    assert not old.ok and "older than the supported 1.30" in old.message


def test_plan_fits_the_recorded_nodes() -> None:
    found = preflight.check_nodes(load("nodes.yaml"), plan([fit("node1"), fit("node2"), fit("pi1", "arm64")]))
    assert all(f.ok for f in found), found
    assert any(f.check == "capacity" and "3 nodes offer cpu 11900m" in f.message for f in found)


def test_a_node_too_small_and_a_missing_arch_fail() -> None:
    nodes = [n for n in load("nodes.yaml") if n["metadata"]["name"] != "pi1"]
    found = preflight.check_nodes(nodes, plan([fit("node1", cpu=6000), fit("pi1", "arm64")]))
    failed = [(f.check, f.message) for f in found if not f.ok]
    assert [check for check, _ in failed] == ["arch", "capacity", "capacity"]
    assert "only amd64" in failed[0][1]
    assert failed[1][1].startswith("node node1 offers cpu 4, memory 15.5Gi; the plan places cpu 6")
    assert failed[2][1] == "the plan requests cpu 8, memory 8Gi; the 2 nodes offer cpu 7900m, memory 31.0Gi"


def test_default_storage_class() -> None:
    classes = load("storageclasses.yaml")
    assert preflight.check_storage(classes, plan([])).message == "default StorageClass local-path"
    plain = copy.deepcopy(classes)
    plain[0]["metadata"]["annotations"] = {}
    assert not preflight.check_storage(plain, plan([])).ok
    planned = preflight.check_storage(plain, plan([], {"storage-class": "longhorn"}))
    assert planned.ok and planned.warning and "longhorn" in planned.message


def test_cni_present_planned_or_missing() -> None:
    nodes = load("nodes.yaml")
    assert preflight.running_cni(nodes, []) == "flannel"
    clash = preflight.check_cni(nodes, [], plan([], {"cni": "cilium"}))
    assert clash.ok and clash.warning and "two CNIs" in clash.message
    bare = copy.deepcopy(nodes)
    for node in bare:
        node["metadata"]["annotations"] = {}
        node["status"]["conditions"] = [{"type": "Ready", "status": "False", "reason": "KubeletNotReady",
                                         "message": "container runtime network not ready: cni plugin not initialized"}]
    missing = preflight.check_cni(bare, [], plan([]))
    assert not missing.ok and "cni plugin not initialized" in missing.message
    assert preflight.check_cni(bare, [], plan([], {"cni": "cilium"})).ok
    ds = [{"metadata": {"name": "cilium", "namespace": "kube-system"}}]
    assert preflight.running_cni(bare, ds) == "cilium"


def test_bundled_components_the_plan_replaces_must_be_off() -> None:
    """k3s started without --disable=traefik and with flannel still shows both; preflight names the flags."""
    from homelab.cluster.preflight import Replaced, check_replaced

    flannel_node = {"metadata": {"name": "n1", "annotations": {"flannel.alpha.coreos.com/backend-type": "vxlan"}}}
    traefik = {"metadata": {"name": "traefik", "namespace": "kube-system"}}
    replaced = [Replaced("flannel", "--flannel-backend=none", None),
                Replaced("traefik", "--disable=traefik", "traefik"),
                Replaced("servicelb", "--disable=servicelb", "svclb-")]
    found = check_replaced([flannel_node], [traefik], replaced)
    assert [f.ok for f in found] == [False, False]
    assert "--flannel-backend=none" in found[0].message and "--disable=traefik" in found[1].message
    assert check_replaced([{"metadata": {"name": "n1"}}], [], replaced) == []
