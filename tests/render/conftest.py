"""Fixtures: the synthetic platform catalog and a three-environment config, rendered once per test."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from homelab.catalog.loader import Catalog, load_catalog
from homelab.catalog.synthetic import platform_catalog
from homelab.config import Config
from homelab.render import Rendered, render_tree

CONFIG: dict[str, Any] = {
    "platform": {"name": "lab", "domain": "lab.example.net"},
    "cluster": {"nodes": [{"name": f"n{i}", "cpu": 16, "memory": "64Gi"} for i in range(3)],
                "load_balancer": {"addresses": ["192.168.10.240/28"]}},
    "environments": {
        "dev": {"overrides": {"replicas": {"shop": 2}, "values": {"grafana": {"env": "dev"}}}},
        "staging": {},
        "prod": {"subdomain": "", "overrides": {"versions": {"grafana": "9.9.9"}, "remove": ["loki"]}},
    },
    "profile": "full",
    "gitops": {"repo_url": "https://git.lab.example.net/lab/platform.git", "path": "clusters/lab"},
}


def make_config(**changes: Any) -> Config:
    body = copy.deepcopy(CONFIG)
    body.update(changes)
    return Config.model_validate(body)


@pytest.fixture(scope="session")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    return load_catalog(platform_catalog(tmp_path_factory.mktemp("catalog")))


@pytest.fixture(scope="session")
def config() -> Config:
    return make_config()


@pytest.fixture(scope="session")
def rendered(catalog: Catalog, config: Config) -> Rendered:
    return render_tree(config, catalog)


@pytest.fixture(scope="session")
def tree(rendered: Rendered, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from homelab.render import write_tree

    out = tmp_path_factory.mktemp("out") / "rendered"
    write_tree(rendered, out)
    return out
