"""Shared test helpers: fixture loading and a clock that moves only when the code sleeps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from homelab.cluster.wait import Clock

FIXTURES = Path(__file__).parent / "fixtures"
OURS = {"app.kubernetes.io/managed-by": "homelab", "homelab.dev/platform": "homelab", "homelab.dev/env": "dev"}


def load(name: str) -> list[dict[str, Any]]:
    """Every document of a fixture file (recorded API objects)."""
    return [d for d in yaml.safe_load_all((FIXTURES / name).read_text()) if d]


class FakeClock(Clock):
    """Time moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.t = 0.0
        super().__init__(now=lambda: self.t, sleep=self._sleep, interval=5)

    def _sleep(self, seconds: float) -> None:
        self.t += seconds
