"""Build every top-level kustomization in a tree with the real kustomize (kubectl's or standalone).

What a cluster receives is the built output, not the files: images, labels and patches are
applied by kustomize. So overlays are built, and their objects validated as built; the files a
build reads are known, so each built object is traced back to the file and document it came from.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from homelab import yamlsrc

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_REFERENCES = ("resources", "components", "patchesStrategicMerge")
# Fields with which a kustomization makes its files into something else (selectors, images, names):
# without a kustomize to build them, those files as written are not what the cluster receives.
_REWRITING = ("commonLabels", "images", "namePrefix", "nameSuffix", "replicas", "replacements")


def kustomize_command() -> list[str] | None:
    """`kubectl kustomize` or `kustomize build`, whichever the machine has."""
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    return None


def _kustomization(folder: Path) -> dict[str, Any] | None:
    for name in KUSTOMIZATION_FILES:
        path = folder / name
        if path.is_file():
            return yamlsrc.read(path, "kustomization").data or {}
    return None


def _references(body: dict[str, Any]) -> list[str]:
    refs = [str(r) for key in _REFERENCES for r in body.get(key) or []]
    refs += [str(p["path"]) for p in body.get("patches") or [] if isinstance(p, dict) and "path" in p]
    return refs


def _is_remote(ref: str) -> bool:
    return "://" in ref or ref.startswith(("github.com/", "git@"))


@dataclass
class Root:
    """A kustomization no other one includes, with every local file its build reads."""

    folder: Path
    files: set[Path] = field(default_factory=set)
    remote: list[str] = field(default_factory=list)
    folders: set[Path] = field(default_factory=set)  # every kustomization folder the build enters

    def rewrites(self) -> list[str]:
        """The fields of its own kustomization that change its files beyond adding labels or patches."""
        body = _kustomization(self.folder) or {}
        found = [key for key in _REWRITING if body.get(key)]
        if any(isinstance(entry, dict) and entry.get("includeSelectors") for entry in body.get("labels") or []):
            found.append("labels.includeSelectors")
        return found

    def fingerprint(self, command: list[str]) -> str:
        """Changes whenever anything the build could read changes: every file under its folders."""
        digest = hashlib.sha256(" ".join(command).encode())
        files = {f for folder in self.folders for f in folder.rglob("*") if f.is_file()} | self.files
        for path in sorted(files):
            content = path.read_bytes() if path.is_file() else b"(missing)"
            digest.update(f"{path}\0".encode() + content + b"\0")
        return digest.hexdigest()


def _walk(folder: Path, root: Root, seen: set[Path]) -> None:
    if folder in seen:
        return
    seen.add(folder)
    root.folders.add(folder)
    body = _kustomization(folder) or {}
    for ref in _references(body):
        if _is_remote(ref):
            root.remote.append(ref)
            continue
        target = (folder / ref).resolve()
        if target.is_dir():
            _walk(target, root, seen)
        else:
            root.files.add(target)


def roots(tree: Path) -> list[Root]:
    """Kustomization folders that no other kustomization in the tree includes (the overlays)."""
    folders = {p.parent.resolve() for name in KUSTOMIZATION_FILES for p in tree.rglob(name)}
    included: set[Path] = set()
    for folder in folders:
        for ref in _references(_kustomization(folder) or {}):
            if not _is_remote(ref) and (folder / ref).resolve() in folders:
                included.add((folder / ref).resolve())
    found = []
    for folder in sorted(folders - included):
        root = Root(folder)
        _walk(folder, root, set())
        found.append(root)
    return found


def _cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "homelab" / "kustomize"


def build_cached(root: Root, command: list[str]) -> tuple[list[dict[str, Any]], str | None]:
    """`build`, remembered by the fingerprint of every input: an unchanged overlay is not rebuilt.

    kustomize spends about a second per environment of the `full` profile; re-validating an
    unchanged tree (in CI, or after editing one overlay) then costs only what changed.
    """
    cache = _cache_dir() / f"{root.fingerprint(command)}.json"
    try:
        built: list[dict[str, Any]] = json.loads(cache.read_text())
        return built, None
    except (OSError, ValueError):
        pass  # absent, unreadable or torn: read the sources again
    built, error = build(root.folder, command)
    if error is None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            scratch = cache.with_suffix(".tmp")
            scratch.write_text(json.dumps(built))
            scratch.replace(cache)
        except OSError:
            pass  # a read-only home only costs speed
    return built, error


def build(folder: Path, command: list[str], timeout: float = 120) -> tuple[list[dict[str, Any]], str | None]:
    """The built objects, or kustomize's last error line."""
    try:
        result = subprocess.run([*command, str(folder)], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return [], f"kustomize did not finish within {timeout:.0f} s"
    if result.returncode != 0:
        lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
        return [], (lines[-1] if lines else f"exit code {result.returncode}")
    return [d for d in yamlsrc.load_all(result.stdout, f"kustomize output of {folder}") if isinstance(d, dict)], None
