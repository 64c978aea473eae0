"""Apply a tree: prune preview and confirmation first, then wave by wave with readiness, then prune.

Order inside a wave: CRDs (awaited until Established), then everything else in kind
order; the wave is done when every object in it is ready. Only objects that carry our
ownership labels and are gone from the tree are pruned, and only after the user saw them.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import groupby
from typing import Protocol

from homelab.cluster import objects as o
from homelab.cluster.delete import delete_in_order
from homelab.cluster.diff import ObjectDiff, diff_deleted
from homelab.cluster.kube import Kube, learn_tree
from homelab.cluster.prune import (
    INVENTORY_NAMESPACE,
    inventory_kinds,
    inventory_name,
    inventory_object,
    kinds_of,
    select_prune,
)
from homelab.cluster.wait import Clock, until_gone, until_kind, until_ready
from homelab.errors import ExitCode, InputError, Problem, cluster_error


class Progress(Protocol):
    """How a long operation reports itself (rich progress bars in the CLI, a list in tests)."""

    def task(self, title: str, total: int) -> None: ...

    def advance(self, detail: str) -> None: ...

    def note(self, text: str) -> None: ...


class Quiet:
    def task(self, title: str, total: int) -> None:
        pass

    def advance(self, detail: str) -> None:
        pass

    def note(self, text: str) -> None:
        pass


@dataclass
class ApplyResult:
    applied: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    waves: int = 0


def inventory_ref(platform: str, env: str) -> o.Ref:
    return o.Ref("v1", "ConfigMap", INVENTORY_NAMESPACE, inventory_name(platform, env))


def owned_live(kube: Kube, platform: str, env: str, kinds: set[tuple[str, str]]) -> list[o.Obj]:
    """Every live object of these kinds that carries our labels (kinds the cluster no longer knows are skipped)."""
    found: list[o.Obj] = []
    selector = o.ownership_selector(platform, env)
    kube.refresh_crds()  # CRDs come and go during apply and destroy; list only kinds served right now
    for api_version, kind in sorted(kinds):
        if kube.served(api_version, kind):
            found.extend(kube.list(api_version, kind, labels=selector))
    return found


def remembered_kinds(kube: Kube, platform: str, env: str) -> set[tuple[str, str]]:
    return inventory_kinds(kube.get(inventory_ref(platform, env)))


def prune_preview(kube: Kube, tree: list[o.Obj], platform: str, env: str) -> list[o.Obj]:
    kinds = remembered_kinds(kube, platform, env) | kinds_of(tree)
    keep = [*tree, inventory_object(platform, env, set())]
    return select_prune(owned_live(kube, platform, env, kinds), keep, platform, env)


def apply_tree(kube: Kube, tree: list[o.Obj], platform: str, env: str, *, timeout: float = 600,
               force: bool = False, confirm_prune: Callable[[list[ObjectDiff]], bool] = lambda d: True,
               progress: Progress | None = None, clock: Clock | None = None, prune: bool = True,
               awaited: Callable[[o.Obj], bool] = lambda obj: True, workers: int = 1) -> ApplyResult:
    """Apply `tree` to the cluster, then prune. Raises HomelabError with the exit code naming the cause.

    `awaited` says which objects each wave waits for (bootstrap --local skips Applications
    whose source is the not-yet-populated in-cluster Git server).
    """
    progress, clock = progress or Quiet(), clock or Clock()
    check_order(tree)
    doomed = prune_preview(kube, tree, platform, env) if prune else []
    if doomed and not confirm_prune([diff_deleted(obj) for obj in doomed]):
        raise cluster_error(ExitCode.ABORTED, f"nothing applied: pruning {len(doomed)} object(s) was declined",
                            "re-run with --no-prune to apply without pruning")
    kinds = remembered_kinds(kube, platform, env) | kinds_of(tree)
    kube.apply(inventory_object(platform, env, kinds), force=force)
    result = ApplyResult()
    result.applied, result.waves = apply_waves(kube, tree, timeout=timeout, force=force, progress=progress,
                                               clock=clock, awaited=awaited, workers=workers)
    if doomed:
        result.pruned = delete_in_order(kube, doomed, timeout, clock, progress, title="prune", workers=workers)
        kube.apply(inventory_object(platform, env, kinds_of(tree)), force=force)
    return result


def check_order(tree: list[o.Obj]) -> None:
    problems = o.misordered_custom_resources(tree)
    if problems:
        raise InputError([Problem(p, hint="put a CRD in an earlier sync wave than its custom resources")
                          for p in problems])


def apply_waves(kube: Kube, tree: list[o.Obj], *, timeout: float, force: bool, progress: Progress,
                clock: Clock, awaited: Callable[[o.Obj], bool] = lambda obj: True,
                workers: int = 1) -> tuple[list[str], int]:
    """Server-side apply wave by wave: CRDs established first, then the rest, then the wave's readiness.

    Objects of one kind rank in one wave (all NetworkPolicies, all Applications) do not depend on each
    other, so up to `workers` of them are applied at once; results are taken in apply order.
    """
    check_order(tree)
    learn_tree(kube, tree)
    applied: list[str] = []
    stages = o.waves(tree)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="apply") as pool:
        for stage in stages:
            progress.task(f"wave {stage.number}: apply {len(stage.objects)} objects", len(stage.objects))
            seen: dict[o.Ref, o.Obj] = {}
            for crd in stage.crds:
                seen[o.ref(crd)] = kube.apply(crd, force=force)
                applied.append(str(o.ref(crd)))
                progress.advance(str(o.ref(crd)))
            if stage.crds:
                progress.note(f"wave {stage.number}: waiting for {len(stage.crds)} CRDs to be established")
                until_ready(kube, stage.crds, timeout, clock, what="established", seen=seen)
                kube.refresh_crds()
            for _, group in groupby(stage.rest, key=o.kind_rank):
                batch = list(group)
                for api_version, kind in dict.fromkeys((r.api_version, r.kind) for r in map(o.ref, batch)):
                    if not kube.served(api_version, kind):
                        progress.note(f"waiting for the CRD of {kind} ({api_version}) to be established")
                        until_kind(kube, api_version, kind, timeout, clock)
                stored = pool.map(lambda obj: apply_one(kube, obj, force, timeout, clock), batch)
                for obj, live in zip(batch, stored, strict=True):
                    seen[o.ref(obj)] = live
                    applied.append(str(o.ref(obj)))
                    progress.advance(str(o.ref(obj)))
            waited = [obj for obj in stage.objects if awaited(obj)]
            progress.task(f"wave {stage.number}: wait until ready", len(waited))
            until_ready(kube, waited, timeout, clock, on_ready=lambda r: progress.advance(str(r)), seen=seen)
    return applied, len(stages)


def apply_one(kube: Kube, obj: o.Obj, force: bool, timeout: float, clock: Clock) -> o.Obj:
    """Apply one object and return it as stored; a Namespace still being deleted (a destroy just before)
    is awaited and made anew."""
    live = kube.apply(obj, force=force)
    if o.ref(obj).kind == "Namespace" and (live.get("metadata") or {}).get("deletionTimestamp"):
        until_gone(kube, [o.ref(obj)], timeout, clock)
        live = kube.apply(obj, force=force)
    return live
