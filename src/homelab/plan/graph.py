"""Install order: topological levels over `requires`, with cycles reported by their path."""

from __future__ import annotations

from homelab.errors import PlanError, Problem
from homelab.plan.model import Edge


def find_cycle(nodes: list[str], deps: dict[str, list[str]]) -> list[str] | None:
    """A dependency cycle as a path `[a, b, c, a]`, or None. Iterative DFS (no recursion limit)."""
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    for root in nodes:
        if state.get(root):
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = []
        while stack:
            node, index = stack.pop()
            if index == 0:
                state[node] = 1
                path.append(node)
            children = deps.get(node, [])
            if index < len(children):
                stack.append((node, index + 1))
                child = children[index]
                if state.get(child) == 1:
                    return [*path[path.index(child):], child]
                if not state.get(child):
                    stack.append((child, 0))
            else:
                state[node] = 2
                path.pop()
    return None


def waves(nodes: list[str], edges: list[Edge]) -> dict[str, int]:
    """Wave of each component: 0 without requirements, else one more than its deepest provider."""
    deps: dict[str, list[str]] = {name: [] for name in nodes}
    for edge in edges:
        if not edge.optional and edge.provider != edge.consumer:
            deps[edge.consumer].append(edge.provider)
    cycle = find_cycle(sorted(nodes), {k: sorted(set(v)) for k, v in deps.items()})
    if cycle:
        raise PlanError([Problem("dependency cycle: " + " → ".join(cycle),
                                 hint="one of these entries must stop requiring the next")])
    level: dict[str, int] = {}
    indegree = {name: len(set(deps[name])) for name in nodes}
    users: dict[str, list[str]] = {name: [] for name in nodes}
    for consumer, providers in deps.items():
        for provider in set(providers):
            users[provider].append(consumer)
    ready = [name for name in nodes if indegree[name] == 0]
    for name in ready:
        level[name] = 0
    while ready:
        name = ready.pop()
        for user in users[name]:
            level[user] = max(level.get(user, 0), level[name] + 1)
            indegree[user] -= 1
            if indegree[user] == 0:
                ready.append(user)
    return level
