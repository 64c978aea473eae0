"""Fixtures every test folder may use, and how pytest-xdist shares the tests between its workers."""

from __future__ import annotations

import pytest

from tests.profiles import trees

__all__ = ["trees"]

CONTROL_PLANE = "control-plane"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each module runs in one worker (its module-scoped renders are made once), and every e2e test in the
    same worker, one after another: they share one control plane, its CRDs and its Argo CD."""
    for item in items:
        group = CONTROL_PLANE if "e2e" in item.keywords else item.nodeid.split("::", 1)[0]
        item.add_marker(pytest.mark.xdist_group(group))
