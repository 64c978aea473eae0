"""Build every top-level kustomization in a tree with the real kustomize (kubectl's or standalone)."""

from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from homelab.validate.findings import Finding

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


def kustomize_command() -> list[str] | None:
    """`kubectl kustomize` or `kustomize build`, whichever the machine has."""
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    return None


def roots(tree: Path) -> list[Path]:
    """Kustomization folders that no other kustomization in the tree includes (the overlays)."""
    folders = {p.parent.resolve() for name in KUSTOMIZATION_FILES for p in tree.rglob(name)}
    included: set[Path] = set()
    for folder in folders:
        for name in KUSTOMIZATION_FILES:
            path = folder / name
            if path.exists():
                body = yaml.safe_load(path.read_text()) or {}
                for ref in [*(body.get("resources") or []), *(body.get("components") or [])]:
                    target = (folder / str(ref)).resolve()
                    if target in folders:
                        included.add(target)
    return sorted(folders - included)


def build(folder: Path, command: list[str], timeout: float = 120) -> str | None:
    """None when it builds, else kustomize's first error line."""
    result = subprocess.run([*command, str(folder)], capture_output=True, text=True, timeout=timeout)
    if result.returncode == 0:
        return None
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    return lines[-1] if lines else f"exit code {result.returncode}"


def check(tree: Path) -> tuple[list[Finding], list[str]]:
    """Findings for overlays that do not build, and notes (e.g. no kustomize on this machine)."""
    command = kustomize_command()
    folders = roots(tree)
    if not folders:
        return [], []
    if command is None:
        return [], ["kustomize overlays not built: neither kubectl nor kustomize is installed"]
    with ThreadPoolExecutor(max_workers=4) as pool:
        errors = list(pool.map(lambda f: build(f, command), folders))
    findings = []
    for folder, error in zip(folders, errors, strict=True):
        if error:
            rel = str((folder / "kustomization.yaml").relative_to(tree.resolve()))
            findings.append(Finding("kustomize", rel, None, "$", f"overlay does not build: {error}",
                                    "fix the resource or patch it names; run `kubectl kustomize` on the folder"))
    return findings, []
