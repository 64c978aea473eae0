"""The one way tests find `../shared`: the design, upstream CRDs, chart data and vendored manifests.

`../shared` is read-only data beside the repository (a git worktree may sit a level deeper, so the
parents are searched); `HOMELAB_SHARED` names it explicitly. Where it is absent a test skips with the
reason, except under `CI=true`, where a missing oracle is a failure, not a pass.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pytest


@cache
def shared_root() -> Path | None:
    explicit = os.environ.get("HOMELAB_SHARED")
    if explicit:
        return Path(explicit).expanduser().resolve()
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared"
        if (candidate / "design").is_dir() and (candidate / "crds").is_dir():
            return candidate
    return None


def shared(*parts: str) -> Path:
    """The path under ../shared, or a skip (a failure under CI) saying what is missing."""
    root = shared_root()
    path = root.joinpath(*parts) if root else None
    if path is None or not path.exists():
        where = path or Path("../shared", *parts)
        message = f"{where} is absent (the read-only ../shared folder beside the repository, or $HOMELAB_SHARED)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@cache
def crd_schemas() -> dict[tuple[str, str], dict[str, object]]:
    """(apiVersion, kind) -> openAPIV3Schema of every served version of every CRD under ../shared/crds."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    found: dict[tuple[str, str], dict[str, object]] = {}
    for path in sorted([*shared("crds").rglob("*.yaml"), *shared("crds").rglob("*.yml")]):
        for doc in yaml.load_all(path.read_text(), Loader=loader):
            if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc["spec"]
            for version in spec["versions"]:
                if version.get("served", True):
                    found[(f"{spec['group']}/{version['name']}", spec["names"]["kind"])] = (
                        version["schema"]["openAPIV3Schema"])
    return found


def vendored(url: str) -> Path | None:
    """The byte-for-byte copy of a pinned upstream manifest under ../shared/vendor, found by its SOURCES.md row
    (repository, path and tag rebuild the raw.githubusercontent.com URL); None when there is no copy."""
    root = shared("vendor")
    for line in (root / "SOURCES.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) > 4 and cells[0].endswith(".yaml"):
            tag = cells[3].split(" @ ")[0]
            if url == f"https://raw.githubusercontent.com/{cells[1]}/{tag}/{cells[2]}":
                return root / cells[0]
    return None
