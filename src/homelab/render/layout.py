"""Lay the environments' objects out as a tree a person can read: a folder per component, a patch per difference.

Every component (and every platform concern) gets `<group>/base/` and `<group>/<env>/`. The base is
what every environment that runs the group would render without what `homelab promote` carries into
it (its `overrides.versions` and `.values` and its `overrides/<env>/` files): the objects all of them
have, each with the fields all of them agree on, one file per kind. An environment's folder holds
its own rendering's difference from that base: strategic-merge patches of just the differing fields
under the same file names, the objects only it has, and (rarely) JSON 6902 operations: where a merge
patch cannot say it, or where a long merge patch would replace a list whose items differ in a field or two
(a realm's clients differing in their `rootUrl`). So the base never depends on any environment's promoted
values: a promotion rewrites only the destination's folders. `<env>/kustomization.yaml` lists one folder per component.
`sortOptions: fifo` keeps kustomize's output in the order we list, so `kustomize.build` reproduces
kubectl exactly.
"""

from __future__ import annotations

import json
import re
from typing import Any

from homelab.render.context import ENV_LABEL, WAVE, Obj
from homelab.render.patch import (
    common,
    deletion,
    difference,
    expressible,
    json_ops,
    merge_patch,
    prefer_ops,
    replaces_list,
    target,
)
from homelab.render.unfold import unfold
from homelab.render.yamlout import dump, dump_text

BASE = "base"
KUSTOMIZATION = "kustomization.yaml"
KIND_RANK = {"Namespace": 0, "AppProject": 1}
# Kinds kept in the namespace's own file: the Namespace and what applies to everything inside it.
NAMESPACE_KINDS = frozenset({"Namespace", "LimitRange", "ResourceQuota"})
_WORD = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# A kind's file longer than this holding several objects is written one file per object instead.
SPLIT_LINES = 200
Key = tuple[str, str, str, str]


class Docs(list[dict[str, Any]]):
    """The objects of one file, written as a multi-document YAML stream."""


def kustomization(**fields: Any) -> dict[str, Any]:
    return {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
            "sortOptions": {"order": "fifo"}, **fields}


def file_of(kind: str) -> str:
    """The file an object of `kind` lives in, in its component's folder: `ExternalSecret` -> external-secret.yaml."""
    return "namespace.yaml" if kind in NAMESPACE_KINDS else _WORD.sub("-", kind).lower() + ".yaml"


def _order(objs: list[Obj]) -> tuple[int, int, str]:
    waves = [int(o.body["metadata"].get("annotations", {}).get(WAVE, 0)) for o in objs]
    return (min(KIND_RANK.get(o.kind, 2) for o in objs), min(waves), objs[0].group)


def _one_per_object(name: str, docs: Docs) -> dict[str, Docs]:
    """`external-secret.yaml` -> `external-secret-<name>.yaml` per object (`-<namespace>-<name>` if names repeat)."""
    stem = name.removesuffix(".yaml")
    names = [d["metadata"]["name"] for d in docs]
    repeated = len(set(names)) < len(names)
    out = {}
    for doc in docs:
        ns = doc["metadata"].get("namespace")
        out[f"{stem}-{ns}-{doc['metadata']['name']}.yaml" if repeated and ns else
            f"{stem}-{doc['metadata']['name']}.yaml"] = Docs([doc])
    return out


def _files(bodies: list[dict[str, Any]]) -> dict[str, Docs]:
    """Objects into their files (namespace first, then by kind), each file's objects in apply order; a kind
    whose file would pass SPLIT_LINES gets a file per object, so no file is too long to review."""
    by_kind: dict[str, Docs] = {}
    ranked = sorted(bodies, key=lambda b: (KIND_RANK.get(b["kind"], 2), file_of(b["kind"]) != "namespace.yaml",
                                           file_of(b["kind"])))
    for body in ranked:
        by_kind.setdefault(file_of(body["kind"]), Docs()).append(body)
    out: dict[str, Docs] = {}
    for name, docs in by_kind.items():
        split = _one_per_object(name, docs) if len(docs) > 1 and dump(docs).count(b"\n") > SPLIT_LINES else {}
        # a per-object name another kind's file has (an Application `set` beside ApplicationSets) keeps it whole
        out.update(split if split and not (split.keys() & (by_kind.keys() | out.keys())) else {name: docs})
    return out


def _unfolded(files: dict[str, Docs]) -> tuple[dict[str, Docs], dict[str, Any], list[dict[str, Any]]]:
    """`files` with each lone object too long to review made short (see `unfold`): the files, the files of
    operations that append its items back, and the kustomize patches that apply them in order."""
    out: dict[str, Docs] = {}
    parts: dict[str, Any] = {}
    appended: list[dict[str, Any]] = []
    for name, docs in files.items():
        body, items = unfold(name, docs[0]) if len(docs) == 1 else (docs[0], {})
        out[name] = Docs([body]) if items else docs
        parts.update(items)
        appended.extend({"path": rel, "target": _selector(docs[0])} for rel in items)
    return out, parts, appended


def _selector(body: dict[str, Any]) -> dict[str, Any]:
    """The shortest kustomize target that names `body` in its folder: kind, name and namespace."""
    meta = body["metadata"]
    return {"kind": body["kind"], "name": meta["name"], **({"namespace": meta["namespace"]}
                                                           if meta.get("namespace") else {})}


def _base(per_env: dict[str, list[Obj]]) -> dict[Key, dict[str, Any]]:
    """The objects every environment has, each reduced to the fields all of them agree on; an object whose
    environments differ where no patch could say it stays out (each environment keeps its own copy). A list
    is shared item by item only where an environment's difference is then said as operations on its items
    (`Change`); otherwise the base holds a list whole or not at all."""
    envs = list(per_env)
    by_key = {env: {o.key(): o.body for o in objs} for env, objs in per_env.items()}
    base: dict[Key, dict[str, Any]] = {}
    for obj in per_env[envs[0]] if envs else []:
        key = obj.key()
        if all(key in by_key[env] for env in envs[1:]):
            bodies = [by_key[env][key] for env in envs]
            merged = common(bodies, items=True)
            whole = common(bodies)
            if merged != whole and not any(Change(obj.kind, body, merged).operations for body in bodies):
                merged = whole
            if all(expressible(obj.kind, difference(body, merged)) for body in bodies):
                base[key] = merged
    return base


class Change:
    """One object's difference from its base: a strategic-merge patch, else (where none says it exactly, or
    where it would replace a list whose items differ in a field or two and is long) JSON 6902 operations."""

    def __init__(self, kind: str, body: dict[str, Any], base: dict[str, Any]) -> None:
        self.patch: dict[str, Any] | None = None
        self.operations: dict[str, Any] | None = None
        diff = difference(body, base)
        if diff is None:
            return
        if expressible(kind, diff):
            self.patch = merge_patch(base, diff)
            if not replaces_list(diff, base):
                return
        ops = {"target": target(base), "patch": ops_text(json_ops(body, base))}
        if self.patch is None or prefer_ops(dump_text(self.patch).count("\n"), dump_text(ops).count("\n")):
            self.patch, self.operations = None, ops


class Overlay:
    """One environment's folder of one group: its patches of the base, and the objects only it has."""

    def __init__(self, objs: list[Obj], base: dict[Key, dict[str, Any]]) -> None:
        self.patches: list[dict[str, Any]] = []
        self.own: list[dict[str, Any]] = []
        self.operations: list[dict[str, Any]] = []  # inline JSON 6902 patches, where no merge patch can say it
        for obj in objs:
            underneath = base.get(obj.key())
            if underneath is None:
                self.own.append(obj.body)
                continue
            change = Change(obj.kind, obj.body, underneath)
            if change.patch is not None:
                self.patches.append(change.patch)
            if change.operations is not None:
                self.operations.append(change.operations)
        mine = {o.key() for o in objs}
        self.patches.extend(deletion(body) for key, body in base.items() if key not in mine)

    def __bool__(self) -> bool:
        return bool(self.patches or self.own or self.operations)

    def files(self, folder: str, with_base: bool) -> dict[str, Any]:
        changes = _files(self.patches)
        mine, parts, appended = _unfolded(_files(self.own))
        names = {name: (f"added-{name}" if name in changes else name) for name in mine}
        out: dict[str, Any] = {f"{folder}/{names[name]}": docs for name, docs in mine.items()}
        out.update((f"{folder}/{name}", docs) for name, docs in changes.items())
        out.update((f"{folder}/{name}", ops) for name, ops in parts.items())
        fields: dict[str, Any] = {"resources": ([f"../{BASE}"] if with_base else []) + list(names.values())}
        patches = appended + [{"path": name} for name in changes] + self.operations
        if patches:
            fields["patches"] = patches
        out[f"{folder}/{KUSTOMIZATION}"] = kustomization(**fields)
        return out


def ops_text(ops: list[dict[str, Any]]) -> str:
    """JSON 6902 operations as YAML, one line each where the value is a single value (a flow mapping, JSON's
    spelling); block YAML with quoted strings otherwise (kustomize drops a nested block scalar's last newline)."""
    return "".join(f"- {json.dumps(op)}\n" if not isinstance(op.get("value"), (dict, list))
                   else dump_text([op], blocks=False) for op in ops)


def _groups(per_env: dict[str, list[Obj]]) -> dict[str, dict[str, list[Obj]]]:
    groups: dict[str, dict[str, list[Obj]]] = {}
    for env, objs in per_env.items():
        for obj in objs:
            groups.setdefault(obj.group, {}).setdefault(env, []).append(obj)
    return groups


def factor(per_env: dict[str, list[Obj]], unpromoted: dict[str, list[Obj]] | None = None) -> dict[str, Any]:
    """Relative path -> YAML-ready data (a mapping, or Docs) for every component folder and environment.

    `unpromoted` is each environment's rendering without what promotion carries into it (default: the same
    as `per_env`, for environments that have none); the bases are made of it."""
    files: dict[str, Any] = {}
    neutral = _groups(unpromoted or per_env)
    listed: dict[str, list[tuple[tuple[int, int, str], str]]] = {env: [] for env in per_env}
    for group, members in _groups(per_env).items():
        base = _base(neutral.get(group, {}))
        if base:
            base_files, parts, appended = _unfolded(_files(list(base.values())))
            files.update((f"{group}/{BASE}/{name}", data) for name, data in {**base_files, **parts}.items())
            files[f"{group}/{BASE}/{KUSTOMIZATION}"] = kustomization(
                resources=list(base_files), **({"patches": appended} if appended else {}))
        for env, objs in members.items():
            overlay = Overlay(objs, base)
            folder = f"{group}/{env}" if overlay else f"{group}/{BASE}"
            if overlay:
                files.update(overlay.files(folder, with_base=bool(base)))
            listed[env].append((_order(objs), folder))
    for env, entries in listed.items():
        files[f"{env}/{KUSTOMIZATION}"] = kustomization(
            labels=[{"pairs": {ENV_LABEL: env}, "includeSelectors": False}],
            resources=[f"../{folder}" for _, folder in sorted(entries)])
    return files
