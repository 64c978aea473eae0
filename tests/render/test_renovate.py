"""The rendered tree's Renovate configuration finds every chart pin, and updates arrive on the branch dev follows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from tests.profiles import config_for

from homelab.render import env_objects


def _pattern(renovate: dict[str, object]) -> re.Pattern[str]:
    (wrapped,) = renovate["argocd"]["managerFilePatterns"]  # type: ignore[index]
    assert wrapped.startswith("/") and wrapped.endswith("/"), "Renovate reads /.../ as a regular expression"
    return re.compile(wrapped[1:-1])


def test_every_chart_pin_is_in_a_file_the_argocd_manager_reads(trees: dict[str, Path]) -> None:
    tree = trees["full"]
    renovate = json.loads((tree / "renovate.json").read_text())
    config = config_for("full")
    assert renovate["baseBranches"] == [config.gitops.branch]
    assert renovate["ignoreDeps"] == [config.gitops.repo_url]
    matches = _pattern(renovate)
    # where each chart's pin is written: one document holding repoURL, chart and targetRevision, as the
    # argocd manager extracts it
    pins: dict[tuple[str, str], str] = {}
    for path in tree.rglob("*.yaml"):
        rel = path.relative_to(tree).as_posix()
        for doc in yaml.safe_load_all(path.read_text()):
            src = ((doc or {}).get("spec") or {}).get("source") or {} if isinstance(doc, dict) else {}
            if doc and doc.get("kind") == "Application" and {"repoURL", "chart", "targetRevision"} <= set(src):
                pins[(src["repoURL"], src["chart"])] = rel
    charts = {(a["spec"]["source"]["repoURL"], a["spec"]["source"]["chart"])
              for a in env_objects(tree, "dev") if a["kind"] == "Application" and "chart" in a["spec"]["source"]}
    assert len(charts) > 50
    assert charts <= set(pins), sorted(charts - set(pins))
    unread = sorted(rel for key, rel in pins.items() if key in charts and not matches.search(rel))
    assert unread == []
    assert not matches.search("manifests/argo-cd/kustomization.yaml") and not matches.search("dev/gate/root.yaml")
