"""Shared fixtures: the upstream CRDs from ../shared/crds (skip cleanly where absent)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.shared import shared

from homelab.catalog import load_catalog
from homelab.config import Config, builtin_text
from homelab.render import render_tree, write_tree
from homelab.validate import crds_for
from homelab.validate.schemas import CrdSchemas


@pytest.fixture(scope="session")
def crds_dir() -> Path:
    return shared("crds")


@pytest.fixture(scope="session")
def crds(crds_dir: Path) -> CrdSchemas:
    return crds_for(crds_dir)


PROFILES = ("minimal", "standard", "full")


def config_for(profile: str, **changes: Any) -> Config:
    """The built-in example (its hardware, k3s, `choices: {cni: cilium}`) with another profile."""
    body = yaml.safe_load(builtin_text())
    body["profile"] = profile
    body.update(changes)
    return Config.model_validate(body)


@pytest.fixture(scope="session")
def trees(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for profile in PROFILES:
        tree = tmp_path_factory.mktemp(profile) / "out"
        write_tree(render_tree(config_for(profile), load_catalog()), tree)
        out[profile] = tree
    return out
