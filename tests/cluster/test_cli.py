"""The cluster commands as a user runs them: one message and the documented exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from homelab.errors import ExitCode

from .servers import Reply, serve


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


def test_an_address_answering_plain_http_is_exit_3_for_every_command(tmp_path: Path) -> None:
    """A proxy, a web server or a wrong port: one line and exit 3, never a KeyError (70) or exit 1."""
    tree = tmp_path / "rendered" / "dev"
    tree.mkdir(parents=True)
    (tree / "kustomization.yaml").write_text("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                                             "resources: []\n")
    page = Reply(status=404, body=b"<html><body><h1>404 Not Found</h1>nginx</body></html>", content_type="text/html")
    with serve(lambda seen: page) as server:
        config = str(kubeconfig(tmp_path, server.url))
        for command in (["status"], ["diff"], ["apply", "--yes"], ["destroy", "--yes"]):
            done = homelab(*command, "--env", "dev", "--kubeconfig", config, cwd=tmp_path)
            assert done.returncode == ExitCode.UNREACHABLE, (command, done.stderr)
            assert f"{server.url} (context homelab-dev) is not a Kubernetes API server" in done.stderr, command
            assert done.stderr.count("error:") == 1 and "Traceback" not in done.stderr, command


def test_each_environment_applies_as_its_own_field_manager(tmp_path: Path) -> None:
    from homelab.cli.cluster_cmd import _connect
    from homelab.config import load

    loaded = load(None)
    path = kubeconfig(tmp_path, "https://127.0.0.1:9")
    path.write_text(path.read_text().replace("homelab-dev", "homelab-staging"))
    kube = _connect(loaded, "staging", path, 42)
    assert kube.field_manager == "homelab-staging"
    assert kube.transport.policy.budget == 42, "--timeout bounds the retries"
    kube.close()
