"""Dangling consumers in Helm values: a Service address in a namespace that is not deployed, an OIDC
client no identity provider registers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

SERVICE = re.compile(r"\b([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc\b")
CLIENT_KEYS = frozenset({"client_id", "clientID", "clientId", "client-id"})


def dangling(values: Any, namespaces: set[str], clients: set[Any], path: list[Any] | None = None,
             ) -> Iterator[tuple[list[Any], str]]:
    """(path, message) for each value that names a receiver this environment does not run."""
    path = path or []
    if isinstance(values, dict):
        for key, value in values.items():
            if key in CLIENT_KEYS and isinstance(value, str) and value not in clients and _oidc_on(values):
                yield [*path, key], f"OIDC client '{value}' is registered with no identity provider in the plan"
            yield from dangling(value, namespaces, clients, [*path, key])
    elif isinstance(values, list):
        for i, value in enumerate(values):
            yield from dangling(value, namespaces, clients, [*path, i])
    elif isinstance(values, str):
        for match in SERVICE.finditer(values):
            if match.group(3) not in namespaces:
                yield path, f"sends to {match.group(0)}, but namespace {match.group(3)} is not deployed"


def _oidc_on(block: dict[str, Any]) -> bool:
    """A block with a client id is live unless it says `enabled: false`."""
    return block.get("enabled", True) not in (False, "false")
