"""Destroy an environment: everything we own, in reverse wave order, PersistentVolumeClaims kept by default.

Deleting a Namespace deletes the claims inside it, so when data is kept, Namespaces
that still hold claims are kept too (and named in the summary). What runs Argo CD itself
(annotated `homelab.dev/protected` by render: its Application, its Namespace) and the
AppProjects those kept Applications belong to stay, so Argo CD keeps working. Inside each
wave, Applications and custom resources go first and are gone (their finalizers released
by Argo CD and the operators) before Namespaces and anything of an earlier wave.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from homelab.cluster import objects as o
from homelab.cluster.apply import Progress, Quiet, inventory_ref, owned_live, remembered_kinds
from homelab.cluster.delete import delete_in_order
from homelab.cluster.kube import Kube
from homelab.cluster.prune import kinds_of
from homelab.cluster.wait import Clock
from homelab.errors import ExitCode, cluster_error


@dataclass
class DestroyPlan:
    delete: list[o.Obj]
    kept: list[str] = field(default_factory=list)


def plan_destroy(owned: list[o.Obj], claims: list[o.Obj], delete_data: bool,
                 foreign: Callable[[o.Obj], str | None] = lambda obj: None) -> DestroyPlan:
    """Pure selection: what goes, what stays and why; `claims` are all PVCs in the cluster, `foreign` says why
    an object is not ours to delete whatever its labels say (a guest's: cluster/guest.py)."""
    top = o.delete_order([obj for obj in owned if not (obj.get("metadata") or {}).get("ownerReferences")])
    projects = {str((obj.get("spec") or {}).get("project")) for obj in top
                if o.protected(obj) and obj.get("kind") == "Application"}
    holding = set() if delete_data else {o.ref(c).namespace for c in claims}
    kept, chosen = [], []
    for obj in top:
        r, why = o.ref(obj), foreign(obj)
        if why:
            kept.append(f"{r} ({why})")
        elif o.protected(obj):
            kept.append(f"{r} (runs Argo CD itself)")
        elif r.kind == "AppProject" and r.name in projects:
            kept.append(f"{r} (project of Argo CD's own Application)")
        elif r.kind == "PersistentVolumeClaim" and not delete_data:
            kept.append(f"{r} (data)")
        elif r.kind == "Namespace" and r.name in holding:
            kept.append(f"{r} (holds PersistentVolumeClaims)")
        else:
            chosen.append(obj)
    return DestroyPlan(chosen, kept)


def destroy(kube: Kube, tree: list[o.Obj], platform: str, env: str, *, delete_data: bool = False,
            confirm: Callable[[DestroyPlan], bool] = lambda p: True, timeout: float = 600,
            progress: Progress | None = None, clock: Clock | None = None, workers: int = 1,
            foreign: Callable[[o.Obj], str | None] = lambda obj: None) -> DestroyPlan:
    """Delete what we own in `env` (less what `foreign` names); the inventory goes last so an interrupted
    destroy can be re-run."""
    progress, clock = progress or Quiet(), clock or Clock()
    kinds = remembered_kinds(kube, platform, env) | kinds_of(tree)
    owned = [obj for obj in owned_live(kube, platform, env, kinds)
             if o.ref(obj) != inventory_ref(platform, env)]
    claims = [] if delete_data else kube.list("v1", "PersistentVolumeClaim")
    plan = plan_destroy(owned, claims, delete_data, foreign)
    if not confirm(plan):
        raise cluster_error(ExitCode.ABORTED, "nothing deleted: destroy was declined")
    delete_in_order(kube, plan.delete, timeout, clock, progress, title="destroy", workers=workers)
    if not plan.kept:
        kube.delete(inventory_ref(platform, env))
    return plan
