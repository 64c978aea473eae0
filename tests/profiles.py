"""The three profiles on the built-in example's hardware (k3s, `choices: {cni: cilium}`), rendered once a session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from homelab.catalog import load_catalog
from homelab.config import Config, builtin_text
from homelab.render import render_tree, write_tree

PROFILES = ("minimal", "standard", "full")


def config_for(profile: str, **changes: Any) -> Config:
    """The built-in example (what `homelab init` writes) with another profile."""
    body = yaml.safe_load(builtin_text())
    body["profile"] = profile
    body.update(changes)
    return Config.model_validate(body)


@pytest.fixture(scope="session")
def trees(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each profile rendered into its own tree (all three environments)."""
    out = {}
    for profile in PROFILES:
        tree = tmp_path_factory.mktemp(profile) / "out"
        write_tree(render_tree(config_for(profile), load_catalog()), tree)
        out[profile] = tree
    return out
