"""Which components a shared cluster installs once and which each environment gets in its own namespaces.

Environments sharing a cluster (`namespace_prefix`) install the cluster-wide components once, in the
host environment; every other environment gets its own copy of the rest in `<prefix>-<namespace>`.
What is cluster-wide is derived from facts the entries already state (an operator, CRDs, admission
webhooks, a DaemonSet, host-network ports, a capability one cluster has one of, something a
distribution bundles): each of them writes cluster-scoped objects or holds a node; so is an operand of
an operator that reconciles only its own namespace (its `watches`). An operand declared only as
custom resources (`source: none`) is per environment. For the rest the entry says so in
`scope` with the chart templates read as evidence; an entry nothing classifies is installed once
(never twice by mistake) and named in the plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from homelab.catalog.model import Component

if TYPE_CHECKING:
    from homelab.catalog.loader import Catalog

Level = Literal["cluster", "namespace"]


@dataclass(frozen=True)
class Placement:
    level: Level | None  # None: nothing says (installed once, with a warning)
    why: str


def cluster_facts(comp: Component, catalog: Catalog) -> list[str]:
    """The facts of `comp` that make it cluster-wide, in words; empty when none does."""
    caps = catalog.capabilities
    single = [cap for cap in comp.provides if cap in caps and (caps[cap].exclusive or caps[cap].bootstrap)]
    facts = [
        ("an operator others consume", comp.operator),
        ("installs CRDs", comp.crds is not None),
        ("registers admission webhooks", bool(comp.webhooks)),
        ("a DaemonSet on every node", comp.footprint.per_node),
        ("the CNI", comp.ip_block_nodes is not None),
        ("opens host-network ports", bool(comp.node_flows)),
        (f"provides {', '.join(single)}, one per cluster", bool(single)),
        (f"bundled with {', '.join(comp.bundled_with)}", bool(comp.bundled_with)),
    ]
    return [text for text, holds in facts if holds]


def narrow_operators(comp: Component, catalog: Catalog) -> list[str]:
    """Operators `comp` requires that are not known to reconcile every namespace: its copy in a prefixed
    namespace would never be reconciled, so it can only be the one in the operator's reach."""
    out = []
    for cap in comp.requires:
        for name in catalog.providers.get(cap, []):
            provider = catalog.components[name]
            if provider.operator and not (provider.watches and provider.watches.all_namespaces):
                out.append(name)
    return sorted(set(out))


def placement(comp: Component, catalog: Catalog) -> Placement:
    facts = cluster_facts(comp, catalog)
    for name in narrow_operators(comp, catalog):
        watches = catalog.components[name].watches
        facts.append(f"run by {name}, which reconciles only its own namespace" if watches else
                     f"run by {name}, not known to reconcile every namespace (no `watches`)")
    if facts:
        return Placement("cluster", "; ".join(facts))
    if comp.scope is not None:
        return Placement(comp.scope.level, comp.scope.reason)
    if comp.source.kind == "none":
        return Placement("namespace", "only custom resources in its own namespace (source: none)")
    return Placement(None, "neither its facts nor a `scope` say whether it may be installed once per environment")


def per_environment(comp: Component, catalog: Catalog) -> bool:
    """True when each environment on a shared cluster gets its own copy; False: the host's is the only one."""
    return placement(comp, catalog).level == "namespace"


def contradictions(comp: Component, catalog: Catalog) -> list[str]:
    """A `scope: namespace` on an entry whose facts make it cluster-wide (the loader refuses it)."""
    facts = cluster_facts(comp, catalog)
    if comp.scope is not None and comp.scope.level == "namespace" and facts:
        return [f"scope says namespace, but it is cluster-wide: {'; '.join(facts)}"]
    return []
