"""`homelab diff`: what a server-side dry-run apply of the tree would change, object by object."""

from __future__ import annotations

from homelab.cluster import objects as o
from homelab.cluster.apply import prune_preview
from homelab.cluster.diff import ObjectDiff, diff_deleted, diff_object
from homelab.cluster.kube import Kube, learn_tree
from homelab.errors import ExitCode, HomelabError


def dry_run(kube: Kube, obj: o.Obj) -> tuple[o.Obj, str]:
    """What the server would store, and the conflict a real apply would meet (another manager's fields).

    A conflict is shown, not raised: the forced dry run says what `apply --force-conflicts` would make it.
    """
    try:
        return kube.apply(obj, dry_run=True), ""
    except HomelabError as exc:
        if exc.exit_code != ExitCode.CONFLICT:
            raise
        return kube.apply(obj, dry_run=True, force=True), exc.problems[0].message


def diff_tree(kube: Kube, tree: list[o.Obj], platform: str, env: str) -> list[ObjectDiff]:
    """One diff per object that would change, then one per object that would be pruned.

    Objects the server cannot dry-run yet (their Namespace or CRD arrives with this same
    apply) are shown as created, exactly as the tree writes them.
    """
    learn_tree(kube, tree)
    out: list[ObjectDiff] = []
    namespaces: dict[str, bool] = {}
    for obj in o.apply_order(tree):
        r = o.ref(obj)
        if r.namespace and r.namespace not in namespaces:
            namespaces[r.namespace] = kube.get(o.Ref("v1", "Namespace", "", r.namespace)) is not None
        if not kube.served(r.api_version, r.kind) or (r.namespace and not namespaces[r.namespace]):
            found = diff_object(None, obj)
        else:
            would, conflict = dry_run(kube, obj)
            found = diff_object(kube.get(r), would)
            if found and conflict:
                found.conflict = conflict
        if found:
            out.append(found)
    out.extend(diff_deleted(obj) for obj in prune_preview(kube, tree, platform, env))
    return out
