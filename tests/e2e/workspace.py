"""A user's working folder for the e2e suite: homelab.yaml describing the real cluster, its rendered tree,
and `homelab` run as a user runs it (a subprocess, its exit code and its one-line errors)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from homelab.catalog import load_catalog
from homelab.cluster.kube import Kube
from homelab.config import Config, builtin_text
from homelab.quantity import parse_bytes, parse_cpu
from homelab.render import env_objects, render_tree, write_tree

ENV = "dev"


def cluster_nodes(kube: Kube) -> list[dict[str, Any]]:
    """homelab.yaml's `cluster.nodes` for the nodes the cluster really has (names, allocatable, architecture)."""
    out = []
    for node in sorted(kube.list("v1", "Node"), key=lambda n: n["metadata"]["name"]):
        alloc = node["status"]["allocatable"]
        out.append({"name": node["metadata"]["name"], "cpu": parse_cpu(alloc["cpu"]) // 1000,
                    "memory": f"{parse_bytes(alloc['memory']) // 2**20}Mi", "storage": "1Ti",
                    "arch": node["metadata"]["labels"].get("kubernetes.io/arch", "amd64"),
                    "roles": ["control-plane", "worker", "storage"]})
    return out


@dataclass
class Workspace:
    root: Path
    kubeconfig: Path
    context: str

    @property
    def tree(self) -> Path:
        return self.root / "rendered"

    def configure(self, profile: str, nodes: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
        """Write homelab.yaml: the built-in example, one environment on this cluster, `profile`, `changes`."""
        config = yaml.safe_load(builtin_text())
        config.update(profile=profile, **changes)
        config["cluster"]["nodes"] = nodes
        config["environments"] = {ENV: {"kube_context": self.context}}
        (self.root / "homelab.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
        return config

    def render(self) -> list[dict[str, Any]]:
        """Render the tree in-process (as `homelab render` does) and return the environment's objects as
        bootstrap and apply read them (the overlay adds the env label)."""
        config = Config.model_validate(yaml.safe_load((self.root / "homelab.yaml").read_text()))
        write_tree(render_tree(config, load_catalog(), envs=[ENV]), self.tree)
        return env_objects(self.tree, ENV)

    def homelab(self, *args: str, kubeconfig: Path | None = None, timeout: float = 600,
                env_name: str = ENV) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
        command = [sys.executable, "-m", "homelab", *args, "--env", env_name,
                   "--kubeconfig", str(kubeconfig or self.kubeconfig)]
        return subprocess.run(command, cwd=self.root, env=env, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)


def current_context(kubeconfig: Path) -> str:
    return str(os.environ.get("HOMELAB_E2E_CONTEXT") or yaml.safe_load(kubeconfig.read_text())["current-context"])


def e2e_kubeconfig() -> Path:
    """$HOMELAB_E2E_KUBECONFIG for module-scoped fixtures (conftest fails or skips the tests without it)."""
    import pytest

    value = os.environ.get("HOMELAB_E2E_KUBECONFIG")
    if not value or not Path(value).expanduser().is_file():
        pytest.fail("HOMELAB_E2E_KUBECONFIG does not name a kubeconfig (tests/e2e/cluster/kube up prints one)")
    return Path(value).expanduser()


def wait_until(what: str, check: Any, timeout: float = 120, every: float = 0.5, explain: Any = None) -> Any:
    """Poll `check()` until it returns something truthy; fail naming `what` and `explain()` (else the last
    answer) otherwise."""
    import time

    import pytest

    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    pytest.fail(f"{what}: not within {timeout:.0f}s ({explain() if explain else f'last: {last!r}'})")


def terminating(kube: Kube) -> list[str]:
    """Every Namespace and namespaced object of the usual kinds still being deleted."""
    stuck = []
    for api, kind in (("v1", "Namespace"), ("v1", "ConfigMap"), ("v1", "PersistentVolumeClaim"),
                      ("apps/v1", "Deployment"), ("argoproj.io/v1alpha1", "Application")):
        if kube.served(api, kind):
            stuck += [f"{kind}/{x['metadata'].get('namespace', '')}/{x['metadata']['name']}"
                      for x in kube.list(api, kind) if x["metadata"].get("deletionTimestamp")]
    return stuck
