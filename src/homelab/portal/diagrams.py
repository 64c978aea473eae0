"""The design's diagrams as mermaid text, from the render stage when it is installed.

`homelab.render.diagrams.build(plan, catalog, config)` owns the real diagrams (architecture,
interactions, security, monitoring, deployment, data flow). Until that module exists the
portal draws the architecture diagram from the plan itself, so the page always has one.
The browser draws the text with the mermaid.js shipped in static/vendor (no CDN).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable

from homelab.catalog.loader import Catalog
from homelab.config import Config
from homelab.plan import Plan

Builder = Callable[[Plan, Catalog, Config], dict[str, str]]

TITLES = {
    "architecture": "System architecture",
    "interactions": "System interactions",
    "security": "Security architecture",
    "monitoring": "Monitoring architecture",
    "deployment": "Deployment architecture",
    "data-flow": "Data flow architecture",
}
RENDER_MODULE = "homelab.render.diagrams"


def title_of(name: str) -> str:
    return TITLES.get(name, name.replace("-", " ").capitalize())


def _label(text: str) -> str:
    """A mermaid quoted label: characters that end the label or look like markup are dropped."""
    return re.sub(r'[<>"`#\\]', "", text).strip() or "?"


def architecture(plan: Plan, catalog: Catalog, config: Config) -> dict[str, str]:
    """The design's layer diagram (layers, then categories, then components) for this plan."""
    lines = ["graph TB", f'  K8S["Kubernetes cluster: {_label(config.platform.name)} ({plan.env})"]']
    ids = {name: f"c{i}" for i, name in enumerate(plan.components)}
    for li, (layer, info) in enumerate(catalog.layers.items()):
        lines += [f'  subgraph L{li}["{_label(info.title)}"]', "    direction TB"]
        for ci, (slug, title) in enumerate(info.categories.items()):
            members = [p for p in plan.components.values()
                       if p.component.layer == layer and p.component.category == slug]
            if not members:
                continue
            lines += [f'    subgraph L{li}C{ci}["{_label(title)}"]', "      direction LR"]
            lines += [f'      {ids[p.name]}["{_label(p.component.title)}"]' for p in members]
            lines.append("    end")
        lines += ["  end", f"  K8S --> L{li}"]
    return {"architecture": "\n".join(lines) + "\n"}


def builder() -> Builder:
    """The render stage's builder when it is installed, else the plan-only architecture diagram."""
    try:
        module = importlib.import_module(RENDER_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name not in {"homelab.render", RENDER_MODULE}:
            raise
        return architecture
    built: Builder = module.build
    return built
