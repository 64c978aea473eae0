"""Flowcharts laid out by Graphviz `dot` into SVG, once per plan, on the server.

Three adjustments keep big plans readable: groups stack in the order they are declared (the
design's layer order, whatever the edges say), a group of many unconnected boxes wraps into a
grid instead of one endless row, and one box's many edges with one label into a group become one
edge into a sub-group named by that label (the security diagram's dozens of `oidc` arrows).
"""

from __future__ import annotations

import html
import itertools
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from homelab.portal.mermaid import Edge, Flowchart, Group

FONT = "DejaVu Sans"  # the font Debian's Chromium draws with, so dot's text widths match the page
ROW = 8  # boxes per row in a band of groups whose boxes have no edges between them (split among the groups)
MIN_FAN = 4  # this many same-label edges from one box into one group become a sub-group
MAX_BOXES = 300  # beyond this dot takes minutes; such a chart is shown as its text


@dataclass(frozen=True)
class Part:
    """One line of a box: text, and the component it names (then it links to the component's page)."""

    text: str
    component: str | None = None


Parts = Callable[[str], tuple[str | None, list[Part]]]  # a label -> (heading, lines)


class GraphvizMissing(RuntimeError):
    pass


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _gid(group: Group) -> str:
    return "cluster_" + re.sub(r"\W", "_", group.id)


def bundle_fans(chart: Flowchart) -> None:
    """Edges from one box with one label into many boxes of one group: those boxes become a sub-group."""
    parent = {nid: g for g in chart.groups.values() for nid in g.members if isinstance(nid, str)}
    fans: dict[tuple[str, str, str], list[Edge]] = {}
    for edge in chart.edges:
        group = parent.get(edge.dst)
        if edge.label and group is not None and edge.src in chart.nodes:
            fans.setdefault((edge.src, edge.label, group.id), []).append(edge)
    for (src, label, gid), edges in fans.items():
        if len(edges) < MIN_FAN:
            continue
        group, targets = chart.groups[gid], {e.dst for e in edges}
        moved = [m for m in group.members if isinstance(m, str) and m in targets]
        sub = Group(f"{gid}_{src}_{label}", label, group.direction, list(moved))
        at = group.members.index(moved[0])
        group.members = [m for m in group.members if not (isinstance(m, str) and m in targets)]
        group.members.insert(at, sub)
        chart.groups[sub.id] = sub
        gone = {id(e) for e in edges}
        chart.edges = [e for e in chart.edges if id(e) not in gone] + [Edge(src, sub.id, label)]


def _node_dot(nid: str, label: str, shape: str, parts: Parts) -> str:
    heading, lines = parts(label)
    linked = [p for p in lines if p.component]
    attrs = {"shape": {"cylinder": "cylinder", "circle": "circle", "diamond": "diamond"}.get(shape, "box")}
    if len(lines) == 1 and heading is None and linked:
        attrs |= {"label": _q(label), "URL": _q(f"/components/{linked[0].component}"),
                  "tooltip": _q(f"{label}: open its page")}
    elif linked:
        rows = [f'<TR><TD BORDER="0"><B>{html.escape(heading)}</B></TD></TR>'] if heading else []
        for part in lines:
            text = html.escape(part.text)
            rows.append(f'<TR><TD HREF="/components/{part.component}" TITLE="{text}" BGCOLOR="white">{text}</TD></TR>'
                        if part.component else f'<TR><TD BORDER="0">{text}</TD></TR>')
        attrs |= {"label": '<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="3" CELLPADDING="3">'
                           + "".join(rows) + "</TABLE>>", "margin": "0.04"}
    else:
        attrs["label"] = _q(label)
    return f'{_q(nid)} [{", ".join(f"{k}={v}" for k, v in attrs.items())}]'


def _first(chart: Flowchart, ref: str) -> str:
    return chart.groups[ref].node_ids()[0] if ref in chart.groups else ref


def _top(chart: Flowchart) -> dict[str, int]:
    """Each node's and group's top-level group, by declaration order."""
    place: dict[str, int] = {}
    for index, member in enumerate(m for m in chart.root.members if isinstance(m, Group)):
        place[member.id] = index
        for nid in member.node_ids():
            place[nid] = index
        place.update({g.id: index for g in chart.groups.values() if set(g.node_ids()) <= set(member.node_ids())})
    return place


def to_dot(chart: Flowchart, parts: Parts) -> str:
    """The DOT text for one flowchart; `parts` splits a label into the components it names."""
    if len(chart.nodes) > MAX_BOXES:
        raise ValueError(f"{len(chart.nodes)} boxes are too many to lay out (at most {MAX_BOXES})")
    bundle_fans(chart)
    lines = [f"digraph G {{ rankdir={chart.direction}; compound=true; newrank=true; bgcolor=transparent;",
             f'  fontname="{FONT}"; fontsize=12; nodesep=0.25; ranksep=0.4;',
             f'  node [fontname="{FONT}", fontsize=11, shape=box, style="rounded,filled", fillcolor=white, '
             'margin="0.12,0.05", height=0.3];',
             f'  edge [fontname="{FONT}", fontsize=10, arrowsize=0.7];']
    linked = {e.src for e in chart.edges} | {e.dst for e in chart.edges}

    def emit(group: Group, depth: int, columns: int) -> None:
        pad = "  " * depth
        inner = [m for m in group.members if isinstance(m, Group)]
        for member in group.members:
            if isinstance(member, Group):
                lines.append(f'{pad}subgraph {_gid(member)} {{ label={_q(member.title)}; style="rounded,dashed"; '
                             f'class="group"; margin=10;')
                emit(member, depth + 1, max(2, round(ROW / len(inner))))
                lines.append(pad + "}")
            else:
                node = chart.nodes[member]
                lines.append(pad + _node_dot(member, node.label, node.shape, parts))
        loose = [m for m in group.members if isinstance(m, str) and m not in linked]
        if group is not chart.root and len(loose) > columns:
            lines.extend(f"{pad}{_q(a)} -> {_q(b)} [style=invis]" for a, b in zip(loose, loose[columns:], strict=False))

    emit(chart.root, 1, ROW)
    top = _top(chart)
    stacked = [m for m in chart.root.members if isinstance(m, Group)]
    for index, (upper, lower) in enumerate(itertools.pairwise(stacked)):
        gap = _q(f"stack{index}")  # an invisible node every box of one group is above, every box of the next below
        lines.append(f'  {gap} [style=invis, label="", width=0, height=0, margin=0]')
        lines.extend(f"  {_q(n)} -> {gap} [style=invis]" for n in upper.node_ids())
        lines.extend(f"  {gap} -> {_q(n)} [style=invis]" for n in lower.node_ids())
    for edge in chart.edges:
        src, dst = _first(chart, edge.src), _first(chart, edge.dst)
        attrs = []
        if edge.src in chart.groups:
            attrs.append(f"ltail={_gid(chart.groups[edge.src])}")
        if edge.dst in chart.groups:
            attrs.append(f"lhead={_gid(chart.groups[edge.dst])}")
        if edge.label:
            attrs.append(f"label={_q(edge.label)}")
        if edge.dashed:
            attrs.append("style=dashed")
        if top.get(edge.src, -1) > top.get(edge.dst, -1) >= 0:
            attrs.append("constraint=false")  # against the declared order: drawn, but it does not reorder
        lines.append(f"  {_q(src)} -> {_q(dst)}" + (f" [{', '.join(attrs)}]" if attrs else ""))
    lines.append("}")
    return "\n".join(lines) + "\n"


def run_dot(dot: str, timeout: float = 30) -> str:
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizMissing("Graphviz is not installed (apt-get install graphviz): the diagrams need its `dot`")
    try:
        done = subprocess.run([exe, "-Tsvg"], input=dot, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"dot could not lay it out within {timeout:.0f} s (too many boxes)") from None
    if done.returncode != 0:
        raise RuntimeError(f"dot failed: {done.stderr.strip()[:500]}")
    return done.stdout


def _drawn_box(svg: str, margin: float = 6) -> tuple[float, float, float, float]:
    """The box around what is drawn: dot sometimes leaves room for invisible helper edges (the grid and
    stacking edges), which would show as an empty band."""
    shift = re.search(r'translate\(([\d.-]+) ([\d.-]+)\)', svg)
    dx, dy = (float(shift.group(1)), float(shift.group(2))) if shift else (0.0, 0.0)
    pairs = re.findall(r"(-?[\d.]+),(-?[\d.]+)", " ".join(re.findall(r'(?:points|d)="([^"]*)"', svg)))
    pairs += re.findall(r' x="(-?[\d.]+)" y="(-?[\d.]+)"', svg)
    xs = [float(a) + dx for a, _ in pairs]
    ys = [float(b) + dy for _, b in pairs]
    if not xs:
        return 0.0, 0.0, 100.0, 100.0
    left, top = min(xs) - margin, min(ys) - margin - 12  # text baselines: room for the line above
    return left, top, max(xs) + margin - left, max(ys) + margin - top


def clean_svg(svg: str, title: str) -> str:
    """dot's SVG made fit to sit inside the page: no prolog, ids, tooltips-as-titles, or targets;
    each link to a component marked with its name, so the page can colour it by live state."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    svg = re.sub(r"<title>.*?</title>", "", svg, flags=re.S)
    svg = re.sub(r'\s(?:id|target|xlink:title)="[^"]*"', "", svg)
    svg = re.sub(r'<a xlink:href="/components/([a-z0-9-]+)"',
                 lambda m: f'<a href="/components/{m.group(1)}" class="cmp" data-name="{m.group(1)}"', svg)
    x, y, width, height = _drawn_box(svg)
    svg = re.sub(r'<svg width="[^"]*" height="[^"]*"\s+viewBox="[^"]*"',
                 f'<svg width="{width:.0f}" height="{height:.0f}" viewBox="{x:.1f} {y:.1f} {width:.1f} {height:.1f}" '
                 f'role="group" aria-label="{html.escape(title)}"', svg, count=1)
    svg = re.sub(r"\s+xmlns:xlink=\"[^\"]*\"", "", svg)
    return re.sub(r"\n\s*\n", "\n", svg)
