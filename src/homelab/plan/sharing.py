"""Environments sharing one cluster as prefixed namespaces (`environments.<env>.namespace_prefix`): planning.

A guest environment's per-environment components (catalog/scope) move to `<prefix>-<namespace>`
before anything else sees them, with every service name of such a namespace their data writes
(`<service>.<namespace>.svc`) and every `namespace:` they name; so the plan reports the namespaces
they really get and renderers derive hosts, peers and destinations from them as always. The
cluster-wide components stay where they are: they are the host's, which the guest uses. Every
environment on a shared cluster is also fitted together with the others (`cluster_load`,
`place_together`): the host's components and each guest's own, so the cluster-wide ones count once.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from homelab import yamlsrc
from homelab.catalog.loader import Catalog
from homelab.catalog.model import Component
from homelab.catalog.scope import per_environment
from homelab.config import Cluster, Config
from homelab.errors import InputError, PlanError, Problem
from homelab.plan import fit
from homelab.plan.model import NodeFit, Planned

MAX_NAMESPACE = 63


def guest_prefix(config: Config, env: str) -> str | None:
    """The prefix of an environment that runs on its host's cluster; None for a host or a cluster of its own."""
    return config.prefix_of(env) if config.host_of(env) is not None else None


def _rename(value: Any, names: dict[str, str], service: re.Pattern[str], key: str = "") -> Any:
    """`value` with every `namespace:` in `names` and every `<service>.<namespace>.svc` of one renamed."""
    if isinstance(value, dict):
        return {k: _rename(v, names, service, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_rename(v, names, service, key) for v in value]
    if isinstance(value, str):
        if key == "namespace" and value in names:
            return names[value]
        return service.sub(lambda m: f".{names[m.group(1)]}.svc", value)
    return value


def _line(file: str, loc: yamlsrc.PathKey) -> int | None:
    """The line of `loc` in the user's file, read again only to point at an error."""
    path = Path(file)
    if not path.is_file():
        return None
    try:
        return yamlsrc.read(path, "config file").line_of(loc)
    except InputError:  # the file changed under us: the error stands without a line
        return None


def moved(config: Config, catalog: Catalog, env: str, names: list[str], file: str) -> dict[str, Component]:
    """The planned components `names` as `env` runs them: a guest's per-environment ones in their prefixed
    namespaces, the rest as the catalog has them."""
    prefix = guest_prefix(config, env)
    components = {name: catalog.components[name] for name in names}
    if prefix is None:
        return components
    own = [name for name in names if per_environment(components[name], catalog)]
    spaces = {components[name].namespace: f"{prefix}-{components[name].namespace}" for name in own}
    long = sorted(ns for ns in spaces.values() if len(ns) > MAX_NAMESPACE)
    if long:
        loc = ("environments", env, "namespace_prefix")
        raise PlanError([Problem(
            f"namespace '{long[0]}' would be {len(long[0])} characters long; Kubernetes allows {MAX_NAMESPACE}",
            file=file, line=_line(file, loc), field=yamlsrc.dotted(loc),
            hint=f"use a prefix of at most {MAX_NAMESPACE - 1 - (len(long[0]) - len(prefix) - 1)} characters")])
    service = re.compile(r"\.(" + "|".join(re.escape(ns) for ns in sorted(spaces, key=len, reverse=True))
                         + r")\.svc\b")
    for name in own:
        components[name] = Component.model_validate(_rename(components[name].model_dump(), spaces, service))
    return components


def installs(config: Config, catalog: Catalog, env: str, comp: Component) -> bool:
    """False for a cluster-wide component of a guest environment: its host installs it, the guest uses it."""
    return guest_prefix(config, env) is None or per_environment(comp, catalog)


def hosted_overrides(config: Config, env: str, hosted: set[str]) -> list[str]:
    """Warnings for a guest's overrides of components its host installs: they would change nothing on the cluster
    (the host's copy is the one that runs), so they are named rather than silently dropped."""
    host = config.host_of(env)
    overrides = config.env(env).overrides
    return [f"{name}: environments.{env}.overrides.{kind} changes nothing: {host} installs {name} on the cluster "
            f"{env} shares (set it in environments.{host}.overrides)"
            for kind, chosen in (("versions", overrides.versions), ("values", overrides.values),
                                 ("replicas", overrides.replicas))
            for name in sorted(set(chosen) & hosted)]


def cluster_load(config: Config, catalog: Catalog, planned: dict[str, list[Planned]]) -> list[Planned]:
    """What runs on a cluster several environments share: the host's components, and each guest's own under
    its prefix (`dev-postgresql`); so a cluster-wide component is counted once."""
    out: list[Planned] = []
    for env, members in planned.items():
        prefix = guest_prefix(config, env)
        for p in members:
            if not installs(config, catalog, env, p.component):
                continue
            named = p.component.model_copy(update={"name": f"{prefix}-{p.name}"}) if prefix else p.component
            out.append(dataclasses.replace(p, component=named))
    return out


def place_together(config: Config, env: str, load: list[Planned], cluster: Cluster, file: str,
                   field: str) -> list[NodeFit]:
    """Fit the whole cluster's load onto its nodes; a PlanError says which environments share it."""
    try:
        return fit.place(load, cluster.nodes, cluster.headroom, file, field)
    except PlanError as exc:
        names = ", ".join(config.on_cluster_of(env))
        raise PlanError([dataclasses.replace(p, message=f"on the cluster {names} share: {p.message}")
                         for p in exc.problems]) from None
