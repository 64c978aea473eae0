"""Factor the environments into a kustomize base and one overlay each, and build them back.

An object rendered in every environment goes to `base/` with the values most environments agree
on; each overlay adds JSON 6902 `add` patches (add replaces an existing member) for exactly the
fields where its environment differs (a version, a hostname, a replica count). Objects only
some environments have live in those overlays whole. The
env label is added by each overlay's `labels` transformer. `sortOptions: fifo` keeps kustomize's
output in the order we list, so `build` below reproduces `kubectl kustomize <tree>/<env>` exactly.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from homelab import yamlsrc
from homelab.errors import InputError, Problem
from homelab.render.context import ENV_LABEL, WAVE, Obj
from homelab.render.yamlout import dump_text

BASE = "base"
KUSTOMIZATION = "kustomization.yaml"
KIND_RANK = {"Namespace": 0, "AppProject": 1}


def _common(values: list[Any]) -> Any:
    """What goes in base: the value most environments agree on (else the first's), mappings key by key.

    Base objects are thus whole, valid objects (each field comes from some environment), and a
    change in one environment shows up as a patch of that environment only.
    """
    first = values[0]
    if all(v == first for v in values[1:]):
        return first
    if not all(isinstance(v, dict) for v in values):
        return max(values, key=lambda candidate: sum(v == candidate for v in values))
    return {key: _common([v[key] for v in values]) for key in first if all(key in v for v in values[1:])}


def _pointer(path: list[str]) -> str:
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in path)


def _ops(common: dict[str, Any], body: dict[str, Any], path: list[str]) -> list[dict[str, Any]]:
    ops = []
    for key, value in body.items():
        if key not in common or not (isinstance(value, dict) and isinstance(common[key], dict)):
            if key not in common or common[key] != value:
                ops.append({"op": "add", "path": _pointer([*path, key]), "value": value})
        elif common[key] != value:
            ops.extend(_ops(common[key], value, [*path, key]))
    return ops


def _target(body: dict[str, Any]) -> dict[str, str]:
    group, _, version = str(body["apiVersion"]).rpartition("/")
    meta = body["metadata"]
    target = {"group": group, "version": version, "kind": body["kind"], "name": meta["name"]}
    if meta.get("namespace"):
        target["namespace"] = meta["namespace"]
    return {k: v for k, v in target.items() if v}


class Docs(list[dict[str, Any]]):
    """The objects of one file, written as a multi-document YAML stream."""


def _doc_order(obj: Obj) -> tuple[int, str, str, str]:
    return (KIND_RANK.get(obj.kind, 2), obj.kind, obj.namespace or "", obj.name)


def _files(objs: list[Obj]) -> list[tuple[str, Docs]]:
    """Objects grouped into their files, files in apply order (namespaces and projects first, then waves)."""
    grouped: dict[str, list[Obj]] = {}
    for obj in objs:
        grouped.setdefault(obj.filename(), []).append(obj)

    def order(item: tuple[str, list[Obj]]) -> tuple[int, int, str]:
        name, members = item
        waves = [int(o.body["metadata"].get("annotations", {}).get(WAVE, 0)) for o in members]
        return (min(KIND_RANK.get(o.kind, 2) for o in members), min(waves), name)

    return [(name, Docs(o.body for o in sorted(members, key=_doc_order)))
            for name, members in sorted(grouped.items(), key=order)]


def factor(per_env: dict[str, list[Obj]]) -> dict[str, Any]:
    """Relative path -> YAML-ready data (a mapping, or Docs) for base and every overlay.

    Each overlay's kustomization.yaml carries its patches inline, so it lists in one place
    everything that makes this environment different.
    """
    envs = list(per_env)
    files: dict[str, Any] = {}
    by_key = {env: {o.key(): o for o in objs} for env, objs in per_env.items()}
    shared = [o for o in per_env[envs[0]] if all(o.key() in by_key[e] for e in envs[1:])]
    shared_keys = {o.key() for o in shared}
    base: list[Obj] = []
    patches: dict[str, list[dict[str, Any]]] = {env: [] for env in envs}
    for obj in shared:
        bodies = [by_key[env][obj.key()].body for env in envs]
        common = _common(bodies)
        base.append(Obj(common, obj.group))
        for env, body in zip(envs, bodies, strict=True):
            ops = _ops(common, body, [])
            if ops:
                patches[env].append({"target": _target(body), "patch": dump_text(ops, blocks=False)})
    base_files = _files(base)
    files.update((f"{BASE}/{name}", docs) for name, docs in base_files)
    files[f"{BASE}/{KUSTOMIZATION}"] = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                                        "sortOptions": {"order": "fifo"}, "resources": [n for n, _ in base_files]}
    for env in envs:
        own = _files([o for o in per_env[env] if o.key() not in shared_keys])
        files.update((f"{env}/{name}", docs) for name, docs in own)
        kust: dict[str, Any] = {
            "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
            "sortOptions": {"order": "fifo"},
            "labels": [{"pairs": {ENV_LABEL: env}, "includeSelectors": False}],
            "resources": [f"../{BASE}", *(n for n, _ in own)],
        }
        if patches[env]:
            kust["patches"] = sorted(patches[env], key=lambda p: sorted(p["target"].items()))
        files[f"{env}/{KUSTOMIZATION}"] = kust
    return files


def _unpointer(path: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in path.lstrip("/").split("/")]


def _apply(body: dict[str, Any], ops: list[dict[str, Any]], where: Path) -> None:
    for op in ops:
        if op.get("op") != "add":
            raise InputError([Problem(f"unsupported patch operation {op.get('op')!r}", file=str(where))])
        *parents, last = _unpointer(op["path"])
        node = body
        for part in parents:
            node = node[part]
        node[last] = copy.deepcopy(op["value"])


def _matches(body: dict[str, Any], target: dict[str, str]) -> bool:
    t = _target(body)
    return all(t.get(k) == v for k, v in target.items())


def _load(folder: Path) -> list[dict[str, Any]]:
    kust_file = folder / KUSTOMIZATION
    kust = yamlsrc.read(kust_file, "kustomization").data
    unknown = set(kust) - {"apiVersion", "kind", "sortOptions", "labels", "resources", "patches"}
    if unknown:
        raise InputError([Problem(f"fields this reader does not build: {', '.join(sorted(unknown))}",
                                  file=str(kust_file), hint="build it with `kubectl kustomize` instead")])
    objects: list[dict[str, Any]] = []
    for ref in kust.get("resources", []):
        path = folder / ref
        if path.is_dir():
            objects.extend(_load(path))
        else:
            objects.extend(d for d in yamlsrc.load_all(yamlsrc.read_text(path, "manifest"), str(path)) if d)
    by_kind_name: dict[tuple[Any, Any], list[dict[str, Any]]] = {}
    for body in objects:
        by_kind_name.setdefault((body.get("kind"), (body.get("metadata") or {}).get("name")), []).append(body)
    for patch in kust.get("patches", []):
        ops = (yamlsrc.parse(patch["patch"], str(kust_file)) if "patch" in patch
               else yamlsrc.read(folder / patch["path"], "patch")).data
        target = patch["target"]
        candidates = (by_kind_name.get((target["kind"], target["name"]), []) if "kind" in target and "name" in target
                      else objects)
        for body in candidates:
            if _matches(body, target):
                _apply(body, ops, kust_file)
    for label in kust.get("labels", []):
        for body in objects:
            body["metadata"].setdefault("labels", {}).update(label["pairs"])
    return objects


def build(tree: Path, env: str) -> list[dict[str, Any]]:
    """Every object of `env` exactly as `kubectl kustomize <tree>/<env>` builds it."""
    folder = tree / env
    if not (folder / KUSTOMIZATION).is_file():
        raise InputError([Problem(f"no rendered environment '{env}' in {tree}", file=str(folder),
                                  hint="run `homelab render` first, or pick another --env")])
    return _load(folder)
