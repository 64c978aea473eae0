"""Find where a rendered object's field is written: an environment's patch when it has the field, else the base.

Tests that break one field of a rendered file use `holding`, and tests that break a component's objects across
its files use `edit_component`, so they follow the layout instead of naming paths.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from homelab.render.kustomize import build
from homelab.render.layout import BASE, KUSTOMIZATION, file_of, kustomization

EDITED = "edited.yaml"


def group_of(tree: Path, name: str) -> str:
    """The folder of a component (`<layer>/<name>`) or platform concern (`platform/<name>`), else of a
    namespace several components share (`platform/namespaces/<name>`)."""
    bases = list(tree.glob(f"*/{name}/{BASE}")) or list(tree.glob(f"platform/namespaces/{name}/{BASE}"))
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
    stem = file_of(kind).removesuffix(".yaml")
    for folder in (env, BASE):  # the kind's file, or its file per object when layout split a long one
        for file in sorted((tree / group / folder).glob(f"{stem}*.yaml")):
            for doc in yaml.safe_load_all(file.read_text()):
                if doc and doc["kind"] == kind and doc["metadata"]["name"] == obj and _has(doc, path):
                    return file.relative_to(tree).as_posix()
    raise AssertionError(f"no file of {group} sets {'.'.join(path) or 'the object'} of {kind} {obj} in {env}")


def edit_component(tree: Path, name: str, change: Callable[[list[dict[str, Any]]], None], env: str = "dev") -> str:
    """Break component `name` in `env` the way `change` says, whatever its files: build its folder (base plus
    the environment's patches) into whole objects, change them, and give `env` its own copy of them, as the
    layout does for an environment whose object a patch cannot express. Returns the file written."""
    group = group_of(tree, name)
    folder = tree / group / env
    docs = build(folder if (folder / KUSTOMIZATION).is_file() else tree / group / BASE)
    change(docs)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    (folder / EDITED).write_text(yaml.safe_dump_all(docs, sort_keys=False))
    (folder / KUSTOMIZATION).write_text(yaml.safe_dump(kustomization(resources=[EDITED]), sort_keys=False))
    env_file = tree / env / KUSTOMIZATION
    env_kust = yaml.safe_load(env_file.read_text())
    env_kust["resources"] = [f"../{group}/{env}" if ref == f"../{group}/{BASE}" else ref
                             for ref in env_kust["resources"]]
    env_file.write_text(yaml.safe_dump(env_kust, sort_keys=False))
    return (folder / EDITED).relative_to(tree).as_posix()
