"""NetworkPolicies: default deny in every namespace we create, then exactly the allows the graph implies.

Allows are namespace to namespace: the catalog names Service ports, and a NetworkPolicy matches
the pod's (target) port, which may differ, so a port list would silently block traffic. The allows:
- every dependency edge whose provider serves endpoints: consumer namespace -> provider namespace;
- the ingress path: anywhere -> the ingress controller's namespace -> every exposed endpoint's namespace;
- metrics: the metrics store's namespace -> every namespace with a metrics endpoint;
- DNS to kube-dns, and the Kubernetes API (controllers and operators all watch it). homelab.yaml does
  not hold the API server's address, so that rule is TCP 443/6443 to any address, which also lets
  pods reach HTTPS outside the cluster (chart repositories, ACME, identity providers).
Per namespace: `default-deny`, and one `allow` policy whose rules are, in order: same namespace,
DNS, Kubernetes API, then the graph's flows (one rule each way, the peers listed).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from homelab.render import ingress
from homelab.render.context import Context, Obj

API = "networking.k8s.io/v1"
NS_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class Allow:
    """Traffic from namespace `source` (None = anywhere) to namespace `target`, and why."""

    source: str | None
    target: str
    reason: str


def allows(ctx: Context) -> set[Allow]:
    """Every allowed namespace-to-namespace flow of this environment, computed from the plan."""
    found: set[Allow] = set()
    for edge in ctx.plan.edges:
        consumer, provider = ctx.component(edge.consumer), ctx.component(edge.provider)
        if provider.endpoints and consumer.namespace != provider.namespace:
            found.add(Allow(consumer.namespace, provider.namespace, f"dependency:{edge.capability}"))
    entry = ingress.entry_namespace(ctx)
    if entry:
        found.add(Allow(None, entry, "ingress:public"))
        for comp, _ in ctx.exposed():
            if comp.namespace != entry:
                found.add(Allow(entry, comp.namespace, "ingress:route"))
    prometheus = ctx.provider("metrics-store")
    if prometheus:
        for planned in ctx.components:
            ns = planned.component.namespace
            if planned.component.metrics and ns != prometheus.namespace:
                found.add(Allow(prometheus.namespace, ns, "metrics:scrape"))
    return found


def _peer(ns: str | None) -> dict[str, Any]:
    if ns is None:
        return {"ipBlock": {"cidr": "0.0.0.0/0"}}
    return {"namespaceSelector": {"matchLabels": {NS_LABEL: ns}}}


def _policy(ctx: Context, ns: str, name: str, spec: dict[str, Any], reason: str) -> Obj:
    return ctx.obj(API, "NetworkPolicy", name, owner=ctx.platform, role="network-policy", group=ctx.namespace_group(ns),
                   namespace=ns, wave=ctx.namespace_wave(ns), spec={"podSelector": {}, **spec},
                   annotations={"homelab.dev/reason": reason})


def render(ctx: Context) -> list[Obj]:
    owned = ctx.owned_namespaces()
    if owned and ctx.provider("network-policy") is None:
        ctx.warnings.append("no network-policy provider in the plan: NetworkPolicies are rendered but the CNI "
                            "may not enforce them")
    flows = allows(ctx)
    ingress_to: dict[str, list[Allow]] = defaultdict(list)
    egress_from: dict[str, list[Allow]] = defaultdict(list)
    for allow in sorted(flows, key=lambda a: (a.target, a.source or "", a.reason)):
        ingress_to[allow.target].append(allow)
        if allow.source is not None:
            egress_from[allow.source].append(allow)
    out = []
    for ns in owned:
        out.append(_policy(ctx, ns, "default-deny", {"policyTypes": ["Ingress", "Egress"]},
                           "deny everything the allow policy does not allow"))
        ingress: list[dict[str, Any]] = [{"from": [{"podSelector": {}}]}]
        egress: list[dict[str, Any]] = [
            {"to": [{"podSelector": {}}]},
            {"to": [{"namespaceSelector": {"matchLabels": {NS_LABEL: "kube-system"}},
                     "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
             "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
            {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
             "ports": [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 6443}]},
        ]
        reasons = ["same namespace", "DNS", "Kubernetes API"]
        if ingress_to[ns]:
            ingress.append({"from": [_peer(source) for source in dict.fromkeys(a.source for a in ingress_to[ns])]})
            reasons += sorted({f"in: {a.reason}" for a in ingress_to[ns]})
        if egress_from[ns]:
            egress.append({"to": [_peer(target) for target in sorted({a.target for a in egress_from[ns]})]})
            reasons += sorted({f"out: {a.reason}" for a in egress_from[ns]})
        out.append(_policy(ctx, ns, "allow", {"policyTypes": ["Ingress", "Egress"], "ingress": ingress,
                                              "egress": egress}, "; ".join(reasons)))
    return out
