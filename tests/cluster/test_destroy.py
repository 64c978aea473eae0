"""Destroy: reverse wave order, claims (and namespaces holding them) kept, nothing half-deleted."""

from __future__ import annotations

from pathlib import Path

import pytest

from homelab.cluster import objects as o
from homelab.cluster.apply import apply_tree
from homelab.cluster.destroy import DestroyPlan, destroy, plan_destroy
from homelab.cluster.objects import ref
from homelab.cluster.prune import inventory_name
from homelab.errors import ExitCode, HomelabError

from .fakeapi import FakeAPI, status_response
from .helpers import OURS, FakeClock, load

CLAIM = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
         "metadata": {"name": "data-web-0", "namespace": "demo", "labels": dict(OURS)},
         "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}


@pytest.fixture
def installed(api: FakeAPI, tmp_path: Path) -> FakeAPI:
    api.add(*load("argocd-crds.yaml"))
    apply_tree(api.kube(tmp_path), [*load("tree.yaml"), CLAIM], "homelab", "dev", clock=FakeClock())
    api.requests.clear()
    return api


def test_plan_keeps_claims_and_their_namespaces() -> None:
    owned = [*load("tree.yaml"), CLAIM]
    kept = plan_destroy(owned, [CLAIM], delete_data=False)
    assert kept.kept == ["PersistentVolumeClaim/demo/data-web-0 (data)",
                         "Namespace/demo (holds PersistentVolumeClaims)"]
    assert {ref(x).kind for x in kept.delete} >= {"Deployment", "Widget", "CustomResourceDefinition"}
    everything = plan_destroy(owned, [CLAIM], delete_data=True)
    assert everything.kept == [] and [ref(x).kind for x in everything.delete][-3:] == [
        "Namespace", "CustomResourceDefinition", "AppProject"]


def test_destroy_in_reverse_wave_order(installed: FakeAPI, tmp_path: Path) -> None:
    shown: list[DestroyPlan] = []
    result = destroy(installed.kube(tmp_path), load("tree.yaml"), "homelab", "dev", clock=FakeClock(),
                     confirm=lambda p: shown.append(p) or True)
    assert shown and result.kept == ["PersistentVolumeClaim/demo/data-web-0 (data)",
                                      "Namespace/demo (holds PersistentVolumeClaims)"]
    assert installed.deleted_names() == ["blue", "widgets", "homelab-data",  # custom resources, wave by wave
                                         "web", "web-config", "web", "web", "web",  # then every built-in kind
                                         "widgets.example.com"]  # CRDs and Namespaces last
    assert ("", "persistentvolumeclaims", "demo", "data-web-0") in installed.objects
    assert ("", "namespaces", "", "demo") in installed.objects
    assert ("", "configmaps", "kube-system", inventory_name("homelab", "dev")) in installed.objects


def test_delete_data_removes_claims_namespaces_and_the_inventory(installed: FakeAPI, tmp_path: Path) -> None:
    destroy(installed.kube(tmp_path), [], "homelab", "dev", delete_data=True, clock=FakeClock())
    left = [key for key in installed.objects if key[1] != "customresourcedefinitions"]
    assert left == []


def test_declined_destroy_deletes_nothing(installed: FakeAPI, tmp_path: Path) -> None:
    with pytest.raises(HomelabError) as err:
        destroy(installed.kube(tmp_path), [], "homelab", "dev", confirm=lambda p: False, clock=FakeClock())
    assert err.value.exit_code == ExitCode.ABORTED and installed.writes() == []


def test_rbac_refusal_is_found_by_the_dry_run_before_anything_is_deleted(installed: FakeAPI, tmp_path: Path) -> None:
    installed.fail(lambda r: r.method == "DELETE" and r.url.path.endswith("/customresourcedefinitions/"
                                                                          "widgets.example.com"),
                   status_response(403, "Forbidden", 'User "dev" cannot delete resource "customresourcedefinitions"'))
    with pytest.raises(HomelabError) as err:
        destroy(installed.kube(tmp_path), [], "homelab", "dev", clock=FakeClock())
    assert err.value.exit_code == ExitCode.FORBIDDEN
    assert installed.deleted_names() == [], "the dry run caught it: nothing half-deleted"


def test_a_failure_midway_says_what_was_and_was_not_deleted(installed: FakeAPI, tmp_path: Path) -> None:
    real = [r for r in installed.requests]
    installed.fail(lambda r: r.method == "DELETE" and "dryRun" not in r.url.params and r.url.path.endswith(
        "/configmaps/web-config"), status_response(500, "InternalError", "etcdserver: request timed out"))
    with pytest.raises(HomelabError) as err:
        destroy(installed.kube(tmp_path), [], "homelab", "dev", clock=FakeClock())
    text = str(err.value)
    assert real == []
    assert "etcdserver: request timed out" in text
    assert ("stopped after deleting 7 object(s) (Widget/demo/blue, Application/argocd/widgets, "
            "AppProject/argocd/homelab-data, Deployment/demo/web, RoleBinding/demo/web, Role/demo/web, "
            "ServiceAccount/demo/web)") in text, "the rest of the failing step finished and is counted"
    assert "not deleted: ConfigMap/demo/web-config, CustomResourceDefinition/widgets.example.com" in text
    assert "Namespace" not in text.split("not deleted:")[0]


def test_a_stuck_finalizer_times_out_and_stops_before_the_next_wave(installed: FakeAPI, tmp_path: Path) -> None:
    installed.stuck.add("blue")
    with pytest.raises(HomelabError) as err:
        destroy(installed.kube(tmp_path), [], "homelab", "dev", timeout=30, clock=FakeClock())
    text = str(err.value)
    assert err.value.exit_code == ExitCode.TIMEOUT
    assert "waiting for Widget/demo/blue to be deleted" in text and "finalizer" in text
    assert installed.deleted_names() == ["blue", "widgets"], "wave 0 is untouched while wave 1 is still deleting"
    assert "not deleted: Deployment/demo/web" in text


def _argo(kind: str, name: str, wave: int, **extra: object) -> dict:
    meta = {"name": name, "labels": dict(OURS), "annotations": {o.SYNC_WAVE: str(wave)}}
    if kind != "Namespace":
        meta["namespace"] = "argocd"
    api_version = "v1" if kind == "Namespace" else "argoproj.io/v1alpha1"
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, **extra}


def test_applications_are_gone_before_the_namespaces_of_their_wave(api: FakeAPI, tmp_path: Path) -> None:
    """Argo CD releases an Application's finalizer only while it runs: the burst that deleted Applications and
    Namespaces together left every Application stuck in Terminating."""
    api.add(*load("argocd-crds.yaml"))
    apps = [_argo("Application", f"app-{i}", 0, spec={"project": "p", "source": {"repoURL": "https://x"}})
            for i in range(3)]
    tree = [_argo("Namespace", "apps", 0), *apps]
    apply_tree(api.kube(tmp_path), tree, "homelab", "dev", clock=FakeClock(), prune=False)
    api.finalizing = {a["metadata"]["name"]: 3 for a in apps}
    api.requests.clear()
    destroy(api.kube(tmp_path), tree, "homelab", "dev", clock=FakeClock())
    paths = [(r.method, r.url.path, "dryRun" in r.url.params) for r in api.requests]
    namespace_deleted = paths.index(("DELETE", "/api/v1/namespaces/apps", False))
    last_app_read = max(i for i, (m, p, _) in enumerate(paths) if m == "GET" and "/applications/" in p)
    assert last_app_read < namespace_deleted, "every Application was gone before its wave's Namespace was deleted"
    assert api.finalizing == {}, "Argo CD (the fake) released every finalizer"


def test_what_runs_argo_cd_is_never_destroyed_or_pruned(api: FakeAPI, tmp_path: Path) -> None:
    api.add(*load("argocd-crds.yaml"))
    own = _argo("Application", "argo-cd", 0, spec={"project": "homelab-application",
                                                  "source": {"repoURL": "https://git.example/lab"}})
    namespace = _argo("Namespace", "argocd", 0)
    for obj in (own, namespace):
        obj["metadata"]["annotations"][o.PROTECTED] = "the GitOps controller itself"
    project = _argo("AppProject", "homelab-application", -10, spec={})
    other = _argo("AppProject", "homelab-data", -10, spec={})
    tree = [namespace, project, other, own]
    apply_tree(api.kube(tmp_path), tree, "homelab", "dev", clock=FakeClock(), prune=False)
    pruned = apply_tree(api.kube(tmp_path), [], "homelab", "dev", clock=FakeClock())
    assert pruned.pruned == ["AppProject/argocd/homelab-data", "AppProject/argocd/homelab-application"]
    apply_tree(api.kube(tmp_path), tree, "homelab", "dev", clock=FakeClock(), prune=False)
    plan = destroy(api.kube(tmp_path), tree, "homelab", "dev", clock=FakeClock())
    assert sorted(plan.kept) == ["AppProject/argocd/homelab-application (project of Argo CD's own Application)",
                                 "Application/argocd/argo-cd (runs Argo CD itself)",
                                 "Namespace/argocd (runs Argo CD itself)"]
    assert [str(ref(x)) for x in plan.delete] == ["AppProject/argocd/homelab-data"]
    assert ("", "namespaces", "", "argocd") in api.objects
