"""Containment diagrams (the design's architecture) drawn as stacked bands of boxes.

A flowchart whose top level is groups of groups of boxes, with edges only between top-level
things (the cluster and its layers), is a picture of what contains what. A graph layout would
reorder the layers by their edges and spread a category into one endless row; here every layer
is a full-width band in the order the design declares, its categories flow left to right and
wrap, and the edges between layers run in a gutter on the left, one lane each.
"""

from __future__ import annotations

import html
import math

from homelab.portal.graphviz import Parts
from homelab.portal.mermaid import Flowchart, Group

WIDTH = 1400  # the drawing's width; a 1440 px screen shows it whole
BOX_H, GAP, PAD, HEAD = 22, 6, 8, 18
MAX_BOX = 232
LANE = 12
NARROW, WIDE = set("iljtfrI.,:;'|!() "), set("MWmw@")


def text_width(text: str, size: float = 11) -> float:
    """DejaVu Sans advance widths, roughly: enough to size a box, never smaller than the text."""
    em = sum(0.36 if c in NARROW else 0.95 if c in WIDE else 0.72 if c.isupper() else 0.62 for c in text)
    return em * size


def is_containment(chart: Flowchart) -> bool:
    """Top level: groups of groups (or boxes); edges touch only top-level boxes and groups."""
    top = [m for m in chart.root.members if isinstance(m, Group)]
    if len(top) < 2 or not any(isinstance(m, Group) for g in top for m in g.members):
        return False
    if any(isinstance(m, Group) for g in top for sub in g.members if isinstance(sub, Group) for m in sub.members):
        return False
    outer = {g.id for g in top} | {m for m in chart.root.members if isinstance(m, str)}
    return all(e.src in outer and e.dst in outer for e in chart.edges)


def _box(x: float, y: float, w: float, label: str, parts: Parts) -> str:
    _, lines = parts(label)
    name = lines[0].component if len(lines) == 1 else None
    shown = label if text_width(label) <= w - 12 else label[: max(int((w - 20) / 6.6), 4)].rstrip() + "…"
    body = (f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{BOX_H}" rx="4" fill="white" '
            'stroke="black"/>'
            f'<text x="{x + w / 2:.1f}" y="{y + 15:.1f}" text-anchor="middle" font-size="11">'
            f"{html.escape(shown)}</text>")
    tip = f"<title>{html.escape(label)}</title>" if shown != label else ""
    if name:
        return f'<a href="/components/{name}" class="cmp" data-name="{name}">{tip}{body}</a>'
    return f'<g class="node">{tip}{body}</g>'


def _leaf(group: Group, chart: Flowchart, width: float) -> tuple[float, float, int, float]:
    """(group width, height, columns, box width) for a group of boxes no wider than `width`."""
    labels = [chart.nodes[n].label for n in group.node_ids()] or [""]
    box = min(max(max(text_width(t) for t in labels) + 14, 70), MAX_BOX)
    columns = max(1, min(len(labels), 6, int((width - 2 * PAD + GAP) // (box + GAP))))
    rows = math.ceil(len(labels) / columns)
    return columns * (box + GAP) - GAP + 2 * PAD, HEAD + rows * (BOX_H + GAP) - GAP + PAD, columns, box


def to_svg(chart: Flowchart, parts: Parts, title: str) -> str:
    top = [m for m in chart.root.members if isinstance(m, Group)]
    roots = [chart.nodes[m] for m in chart.root.members if isinstance(m, str)]
    group_edges = [e for e in chart.edges if e.src in chart.groups and e.dst in chart.groups]
    gutter = LANE * (len(group_edges) + 2)
    left, inner = float(gutter), float(WIDTH - gutter)
    out: list[str] = []
    y: float = 4.0
    if roots:
        label = " · ".join(n.label for n in roots)
        out.append(f'<g class="node root"><rect x="{left:.1f}" y="{y}" width="{inner:.1f}" height="26" rx="5" '
                   f'fill="white" stroke="black" stroke-width="1.5"/><text x="{left + inner / 2:.1f}" y="{y + 17}" '
                   f'text-anchor="middle" font-size="12" font-weight="bold">{html.escape(label)}</text></g>')
        y += 26 + 14
    middles: dict[str, float] = {}
    for band in top:
        start, cy, cx, row_h = y, y + HEAD + 4.0, left + PAD, 0.0
        cells: list[str] = []
        members = [m for m in band.members if isinstance(m, Group)]
        loose = [m for m in band.members if isinstance(m, str)]
        if loose:
            members.insert(0, Group(band.id + "_boxes", "", None, list(loose)))
        for group in members:
            gw, gh, columns, box = _leaf(group, chart, inner - 2 * PAD)
            if cx + gw > left + inner - PAD and cx > left + PAD:
                cx, cy, row_h = left + PAD, cy + row_h + GAP * 2, 0.0
            cells.append(f'<g class="cluster group"><rect x="{cx:.1f}" y="{cy:.1f}" width="{gw:.1f}" height="{gh:.1f}" '
                         f'rx="5" fill="none" stroke="gray" stroke-dasharray="4 3"/>'
                         f'<text x="{cx + PAD:.1f}" y="{cy + 13:.1f}" font-size="11" font-weight="bold">'
                         f"{html.escape(group.title)}</text></g>")
            for i, nid in enumerate(group.node_ids()):
                bx = cx + PAD + (i % columns) * (box + GAP)
                by = cy + HEAD + (i // columns) * (BOX_H + GAP)
                cells.append(_box(bx, by, box, chart.nodes[nid].label, parts))
            cx += gw + GAP * 2
            row_h = max(row_h, gh)
        y = cy + row_h + PAD
        middles[band.id] = (start + y) / 2
        out.append(f'<g class="cluster band"><rect x="{left:.1f}" y="{start:.1f}" width="{inner:.1f}" '
                   f'height="{y - start:.1f}" rx="7" fill="none" stroke="black"/>'
                   f'<text x="{left + PAD:.1f}" y="{start + 15:.1f}" font-size="13" font-weight="bold">'
                   f"{html.escape(band.title)}</text></g>")
        out.extend(cells)
        y += 12
    for lane, edge in enumerate(group_edges):
        x = gutter - LANE * (lane + 1.5)
        y1 = middles[edge.src] + (lane % 5 - 2) * 4
        y2 = middles[edge.dst] + (lane % 5 - 2) * 4 + 10
        out.append(f'<path class="edge" d="M{left:.1f},{y1:.1f} H{x:.1f} V{y2:.1f} H{left - 1:.1f}" fill="none" '
                   f'stroke="gray" marker-end="url(#band-arrow)"><title>{html.escape(chart.groups[edge.src].title)} '
                   f"→ {html.escape(chart.groups[edge.dst].title)}</title></path>")
    height = y + 4
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0f}" '
            f'viewBox="0 0 {WIDTH} {height:.0f}" role="group" aria-label="{html.escape(title)}" '
            'font-family="DejaVu Sans, sans-serif"><defs><marker id="band-arrow" viewBox="0 0 10 10" refX="10" '
            'refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="gray"/>'
            "</marker></defs>" + "".join(out) + "</svg>")
