"""What a test needs from the machine: skipped with the reason on a laptop, a failure under `CI=true`.

`.ci/run` installs and starts everything the tests use, so under CI a missing tool, binary,
module or server is a broken CI and must fail, never pass as a skip.
"""

from __future__ import annotations

import importlib
import os
import shutil
from types import ModuleType
from typing import NoReturn

import pytest


def missing(what: str) -> NoReturn:
    """Skip with `what` as the reason, or fail under CI (where .ci/run should have provided it)."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what}; under CI=true this is a failure: .ci/run must provide it")
    pytest.skip(what)


def tool(name: str, install: str) -> str:
    """The path of the program `name`, e.g. tool("kubectl", ".ci/run builds it")."""
    return shutil.which(name) or missing(f"{name} is not installed ({install})")


def kustomize() -> list[str]:
    """`kubectl kustomize` or `kustomize build`, whichever is installed."""
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    missing("neither kubectl nor kustomize is installed (.ci/run puts kubectl on PATH)")


def module(name: str, install: str) -> ModuleType:
    """The imported module `name`, e.g. module("playwright.sync_api", "pip install -e '.[test]'")."""
    try:
        return importlib.import_module(name)
    except ImportError:
        missing(f"Python module {name} is not installed ({install})")
