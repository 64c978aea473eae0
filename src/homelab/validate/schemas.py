"""Schemas of every kind: core kinds from kubernetes-validate's bundled schemas, custom kinds from CRDs.

kubernetes-validate ships the strict JSON schemas of each Kubernetes release; we pick the
newest release not newer than the cluster's, and cache one validator per kind, because
the library's own `validate()` re-reads the definitions file on every call. CRD schemas
are OpenAPI v3 structural schemas: we close them (unknown fields are errors, as the API
server's strict field validation makes them) and honour nullable and int-or-string.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from kubernetes_validate import utils as kv
from referencing import Registry, Resource

from homelab import yamlsrc
from homelab.errors import InputError, Problem


def schema_release(version: str) -> str:
    """The bundled schema release used for a cluster at `version` (e.g. '1.33' -> '1.33.0')."""
    wanted = kv.major_minor(version.lstrip("v"))
    releases = [v for v in kv.all_versions() if _key(kv.major_minor(v)) <= _key(wanted)]
    if not releases:
        raise InputError([Problem(f"no bundled Kubernetes schemas for version {version}",
                                  field="cluster.kubernetes.version",
                                  hint=f"supported: {kv.all_versions()[0]} to {kv.latest_version()}")])
    return releases[-1]


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.split("."))


@cache
def _definitions(release: str) -> Registry:
    defs = kv.schema_contents(f"kubernetes-json-schema/v{release}-local-strict/_definitions.json", release)
    return Resource.from_contents(defs) @ Registry()


@cache
def core_groups(release: str) -> frozenset[str]:
    """API groups the Kubernetes release itself serves ('' is the core group)."""
    defs = kv.schema_contents(f"kubernetes-json-schema/v{release}-local-strict/_definitions.json", release)
    return frozenset(gvk.get("group", "") for body in defs.get("$defs", {}).values()
                     for gvk in body.get("x-kubernetes-group-version-kind", []))


@cache
def core_validator(release: str, api_version: str, kind: str) -> jsonschema.protocols.Validator | None:
    """Validator for a core kind, or None when the release has no schema for it."""
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = kv.schema_contents(
            f"kubernetes-json-schema/v{release}-local-strict/{kind.lower()}-{group_version}.json", release)
    except FileNotFoundError:
        return None
    registry = Resource.from_contents(schema) @ _definitions(release)
    return jsonschema.Draft202012Validator(schema, registry=registry)


def _close(schema: dict[str, Any]) -> dict[str, Any]:
    """Turn a CRD structural schema into strict JSON Schema, recursively."""
    out = dict(schema)
    if out.pop("nullable", False) and "type" in out:
        out["type"] = [out["type"], "null"]
    if out.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if "properties" in out:
        out["properties"] = {k: _close(v) for k, v in out["properties"].items()}
        if not out.get("x-kubernetes-preserve-unknown-fields") and "additionalProperties" not in out:
            out["additionalProperties"] = False
    for key in ("items", "additionalProperties", "not"):
        if isinstance(out.get(key), dict):
            out[key] = _close(out[key])
    for key in ("allOf", "anyOf", "oneOf"):
        if isinstance(out.get(key), list):
            out[key] = [_close(s) for s in out[key]]
    return out


@dataclass
class CrdSchemas:
    """Served versions of every custom kind found in a set of CRD documents.

    Validators are built on first use: a tree uses a few dozen of the hundreds of kinds.
    """

    schemas: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (apiVersion, kind) -> schema
    groups: dict[str, set[str]] = field(default_factory=dict)  # group -> kinds
    served: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (group, kind) -> versions
    _built: dict[tuple[str, str], jsonschema.protocols.Validator] = field(default_factory=dict, repr=False)

    def validator(self, api_version: str, kind: str) -> jsonschema.protocols.Validator | None:
        key = (api_version, kind)
        if key not in self._built:
            schema = self.schemas.get(key)
            if schema is None:
                return None
            closed = _close(copy.deepcopy(schema))
            # apiVersion, kind and metadata are checked by the API server itself; keep them open
            closed.setdefault("properties", {}).update({"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                                                        "metadata": {"type": "object"}})
            self._built[key] = jsonschema.Draft202012Validator(closed)
        return self._built[key]

    def merge(self, other: CrdSchemas) -> None:
        self.schemas.update(other.schemas)
        self.served.update(other.served)
        for group, kinds in other.groups.items():
            self.groups.setdefault(group, set()).update(kinds)

    def add(self, crd: dict[str, Any]) -> None:
        spec = crd.get("spec", {})
        group, kind = spec.get("group"), spec.get("names", {}).get("kind")
        if not group or not kind:
            return
        self.groups.setdefault(group, set()).add(kind)
        for version in spec.get("versions", []):
            if not version.get("served", True):
                continue
            self.served.setdefault((group, kind), []).append(version["name"])
            schema = (version.get("schema") or {}).get("openAPIV3Schema") or {"type": "object"}
            self.schemas[(f"{group}/{version['name']}", kind)] = schema

    def extend(self, documents: Iterable[dict[str, Any]]) -> CrdSchemas:
        for doc in documents:
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                self.add(doc)
        return self


def _cache_file(paths: list[Path]) -> Path:
    """Where the parsed form of exactly these files (by path, size and mtime) is kept."""
    fingerprint = hashlib.sha256()
    for path in paths:
        stat = path.stat()
        fingerprint.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "homelab" / "crds" / f"{fingerprint.hexdigest()[:32]}.json"


def crd_documents(folder: Path) -> list[dict[str, Any]]:
    """Every document in YAML files under `folder` (.yaml and .yml).

    Parsing large CRDs as YAML takes seconds; the parsed documents are cached as JSON
    (which loads in a tenth of the time), keyed by each file's path, size and mtime.
    """
    paths = sorted([*folder.rglob("*.yaml"), *folder.rglob("*.yml")])
    cache = _cache_file(paths)
    try:
        cached: list[dict[str, Any]] = json.loads(cache.read_text())
        return cached
    except (OSError, ValueError):
        pass  # absent, unreadable or torn: read the sources again
    docs = [d for path in paths for d in yamlsrc.load_all(yamlsrc.read_text(path, "CRD file"), str(path))
            if isinstance(d, dict)]
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        tmp.write_text(json.dumps(docs, default=str))
        tmp.replace(cache)
    except OSError:
        pass  # a read-only home only costs speed
    return docs


@cache
def crds_from_folder(folder: Path) -> CrdSchemas:
    return CrdSchemas().extend(crd_documents(folder))
