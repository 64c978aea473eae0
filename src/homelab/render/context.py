"""What every renderer needs for one environment: the plan, hosts, labels and object builders.

Renderers are pure functions `render(ctx) -> list[Obj]`; they never touch the disk. An Obj
is a Kubernetes object plus where it goes in the tree (`group`, e.g. `data/postgresql`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from homelab.catalog.loader import Catalog
from homelab.catalog.model import Component, Endpoint
from homelab.catalog.scope import per_environment
from homelab.config import Cluster, Config
from homelab.plan import Plan, Planned
from homelab.plan.sharing import guest_prefix

MANAGED_BY = "homelab"
PLATFORM_LABEL = "homelab.dev/platform"
ENV_LABEL = "homelab.dev/env"
OWNER_LABEL = "app.kubernetes.io/name"  # the component an object is for (or the platform's name)
WAVE = "argocd.argoproj.io/sync-wave"
SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
# What runs the GitOps controller itself: `homelab bootstrap` installs it first; prune and destroy keep it.
PROTECTED = "homelab.dev/protected"
# Namespaces Kubernetes owns: we never create them, label them or put a default deny in them.
SYSTEM_NAMESPACES = frozenset({"kube-system", "kube-public", "kube-node-lease", "default"})
# Custom resource kinds we generate -> the capability whose provider installs their CRD.
KIND_CAPABILITY = {
    "ExternalSecret": "external-secrets", "ClusterSecretStore": "external-secrets",
    "Certificate": "certificates", "ClusterIssuer": "certificates", "Issuer": "certificates",
    "ServiceMonitor": "prometheus-operator", "IPAddressPool": "load-balancer", "L2Advertisement": "load-balancer",
    "ClusterPolicy": "policy-engine", "Schedule": "cluster-backup", "BackupStorageLocation": "cluster-backup",
    "ScheduledBackup": "postgres-operator", "Database": "postgres-operator", "ObjectStore": "database-backup",
    "KeycloakRealmImport": "identity-provider", "HTTPRoute": "gateway-api", "Gateway": "gateway-api",
}
CORE_GROUPS = frozenset({"v1", "apps/v1", "networking.k8s.io/v1", "batch/v1", "policy/v1",
                         "rbac.authorization.k8s.io/v1"})


@dataclass
class Obj:
    """One Kubernetes object and the folder of the tree it belongs in (layer/component or platform/...)."""

    body: dict[str, Any]
    group: str
    # an environment's own object in a namespace it shares with its host (render/guest keeps it as named)
    own: bool = False

    @property
    def kind(self) -> str:
        return str(self.body["kind"])

    @property
    def name(self) -> str:
        return str(self.body["metadata"]["name"])

    @property
    def namespace(self) -> str | None:
        return self.body["metadata"].get("namespace")

    def key(self) -> tuple[str, str, str, str]:
        """Identity as kustomize sees it: apiVersion, kind, namespace, name."""
        return (self.body["apiVersion"], self.kind, self.namespace or "", self.name)

    def filename(self) -> str:
        """Objects of one group share a file: a component's objects, or a namespace and its policies."""
        return f"{self.group}.yaml"


@dataclass
class Context:
    config: Config
    catalog: Catalog
    plan: Plan
    env: str
    warnings: list[str] = field(default_factory=list)
    # False: render without the user's overrides/<env>/ files (layout's base is made of such renderings)
    own_files: bool = True
    _members: dict[str, list[Planned]] = field(default_factory=dict, repr=False)
    _providers: dict[str, str | None] = field(default_factory=dict, repr=False)
    memo: dict[str, Any] = field(default_factory=dict, repr=False)  # per-environment results renderers reuse

    @property
    def platform(self) -> str:
        return self.config.platform.name

    @property
    def cluster(self) -> Cluster:
        """The cluster this environment runs on (its own `cluster:` keys over the top-level ones)."""
        return self.config.cluster_for(self.env)

    @property
    def components(self) -> list[Planned]:
        return list(self.plan.components.values())

    @property
    def prefix(self) -> str | None:
        """The namespace prefix of an environment on its host's cluster; None when it installs everything."""
        return guest_prefix(self.config, self.env)

    def guests(self) -> dict[str, Plan]:
        """The plans of the environments running as prefixed namespaces on this host's cluster (none for a guest
        or a cluster of its own): what the host's cluster-wide objects must also serve."""
        if "guests" not in self.memo:
            from homelab.plan import make_plan

            self.memo["guests"] = {} if self.prefix else {
                guest: make_plan(self.config, self.catalog, guest) for guest in self.config.on_cluster_of(self.env)[1:]}
        return dict(self.memo["guests"])

    def guest_components(self) -> list[Planned]:
        """The guests' own components (in their prefixed namespaces) on this host's cluster."""
        return [p for plan in self.guests().values() for p in plan.components.values()
                if per_environment(p.component, self.catalog)]

    def realm(self) -> str:
        """The identity provider's realm this environment's UIs log in to: a guest has its own on the host's."""
        return "-".join(p for p in (self.platform, self.prefix) if p)

    def installs(self, name: str) -> bool:
        """False for a cluster-wide component of a guest environment: its host installs it, the guest uses it."""
        return self.prefix is None or per_environment(self.component(name), self.catalog)

    def component(self, name: str) -> Component:
        return self.plan.components[name].component

    def provider_name(self, capability: str) -> str | None:
        """The plan's provider of `capability` (the plan's own rule), looked up once per environment."""
        if capability not in self._providers:
            self._providers[capability] = self.plan.provider_of(capability)
        return self._providers[capability]

    def provider(self, capability: str) -> Component | None:
        name = self.provider_name(capability)
        return self.plan.components[name].component if name else None

    def identity_provider(self) -> Component | None:
        """The OIDC provider UIs log in with: one run as a Keycloak resource (the realm import API) if any."""
        idps = [p.component for p in self.components if "identity-provider" in p.component.provides]
        keycloak = [c for c in idps if any(r.get("kind") == "Keycloak" for r in c.resources)]
        chosen = keycloak or idps
        return chosen[0] if chosen else None

    def is_bootstrap(self, name: str) -> bool:
        """Installed by `homelab bootstrap` before Argo CD (a CNI): it provides a capability marked `bootstrap`."""
        caps = self.catalog.capabilities
        return any(cap in caps and caps[cap].bootstrap for cap in self.component(name).provides)

    def gitops_components(self) -> list[Planned]:
        """The components Argo CD installs: everything planned except the bootstrap steps and `source: none`."""
        return [p for p in self.components if p.component.source.kind != "none" and not self.is_bootstrap(p.name)]

    def wave_of(self, name: str) -> int:
        return self.plan.components[name].wave

    def crd_wave(self, kind: str, floor: int = 0, api: str = "") -> int:
        """The earliest wave an object of `kind` may sync in: after the provider of its CRD, and after every
        planned component whose catalog entry says its source installs CRDs of that API group. What
        bootstrap installs before the root Application (a CNI, Argo CD itself) is there before any wave."""
        cap = KIND_CAPABILITY.get(kind)
        provider = self.provider_name(cap) if cap else None
        wave = max(floor, self.wave_of(provider) + 1) if provider else floor
        first = {self.provider_name("gitops")}
        installers = [p.wave for p in self.components
                      if p.component.crds and api.rpartition("/")[0] in p.component.crds.groups
                      and p.name not in first and not self.is_bootstrap(p.name)]
        return max([wave, *(w + 1 for w in installers)])

    def has(self, kind: str) -> bool:
        """True when the plan installs the CRD of `kind` (core kinds always exist)."""
        cap = KIND_CAPABILITY.get(kind)
        return cap is None or self.provider_name(cap) is not None

    def argocd_namespace(self) -> str:
        gitops = self.provider("gitops")
        return gitops.namespace if gitops else "argocd"

    def namespace_members(self) -> dict[str, list[Planned]]:
        """Planned components by namespace, in install order (computed once per environment)."""
        if not self._members:
            for planned in self.components:
                self._members.setdefault(planned.component.namespace, []).append(planned)
        return self._members

    def namespace_group(self, ns: str) -> str:
        """A namespace (and its policies) shares its component's file when it has one component only."""
        members = self.namespace_members().get(ns, [])
        return self.group_of(members[0].component) if len(members) == 1 else f"platform/namespaces/{ns}"

    def namespace_wave(self, ns: str) -> int:
        return min((p.wave for p in self.namespace_members().get(ns, [])), default=0)

    def owned_namespaces(self) -> list[str]:
        """Namespaces we create (and default-deny): every planned component's, minus Kubernetes' own."""
        return sorted(set(self.namespace_members()) - SYSTEM_NAMESPACES)

    def subdomain(self, env: str | None = None) -> str:
        sub = self.config.env(env or self.env).subdomain
        return (env or self.env) if sub is None else sub

    def host(self, comp: Component, endpoint: Endpoint) -> str:
        """`<host>.<env>.<domain>`; an empty subdomain (prod) drops the env label. A guest's host's component is
        served at the host's names."""
        first = next((e for e in comp.endpoints if e.expose), comp.endpoints[0])
        label = endpoint.host or (comp.name if endpoint == first else f"{endpoint.name}-{comp.name}")
        env = self.env if self.installs(comp.name) else self.config.host_of(self.env)
        parts = [label, self.subdomain(env), self.config.platform.domain]
        return ".".join(p for p in parts if p)

    def exposed(self) -> list[tuple[Component, Endpoint]]:
        """The endpoints published at this environment's host names (a guest's own components' only)."""
        return [(p.component, e) for p in self.components if self.installs(p.name)
                for e in p.component.endpoints if e.expose]

    def labels(self, name: str, role: str) -> dict[str, str]:
        """Kubernetes recommended labels plus our ownership label (the env label comes from the overlay)."""
        return {
            OWNER_LABEL: name,
            "app.kubernetes.io/component": role,
            "app.kubernetes.io/part-of": self.platform,
            "app.kubernetes.io/managed-by": MANAGED_BY,
            PLATFORM_LABEL: self.platform,
        }

    def obj(self, api: str, kind: str, name: str, *, owner: str, role: str, group: str,
            namespace: str | None = None, wave: int | None = None, spec: dict[str, Any] | None = None,
            extra: dict[str, Any] | None = None, annotations: dict[str, str] | None = None) -> Obj:
        """Build an object with our labels; custom resources sync after their CRD's provider."""
        meta: dict[str, Any] = {"name": name, "labels": self.labels(owner, role)}
        if namespace:
            meta["namespace"] = namespace
        notes = dict(annotations or {})
        floor = wave if wave is not None else (self.wave_of(owner) if owner in self.plan.components else 0)
        notes[WAVE] = str(self.crd_wave(kind, floor, api))
        if owner == self.provider_name("gitops"):
            notes[PROTECTED] = "gitops-controller"
        if api not in CORE_GROUPS:
            notes[SYNC_OPTIONS] = "SkipDryRunOnMissingResource=true"
        meta["annotations"] = notes
        body: dict[str, Any] = {"apiVersion": api, "kind": kind, "metadata": meta}
        if spec is not None:
            body["spec"] = spec
        body.update(extra or {})
        return Obj(body, group)

    def group_of(self, comp: Component) -> str:
        return f"{comp.layer}/{comp.name}"
