"""An independent connectivity check: from the rendered NetworkPolicies alone, which namespace can open
which port to which; every flow the platform needs is open, and nothing else is.

The analyzer here is written apart from homelab.validate.netpol on purpose (a second reading of the
same semantics). Peers: owned namespaces and NODE, a node's address (the API server, the kubelet,
host-network pods, and anything outside the pod network). An ipBlock matches NODE only where the CNI
makes it (Cilium: policyCIDRMatchMode [nodes] in the values the tree installs it with) and never pods.
Ports: every port a policy names, plus one no policy names (standing for "any other port").
"""

from __future__ import annotations

from itertools import product
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.profiles import PROFILES, config_for

from homelab.catalog import load_catalog
from homelab.plan import make_plan
from homelab.render import env_objects

NODE = "<node>"
OTHER_PORT = 1
NAME = "kubernetes.io/metadata.name"


def _peer_ok(peer: dict[str, Any], home: str, other: str, ip_nodes: bool) -> bool:
    if "ipBlock" in peer:
        return other == NODE and ip_nodes
    if other == NODE:
        return False
    if "namespaceSelector" in peer:
        selector = peer["namespaceSelector"]
        labels = selector.get("matchLabels") or {}
        for expression in selector.get("matchExpressions") or []:  # render lists several namespaces as `In`
            assert expression["key"] == NAME and expression["operator"] == "In", expression
            if other not in expression["values"]:
                return False
        return all(k == NAME and v == other for k, v in labels.items())
    return other == home


def _admits(policies: list[dict[str, Any]], key: str, peers: str, home: str, other: str, port: int,
            ip_nodes: bool) -> bool:
    selecting = [p for p in policies if key.capitalize() in p.get("policyTypes", [])]
    if not selecting:
        return True
    for spec in selecting:
        for rule in spec.get(key, []):
            ports = [p["port"] for p in rule.get("ports", [])]
            if (not ports or port in ports) and any(_peer_ok(p, home, other, ip_nodes) for p in rule[peers]):
                return True
    return False


def open_flows(objects: list[dict[str, Any]], ip_nodes: bool) -> tuple[set[tuple[str, str, int]], set[int]]:
    """Every (source, target, port) the policies admit between owned namespaces and NODE."""
    by_ns: dict[str, list[dict[str, Any]]] = {}
    for obj in objects:
        if obj["kind"] == "NetworkPolicy":
            by_ns.setdefault(obj["metadata"]["namespace"], []).append(obj["spec"])
    ports = {p["port"] for specs in by_ns.values() for s in specs for d in ("ingress", "egress")
             for r in s.get(d, []) for p in r.get("ports", []) if isinstance(p.get("port"), int)} | {OTHER_PORT}
    peers = [*by_ns, NODE]
    found = set()
    for src, dst, port in product(peers, peers, sorted(ports)):
        if src == dst:
            continue
        out_ok = src == NODE or _admits(by_ns[src], "egress", "to", src, dst, port, ip_nodes)
        in_ok = dst == NODE or _admits(by_ns[dst], "ingress", "from", dst, src, port, ip_nodes)
        if out_ok and in_ok:
            found.add((src, dst, port))
    return found, ports


def needed_flows(profile: str, env: str) -> set[tuple[str, str, int | None]]:
    """What the platform needs, from the plan and the catalog's facets (None: any port)."""
    catalog = load_catalog()
    plan = make_plan(config_for(profile), catalog, env)
    comps = {n: p.component for n, p in plan.components.items()}
    need: set[tuple[str, str, int | None]] = set()
    for e in plan.edges:
        if comps[e.provider].endpoints:
            need.add((comps[e.consumer].namespace, comps[e.provider].namespace, None))
        for flow in comps[e.provider].operates:
            if flow.capability == e.capability:
                need |= {(comps[e.provider].namespace, comps[e.consumer].namespace, port) for port in flow.ports}
    entry = comps[str(plan.provider_of("ingress"))].namespace
    need.add((NODE, entry, None))
    need |= {(entry, c.namespace, None) for c in comps.values() if any(e.expose for e in c.endpoints)}
    if plan.provider_of("identity-provider"):  # OIDC clients reach the issuer's public host through the entry
        need |= {(c.namespace, entry, None) for c in comps.values() for e in c.endpoints if e.expose and (
            (e.sso == "oidc" and c.oidc) or (e.sso == "proxy" and plan.provider_of("auth-proxy")))}
    metrics = comps[str(plan.provider_of("metrics-store"))].namespace
    need |= {(metrics, c.namespace, None) for c in comps.values() if c.metrics}
    api = catalog.distributions["k3s"].api_server_port
    for c in comps.values():
        need |= {(NODE, c.namespace, hook.port) for hook in c.webhooks}
        need |= {(c.namespace, NODE, node.port) for node in c.node_flows}
        need |= {(c.namespace, NODE, port) for port in (api, 443)}  # the API server, and HTTPS out
    return need


@pytest.mark.parametrize("profile", PROFILES)
def test_needed_flows_are_open_and_nothing_else(trees: dict[str, Path], profile: str) -> None:
    tree = trees[profile]
    for env in ("dev", "prod"):
        values = yaml.safe_load((tree / "bootstrap" / env / "cilium.values.yaml").read_text())
        ip_nodes = "nodes" in (values.get("policyCIDRMatchMode") or [])
        assert ip_nodes, "the platform's API and node flows rely on Cilium matching nodes with ipBlock"
        opened, ports = open_flows(env_objects(tree, env), ip_nodes)
        owned = {s for s, _, _ in opened if s != NODE} | {d for _, d, _ in opened if d != NODE}
        need = {f for f in needed_flows(profile, env) if f[0] != f[1] and {f[0], f[1]} <= owned | {NODE}}
        missing = [f for f in need if (f[2] is None and (f[0], f[1], OTHER_PORT) not in opened)
                   or (f[2] is not None and (f[0], f[1], f[2]) not in opened)]
        assert not missing, f"{env}: needed but closed: {sorted(missing, key=str)[:10]}"
        explained = {(s, d, p) for s, d, p in opened
                     if (s, d, None) in need or (s, d, p) in need}
        extra = sorted(opened - explained, key=str)
        assert not extra, f"{env}: open but not needed: {extra[:10]}"
        assert len(ports) > 5 and len(opened) > 20
