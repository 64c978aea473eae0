"""First install on a cluster: preflight, Argo CD from the tree's own kustomization, then the GitOps entry point.

Argo CD is installed from exactly what its Application syncs afterwards (see cluster/argocd.py):
the Namespace and the kustomization of the tree's protected Application, so there is one source
from the first install on. Its objects carry no ownership labels and their own field manager
(`homelab-argocd`); prune and destroy leave them alone. They are applied with force, as upstream's
install instructions do (`kubectl apply --server-side --force-conflicts`): once Argo CD has synced
itself it co-owns every field, and an atomic list with a defaulted member (a NetworkPolicy port
without `protocol`) then conflicts between two managers applying the very same manifest.

Three ways in, because the Git server may itself live in the cluster (Gitea):
- default: AppProjects and the root Application; Argo CD pulls everything else from Git.
- `local`: apply the rendered environment directly (no Git server needed). Applications
  whose source is the GitOps repository itself are applied but not awaited, since that
  repository may be the in-cluster Gitea this very apply brings up.
- `handover`: once that Git server is up and the tree is pushed, apply the root
  Application and wait until Argo CD reports it Synced and Healthy, so Git is in charge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from homelab.cluster import argocd, preflight
from homelab.cluster import objects as o
from homelab.cluster.apply import ApplyResult, Progress, Quiet, apply_tree, apply_waves
from homelab.cluster.kube import ARGOCD_FIELD_MANAGER, Kube
from homelab.cluster.wait import Clock
from homelab.errors import ExitCode, InputError, Problem, cluster_error
from homelab.plan.model import Plan

ROLE = "app.kubernetes.io/component"
ROOT_ROLE = "root-application"


def run_preflight(kube: Kube, plan: Plan, planned_version: str) -> list[preflight.Finding]:
    """Read what preflight needs (the first call doubles as the reachability and credentials check)."""
    info = kube.version()
    nodes = kube.list("v1", "Node")
    classes = kube.list("storage.k8s.io/v1", "StorageClass")
    daemonsets = kube.list("apps/v1", "DaemonSet", namespace="kube-system")
    findings = preflight.run(info, nodes, classes, daemonsets, plan, planned_version)
    failed = [f for f in findings if not f.ok]
    if failed:
        raise cluster_error(ExitCode.PREFLIGHT, "preflight failed: " + "; ".join(f.message for f in failed),
                            "nothing was installed; fix the cluster or homelab.yaml and re-run")
    return findings


def is_root(obj: o.Obj) -> bool:
    return obj.get("kind") == "Application" and o.labels(obj).get(ROLE) == ROOT_ROLE


def entry_objects(env_objects: list[o.Obj]) -> list[o.Obj]:
    """The AppProjects and the root Application of one environment."""
    projects = [obj for obj in env_objects if obj.get("kind") == "AppProject"]
    roots = [obj for obj in env_objects if is_root(obj)]
    if len(roots) != 1:
        raise InputError([Problem(f"the rendered tree has {len(roots)} root Applications for this environment "
                                  f"(labelled {ROLE}={ROOT_ROLE}); expected exactly one",
                                  hint="re-run `homelab render`")])
    return [*projects, *roots]


def sourced_from(obj: o.Obj, repo_url: str) -> bool:
    """Whether an Application syncs from the GitOps repository (possibly the in-cluster Git server)."""
    spec = obj.get("spec") or {}
    sources = spec.get("sources") or ([spec["source"]] if spec.get("source") else [])
    return any(str(s.get("repoURL", "")).rstrip("/") == repo_url.rstrip("/") for s in sources)


def controller_install(env_objects: list[o.Obj], tree: Path, gitops_path: str,
                       manifest: Path | None = None) -> tuple[list[o.Obj], list[o.Obj]]:
    """(its Namespace from the tree, the objects its kustomization builds) for the GitOps controller.

    The controller is the Application render marked protected; its source path, relative to the
    repository's `gitops.path`, names the kustomization folder inside the rendered tree.
    """
    apps = [obj for obj in env_objects if o.protected(obj) and obj.get("kind") == "Application"]
    if len(apps) != 1:
        raise InputError([Problem(f"the rendered tree has {len(apps)} Applications marked {o.PROTECTED} (the GitOps "
                                  "controller itself); expected exactly one", hint="re-run `homelab render`")])
    source = (apps[0].get("spec") or {}).get("source") or {}
    path = str(source.get("path") or "").strip("/")
    prefix = gitops_path.strip("/")
    folder = tree / (path[len(prefix):].strip("/") if prefix and path.startswith(prefix + "/") else path)
    namespaces = [obj for obj in env_objects if o.protected(obj) and obj.get("kind") == "Namespace"]
    return namespaces, argocd.build(folder, manifest=manifest)


@dataclass
class BootstrapResult:
    findings: list[preflight.Finding] = field(default_factory=list)
    argocd: list[str] = field(default_factory=list)
    applied: ApplyResult | None = None
    deferred: list[str] = field(default_factory=list)


def _waves(kube: Kube, objects: list[o.Obj], timeout: float, progress: Progress, clock: Clock,
           force: bool, workers: int) -> ApplyResult:
    applied, count = apply_waves(kube, objects, timeout=timeout, force=force, progress=progress, clock=clock,
                                 workers=workers)
    return ApplyResult(applied=applied, waves=count)


def bootstrap(kube: Kube, env_objects: list[o.Obj], install: tuple[list[o.Obj], list[o.Obj]] | None, *,
              platform: str, env: str, repo_url: str, mode: str = "git", timeout: float = 900,
              progress: Progress | None = None, clock: Clock | None = None, force: bool = False,
              workers: int = 1) -> BootstrapResult:
    """Install Argo CD (`install`, from `controller_install`) and the environment's entry point; `mode` is
    "git", "local" or "handover". `force` takes over the environment's fields from another field manager.
    Without `install` (a guest on its host's cluster: cluster/guest.py) the Argo CD already there is used."""
    progress, clock = progress or Quiet(), clock or Clock()
    result = BootstrapResult()
    if mode == "handover":
        root = [obj for obj in entry_objects(env_objects) if is_root(obj)]
        result.applied = _waves(kube, root, timeout, progress, clock, force, workers)
        return result
    if install is not None:
        namespaces, controller = install
        result.argocd = _waves(kube, namespaces, timeout, progress, clock, force, workers).applied
        with kube.managed_as(ARGOCD_FIELD_MANAGER):
            result.argocd += _waves(kube, controller, timeout, progress, clock, True, workers).applied
    if mode == "local":
        tree = [obj for obj in env_objects if not is_root(obj)]
        result.deferred = [str(o.ref(a)) for a in tree if a.get("kind") == "Application" and sourced_from(a, repo_url)]
        result.applied = apply_tree(kube, tree, platform, env, timeout=timeout, progress=progress, clock=clock,
                                    prune=False, force=force, workers=workers,
                                    awaited=lambda obj: str(o.ref(obj)) not in result.deferred)
        return result
    result.applied = _waves(kube, entry_objects(env_objects), timeout, progress, clock, force, workers)
    return result
