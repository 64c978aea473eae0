"""Resource and architecture fit: place every replica onto the environment's nodes.

First-fit-decreasing by the larger of the CPU and memory shares, keeping a headroom
fraction of every node free, spreading replicas of one component evenly across
nodes, and never placing an image on a node whose architecture it does not publish.
Components with several copies are placed first, while every node still has room for
one of them, so that losing a node loses one copy. A per-node component's DaemonSet
(its footprint) is charged on every node before anything else; its Deployments
(`footprint.copies`) are copies like any other component's.
"""

from __future__ import annotations

from collections import Counter

from homelab.config import Node
from homelab.errors import PlanError, Problem
from homelab.plan.model import NodeFit, Planned
from homelab.quantity import format_bytes, format_cpu


def _nodes(nodes: list[Node]) -> list[NodeFit]:
    return [NodeFit(n.name, n.arch, n.cpu, n.memory, n.storage, str(n.address) if n.address else None)
            for n in nodes]


def _check_arch(planned: list[Planned], fits: list[NodeFit], file: str, field: str) -> None:
    archs = {n.arch for n in fits}
    problems = []
    for p in planned:
        if not archs & set(p.component.arch):
            problems.append(Problem(
                f"{p.name} publishes images for {', '.join(p.component.arch)} only, but every node is "
                f"{', '.join(sorted(archs))}", file=file, field=field,
                hint=f"add a {p.component.arch[0]} node, or remove {p.name}"))
    if problems:
        raise PlanError(problems)


def place(planned: list[Planned], nodes: list[Node], headroom: float, file: str = "homelab.yaml",
          field: str = "cluster.nodes") -> list[NodeFit]:
    """Place all replicas; raise PlanError naming what does not fit and the room that is left.

    `field` is where the user wrote these nodes (the top-level cluster's, or an environment's own)."""
    fits = _nodes(nodes)
    _check_arch(planned, fits, file, field)
    keep = 1 - headroom
    room = {n.name: (int(n.cpu_total * keep), int(n.memory_total * keep), int(n.storage_total * keep))
            for n in fits}

    def fits_on(node: NodeFit, cpu: int, mem: int, disk: int) -> bool:
        cap = room[node.name]
        return (node.cpu_used + cpu <= cap[0] and node.memory_used + mem <= cap[1]
                and node.storage_used + disk <= cap[2])

    def put(node: NodeFit, name: str, cpu: int, mem: int, disk: int, every_node: bool = False) -> None:
        node.cpu_used += cpu
        node.memory_used += mem
        node.storage_used += disk
        (node.every_node if every_node else node.placed).append(name)

    items: list[tuple[str, int, int, int, set[str]]] = []
    problems = []
    total_cpu = sum(room[n.name][0] for n in fits) or 1
    total_mem = sum(room[n.name][1] for n in fits) or 1
    for p in planned:
        eligible = {n.name for n in fits if n.arch in p.component.arch}
        per = p.per_node()
        if per is not None:  # its DaemonSet, on every node first; its Deployments' copies below like any others
            for node in fits:
                if node.name in eligible:
                    if not fits_on(node, *per):
                        problems.append(_no_room(p.name, per, node, room, field=field))
                    put(node, p.name, *per, every_node=True)
        cpu, mem, disk = p.requests()
        count = max(p.replicas, 1) if (cpu or mem or disk) else 0
        for _ in range(count):
            items.append((p.name, cpu // count, mem // count, disk // count, eligible))
    # copies first, while every node has room to take one each; then first-fit-decreasing by size
    copies_of = Counter(item[0] for item in items)
    items.sort(key=lambda i: (copies_of[i[0]] < 2, -max(i[1] / total_cpu, i[2] / total_mem), i[0]))
    copies: Counter[tuple[str, str]] = Counter()  # (node, component) -> replicas placed there
    for name, cpu, mem, disk, eligible in items:
        candidates = [n for n in fits if n.name in eligible and fits_on(n, cpu, mem, disk)]
        if not candidates:
            problems.append(_no_room(name, (cpu, mem, disk), None, room, fits, field))
            continue
        target = min(candidates, key=lambda n: copies[(n.name, name)])
        put(target, name, cpu, mem, disk)
        copies[(target.name, name)] += 1
    if problems:
        raise PlanError(problems[:10] + ([Problem(f"... and {len(problems) - 10} more that do not fit")]
                                         if len(problems) > 10 else []))
    return fits


def _no_room(name: str, need: tuple[int, int, int], node: NodeFit | None, room: dict[str, tuple[int, int, int]],
             fits: list[NodeFit] | None = None, field: str = "cluster.nodes") -> Problem:
    """A copy that fits on no node (`fits`: the node with most room is named), or a per-node part that does not
    fit on `node` itself (a DaemonSet runs on every node, so that node is the one to grow)."""
    want = f"cpu {format_cpu(need[0])}, memory {format_bytes(need[1])}, storage {format_bytes(need[2])}"
    if node is not None:
        message = f"{name} does not fit: its part on every node needs {want}; {_left(node, room, 'room left on')}"
    elif fits:
        most = max(fits, key=lambda n: (room[n.name][1] - n.memory_used, room[n.name][0] - n.cpu_used))
        message = f"{name} does not fit: a replica needs {want}; {_left(most, room, 'most room left is on')}"
    else:
        message = f"{name} does not fit: a replica needs {want}"
    return Problem(message, field=field, hint="add nodes or memory, lower replicas, or remove components")


def _left(node: NodeFit, room: dict[str, tuple[int, int, int]], saying: str) -> str:
    cap = room[node.name]
    return (f"{saying} {node.name}: cpu {format_cpu(max(cap[0] - node.cpu_used, 0))}, "
            f"memory {format_bytes(max(cap[1] - node.memory_used, 0))}, "
            f"storage {format_bytes(max(cap[2] - node.storage_used, 0))}")
