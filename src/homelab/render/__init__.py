"""Render: the plan of every environment -> a GitOps tree (Argo CD app-of-apps + kustomize overlays).

`render_tree` computes every file in memory (pure, deterministic); `write_tree` swaps it in
atomically; `env_objects` reads one environment back exactly as `kubectl kustomize` builds it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homelab.render.kustomize import build
from homelab.render.pipeline import Rendered, render_env, render_tree, write_tree

__all__ = ["Rendered", "env_objects", "render_env", "render_tree", "write_tree"]


def env_objects(tree: Path, env: str) -> list[dict[str, Any]]:
    """Every object of `env` in a rendered tree, as `kubectl kustomize <tree>/<env>` builds it."""
    return build(tree, env)
