"""The cluster commands as a user runs them: one message and the documented exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from homelab.errors import ExitCode


def homelab(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    return subprocess.run([sys.executable, "-m", "homelab", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


def kubeconfig(tmp_path: Path, server: str) -> Path:
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "homelab-dev",
        "clusters": [{"name": "dev", "cluster": {"server": server}}],
        "users": [{"name": "dev", "user": {"token": "t"}}],
        "contexts": [{"name": "homelab-dev", "context": {"cluster": "dev", "user": "dev"}}]}))
    return path


def test_missing_tree_says_render_first(tmp_path: Path) -> None:
    done = homelab("apply", "--env", "dev", "--tree", "nowhere", cwd=tmp_path)
    assert done.returncode == ExitCode.BAD_INPUT
    assert "no rendered tree at nowhere" in done.stderr and "homelab render" in done.stderr
    assert "Traceback" not in done.stderr


def test_unreachable_api_server_exit_code(tmp_path: Path) -> None:
    # Port 9 on loopback: nothing listens there, so the connection is refused for real.
    done = homelab("status", "--env", "dev", "--kubeconfig", str(kubeconfig(tmp_path, "https://127.0.0.1:9")),
                   cwd=tmp_path)
    assert done.returncode == ExitCode.UNREACHABLE, done.stderr
    assert "cannot reach the Kubernetes API server https://127.0.0.1:9 (context homelab-dev)" in done.stderr
    assert done.stderr.count("error:") == 1


def test_unknown_context_exit_code(tmp_path: Path) -> None:
    path = kubeconfig(tmp_path, "https://127.0.0.1:9")
    path.write_text(path.read_text().replace("name: homelab-dev", "name: other"))
    done = homelab("status", "--env", "dev", "--kubeconfig", str(path), cwd=tmp_path)
    assert done.returncode == ExitCode.BAD_INPUT
    assert "Context 'homelab-dev' not found" in done.stderr and "kube_context" in done.stderr


def test_local_and_handover_are_separate_steps(tmp_path: Path) -> None:
    done = homelab("bootstrap", "--env", "dev", "--local", "--handover", cwd=tmp_path)
    assert done.returncode == ExitCode.BAD_INPUT and "two separate steps" in done.stderr
