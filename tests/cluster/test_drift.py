"""`homelab diff` on a faked server: dry-run applies, new objects shown whole, prunes shown as deletions."""

from __future__ import annotations

import copy
from pathlib import Path

from homelab.cluster.apply import apply_tree
from homelab.cluster.drift import diff_tree

from .fakeapi import FakeAPI, status_response
from .helpers import OURS, FakeClock, load

ARGOCD_NS = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "argocd"}}


def test_first_diff_shows_everything_as_created_without_writing(api: FakeAPI, tmp_path: Path) -> None:
    api.add(*load("argocd-crds.yaml"), ARGOCD_NS)
    diffs = diff_tree(api.kube(tmp_path), load("tree.yaml"), "homelab", "dev")
    assert [d.action for d in diffs] == ["create"] * 10
    assert api.applied_names(dry_run=False) == []
    # The namespace and the CRD do not exist yet: nothing inside them can be dry-run, so none is sent.
    assert api.applied_names(dry_run=True) == ["homelab-data", "widgets.example.com", "demo", "widgets"]


def test_diff_after_apply_shows_only_the_change(api: FakeAPI, tmp_path: Path) -> None:
    api.add(*load("argocd-crds.yaml"), ARGOCD_NS)
    tree = load("tree.yaml")
    apply_tree(api.kube(tmp_path), tree, "homelab", "dev", clock=FakeClock())
    assert diff_tree(api.kube(tmp_path), tree, "homelab", "dev") == []
    changed = copy.deepcopy(tree)
    next(x for x in changed if x["kind"] == "ConfigMap")["data"]["greeting"] = "hi"
    api.add({"apiVersion": "v1", "kind": "ConfigMap",
             "metadata": {"name": "stale", "namespace": "demo", "labels": dict(OURS)}})
    api.requests.clear()
    diffs = diff_tree(api.kube(tmp_path), changed, "homelab", "dev")
    assert [(d.action, d.name) for d in diffs] == [("change", "ConfigMap/demo/web-config"),
                                                   ("delete", "ConfigMap/demo/stale")]
    assert "-  greeting: hello\n+  greeting: hi\n" in diffs[0].text
    assert api.applied_names(dry_run=True) and api.writes() == [r for r in api.requests
                                                                if r.method == "PATCH" and "dryRun" in r.url.params]
    assert api.objects[("", "configmaps", "demo", "web-config")]["data"]["greeting"] == "hello"


def test_a_field_owned_by_another_manager_is_shown_not_raised(api: FakeAPI, tmp_path: Path) -> None:
    """Another tool took a field: diff shows what apply --force-conflicts would do and names the conflict."""
    api.add(*load("argocd-crds.yaml"), ARGOCD_NS)
    tree = load("tree.yaml")
    apply_tree(api.kube(tmp_path), tree, "homelab", "dev", clock=FakeClock())
    changed = copy.deepcopy(tree)
    next(x for x in changed if x["kind"] == "ConfigMap")["data"]["greeting"] = "hi"
    message = 'Apply failed with 1 conflict: conflict with "kubectl-edit": .data.greeting'
    api.fail(lambda r: r.method == "PATCH" and r.url.path.endswith("/web-config") and "force" not in r.url.params,
             status_response(409, "Conflict", message))
    diffs = diff_tree(api.kube(tmp_path), changed, "homelab", "dev")
    assert [(d.action, d.name) for d in diffs] == [("change", "ConfigMap/demo/web-config")]
    assert 'conflict with "kubectl-edit"' in diffs[0].conflict and "+  greeting: hi" in diffs[0].text
