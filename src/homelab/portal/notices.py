"""Plan facts a card explains: why there is no pinned version, and ingress hosts two components share."""

from __future__ import annotations

from collections.abc import Callable

from homelab.catalog.model import Component, Endpoint
from homelab.config import Config
from homelab.plan import Plan

IngressUrl = Callable[[Config, str, Component, Endpoint], str]


def version_note(plan: Plan, name: str) -> str:
    """Why a component has no chart version: the operator that runs it picks the image (its custom resources)."""
    planned = plan.components[name]
    if planned.version:
        return ""
    operators = [plan.components[e.provider].component.title for e in plan.requires_of(name)
                 if plan.components[e.provider].component.operator]
    by = f" by {operators[0]}" if operators else ""
    if planned.component.source.app_version:
        return f"runs as custom resources{by}; the resource pins the application version"
    return f"runs as custom resources{by}; the operator's default image, no version pinned"


def shared_hosts(plan: Plan, config: Config, url: IngressUrl) -> dict[str, list[str]]:
    """Exposed endpoints of different components on one host name: the ingress can route only one of them."""
    by_host: dict[str, list[tuple[str, str]]] = {}
    for planned in plan.components.values():
        for e in planned.component.endpoints:
            if e.expose:
                address = url(config, plan.env, planned.component, e)
                by_host.setdefault(address.removeprefix("https://"), []).append((planned.name, e.name))
    out: dict[str, list[str]] = {}
    for host, users in by_host.items():
        owners = sorted({name for name, _ in users})
        if len(owners) > 1:
            for name in owners:
                others = ", ".join(o for o in owners if o != name)
                out.setdefault(name, []).append(f"shares host {host} with {others}: only one of them answers "
                                                "there (give one endpoint another `host`)")
    return out
