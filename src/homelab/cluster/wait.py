"""Waiting for readiness (or disappearance) by polling, with one deadline per wave.

Polling `get` keeps the loop simple and lets tests drive it with a fake clock over a
faked transport; a homelab wave holds tens of objects, not thousands. Pauses start short
and double up to `interval`: most objects are ready at once, a few take a while.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from homelab.cluster.kube import Kube
from homelab.cluster.objects import Obj, Ref, ref
from homelab.cluster.readiness import Readiness, readiness
from homelab.errors import ExitCode, cluster_error


@dataclass
class Clock:
    """Real time by default; tests pass their own `now` and `sleep`."""

    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    interval: float = 2.0  # the longest pause between two polls
    first: float = 0.1  # the first pause

    def pauses(self) -> Iterator[float]:
        pause = self.first
        while True:
            yield min(pause, self.interval)
            pause *= 2


def until_ready(kube: Kube, objects: list[Obj], timeout: float, clock: Clock,
                on_ready: Callable[[Ref], None] = lambda r: None, what: str = "ready",
                seen: dict[Ref, Obj] | None = None) -> None:
    """Poll every object until each is ready; TIMEOUT names the ones that never were and why.

    `seen` holds what the apply itself answered: the first look needs no request for those
    (a ConfigMap or a NetworkPolicy is ready the moment it is stored).
    """
    pending = {ref(o): "not read yet" for o in objects}
    answered = dict(seen or {})
    deadline = clock.now() + timeout
    for pause in clock.pauses():
        for r in list(pending):
            live = answered.pop(r) if r in answered else kube.get(r)
            state = Readiness(False, "does not exist (yet)") if live is None else readiness(live)
            if state.ready:
                del pending[r]
                on_ready(r)
            elif state.failed:
                raise cluster_error(ExitCode.TIMEOUT, f"{r} will not become {what}: {state.reason}",
                                    _hint(r))
            else:
                pending[r] = state.reason
        if not pending:
            return
        if clock.now() >= deadline:
            lines = "; ".join(f"{r}: {why}" for r, why in sorted(pending.items()))
            first = next(iter(sorted(pending)))
            raise cluster_error(ExitCode.TIMEOUT, f"timed out after {timeout:.0f}s waiting for {len(pending)} "
                                f"object(s) to become {what}: {lines}", _hint(first))
        clock.sleep(pause)


def until_gone(kube: Kube, refs: list[Ref], timeout: float, clock: Clock) -> None:
    """Wait for deleted objects to disappear (finalizers, cascades) before the previous wave goes."""
    pending = list(refs)
    deadline = clock.now() + timeout
    for pause in clock.pauses():
        pending = [r for r in pending if kube.get(r) is not None]
        if not pending:
            return
        if clock.now() >= deadline:
            raise cluster_error(ExitCode.TIMEOUT, f"timed out after {timeout:.0f}s waiting for "
                                f"{', '.join(map(str, pending))} to be deleted",
                                "a finalizer is probably stuck; look at the object's metadata.finalizers")
        clock.sleep(pause)


INSTALLER = ("argoproj.io/v1alpha1", "Application")  # what brings a chart's CRDs into the cluster


def until_kind(kube: Kube, api_version: str, kind: str, timeout: float, clock: Clock) -> None:
    """Wait until the cluster serves a custom kind whose CRD arrives through an earlier wave (a chart
    installed by an Argo CD Application), i.e. until that CRD is Established. Without Argo CD nothing
    can bring it, so that fails at once instead of waiting out the timeout."""
    deadline = clock.now() + timeout
    pauses = clock.pauses()
    while not kube.served(api_version, kind):
        if api_version.split("/")[0] == INSTALLER[0].split("/")[0] or not kube.served(*INSTALLER):
            raise cluster_error(ExitCode.PREFLIGHT, f"the cluster does not serve {kind} ({api_version}) and Argo CD, "
                                "which would install it, is not installed", "run `homelab bootstrap` first")
        if clock.now() >= deadline:
            raise cluster_error(ExitCode.TIMEOUT, f"the CRD for {kind} ({api_version}) never became established "
                                f"within {timeout:.0f}s", "the component that installs it is not healthy; see "
                                "`homelab status`")
        clock.sleep(next(pauses))
        kube.refresh_crds()


def _hint(r: Ref) -> str:
    if r.kind == "CustomResourceDefinition":
        return f"kubectl describe crd {r.name}"
    if r.kind == "Application":
        return f"argocd app get {r.name}, or kubectl -n {r.namespace} describe application {r.name}"
    where = f" -n {r.namespace}" if r.namespace else ""
    return f"kubectl{where} describe {r.kind.lower()} {r.name}"
