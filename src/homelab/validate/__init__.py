"""Validate a rendered tree: every object against its kind's schema, policy lint, kustomize builds.

Core kinds use kubernetes-validate's schemas at the cluster's Kubernetes version; custom
kinds use the openAPIV3Schema of their CRD (from a folder of CRDs, or the live cluster's).
A custom kind whose CRD is not at hand is reported as unverified, not silently passed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from homelab.validate import kustomize, lint
from homelab.validate.findings import Finding
from homelab.validate.lint import Doc
from homelab.validate.schemas import CrdSchemas, core_groups, core_validator, schema_release

__all__ = ["Finding", "Report", "validate_tree"]

ENVIRONMENTS = ("dev", "staging", "prod")
SKIP_DIRS = {"overrides", "docs", ".git"}

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader


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


def _schema_findings(doc: Doc, release: str, crds: CrdSchemas, report: Report) -> list[Finding]:
    obj = doc.obj
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not api_version or not kind:
        missing = "apiVersion" if not api_version else "kind"
        return [doc.finding("schema", [missing], f"object has no {missing}", f"add {missing}")]
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    is_core = group in core_groups(release)
    validator = crds.validators.get((api_version, kind))
    if validator is None and is_core:
        validator = core_validator(release, api_version, kind)
    if validator is None:
        if group in crds.groups or is_core:
            served = crds.served.get((group, kind))
            hint = (f"this CRD serves {group}/{', '.join(served)}" if served
                    else "check apiVersion and kind against the API reference")
            return [doc.finding("schema", ["apiVersion"], f"no kind {kind} in {api_version}", hint)]
        key = f"{api_version} {kind}"
        report.unverified[key] = report.unverified.get(key, 0) + 1
        return []
    return [doc.finding("schema", list(err.absolute_path), err.message[:300], _hint(err))
            for err in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path)))]


def _read(tree: Path, report: Report) -> list[Doc]:
    docs = []
    for path in sorted([*tree.rglob("*.yaml"), *tree.rglob("*.yml")]):
        rel = path.relative_to(tree)
        if SKIP_DIRS & set(rel.parts) or path.name in kustomize.KUSTOMIZATION_FILES:
            continue
        report.files += 1
        try:
            loaded = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=_Loader))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            report.findings.append(Finding("yaml", str(rel), None, "$", f"not valid YAML: {exc}".splitlines()[0],
                                           "fix the syntax on that line"))
            continue
        for index, obj in enumerate(loaded):
            if isinstance(obj, dict) and ("kind" in obj or "apiVersion" in obj):
                docs.append(Doc(str(rel), index, obj))
    return docs


def _scopes(docs: list[Doc]) -> dict[str, list[Doc]]:
    """Objects per environment (files under an env folder) plus the shared ones in every scope."""
    by_env: dict[str, list[Doc]] = defaultdict(list)
    shared: list[Doc] = []
    for doc in docs:
        env = next((part for part in Path(doc.file).parts[:-1] if part in ENVIRONMENTS), None)
        (by_env[env] if env else shared).append(doc)
    if not by_env:
        return {"all": shared}
    return {env: [*shared, *members] for env, members in by_env.items()}


def validate_tree(tree: Path, kube_version: str, crds: CrdSchemas, gitops_repo: str | None = None,
                  build: bool = True) -> Report:
    """Every finding in `tree`; `crds` supplies the schemas of custom kinds."""
    report = Report()
    release = schema_release(kube_version)
    docs = _read(tree, report)
    report.objects = len(docs)
    for doc in docs:
        report.findings.extend(_schema_findings(doc, release, crds, report))
    seen: set[Finding] = set()
    for scope in _scopes(docs).values():
        for finding in lint.lint(scope, {"gitops_repo": gitops_repo}):
            if finding not in seen:
                seen.add(finding)
                report.findings.append(finding)
    if build:
        findings, notes = kustomize.check(tree)
        report.findings.extend(findings)
        report.notes.extend(notes)
    report.findings.sort(key=lambda f: (f.file, f.index if f.index is not None else -1, f.path, f.rule))
    return report


def crds_for(crds_dir: Path | None, cluster_crds: list[dict[str, Any]] | None = None) -> CrdSchemas:
    """CRD schemas from a folder and/or CRD objects read from a live cluster."""
    from homelab.validate.schemas import crds_from_folder

    schemas = CrdSchemas()
    if crds_dir is not None:
        base = crds_from_folder(crds_dir.resolve())
        schemas.validators.update(base.validators)
        schemas.served.update(base.served)
        for group, kinds in base.groups.items():
            schemas.groups.setdefault(group, set()).update(kinds)
    if cluster_crds:
        schemas.extend(cluster_crds)
    return schemas


