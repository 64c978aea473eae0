"""Diff of a dry-run result against the live object, without server-managed noise or secret values."""

from __future__ import annotations

import copy

from homelab.cluster.diff import REDACTED_CHANGED, diff_deleted, diff_object, normalize

from .helpers import load


def test_server_fields_are_ignored() -> None:
    live = load("live-deployment.yaml")[0]
    dry_run = copy.deepcopy(live)
    dry_run["metadata"]["resourceVersion"] = "48299"
    dry_run["metadata"]["managedFields"].append({"manager": "homelab", "operation": "Apply"})
    dry_run["status"] = {"replicas": 0}
    assert diff_object(live, dry_run) is None
    assert "status" not in normalize(live) and "managedFields" not in normalize(live)["metadata"]


def test_a_changed_field_gives_a_unified_diff() -> None:
    live = load("live-deployment.yaml")[0]
    dry_run = copy.deepcopy(live)
    dry_run["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"
    found = diff_object(live, dry_run)
    assert found is not None and found.action == "change" and found.name == "Deployment/demo/web"
    lines = found.text.splitlines()
    assert lines[0] == "--- live/Deployment/demo/web" and lines[1] == "+++ tree/Deployment/demo/web"
    assert "-      - image: nginx:1.27" in lines and "+      - image: nginx:1.28" in lines
    assert sum(1 for line in lines if line.startswith(("+", "-"))) == 4


def test_new_and_deleted_objects() -> None:
    new = load("tree.yaml")[3]
    created = diff_object(None, new)
    assert created is not None and created.action == "create"
    assert "+data:" in created.text.splitlines()
    gone = diff_deleted(load("live-deployment.yaml")[0])
    assert gone.action == "delete" and "+++ /dev/null" in gone.text and "managedFields" not in gone.text


def test_secret_values_never_appear() -> None:
    live = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "demo"},
            "data": {"user": "YWRtaW4=", "password": "czNjcjN0"}}
    dry_run = copy.deepcopy(live)
    dry_run["data"]["password"] = "bjN3LXMzY3IzdA=="
    found = diff_object(live, dry_run)
    assert found is not None
    assert "czNjcjN0" not in found.text and "bjN3LXMzY3IzdA==" not in found.text and "YWRtaW4=" not in found.text
    assert f"+  password: {REDACTED_CHANGED}" in found.text.splitlines()
    assert not any(line.startswith(("+  user", "-  user")) for line in found.text.splitlines())
    assert diff_object(live, copy.deepcopy(live)) is None
