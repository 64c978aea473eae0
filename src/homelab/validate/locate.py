"""Where an object of a rendered environment is written, so a finding names the file a person opens.

An environment's object lives in a component's `<env>/` folder when that environment changes it (the patch is
where its difference is said), else in the component's `base/`; our own manifests under `manifests/`. The tree is
read only when a finding needs a place, each file once for every environment asked about.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from homelab.render.layout import BASE, KUSTOMIZATION

Key = tuple[str, str, str]  # kind, namespace, name
Place = tuple[str, int | None]  # file relative to the tree, document index


class Locator:
    """(kind, namespace, name) -> (file, document index), per environment of one rendered tree."""

    def __init__(self, tree: Path, docs: dict[Path, list[Any]] | None = None) -> None:
        self.tree = tree
        self._docs = {} if docs is None else docs  # path -> its parsed documents, shared with the caller's reads
        self._places: dict[str, dict[Key, Place]] = {}

    def place(self, env: str, kind: str, namespace: str, name: str) -> Place:
        """The file and document of `env`'s object (written without a namespace, when its Application or
        kustomization gives it one), else `env`'s kustomization (the object is built there)."""
        if env not in self._places:
            self._places[env] = self._read(env)
        places = self._places[env]
        return places.get((kind, namespace, name)) or places.get((kind, "", name)) or (f"{env}/{KUSTOMIZATION}", None)

    def _read(self, env: str) -> dict[Key, Place]:
        paths = sorted(p for p in self.tree.rglob("*.yaml") if p.name != KUSTOMIZATION)
        ranked = [[p for p in paths if folder in p.relative_to(self.tree).parts[:-1]]
                  for folder in (env, BASE, "manifests")]
        where: dict[Key, Place] = {}
        for path in (p for group in ranked for p in group):
            if path not in self._docs:
                self._docs[path] = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))
            for index, doc in enumerate(self._docs[path]):
                if isinstance(doc, dict) and "kind" in doc:
                    meta = doc.get("metadata") or {}
                    key = (str(doc["kind"]), str(meta.get("namespace", "")), str(meta.get("name", "")))
                    where.setdefault(key, (path.relative_to(self.tree).as_posix(), index))
        return where
