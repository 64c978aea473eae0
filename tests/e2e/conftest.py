"""The end-to-end suite needs a real cluster: HOMELAB_E2E_KUBECONFIG names its kubeconfig.

Without it every test here skips with that reason, in CI too (no cluster runs on the CI machine).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from homelab.cluster.kube import Kube

ENV_VAR = "HOMELAB_E2E_KUBECONFIG"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if os.environ.get(ENV_VAR):
        return
    skip = pytest.mark.skip(reason=f"{ENV_VAR} is not set: no Kubernetes cluster to run the e2e suite against "
                                   "(see docs/cluster.md for kind or k3d)")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def kubeconfig() -> Path:
    return Path(os.environ[ENV_VAR]).expanduser()


@pytest.fixture
def kube(kubeconfig: Path) -> Iterator[Kube]:
    client = Kube.connect(os.environ.get("HOMELAB_E2E_CONTEXT"), kubeconfig)
    yield client
    client.close()


@pytest.fixture
def run_id() -> str:
    """A fresh environment name per run, so runs never see each other's objects."""
    return "e2e" + uuid.uuid4().hex[:6]
