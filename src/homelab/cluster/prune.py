"""What to prune: live objects that carry our ownership labels and are gone from the tree.

Controllers copy pod-template labels onto ReplicaSets and Pods; those have an owner
reference and are never pruned directly (their owner's deletion removes them). The kinds
we have ever applied are kept in a small inventory ConfigMap in the cluster, so an object
of a kind that has since left the tree is still found.
"""

from __future__ import annotations

from homelab.cluster.objects import ENV_LABEL, MANAGED_BY, PLATFORM_LABEL, Obj, delete_order, owned, protected, ref

INVENTORY_NAMESPACE = "kube-system"
KindKey = tuple[str, str]  # (apiVersion, kind)


def identity(obj: Obj) -> tuple[str, str, str, str]:
    """Identity without the version, so a version bump of a kind does not look like a new object."""
    r = ref(obj)
    return (r.group, r.kind, r.namespace, r.name)


def select_prune(live: list[Obj], desired: list[Obj], platform: str, env: str) -> list[Obj]:
    """Owned, top-level, not already deleting, not what runs Argo CD, and absent from `desired`; delete order."""
    wanted = {identity(obj) for obj in desired}
    chosen = []
    for obj in live:
        meta = obj.get("metadata") or {}
        if (not owned(obj, platform, env) or meta.get("ownerReferences") or meta.get("deletionTimestamp")
                or protected(obj)):
            continue
        if identity(obj) not in wanted:
            chosen.append(obj)
    return delete_order(chosen)


def kinds_of(objects: list[Obj]) -> set[KindKey]:
    return {(str(o.get("apiVersion")), str(o.get("kind"))) for o in objects}


def inventory_name(platform: str, env: str) -> str:
    return f"homelab-{platform}-{env}-inventory"


def inventory_object(platform: str, env: str, kinds: set[KindKey]) -> Obj:
    """The ConfigMap that remembers every kind applied in this environment (one `apiVersion Kind` a line)."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": inventory_name(platform, env),
            "namespace": INVENTORY_NAMESPACE,
            "labels": {MANAGED_BY: "homelab", PLATFORM_LABEL: platform, ENV_LABEL: env},
        },
        "data": {"kinds": "".join(f"{v} {k}\n" for v, k in sorted(kinds))},
    }


def inventory_kinds(configmap: Obj | None) -> set[KindKey]:
    if not configmap:
        return set()
    text = str((configmap.get("data") or {}).get("kinds", ""))
    out = set()
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2:
            out.add((parts[0], parts[1]))
    return out
