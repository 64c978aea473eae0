"""Render: the plan of every environment -> a GitOps tree (Argo CD app-of-apps, a folder per component).

`render_tree` computes every file in memory (pure, deterministic); `write_tree` swaps it in
atomically; `env_objects` reads one environment back exactly as Argo CD builds it.
"""

from __future__ import annotations

from homelab.render.kustomize import env_objects
from homelab.render.pipeline import Rendered, render_env, render_tree, write_tree

__all__ = ["Rendered", "env_objects", "render_env", "render_tree", "write_tree"]
