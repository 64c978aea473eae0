"""The difference between two versions of one object, as the smallest kustomize patch that says it.

`common` finds what several environments' objects agree on (a component's base); `merge_patch` says
what one environment's object has beyond that base as a strategic-merge patch of just those fields
(a field the environment lacks is `null`, which deletes it). Two things such a patch cannot say: a
`null` the object really holds (a patch's null deletes), and a list of a kind kustomize merges by key
(containers by name); for those `json_ops` gives JSON 6902 operations, exact for any change.

A list of equal length in every environment shares what its items share, item by item (a Keycloak realm's
clients that differ only in their `rootUrl`). A merge patch of a custom resource replaces such a list whole,
so where it would and the patch is long, `prefer_ops` says when the operations on the items are much shorter.
"""

from __future__ import annotations

from typing import Any

NOTHING: Any = object()  # `common` of values that share nothing (None is a value Helm values may hold)
DELETE: Any = object()  # in a difference: the base has this key, the object does not
# Built-in kinds whose lists kustomize merges by key (containers by name, ports by port): a patch of
# theirs would not replace a list, so a difference of theirs is said by JSON 6902 operations.
MERGING_KINDS = frozenset({"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob",
                           "Service", "ServiceAccount", "Endpoints"})


def _shares(shared: Any, values: list[Any]) -> bool:
    """Whether `common` found something worth keeping: not NOTHING, and not an empty mapping of non-empty ones."""
    return shared is not NOTHING and (shared != {} or all(v == {} for v in values))


def common(values: list[Any], items: bool = False) -> Any:
    """The part every value agrees on: equal values whole, mappings key by key, with `items` lists of one
    length item by item (when every item shares something); NOTHING when nothing is shared."""
    first = values[0]
    if all(v == first for v in values[1:]):
        return first
    if items and all(isinstance(v, list) and len(v) == len(first) for v in values):
        shared_items = [common([v[i] for v in values], items) for i in range(len(first))]
        shared = all(_shares(item, [v[i] for v in values]) for i, item in enumerate(shared_items))
        return shared_items if shared else NOTHING
    if not all(isinstance(v, dict) for v in values):
        return NOTHING
    out = {}
    for key in first:
        if all(key in v for v in values[1:]):
            shared = common([v[key] for v in values], items)
            if _shares(shared, [v[key] for v in values]):
                out[key] = shared
    return out


def difference(body: Any, base: Any) -> Any:
    """What object `body` has beyond `base` (mappings recurse, anything else whole, DELETE for a key it lacks, and
    a None it holds kept as None); None if nothing."""
    inner = _inner(body, base)
    return None if inner is SAME else inner


SAME: Any = object()  # `_inner` of equal values (None is a difference: a value Helm values may hold)


def _inner(body: Any, base: Any) -> Any:
    if body == base:
        return SAME
    if not (isinstance(body, dict) and isinstance(base, dict)):
        return body
    out = {key: DELETE for key in base if key not in body}
    for key, value in body.items():
        if key not in base:
            out[key] = value
        elif (inner := _inner(value, base[key])) is not SAME:
            out[key] = inner
    return out


def _has_null(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_null(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_null(v) for v in value)
    return value is None


def _nulled(diff: Any) -> Any:
    """A difference as a merge patch: DELETE becomes null."""
    if isinstance(diff, dict):
        return {k: None if v is DELETE else _nulled(v) for k, v in diff.items()}
    return diff


def expressible(kind: str, diff: Any) -> bool:
    """Whether a strategic-merge patch says `diff` exactly: no null it must set, no list kustomize would merge."""
    return diff is None or (kind not in MERGING_KINDS and not _has_null(diff))


def identity(body: dict[str, Any]) -> dict[str, Any]:
    """apiVersion, kind, name and namespace: what a patch names its target by."""
    meta = body["metadata"]
    ident: dict[str, Any] = {"apiVersion": body["apiVersion"], "kind": body["kind"], "metadata": {"name": meta["name"]}}
    if meta.get("namespace"):
        ident["metadata"]["namespace"] = meta["namespace"]
    return ident


def merge_patch(base: dict[str, Any], diff: dict[str, Any]) -> dict[str, Any]:
    """A strategic-merge patch of `base` holding `diff` (from `difference`), led by the target's identity."""
    patch = identity(base)
    diff = _nulled(diff)
    patch.update({k: v for k, v in diff.items() if k != "metadata"})
    if "metadata" in diff:
        patch["metadata"] = {**diff["metadata"], **patch["metadata"]}
    return patch


def deletion(base: dict[str, Any]) -> dict[str, Any]:
    """A patch that removes `base` from what the folder builds."""
    return {**identity(base), "$patch": "delete"}


def pointer(parts: list[str]) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def json_ops(body: Any, base: Any, at: list[str] | None = None) -> list[dict[str, Any]]:
    """JSON 6902 operations that turn `base` into `body`: remove, add and replace on mapping members, and on
    the items of a list whose length stays (a list that changes length is replaced whole)."""
    at = at or []
    if body == base:
        return []
    if isinstance(body, list) and isinstance(base, list) and len(body) == len(base):
        return [op for i, (mine, theirs) in enumerate(zip(body, base, strict=True))
                for op in json_ops(mine, theirs, [*at, str(i)])]
    if not (isinstance(body, dict) and isinstance(base, dict)):
        return [{"op": "replace", "path": pointer(at), "value": body}]
    ops = [{"op": "remove", "path": pointer([*at, key])} for key in base if key not in body]
    for key, value in body.items():
        if key in base:
            ops.extend(json_ops(value, base[key], [*at, key]))
        else:
            ops.append({"op": "add", "path": pointer([*at, key]), "value": value})
    return ops


def replaces_list(diff: Any, base: Any) -> bool:
    """Whether a merge patch holding `diff` replaces a list of `base` by one of the same length."""
    if isinstance(diff, list):
        return isinstance(base, list) and len(diff) == len(base)
    if isinstance(diff, dict) and isinstance(base, dict):
        return any(replaces_list(value, base[key]) for key, value in diff.items() if key in base)
    return False


# A merge patch longer than this (about a screen) that replaces a list is worth saying as operations.
LONG_PATCH = 60


def prefer_ops(merge_lines: int, ops_lines: int) -> bool:
    """JSON 6902 operations instead of a long merge patch that replaces a list: when they take at most half
    its lines (a short patch stays a patch: it shows the items whole)."""
    return merge_lines > LONG_PATCH and 2 * ops_lines <= merge_lines


def target(body: dict[str, Any]) -> dict[str, Any]:
    """The kustomize patch target that selects exactly `body`."""
    group, _, version = str(body["apiVersion"]).rpartition("/")
    meta = body["metadata"]
    out = {"group": group, "version": version, "kind": body["kind"], "name": meta["name"]}
    if meta.get("namespace"):
        out["namespace"] = meta["namespace"]
    return out
