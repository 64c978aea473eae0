"""NetworkPolicies: default deny in every namespace we create, then exactly the allows the plan implies.

Flows between namespaces come from the graph and carry no ports: the catalog names Service ports,
and a NetworkPolicy matches the pod's (target) port, which may differ. Flows whose catalog facet
names the pod's port carry exactly that port:
- every dependency edge whose provider serves endpoints: consumer namespace -> provider namespace;
- the ingress path: anywhere -> the ingress controller's namespace -> every exposed endpoint's namespace;
- the issuer: every namespace with an OIDC client (a UI's own login, an OAuth2 Proxy instance, Grafana)
  -> the ingress controller's namespace, where the issuer's public host is served;
- metrics: the metrics store's namespace -> every namespace with a metrics endpoint;
- webhooks: the API server -> each webhook's pod port (`webhooks`);
- operators: operator namespace -> the namespaces of the components it operates, on their ports (`operates`);
- host network: a component's egress to node addresses on the ports it reaches there (`node_flows`:
  the kubelet, node-exporter);
- DNS to kube-dns, and the Kubernetes API on the distribution's API server port and 443 (which also
  lets pods reach HTTPS outside the cluster: chart repositories, ACME, identity providers).
The API server and host-network pods live at node addresses, which homelab.yaml does not hold: those
peers are `ipBlock 0.0.0.0/0`, and the CNI's `ip_block_nodes` values (Cilium: policyCIDRMatchMode)
make that block select nodes (render/values.py merges them into the CNI's values).
Per namespace: `default-deny`, and one `allow` policy whose rules are, in order: same namespace,
DNS, Kubernetes API, then the flows (port-less flows one rule each way, port flows one rule per port set),
each rule's namespaces as one `In` selector on their name label, so a policy stays short enough to review.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from homelab.render import ingress, sso
from homelab.render.context import Context, Obj

API = "networking.k8s.io/v1"
NS_LABEL = "kubernetes.io/metadata.name"
ANYWHERE = {"ipBlock": {"cidr": "0.0.0.0/0"}}
HTTPS = 443
DEFAULT_API_PORT = 6443


@dataclass(frozen=True)
class Allow:
    """Traffic from namespace `source` to namespace `target` on `ports` (all when empty), and why.

    None as source or target is an address outside the pod network: anywhere, the API server, a node.
    """

    source: str | None
    target: str | None
    reason: str
    ports: tuple[int, ...] = ()


def api_port(ctx: Context) -> int:
    facts = ctx.catalog.distributions.get(ctx.cluster.kubernetes.distribution)
    return facts.api_server_port if facts else DEFAULT_API_PORT


def allows(ctx: Context) -> set[Allow]:
    """Every allowed flow of this environment, computed from the plan and the catalog's facets."""
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
        # OIDC clients reach the issuer at its public host, i.e. through the entry: a pod's connection to the
        # load balancer address is sent to the entry's pods, which an ipBlock never matches
        for ns in sso.talks_to_issuer(ctx):
            if ns != entry:
                found.add(Allow(ns, entry, "oidc:issuer"))
    prometheus = ctx.provider("metrics-store")
    for planned in ctx.components:
        comp = planned.component
        if prometheus and comp.metrics and comp.namespace != prometheus.namespace:
            found.add(Allow(prometheus.namespace, comp.namespace, "metrics:scrape"))
        for hook in comp.webhooks:
            found.add(Allow(None, comp.namespace, f"webhook:{hook.service or comp.name}", (hook.port,)))
        for node in comp.node_flows:
            found.add(Allow(comp.namespace, None, f"node:{node.name}", (node.port,)))
        for flow in comp.operates:
            for edge in ctx.plan.edges:
                operand = ctx.component(edge.consumer)
                if (edge.provider == comp.name and edge.capability == flow.capability
                        and operand.namespace != comp.namespace):
                    found.add(Allow(comp.namespace, operand.namespace, f"operator:{comp.name}", tuple(flow.ports)))
    return found


def _peers(namespaces: list[str | None]) -> list[dict[str, Any]]:
    """Anywhere, then the namespaces: one by its name label, several as one `In` selector (a line each)."""
    names = sorted(ns for ns in namespaces if ns is not None)
    out: list[dict[str, Any]] = [ANYWHERE] if None in namespaces else []
    if len(names) == 1:
        out.append({"namespaceSelector": {"matchLabels": {NS_LABEL: names[0]}}})
    elif names:
        out.append({"namespaceSelector": {"matchExpressions": [{"key": NS_LABEL, "operator": "In", "values": names}]}})
    return out


def _ports(ports: tuple[int, ...]) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": port} for port in ports]


def _rules(flows: list[Allow], peer_of: str, direction: str) -> list[dict[str, Any]]:
    """One rule for the port-less flows, one per port set; peers listed once each, in a stable order."""
    by_ports: dict[tuple[int, ...], list[str | None]] = defaultdict(list)
    for flow in flows:
        peer = getattr(flow, peer_of)
        if peer not in by_ports[flow.ports]:
            by_ports[flow.ports].append(peer)
    rules = []
    for ports in sorted(by_ports):
        rule: dict[str, Any] = {direction: _peers(by_ports[ports])}
        if ports:
            rule["ports"] = _ports(ports)
        rules.append(rule)
    return rules


def _policy(ctx: Context, ns: str, name: str, spec: dict[str, Any], reason: str) -> Obj:
    return ctx.obj(API, "NetworkPolicy", name, owner=ctx.platform, role="network-policy", group=ctx.namespace_group(ns),
                   namespace=ns, wave=ctx.namespace_wave(ns), spec={"podSelector": {}, **spec},
                   annotations={"homelab.dev/reason": reason})


def render(ctx: Context) -> list[Obj]:
    owned = ctx.owned_namespaces()
    if owned and ctx.provider("network-policy") is None:
        ctx.warnings.append("no network-policy provider in the plan: NetworkPolicies are rendered but the CNI "
                            "may not enforce them")
    ingress_to: dict[str, list[Allow]] = defaultdict(list)
    egress_from: dict[str, list[Allow]] = defaultdict(list)
    for allow in sorted(allows(ctx), key=lambda a: (a.target or "", a.source or "", a.ports, a.reason)):
        if allow.target is not None:
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
            {"to": [ANYWHERE], "ports": _ports(tuple(sorted({HTTPS, api_port(ctx)})))},
        ]
        reasons = ["same namespace", "DNS", "Kubernetes API"]
        ingress += _rules(ingress_to[ns], "source", "from")
        egress += _rules(egress_from[ns], "target", "to")
        reasons += sorted({f"in: {a.reason}" for a in ingress_to[ns]})
        reasons += sorted({f"out: {a.reason}" for a in egress_from[ns]})
        out.append(_policy(ctx, ns, "allow", {"policyTypes": ["Ingress", "Egress"], "ingress": ingress,
                                              "egress": egress}, "; ".join(reasons)))
    return out
