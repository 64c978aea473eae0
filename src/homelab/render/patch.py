"""The difference between two versions of one object, as the smallest kustomize patch that says it.

`common` finds what several environments' objects agree on (a component's base); `merge_patch` says
what one environment's object has beyond that base as a strategic-merge patch of just those fields
(a field the environment lacks is `null`, which deletes it). Two things such a patch cannot say: a
`null` the object really holds (a patch's null deletes), and a list of a kind kustomize merges by key
(containers by name); for those `json_ops` gives JSON 6902 operations, exact for any change.
"""

from __future__ import annotations

from typing import Any

NOTHING: Any = object()  # `common` of values that share nothing (None is a value Helm values may hold)
DELETE: Any = object()  # in a difference: the base has this key, the object does not
# Built-in kinds whose lists kustomize merges by key (containers by name, ports by port): a patch of
# theirs would not replace a list, so a difference of theirs is said by JSON 6902 operations.
MERGING_KINDS = frozenset({"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob",
                           "Service", "ServiceAccount", "Endpoints"})


def common(values: list[Any]) -> Any:
    """The part every value agrees on: equal values whole, mappings key by key; NOTHING when nothing is shared."""
    first = values[0]
    if all(v == first for v in values[1:]):
        return first
    if not all(isinstance(v, dict) for v in values):
        return NOTHING
    out = {}
    for key in first:
        if all(key in v for v in values[1:]):
            shared = common([v[key] for v in values])
            if shared is not NOTHING and (shared != {} or all(v[key] == {} for v in values)):
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


def _pointer(parts: list[str]) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def json_ops(body: Any, base: Any, at: list[str] | None = None) -> list[dict[str, Any]]:
    """JSON 6902 operations that turn `base` into `body`: remove, add and replace on mapping members only."""
    at = at or []
    if body == base:
        return []
    if not (isinstance(body, dict) and isinstance(base, dict)):
        return [{"op": "replace", "path": _pointer(at), "value": body}]
    ops = [{"op": "remove", "path": _pointer([*at, key])} for key in base if key not in body]
    for key, value in body.items():
        if key in base:
            ops.extend(json_ops(value, base[key], [*at, key]))
        else:
            ops.append({"op": "add", "path": _pointer([*at, key]), "value": value})
    return ops


def target(body: dict[str, Any]) -> dict[str, Any]:
    """The kustomize patch target that selects exactly `body`."""
    group, _, version = str(body["apiVersion"]).rpartition("/")
    meta = body["metadata"]
    out = {"group": group, "version": version, "kind": body["kind"], "name": meta["name"]}
    if meta.get("namespace"):
        out["namespace"] = meta["namespace"]
    return out
