"""Exit codes against the real control plane: preflight (8), a rejected token (4), RBAC (5), unreachable (3).

Every failure is one line on stderr with the documented code, and a refused run writes nothing.
"""

from __future__ import annotations

import copy
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from lightkube.models.authentication_v1 import TokenRequestSpec
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import ServiceAccountToken

from homelab.catalog import load_catalog
from homelab.cluster import objects as o
from homelab.cluster.bootstrap import run_preflight
from homelab.cluster.kube import Kube
from homelab.config import Config, builtin_text
from homelab.plan import make_plan
from tests.hostile.servers import closed_port

from .workspace import Workspace, cluster_nodes, current_context, e2e_kubeconfig

pytestmark = pytest.mark.e2e
NGINX = "127.0.0.1:58080"  # the web server .ci/servers/nginx.sh starts: plain HTTP, 404 on /version


@pytest.fixture(scope="module")
def kube() -> Iterator[Kube]:
    kubeconfig = e2e_kubeconfig()
    client = Kube.connect(current_context(kubeconfig), kubeconfig)
    yield client
    client.close()


@pytest.fixture(scope="module")
def space(kube: Kube, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    kubeconfig = e2e_kubeconfig()
    workspace = Workspace(tmp_path_factory.mktemp("errors"), kubeconfig, current_context(kubeconfig))
    workspace.configure("minimal", cluster_nodes(kube), choices={})
    workspace.render()
    return workspace


def one_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr[-2000:]
    return lines[0]


def variant(space: Workspace, name: str, server: str | None = None, user: dict[str, Any] | None = None) -> Path:
    """The admin kubeconfig with another server address or another user."""
    config = copy.deepcopy(yaml.safe_load(space.kubeconfig.read_text()))
    context = next(c for c in config["contexts"] if c["name"] == space.context)["context"]
    if server is not None:
        next(c for c in config["clusters"] if c["name"] == context["cluster"])["cluster"]["server"] = server
    if user is not None:
        next(u for u in config["users"] if u["name"] == context["user"])["user"] = user
    path = space.root / f"{name}.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return path


def test_preflight_passes_on_the_example_nodes(kube: Kube) -> None:
    """The control plane's fake nodes are the built-in example's; its `full` plan fits them."""
    config = Config.model_validate(yaml.safe_load(builtin_text()))
    plan = make_plan(config, load_catalog(), "dev")
    findings = run_preflight(kube, plan, config.cluster.kubernetes.version)
    assert all(f.ok for f in findings), [f.message for f in findings if not f.ok]
    assert {f.check for f in findings} >= {"version", "capacity", "storage", "cni"}


def test_preflight_fails_clearly_on_nodes_too_small(space: Workspace, kube: Kube) -> None:
    real = cluster_nodes(kube)[0]
    claimed = {**real, "cpu": real["cpu"] * 8, "memory": "512Gi"}  # homelab.yaml promises more than the node has
    space.configure("full", [claimed])
    space.render()
    done = space.homelab("bootstrap", timeout=120)
    assert done.returncode == 8, done.stderr[-2000:]
    line = one_error(done.stderr)
    assert f"node {real['name']} offers cpu {real['cpu']}" in line and "nothing was installed" in line


def test_preflight_fails_clearly_on_the_wrong_architecture(space: Workspace, kube: Kube) -> None:
    space.configure("minimal", [{**n, "arch": "arm64"} for n in cluster_nodes(kube)], choices={})
    space.render()
    done = space.homelab("bootstrap", timeout=120)
    assert done.returncode == 8, done.stderr[-2000:]
    line = one_error(done.stderr)
    assert "on arm64 node" in line and "the cluster has only amd64" in line
    space.configure("minimal", cluster_nodes(kube), choices={})
    space.render()


def test_a_rejected_token_is_exit_4(space: Workspace) -> None:
    done = space.homelab("status", kubeconfig=variant(space, "bad-token", user={"token": "not-a-valid-token"}))
    assert done.returncode == 4, done.stderr
    assert "rejected the credentials" in one_error(done.stderr)


@pytest.fixture
def reader(kube: Kube, space: Workspace) -> Iterator[Path]:
    """A ServiceAccount that may read everything and write nothing, and a kubeconfig with its token."""
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "e2e-reader", "namespace": "default"}}
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "e2e-read-all"},
            "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "list", "watch"]}]}
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
               "metadata": {"name": "e2e-reader-read-all"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "e2e-read-all"},
               "subjects": [{"kind": "ServiceAccount", "name": "e2e-reader", "namespace": "default"}]}
    for obj in (account, role, binding):
        kube.apply(obj)
    request = ServiceAccountToken(metadata=ObjectMeta(name="e2e-reader", namespace="default"),
                                  spec=TokenRequestSpec(audiences=[], expirationSeconds=900))
    token = kube.client.create(request, "e2e-reader", namespace="default")
    yield variant(space, "reader", user={"token": token.status.token})
    for obj in (binding, role, account):
        kube.delete(o.ref(obj))


def test_rbac_that_forbids_the_write_is_exit_5(space: Workspace, reader: Path) -> None:
    done = space.homelab("apply", "--yes", "--timeout", "60", kubeconfig=reader)
    assert done.returncode == 5, done.stderr[-2000:]
    line = one_error(done.stderr)
    assert "not allowed while applying" in line and "system:serviceaccount:default:e2e-reader" in line



def test_a_closed_port_is_exit_3_at_once(space: Workspace) -> None:
    started = time.monotonic()
    with closed_port() as held:
        done = space.homelab("status", "--timeout", "30",
                             kubeconfig=variant(space, "closed", server=f"https://127.0.0.1:{held.getsockname()[1]}"))
    assert done.returncode == 3, done.stderr
    assert "cannot reach the Kubernetes API server" in one_error(done.stderr)
    assert time.monotonic() - started < 15, "a refused connection is not retried for the whole timeout"


def test_a_black_holed_listener_is_exit_3_within_the_timeout(space: Workspace) -> None:
    """A socket that listens but never answers (a firewall that accepts and drops, a hung server).

    The command's own start (imports, reading the tree) is measured by the same command against a closed
    port, which fails at once, so a loaded machine does not pass for a slow timeout."""
    started = time.monotonic()
    with closed_port() as held:
        closed = variant(space, "start", server=f"https://127.0.0.1:{held.getsockname()[1]}")
        space.homelab("status", "--timeout", "5", kubeconfig=closed)
    start_up = time.monotonic() - started
    with socket.socket() as hole:
        hole.bind(("127.0.0.1", 0))
        hole.listen(0)
        server = f"https://127.0.0.1:{hole.getsockname()[1]}"
        started = time.monotonic()
        done = space.homelab("status", "--timeout", "5", kubeconfig=variant(space, "hole", server=server))
        elapsed = time.monotonic() - started
    assert done.returncode == 3, done.stderr
    assert "no answer in time" in one_error(done.stderr)
    assert 5 <= elapsed < start_up + 5 + 10, f"took {elapsed:.1f}s for a 5 s timeout ({start_up:.1f}s to start)"


@pytest.mark.parametrize(("scheme", "says"), [("http", "is not a Kubernetes API server: GET /version answered "
                                                        "HTTP 404"),
                                               ("https", "does not speak TLS there")])
def test_a_server_answering_plain_http_is_exit_3(space: Workspace, scheme: str, says: str) -> None:
    for command in (["status"], ["diff"], ["apply", "--yes"], ["destroy", "--yes"]):
        done = space.homelab(*command, "--timeout", "10", kubeconfig=variant(space, "web",
                                                                             server=f"{scheme}://{NGINX}"))
        assert done.returncode == 3, (command, done.stderr)
        assert says in one_error(done.stderr), command
