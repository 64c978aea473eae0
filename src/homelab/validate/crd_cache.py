"""The user's cache of upstream CRDs: `homelab crds fetch` fills it, `homelab validate` reads it.

Each catalog entry that installs CRDs names their raw files upstream at its pinned version (`crds.files`).
Fetching downloads them into `$XDG_CACHE_HOME/homelab/crd-cache/<entry>/` and records each file's URL,
sha256 and size in `index.json`; validate then uses exactly the files the index lists whose checksum still
matches. `HOMELAB_CRDS_BASE_URL` fetches from a mirror instead: https://HOST/PATH is read from
$HOMELAB_CRDS_BASE_URL/HOST/PATH (the tests point it at a local server).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from homelab.catalog.model import Component
from homelab.validate.schemas import CrdSchemas, crd_documents
from homelab.yamlsrc import Loader

BASE_URL_ENV = "HOMELAB_CRDS_BASE_URL"
INDEX = "index.json"


def cache_root() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "homelab" / "crd-cache"


def source_url(url: str) -> str:
    """Where `url` is read from: itself, or its place under the mirror $HOMELAB_CRDS_BASE_URL."""
    base = os.environ.get(BASE_URL_ENV)
    return f"{base.rstrip('/')}/{url.removeprefix('https://')}" if base else url


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class FetchReport:
    root: Path
    files: int = 0
    downloaded: int = 0
    failures: list[str] = field(default_factory=list)  # one line each: entry, URL, reason


def _local_name(url: str, taken: set[str]) -> str:
    name = url.rsplit("/", 1)[-1] or "crds.yaml"
    while name in taken:
        name = f"_{name}"
    taken.add(name)
    return name


def fetch(components: Iterable[Component], client: httpx.Client, root: Path | None = None,
          refresh: bool = False, workers: int = 8) -> FetchReport:
    """Download every entry's CRD files (reusing ones whose recorded checksum matches) and write the index."""
    root = root or cache_root()
    old = read_index(root)
    jobs: list[tuple[str, str, Path, dict[str, Any] | None]] = []
    for comp in sorted(components, key=lambda c: c.name):
        if comp.crds and comp.crds.files:
            taken: set[str] = set()
            for url in comp.crds.files:
                before = next((f for f in old.get(comp.name, {}).get("files", []) if f["url"] == url), None)
                jobs.append((comp.name, url, root / comp.name / _local_name(url, taken), before))
    report = FetchReport(root, files=len(jobs))

    def get(job: tuple[str, str, Path, dict[str, Any] | None]) -> tuple[dict[str, Any] | None, str]:
        """(the index record, or the old one while it is intact; the failure, if any)."""
        name, url, path, before = job
        intact = before if before and path.is_file() and _sha256(path.read_bytes()) == before["sha256"] else None
        if intact and not refresh:
            return intact, ""
        try:
            response = client.get(source_url(url), follow_redirects=True)
        except httpx.HTTPError as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return intact, f"{name}: {url}: unreachable ({reason})"
        if response.status_code != 200:
            return intact, f"{name}: {url}: HTTP {response.status_code}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(response.content)
        report.downloaded += 1
        return {"url": url, "file": str(path.relative_to(root)), "sha256": _sha256(response.content),
                "bytes": len(response.content)}, ""

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = list(pool.map(get, jobs))
    index: dict[str, Any] = {}
    for (name, _, _, _), (record, failure) in zip(jobs, results, strict=True):
        if failure:
            report.failures.append(failure)
        if record:  # a file that could not be fetched again keeps its intact copy
            index.setdefault(name, {"files": []})["files"].append(record)
    for stale in set(old) - {name for name, _, _, _ in jobs}:  # entries that no longer name CRDs
        shutil.rmtree(root / stale, ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    (root / INDEX).write_text(json.dumps({"fetched": time.time(), "components": index}, indent=1, sort_keys=True))
    return report


def read_index(root: Path) -> dict[str, Any]:
    try:
        body = json.loads((root / INDEX).read_text())
    except (OSError, ValueError):
        return {}
    components = body.get("components") if isinstance(body, dict) else None
    return components if isinstance(components, dict) else {}


def cached_files(root: Path | None = None) -> tuple[list[Path], list[str]]:
    """The index's files whose checksum matches, and one line for each that does not (or is gone)."""
    root = root or cache_root()
    good, problems = [], []
    for name, body in sorted(read_index(root).items()):
        for entry in body.get("files", []):
            path = root / str(entry.get("file", ""))
            if not path.is_file():
                problems.append(f"{path}: listed in {root / INDEX} but missing; run `homelab crds fetch`")
            elif _sha256(path.read_bytes()) != entry.get("sha256"):
                problems.append(f"{path}: changed since `homelab crds fetch` ({name}); "
                                "run `homelab crds fetch --refresh`")
            else:
                good.append(path)
    return good, problems


def cached_schemas(root: Path | None = None) -> tuple[CrdSchemas | None, list[str]]:
    """The schemas of the cache's intact files (None when nothing was fetched), and its problems."""
    root = root or cache_root()
    good, problems = cached_files(root)
    if not good:
        return None, problems
    if problems:  # read only the intact files
        docs = [d for path in good for d in yaml.load_all(path.read_text(), Loader=Loader) if isinstance(d, dict)]
        return CrdSchemas().extend(docs), problems
    return CrdSchemas().extend(crd_documents(root)), problems
