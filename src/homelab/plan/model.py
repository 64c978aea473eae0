"""The plan as plain data: what will be installed, in which wave, where, and why."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from homelab.catalog.model import Component
from homelab.quantity import format_bytes, format_cpu


@dataclass
class Edge:
    """`consumer` needs `capability`, satisfied by `provider`; `optional` for `uses` wiring."""

    consumer: str
    capability: str
    provider: str
    optional: bool = False


@dataclass
class Planned:
    """One component as planned for one environment."""

    component: Component
    wave: int = 0
    reasons: list[str] = field(default_factory=list)
    replicas: int = 1
    version: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.component.name

    def requests(self) -> tuple[int, int, int]:
        """(millicores, bytes of memory, bytes of storage) of all its copies in this environment; for a per-node
        component only its Deployments' copies (`footprint.copies`), its DaemonSet being `per_node()`."""
        fp = self.component.footprint
        if fp.per_node:
            one = fp.copies
            if one is None:
                return 0, 0, 0
            return one.cpu * self.replicas, one.memory * self.replicas, one.storage * self.replicas
        base = max(fp.replicas, 1)
        scale = self.replicas / base
        return int(fp.cpu * scale), int(fp.memory * scale), int(fp.storage * scale)

    def per_node(self) -> tuple[int, int, int] | None:
        """What it requests on every node it runs on (its DaemonSet); None for a component that runs copies only."""
        fp = self.component.footprint
        return (fp.cpu, fp.memory, fp.storage) if fp.per_node else None


@dataclass
class NodeFit:
    name: str
    arch: str
    cpu_total: int
    memory_total: int
    storage_total: int
    address: str | None = None
    cpu_used: int = 0
    memory_used: int = 0
    storage_used: int = 0
    placed: list[str] = field(default_factory=list)  # one entry per copy placed here
    every_node: list[str] = field(default_factory=list)  # per-node components (their DaemonSet) on this node

    def components(self) -> set[str]:
        """Every component with pods on this node: its copies and its per-node parts."""
        return set(self.placed) | set(self.every_node)


@dataclass
class Site:
    """Where one environment runs: its cluster (context, distribution, network, addresses, host names)."""

    context: str | None  # None: the current kube context
    distribution: str
    version: str
    network: str
    addresses: list[str]  # load-balancer addresses
    hosts: str  # the domain its UIs' host names end in
    own_cluster: bool  # it has an `environments.<env>.cluster` of its own
    nodes_field: str  # where its nodes are written in homelab.yaml
    shares_context_with: list[str] = field(default_factory=list)  # other environments also on the current context
    host: str | None = None  # the environment whose cluster it runs on, as namespaces `<prefix>-*`
    prefix: str | None = None
    guests: list[str] = field(default_factory=list)  # environments running as prefixed namespaces on its cluster

    def to_json(self) -> dict[str, Any]:
        return {"kube_context": self.context, "distribution": self.distribution, "version": self.version,
                "network": self.network, "load_balancer": self.addresses, "hosts": f"*.{self.hosts}",
                "own_cluster": self.own_cluster, "shares_context_with": self.shares_context_with,
                "namespaces": f"{self.prefix}-*" if self.prefix else None, "host": self.host, "guests": self.guests}


@dataclass
class Plan:
    env: str
    profile: str
    components: dict[str, Planned]  # in install order: wave, then layer, then name
    edges: list[Edge]
    nodes: list[NodeFit]
    headroom: float
    warnings: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # profile members not installed, and why
    site: Site | None = None  # where it runs (None for plans built by hand in tests)
    # the placement of everything on a cluster this environment shares (namespace_prefix); None when it is alone
    cluster_nodes: list[NodeFit] | None = None
    hosted: list[str] = field(default_factory=list)  # planned here, installed by the host (cluster-wide components)

    def waves(self) -> list[list[str]]:
        out: list[list[str]] = []
        for planned in self.components.values():
            while len(out) <= planned.wave:
                out.append([])
            out[planned.wave].append(planned.name)
        return out

    def requires_of(self, name: str, optional: bool = False) -> list[Edge]:
        return [e for e in self.edges if e.consumer == name and e.optional == optional]

    def provider_of(self, capability: str) -> str | None:
        """The planned component that provides `capability` (the first by install order)."""
        for planned in self.components.values():
            if capability in planned.component.provides:
                return planned.name
        return None

    def totals(self) -> tuple[int, int, int]:
        """Requests as placed: a per-node component counts once on every node it runs on."""
        return (sum(n.cpu_used for n in self.nodes), sum(n.memory_used for n in self.nodes),
                sum(n.storage_used for n in self.nodes))

    def to_json(self) -> dict[str, Any]:
        cpu, memory, storage = self.totals()
        return {
            "env": self.env,
            "profile": self.profile,
            "cluster": self.site.to_json() if self.site else None,
            "warnings": self.warnings,
            "skipped": self.skipped,
            "totals": {"cpu": format_cpu(cpu), "memory": format_bytes(memory), "storage": format_bytes(storage)},
            "waves": self.waves(),
            "components": [
                {
                    "name": p.name,
                    "title": p.component.title,
                    "layer": p.component.layer,
                    "category": p.component.category,
                    "categories": p.component.categories,
                    "namespace": p.component.namespace,
                    "wave": p.wave,
                    "version": p.version,
                    "replicas": p.replicas,
                    "maturity": p.component.maturity.status,
                    "requests": _requests_json(p.requests()),
                    "per_node": None if (each := p.per_node()) is None else _requests_json(each),
                    "requires": [asdict(e) for e in self.requires_of(p.name)],
                    "uses": [asdict(e) for e in self.requires_of(p.name, optional=True)],
                    "reasons": p.reasons,
                    "warnings": p.warnings,
                    "installed_by": self.site.host if self.site and p.name in self.hosted else self.env,
                }
                for p in self.components.values()
            ],
            "nodes": [_node_json(n) for n in self.nodes],
            "cluster_nodes": None if self.cluster_nodes is None else [_node_json(n) for n in self.cluster_nodes],
        }


def _node_json(n: NodeFit) -> dict[str, Any]:
    return {
        "name": n.name, "arch": n.arch, "address": n.address,
        "cpu": {"used": format_cpu(n.cpu_used), "total": format_cpu(n.cpu_total)},
        "memory": {"used": format_bytes(n.memory_used), "total": format_bytes(n.memory_total)},
        "storage": {"used": format_bytes(n.storage_used), "total": format_bytes(n.storage_total)},
        "components": sorted(n.components()),
    }


def _requests_json(requests: tuple[int, int, int]) -> dict[str, str]:
    cpu, memory, storage = requests
    return {"cpu": format_cpu(cpu), "memory": format_bytes(memory), "storage": format_bytes(storage)}
