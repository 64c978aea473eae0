"""Build a rendered environment back into objects, exactly as kubectl kustomize and Argo CD do.

Reads the kustomizations `layout` writes (resources, strategic-merge patch files, JSON 6902
patches with a target, labels, `sortOptions: fifo`) and refuses anything else, so a hand edit this
reader cannot follow is reported rather than misread. Patches of custom resources and of the
kinds `layout` patches replace lists whole, as kustomize does for them.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from homelab import yamlsrc
from homelab.errors import InputError, Problem
from homelab.render.layout import KUSTOMIZATION

GATE = "gate"
KNOWN = {"apiVersion", "kind", "sortOptions", "labels", "resources", "patches"}


def _yaml_docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yamlsrc.load_all(yamlsrc.read_text(path, "manifest"), str(path)) if d]


def merge_patch(body: dict[str, Any], patch: dict[str, Any]) -> None:
    """Apply a merge patch in place: mappings merge key by key, null deletes, anything else replaces."""
    for key, value in patch.items():
        if value is None:
            body.pop(key, None)
        elif isinstance(value, dict) and isinstance(body.get(key), dict):
            merge_patch(body[key], value)
        else:
            body[key] = copy.deepcopy(value)


def _pointer(path: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in path.lstrip("/").split("/")]


def json_patch(body: dict[str, Any], ops: list[dict[str, Any]], where: Path) -> None:
    """JSON 6902 `add`, `replace` and `remove` on mapping members and on list items by index, `-` appending
    (all our patches use)."""
    for op in ops:
        if op.get("op") not in ("add", "replace", "remove"):
            raise InputError([Problem(f"unsupported patch operation {op.get('op')!r}", file=str(where),
                                      hint="build it with `kubectl kustomize` instead")])
        *parents, last = _pointer(op["path"])
        try:
            node = body
            for part in parents:
                node = node[int(part)] if isinstance(node, list) else node[part]
            key: Any = (len(node) if last == "-" else int(last)) if isinstance(node, list) else last
            has = key < len(node) if isinstance(node, list) else key in node
        except (KeyError, IndexError, ValueError, TypeError):
            has, node = False, None
        if node is None or (op["op"] != "add" and not has):
            raise InputError([Problem(f"patch {op['op']}s {op['path']}, which the object does not have",
                                      file=str(where))])
        if op["op"] == "remove":
            del node[key]
        elif op["op"] == "add" and isinstance(node, list):
            node.insert(key, copy.deepcopy(op["value"]))
        else:
            node[key] = copy.deepcopy(op["value"])


def _selected(body: dict[str, Any], target: dict[str, Any]) -> bool:
    group, _, version = str(body["apiVersion"]).rpartition("/")
    meta = body["metadata"]
    fields = {"group": group, "version": version, "kind": body["kind"], "name": meta["name"],
              "namespace": meta.get("namespace", "")}
    if any(fields[k] != v for k, v in target.items() if k in fields):
        return False
    labels = meta.get("labels") or {}
    pairs = [p.split("=", 1) for p in str(target.get("labelSelector", "")).split(",") if p]
    return all(labels.get(k.strip()) == v.strip() for k, v in pairs)


def _same(body: dict[str, Any], patch: dict[str, Any]) -> bool:
    a, b = body["metadata"], patch["metadata"]
    return (body["apiVersion"], body["kind"], a["name"], a.get("namespace")) == (
        patch["apiVersion"], patch["kind"], b["name"], b.get("namespace"))


def apply_patches(objects: list[dict[str, Any]], patches: list[dict[str, Any]], folder: Path) -> None:
    """kustomize `patches`: a file of strategic-merge patches (`$patch: delete` removes the object), or JSON 6902
    operations with a target, inline or in a file."""
    where = folder / KUSTOMIZATION
    for entry in patches:
        if "path" in entry and "target" not in entry:
            for patch in _yaml_docs(folder / entry["path"]):
                matches = [body for body in objects if _same(body, patch)]
                if len(matches) != 1:
                    meta = patch.get("metadata") or {}
                    raise InputError([Problem(f"patch {entry['path']} targets {patch.get('kind')} "
                                              f"{meta.get('namespace') or ''}/{meta.get('name')}, which the "
                                              f"resources hold {len(matches)} times", file=str(where))])
                if patch.get("$patch") == "delete":
                    objects.remove(matches[0])
                else:
                    merge_patch(matches[0], patch)
        else:
            ops = (yamlsrc.read(folder / entry["path"], "patch").data if "path" in entry
                   else yamlsrc.parse(entry["patch"], str(where)).data)
            for body in objects:
                if _selected(body, entry.get("target") or {}):
                    json_patch(body, ops, where)


def build(folder: Path) -> list[dict[str, Any]]:
    """Every object `kubectl kustomize folder` builds, for the kustomizations render writes."""
    path = folder / KUSTOMIZATION
    if not path.is_file():
        raise InputError([Problem(f"no kustomization in {folder}", file=str(path),
                                  hint="run `homelab render` again")])
    kust = yamlsrc.read(path, "kustomization").data or {}
    unknown = set(kust) - KNOWN
    if unknown:
        raise InputError([Problem(f"fields this reader does not build: {', '.join(sorted(unknown))}",
                                  file=str(path), hint="build it with `kubectl kustomize` instead")])
    objects: list[dict[str, Any]] = []
    for ref in kust.get("resources", []):
        target = folder / ref
        objects.extend(build(target) if target.is_dir() else _yaml_docs(target))
    apply_patches(objects, kust.get("patches", []), folder)
    for label in kust.get("labels", []):
        for body in objects:
            body["metadata"].setdefault("labels", {}).update(label["pairs"])
    return objects


def env_objects(tree: Path, env: str) -> list[dict[str, Any]]:
    """Every object of `env` as Argo CD syncs it: its gate, then its content with the release's patch applied."""
    folder = tree / env
    if not (folder / KUSTOMIZATION).is_file():
        raise InputError([Problem(f"no rendered environment '{env}' in {tree}", file=str(folder),
                                  hint="run `homelab render` first, or pick another --env")])
    gate = build(folder / GATE) if (folder / GATE / KUSTOMIZATION).is_file() else []
    content = build(folder)
    for app in gate:
        patches = ((app.get("spec") or {}).get("source") or {}).get("kustomize", {}).get("patches")
        if app.get("kind") == "Application" and patches:
            apply_patches(content, patches, folder / GATE)
    return [*gate, *content]
