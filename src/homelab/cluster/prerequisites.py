"""Apply the rendered bootstrap steps (bootstrap/<env>/steps.yaml): what must run before Argo CD can.

Each step is a Helm install with the values file beside it; they run in order, each waiting until
its workloads are ready (`helm --wait`), since the next (and Argo CD itself) needs it. `run` is the
process runner, so callers and tests choose how commands execute.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import yaml

from homelab.errors import InputError, Problem

Runner = Callable[[list[str]], None]


def _run(command: list[str]) -> None:
    subprocess.run(command, check=True)


def commands(tree: Path, env: str, kube_context: str | None = None) -> list[list[str]]:
    """The `helm upgrade --install` command of every step of `env`, in order."""
    folder = tree / "bootstrap" / env
    steps_file = folder / "steps.yaml"
    if not steps_file.is_file():
        raise InputError([Problem(f"no bootstrap steps for '{env}'", file=str(steps_file),
                                  hint="run `homelab render` first")])
    data = yaml.safe_load(steps_file.read_text(encoding="utf-8")) or {}
    out = []
    for step in data.get("steps") or []:
        helm = step["helm"]
        command = ["helm", "upgrade", "--install", helm["release"], helm["chart"], "--repo", helm["repo"],
                   "--version", str(helm["version"]), "--namespace", helm["namespace"],
                   "--values", str(folder / helm["values"]), "--wait", "--timeout", "10m"]
        if kube_context:
            command += ["--kube-context", kube_context]
        out.append(command)
    return out


def apply(tree: Path, env: str, kube_context: str | None = None, run: Runner = _run) -> int:
    """Run every step of `env` in order; returns how many ran."""
    steps = commands(tree, env, kube_context)
    for command in steps:
        run(command)
    return len(steps)
