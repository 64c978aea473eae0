"""Shared fixtures: the upstream CRDs from ../shared/crds (skip cleanly where absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from homelab.validate import crds_for
from homelab.validate.schemas import CrdSchemas

SHARED_CRDS = Path(__file__).resolve().parents[2].parent / "shared" / "crds"


@pytest.fixture(scope="session")
def crds_dir() -> Path:
    if not SHARED_CRDS.is_dir():
        pytest.skip(f"upstream CRDs not found at {SHARED_CRDS} (the shared/ folder is absent)")
    return SHARED_CRDS


@pytest.fixture(scope="session")
def crds(crds_dir: Path) -> CrdSchemas:
    return crds_for(crds_dir)
