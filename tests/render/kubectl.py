"""An environment built by the real kustomize the way Argo CD builds it: the gate, then the content with the
release Application's inline patches (kustomize applies them, not our reader)."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import yaml
from tests.needs import tool


def kustomize(folder: Path) -> list[dict[str, Any]]:
    kubectl = tool("kubectl", ".ci/run puts it on PATH")
    built = subprocess.run([kubectl, "kustomize", str(folder)], capture_output=True, text=True, check=True)
    return [d for d in yaml.safe_load_all(built.stdout) if d]


def argocd_build(tree: Path, env: str) -> list[dict[str, Any]]:
    gate = kustomize(tree / env / "gate")
    patches = [p for app in gate if app["kind"] == "Application"
               for p in app["spec"]["source"].get("kustomize", {}).get("patches", [])]
    if not patches:
        return [*gate, *kustomize(tree / env)]
    with tempfile.TemporaryDirectory(dir=tree.parent) as scratch:
        body = {"resources": [os.path.relpath(tree / env, scratch)], "patches": patches,
                "sortOptions": {"order": "fifo"}}
        (Path(scratch) / "kustomization.yaml").write_text(yaml.safe_dump(body))
        return [*gate, *kustomize(Path(scratch))]
