"""preflight, apply, status, diff, a conflict, prune and destroy through the Python API against a real cluster."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from lightkube.types import PatchType

from homelab.cluster import objects as o
from homelab.cluster.apply import apply_tree
from homelab.cluster.destroy import destroy
from homelab.cluster.drift import diff_tree
from homelab.cluster.kinds import builtin_kind, resource_class
from homelab.cluster.kube import Kube
from homelab.cluster.status import read_status
from homelab.config import builtin_text
from homelab.errors import ExitCode, HomelabError

pytestmark = pytest.mark.e2e
PLATFORM = "e2e"
Obj = dict[str, Any]


def labelled(env: str, obj: Obj, wave: int = 0) -> Obj:
    meta = obj["metadata"]
    meta["labels"] = {o.MANAGED_BY: "homelab", o.PLATFORM_LABEL: PLATFORM, o.ENV_LABEL: env}
    meta["annotations"] = {o.SYNC_WAVE: str(wave)}
    return obj


def tree(env: str) -> list[Obj]:
    """A small environment: a CRD and its resource, a namespace, config, a claim and a workload."""
    ns = f"homelab-{env}"
    group = f"{env}.homelab.dev"
    return [
        labelled(env, {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                       "metadata": {"name": f"widgets.{group}"},
                       "spec": {"group": group, "scope": "Namespaced",
                                "names": {"kind": "Widget", "plural": "widgets", "singular": "widget"},
                                "versions": [{"name": "v1", "served": True, "storage": True, "schema": {
                                    "openAPIV3Schema": {"type": "object",
                                                        "x-kubernetes-preserve-unknown-fields": True}}}]}}),
        labelled(env, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
        labelled(env, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": ns},
                       "data": {"greeting": "hello"}}),
        labelled(env, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "extra", "namespace": ns},
                       "data": {"a": "1"}}),
        labelled(env, {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data",
                                                                                      "namespace": ns},
                       "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "16Mi"}}}}),
        labelled(env, {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "pause", "namespace": ns},
                       "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "pause"}},
                                "template": {"metadata": {"labels": {"app": "pause"}}, "spec": {"containers": [
                                    {"name": "pause", "image": "registry.k8s.io/pause:3.10"}]}}}}),
        labelled(env, {"apiVersion": f"{group}/v1", "kind": "Widget", "metadata": {"name": "blue", "namespace": ns},
                       "spec": {"size": 3}}, wave=1),
    ]


def test_apply_diff_status_conflict_prune_and_destroy(kube: Kube, run_id: str, tmp_path: Path) -> None:
    objects = tree(run_id)
    ns = f"homelab-{run_id}"
    try:
        result = apply_tree(kube, objects, PLATFORM, run_id, timeout=300)
        assert result.waves == 2 and len(result.applied) == len(objects)
        assert kube.get(o.ref(objects[-1])) is not None, "the custom resource exists after its CRD"

        assert diff_tree(kube, objects, PLATFORM, run_id) == [], "a fresh apply leaves nothing to diff"
        changed = copy.deepcopy(objects)
        changed[2]["data"]["greeting"] = "hi"
        diffs = diff_tree(kube, changed, PLATFORM, run_id)
        assert [d.name for d in diffs] == [f"ConfigMap/{ns}/settings"] and "+  greeting: hi" in diffs[0].text

        # Another field manager takes the field: our apply must surface the conflict, then --force wins.
        settings = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": ns},
                    "data": {"greeting": "theirs"}}
        info = builtin_kind("v1", "ConfigMap")
        assert info is not None
        kube.client.patch(resource_class(info), "settings", settings, namespace=ns, patch_type=PatchType.APPLY,
                          field_manager="someone-else", force=True)
        with pytest.raises(HomelabError) as err:
            apply_tree(kube, changed, PLATFORM, run_id, timeout=300)
        assert err.value.exit_code == ExitCode.CONFLICT and "someone-else" in str(err.value)
        apply_tree(kube, changed, PLATFORM, run_id, timeout=300, force=True)

        smaller = [x for x in changed if x["metadata"]["name"] != "extra"]
        shown: list[str] = []
        result = apply_tree(kube, smaller, PLATFORM, run_id, timeout=300,
                            confirm_prune=lambda diffs: shown.extend(d.name for d in diffs) or True)
        assert shown == [f"ConfigMap/{ns}/extra"] and result.pruned == shown

        report = read_status(kube, PLATFORM, run_id, tmp_path)
        assert json.loads((tmp_path / f"status-{run_id}.json").read_text()) == report

        plan = destroy(kube, smaller, PLATFORM, run_id, timeout=300)
        assert f"PersistentVolumeClaim/{ns}/data (data)" in plan.kept
        assert kube.get(o.ref(objects[4])) is not None, "the claim is kept"
        assert kube.get(o.ref(objects[5])) is None and kube.get(o.ref(objects[0])) is None
    finally:
        destroy(kube, objects, PLATFORM, run_id, delete_data=True, timeout=300)
    assert kube.get(o.Ref("v1", "Namespace", "", ns)) is None or \
        (kube.get(o.Ref("v1", "Namespace", "", ns)) or {}).get("status", {}).get("phase") == "Terminating"


def test_cli_status_json(kubeconfig: Path, tmp_path: Path) -> None:
    context = os.environ.get("HOMELAB_E2E_CONTEXT") or yaml.safe_load(kubeconfig.read_text()).get("current-context")
    config = yaml.safe_load(builtin_text())
    config["environments"] = {"dev": {"kube_context": context}}
    (tmp_path / "homelab.yaml").write_text(yaml.safe_dump(config))
    done = subprocess.run([sys.executable, "-m", "homelab", "status", "--env", "dev", "--json", "--kubeconfig",
                           str(kubeconfig)], cwd=tmp_path, text=True, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["context"] == context
    assert (tmp_path / ".homelab" / "state" / "status-dev.json").exists()
