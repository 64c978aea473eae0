"""Kubernetes objects as plain dicts: identity, ownership labels, waves and kind order.

Everything here is pure so ordering and selection can be tested on recorded API objects.
Apply order follows kinds (CRDs, Namespaces, RBAC, config, workloads, Argo CD projects and
Applications, then other custom resources) inside Argo CD sync waves; a Namespace moves up to
the earliest wave of anything inside it. Deletion is the exact reverse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]

MANAGED_BY = "app.kubernetes.io/managed-by"
PLATFORM_LABEL = "homelab.dev/platform"
ENV_LABEL = "homelab.dev/env"
SYNC_WAVE = "argocd.argoproj.io/sync-wave"
# Set by render on what runs the GitOps controller itself: prune and destroy never delete it.
PROTECTED = "homelab.dev/protected"

# Group/kind rank for apply; unknown built-in kinds sit with workloads, custom resources last.
_RANK = {
    "CustomResourceDefinition": 10,
    "Namespace": 20,
    "ResourceQuota": 21,
    "LimitRange": 22,
    "PriorityClass": 23,
    "StorageClass": 24,
    "ServiceAccount": 30,
    "ClusterRole": 31,
    "Role": 32,
    "ClusterRoleBinding": 33,
    "RoleBinding": 34,
    "Secret": 40,
    "ConfigMap": 41,
    "PersistentVolume": 42,
    "PersistentVolumeClaim": 43,
    "NetworkPolicy": 44,
    "Service": 50,
    "Deployment": 51,
    "StatefulSet": 51,
    "DaemonSet": 51,
    "Job": 52,
    "CronJob": 52,
    "Ingress": 53,
    "HorizontalPodAutoscaler": 54,
    "PodDisruptionBudget": 54,
    # An Application may install the CRDs of the custom resources beside it: it goes first.
    "AppProject": 88,
    "Application": 89,
}
_WORKLOAD_RANK = 55
_CUSTOM_RANK = 90
_FIRST_CUSTOM_RANK = 88


@dataclass(frozen=True, order=True)
class Ref:
    """Identity of one object: what kubectl would print as group/kind namespace/name."""

    api_version: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}/{where}{self.name}"

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]


def ref(obj: Obj) -> Ref:
    meta = obj.get("metadata") or {}
    return Ref(str(obj.get("apiVersion", "")), str(obj.get("kind", "")),
               str(meta.get("namespace") or ""), str(meta.get("name", "")))


def labels(obj: Obj) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("labels") or {})


def annotations_of(obj: Obj) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("annotations") or {})


# API groups served by kube-apiserver itself (gateway.networking.k8s.io and friends are CRDs).
BUILTIN_GROUPS = frozenset({
    "", "apps", "batch", "autoscaling", "policy", "admissionregistration.k8s.io", "apiextensions.k8s.io",
    "apiregistration.k8s.io", "authentication.k8s.io", "authorization.k8s.io", "certificates.k8s.io",
    "coordination.k8s.io", "discovery.k8s.io", "events.k8s.io", "flowcontrol.apiserver.k8s.io",
    "internal.apiserver.k8s.io", "networking.k8s.io", "node.k8s.io", "rbac.authorization.k8s.io",
    "resource.k8s.io", "scheduling.k8s.io", "storage.k8s.io", "storagemigration.k8s.io",
})


def is_builtin_group(group: str) -> bool:
    return group in BUILTIN_GROUPS


def kind_rank(obj: Obj) -> int:
    kind = str(obj.get("kind", ""))
    if kind in _RANK:
        return _RANK[kind]
    return _WORKLOAD_RANK if is_builtin_group(ref(obj).group) else _CUSTOM_RANK


def is_custom(obj: Obj) -> bool:
    """Argo CD objects and other custom resources: their finalizers need a controller still running."""
    return kind_rank(obj) >= _FIRST_CUSTOM_RANK


def wave(obj: Obj) -> int:
    """The Argo CD sync wave (default 0); a malformed value is treated as 0, as Argo CD does."""
    try:
        return int(annotations_of(obj).get(SYNC_WAVE, "0"))
    except ValueError:
        return 0


def ownership_selector(platform: str, env: str) -> dict[str, str]:
    """The labels that mark an object as ours in one environment."""
    return {PLATFORM_LABEL: platform, ENV_LABEL: env}


def owned(obj: Obj, platform: str, env: str) -> bool:
    found = labels(obj)
    return all(found.get(k) == v for k, v in ownership_selector(platform, env).items())


def protected(obj: Obj) -> bool:
    return PROTECTED in annotations_of(obj)


def effective_waves(objects: list[Obj]) -> dict[Ref, int]:
    """Each object's sync wave; a Namespace moves up to the earliest wave of any object inside it."""
    first: dict[str, int] = {}
    for obj in objects:
        ns = ref(obj).namespace
        if ns:
            first[ns] = min(first.get(ns, wave(obj)), wave(obj))
    out = {}
    for obj in objects:
        r = ref(obj)
        out[r] = min(wave(obj), first.get(r.name, wave(obj))) if (r.group, r.kind) == ("", "Namespace") else wave(obj)
    return out


def apply_order(objects: list[Obj]) -> list[Obj]:
    waves_of = effective_waves(objects)

    def key(obj: Obj) -> tuple[int, int, str, str, str]:
        r = ref(obj)
        return (waves_of[r], kind_rank(obj), r.namespace, r.kind, r.name)

    return sorted(objects, key=key)


def delete_order(objects: list[Obj]) -> list[Obj]:
    """Reverse of apply order: custom resources and workloads first, CRDs and Namespaces last."""
    return list(reversed(apply_order(objects)))


@dataclass
class Wave:
    """One sync wave split into CRDs (which must be Established first) and everything else."""

    number: int
    crds: list[Obj]
    rest: list[Obj]

    @property
    def objects(self) -> list[Obj]:
        return self.crds + self.rest


def waves(objects: list[Obj]) -> list[Wave]:
    """Group objects by sync wave in apply order, CRDs separated so they can be awaited."""
    out: dict[int, Wave] = {}
    waves_of = effective_waves(objects)
    for obj in apply_order(objects):
        number = waves_of[ref(obj)]
        w = out.setdefault(number, Wave(number, [], []))
        (w.crds if obj.get("kind") == "CustomResourceDefinition" else w.rest).append(obj)
    return list(out.values())


def crd_kinds(objects: list[Obj]) -> dict[tuple[str, str], Obj]:
    """(group, kind) -> the CRD object defining it, for the CRDs in `objects`."""
    found = {}
    for obj in objects:
        if obj.get("kind") == "CustomResourceDefinition":
            spec = obj.get("spec") or {}
            found[(str(spec.get("group", "")), str((spec.get("names") or {}).get("kind", "")))] = obj
    return found


def misordered_custom_resources(objects: list[Obj]) -> list[str]:
    """Custom resources placed in an earlier wave than the CRD (in the same tree) that defines them."""
    crds = crd_kinds(objects)
    problems = []
    for obj in objects:
        r = ref(obj)
        crd = crds.get((r.group, r.kind))
        if crd is not None and wave(obj) < wave(crd):
            problems.append(f"{r} is in wave {wave(obj)} but its CRD {ref(crd).name} is in wave {wave(crd)}")
    return problems
