from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))

from fakeapi import FakeAPI  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> list[dict[str, Any]]:
    """Every document of a fixture file (recorded API objects)."""
    return [d for d in yaml.safe_load_all((FIXTURES / name).read_text()) if d]


@pytest.fixture
def api() -> FakeAPI:
    return FakeAPI()
