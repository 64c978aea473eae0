"""The cluster commands for a guest: an environment running as `<prefix>-*` namespaces on its host's cluster.

Render writes a guest only its own objects (render/guest.py), each labelled with the guest's environment,
and apply, diff, prune and destroy select by those labels: what they touch is the guest's alone. What only
the cluster can tell is added here. The host comes first: a guest's custom resources need the CRDs and
operators the host installs, its Applications the host's Argo CD, so a guest is refused (exit 2, naming
its `namespace_prefix`) until the host is there. A guest owns no cluster-scoped object but those named
`<prefix>-*`, so destroy leaves any other one alone whatever its labels say. A host is not destroyed while
guests still run on what it installs. And status shows the components a guest uses from its host as the
host's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homelab.cluster import objects as o
from homelab.cluster.kube import Kube
from homelab.cluster.prune import INVENTORY_NAMESPACE, inventory_name
from homelab.config import LoadedConfig
from homelab.errors import InputError, Problem

if TYPE_CHECKING:
    from homelab.catalog.loader import Catalog

APPLICATION = ("argoproj.io/v1alpha1", "Application")


@dataclass(frozen=True)
class Guest:
    """An environment with a `namespace_prefix` on its host's cluster, and where the user wrote that."""

    env: str
    host: str
    prefix: str
    file: str | None = None
    line: int | None = None

    def problem(self, message: str, hint: str) -> Problem:
        return Problem(message, file=self.file, line=self.line,
                       field=f"environments.{self.env}.namespace_prefix", hint=hint)

    def foreign(self, obj: o.Obj) -> str | None:
        """Why this guest must leave `obj` alone although it carries the guest's labels; None: it is the guest's.
        The only cluster-scoped objects a guest owns are named `<prefix>-*` (its Namespaces, its own Kyverno
        policies where it audits under a host that enforces); any other is shared."""
        r = o.ref(obj)
        if r.namespace or r.name.startswith(f"{self.prefix}-"):
            return None
        return f"cluster-scoped, shared with {self.host}: a guest never deletes it"


def guest_of(loaded: LoadedConfig, env: str) -> Guest | None:
    """`env` as a guest, or None when it is a host or has a cluster of its own."""
    config = loaded.config
    host, prefix = config.host_of(env), config.prefix_of(env)
    if host is None or prefix is None:
        return None
    line = None if loaded.builtin else loaded.source.line_of(("environments", env, "namespace_prefix"))
    return Guest(env, host, prefix, None if loaded.builtin else loaded.source.file, line)


def present(kube: Kube, platform: str, env: str) -> bool:
    """Whether `env` is installed on this cluster: its inventory (apply, bootstrap --local) or its Applications
    (a bootstrap that hands the rest to Argo CD writes no inventory)."""
    if kube.get(o.Ref("v1", "ConfigMap", INVENTORY_NAMESPACE, inventory_name(platform, env))) is not None:
        return True
    return kube.served(*APPLICATION) and bool(kube.list(*APPLICATION, labels=o.ownership_selector(platform, env)))


def require_host(kube: Kube, platform: str, guest: Guest, argocd: bool = False) -> None:
    """Refuse a guest whose host is not on the cluster yet (or, with `argocd`, whose host has no Argo CD)."""
    missing = "" if present(kube, platform, guest.host) else "is not installed there yet"
    if not missing and argocd and not kube.served(*APPLICATION):
        missing = "has no Argo CD there yet"
    if missing:
        raise InputError([guest.problem(
            f"{guest.env} runs as namespaces {guest.prefix}-* on {guest.host}'s cluster (context {kube.context}), "
            f"and {guest.host} {missing}: {guest.env} uses the CRDs, operators and Argo CD {guest.host} installs",
            hint=f"bootstrap {guest.host} first: `homelab bootstrap --env {guest.host}`")])


def refuse_host_with_guests(kube: Kube, loaded: LoadedConfig, env: str) -> None:
    """Refuse to destroy a host while a guest still runs on it: the host's CRDs take the guests' custom resources
    with them, and its operators and Argo CD are what the guests run on."""
    config, platform = loaded.config, loaded.config.platform.name
    if config.host_of(env) is not None:
        return
    guests = [g for g in config.on_cluster_of(env) if g != env and present(kube, platform, g)]
    if guests:
        names = ", ".join(guests)
        raise InputError([Problem(
            f"{env} hosts {names} on this cluster (context {kube.context}); destroying it removes the CRDs, "
            f"operators and Argo CD {names} run on", field="--env",
            hint="destroy the guests first: " + ", ".join(f"`homelab destroy --env {g}`" for g in guests))])


def shared_components(loaded: LoadedConfig, env: str, catalog: Catalog | None = None) -> frozenset[str]:
    """The planned components a guest uses from its host (`Plan.hosted`: the cluster-wide ones the host installs)."""
    from homelab.catalog import load_catalog
    from homelab.plan import make_plan

    return frozenset(make_plan(loaded.config, catalog or load_catalog(), env, loaded.source.file).hosted)
