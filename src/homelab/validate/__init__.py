"""Validate a rendered tree: every object against its kind's schema, policy lint, kustomize builds.

Core kinds use kubernetes-validate's schemas at the cluster's Kubernetes version; custom
kinds use the openAPIV3Schema of their CRD (from a folder of CRDs, or the live cluster's).
Overlays are validated as kustomize builds them (what the cluster receives); files no overlay
includes are validated as written. A custom kind whose CRD is not at hand is reported as
unverified, never silently passed.
"""

from __future__ import annotations

import json
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from homelab import yamlsrc
from homelab.config import ENVIRONMENTS
from homelab.errors import InputError
from homelab.render.kustomize import build as own_build
from homelab.validate import kustomize, lint
from homelab.validate.findings import Finding
from homelab.validate.lint import Doc
from homelab.validate.schemas import CrdSchemas, core_groups, core_validator, schema_release

__all__ = ["Finding", "Report", "crds_for", "validate_tree"]

SKIP_DIRS = {"overrides", "docs", "bootstrap", ".git"}



@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    objects: int = 0
    files: int = 0
    unverified: dict[str, int] = field(default_factory=dict)  # "group/version Kind" -> count
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"findings": [f.to_json() for f in self.findings], "objects": self.objects, "files": self.files,
                "unverified": self.unverified, "notes": self.notes}


def _hint(error: Any) -> str:
    return {
        "additionalProperties": "remove the field, or check its spelling against the schema",
        "required": "add the required field",
        "type": f"use a value of type {error.validator_value}",
        "enum": f"use one of {error.validator_value}",
        "pattern": f"match the pattern {error.validator_value}",
    }.get(error.validator, "see the schema of this kind")


@dataclass
class _Checker:
    """Schema checks with a cache: an object built identically for three environments is checked once."""

    release: str
    crds: CrdSchemas
    report: Report
    seen: dict[str, list[tuple[list[Any], str, str]] | str | None] = field(default_factory=dict)

    def check(self, doc: Doc) -> list[Finding]:
        # labels and annotations (the env label, sync waves) differ per environment but never decide
        # schema validity beyond being strings, which kustomize itself already enforces
        meta = {k: v for k, v in (doc.obj.get("metadata") or {}).items() if k not in ("labels", "annotations")}
        key = json.dumps({**doc.obj, "metadata": meta}, sort_keys=True, default=str)
        if key not in self.seen:
            self.seen[key] = self._errors(doc.obj)
        result = self.seen[key]
        if isinstance(result, str):  # unverified kind
            self.report.unverified[result] = self.report.unverified.get(result, 0) + 1
            return []
        return [doc.finding("schema", path, message, fix) for path, message, fix in result or []]

    def _errors(self, obj: dict[str, Any]) -> list[tuple[list[Any], str, str]] | str:
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not api_version or not kind:
            missing = "apiVersion" if not api_version else "kind"
            return [([missing], f"object has no {missing}", f"add {missing}")]
        group = str(api_version).rsplit("/", 1)[0] if "/" in str(api_version) else ""
        is_core = group in core_groups(self.release)
        validator = self.crds.validator(api_version, kind)
        if validator is None and is_core:
            validator = core_validator(self.release, api_version, kind)
        if validator is None:
            served = self.crds.served.get((group, kind))
            if served or is_core:
                hint = (f"this CRD serves {group}/{', '.join(served)}" if served
                        else "check apiVersion and kind against the Kubernetes API reference")
                return [(["apiVersion"], f"no kind {kind} in {api_version}", hint)]
            return f"{api_version} {kind}"
        return [(list(err.absolute_path), err.message[:300], _hint(err))
                for err in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path)))]


def _read(tree: Path, report: Report) -> list[Doc]:
    docs = []
    for path in sorted([*tree.rglob("*.yaml"), *tree.rglob("*.yml")]):
        rel = path.relative_to(tree)
        if SKIP_DIRS & set(rel.parts) or path.name in kustomize.KUSTOMIZATION_FILES:
            continue
        try:
            loaded = yamlsrc.load_all(yamlsrc.read_text(path, "manifest"), str(rel))
        except InputError as exc:
            problem = exc.problems[0]
            where = f"line {problem.line}: " if problem.line else ""
            report.findings.append(Finding("yaml", str(rel), None, "$", where + problem.message,
                                           problem.hint or "fix the syntax on that line"))
            continue
        found = [Doc(str(rel), index, obj) for index, obj in enumerate(loaded)
                 if isinstance(obj, dict) and ("kind" in obj or "apiVersion" in obj)]
        report.files += bool(found)
        docs.extend(found)
    return docs


def _env_scopes(docs: list[Doc]) -> list[list[Doc]]:
    """Files read as written: one scope per environment folder, shared files in every scope."""
    by_env: dict[str, list[Doc]] = defaultdict(list)
    shared: list[Doc] = []
    for doc in docs:
        env = next((part for part in Path(doc.file).parts[:-1] if part in ENVIRONMENTS), None)
        (by_env[env] if env else shared).append(doc)
    return [[*shared, *members] for members in by_env.values()] if by_env else [shared]


def _traced(built: list[dict[str, Any]], sources: list[Doc], root_file: str) -> list[Doc]:
    """Built objects, each located at the file and document it was built from."""
    index: dict[tuple[str, str], list[Doc]] = defaultdict(list)
    for doc in sources:
        index[(doc.kind, doc.name)].append(doc)
    out = []
    for position, obj in enumerate(built):
        meta = obj.get("metadata") or {}
        candidates = index.get((str(obj.get("kind", "")), str(meta.get("name", ""))), [])
        match = next((d for d in candidates if d.namespace == meta.get("namespace", "")), None)
        source = match or (candidates[0] if candidates else None)
        out.append(Doc(source.file, source.index, obj) if source else Doc(root_file, position, obj))
    return out


def _start_builds(tree: Path, report: Report, pool: ThreadPoolExecutor) -> tuple[list[Any], set[str]]:
    """Start kustomize on every local overlay (they run while the files are read and checked).

    Without kubectl or kustomize, the kustomizations render writes are built by its own reader
    (tested equal to kubectl's output); files of the others are returned unchecked, with the reason.
    """
    command = kustomize.kustomize_command()
    top = tree.resolve()
    started: list[Any] = []
    skipped: set[str] = set()
    for root in kustomize.roots(tree):
        where = root.folder.relative_to(top)
        if root.remote:
            report.notes.append(f"{where}: not built offline, it reads remote resources ({', '.join(root.remote)}); "
                                "Argo CD builds it with network access")
        elif command is not None:
            started.append((root, pool.submit(kustomize.build_cached, root, command)))
        else:
            reason = ", ".join(root.rewrites())
            if not reason:
                try:
                    done: Future[tuple[list[dict[str, Any]], str | None]] = Future()
                    done.set_result((own_build(root.folder), None))
                    started.append((root, done))
                    continue
                except InputError as exc:
                    reason = exc.problems[0].message
            files = {str(f.relative_to(top)) for f in root.files if f.is_relative_to(top)}
            skipped |= files
            report.notes.append(f"{where}: {len(files)} files not checked: its kustomization rewrites them "
                                f"({reason}); install kubectl or kustomize to check them as built")
    if command is None:
        report.notes.append("kustomize overlays built by homelab's own reader (neither kubectl nor kustomize is "
                            "installed); install kubectl to check them with the real kustomize")
    return started, skipped


def _built_scopes(tree: Path, docs: list[Doc], started: list[Any], report: Report) -> tuple[list[list[Doc]], set[str]]:
    """Objects of every overlay as kustomize built it, and the files those builds cover."""
    top = tree.resolve()
    by_file: dict[str, list[Doc]] = defaultdict(list)
    for doc in docs:
        by_file[doc.file].append(doc)
    roots = [root for root, _ in started]
    results = [future.result() for _, future in started]
    scopes, covered = [], set()
    for root, (built, error) in zip(roots, results, strict=True):
        root_file = str((root.folder / "kustomization.yaml").relative_to(top))
        if error:
            report.findings.append(Finding("kustomize", root_file, None, "$", f"overlay does not build: {error}",
                                           "fix the resource or patch it names; run `kubectl kustomize` on it"))
            continue
        files = {str(f.relative_to(top)) for f in root.files if f.is_relative_to(top)}
        covered |= files
        scopes.append(_traced(built, [d for f in sorted(files) for d in by_file.get(f, [])], root_file))
    return scopes, covered


def validate_tree(tree: Path, kube_version: str, crds: CrdSchemas, gitops_repo: str | None = None,
                  build: bool = True) -> Report:
    """Every finding in `tree`; `crds` supplies the schemas of custom kinds."""
    report = Report()
    checker = _Checker(schema_release(kube_version), crds, report)
    with ThreadPoolExecutor(max_workers=4) as pool:
        started, skipped = _start_builds(tree, report, pool) if build else ([], set())
        docs = _read(tree, report)
        scopes, covered = _built_scopes(tree, docs, started, report)
    covered |= skipped
    scopes += _env_scopes([d for d in docs if d.file not in covered])
    report.objects = sum(len(scope) for scope in scopes)
    found: dict[Finding, None] = {}
    for scope in scopes:
        for doc in scope:
            found.update(dict.fromkeys(checker.check(doc)))
        found.update(dict.fromkeys(lint.lint(scope, {"gitops_repo": gitops_repo})))
    report.findings.extend(found)
    report.findings.sort(key=lambda f: (f.file, f.index if f.index is not None else -1, f.path, f.rule))
    return report


def crds_for(crds_dir: Path | None, cluster_crds: list[dict[str, Any]] | None = None) -> CrdSchemas:
    """CRD schemas from a folder and/or CRD objects read from a live cluster."""
    from homelab.validate.schemas import crds_from_folder

    schemas = CrdSchemas()
    if crds_dir is not None:
        schemas.merge(crds_from_folder(crds_dir.resolve()))
    if cluster_crds:
        schemas.extend(cluster_crds)
    return schemas
