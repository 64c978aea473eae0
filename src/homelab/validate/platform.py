"""Platform checks: would the rendered tree come up on a real cluster? One rule per class of failure.

Each rule reads one environment as kustomize builds it, beside what the catalog knows about its
components (webhooks, API access, operands, extra namespaces, Pod Security, wiring), and yields a
finding with the reason (the rule's docstring) and a fix. The facts come from the catalog; whether
the tree honours them is read from the tree, so a hand-edited or stale tree is caught.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from homelab.catalog.loader import Catalog
from homelab.config import Config
from homelab.plan import Plan, Planned, make_plan
from homelab.render import env_objects
from homelab.render.argocd import application_values
from homelab.render.bootstrap import FOLDER as BOOTSTRAP
from homelab.render.context import Context
from homelab.validate import collisions, kyverno, sso, stores
from homelab.validate.findings import Finding, json_path
from homelab.validate.locate import Locator
from homelab.validate.netpol import NODE, Network
from homelab.validate.podsecurity import LEVELS, pod_spec, violations

PSA_ENFORCE = "pod-security.kubernetes.io/enforce"
CORE_API = frozenset({"v1", "apps/v1", "batch/v1", "policy/v1", "networking.k8s.io/v1", "rbac.authorization.k8s.io/v1",
                      "storage.k8s.io/v1", "apiextensions.k8s.io/v1", "admissionregistration.k8s.io/v1",
                      "autoscaling/v2", "scheduling.k8s.io/v1", "coordination.k8s.io/v1"})


@dataclass
class EnvView:
    """One built environment and what the catalog says about its plan."""

    env: str
    tree: Path
    plan: Plan
    catalog: Catalog
    config: Config
    objects: list[dict[str, Any]]
    locator: Locator

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in self.objects if o.get("kind") == kind]

    def finding(self, rule: str, obj: dict[str, Any] | None, path: list[Any], message: str, fix: str) -> Finding:
        meta = (obj or {}).get("metadata") or {}
        kind, name = str((obj or {}).get("kind", "")), str(meta.get("name", ""))
        file, index = self.locator.place(self.env, kind, str(meta.get("namespace", "")), name)
        return Finding(rule, file, index, json_path(path), f"{self.env}: {message}", fix, kind, name)

    def subjects(self) -> list[Planned]:
        """The components this environment installs (a guest's own; its host's are checked with the host)."""
        return [p for p in self.plan.components.values() if self.ctx.installs(p.name)]

    def cni_values(self) -> dict[str, Any]:
        """The values the CNI is installed with: its bootstrap values file (the host's, for a guest), else its
        Application's."""
        cni = self.plan.provider_of("cni")
        if cni is None:
            return {}
        path = self.tree / BOOTSTRAP / (self.config.host_of(self.env) or self.env) / f"{cni}.values.yaml"
        if path.is_file():
            return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) or {}
        app = self.application(cni)
        return application_values(app)[1]

    def ip_block_selects_nodes(self) -> bool:
        cni = self.plan.provider_of("cni")
        facet = self.plan.components[cni].component.ip_block_nodes if cni else None
        return facet is None or _contains(self.cni_values(), facet.values)

    @cached_property
    def ctx(self) -> Context:
        """The render context of this environment: what the catalog's facets mean for this plan."""
        return Context(self.config, self.catalog, self.plan, self.env)

    @cached_property
    def net(self) -> Network:
        return Network.of(self.objects, self.ip_block_selects_nodes())

    def network(self) -> Network:
        return self.net

    def application(self, name: str) -> dict[str, Any] | None:
        """The Application of `name`: a guest environment's own (`<prefix>-<name>`, see render/guest) before its
        host's."""
        prefix = self.ctx.prefix
        names = [f"{prefix}-{name}", name] if prefix else [name]
        apps = {a["metadata"]["name"]: a for a in self.of("Application")}
        return next((apps[n] for n in names if n in apps), None)

    def namespace(self, name: str) -> dict[str, Any] | None:
        return next((n for n in self.of("Namespace") if n["metadata"]["name"] == name), None)


def _contains(values: dict[str, Any], wanted: dict[str, Any]) -> bool:
    for key, want in wanted.items():
        have = values.get(key)
        if isinstance(want, dict):
            if not isinstance(have, dict) or not _contains(have, want):
                return False
        elif have != want:
            return False
    return True


def webhooks_reachable(view: EnvView) -> Iterator[Finding]:
    """The API server calls admission and conversion webhooks; a policy that drops it fails every write they guard."""
    net = view.network()
    for planned in view.subjects():
        comp = planned.component
        for hook in comp.webhooks:
            if not net.allows(NODE, comp.namespace, hook.port):
                yield view.finding("webhook-reachable", view.namespace(comp.namespace), ["metadata", "name"],
                                   f"the API server cannot reach {comp.name}'s webhook {hook.service or ''} on port "
                                   f"{hook.port} in namespace {comp.namespace}",
                                   f"allow ingress from the API server's addresses on TCP {hook.port} there")


def api_reachable(view: EnvView) -> Iterator[Finding]:
    """Controllers and operators watch the API server; without it they stop reconciling."""
    net, port = view.network(), api_port_of(view)
    cni = view.plan.provider_of("cni") or "the CNI"
    for planned in view.subjects():
        comp = planned.component
        if comp.kube_api and not net.allows(comp.namespace, NODE, port):
            why = "" if net.ip_block_nodes else f" ({cni} does not match node addresses with ipBlock without its " \
                                                 "ip_block_nodes values)"
            yield view.finding("api-reachable", view.namespace(comp.namespace), ["metadata", "name"],
                               f"{comp.name} in {comp.namespace} cannot reach the Kubernetes API on port {port}{why}",
                               "allow egress to the API server's port, and set the CNI's values that make ipBlock "
                               "select node addresses")


def api_port_of(view: EnvView) -> int:
    facts = view.catalog.distributions.get(view.config.cluster_for(view.env).kubernetes.distribution)
    return facts.api_server_port if facts else 6443


def operands_reachable(view: EnvView) -> Iterator[Finding]:
    """An operator that cannot reach its operands cannot configure, fail over or report them."""
    net = view.network()
    for planned in view.plan.components.values():
        comp = planned.component
        for flow in comp.operates:
            for edge in view.plan.edges:
                if edge.provider != comp.name or edge.capability != flow.capability:
                    continue
                operand = view.plan.components[edge.consumer].component
                if not view.ctx.installs(operand.name):
                    continue  # the host's operand, checked with the host
                for port in flow.ports:
                    if not net.allows(comp.namespace, operand.namespace, port):
                        yield view.finding("operator-reaches-operands", view.namespace(operand.namespace),
                                           ["metadata", "name"],
                                           f"{comp.name} ({comp.namespace}) cannot reach {operand.name} "
                                           f"({operand.namespace}) on port {port}",
                                           f"allow {comp.namespace} -> {operand.namespace} on TCP {port}")


def project_destinations(view: EnvView) -> Iterator[Finding]:
    """Argo CD refuses a whole sync when one object lands in a namespace its AppProject does not list."""
    allowed = {p["metadata"]["name"]: {d.get("namespace") for d in p["spec"].get("destinations") or []}
               for p in view.of("AppProject")}
    for app in view.of("Application"):
        spec = app.get("spec") or {}
        project = spec.get("project", "default")
        if project == "default" or project not in allowed:
            continue
        name = app["metadata"]["name"]
        comp = view.plan.components[name].component if name in view.plan.components else None
        wanted = [spec.get("destination", {}).get("namespace"), *(x.namespace for x in (comp.extra_namespaces
                                                                                       if comp else []))]
        for ns in wanted:
            if ns and ns not in allowed[project] and "*" not in allowed[project]:
                yield view.finding("project-destinations", app, ["spec", "project"],
                                   f"{name} writes into namespace {ns}, which AppProject {project} does not allow",
                                   f"add {{server, namespace: {ns}}} to the project's destinations")


def _wave(obj: dict[str, Any]) -> int:
    return int(((obj.get("metadata") or {}).get("annotations") or {}).get("argocd.argoproj.io/sync-wave", 0))


def crds_first(view: EnvView) -> Iterator[Finding]:
    """A custom resource applied before its CRD exists fails the sync of its wave."""
    from homelab.render.context import KIND_CAPABILITY

    waves = {a["metadata"]["name"]: _wave(a) for a in view.of("Application")}
    for obj in view.objects:
        api = str(obj.get("apiVersion", ""))
        if api in CORE_API or obj.get("kind") in ("Application", "AppProject"):
            continue
        owner = str(((obj.get("metadata") or {}).get("labels") or {}).get("app.kubernetes.io/name", ""))
        providers: list[str] = []
        cap = KIND_CAPABILITY.get(str(obj.get("kind")))
        if cap and view.plan.provider_of(cap):
            providers.append(str(view.plan.provider_of(cap)))
        elif owner in view.plan.components:
            providers += [e.provider for e in view.plan.requires_of(owner)
                          if view.plan.components[e.provider].component.operator]
        for provider in providers:
            if provider in waves and waves[provider] >= _wave(obj):
                yield view.finding("crd-first", obj, ["metadata", "annotations"],
                                   f"{obj['kind']} {obj['metadata']['name']} syncs in wave {_wave(obj)}, but its CRD "
                                   f"comes with {provider} in wave {waves[provider]}",
                                   f"give it a sync wave after {waves[provider]}")


def pod_security(view: EnvView) -> Iterator[Finding]:
    """A namespace label stricter than its pods makes admission reject them; looser than claimed hides drift."""
    for ns in view.of("Namespace"):
        level = ((ns["metadata"].get("labels") or {}).get(PSA_ENFORCE))
        if level not in LEVELS:
            continue
        name = ns["metadata"]["name"]
        for planned in view.plan.components.values():
            comp = planned.component
            if comp.namespace != name:
                continue
            known = comp.pod_security_confirmed.level if comp.pod_security_confirmed else comp.pod_security
            if LEVELS.index(known) > LEVELS.index(level):
                yield view.finding("pod-security", ns, ["metadata", "labels", PSA_ENFORCE],
                                   f"namespace {name} enforces {level}, but {comp.name}'s pods need {known}",
                                   f"label it {known}, or set the values that make {comp.name} meet {level}")
        for obj in view.objects:
            if (obj.get("metadata") or {}).get("namespace") == name:
                for path, problem in violations(obj, level):
                    yield view.finding("pod-security", obj, path, f"{problem} (namespace {name} enforces {level})",
                                       f"fix the pod spec to meet {level}, or lower the namespace's level")


def consumers_have_providers(view: EnvView) -> Iterator[Finding]:
    """A forwarder with no receiver or a login with no identity provider fails at run time, silently."""
    from homelab.validate.wiring import dangling

    present = {n["metadata"]["name"] for n in view.of("Namespace")} | {"kube-system", "default"}
    clients = {c.get("clientId") for r in view.of("KeycloakRealmImport")
               for c in ((r.get("spec") or {}).get("realm") or {}).get("clients") or []}
    for app in view.of("Application"):
        where, values = application_values(app)
        for path, message in dangling(values, present, clients):
            yield view.finding("dangling-consumer", app, [*where, *path], message,
                               "render it only when the plan has the provider (values_when), or add the provider")


def policies_admit(view: EnvView) -> Iterator[Finding]:
    """A policy that refuses the platform's own pods stops its rollout the day it is enforced (Audit in dev hides
    it until staging), so every shipped policy must admit every pod our manifests make, as admission sees it."""
    policies = [p for p in view.of("ClusterPolicy") if str(p.get("apiVersion", "")).startswith("kyverno.io/")]
    if not policies:
        return
    defaults = kyverno.limit_defaults(view.objects)
    for obj in view.objects:
        if obj.get("kind") not in POD_KINDS:
            continue
        namespace = (obj.get("metadata") or {}).get("namespace", "")
        seen = set()
        for policy in policies:
            for why in kyverno.rejections(policy, obj, defaults.get(namespace)):
                if (why.policy, why.rule) in seen:
                    continue
                seen.add((why.policy, why.rule))
                yield view.finding("policy-admits", obj, ["spec"],
                                   f"{why.policy} ({why.action}) rule {why.rule} refuses {obj['kind']} "
                                   f"{namespace}/{obj['metadata']['name']}: {why.message}",
                                   "fix the pod spec, or the policy so that it admits what the platform runs")


RULES: list[Callable[[EnvView], Iterator[Finding]]] = [
    webhooks_reachable, api_reachable, operands_reachable, project_destinations, crds_first, pod_security,
    consumers_have_providers, stores.own_tenancy, stores.backup_location, stores.database_backup,
    sso.sso_configured, policies_admit,
]


def _parsed(tree: Path, cache: dict[Path, list[Any]], folder: str) -> Iterator[tuple[Path, int, dict[str, Any]]]:
    for path in sorted((tree / folder).rglob("*.yaml")) if (tree / folder).is_dir() else []:
        if path.name == "kustomization.yaml":
            continue
        if path not in cache:
            cache[path] = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))
        for index, doc in enumerate(cache[path]):
            if isinstance(doc, dict) and "kind" in doc:
                yield path, index, doc


def check(tree: Path, config: Config, catalog: Catalog, envs: list[str] | None = None) -> list[Finding]:
    """Every platform finding in the rendered environments of `tree` (those `config` names)."""
    found: list[Finding] = []
    cache: dict[Path, list[Any]] = {}
    own: dict[str, list[dict[str, Any]]] = {}
    locator = Locator(tree, cache)
    for env in envs or [e for e in config.env_names() if (tree / e / "kustomization.yaml").is_file()]:
        plan = make_plan(config, catalog, env)
        own[env] = env_objects(tree, env)
        objects = [*own[env], *_manifest_objects(tree, plan, cache)]
        host = config.host_of(env)
        if host is not None and (tree / host / "kustomization.yaml").is_file():
            objects += env_objects(tree, host)  # a guest runs among its host's objects (render/guest)
        view = EnvView(env, tree, plan, catalog, config, objects, locator)
        for rule in RULES:
            found.extend(rule(view))
    return found + collisions.check(config, own, locator)


def _manifest_objects(tree: Path, plan: Plan, cache: dict[Path, list[Any]]) -> list[dict[str, Any]]:
    """Our own manifests' workloads (local sources), in the namespace their Application syncs them to, with the
    images their kustomization's `images:` sets (what the cluster runs)."""
    out = []
    for planned in plan.components.values():
        comp = planned.component
        if comp.source.kind != "local":
            continue
        folder = f"manifests/{comp.source.chart or comp.name}"
        kustomization = tree / folder / "kustomization.yaml"
        images = (yaml.safe_load(kustomization.read_text()) or {}).get("images") or [] if kustomization.is_file() \
            else []
        for _, _, doc in _parsed(tree, cache, folder):
            if doc.get("kind") in POD_KINDS:
                body = copy.deepcopy({**doc, "metadata": {"namespace": comp.namespace, **(doc.get("metadata") or {})}})
                _retag(body, images)
                out.append(body)
    return out


def _retag(obj: dict[str, Any], images: list[dict[str, Any]]) -> None:
    """Kustomize's images transformer: a container image named `name` gets newName, newTag or digest."""
    found = pod_spec(obj)
    if not found or not images:
        return
    for kind in ("containers", "initContainers"):
        for container in found[1].get(kind) or []:
            image = str(container.get("image", ""))
            name = image.split("@")[0]
            name = name.rsplit(":", 1)[0] if ":" in name.rsplit("/", 1)[-1] else name
            for entry in images:
                if entry.get("name") == name:
                    tag = f"@{entry['digest']}" if entry.get("digest") else f":{entry['newTag']}" \
                        if entry.get("newTag") else image[len(name):]
                    container["image"] = f"{entry.get('newName') or name}{tag}"


POD_KINDS = frozenset({"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"})
