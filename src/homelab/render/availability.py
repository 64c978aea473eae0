"""Highly available where the chart supports it: replicas, a PodDisruptionBudget and pods spread over nodes.

Which values keys do it is data in each catalog entry (`availability`, with the chart's values.yaml as
evidence); this module only turns an environment's replica count into those keys. With two or more
copies the chart's own PodDisruptionBudget is switched on (or, for a chart without one, a budget selecting the
pods' labels the entry names is written beside it) and every pod gets a preferred anti-affinity
on `kubernetes.io/hostname` towards the pods of its own ReplicaSet or StatefulSet revision: `matchLabelKeys:
[pod-template-hash, controller-revision-hash]` narrows an empty selector to them (Kubernetes' documented use of
matchLabelKeys, beta and on by default since 1.31; a key the pod does not carry is ignored), so no chart's pod
labels need to be known, and a rolling update is not held back by the pods it replaces. Preferred, not
required: a cluster with fewer nodes than copies still schedules them all. A chart whose operator spreads its
pods itself (`spread_by_chart`) gets no affinity.

An operator-run store (`instances`) gets its member count written into its custom resource instead, at the
JSON pointers its entry names, and with two or more members the operator's own replication settings; where its
operator writes no PodDisruptionBudget (Keycloak's, RabbitMQ's), a budget over the pod labels the entry names.
"""

from __future__ import annotations

from typing import Any

from homelab.catalog.model import Availability, Instances

HOSTNAME = "kubernetes.io/hostname"
# a Deployment's pods carry the first, a StatefulSet's the second; a key the pod lacks is ignored
REVISION_LABELS = ["pod-template-hash", "controller-revision-hash"]
SPREAD: dict[str, Any] = {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
    {"weight": 100, "podAffinityTerm": {"topologyKey": HOSTNAME, "labelSelector": {},
                                        "matchLabelKeys": REVISION_LABELS}}]}}


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
    for path in facet.anti_affinity:
        out = merge(out, at(path, SPREAD["podAntiAffinity"]))
    return out


def budgets(facet: Availability, replicas: int, namespace: str) -> list[dict[str, Any]]:
    """The PodDisruptionBudgets homelab writes for a chart that has none (`budget_pods`, one per workload that
    runs copies), from two copies on. Stateless and leader-election copies need one left (minAvailable 1); the
    members of a replicated store keep their majority and their data copies only while one at a time is drained
    (maxUnavailable 1, as `store_budget`)."""
    if replicas < 2:
        return []
    keep = {"maxUnavailable": 1} if facet.mode == "replicated" else {"minAvailable": 1}
    return [{"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
             "metadata": {"name": name, "namespace": namespace},
             "spec": {**keep, "selector": {"matchLabels": dict(pods)}}}
            for name, pods in facet.budget_pods.items()]


def store_budget(facets: list[Instances], body: dict[str, Any], copies: int) -> dict[str, Any] | None:
    """The PodDisruptionBudget homelab writes beside an operator-run store whose operator writes none
    (`budget_pods`), from two members on. maxUnavailable 1, not minAvailable 1: a quorum of three keeps its
    majority only while one member at a time is drained (upstream's own examples, RabbitMQ's, say the same)."""
    pods = next((f.budget_pods for f in facets if f.kind == body.get("kind") and f.budget_pods), None)
    if copies < 2 or not pods:
        return None
    meta = body["metadata"]
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": meta["name"], "namespace": meta.get("namespace")},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": dict(pods)}}}


def members(facets: list[Instances], body: dict[str, Any], copies: int) -> dict[str, Any]:
    """`body` (a custom resource) with the member count of each facet of its kind set to `copies`."""
    from homelab.render.values import merge

    for facet in (f for f in facets if f.kind == body.get("kind")):
        for pointer in facet.count:
            set_pointer(body, pointer, copies)
        if copies >= 2:
            body = merge(body, facet.replicated)
    return body


def set_pointer(doc: Any, pointer: str, value: Any) -> None:
    """Replace the value at RFC 6901 `pointer` in `doc`; the resource must already hold it (a typo fails)."""
    steps = [s.replace("~1", "/").replace("~0", "~") for s in pointer.split("/")[1:]]
    for step in steps[:-1]:
        doc = doc[int(step)] if isinstance(doc, list) else doc[step]
    last: Any = int(steps[-1]) if isinstance(doc, list) else steps[-1]
    if (isinstance(doc, list) and not -len(doc) <= last < len(doc)) or (isinstance(doc, dict) and last not in doc):
        raise KeyError(f"{pointer}: the resource has no {steps[-1]!r} to set")
    doc[last] = value
