"""Apply on a faked API server: wave and kind order, CRDs before their resources, prune after a preview."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from homelab.cluster.apply import apply_tree
from homelab.cluster.diff import ObjectDiff
from homelab.cluster.prune import inventory_name
from homelab.errors import ExitCode, HomelabError

from .fakeapi import FakeAPI
from .helpers import OURS, FakeClock, load


@pytest.fixture
def argocd(api: FakeAPI) -> FakeAPI:
    api.add(*load("argocd-crds.yaml"))
    return api


def test_apply_in_wave_and_kind_order(argocd: FakeAPI, tmp_path: Path) -> None:
    result = apply_tree(argocd.kube(tmp_path), load("tree.yaml"), "homelab", "dev", clock=FakeClock())
    assert argocd.applied_names() == [
        inventory_name("homelab", "dev"),
        "homelab-data", "widgets.example.com", "demo", "web", "web", "web", "web-config", "web", "widgets", "blue"]
    assert result.waves == 3 and len(result.applied) == 10 and result.pruned == []
    served = next(i for i, r in enumerate(argocd.requests) if r.url.path == "/apis/example.com/v1")
    widget_write = next(i for i, r in enumerate(argocd.requests) if r.url.path.endswith("/widgets/blue"))
    assert served < widget_write, "discovery lists the kind (its CRD is Established) before the resource is applied"


def test_a_wave_waits_for_readiness_before_the_next(argocd: FakeAPI, tmp_path: Path) -> None:
    not_yet = {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 1, "availableReplicas": 1}
    done = {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}
    argocd.script("Deployment", "web", [not_yet, not_yet, done])
    clock = FakeClock()
    apply_tree(argocd.kube(tmp_path), load("tree.yaml"), "homelab", "dev", clock=clock)
    deployment_reads = [i for i, r in enumerate(argocd.requests)
                        if r.method == "GET" and r.url.path.endswith("/deployments/web")]
    first_wave_1_write = next(i for i, r in enumerate(argocd.requests) if r.url.path.endswith("/widgets"))
    assert len(deployment_reads) == 2 and deployment_reads[-1] < first_wave_1_write, "the apply's answer was the first"
    assert clock.t == pytest.approx(0.1 + 0.2), "two short pauses: polls start quick and back off"


def test_prune_is_previewed_and_declining_changes_nothing(argocd: FakeAPI, tmp_path: Path) -> None:
    tree = load("tree.yaml")
    old = {"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "old-settings", "namespace": "demo", "labels": dict(OURS)}}
    foreign = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "theirs", "namespace": "demo"}}
    argocd.add(old, foreign)
    seen: list[list[ObjectDiff]] = []

    def decline(diffs: list[ObjectDiff]) -> bool:
        seen.append(diffs)
        return False

    with pytest.raises(HomelabError) as err:
        apply_tree(argocd.kube(tmp_path), tree, "homelab", "dev", confirm_prune=decline, clock=FakeClock())
    assert err.value.exit_code == ExitCode.ABORTED
    assert [d.name for d in seen[0]] == ["ConfigMap/demo/old-settings"] and seen[0][0].action == "delete"
    assert argocd.writes() == [], "nothing is applied when the prune is declined"

    result = apply_tree(argocd.kube(tmp_path), tree, "homelab", "dev", clock=FakeClock())
    assert result.pruned == ["ConfigMap/demo/old-settings"]
    assert argocd.deleted_names(dry_run=True) == ["old-settings"] and argocd.deleted_names() == ["old-settings"]
    assert ("", "configmaps", "demo", "theirs") in argocd.objects


def test_kinds_that_left_the_tree_are_still_pruned(argocd: FakeAPI, tmp_path: Path) -> None:
    tree = load("tree.yaml")
    apply_tree(argocd.kube(tmp_path), tree, "homelab", "dev", clock=FakeClock())
    smaller = [x for x in copy.deepcopy(tree) if x["kind"] not in ("Widget", "CustomResourceDefinition", "Role",
                                                                    "RoleBinding")]
    result = apply_tree(argocd.kube(tmp_path), smaller, "homelab", "dev", clock=FakeClock())
    assert result.pruned == ["Widget/demo/blue", "RoleBinding/demo/web", "Role/demo/web",
                             "CustomResourceDefinition/widgets.example.com"]
    inventory = argocd.objects[("", "configmaps", "kube-system", inventory_name("homelab", "dev"))]
    assert "Widget" not in inventory["data"]["kinds"] and "Deployment" in inventory["data"]["kinds"]


def test_a_custom_resource_in_an_earlier_wave_than_its_crd_is_refused(argocd: FakeAPI, tmp_path: Path) -> None:
    tree = load("tree.yaml")
    next(x for x in tree if x["kind"] == "CustomResourceDefinition")["metadata"]["annotations"] = {
        "argocd.argoproj.io/sync-wave": "5"}
    with pytest.raises(HomelabError) as err:
        apply_tree(argocd.kube(tmp_path), tree, "homelab", "dev", clock=FakeClock())
    assert err.value.exit_code == ExitCode.BAD_INPUT
    assert argocd.requests == []


def test_rich_progress_bars_follow_the_waves(argocd: FakeAPI, tmp_path: Path) -> None:
    from homelab.cli.cluster_view import RichProgress

    with RichProgress() as progress:
        apply_tree(argocd.kube(tmp_path), load("tree.yaml"), "homelab", "dev", clock=FakeClock(), progress=progress)
        tasks = {t.description: (t.completed, t.total) for t in progress.bars.tasks}
    assert tasks["wave 0: apply 7 objects"] == (7, 7)
    assert tasks["wave 1: wait until ready"] == (2, 2)
    assert len(tasks) == 6


def test_objects_of_one_kind_go_out_at_once_and_results_keep_the_order(argocd: FakeAPI, tmp_path: Path) -> None:
    """With workers, a kind's objects are applied concurrently; Namespaces still precede what they hold."""
    tree = load("tree.yaml") + [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"extra-{i}", "namespace": "demo",
                                                             "labels": dict(OURS)}} for i in range(20)]
    result = apply_tree(argocd.kube(tmp_path), tree, "homelab", "dev", clock=FakeClock(), workers=8)
    sequential = apply_tree(argocd.kube(tmp_path), tree, "homelab", "dev", clock=FakeClock())
    assert result.applied == sequential.applied, "the reported order is the apply order"
    writes = [r.url.path for r in argocd.requests if r.method == "PATCH"]
    assert writes.index("/api/v1/namespaces/demo") < min(i for i, p in enumerate(writes) if "/demo/configmaps/" in p)
