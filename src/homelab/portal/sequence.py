"""A sequence diagram drawn as SVG: one column per participant, one row per message.

Graphviz has no sequence layout and the shape is fixed (columns and rows), so it is drawn here.
Text widths are estimated from the character count (DejaVu Sans at 12 px averages about 7 px a
character); boxes and columns get room for the longest line.
"""

from __future__ import annotations

import html

from homelab.portal.graphviz import Parts
from homelab.portal.mermaid import Sequence

CHAR = 7.2
ROW = 34
TOP = 16
BOX_H = 40


def _width(text: str) -> float:
    return max(len(line) for line in text.split("\n")) * CHAR


def _box(x: float, y: float, width: float, label: str, parts: Parts) -> str:
    _, lines = parts(label)
    linked = next((p for p in lines if p.component), None)
    text = html.escape(label.replace("\n", " "))
    rect = (f'<rect x="{x - width / 2:.1f}" y="{y:.1f}" width="{width:.1f}" height="{BOX_H}" rx="5" '
            f'fill="white" stroke="black"/>'
            f'<text x="{x:.1f}" y="{y + BOX_H / 2 + 4:.1f}" text-anchor="middle" font-size="12">{text}</text>')
    if linked is not None and len([p for p in lines if p.component]) == 1:
        return f'<a href="/components/{linked.component}" class="cmp" data-name="{linked.component}">{rect}</a>'
    return f'<g class="node">{rect}</g>'


def to_svg(seq: Sequence, parts: Parts, title: str) -> str:
    """Columns wide enough for each participant's box and the messages between neighbours."""
    names = list(seq.participants)
    widths = {n: max(_width(seq.participants[n]) + 24, 80) for n in names}
    gaps = [0.0] * max(len(names) - 1, 0)
    for message in seq.messages:
        a, b = sorted((names.index(message.src), names.index(message.dst)))
        if b == a + 1 and a < len(gaps):
            gaps[a] = max(gaps[a], _width(message.text) + 30)
    xs, x = [], 10.0
    for i, name in enumerate(names):
        x += widths[name] / 2
        xs.append(x)
        x += widths[name] / 2 + max(gaps[i] - (widths[name] + widths[names[i + 1]]) / 2, 30) \
            if i < len(gaps) else widths[name] / 2
    width = x + 10
    height = TOP + BOX_H * 2 + ROW * (len(seq.messages) + 1)
    bottom = height - BOX_H - 6
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
           f'viewBox="0 0 {width:.0f} {height:.0f}" role="group" aria-label="{html.escape(title)}" '
           f'font-family="DejaVu Sans, sans-serif">',
           '<defs><marker id="seq-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="currentColor"/></marker></defs>']
    for name, cx in zip(names, xs, strict=True):
        out.append(f'<line class="lifeline" x1="{cx:.1f}" y1="{TOP + BOX_H}" x2="{cx:.1f}" y2="{bottom:.1f}" '
                   'stroke="gray" stroke-dasharray="4 3"/>')
        for y in (TOP, bottom):
            out.append(_box(cx, y, widths[name], seq.participants[name], parts))
    for row, message in enumerate(seq.messages, start=1):
        y = TOP + BOX_H + ROW * row
        x1, x2 = xs[names.index(message.src)], xs[names.index(message.dst)]
        dash = ' stroke-dasharray="6 4"' if message.reply else ""
        out.append(f'<g class="edge"><line x1="{x1:.1f}" y1="{y}" x2="{x2:.1f}" y2="{y}" stroke="black"{dash} '
                   'marker-end="url(#seq-arrow)"/>'
                   f'<text x="{(x1 + x2) / 2:.1f}" y="{y - 6}" text-anchor="middle" font-size="11">'
                   f"{html.escape(message.text)}</text></g>")
    out.append("</svg>")
    return "".join(out)

