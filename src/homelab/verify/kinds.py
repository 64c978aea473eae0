"""Every probe kind, by name and alias. Importing a family module registers its kinds.

Family modules import their client libraries inside `check`, so loading this table
stays fast for `homelab --help` and for validating a targets file.
"""

from __future__ import annotations

import functools

from homelab.verify import (  # noqa: F401 - importing a family registers its kinds
    amqp,
    analytics,
    authz,
    backup,
    cache,
    data_flow,
    directory,
    document,
    etcd,
    graph,
    identity,
    kafka,
    metrics,
    mlops,
    mqtt,
    nats_jetstream,
    objectstore,
    request_path,
    search,
    sql,
    vault,
    vector,
    web,
)
from homelab.verify.base import REGISTRY, Probe


@functools.cache
def _sorted_kinds(_count: int) -> tuple[str, ...]:
    return tuple(sorted(REGISTRY))


def known_kinds() -> list[str]:
    return list(_sorted_kinds(len(REGISTRY)))  # sorted once per registry size, not once per target


def probe_class(kind: str) -> type[Probe]:
    return REGISTRY[kind]


def canonical(kind: str) -> str:
    """The main name of a kind given one of its aliases (`mariadb` -> `mysql`)."""
    return REGISTRY[kind].kind
