"""The design's diagrams for this plan: mermaid text from the render stage, drawn to SVG on the server.

`homelab.render.diagrams.build(plan, catalog, config)` owns the real diagrams (architecture,
interactions, security, monitoring, deployment, data flow). Until that module exists the
portal draws the architecture diagram from the plan itself, so the page always has one.
Each diagram is drawn once per process (Graphviz for flowcharts, `sequence.py` for sequences);
every box that names a component links to its page and carries its name, so the page colours it
by live state without drawing again.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from homelab.catalog.loader import Catalog
from homelab.config import Config
from homelab.plan import Plan
from homelab.portal import bands, graphviz, mermaid, sequence
from homelab.portal.graphviz import Part, Parts

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
STATE_MARK = re.compile(r'data-name="([a-z0-9-]+)"')


@dataclass
class Diagram:
    name: str
    title: str
    mermaid: str
    svg: str = ""
    error: str = ""  # why it could not be drawn (then the page shows the mermaid text)
    components: list[str] = field(default_factory=list)


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


def label_parts(titles: dict[str, str]) -> Parts:
    """Split a box's label into the components it names, by their titles as the diagrams write them:
    `Keycloak`, `Authentication: Keycloak, Dex`, `Ingress (NGINX Ingress)`, `PostgreSQL, MySQL ...`."""
    by_title = {_label(title).replace("'", '"'): name for name, title in titles.items()}
    by_title |= {_label(title.replace('"', "'")): name for name, title in titles.items()}

    def parts(label: str) -> tuple[str | None, list[Part]]:
        flat = " ".join(label.split())
        if flat in by_title:
            return None, [Part(flat, by_title[flat])]
        heading, items = None, flat
        if (m := re.match(r"^(.+?)\s*\((.+)\)$", flat)) and m.group(2) in by_title:
            heading, items = m.group(1), m.group(2)
        elif ": " in flat:
            heading, items = flat.split(": ", 1)
        found = [Part(item.strip(), by_title.get(item.strip().removesuffix(" ...")))
                 for item in items.split(", ")]
        if not any(p.component for p in found):
            return None, [Part(label)]
        return heading, found

    return parts


def draw(name: str, text: str, parts: Parts) -> Diagram:
    """One diagram as SVG, or the reason it could not be drawn."""
    diagram = Diagram(name, title_of(name), text)
    try:
        chart = mermaid.parse(text)
        if isinstance(chart, mermaid.Sequence):
            diagram.svg = sequence.to_svg(chart, parts, diagram.title)
        elif bands.is_containment(chart):
            diagram.svg = bands.to_svg(chart, parts, diagram.title)
        else:
            diagram.svg = _flowchart(text, parts, diagram.title)
    except (graphviz.GraphvizMissing, ValueError, RuntimeError) as exc:
        diagram.error = str(exc)
    diagram.components = list(dict.fromkeys(STATE_MARK.findall(diagram.svg)))
    return diagram


def _width(svg: str) -> float:
    found = re.search(r'viewBox="[\d.-]+ [\d.-]+ ([\d.]+)', svg)
    return float(found.group(1)) if found else 0.0


def _flowchart(text: str, parts: Parts, title: str) -> str:
    """Laid out by dot; a top-to-bottom chart wider than the page is drawn left to right when that is narrower
    (the security diagram's dozens of applications then stack instead of spreading across the screen)."""
    chart = mermaid.parse(text)
    assert isinstance(chart, mermaid.Flowchart)
    svg = graphviz.clean_svg(graphviz.run_dot(graphviz.to_dot(chart, parts)), title)
    if chart.direction == "TB" and _width(svg) > bands.WIDTH:
        turned = mermaid.parse(text)
        assert isinstance(turned, mermaid.Flowchart)
        turned.direction = "LR"
        other = graphviz.clean_svg(graphviz.run_dot(graphviz.to_dot(turned, parts)), title)
        if _width(other) < _width(svg):
            return other
    return svg


def with_states(svg: str, states: dict[str, str]) -> str:
    """The drawing with each component's live state on its boxes (`data-state`, coloured by the stylesheet)."""
    return STATE_MARK.sub(lambda m: f'{m.group(0)} data-state="{states.get(m.group(1), "planned")}"', svg)
