"""Fixtures every test folder may use, and how pytest-xdist shares the tests between its workers."""

from __future__ import annotations

from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

from tests.profiles import trees

__all__ = ["trees"]

CONTROL_PLANE = "tests/e2e/"


class ModuleScheduling(LoadScopeScheduling):
    """Each test module runs in one worker (its module-scoped renders are made once), and the whole e2e suite in
    one worker, one test after another: its tests share one control plane, its CRDs and its Argo CD.

    A scheduler of our own rather than `xdist_group` marks: pytest 9.2 reads a test's id from `Node._id`, so
    the group suffix pytest-xdist 3.8 writes into `_nodeid` no longer reaches its scheduler."""

    def _split_scope(self, nodeid: str) -> str:
        path = nodeid.split("::", 1)[0]
        return CONTROL_PLANE if path.startswith(CONTROL_PLANE) else path


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> ModuleScheduling:
    return ModuleScheduling(config, log)
