"""Benchmark: validating the `full` profile rendered for dev, staging and prod.

Run: python bench/validate.py [--crds DIR]   (target: under 2 s). Prints a table that splits
the time into schema + lint and the kustomize builds, which are kubectl's own work.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

import yaml
from rich.console import Console
from rich.table import Table
from timing import best_of  # bench/timing.py (scripts run with bench/ on sys.path)

from homelab.catalog import load_catalog
from homelab.config import Config, builtin_text
from homelab.render import render_tree, write_tree
from homelab.validate import Report, crds_for, platform, validate_tree
from homelab.validate.kustomize import build, kustomize_command, roots
from homelab.validate.schemas import crds_from_folder

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "crds"




def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--crds", type=Path, default=SHARED if SHARED.is_dir() else None)
    args = parser.parse_args()
    config = Config.model_validate(yaml.safe_load(builtin_text()))
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "out"
        write_tree(render_tree(config, load_catalog()), tree)
        def fresh_load() -> None:
            crds_from_folder.cache_clear()  # in-process cache off; the on-disk JSON cache stays
            crds_for(args.crds)

        load = best_of(fresh_load)
        crds = crds_for(args.crds)
        version, repo = config.cluster.kubernetes.version, config.gitops.repo_url
        cache = Path(tmp) / "cache"
        os.environ["XDG_CACHE_HOME"] = str(cache)  # kustomize builds are cached by input fingerprint

        def cold() -> Report:
            shutil.rmtree(cache, ignore_errors=True)
            return validate_tree(tree, version, crds, repo)

        report = cold()
        whole_cold = best_of(cold)
        whole_warm = best_of(lambda: validate_tree(tree, version, crds, repo))
        no_build = best_of(lambda: validate_tree(tree, version, crds, repo, build=False))
        command = kustomize_command()
        overlays = [r for r in roots(tree) if not r.remote]
        builds = best_of(lambda: [build(r.folder, command) for r in overlays], runs=1) if command else 0.0
        catalog = load_catalog()
        platform_checks = best_of(lambda: platform.check(tree, config, catalog))
    table = Table(title=f"validate full x 3 environments: {report.objects} objects, {len(report.findings)} findings")
    for column in ("step", "seconds", "note"):
        table.add_column(column)
    table.add_row("load CRD schemas (parsed-CRD cache warm)", f"{load:.3f}", str(args.crds or "none"))
    table.add_row("schema + lint, files as written", f"{no_build:.3f}", "no kustomize")
    table.add_row("kustomize builds, one after another", f"{builds:.3f}",
                  f"{len(overlays)} overlays with {' '.join(command or ['(none)'])}")
    table.add_row("whole validation, first time (builds in parallel)", f"{whole_cold:.3f}", "target < 2 s")
    table.add_row("whole validation again, tree unchanged", f"{whole_warm:.3f}", "builds from the cache")
    table.add_row("  ratio first time / schema + lint", f"{whole_cold / no_build:.1f}", "")
    table.add_row("platform checks (plan + build + rules, 3 environments)", f"{platform_checks:.3f}",
                  f"ratio to schema + lint {platform_checks / no_build:.1f}")
    Console().print(table)


if __name__ == "__main__":
    main()
