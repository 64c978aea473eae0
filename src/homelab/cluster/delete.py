"""Deleting what we own (prune and destroy): in an order that lets finalizers run, never half-refused.

Every delete is first sent as a server-side dry run; then steps follow `delete_steps`, each waited
until its objects are gone; a failure names exactly what was and was not deleted.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from homelab.cluster import objects as o
from homelab.cluster.kube import Kube
from homelab.cluster.wait import Clock, until_gone
from homelab.errors import HomelabError, Problem

if TYPE_CHECKING:
    from homelab.cluster.apply import Progress


def delete_steps(doomed: list[o.Obj]) -> list[list[o.Obj]]:
    """Applications and other custom resources first, wave by wave in reverse, each wave gone before the
    next (their finalizers need Argo CD and the operators of earlier waves still running); then every
    built-in kind at once; then the Namespaces and CRDs at once (the namespace controller empties them)."""
    waves_of = o.effective_waves(doomed)
    custom: dict[int, list[o.Obj]] = {}
    builtin: list[o.Obj] = []
    last: list[o.Obj] = []
    for obj in o.delete_order(doomed):
        r = o.ref(obj)
        if o.is_custom(obj):
            custom.setdefault(waves_of[r], []).append(obj)
        elif (r.group, r.kind) in (("", "Namespace"), ("apiextensions.k8s.io", "CustomResourceDefinition")):
            last.append(obj)
        else:
            builtin.append(obj)
    steps = [custom[number] for number in sorted(custom, reverse=True)]
    return [step for step in (*steps, builtin, last) if step]


def delete_in_order(kube: Kube, doomed: list[o.Obj], timeout: float, clock: Clock, progress: Progress,
                    title: str, workers: int = 1) -> list[str]:
    """Delete step by step (see `delete_steps`), each step gone before the next; all dry-run checked first.

    The server-side dry run catches missing RBAC and admission refusals for every object
    before the first real delete, so a refusal leaves the cluster untouched. Up to `workers`
    deletes of one step go out at once; a failure is reported after the step's others finished,
    so the summary of what was deleted is exact.
    """
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="delete") as pool:
        list(pool.map(lambda obj: kube.delete(o.ref(obj), dry_run=True), doomed))
        done: list[str] = []
        progress.task(f"{title}: delete {len(doomed)} objects", len(doomed))
        for step in delete_steps(doomed):
            refs = [o.ref(obj) for obj in step]
            outcomes = [pool.submit(kube.delete, r) for r in refs]
            failure: BaseException | None = None
            for r, outcome in zip(refs, outcomes, strict=True):
                if outcome.exception() is None:
                    done.append(str(r))
                    progress.advance(str(r))
                else:
                    failure = failure or outcome.exception()
            try:
                if failure is not None:
                    raise failure
                until_gone(kube, refs, timeout, clock)
            except Exception as exc:
                left = [str(o.ref(d)) for d in doomed if str(o.ref(d)) not in done]
                raise _partial(exc, done, left) from None
    return done


def _partial(exc: Exception, done: list[str], left: list[str]) -> Exception:
    """The original error, extended with exactly what was and was not deleted."""
    if not isinstance(exc, HomelabError):
        return exc
    summary = (f"stopped after deleting {len(done)} object(s)" + (f" ({', '.join(done)})" if done else "") +
               f"; not deleted: {', '.join(left) if left else 'nothing'}")
    note = Problem(summary, hint="fix the cause and re-run; it continues where it stopped")
    return HomelabError([*exc.problems, note], exit_code=exc.exit_code)
