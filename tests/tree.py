"""Find where a rendered object's field is written: an environment's patch when it has the field, else the base.

Tests that break one field of a rendered file use this, so they follow the layout instead of naming paths.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from homelab.render.layout import BASE, file_of


def group_of(tree: Path, name: str) -> str:
    """The folder of a component (`<layer>/<name>`), a platform concern (`platform/<name>`) or a namespace
    several components share (`platform/namespaces/<name>`)."""
    bases = [*tree.glob(f"*/{name}/{BASE}"), *tree.glob(f"platform/namespaces/{name}/{BASE}")]
    found = sorted(p.parent.relative_to(tree).as_posix() for p in bases)
    assert len(found) == 1, f"expected one folder for {name}, found {found}"
    return found[0]


def _has(doc: dict[str, Any], path: tuple[str, ...]) -> bool:
    node: Any = doc
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def holding(tree: Path, name: str, kind: str, obj: str, path: tuple[str, ...] = (), env: str = "dev") -> str:
    """The tree-relative file that sets `path` of the object `kind`/`obj` of component `name` in `env`."""
    group = group_of(tree, name)
    for folder in (env, BASE):
        file = tree / group / folder / file_of(kind)
        if file.is_file():
            for doc in yaml.safe_load_all(file.read_text()):
                if doc and doc["kind"] == kind and doc["metadata"]["name"] == obj and _has(doc, path):
                    return file.relative_to(tree).as_posix()
    raise AssertionError(f"no file of {group} sets {'.'.join(path) or 'the object'} of {kind} {obj} in {env}")
