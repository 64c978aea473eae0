"""A finding: one problem in one object of a rendered tree, with where it is and how to fix it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Finding:
    rule: str  # "schema", "kustomize", or a lint rule id such as "images-pinned"
    file: str  # relative to the tree
    index: int | None  # document index in the file (0-based), None for whole-file problems
    path: str  # JSON path inside the object, e.g. $.spec.template.spec.containers[0].image
    message: str
    fix: str
    kind: str = ""
    name: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def json_path(parts: Any) -> str:
    """`["spec", "containers", 0]` -> `$.spec.containers[0]`."""
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out
