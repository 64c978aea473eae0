"""Readiness read from an object's status, the way `kubectl rollout status` and Argo CD judge it.

Pure functions over the object as the API server returns it, so they are tested on
recorded objects. Kinds are matched by API group and kind (a custom `Deployment` is not
apps/Deployment), and a status is believed only once the controller has seen the current
spec (`observedGeneration`, or for an Argo CD Application the source it compared).
`failed` means waiting longer will not help (a failed Job, a Deployment past its progress
deadline, a Degraded Application or a failed sync); `ready=False` alone means "keep waiting".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homelab.cluster.objects import Obj


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reason: str = ""
    failed: bool = False


READY = Readiness(True, "ready")


def _status(obj: Obj) -> dict[str, Any]:
    return dict(obj.get("status") or {})


def conditions(obj: Obj) -> dict[str, dict[str, Any]]:
    return {str(c.get("type")): c for c in _status(obj).get("conditions") or [] if isinstance(c, dict)}


def _is_true(obj: Obj, kind: str) -> bool:
    return str(conditions(obj).get(kind, {}).get("status")) == "True"


def _observed(obj: Obj) -> Readiness | None:
    generation = (obj.get("metadata") or {}).get("generation")
    observed = _status(obj).get("observedGeneration")
    if generation is not None and (observed is None or int(observed) < int(generation)):
        return Readiness(False, f"waiting for the controller to observe generation {generation}")
    return None


def _deployment(obj: Obj) -> Readiness:
    if (pending := _observed(obj)) is not None:
        return pending
    progressing = conditions(obj).get("Progressing", {})
    if progressing.get("reason") == "ProgressDeadlineExceeded":
        return Readiness(False, f"rollout exceeded its progress deadline: {progressing.get('message', '')}",
                         failed=True)
    s = _status(obj)
    want = int((obj.get("spec") or {}).get("replicas", 1))
    updated, total = int(s.get("updatedReplicas", 0)), int(s.get("replicas", 0))
    available = int(s.get("availableReplicas", 0))
    if updated < want:
        return Readiness(False, f"{updated} of {want} replicas updated")
    if total > updated:
        return Readiness(False, f"{total - updated} old replicas pending termination")
    if available < updated:
        return Readiness(False, f"{available} of {updated} updated replicas available")
    return READY


def _statefulset(obj: Obj) -> Readiness:
    if (pending := _observed(obj)) is not None:
        return pending
    spec, s = obj.get("spec") or {}, _status(obj)
    if (spec.get("updateStrategy") or {}).get("type") == "OnDelete":
        return READY
    want = int(spec.get("replicas", 1))
    ready = int(s.get("readyReplicas", 0))
    if ready < want:
        return Readiness(False, f"{ready} of {want} pods ready")
    partition = int(((spec.get("updateStrategy") or {}).get("rollingUpdate") or {}).get("partition", 0))
    if partition == 0 and s.get("updateRevision") and s.get("updateRevision") != s.get("currentRevision"):
        return Readiness(False, f"{s.get('updatedReplicas', 0)} of {want} pods updated to the new revision")
    return READY


def _daemonset(obj: Obj) -> Readiness:
    if (pending := _observed(obj)) is not None:
        return pending
    s = _status(obj)
    want = int(s.get("desiredNumberScheduled", 0))
    updated, available = int(s.get("updatedNumberScheduled", 0)), int(s.get("numberAvailable", 0))
    if updated < want:
        return Readiness(False, f"{updated} of {want} nodes updated")
    if available < want:
        return Readiness(False, f"{available} of {want} pods available")
    return READY


def _job(obj: Obj) -> Readiness:
    if _is_true(obj, "Complete"):
        return READY
    if _is_true(obj, "Failed"):
        return Readiness(False, f"job failed: {conditions(obj)['Failed'].get('message', '')}", failed=True)
    return Readiness(False, f"{_status(obj).get('succeeded', 0)} pods succeeded so far")


def _crd(obj: Obj) -> Readiness:
    if _is_true(obj, "Established"):
        return READY
    names = conditions(obj).get("NamesAccepted", {})
    if str(names.get("status")) == "False":
        return Readiness(False, f"names not accepted: {names.get('message', '')}", failed=True)
    return Readiness(False, "not established yet")


def _sources(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return list(spec.get("sources") or ([spec["source"]] if spec.get("source") else []))


def _source_key(source: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(source.get(k) or "").rstrip("/") for k in ("repoURL", "chart", "path", "targetRevision"))


def _application(obj: Obj) -> Readiness:
    s = _status(obj)
    sync = str((s.get("sync") or {}).get("status", "Unknown"))
    health = (s.get("health") or {})
    state = str(health.get("status", "Unknown"))
    operation = s.get("operationState") or {}
    detail = health.get("message") or operation.get("message") or ""
    if operation.get("phase") in ("Failed", "Error"):
        return Readiness(False, f"sync {operation['phase'].lower()}: {operation.get('message', '')}", failed=True)
    if state == "Degraded":
        return Readiness(False, f"health Degraded: {detail or 'see the Application in Argo CD'}", failed=True)
    wanted = [_source_key(x) for x in _sources(obj.get("spec") or {})]
    compared = (s.get("sync") or {}).get("comparedTo")
    if wanted and compared is not None and [_source_key(x) for x in _sources(compared)] != wanted:
        return Readiness(False, "Argo CD has not compared the current source yet")
    if sync == "Synced" and state == "Healthy":
        return READY
    return Readiness(False, f"sync {sync}, health {state}" + (f": {detail}" if detail else ""))


def _namespace(obj: Obj) -> Readiness:
    phase = _status(obj).get("phase", "Active")
    return READY if phase == "Active" else Readiness(False, f"namespace is {phase}")


def _generic(obj: Obj) -> Readiness:
    """Custom resources that publish a Ready or Available condition are awaited on it; others are ready."""
    found = conditions(obj)
    for kind in ("Ready", "Available"):
        if kind in found:
            c = found[kind]
            generation = (obj.get("metadata") or {}).get("generation")
            # Not every controller publishes observedGeneration; where one does, an older one is stale.
            for seen in (_status(obj).get("observedGeneration"), c.get("observedGeneration")):
                if generation is not None and seen is not None and int(seen) < int(generation):
                    return Readiness(False, f"{kind} is from generation {seen}; waiting for the controller to "
                                            f"observe generation {generation}")
            if str(c.get("status")) == "True":
                return READY
            return Readiness(False, f"{kind}={c.get('status')}: {c.get('reason', '')} {c.get('message', '')}".strip())
    return READY


_BY_KIND: dict[tuple[str, str], Callable[[Obj], Readiness]] = {
    ("apps", "Deployment"): _deployment,
    ("apps", "StatefulSet"): _statefulset,
    ("apps", "DaemonSet"): _daemonset,
    ("batch", "Job"): _job,
    ("apiextensions.k8s.io", "CustomResourceDefinition"): _crd,
    ("argoproj.io", "Application"): _application,
    ("", "Namespace"): _namespace,
}
# Kinds whose status says nothing about readiness (or would deadlock, like WaitForFirstConsumer PVCs).
_NOT_AWAITED = {("", "PersistentVolumeClaim"), ("", "Service"), ("", "ConfigMap"), ("", "Secret"),
                ("", "ServiceAccount"), ("batch", "CronJob")}


def readiness(obj: Obj) -> Readiness:
    key = (str(obj.get("apiVersion", "")).rpartition("/")[0], str(obj.get("kind", "")))
    if key in _NOT_AWAITED:
        return READY
    return _BY_KIND.get(key, _generic)(obj)
