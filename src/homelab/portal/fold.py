"""Operators and CRD entries shown inside the system they serve, not as systems of their own.

Derived from catalog facts only: an entry with `operator: true` that the design does not name
as a system (no `design` place) is folded into the planned component that requires what it
provides, following chains (TiDB's CRDs -> TiDB Operator -> TiDB). With several such consumers,
the one the design names in the operator's own layer and category wins; when none stands out
(cert-manager serves Barman and Flink alike) the operator stays a system of its own.
"""

from __future__ import annotations

from homelab.plan import Plan


def _host(plan: Plan, name: str) -> str | None:
    comp = plan.components[name].component
    if not comp.operator or comp.design:
        return None
    consumers = sorted({e.consumer for e in plan.edges if e.provider == name and not e.optional} - {name})
    if len(consumers) == 1:
        return consumers[0]

    def score(consumer: str) -> tuple[bool, bool, bool]:
        other = plan.components[consumer].component
        return (other.layer == comp.layer and other.category == comp.category, other.layer == comp.layer,
                bool(other.design))

    ranked = sorted(consumers, key=score, reverse=True)
    if len(ranked) < 2 or not score(ranked[0])[1] or score(ranked[0]) == score(ranked[1]):
        return None
    return ranked[0]


def hosts(plan: Plan) -> dict[str, str]:
    """Folded component -> the system it is shown in (never itself folded)."""
    direct = {name: host for name in plan.components if (host := _host(plan, name)) is not None}
    out = {}
    for name, host in direct.items():
        seen = {name}
        while host in direct and host not in seen:
            seen.add(host)
            host = direct[host]
        if host not in seen:
            out[name] = host
    return out
