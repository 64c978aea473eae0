"""Highly available where the chart supports it: replicas, a PodDisruptionBudget and pods spread over nodes.

Which values keys do it is data in each catalog entry (`availability`, with the chart's values.yaml as
evidence); this module only turns an environment's replica count into those keys. With two or more
copies the chart's own PodDisruptionBudget is switched on and every pod gets a preferred anti-affinity
on `kubernetes.io/hostname` towards the pods of its own ReplicaSet: `matchLabelKeys: [pod-template-hash]`
narrows an empty selector to them (Kubernetes' documented use of matchLabelKeys, beta and on by default
since 1.31), so no chart's pod labels need to be known, and a rolling update is not held back by the pods
it replaces. Preferred, not required: a cluster with fewer nodes than copies still schedules them all.
"""

from __future__ import annotations

from typing import Any

from homelab.catalog.model import Availability

HOSTNAME = "kubernetes.io/hostname"
SPREAD: dict[str, Any] = {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
    {"weight": 100, "podAffinityTerm": {"topologyKey": HOSTNAME, "labelSelector": {},
                                        "matchLabelKeys": ["pod-template-hash"]}}]}}


def at(dotted: str, value: Any) -> dict[str, Any]:
    """`a.b.c` and a value -> {a: {b: {c: value}}}."""
    out: Any = value
    for key in reversed(dotted.split(".")):
        out = {key: out}
    return dict(out)


def values(facet: Availability, replicas: int) -> dict[str, Any]:
    """The Helm values that run `replicas` copies as the entry says: one copy is just the count."""
    from homelab.render.values import merge

    out: dict[str, Any] = {}
    for path in facet.replicas:
        out = merge(out, at(path, replicas))
    if replicas < 2:
        return out
    out = merge(merge(out, facet.disruption_budget), facet.values)
    for path in facet.affinity:
        out = merge(out, at(path, SPREAD))
    return out
