"""Lay the environments' objects out as a tree a person can read: a folder per component, a patch per difference.

Every component (and every platform concern) gets `<group>/base/` with the fields all the
environments that run it agree on, one file per kind, and `<group>/<env>/` with that environment's
own values for the other fields, as strategic-merge patches under the same file names (plus the
objects only that environment has). No environment is the base: each one's folder says exactly
where it differs. `<env>/kustomization.yaml` lists one folder per component. `sortOptions: fifo`
keeps kustomize's output in the order we list, so `kustomize.build` reproduces kubectl exactly.
"""

from __future__ import annotations

import re
from typing import Any

from homelab.render.context import ENV_LABEL, WAVE, Obj

BASE = "base"
KUSTOMIZATION = "kustomization.yaml"
KIND_RANK = {"Namespace": 0, "AppProject": 1}
# Kinds kept in the namespace's own file: the Namespace and what applies to everything inside it.
NAMESPACE_KINDS = frozenset({"Namespace", "LimitRange", "ResourceQuota", "NetworkPolicy"})
# Built-in kinds whose lists kustomize merges by key (containers by name, ports by port): a patch of
# theirs would not replace a list, so an object of these kinds that differs is written whole per environment.
MERGING_KINDS = frozenset({"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob",
                           "Service", "ServiceAccount", "Endpoints"})
NOTHING: Any = object()  # `common` of values that share nothing (None is a value Helm values may hold)
_WORD = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


class Docs(list[dict[str, Any]]):
    """The objects of one file, written as a multi-document YAML stream."""


def kustomization(**fields: Any) -> dict[str, Any]:
    return {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
            "sortOptions": {"order": "fifo"}, **fields}


def file_of(kind: str) -> str:
    """The file an object of `kind` lives in, in its component's folder: `ExternalSecret` -> external-secret.yaml."""
    return "namespace.yaml" if kind in NAMESPACE_KINDS else _WORD.sub("-", kind).lower() + ".yaml"


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
    """What `body` has beyond `base`, as a merge patch (mappings recurse, anything else whole); None if nothing."""
    if body == base:
        return None
    if not (isinstance(body, dict) and isinstance(base, dict)):
        return body
    out = {}
    for key, value in body.items():
        if key not in base:
            out[key] = value
        elif (inner := difference(value, base[key])) is not None:
            out[key] = inner
    return out or None


def _has_null(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_null(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_null(v) for v in value)
    return value is None


def _identity(body: dict[str, Any]) -> dict[str, Any]:
    meta = body["metadata"]
    ident: dict[str, Any] = {"apiVersion": body["apiVersion"], "kind": body["kind"], "metadata": {"name": meta["name"]}}
    if meta.get("namespace"):
        ident["metadata"]["namespace"] = meta["namespace"]
    return ident


def _order(objs: list[Obj]) -> tuple[int, int, str]:
    waves = [int(o.body["metadata"].get("annotations", {}).get(WAVE, 0)) for o in objs]
    return (min(KIND_RANK.get(o.kind, 2) for o in objs), min(waves), objs[0].group)


def _files(bodies: list[dict[str, Any]]) -> dict[str, Docs]:
    """Objects into their files (namespace first, then by kind), each file's objects in apply order."""
    out: dict[str, Docs] = {}
    ranked = sorted(bodies, key=lambda b: (KIND_RANK.get(b["kind"], 2), file_of(b["kind"]) != "namespace.yaml",
                                           file_of(b["kind"])))
    for body in ranked:
        out.setdefault(file_of(body["kind"]), Docs()).append(body)
    return out


def _split(per_env: dict[str, list[Obj]]) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]],
                                                  dict[str, list[dict[str, Any]]]]:
    """(base objects, patches per environment, objects only that environment has) for one group."""
    envs = list(per_env)
    by_key = {env: {o.key(): o.body for o in objs} for env, objs in per_env.items()}
    base: list[dict[str, Any]] = []
    patches: dict[str, list[dict[str, Any]]] = {env: [] for env in envs}
    own: dict[str, list[dict[str, Any]]] = {env: [] for env in envs}
    shared = [o.key() for o in per_env[envs[0]] if all(o.key() in by_key[e] for e in envs[1:])]
    for key in shared:
        bodies = [by_key[env][key] for env in envs]
        merged = common(bodies)
        diffs = {env: difference(body, merged) for env, body in zip(envs, bodies, strict=True)}
        changed = [diff for diff in diffs.values() if diff is not None]
        # a patch cannot set null (it deletes), nor replace a list kustomize merges by key
        whole = bool(changed) and (bodies[0]["kind"] in MERGING_KINDS or _has_null(changed))
        if whole:  # a patch could not say it: each environment keeps its own copy
            for env, body in zip(envs, bodies, strict=True):
                own[env].append(body)
            continue
        base.append(merged)
        for env, diff in diffs.items():
            if diff:
                patch = _identity(merged)
                patch.update({k: v for k, v in diff.items() if k != "metadata"})
                if "metadata" in diff:
                    patch["metadata"] = {**diff["metadata"], **patch["metadata"]}
                patches[env].append(patch)
    shared_keys = set(shared)
    for env, objs in per_env.items():
        own[env].extend(o.body for o in objs if o.key() not in shared_keys)
    return base, patches, own


def factor(per_env: dict[str, list[Obj]]) -> dict[str, Any]:
    """Relative path -> YAML-ready data (a mapping, or Docs) for every component folder and environment."""
    files: dict[str, Any] = {}
    groups: dict[str, dict[str, list[Obj]]] = {}
    for env, objs in per_env.items():
        for obj in objs:
            groups.setdefault(obj.group, {}).setdefault(env, []).append(obj)
    listed: dict[str, list[tuple[tuple[int, int, str], str]]] = {env: [] for env in per_env}
    for group, members in groups.items():
        base, patches, own = _split(members)
        if base:
            base_files = _files(base)
            files.update((f"{group}/{BASE}/{name}", docs) for name, docs in base_files.items())
            files[f"{group}/{BASE}/{KUSTOMIZATION}"] = kustomization(resources=list(base_files))
        for env, objs in members.items():
            mine = _files(own[env])
            changes = _files(patches[env])
            folder = f"{group}/{env}" if mine or changes else f"{group}/{BASE}"
            if mine or changes:
                names = {name: (f"added-{name}" if name in changes else name) for name in mine}
                files.update((f"{folder}/{names[name]}", docs) for name, docs in mine.items())
                files.update((f"{folder}/{name}", docs) for name, docs in changes.items())
                fields: dict[str, Any] = {"resources": ([f"../{BASE}"] if base else []) + list(names.values())}
                if changes:
                    fields["patches"] = [{"path": name} for name in changes]
                files[f"{folder}/{KUSTOMIZATION}"] = kustomization(**fields)
            listed[env].append((_order(objs), folder))
    for env, entries in listed.items():
        files[f"{env}/{KUSTOMIZATION}"] = kustomization(
            labels=[{"pairs": {ENV_LABEL: env}, "includeSelectors": False}],
            resources=[f"../{folder}" for _, folder in sorted(entries)])
    return files
