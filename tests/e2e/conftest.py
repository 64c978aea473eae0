"""The end-to-end suite needs a real cluster: HOMELAB_E2E_KUBECONFIG names its kubeconfig.

`tests/e2e/cluster/kube up` starts one on this machine and prints that path. Without it every
test here skips with the reason, except under `CI=true`, where .ci/run starts the control plane
and a missing cluster fails the test instead of passing it by skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from homelab.cluster.kube import Kube

ENV_VAR = "HOMELAB_E2E_KUBECONFIG"


MISSING = (f"{ENV_VAR} is not set: no Kubernetes cluster to run the e2e suite against "
           "(`export HOMELAB_E2E_KUBECONFIG=$(tests/e2e/cluster/kube up)`; see docs/cluster.md)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if os.environ.get(ENV_VAR) or os.environ.get("CI") == "true":
        return
    skip = pytest.mark.skip(reason=MISSING)
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _cluster_required(request: pytest.FixtureRequest) -> None:
    """Under CI=true an e2e test without a cluster fails (outside CI it was skipped at collection)."""
    if "e2e" in request.keywords and not os.environ.get(ENV_VAR):
        pytest.fail(MISSING)


@pytest.fixture
def kubeconfig() -> Path:
    path = Path(os.environ[ENV_VAR]).expanduser()
    if not path.is_file():
        pytest.fail(f"{ENV_VAR}={path} is not a file (is the control plane up? tests/e2e/cluster/kube up)")
    return path


@pytest.fixture
def kube(kubeconfig: Path) -> Iterator[Kube]:
    client = Kube.connect(os.environ.get("HOMELAB_E2E_CONTEXT"), kubeconfig)
    yield client
    client.close()


@pytest.fixture
def run_id() -> str:
    """A fresh environment name per run, so runs never see each other's objects."""
    return "e2e" + uuid.uuid4().hex[:6]
