"""Which flows the NetworkPolicies of one environment admit, at namespace granularity.

Peers are a namespace's pods, or `NODE` (an address of a node: the API server of a self-hosted
control plane, host-network pods such as the kubelet and node-exporter). Kubernetes semantics: a pod
no policy of a direction selects is open in that direction; otherwise a flow needs a rule of a
selecting policy whose peer and port match. An `ipBlock` never matches pods (Cilium documents
"ipBlock set with a pod IP" as unsupported) and matches node addresses only where the CNI says so
(`ip_block_nodes`). Rules naming pod labels are taken to match (pods' labels are the charts' business).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

NODE = "<node>"
NS_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class Policy:
    namespace: str
    spec: dict[str, Any]

    def governs(self, direction: str) -> bool:
        types = self.spec.get("policyTypes") or (["Ingress", "Egress"] if self.spec.get("egress") else ["Ingress"])
        return direction in types


def _selects_namespace(selector: dict[str, Any], ns: str) -> bool:
    labels = {NS_LABEL: ns}
    wanted = selector.get("matchLabels") or {}
    if any(labels.get(k) != v for k, v in wanted.items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        value, op = labels.get(expr.get("key", "")), expr.get("operator")
        if (op == "In" and value not in expr.get("values", [])) or (op == "NotIn" and value in expr.get("values", [])):
            return False
        if (op == "Exists" and value is None) or (op == "DoesNotExist" and value is not None):
            return False
    return True


def _peer_matches(peer: dict[str, Any], home: str, other: str, ip_block_nodes: bool) -> bool:
    if "ipBlock" in peer:
        return other == NODE and ip_block_nodes
    if other == NODE:
        return False
    if "namespaceSelector" in peer:
        return _selects_namespace(peer["namespaceSelector"] or {}, other)
    return "podSelector" in peer and other == home


def _port_matches(rule: dict[str, Any], port: int) -> bool:
    ports = rule.get("ports")
    if not ports:
        return True
    for entry in ports:
        number = entry.get("port")
        if number is None or not isinstance(number, int):
            return True  # all ports, or a named port we cannot resolve here
        if number <= port <= int(entry.get("endPort", number)):
            return True
    return False


@dataclass
class Network:
    """The NetworkPolicies of one environment, by namespace, and whether ipBlock selects nodes."""

    policies: dict[str, list[Policy]]
    ip_block_nodes: bool = True

    @classmethod
    def of(cls, objects: list[dict[str, Any]], ip_block_nodes: bool = True) -> Network:
        found: dict[str, list[Policy]] = {}
        for obj in objects:
            if obj.get("kind") == "NetworkPolicy":
                ns = str((obj.get("metadata") or {}).get("namespace", ""))
                found.setdefault(ns, []).append(Policy(ns, obj.get("spec") or {}))
        return cls(found, ip_block_nodes)

    def _side(self, home: str, other: str, port: int, direction: str) -> bool:
        governing = [p for p in self.policies.get(home, []) if p.governs(direction)]
        if not governing:
            return True
        key, peers = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
        for policy in governing:
            for rule in policy.spec.get(key) or []:
                listed = rule.get(peers)
                if (not listed or any(_peer_matches(p, home, other, self.ip_block_nodes) for p in listed)) \
                        and _port_matches(rule, port):
                    return True
        return False

    def allows(self, source: str, target: str, port: int) -> bool:
        """True when a TCP connection from `source` to `target` on `port` passes both sides' policies."""
        out_ok = source == NODE or self._side(source, target, port, "Egress")
        in_ok = target == NODE or self._side(target, source, port, "Ingress")
        return out_ok and in_ok
