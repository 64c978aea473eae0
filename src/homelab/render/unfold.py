"""One object too long to review, written as a short object and a file per item of its longest list.

A Keycloak realm with thirty clients is a single custom resource of 500 lines, and splitting a file one object
per file cannot shorten it. kustomize appends list items with JSON 6902 `add <list>/-` operations, so such an
object is written with that list empty and each item as one operation in a file of its own
(`<file>-<list>/<item>.yaml`), listed in order: kustomize builds the object back exactly, and an environment's
patches still address the items by index.
"""

from __future__ import annotations

import re
from typing import Any

from homelab.render.patch import pointer
from homelab.render.yamlout import dump_text

# A single object longer than this is unfolded (the same bound layout splits a file of several objects at).
LONG_OBJECT = 200
_UNSAFE = re.compile(r"[^a-z0-9]+")


def _lines(value: Any) -> int:
    return dump_text(value).count("\n")


def _lists(value: Any, at: list[str]) -> list[tuple[list[str], list[dict[str, Any]]]]:
    """Every list of two or more mappings inside `value`, with where it is."""
    if isinstance(value, dict):
        return [found for key, inner in value.items() for found in _lists(inner, [*at, str(key)])]
    if isinstance(value, list) and len(value) > 1 and all(isinstance(item, dict) for item in value):
        return [(at, value)]
    return []


def item_names(items: list[dict[str, Any]]) -> list[str]:
    """File names for the items: the first field (in the first item's order) that is a string naming each item
    apart, made safe for a path; else their positions."""
    for key in items[0]:
        values = [item.get(key) for item in items]
        if all(isinstance(v, str) and v for v in values):
            names = [_UNSAFE.sub("-", str(v).lower()).strip("-") for v in values]
            if all(names) and len(set(names)) == len(names):
                return names
    return [f"{i:02d}" for i in range(1, len(items) + 1)]


def unfold(file: str, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """`body` with its longest list of mappings emptied, and the operations that append its items back, one
    file each (relative to the folder `file` is in); nothing to unfold when it is short or has no such list."""
    candidates = _lists(body, []) if _lines(body) > LONG_OBJECT else []
    if not candidates:
        return body, {}
    at, items = max(candidates, key=lambda found: _lines(found[1]))
    short = _emptied(body, at)
    folder = f"{file.removesuffix('.yaml')}-{at[-1].lower()}"
    return short, {f"{folder}/{name}.yaml": [{"op": "add", "path": pointer([*at, "-"]), "value": item}]
                   for name, item in zip(item_names(items), items, strict=True)}


def _emptied(body: dict[str, Any], at: list[str]) -> dict[str, Any]:
    """A copy of `body` whose list at `at` is empty (the rest shared, not copied: nothing here mutates it)."""
    key, *rest = at
    return {**body, key: _emptied(body[key], rest) if rest else []}
