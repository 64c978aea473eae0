"""Read the mermaid the render stage writes (flowcharts with subgraphs, sequence diagrams) into plain data.

The portal draws diagrams on the server (`graphviz.py`, `sequence.py`) instead of running mermaid.js in
the browser: mermaid needs inline styles to measure text, which the portal's Content-Security-Policy
forbids. Only the subset `homelab.render.diagrams` and the design use is understood; anything else in
the text (styles, classes, click handlers) is ignored, never executed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

DIRECTIONS = {"TB": "TB", "TD": "TB", "BT": "BT", "LR": "LR", "RL": "RL"}
# a node reference with an optional shape: A, A[text], A["text"], A[(text)], A(text), A{text}, A([text])
NODE = re.compile(r'\s*([A-Za-z0-9_]+)\s*(\[\(|\(\[|\[\[|\[|\(\(|\(|\{)?')
CLOSERS = {"[(": ")]", "([": "])", "[[": "]]", "[": "]", "((": "))", "(": ")", "{": "}"}
SHAPES = {"[(": "cylinder", "(": "round", "((": "circle", "([": "round", "{": "diamond"}
ARROW = re.compile(r'\s*(-->|-\.->|==>|---|--[ox]|-\.-)(?:\|([^|]*)\|)?|\s*--\s+([^-]+?)\s+-->')
MESSAGE = re.compile(r"^([^-+>:]+?)\s*(-->>|->>|-->|->|--x|-x|--\)|-\))\s*([^:]+?)\s*:\s*(.*)$")
IGNORED = ("classDef ", "class ", "style ", "click ", "linkStyle ", "%%")


@dataclass
class Node:
    id: str
    label: str
    shape: str = "box"


@dataclass
class Group:
    id: str
    title: str
    direction: str | None = None
    members: list[str | Group] = field(default_factory=list)  # node ids and nested groups, in order

    def node_ids(self) -> list[str]:
        out: list[str] = []
        for member in self.members:
            out.extend(member.node_ids() if isinstance(member, Group) else [member])
        return out


@dataclass
class Edge:
    src: str
    dst: str
    label: str = ""
    dashed: bool = False


@dataclass
class Flowchart:
    direction: str
    root: Group
    nodes: dict[str, Node]
    groups: dict[str, Group]
    edges: list[Edge]


@dataclass
class Message:
    src: str
    dst: str
    text: str
    reply: bool


@dataclass
class Sequence:
    participants: dict[str, str]  # id -> label, in order
    messages: list[Message]


def clean(text: str) -> str:
    """A label as plain text: quotes dropped, `<br/>` as a line break, entities for quotes decoded."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    return re.sub(r"<br\s*/?>", "\n", text).replace("#quot;", '"').strip()


def parse(text: str) -> Flowchart | Sequence:
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith(IGNORED)]
    if not lines:
        raise ValueError("empty diagram")
    head = lines[0].split()
    if head[0] == "sequenceDiagram":
        return _sequence(lines[1:])
    if head[0] not in {"graph", "flowchart"}:
        raise ValueError(f"not a diagram kind the portal draws: {head[0]}")
    return _flowchart(DIRECTIONS.get(head[1] if len(head) > 1 else "TB", "TB"), lines[1:])


def _flowchart(direction: str, lines: list[str]) -> Flowchart:
    root = Group("", "")
    chart = Flowchart(direction, root, {}, {}, [])
    stack = [root]
    for line in lines:
        if line.startswith("subgraph"):
            rest = line[len("subgraph"):].strip()
            match = re.match(r'([A-Za-z0-9_.-]+)\s*\[(.*)\]$', rest)
            gid, title = (match.group(1), clean(match.group(2))) if match else (clean(rest), clean(rest))
            group = Group(gid, title)
            chart.groups[gid] = group
            stack[-1].members.append(group)
            stack.append(group)
        elif line == "end" and len(stack) > 1:
            stack.pop()
        elif line.startswith("direction "):
            stack[-1].direction = DIRECTIONS.get(line.split()[1])
        else:
            _statement(line, chart, stack[-1])
    return chart


def _node(text: str, pos: int, chart: Flowchart, group: Group) -> tuple[str, int]:
    """Read one node reference at `pos`; define the node (in `group`) the first time it is seen."""
    match = NODE.match(text, pos)
    if not match:
        raise ValueError(f"cannot read a node in: {text}")
    nid, opener, pos = match.group(1), match.group(2), match.end()
    label = None
    if opener:
        closer = CLOSERS[opener]
        end = text.find(closer, pos)
        if end < 0:
            raise ValueError(f"unclosed {opener} in: {text}")
        label, pos = clean(text[pos:end]), end + len(closer)
    if nid in chart.groups:
        return nid, pos
    if nid not in chart.nodes:
        chart.nodes[nid] = Node(nid, label if label is not None else nid, SHAPES.get(opener or "", "box"))
        group.members.append(nid)
    elif label is not None:
        chart.nodes[nid].label = label
        chart.nodes[nid].shape = SHAPES.get(opener or "", "box")
    return nid, pos


def _statement(line: str, chart: Flowchart, group: Group) -> None:
    """`A`, `A[x] --> B`, `A -->|label| B --> C`, `A -- label --> B`."""
    nid, pos = _node(line, 0, chart, group)
    while pos < len(line):
        arrow = ARROW.match(line, pos)
        if not arrow:
            break
        label = clean(arrow.group(2) or arrow.group(3) or "")
        target, pos = _node(line, arrow.end(), chart, group)
        chart.edges.append(Edge(nid, target, label, dashed="." in (arrow.group(1) or "")))
        nid = target


def _sequence(lines: list[str]) -> Sequence:
    seq = Sequence({}, [])
    for line in lines:
        declared = re.match(r"(?:participant|actor)\s+(\S+)(?:\s+as\s+(.+))?$", line)
        if declared:
            seq.participants[declared.group(1)] = clean(declared.group(2) or declared.group(1))
            continue
        message = MESSAGE.match(line)
        if message:
            src, arrow, dst, text = (part.strip() for part in message.groups())
            for name in (src, dst):
                seq.participants.setdefault(name, name)
            seq.messages.append(Message(src, dst, clean(text), reply=arrow.startswith("--")))
    return seq
