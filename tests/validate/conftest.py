"""Shared fixtures: the upstream CRDs from ../shared/crds (skip cleanly where absent)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.shared import shared

from homelab.validate import crds_for
from homelab.validate.schemas import CrdSchemas


@pytest.fixture(scope="session")
def crds_dir() -> Path:
    return shared("crds")


@pytest.fixture(scope="session")
def crds(crds_dir: Path) -> CrdSchemas:
    return crds_for(crds_dir)

